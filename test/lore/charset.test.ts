// Patch mails in a declared charset other than UTF-8 (Latin-1 inline, a Latin-1 patch attachment,
// windows-1252, KOI8-R) are read in that charset and reviewed, over a real public-inbox
// repository; only what is truly undecodable (bytes invalid in the declared charset, an unknown
// charset) is skipped, and the skips are counted by kind in the summary line.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summary } from '../../src/commands/lore.js';
import { memoryLog } from '../../src/lore/log.js';
import { maildirTransport } from '../../src/lore/outbox.js';
import { parsePolicy } from '../../src/lore/policy.js';
import { emptyReport, Responder } from '../../src/lore/responder.js';
import { openStore, type DB } from '../../src/store/db.js';
import { cleanup, fakeReview, patchBody, scratch, TestInbox } from './helpers.js';

function encoded(o: { msgid: string; subject: string; charset: string; body: Buffer }): Buffer {
  const head = [
    'From: Jane Developer <jane@example.org>',
    'Date: Wed, 15 Jan 2025 09:12:00 +0000',
    `Subject: ${o.subject}`,
    `Message-ID: <${o.msgid}>`,
    'To: dm-devel@lists.linux.dev',
    'MIME-Version: 1.0',
    `Content-Type: text/plain; charset=${o.charset}`,
    'Content-Transfer-Encoding: 8bit',
    '',
    '',
  ].join('\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), o.body]);
}

/** A one-hunk patch whose added line carries a comment in the given charset's bytes. */
function body(fn: string, comment: Buffer): Buffer {
  const text = patchBody({ file: `drivers/cs/${fn}.c`, fn, eexist: true });
  const [pre, post] = text.split('\t\treturn -EEXIST;');
  return Buffer.concat([Buffer.from(pre!, 'latin1'), Buffer.from('\t\treturn -EEXIST; /* '), comment, Buffer.from(' */'), Buffer.from(post!, 'latin1')]);
}

describe('declared charsets', () => {
  let dir: string;
  let db: DB;
  const log = memoryLog();

  beforeAll(async () => {
    dir = scratch();
    db = openStore(join(dir, 'state.sqlite'));
    const inbox = new TestInbox(join(dir, 'inbox'));
    // Latin-1 inline: "Fran\xe7ois" in the comment.
    await inbox.add(encoded({ msgid: 'latin1@example.org', subject: '[PATCH] cs: latin1', charset: 'ISO-8859-1', body: body('latin_register', Buffer.from('Fran\xe7ois', 'latin1')) }));
    // windows-1252: a euro sign (0x80) that Latin-1 does not have.
    await inbox.add(encoded({ msgid: 'cp1252@example.org', subject: '[PATCH] cs: cp1252', charset: 'windows-1252', body: body('cp_register', Buffer.from([0x35, 0x80])) }));
    // KOI8-R: "\xf0\xd2\xc9\xd7\xc5\xd4" is "Привет".
    await inbox.add(encoded({ msgid: 'koi8@example.org', subject: '[PATCH] cs: koi8', charset: 'koi8-r', body: body('koi_register', Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4])) }));
    // A Latin-1 patch attachment (git send-email --attach style), text part in US-ASCII.
    const att = Buffer.concat([
      Buffer.from(
        [
          'From: Jane Developer <jane@example.org>',
          'Date: Wed, 15 Jan 2025 09:12:00 +0000',
          'Subject: [PATCH] cs: attached',
          'Message-ID: <attached@example.org>',
          'To: dm-devel@lists.linux.dev',
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary="b0"',
          '',
          '--b0',
          'Content-Type: text/plain; charset=us-ascii',
          '',
          'The patch is attached.',
          '',
          '--b0',
          'Content-Type: text/x-patch; charset=iso-8859-1; name="0001-cs.patch"',
          'Content-Disposition: attachment; filename="0001-cs.patch"',
          'Content-Transfer-Encoding: 8bit',
          '',
          '',
        ].join('\n'),
        'latin1',
      ),
      body('att_register', Buffer.from('caf\xe9', 'latin1')),
      Buffer.from('\n--b0--\n'),
    ]);
    await inbox.add(att);
    // Truly undecodable: bytes that are not UTF-8 in a mail declaring UTF-8, and an unknown charset.
    await inbox.add(encoded({ msgid: 'bad-utf8@example.org', subject: '[PATCH] cs: bad', charset: 'UTF-8', body: body('bad_register', Buffer.from([0xff, 0xfe, 0x80])) }));
    await inbox.add(encoded({ msgid: 'unknown@example.org', subject: '[PATCH] cs: unknown', charset: 'x-no-such-charset', body: body('unk_register', Buffer.from([0xe9, 0xe8])) }));
    await inbox.publish();
  });
  afterAll(() => {
    db.close();
    cleanup(dir);
  });

  it('reviews the Latin-1, windows-1252, KOI8-R and attached Latin-1 patches; skips the undecodable two, counted', async () => {
    const responder = new Responder(
      { db, policy: parsePolicy({ lists: { cs: { mute: false, rate_limit: { per_list_per_hour: 20, per_author_per_hour: 10 } } } }), review: fakeReview, log },
      { bot: { address: 'bot@example.net' }, cacheDir: join(dir, 'cache') },
    );
    const r = emptyReport();
    await responder.syncInbox({ name: 'cs', url: join(dir, 'inbox') }, r);
    await responder.processPending(r);
    const transport = maildirTransport(join(dir, 'out'));
    await responder.deliver(transport);
    expect(r.reviewed).toBe(4);
    expect(r.skipped).toBe(2);
    expect(r.skips).toEqual({ 'undecodable text': 2 });
    const skips = db.prepare('SELECT msgid, reason FROM lore_skip ORDER BY id').all() as { msgid: string; reason: string }[];
    expect(skips.map((s) => s.msgid)).toEqual(['bad-utf8@example.org', 'unknown@example.org']);
    expect(summary(r, db, transport)).toMatch(/^lore sync: 4 new message\(s\), 2 skipped \(2 undecodable text\), 4 series reviewed/);

    // The replies quote the lines as written, now in UTF-8.
    const emls = readdirSync(join(dir, 'out', 'new')).map((f) => readFileSync(join(dir, 'out', 'new', f), 'utf8'));
    expect(emls).toHaveLength(4);
    const all = emls.join('\n');
    expect(all).toContain('> +\t\treturn -EEXIST; /* François */');
    expect(all).toContain('> +\t\treturn -EEXIST; /* 5€ */');
    expect(all).toContain('> +\t\treturn -EEXIST; /* Привет */');
    expect(all).toContain('> +\t\treturn -EEXIST; /* café */');
  });
});
