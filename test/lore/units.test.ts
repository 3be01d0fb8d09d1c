// Pure parts: the reply's layout, the policy file and its recipients, rate limits.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMail } from '../../src/ingest/mail.js';
import { loadPolicy, parsePolicy, recipients } from '../../src/lore/policy.js';
import { renderReply, replySubject, toRaw, type MailFinding } from '../../src/report/email.js';
import { openStore } from '../../src/store/db.js';
import { Responder } from '../../src/lore/responder.js';
import { maildirTransport } from '../../src/lore/outbox.js';
import { cleanup, fakeReview, mail, scratch } from './helpers.js';

const LONG_LINE = `+\tpr_err("${'x'.repeat(100)}\\n");`;

function twoFileDiff(): string {
  const ctx = Array.from({ length: 12 }, (_, i) => ` \tstep${i}();`).join('\n');
  return `Two files.

Signed-off-by: Jane Developer <jane@example.org>
---
diff --git a/drivers/a.c b/drivers/a.c
index 1111111..2222222 100644
--- a/drivers/a.c
+++ b/drivers/a.c
@@ -1,14 +1,15 @@ static int __init a_init(void)
${ctx}
-\treturn -ENOENT;
+\treturn -EEXIST;
${LONG_LINE}
 }
@@ -40,2 +41,3 @@ static void __exit a_exit(void)
 {
+\tb();
 }
diff --git a/drivers/b.c b/drivers/b.c
index 1111111..2222222 100644
--- a/drivers/b.c
+++ b/drivers/b.c
@@ -5,3 +5,3 @@ int b_register(void)
 {
-\treturn 0;
+\treturn -EEXIST;
 }
-- 
2.39.5
`;
}

function finding(over: Partial<MailFinding>): MailFinding {
  return {
    rule: 'module-init-eexist',
    severity: 'error',
    confidence: 'high',
    file: 'drivers/a.c',
    line: 13,
    function: 'a_init',
    message:
      'a_init() returns -EEXIST from module_init(); kmod reads that as "module already loaded" and reports success to the user although the initialisation failed. Should this be -EBUSY?',
    evidence: [],
    precedents: [{ commit: '54416fd76770', subject: 'netfilter: conntrack: helper: Replace -EEXIST by -EBUSY' }],
    fingerprint: 'f1',
    key: 'k',
    patch: 1,
    where: 'added',
    ...over,
  };
}

