// Delivery through a real SMTP server on 127.0.0.1: headers, recipients per policy, body layout,
// and the faults: refusal (transient and permanent), a connection dropped mid-DATA, and the
// process killed between "stored" and "sent" — after restart each reply is delivered once.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type DB } from '../../src/store/db.js';
import { memoryLog } from '../../src/lore/log.js';
import { smtpTransport, type Transport } from '../../src/lore/outbox.js';
import { parsePolicy } from '../../src/lore/policy.js';
import { Responder } from '../../src/lore/responder.js';
import { cleanup, fakeReview, mail, patchBody, scratch } from './helpers.js';
import { header, startSmtp, type TestSmtp } from './smtp.js';

const BOT = { name: 'modreview', address: 'bot@modreview.example' };
const CHILD = fileURLToPath(new URL('./fixtures/deliver-child.ts', import.meta.url));

function seriesMbox(n: number, tag: string): string {
  const out: string[] = [];
  out.push(
    `From jane@example.org Wed Jan 15 09:00:00 2025\n${mail({
      msgid: `${tag}-0@example.org`,
      subject: `[PATCH 0/${n}] foo: ${tag} fixes`,
      to: ['dm-devel@lists.linux.dev'],
      cc: ['Maint Ainer <maint@example.org>', 'bot@modreview.example'],
      body: `${tag} cover\n`,
    })}`,
  );
  for (let i = 1; i <= n; i++) {
    out.push(
      `From jane@example.org Wed Jan 15 09:0${i}:00 2025\n${mail({
        msgid: `${tag}-${i}@example.org`,
        subject: `[PATCH ${i}/${n}] foo: ${tag} part ${i}`,
        inReplyTo: `${tag}-0@example.org`,
        to: ['dm-devel@lists.linux.dev'],
        cc: ['Maint Ainer <maint@example.org>', 'bot@modreview.example'],
        body: patchBody({ file: `drivers/${tag}/p${i}.c`, fn: `${tag}${i}_register`, eexist: i !== 2 }),
      })}`,
    );
  }
  return out.join('\n');
}

