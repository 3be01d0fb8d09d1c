// A real public-inbox v2 inbox (git epochs built with simple-git), synced several times as mail
// arrives: series out of order, cover letters, replies, a deletion, v1 → v2, a RESEND, a partial
// series that times out, a new epoch and a history rewrite. Review is a stand-in ReviewFn here
// (the real engine runs in e2e.test.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type DB } from '../../src/store/db.js';
import { memoryLog } from '../../src/lore/log.js';
import { maildirTransport } from '../../src/lore/outbox.js';
import { parsePolicy } from '../../src/lore/policy.js';
import { Responder, emptyReport } from '../../src/lore/responder.js';
import { cleanup, fakeReview, mail, patchBody, scratch, TestInbox } from './helpers.js';

const LIST = 'dm-devel@lists.linux.dev';

describe('lore sync over a public-inbox v2 inbox', () => {
  let dir: string;
  let inbox: TestInbox;
  let db: DB;
  let now = Date.parse('2025-01-15T10:00:00Z');
  const log = memoryLog();
  let responder: Responder;
  const outDir = () => join(dir, 'outbox');
  const cfg = () => ({ name: 'dm-devel', url: join(dir, 'inbox'), list: 'dm-devel' });

  async function sync() {
    const r = emptyReport();
    await inbox.publish();
    await responder.syncInbox(cfg(), r);
    await responder.processPending(r);
    await responder.deliver(maildirTransport(outDir()));
    return r;
  }
  function emls(): string[] {
    return readdirSync(join(outDir(), 'new')).sort().map((f) => readFileSync(join(outDir(), 'new', f), 'utf8'));
  }
  const inReplyTo = (eml: string) => /^In-Reply-To: <([^>]+)>/m.exec(eml)?.[1];

  beforeAll(async () => {
    dir = scratch();
    inbox = new TestInbox(join(dir, 'inbox'));
    db = openStore(join(dir, 'state.sqlite'));
    responder = new Responder(
      {
        db,
        policy: parsePolicy({ lists: { 'dm-devel': { mute: false, reply_to_author: true, reply_all: false, cc: [LIST], ignore_from: ['patchwork-bot@*'], rate_limit: { per_list_per_hour: 100, per_author_per_hour: 100 } } } }),
        review: fakeReview,
        log,
        now: () => now,
      },
      { bot: { name: 'modreview', address: 'bot@modreview.example' }, cacheDir: join(dir, 'cache'), waitMinutes: 30 },
    );
  });
  afterAll(() => {
    if (process.env.LORE_DUMP) for (const e of emls()) console.log(e);
    db.close();
    cleanup(dir);
  });

  const sA = '[PATCH 0/2] foo: stop hiding duplicate registrations';
  it('first sync: reviews complete series, replies only where there are findings', async () => {
    // Series A v1, parts out of order: 2/2, cover, 1/2.
    await inbox.add(mail({ msgid: 'a1-2@example.org', subject: '[PATCH 2/2] foo: bar: report duplicates', inReplyTo: 'a1-0@example.org', cc: ['maint@example.org'], body: patchBody({ file: 'drivers/foo/bar.c', fn: 'bar_register', eexist: false }) }));
    await inbox.add(mail({ msgid: 'a1-0@example.org', subject: sA, cc: ['maint@example.org'], body: 'Two fixes.\n\nJane Developer (2):\n  foo: core\n  foo: bar\n\nbase-commit: 0123456789abcdef0123456789abcdef01234567\n-- \n2.39.5\n' }));
    await inbox.add(mail({ msgid: 'a1-1@example.org', subject: '[PATCH 1/2] foo: core: report duplicates', inReplyTo: 'a1-0@example.org', cc: ['maint@example.org'], body: patchBody({ file: 'drivers/foo/core.c', fn: 'foo_register', eexist: true }) }));
    // A human reply to 1/2: never reviewed.
    await inbox.add(mail({ msgid: 'reply-1@example.org', from: 'Maint <maint@example.org>', subject: 'Re: [PATCH 1/2] foo: core: report duplicates', inReplyTo: 'a1-1@example.org', references: ['a1-0@example.org', 'a1-1@example.org'], body: 'On Wed, Jane wrote:\n> +\t\treturn -EEXIST;\n\nWhy?\n' }));
    // A lone benign patch, and a lone patch with a finding.
    await inbox.add(mail({ msgid: 'lone-ok@example.org', subject: '[PATCH] baz: tidy', body: patchBody({ file: 'drivers/baz/baz.c', fn: 'baz_register', eexist: false }) }));
    await inbox.add(mail({ msgid: 'lone-bad@example.org', subject: '[PATCH net-next] qux: report duplicates', body: patchBody({ file: 'net/qux/qux.c', fn: 'qux_register', eexist: true }) }));
    // A patch that is then deleted from the archive.
    const doomed = mail({ msgid: 'doomed@example.org', subject: '[PATCH] spam: bad', body: patchBody({ file: 'drivers/spam.c', fn: 'spam_register', eexist: true }) });
    await inbox.add(doomed);
    await inbox.remove(doomed);
    // A bot's patch status mail, ignored by policy.
    await inbox.add(mail({ msgid: 'pw@example.org', from: 'patchwork-bot@kernel.org', subject: '[PATCH] foo: applied', body: patchBody({ file: 'drivers/x.c', fn: 'x_register', eexist: true }) }));

    const r = await sync();
    expect(r.reviewed).toBe(3); // series A, lone-ok, lone-bad
    expect(r.deleted).toBe(1);
    const out = emls();
    expect(out.map(inReplyTo).sort()).toEqual(['a1-1@example.org', 'lone-bad@example.org']);
    const a = out.find((e) => inReplyTo(e) === 'a1-1@example.org')!;
    expect(a).toMatch(/^Subject: Re: \[PATCH 1\/2\] foo: core: report duplicates$/m);
    expect(a).toMatch(/^References: <a1-0@example.org> <a1-1@example.org>$/m);
    expect(a).toMatch(/^Auto-Submitted: auto-generated$/m);
    expect(a).toMatch(/^To: Jane Developer <jane@example.org>$/m);
    expect(a).toMatch(/^Cc: dm-devel@lists.linux.dev$/m); // maint@ was on the mail, but reply_all is off
    const skips = db.prepare('SELECT reason FROM lore_message WHERE msgid = ?');
    expect((skips.get('pw@example.org') as { reason: string }).reason).toMatch(/ignore_from/);
    expect(db.prepare("SELECT status FROM lore_message WHERE msgid = 'reply-1@example.org'").get()).toEqual({ status: 'done' });
    expect(db.prepare("SELECT status FROM lore_message WHERE msgid = 'doomed@example.org'").get()).toEqual({ status: 'deleted' });
  });

  it('second sync: nothing new, nothing sent twice', async () => {
    const r = await sync();
    expect(r.messages).toBe(0);
    expect(emls()).toHaveLength(2);
  });

  it('partial v1 waits; v2 supersedes it; v2 of A reports the finding as still present', async () => {
    // Series B v1: the cover, 1/3 and 2/3 only.
    await inbox.add(mail({ msgid: 'b1-0@example.org', subject: '[PATCH 0/3] quux: cleanups', body: 'Three cleanups.\n' }));
    await inbox.add(mail({ msgid: 'b1-1@example.org', subject: '[PATCH 1/3] quux: one', inReplyTo: 'b1-0@example.org', body: patchBody({ file: 'drivers/quux/a.c', fn: 'quux_a_register', eexist: true }) }));
    await inbox.add(mail({ msgid: 'b1-2@example.org', subject: '[PATCH 2/3] quux: two', inReplyTo: 'b1-0@example.org', body: patchBody({ file: 'drivers/quux/b.c', fn: 'quux_b_register', eexist: false }) }));
    let r = await sync();
    expect(r.waiting).toBe(1);
    expect(r.reviewed).toBe(0);

    // B v2 (cover + 3 parts; 3/3 of v1 never came) and A v2 arrive.
    now += 5 * 60_000;
    await inbox.add(mail({ msgid: 'b2-0@example.org', subject: '[PATCH v2 0/3] quux: cleanups', body: 'v2: fixed things\n' }));
    for (const i of [3, 1, 2]) {
      await inbox.add(mail({ msgid: `b2-${i}@example.org`, subject: `[PATCH v2 ${i}/3] quux: part ${i}`, inReplyTo: 'b2-0@example.org', body: patchBody({ file: `drivers/quux/${i}.c`, fn: `quux${i}_register`, eexist: false }) }));
    }
    await inbox.add(mail({ msgid: 'a2-0@example.org', subject: '[PATCH v2 0/2] foo: stop hiding duplicate registrations', inReplyTo: 'a1-0@example.org', body: 'v2: rebased\n' }));
    await inbox.add(mail({ msgid: 'a2-1@example.org', subject: '[PATCH v2 1/2] foo: core: report duplicates', inReplyTo: 'a2-0@example.org', references: ['a1-0@example.org', 'a2-0@example.org'], body: patchBody({ file: 'drivers/foo/core.c', fn: 'foo_register', eexist: true, tag: 'v2' }) }));
    await inbox.add(mail({ msgid: 'a2-2@example.org', subject: '[PATCH v2 2/2] foo: bar: report duplicates', inReplyTo: 'a2-0@example.org', references: ['a1-0@example.org', 'a2-0@example.org'], body: patchBody({ file: 'drivers/foo/bar.c', fn: 'bar_register', eexist: false }) }));
    r = await sync();
    expect(db.prepare("SELECT status FROM lore_message WHERE msgid = 'b1-1@example.org'").get()).toEqual({ status: 'superseded' });
    expect(r.reviewed).toBe(2); // B v2 (clean) and A v2
    const out = emls();
    expect(out).toHaveLength(3);
    const a2 = out.find((e) => inReplyTo(e) === 'a2-1@example.org')!;
    expect(a2).toContain('(still present since v1)');
    expect(a2).toMatch(/^References: <a1-0@example.org> <a2-0@example.org> <a2-1@example.org>$/m);
    expect(out.some((e) => /b1-1/.test(inReplyTo(e) ?? ''))).toBe(false); // never reply to a superseded version
  });

  it('a RESEND of a reviewed patch is skipped; an incomplete series is reviewed after the timeout, saying so', async () => {
    await inbox.add(mail({ msgid: 'lone-bad-resend@example.org', subject: '[PATCH RESEND net-next] qux: report duplicates', body: patchBody({ file: 'net/qux/qux.c', fn: 'qux_register', eexist: true }) }));
    await inbox.add(mail({ msgid: 'c1-1@example.org', subject: '[PATCH 1/2] corge: one', body: patchBody({ file: 'drivers/corge.c', fn: 'corge_register', eexist: true }) }));
    let r = await sync();
    expect(r.dropped).toBe(1);
    expect((db.prepare("SELECT reason FROM lore_message WHERE msgid = 'lone-bad-resend@example.org'").get() as { reason: string }).reason).toMatch(/RESEND/);
    expect(r.waiting).toBe(1);
    now += 31 * 60_000;
    r = await sync();
    expect(r.reviewed).toBe(1);
    const c = emls().find((e) => inReplyTo(e) === 'c1-1@example.org')!;
    expect(c).toContain('only patch 1 of 2 had arrived after 30 minutes');
  });

  it('a new epoch appears, then its history is rewritten', async () => {
    inbox.setClock(Date.parse('2025-01-16T09:00:00Z'));
    await inbox.add(mail({ msgid: 'e1-a@example.org', subject: '[PATCH] grault: one', body: patchBody({ file: 'drivers/grault.c', fn: 'grault_register', eexist: true }) }), 1);
    await inbox.add(mail({ msgid: 'e1-b@example.org', subject: '[PATCH] garply: one', body: patchBody({ file: 'drivers/garply.c', fn: 'garply_register', eexist: false }) }), 1);
    let r = await sync();
    expect(r.messages).toBe(2);
    expect(emls().map(inReplyTo)).toContain('e1-a@example.org');

    // Upstream purges the last message and history moves on with new mail.
    await inbox.dropLast(1, 1);
    await inbox.add(mail({ msgid: 'e1-c@example.org', subject: '[PATCH] waldo: one', body: patchBody({ file: 'drivers/waldo.c', fn: 'waldo_register', eexist: true }) }), 1);
    r = await sync();
    expect(r.rewritten).toEqual(['dm-devel/1']);
    expect(r.messages).toBe(1); // e1-a is deduplicated by Message-ID, e1-c is new
    expect(r.duplicates).toBe(1);
    const replies = emls().map(inReplyTo);
    expect(replies.filter((x) => x === 'e1-a@example.org')).toHaveLength(1);
    expect(replies).toContain('e1-c@example.org');
  });

  it('every reply is wrapped and threaded', () => {
    for (const e of emls()) {
      const [head, body] = e.split('\r\n\r\n');
      expect(head).toMatch(/^Message-ID: <modreview-[0-9a-f]{20}@modreview.example>$/m);
      expect(head).toMatch(/^Content-Type: text\/plain; charset=utf-8$/m);
      for (const line of body!.split('\r\n')) if (!line.startsWith('>')) expect(line.length).toBeLessThanOrEqual(78);
    }
  });
});