describe('reply rendering', () => {
  it('threads, wraps prose, never re-wraps quoted lines, cuts with [ ... ], stops after the last comment', async () => {
    const m = await readMail(
      Buffer.from(mail({ msgid: 'p@example.org', subject: 'Re: Re: [PATCH v2 1/2] a: b', references: ['c@example.org'], inReplyTo: 'c@example.org', body: twoFileDiff() })),
    );
    const r = renderReply({
      patch: m.patch,
      findings: [
        finding({}),
        finding({ file: 'drivers/b.c', line: 6, function: 'b_register', fingerprint: 'f2', since: 1 }),
        finding({ line: 3, where: 'context', fingerprint: 'f3' }), // never mailed
        finding({ line: 2, where: 'outside', fingerprint: 'f4' }), // never mailed
      ],
      bot: { name: 'modreview', address: 'bot@example.net' },
      messageId: 'modreview-1@example.net',
      date: new Date('2025-01-15T10:00:00Z'),
      to: [{ name: 'Jane Developer', address: 'jane@example.org' }],
      cc: [],
      docsUrl: 'https://example.org/rules/',
    });
    expect(r.subject).toBe('Re: [PATCH v2 1/2] a: b');
    expect(replySubject('RE: Aw: re: [PATCH] x')).toBe('Re: [PATCH] x');
    expect(Object.fromEntries(r.headers)).toMatchObject({
      'In-Reply-To': '<p@example.org>',
      References: '<c@example.org> <p@example.org>',
      'Message-ID': '<modreview-1@example.net>',
      'Auto-Submitted': 'auto-generated',
      From: 'modreview <bot@example.net>',
    });
    const lines = r.body.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'modreview found 2 possible problems in this patch:',
      '',
      '  module-init-eexist: drivers/a.c:13 a_init()',
      '  module-init-eexist: drivers/b.c:6 b_register() (still present since v1)',
    ]);
    for (const l of lines) if (!l.startsWith('> ')) expect(l.length).toBeLessThanOrEqual(78);
    // The long hunk is cut before the commented line; the long added line after it is not quoted.
    const at = lines.indexOf('> @@ -1,14 +1,15 @@ static int __init a_init(void)');
    expect(lines[at + 1]).toBe('[ ... ]');
    expect(lines[at + 8]).toBe('> +\treturn -EEXIST;');
    expect(r.body).not.toContain(LONG_LINE);
    expect(r.body).not.toContain('a_exit'); // uncommented hunk not quoted
    expect(r.body).toContain('[ ... ]\n\n> diff --git a/drivers/b.c b/drivers/b.c');
    expect(r.body).toContain('This was pointed out on v1 and is still present:');
    expect(r.body).toContain('\n  54416fd76770 ("netfilter: conntrack: helper: Replace -EEXIST by -EBUSY")\n');
    // Nothing between the last comment and the signature.
    expect(r.body).toMatch(/Replace -EEXIST by -EBUSY"\)\n\n-- \nmodreview, an automated/);
    expect(r.body).toContain('Rule: https://example.org/rules/module-init-eexist');
  });

  it('quoted diff lines reach the wire byte for byte, non-ASCII names are encoded', async () => {
    const m = await readMail(Buffer.from(mail({ msgid: 'p@example.org', subject: '[PATCH] a: b', body: twoFileDiff().replace('return -EEXIST;\n+\tpr_err', 'return -EEXIST; /* é */\n+\tpr_err') })));
    const people = { to: [{ name: 'Jöhn Dœ', address: 'john@example.org' }], cc: [], from: { name: 'modreview', address: 'bot@example.net' } };
    const r = renderReply({ patch: m.patch, findings: [finding({})], bot: people.from, messageId: 'x@example.net', date: new Date(0), ...people, docsUrl: 'https://e.org' });
    const raw = toRaw(r, people).toString('utf8');
    expect(raw).toMatch(/^To: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= <john@example.org>\r$/m);
    expect(raw).toContain('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit');
    expect(raw).toContain('> +\treturn -EEXIST; /* é */\r\n');
    expect(raw).not.toMatch(/text\/html/);
  });
});

