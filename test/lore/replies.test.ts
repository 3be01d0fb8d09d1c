// Who a reply goes to, and what it may say about earlier versions, delivered through a real SMTP
// server on 127.0.0.1 from a real SQLite store: an opted-in list gets reply-all by default (To:
// the author, Cc: the original To/Cc, the list included; never an address the header validator
// refuses), private-to-author is a policy option; "still present since v1" only when v1's reply
// was delivered.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/lore/log.js';
import { smtpTransport, type Transport } from '../../src/lore/outbox.js';
import { parsePolicy } from '../../src/lore/policy.js';
import { Responder } from '../../src/lore/responder.js';
import { openStore, type DB } from '../../src/store/db.js';
import { cleanup, fakeReview, mail, patchBody, scratch } from './helpers.js';
import { header, startSmtp, type TestSmtp } from './smtp.js';

const BOT = { name: 'modreview', address: 'bot@modreview.example' };

describe('replies', () => {
  let smtp: TestSmtp;
  let dir: string;
  let db: DB;
  let transport: Transport;
  let now = Date.parse('2025-01-15T10:00:00Z');

  beforeAll(async () => {
    smtp = await startSmtp();
  });
  afterAll(async () => {
    await smtp.close();
  });
  beforeEach(() => {
    dir = scratch();
    db = openStore(join(dir, 'state.sqlite'));
    transport = smtpTransport({ host: '127.0.0.1', port: smtp.port, timeout_ms: 5000 });
    smtp.received.length = 0;
    smtp.behaviour = {};
    now = Date.parse('2025-01-15T10:00:00Z');
  });
  afterEach(() => {
    transport.close?.();
    db.close();
    cleanup(dir);
  });

  const responder = (lists: Record<string, unknown>) =>
    new Responder({ db, policy: parsePolicy({ lists }), review: fakeReview, log: memoryLog(), now: () => now }, { bot: BOT, cacheDir: join(dir, 'cache') });

  const patch = (msgid: string, subject = '[PATCH] foo: report duplicates') =>
    mail({
      msgid,
      subject,
      to: ['dm-devel@lists.linux.dev'],
      cc: ['Maint Ainer <maint@example.org>', '"quoted local"@example.org', 'bot@modreview.example'],
      body: patchBody({ file: 'drivers/foo/core.c', fn: 'foo_register', eexist: true }),
    });

  it('an opted-in list gets reply-all by default: To the author, Cc the original To/Cc (the list included)', async () => {
    const r = responder({ 'dm-devel': { mute: false } });
    await r.ingestMbox(Buffer.from(patch('all@example.org')), 'dm-devel');
    await r.processPending();
    expect((await r.deliver(transport)).sent).toHaveLength(1);
    const m = smtp.received[0]!;
    expect(header(m.raw, 'To')).toBe('Jane Developer <jane@example.org>');
    expect(header(m.raw, 'Cc')).toBe('dm-devel@lists.linux.dev, Maint Ainer <maint@example.org>');
    // The address headers.ts refuses is in neither the headers nor the envelope; nor is the bot.
    expect(m.to.sort()).toEqual(['dm-devel@lists.linux.dev', 'jane@example.org', 'maint@example.org']);
    expect(m.raw).not.toContain('quoted local');
  });

  it('private to the author stays a policy option', async () => {
    const r = responder({ 'dm-devel': { mute: false, reply_all: false } });
    await r.ingestMbox(Buffer.from(patch('private@example.org')), 'dm-devel');
    await r.processPending();
    await r.deliver(transport);
    const m = smtp.received[0]!;
    expect(header(m.raw, 'To')).toBe('Jane Developer <jane@example.org>');
    expect(header(m.raw, 'Cc')).toBeUndefined();
    expect(m.to).toEqual(['jane@example.org']);
  });

  it('a policy address the header validator refuses is a policy error', () => {
    expect(() => parsePolicy({ lists: { l: { cc: ['"x y"@example.org'] } } }, 'policy.yaml')).toThrow(/^policy\.yaml: lists\.l\.cc\.0: must be a plain address/);
  });

  it('"still present since v1" only when the reply to v1 was delivered', async () => {
    const r = responder({ 'dm-devel': { mute: false, embargo_hours: 12 } });
    const v = (n: number, key: string) => patch(`${key}-v${n}@example.org`, `[PATCH${n > 1 ? ` v${n}` : ''}] foo: ${key} report duplicates`);

    // Series "held": v1's reply is under embargo when v2 arrives, so it is cancelled, never sent.
    await r.ingestMbox(Buffer.from(v(1, 'held')), 'dm-devel');
    await r.processPending();
    now += 3600_000;
    await r.ingestMbox(Buffer.from(v(2, 'held')), 'dm-devel');
    await r.processPending();
    now += 13 * 3600_000;
    await r.deliver(transport);
    const states = db.prepare('SELECT in_reply_to, state FROM outbox ORDER BY in_reply_to').all();
    expect(states).toEqual([
      { in_reply_to: 'held-v1@example.org', state: 'cancelled' },
      { in_reply_to: 'held-v2@example.org', state: 'sent' },
    ]);
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]!.raw).not.toContain('since v1');
    expect(smtp.received[0]!.raw).not.toContain('pointed out on v1');

    // Series "failed": v1's reply was refused (5xx): nobody was told either.
    await r.ingestMbox(Buffer.from(v(1, 'failed')), 'dm-devel');
    await r.processPending();
    now += 13 * 3600_000;
    smtp.behaviour = { refuse: () => 550 };
    expect((await r.deliver(transport)).failed).toHaveLength(1);
    smtp.behaviour = {};
    await r.ingestMbox(Buffer.from(v(2, 'failed')), 'dm-devel');
    await r.processPending();
    now += 13 * 3600_000;
    await r.deliver(transport);
    const failedV2 = smtp.received.find((m) => header(m.raw, 'In-Reply-To') === '<failed-v2@example.org>')!;
    expect(failedV2.raw).not.toContain('since v1');

    // Series "told": v1's reply went out, so v2's says so.
    await r.ingestMbox(Buffer.from(v(1, 'told')), 'dm-devel');
    await r.processPending();
    now += 13 * 3600_000;
    await r.deliver(transport);
    await r.ingestMbox(Buffer.from(v(2, 'told')), 'dm-devel');
    await r.processPending();
    now += 13 * 3600_000;
    await r.deliver(transport);
    const toldV2 = smtp.received.find((m) => header(m.raw, 'In-Reply-To') === '<told-v2@example.org>')!;
    expect(toldV2.raw).toContain('(still present since v1)');
    expect(toldV2.raw).toContain('This was pointed out on v1 and is still present:');
  });
});
