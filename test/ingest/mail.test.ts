import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { readMail } from '../../src/ingest/mail.js';
import { readSubmission } from '../../src/ingest/series.js';

const bytes = (rel: string): Buffer => readFileSync(new URL(`../${rel}`, import.meta.url));
const example = (name: string): Buffer => readFileSync(new URL(`../../examples/${name}`, import.meta.url));

describe('readSubmission: examples', () => {
  it('reads the out-of-order v2 series: cover apart, patches 1..3, base-commit from the cover', async () => {
    const sub = await readSubmission(example('series-v2.mbox'));
    expect(sub.source).toBe('mbox');
    expect(sub.problems).toEqual([]);
    expect(sub.series).toMatchObject({
      subject: 'dm log: message and documentation cleanups',
      version: 2,
      total: 3,
      baseCommit: '4de73e5e28240d70a608201c1b8b0668ff5ce59f',
    });
    expect(sub.series.cover?.tags.index).toBe(0);
    expect(sub.series.cover?.commitMessage).toContain('Changes in v2:');
    expect(sub.series.cover?.files).toEqual([]);
    expect(sub.patches.map((p) => p.tags.index)).toEqual([1, 2, 3]);
    expect(sub.patches.map((p) => p.subject)).toEqual([
      'dm log: use one spelling in the sync argument warning',
      'docs: dm-log: name the userspace log module',
      'docs: device-mapper: rename dm-log.rst to dirty-log.rst',
    ]);
    const [p1, p2, p3] = sub.patches;
    expect(p1!.files.map((f) => [f.status, f.newPath])).toEqual([['modified', 'drivers/md/dm-log.c']]);
    expect(p2!.files.map((f) => [f.status, f.newPath])).toEqual([['modified', 'Documentation/admin-guide/device-mapper/dm-log.rst']]);
    expect(p3!.files.map((f) => [f.status, f.oldPath, f.newPath, f.hunks.length])).toEqual([
      ['renamed', 'Documentation/admin-guide/device-mapper/dm-log.rst', 'Documentation/admin-guide/device-mapper/dirty-log.rst', 0],
      ['modified', 'Documentation/admin-guide/device-mapper/index.rst', 'Documentation/admin-guide/device-mapper/index.rst', 1],
    ]);
    for (const p of sub.patches) {
      expect(p.problems).toEqual([]);
      expect(p.author).toEqual({ name: 'Jane Developer', address: 'jane@example.org' });
      expect(p.messageId).toMatch(/^[0-9a-f]{40}\.\d+\.git\.jane@example\.org$/);
      expect(p.inReplyTo).toBe(sub.series.cover!.messageId);
      expect(p.references).toEqual([sub.series.cover!.messageId]);
      expect(p.to).toEqual([{ address: 'dm-devel@lists.linux.dev' }]);
      expect(p.cc).toEqual([{ name: 'Alasdair Kergon', address: 'agk@redhat.com' }]);
      expect(p.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(p.commitMessage).toMatch(/Signed-off-by: Jane Developer <jane@example.org>$/);
      expect(p.commitMessage).not.toContain('diff --git');
    }
  });

  it('reads the single-patch demo: commit message, diff, base-commit, format-patch sha', async () => {
    const sub = await readSubmission(example('dm-log-eexist.patch'));
    expect(sub.source).toBe('mail');
    expect(sub.problems).toEqual([]);
    expect(sub.series).toMatchObject({ subject: 'dm log: return -EEXIST for duplicate log types', version: 1, total: 1, baseCommit: '4de73e5e28240d70a608201c1b8b0668ff5ce59f' });
    expect(sub.series.cover).toBeUndefined();
    const [p] = sub.patches;
    expect(p!.rawSubject).toBe('[PATCH] dm log: return -EEXIST for duplicate log types');
    expect(p!.tags).toMatchObject({ index: 1, total: 1, isPatch: true, reply: false });
    expect(p!.commit).toBe('d6af419c1dce547e290ba91f515e5b66ecd55e8a');
    expect(p!.date).toBe('2025-01-15T09:12:00.000Z');
    expect(p!.commitMessage.startsWith('dm_dirty_log_type_register() fails with -EBUSY')).toBe(true);
    expect(p!.files).toHaveLength(1);
    const f = p!.files[0]!;
    expect(f).toMatchObject({ newPath: 'drivers/md/dm-log.c', oldBlob: 'c8a1f9b6385f', newBlob: '82f51eca273c', problems: [] });
    // The signature ("-- \n2.39.5") and base-commit are not part of the hunk.
    expect(f.hunks[0]!.lines).toHaveLength(8);
  });

  it('reads the same mail without the `From <sha>` line, and as a string', async () => {
    const text = example('dm-log-comment.patch').toString('utf8');
    const sub = await readSubmission(text.slice(text.indexOf('\n') + 1));
    expect(sub.source).toBe('mail');
    expect(sub.patches[0]!.commit).toBeUndefined();
    expect(sub.patches[0]!.files[0]!.hunks).toHaveLength(2);
  });
});

describe('readSubmission: a lore thread with versions, replies, duplicates and gaps', () => {
  it('keeps v2 only, orders it, skips the reply and the diff-less ping, dedupes, reports 2/3 missing', async () => {
    const sub = await readSubmission(bytes('fixtures/mail/thread.mbox'));
    expect(sub.source).toBe('mbox');
    expect(sub.series).toMatchObject({
      subject: 'dm log: three things',
      version: 2,
      total: 3,
      baseCommit: '4de73e5e28240d70a608201c1b8b0668ff5ce59f',
      changeId: '20250121-dm-log-things-0123456789ab',
    });
    expect(sub.series.cover?.messageId).toBe('v2-cover@example.org');
    expect(sub.patches.map((p) => p.messageId)).toEqual(['v2-1@example.org', 'v2-3@example.org']);
    expect(sub.problems).toEqual([
      'the input holds versions v1, v2 of the series; only v2 is reviewed',
      'patch 2/3 missing',
    ]);
    // mboxrd escaping is undone in bodies.
    expect(sub.series.cover?.commitMessage).toContain('\nFrom here on, a line that an mbox writer escaped.');
    expect(sub.patches[0]!.cc).toEqual([
      { name: 'Kim Maintainer', address: 'kim@example.org' },
      { name: 'Lee', address: 'lee@example.org' },
    ]);
  });
});

describe('readSubmission: MIME', () => {
  it('finds a patch sent as a base64 text/x-patch attachment', async () => {
    const sub = await readSubmission(bytes('fixtures/mail/attachment.eml'));
    const [p] = sub.patches;
    expect(p!.commitMessage).toContain('Patch attached');
    expect(p!.files.map((f) => f.newPath)).toEqual(['drivers/md/dm-log.c']);
    expect(p!.files[0]!.hunks[0]!.lines.find((l) => l.kind === 'add')?.text).toBe('\t\tr = -EEXIST;');
  });

  it('decodes a Latin-1 quoted-printable mail and its encoded-word subject', async () => {
    const sub = await readSubmission(bytes('fixtures/mail/latin1.eml'));
    const [p] = sub.patches;
    expect(p!.rawSubject).toBe('[PATCH] dm log: fix comment for Jörg');
    expect(p!.author).toEqual({ name: 'Jörg Developer', address: 'joerg@example.org' });
    expect(p!.commitMessage).toContain('Café comment fix, a very long line that the mailer had to soft-break here and continue.');
    expect(p!.files[0]!.hunks[0]!.lines[1]).toEqual({ kind: 'add', text: '/* café */', newLine: 1 });
  });
});

describe('readSubmission: seed 000 (web-archive copy with wrapped lines)', () => {
  it('reads it without crashing, drops the wrapped hunks with problems, keeps the rest', async () => {
    const sub = await readSubmission(bytes('fixtures/seeds/000_13177789b114347e.txt'));
    expect(sub.source).toBe('mail');
    expect(sub.series.baseCommit).toBe('8f0b4cce4481fb22653697cced8d0d04027cb1e8');
    expect(sub.series.changeId).toBe('20251218-dev-module-init-eexists-dm-devel-2d656f9f2365');
    expect(sub.patches).toHaveLength(1);
    const p = sub.patches[0]!;
    expect(p.author?.name).toBe('Daniel Gomez');
    expect(p.commitMessage).toMatch(/^The -EEXIST error code is reserved/);
    expect(p.commitMessage).toMatch(/Signed-off-by: Daniel Gomez/);
    expect(p.files.map((f) => [f.newPath, f.hunks.length])).toEqual([
      ['drivers/md/dm-exception-store.c', 0],
      ['drivers/md/dm-log.c', 0],
      ['drivers/md/dm-path-selector.c', 0],
      ['drivers/md/dm-target.c', 1],
    ]);
    expect(p.problems).toHaveLength(3);
    expect(p.problems.every((m) => m.includes('dropped hunk "@@ -'))).toBe(true);
    expect(p.problems.some((m) => m.startsWith('drivers/md/dm-path-selector.c: dropped hunk "@@ -107,7 +107,7 @@'))).toBe(true);
  });
});

describe('readSubmission: bare diffs', () => {
  it('reads a git diff with no mail around it', async () => {
    const text = example('dm-log-eexist.patch').toString('utf8');
    const sub = await readSubmission(text.slice(text.indexOf('diff --git')));
    expect(sub.source).toBe('diff');
    expect(sub.patches).toHaveLength(1);
    expect(sub.patches[0]!.files[0]!.newPath).toBe('drivers/md/dm-log.c');
    expect(sub.series.baseCommit).toBe('4de73e5e28240d70a608201c1b8b0668ff5ce59f');
  });

  it('keeps `git show` text before the diff as the commit message, and honours opts.source', async () => {
    const sub = await readSubmission('commit 1234\nAuthor: X <x@y>\n\n    fix it\n\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n', { source: 'github' });
    expect(sub.source).toBe('github');
    expect(sub.patches[0]!.commitMessage).toContain('fix it');
    expect(sub.patches[0]!.files[0]!.hunks).toHaveLength(1);
  });

  it('reads a non-UTF-8 bare diff as Latin-1 and says so', async () => {
    const sub = await readSubmission(Buffer.from('--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+caf\xe9\n', 'latin1'));
    expect(sub.patches[0]!.files[0]!.hunks[0]!.lines[1]!.text).toBe('café');
    expect(sub.patches[0]!.problems).toContain('input is not valid UTF-8; read as Latin-1');
  });
});

describe('readSubmission: bad input', () => {
  it('empty input → InputError', async () => {
    await expect(readSubmission('')).rejects.toThrow(InputError);
    await expect(readSubmission(Buffer.alloc(0))).rejects.toThrow(/empty input/);
    await expect(readSubmission('\n \r\n\t')).rejects.toThrow(InputError);
  });

  it('random bytes → InputError with a one-line message', async () => {
    let seed = 12345;
    const rnd = Buffer.from(Array.from({ length: 8192 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff));
    const err = await readSubmission(rnd).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).not.toContain('\n');
    await expect(readSubmission('just some words, not a patch\n')).rejects.toThrow(/no mail headers and no diff/);
  });

  it('an mbox with no readable message → InputError', async () => {
    await expect(readSubmission('From mboxrd@z Thu Jan  1 00:00:00 1970\n\x00\x01garbage\n\nmore\n')).rejects.toThrow(/no readable message/);
  });

  it('a truncated mbox: complete messages read, the cut is reported', async () => {
    const full = example('series-v2.mbox').toString('utf8');
    // Cut in the middle of the last message's hunk (1/3 is stored last).
    const at = full.lastIndexOf('DMWARN("unrecognised');
    expect(at).toBeGreaterThan(0);
    const cut = full.slice(0, at + 10);
    const sub = await readSubmission(cut);
    expect(sub.problems.some((m) => /looks truncated: the message ends inside a hunk/.test(m))).toBe(true);
    expect(sub.patches.map((p) => p.tags.index)).toEqual([1, 2, 3]);
    expect(sub.patches[0]!.files[0]!.hunks).toEqual([]);
    expect(sub.patches[0]!.problems[0]).toMatch(/dm-log\.c: dropped hunk .*truncated/);
    expect(sub.patches[1]!.files[0]!.hunks).toHaveLength(1);

    // Cut inside the last message's headers: that message is dropped, 1/3 is reported missing.
    const cutHead = full.slice(0, full.lastIndexOf('Subject: [PATCH v2 1/3]') + 12);
    const sub2 = await readSubmission(cutHead);
    expect(sub2.problems).toEqual(expect.arrayContaining([expect.stringMatching(/looks truncated: the message ends inside its headers/), 'patch 1/3 missing']));
    expect(sub2.patches.map((p) => p.tags.index)).toEqual([2, 3]);
  });

  it('binary junk inside a mail does not crash anything', async () => {
    const junk = Buffer.concat([
      Buffer.from('From: x@example.org\nSubject: [PATCH] junk\nContent-Type: text/plain; charset=utf-8\n\n'),
      Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x0a]),
      Buffer.from('diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-\xff\n+\x00\n'),
    ]);
    const sub = await readSubmission(junk);
    expect(sub.patches).toHaveLength(1);
    expect(sub.patches[0]!.problems.some((m) => /could not be decoded/.test(m))).toBe(true);
    const odd = Buffer.from('From: x@example.org\nContent-Type: multipart/mixed; boundary="b"\nSubject: [PATCH] bad mime\n\n--b\nContent-Transfer-Encoding: base64\n\n!!!!not base64@@@@\n');
    await expect(readSubmission(odd)).resolves.toMatchObject({ patches: [] });
  });

  it('a mail with headers but no diff gives no patches and says why', async () => {
    const sub = await readSubmission('From: a@example.org\nSubject: Re: [PATCH] foo\n\nLooks good.\n');
    expect(sub.patches).toEqual([]);
    expect(sub.problems[0]).toMatch(/no patch found/);
  });
});

describe('readMail', () => {
  it('never throws and records the From line sha', async () => {
    const m = await readMail(Buffer.from('Subject: [PATCH 2/4] x\n\nbody\n'), { fromLine: 'From 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001' });
    expect(m.patch.commit).toBe('0123456789abcdef0123456789abcdef01234567');
    expect(m.hasDiff).toBe(false);
    expect(m.patch.tags).toMatchObject({ index: 2, total: 4 });
  });
});

describe('readSubmission: concatenated format-patch files', () => {
  it('splits on the format-patch From line even without a blank line before it', async () => {
    const a = example('dm-log-eexist.patch').toString('utf8').replace(/\n+$/, '\n');
    const b = example('dm-log-comment.patch').toString('utf8');
    const sub = await readSubmission(a + b);
    expect(sub.source).toBe('mbox');
    // Two unrelated lone patches: both kept, in input order.
    expect(sub.patches.map((p) => p.subject)).toEqual([
      'dm log: return -EEXIST for duplicate log types',
      'dm log: clarify the mirror magic comment and a module warning',
    ]);
  });
});