describe('policy', () => {
  it('defaults to muted; a bad file is one clear error', () => {
    const dir = scratch();
    try {
      expect(parsePolicy({}).forList('any').mute).toBe(true);
      const bad = join(dir, 'policy.yaml');
      writeFileSync(bad, 'lists:\n  linux-modules:\n    mute: "no"\n');
      expect(() => loadPolicy(bad)).toThrow(`${bad}: lists.linux-modules.mute: Invalid input: expected boolean, received string`);
      writeFileSync(bad, 'lists:\n  x:\n    reply_everyone: true\n');
      expect(() => loadPolicy(bad)).toThrow(/lists\.x: Unrecognized key: "reply_everyone"/);
      writeFileSync(bad, 'lists: [1, 2\n');
      expect(() => loadPolicy(bad)).toThrow(new RegExp(`^${bad.replace(/[.]/g, '\\.')}: `));
    } finally {
      cleanup(dir);
    }
  });

  it('never adds anyone who was not on the mail, never the bot', () => {
    const p = parsePolicy({ lists: { l: { mute: false, reply_to_author: true, reply_all: true, cc: ['list@vger.kernel.org', 'extra@example.org'] } } }).forList('l');
    const mailTo = { author: { address: 'jane@example.org' }, to: [{ address: 'list@vger.kernel.org' }, { address: 'BOT@example.net' }], cc: [{ name: 'M', address: 'm@example.org' }, { address: 'jane@example.org' }] };
    const rc = recipients(p, mailTo, 'bot@example.net');
    expect(rc.to.map((x) => x.address)).toEqual(['jane@example.org']);
    expect(rc.cc.map((x) => x.address)).toEqual(['list@vger.kernel.org', 'm@example.org']);
    const narrow = recipients(parsePolicy({ lists: { l: { reply_to_author: false, reply_all: false, cc: ['list@vger.kernel.org'] } } }).forList('l'), mailTo, 'bot@example.net');
    expect(narrow).toEqual({ to: [{ address: 'list@vger.kernel.org' }], cc: [] });
  });

  it('rate limits per author per hour defer the reply to a later run, never drop it', async () => {
    const dir = scratch();
    const db = openStore(join(dir, 's.sqlite'));
    let now = Date.parse('2025-01-15T10:00:00Z');
    try {
      const responder = new Responder(
        { db, policy: parsePolicy({ lists: { l: { mute: false, rate_limit: { per_list_per_hour: 10, per_author_per_hour: 2 } } } }), review: fakeReview, now: () => now },
        { bot: { address: 'bot@example.net' }, cacheDir: join(dir, 'c') },
      );
      for (let i = 0; i < 3; i++) {
        const body = twoFileDiff().replace(/b_register/g, `b${i}_register`).replace('drivers/b.c', `drivers/b${i}.c`);
        await responder.ingestMbox(Buffer.from(mail({ msgid: `r${i}@example.org`, subject: `[PATCH] r${i}`, body })), 'l');
      }
      await responder.processPending();
      const rows = () => db.prepare('SELECT in_reply_to, state, not_before, last_error FROM outbox ORDER BY in_reply_to').all() as { in_reply_to: string; state: string; not_before: number; last_error: string | null }[];
      expect(rows().map((r) => r.state)).toEqual(['pending', 'pending', 'pending']);
      const out = join(dir, 'out');
      const first = await responder.deliver(maildirTransport(out));
      expect(first.sent).toHaveLength(2);
      expect(first.deferred).toHaveLength(1);
      const held = rows().find((r) => r.state === 'pending')!;
      expect(held.last_error).toBe('rate limit: 2 replies per hour to jane@example.org; deferred until 2025-01-15T11:00:00.001Z');
      expect(held.not_before).toBe(now + 3600_000 + 1);
      // Half an hour later: still held. After the hour: sent.
      now += 1800_000;
      expect((await responder.deliver(maildirTransport(out))).sent).toHaveLength(0);
      now += 1800_001;
      expect((await responder.deliver(maildirTransport(out))).sent).toEqual([db.prepare('SELECT message_id FROM outbox WHERE in_reply_to = ?').pluck().get(held.in_reply_to)]);
      expect(rows().map((r) => r.state)).toEqual(['sent', 'sent', 'sent']);
      expect(readdirSync(join(out, 'new'))).toHaveLength(3);
    } finally {
      db.close();
      cleanup(dir);
    }
  });
});

