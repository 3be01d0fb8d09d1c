import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addedLines, applyHunks, hunkOnlyImages, preImageMatches, removedLines, reverseApplies } from '../../src/diff/apply.js';
import { parseUnifiedDiff } from '../../src/diff/parse.js';
import type { FileDiff } from '../../src/diff/types.js';
import { kernelFile } from '../helpers/kernel.js';

const example = (name: string): string => readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8');
const onlyFile = (text: string): FileDiff => {
  const files = parseUnifiedDiff(text);
  expect(files).toHaveLength(1);
  return files[0]!;
};

describe('applyHunks on real Linux 6.12 files', () => {
  const dmLog = kernelFile('drivers/md/dm-log.c');

  it('applies the -EEXIST example to dm-log.c and recognises the result as already applied', () => {
    const file = onlyFile(example('dm-log-eexist.patch'));
    const res = applyHunks(dmLog, file);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.offsets).toEqual([0]);
    const post = res.post.split('\n');
    expect(post[123]).toBe('\t\tr = -EEXIST;');
    expect(dmLog.split('\n')[123]).toBe('\t\tr = -EBUSY;');
    expect(post.length).toBe(dmLog.split('\n').length);

    expect(preImageMatches(dmLog, file)).toBe(true);
    expect(reverseApplies(dmLog, file)).toBe(false);
    // Fed the post-image, the patch no longer applies but applies in reverse: "already applied".
    expect(preImageMatches(res.post, file)).toBe(false);
    expect(reverseApplies(res.post, file)).toBe(true);
    const again = applyHunks(res.post, file);
    expect(again.ok).toBe(false);
    if (!again.ok) expect(again.reason).toMatch(/hunk 1 of 1 \(@@ -121,7 \+121,7 @@\) does not match/);
  });

  it('lets hunks land at an offset and reports it per hunk', () => {
    const file = onlyFile(example('dm-log-comment.patch'));
    expect(file.hunks).toHaveLength(2);
    const shifted = `/* three */\n/* extra */\n/* lines */\n${dmLog}`;
    const res = applyHunks(shifted, file);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.offsets).toEqual([3, 3]);
    expect(res.post.startsWith('/* three */\n')).toBe(true);
    expect(res.post).toContain('Module for dirty log type');
    expect(res.post).toContain(' * in log_header_disk.magic.\n');
  });

  it('does not fuzz: one changed context line makes the hunk fail', () => {
    const file = onlyFile(example('dm-log-eexist.patch'));
    const edited = dmLog.replace('\t\tlist_add(&type->list, &_log_types);', '\t\tlist_add_tail(&type->list, &_log_types);');
    const res = applyHunks(edited, file);
    expect(res).toEqual({ ok: false, reason: expect.stringContaining('does not match the pre-image') });
  });

  it('applies a web-archive hunk only where its text really matches (seed 000 has spaces for tabs)', () => {
    const seed = readFileSync(new URL('../fixtures/seeds/000_13177789b114347e.txt', import.meta.url), 'utf8');
    const target = parseUnifiedDiff(seed).find((f) => f.newPath === 'drivers/md/dm-target.c')!;
    expect(target.hunks).toHaveLength(1);
    expect(preImageMatches(kernelFile('drivers/md/dm-target.c'), target)).toBe(false);
  });
});

describe('new, deleted, binary and hunk-less files', () => {
  const added = onlyFile('diff --git a/n.c b/n.c\nnew file mode 100644\n--- /dev/null\n+++ b/n.c\n@@ -0,0 +1,2 @@\n+a\n+b\n');
  const deleted = onlyFile('diff --git a/n.c b/n.c\ndeleted file mode 100644\n--- a/n.c\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n');

  it('creates and deletes whole files', () => {
    expect(applyHunks('', added)).toEqual({ ok: true, post: 'a\nb\n', offsets: [0] });
    expect(applyHunks('a\nb\n', deleted)).toEqual({ ok: true, post: '', offsets: [0] });
    expect(reverseApplies('a\nb\n', added)).toBe(true);
    expect(reverseApplies('a\nx\n', added)).toBe(false);
  });

  it('handles a missing newline at end of file', () => {
    const f = onlyFile('--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n');
    expect(applyHunks('a\nb', f)).toEqual({ ok: true, post: 'a\nc', offsets: [0] });
    expect(applyHunks('a\nb\n', f).ok).toBe(false);
  });

  it('refuses binary patches and passes hunk-less ones through', () => {
    const bin = onlyFile('diff --git a/x.bin b/x.bin\nindex 1111111..2222222 100644\nBinary files a/x.bin and b/x.bin differ\n');
    expect(applyHunks('abc', bin)).toEqual({ ok: false, reason: expect.stringContaining('binary') });
    const mode = onlyFile('diff --git a/s.sh b/s.sh\nold mode 100644\nnew mode 100755\n');
    expect(applyHunks('x\n', mode)).toEqual({ ok: true, post: 'x\n', offsets: [] });
    expect(reverseApplies('x\n', mode)).toBe(false);
  });
});

describe('line bookkeeping', () => {
  const file = onlyFile(`--- a/f.c
+++ b/f.c
@@ -3,4 +3,5 @@ int f(void)
 three
-four
+FOUR
+four and a half
 five
 six
@@ -20,3 +21,2 @@
 twenty
-twenty-one
 twenty-two
`);

  it('addedLines / removedLines give post- and pre-image numbers', () => {
    expect([...addedLines(file)]).toEqual([4, 5]);
    expect([...removedLines(file)]).toEqual([4, 21]);
  });

  it('hunkOnlyImages puts every hunk line at its real line number', () => {
    const { pre, post } = hunkOnlyImages(file);
    const preLines = pre.split('\n');
    const postLines = post.split('\n');
    expect(preLines[2]).toBe('three');
    expect(preLines[3]).toBe('four');
    expect(preLines[5]).toBe('six');
    expect(preLines[19]).toBe('twenty');
    expect(preLines[20]).toBe('twenty-one');
    expect(preLines[21]).toBe('twenty-two');
    expect(preLines.slice(6, 19).every((l) => l === '')).toBe(true);
    expect(postLines[3]).toBe('FOUR');
    expect(postLines[4]).toBe('four and a half');
    expect(postLines[6]).toBe('six');
    expect(postLines[20]).toBe('twenty');
    expect(postLines[21]).toBe('twenty-two');
    expect(pre.endsWith('twenty-two\n')).toBe(true);
    expect(post.endsWith('twenty-two\n')).toBe(true);
  });

  it('hunkOnlyImages of the example puts the change on line 124 of both images', () => {
    const eexist = onlyFile(example('dm-log-eexist.patch'));
    const { pre, post } = hunkOnlyImages(eexist);
    expect(pre.split('\n')[123]).toBe('\t\tr = -EBUSY;');
    expect(post.split('\n')[123]).toBe('\t\tr = -EEXIST;');
    expect([...addedLines(eexist)]).toEqual([124]);
    // The pseudo pre-image is a valid pre-image for the patch itself.
    const res = applyHunks(pre, eexist);
    expect(res.ok && res.post).toBe(post);
  });
});