describe('SMTP delivery', () => {
  let dir: string;
  let db: DB;
  let smtp: TestSmtp;
  let transport: Transport;
  let now = Date.parse('2025-01-15T10:00:00Z');
  const log = memoryLog();
  let responder: Responder;

  beforeAll(async () => {
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await smtp.close();
  });
  beforeEach(() => {
    dir = scratch();
    db = openStore(join(dir, 'state.sqlite'));
    responder = new Responder(
      {
        db,
        policy: parsePolicy({ lists: { 'dm-devel': { mute: false, reply_to_author: true, reply_all: true, cc: ['stranger@example.net'] } } }),
        review: fakeReview,
        log,
        now: () => now,
      },
      { bot: BOT, cacheDir: join(dir, 'cache') },
    );
    transport = smtpTransport({ host: '127.0.0.1', port: smtp.port, timeout_ms: 5000 });
    smtp.received.length = 0;
    smtp.behaviour = {};
  });
  afterEach(() => {
    transport.close?.();
    db.close();
    cleanup(dir);
  });

  async function queue(tag: string, n = 3): Promise<void> {
    await responder.ingestMbox(Buffer.from(seriesMbox(n, tag)), 'dm-devel');
    await responder.processPending();
  }
  const states = () => db.prepare('SELECT state, attempts, last_error FROM outbox ORDER BY in_reply_to').all() as { state: string; attempts: number; last_error: string | null }[];

  it('sends exactly the replies with findings, threaded, to the people policy allows', async () => {
    await queue('s');
    const r = await responder.deliver(transport);
    expect(r.sent).toHaveLength(2); // 1/3 and 3/3 have findings, 2/3 and the cover none
    expect(smtp.received).toHaveLength(2);
    const one = smtp.received.find((m) => header(m.raw, 'In-Reply-To') === '<s-1@example.org>')!;
    expect(header(one.raw, 'Subject')).toBe('Re: [PATCH 1/3] foo: s part 1');
    expect(header(one.raw, 'References')).toBe('<s-0@example.org> <s-1@example.org>');
    expect(header(one.raw, 'Auto-Submitted')).toBe('auto-generated');
    expect(header(one.raw, 'From')).toBe('modreview <bot@modreview.example>');
    expect(header(one.raw, 'Message-ID')).toMatch(/^<modreview-[0-9a-f]{20}@modreview\.example>$/);
    expect(header(one.raw, 'To')).toBe('Jane Developer <jane@example.org>');
    // reply_all: the original To and Cc, never the bot itself, never the stranger from policy.cc.
    expect(header(one.raw, 'Cc')).toBe('dm-devel@lists.linux.dev, Maint Ainer <maint@example.org>');
    expect(one.to.sort()).toEqual(['dm-devel@lists.linux.dev', 'jane@example.org', 'maint@example.org']);
    expect(one.from).toBe('bot@modreview.example');
    const body = one.raw.split(/\r\n\r\n/).slice(1).join('\r\n\r\n');
    expect(body).toMatch(/^modreview found one possible problem in this patch:\r\n\r\n  module-init-eexist: drivers\/s\/p1\.c:12 s1_register\(\)\r\n/);
    expect(body).toContain('> +\t\treturn -EEXIST;\r\n\r\ns1_register() now returns -EEXIST');
    expect(body).toContain('  54416fd76770 ("netfilter: conntrack: helper: Replace -EEXIST by -EBUSY")');
    expect(body).toMatch(/\r\n-- \r\nmodreview, an automated reviewer/);
    expect(body).toContain('  #modreview ignore module-init-eexist');
    expect(body).not.toContain('return 0;'); // nothing quoted after the last comment
    // A second delivery run sends nothing more.
    expect((await responder.deliver(transport)).sent).toHaveLength(0);
    expect(smtp.received).toHaveLength(2);
  });

  it('retries a transient refusal with backoff, then delivers once', async () => {
    await queue('t', 1);
    let refusals = 2;
    smtp.behaviour = { refuse: () => (refusals-- > 0 ? 451 : undefined) };
    let r = await responder.deliver(transport, { baseDelayMs: 60_000 });
    expect(r.retrying).toHaveLength(1);
    expect(states()[0]).toMatchObject({ state: 'pending', attempts: 1 });
    expect(states()[0]!.last_error).toMatch(/451/);
    r = await responder.deliver(transport, { baseDelayMs: 60_000 }); // not due yet
    expect(r.sent.length + r.retrying.length).toBe(0);
    now += 60_000;
    r = await responder.deliver(transport, { baseDelayMs: 60_000 });
    expect(r.retrying).toHaveLength(1); // second refusal; next delay doubles
    now += 60_000;
    expect((await responder.deliver(transport, { baseDelayMs: 60_000 })).sent).toHaveLength(0);
    now += 60_000;
    expect((await responder.deliver(transport, { baseDelayMs: 60_000 })).sent).toHaveLength(1);
    expect(smtp.received).toHaveLength(1);
    expect(states()[0]).toMatchObject({ state: 'sent', attempts: 3 });
  });

  it('a permanent refusal, or running out of attempts, ends visible as failed', async () => {
    await queue('p', 1);
    smtp.behaviour = { refuse: () => 550 };
    const r = await responder.deliver(transport);
    expect(r.failed).toHaveLength(1);
    expect(states()[0]!.state).toBe('failed');
    expect(states()[0]!.last_error).toMatch(/^refused: 550/);

    await queue('q', 1);
    smtp.behaviour = { refuse: () => 421 };
    for (let i = 0; i < 3; i++) {
      await responder.deliver(transport, { maxAttempts: 3, baseDelayMs: 0 });
    }
    const q = db.prepare("SELECT state, last_error FROM outbox WHERE in_reply_to = 'q-1@example.org'").get() as { state: string; last_error: string };
    expect(q.state).toBe('failed');
    expect(q.last_error).toMatch(/gave up after 3 attempts/);
    expect(smtp.received).toHaveLength(0);
  });

  it('a connection dropped mid-DATA is retried and delivered once', async () => {
    await queue('d', 1);
    smtp.behaviour = { dropMidData: 1 };
    let r = await responder.deliver(transport, { baseDelayMs: 0 });
    expect(r.retrying).toHaveLength(1);
    expect(smtp.received).toHaveLength(0);
    r = await responder.deliver(transport, { baseDelayMs: 0 });
    expect(r.sent).toHaveLength(1);
    expect(smtp.received).toHaveLength(1);
  });

  function child(env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
    return new Promise((resolve) => {
      const p = spawn(process.execPath, ['--import', 'tsx', CHILD, join(dir, 'state.sqlite'), String(smtp.port)], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      p.stdout.on('data', (c: Buffer) => (out += c.toString()));
      p.on('exit', (code, signal) => resolve({ code, signal, out }));
    });
  }

  it('killed after storing, before sending: the restart delivers each reply once', async () => {
    await queue('k');
    const dead = await child({ MODREVIEW_CRASH_AT: 'sending' });
    expect(dead.signal).toBe('SIGKILL');
    expect(smtp.received).toHaveLength(0);
    expect(states().map((s) => s.state).sort()).toEqual(['pending', 'sending']);
    const alive = await child({});
    expect(alive.code).toBe(0);
    expect(smtp.received).toHaveLength(2);
    expect(new Set(smtp.received.map((m) => header(m.raw, 'Message-ID'))).size).toBe(2);
    expect(states().every((s) => s.state === 'sent')).toBe(true);
  });

  it('killed between the 250 and recording it: the resend is the same message, or none once the list echoed it', async () => {
    await queue('w', 1);
    const dead = await child({ MODREVIEW_CRASH_AT: 'sent-unrecorded' });
    expect(dead.signal).toBe('SIGKILL');
    expect(smtp.received).toHaveLength(1);
    expect(states()[0]!.state).toBe('sending');
    // The list echoes our reply (it was delivered); the next sync reads it from the inbox.
    const echoed = smtp.received[0]!.raw;
    await responder.ingestMbox(Buffer.from(echoed.replace(/\r\n/g, '\n')), 'dm-devel');
    const alive = await child({});
    expect(alive.code).toBe(0);
    expect(smtp.received).toHaveLength(1);
    expect(states()[0]!.state).toBe('sent');

    // Without the echo, the resend carries the identical Message-ID (the residual window).
    await queue('x', 1);
    await child({ MODREVIEW_CRASH_AT: 'sent-unrecorded' });
    await child({});
    const xs = smtp.received.filter((m) => header(m.raw, 'In-Reply-To') === '<x-1@example.org>');
    expect(xs).toHaveLength(2);
    expect(new Set(xs.map((m) => header(m.raw, 'Message-ID'))).size).toBe(1);
    expect(xs[0]!.raw).toBe(xs[1]!.raw);
  });
});