describe('series reviewed as a whole', () => {
  it('a problem introduced in 1/3 and removed in 3/3 is not mailed; cross-list copies are read once', async () => {
    const dir = scratch();
    const db = openStore(join(dir, 's.sqlite'));
    try {
      const responder = new Responder(
        { db, policy: parsePolicy({ lists: { l: { mute: false }, m: { mute: false } } }), review: fakeReview },
        { bot: { address: 'bot@example.net' }, cacheDir: join(dir, 'c') },
      );
      const hunk = (from: string, to: string) =>
        `Change.\n\n---\ndiff --git a/drivers/f.c b/drivers/f.c\n--- a/drivers/f.c\n+++ b/drivers/f.c\n@@ -10,5 +10,5 @@ int foo_register(struct foo_type *type)\n {\n \tif (find_type(type->name))\n-\t\treturn ${from};\n+\t\treturn ${to};\n \treturn 0;\n }\n`;
      const parts = [
        mail({ msgid: 's0@example.org', subject: '[PATCH 0/3] f: churn', body: 'cover\n' }),
        mail({ msgid: 's1@example.org', subject: '[PATCH 1/3] f: one', inReplyTo: 's0@example.org', body: hunk('-ENOENT', '-EEXIST') }),
        mail({ msgid: 's2@example.org', subject: '[PATCH 2/3] f: two', inReplyTo: 's0@example.org', body: hunk('-ENOENT', '-ENOENT') .replace('drivers/f.c', 'drivers/g.c').replace('drivers/f.c', 'drivers/g.c').replace('drivers/f.c', 'drivers/g.c') }),
        mail({ msgid: 's3@example.org', subject: '[PATCH 3/3] f: three', inReplyTo: 's0@example.org', body: hunk('-EEXIST', '-EBUSY') }),
      ];
      for (const p of parts) await responder.ingestMbox(Buffer.from(p), 'l');
      // The same series cross-posted to list m: every copy is a duplicate.
      const dup = await responder.ingestMbox(Buffer.from(parts[1]!), 'm');
      expect(dup.duplicates).toBe(1);
      const r = await responder.processPending();
      expect(r.reviewed).toBe(1);
      expect(r.queued).toBe(0);
      const notes = JSON.parse((db.prepare('SELECT notes FROM lore_series').get() as { notes: string }).notes) as string[];
      expect(notes).toEqual(['module-init-eexist in drivers/f.c foo_register(): introduced by patch 1, removed by patch 3; bisection breaks in between']);
    } finally {
      db.close();
      cleanup(dir);
    }
  });
});

describe('versions linked through the thread', () => {
  it('v2 sent in reply to v1 (subject changed) supersedes the unreviewed v1', async () => {
    const dir = scratch();
    const db = openStore(join(dir, 's.sqlite'));
    try {
      const responder = new Responder(
        { db, policy: parsePolicy({ lists: { l: { mute: false } } }), review: fakeReview },
        { bot: { address: 'bot@example.net' }, cacheDir: join(dir, 'c') },
      );
      const body = (fn: string) =>
        `x\n\n---\ndiff --git a/d/${fn}.c b/d/${fn}.c\n--- a/d/${fn}.c\n+++ b/d/${fn}.c\n@@ -1,3 +1,3 @@ int ${fn}(void)\n {\n-\treturn 0;\n+\treturn -EEXIST;\n }\n`;
      for (const m of [
        mail({ msgid: 'v1-0@example.org', subject: '[PATCH 0/2] foo: old name', body: 'v1\n' }),
        mail({ msgid: 'v1-1@example.org', subject: '[PATCH 1/2] foo: a', inReplyTo: 'v1-0@example.org', body: body('a') }),
      ])
        await responder.ingestMbox(Buffer.from(m), 'l');
      expect((await responder.processPending()).waiting).toBe(1);
      for (const m of [
        mail({ msgid: 'v2-0@example.org', subject: '[PATCH v2 0/2] foo: a better name', inReplyTo: 'v1-0@example.org', body: 'v2\n' }),
        mail({ msgid: 'v2-1@example.org', subject: '[PATCH v2 1/2] foo: a', inReplyTo: 'v2-0@example.org', references: ['v1-0@example.org', 'v2-0@example.org'], body: body('a') }),
        mail({ msgid: 'v2-2@example.org', subject: '[PATCH v2 2/2] foo: b', inReplyTo: 'v2-0@example.org', references: ['v1-0@example.org', 'v2-0@example.org'], body: body('b') }),
      ])
        await responder.ingestMbox(Buffer.from(m), 'l');
      const r = await responder.processPending();
      expect(r.reviewed).toBe(1);
      expect(r.dropped).toBe(1);
      expect(db.prepare("SELECT status FROM lore_message WHERE msgid = 'v1-1@example.org'").get()).toEqual({ status: 'superseded' });
      expect((db.prepare("SELECT in_reply_to FROM outbox ORDER BY in_reply_to").all() as { in_reply_to: string }[]).map((x) => x.in_reply_to)).toEqual(['v2-1@example.org', 'v2-2@example.org']);
    } finally {
      db.close();
      cleanup(dir);
    }
  });
});
