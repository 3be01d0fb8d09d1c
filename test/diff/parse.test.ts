import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseUnifiedDiff } from '../../src/diff/parse.js';

const fixture = (p: string): string => readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8');

describe('parseUnifiedDiff: git extended headers', () => {
  it('reads a modified C file with blob ids, mode and numbered lines', () => {
    const [f, ...rest] = parseUnifiedDiff(`diff --git a/drivers/md/dm-log.c b/drivers/md/dm-log.c
index c8a1f9b6385f..82f51eca273c 100644
--- a/drivers/md/dm-log.c
+++ b/drivers/md/dm-log.c
@@ -121,7 +121,7 @@ int dm_dirty_log_type_register(struct dm_dirty_log_type *type)
 	if (!__find_dirty_log_type(type->name))
 		list_add(&type->list, &_log_types);
 	else
-		r = -EBUSY;
+		r = -EEXIST;
 	spin_unlock(&_lock);
 
 	return r;
`);
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      oldPath: 'drivers/md/dm-log.c',
      newPath: 'drivers/md/dm-log.c',
      status: 'modified',
      binary: false,
      oldBlob: 'c8a1f9b6385f',
      newBlob: '82f51eca273c',
      oldMode: '100644',
      newMode: '100644',
      problems: [],
    });
    const h = f!.hunks[0]!;
    expect(h).toMatchObject({ oldStart: 121, oldLines: 7, newStart: 121, newLines: 7, section: 'int dm_dirty_log_type_register(struct dm_dirty_log_type *type)' });
    expect(h.lines[3]).toEqual({ kind: 'del', text: '\t\tr = -EBUSY;', oldLine: 124 });
    expect(h.lines[4]).toEqual({ kind: 'add', text: '\t\tr = -EEXIST;', newLine: 124 });
    expect(h.lines[5]).toEqual({ kind: 'context', text: '\tspin_unlock(&_lock);', oldLine: 125, newLine: 125 });
    // The blank context line (" ") keeps its empty text.
    expect(h.lines[6]).toEqual({ kind: 'context', text: '', oldLine: 126, newLine: 126 });
  });

  it('reads new, deleted, renamed, copied, mode-only, binary and non-C files in one diff', () => {
    const files = parseUnifiedDiff(`diff --git a/Documentation/x.rst b/Documentation/x.rst
new file mode 100644
index 000000000000..e69de29bb2d1
--- /dev/null
+++ b/Documentation/x.rst
@@ -0,0 +1,2 @@
+Title
+=====
diff --git a/drivers/md/old.c b/drivers/md/old.c
deleted file mode 100644
index 1234567890ab..000000000000
--- a/drivers/md/old.c
+++ /dev/null
@@ -1,2 +0,0 @@
-int a;
-int b;
diff --git a/Documentation/admin-guide/device-mapper/dm-log.rst b/Documentation/admin-guide/device-mapper/dirty-log.rst
similarity index 100%
rename from Documentation/admin-guide/device-mapper/dm-log.rst
rename to Documentation/admin-guide/device-mapper/dirty-log.rst
diff --git a/drivers/md/Kconfig b/drivers/md/Kconfig2
similarity index 90%
copy from drivers/md/Kconfig
copy to drivers/md/Kconfig2
index 111111111111..222222222222 100644
--- a/drivers/md/Kconfig
+++ b/drivers/md/Kconfig2
@@ -1 +1 @@
-menu "Multiple devices driver support (RAID and LVM)"
+menu "Copy"
diff --git a/tools/testing/selftests/net/lib.sh b/tools/testing/selftests/net/lib.sh
old mode 100644
new mode 100755
diff --git a/firmware/blob.bin b/firmware/blob.bin
index 333333333333..444444444444 100644
Binary files a/firmware/blob.bin and b/firmware/blob.bin differ
diff --git a/logo.png b/logo.png
new file mode 100644
index 0000000000000000000000000000000000000000..5555555555555555555555555555555555555555
GIT binary patch
literal 12
TcmZ?wbhEHbWMp7uc+3C+0Dq<;

literal 0
HcmV?d00001

diff --git a/with space.c b/with space.c
index 666666666666..777777777777 100644
--- a/with space.c
+++ b/with space.c
@@ -1 +1 @@
-a
+b
diff --git "a/t\\303\\251st.c" "b/t\\303\\251st.c"
index 888888888888..999999999999 100644
--- "a/t\\303\\251st.c"
+++ "b/t\\303\\251st.c"
@@ -1 +1 @@
-x
+y
`);
    const summary = files.map((f) => [f.status, f.oldPath, f.newPath, f.binary, f.hunks.length]);
    expect(summary).toEqual([
      ['added', null, 'Documentation/x.rst', false, 1],
      ['deleted', 'drivers/md/old.c', null, false, 1],
      ['renamed', 'Documentation/admin-guide/device-mapper/dm-log.rst', 'Documentation/admin-guide/device-mapper/dirty-log.rst', false, 0],
      ['copied', 'drivers/md/Kconfig', 'drivers/md/Kconfig2', false, 1],
      ['mode-only', 'tools/testing/selftests/net/lib.sh', 'tools/testing/selftests/net/lib.sh', false, 0],
      ['modified', 'firmware/blob.bin', 'firmware/blob.bin', true, 0],
      ['added', null, 'logo.png', true, 0],
      ['modified', 'with space.c', 'with space.c', false, 1],
      ['modified', 'tést.c', 'tést.c', false, 1],
    ]);
    expect(files[4]).toMatchObject({ oldMode: '100644', newMode: '100755' });
    expect(files[0]!.hunks[0]!.lines.map((l) => l.newLine)).toEqual([1, 2]);
    expect(files[1]!.hunks[0]!.lines.map((l) => l.oldLine)).toEqual([1, 2]);
    expect(files.flatMap((f) => f.problems)).toEqual([]);
  });

  it('reads a plain diff -u / quilt diff (paths taken -p1, timestamps dropped)', () => {
    const [f] = parseUnifiedDiff(`Index: linux/drivers/md/dm-log.c
===================================================================
--- linux.orig/drivers/md/dm-log.c\t2024-11-17 22:15:08.000000000 +0100
+++ linux/drivers/md/dm-log.c\t2025-01-15 10:00:00.000000000 +0100
@@ -1,2 +1,2 @@
-a
+b
 c
`);
    expect(f).toMatchObject({ oldPath: 'drivers/md/dm-log.c', newPath: 'drivers/md/dm-log.c', status: 'modified', problems: [] });
  });

  it('keeps `\\ No newline at end of file` as a flag on the line before it', () => {
    const [f] = parseUnifiedDiff(`--- a/f
+++ b/f
@@ -1,2 +1,2 @@
 a
-b
\\ No newline at end of file
+c
\\ No newline at end of file
`);
    expect(f!.hunks[0]!.lines).toEqual([
      { kind: 'context', text: 'a', oldLine: 1, newLine: 1 },
      { kind: 'del', text: 'b', oldLine: 2, noNewline: true },
      { kind: 'add', text: 'c', newLine: 2, noNewline: true },
    ]);
    expect(f!.problems).toEqual([]);
  });
});

describe('parseUnifiedDiff: malformed hunks are dropped with a problem, the rest kept', () => {
  it('seed 000 (web-archive copy, wrapped hunk headers)', () => {
    const files = parseUnifiedDiff(fixture('seeds/000_13177789b114347e.txt'));
    expect(files.map((f) => f.newPath)).toEqual([
      'drivers/md/dm-exception-store.c',
      'drivers/md/dm-log.c',
      'drivers/md/dm-path-selector.c',
      'drivers/md/dm-target.c',
    ]);
    // Three hunk headers were wrapped onto two lines by the archive: those hunks are dropped ...
    expect(files.slice(0, 3).map((f) => f.hunks.length)).toEqual([0, 0, 0]);
    const problems = files.flatMap((f) => f.problems);
    expect(problems).toHaveLength(3);
    expect(problems[1]).toContain('drivers/md/dm-log.c');
    expect(problems[1]).toContain('@@ -121,7 +121,7 @@');
    expect(problems[1]).toContain('*type)');
    // ... the intact one is kept, with the archive's spaces-for-tabs as they are.
    const target = files[3]!;
    expect(target.problems).toEqual([]);
    expect(target.oldBlob).toBe('8fede41adec0');
    expect(target.hunks).toHaveLength(1);
    const del = target.hunks[0]!.lines.find((l) => l.kind === 'del')!;
    expect(del).toMatchObject({ text: '               rv = -EEXIST;', oldLine: 91 });
  });

  const twoHunks = (firstBody: string): string => `diff --git a/f.c b/f.c
--- a/f.c
+++ b/f.c
@@ -1,3 +1,3 @@ first
${firstBody}@@ -10,2 +10,2 @@ second
 ten
-eleven
+ELEVEN
`;

  it('a hunk with fewer lines than its header: dropped, next hunk kept', () => {
    const [f] = parseUnifiedDiff(twoHunks(' a\n-b\n+B\n'));
    expect(f!.hunks.map((h) => h.oldStart)).toEqual([10]);
    expect(f!.problems).toHaveLength(1);
    expect(f!.problems[0]).toMatch(/^f\.c: dropped hunk "@@ -1,3 \+1,3 @@ first": line 4 of the hunk is not a diff line/);
  });

  it('a hunk with more lines than its header: dropped', () => {
    const [f] = parseUnifiedDiff(twoHunks(' a\n-b\n+B\n c\n-d\n'));
    expect(f!.hunks.map((h) => h.oldStart)).toEqual([10]);
    expect(f!.problems[0]).toMatch(/more lines follow than its header counts/);
  });

  it('a hunk whose - and + lines do not match the counts: dropped', () => {
    const [f] = parseUnifiedDiff(twoHunks('-a\n-b\n-c\n-d\n'));
    expect(f!.hunks.map((h) => h.oldStart)).toEqual([10]);
    expect(f!.problems[0]).toMatch(/do not add up/);
  });

  it('a hunk cut off by the end of input, and a short hunk followed by the next file', () => {
    const files = parseUnifiedDiff(`diff --git a/a.c b/a.c
--- a/a.c
+++ b/a.c
@@ -1,5 +1,5 @@
 x
-y
diff --git a/b.c b/b.c
--- a/b.c
+++ b/b.c
@@ -1,3 +1,3 @@
 p
-q
`);
    expect(files.map((f) => [f.newPath, f.hunks.length])).toEqual([['a.c', 0], ['b.c', 0]]);
    expect(files[0]!.problems[0]).toMatch(/not a diff line \("diff --git/);
    expect(files[1]!.problems[0]).toMatch(/truncated/);
  });

  it('an unreadable hunk header is reported', () => {
    const [f] = parseUnifiedDiff('--- a/x\n+++ b/x\n@@ -1,2 +1,2\n a\n');
    expect(f!.hunks).toEqual([]);
    expect(f!.problems[0]).toMatch(/unreadable hunk header/);
  });

  it('ignores the format-patch signature and trailers after the last hunk', () => {
    const [f] = parseUnifiedDiff('--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n\nbase-commit: abc\n-- \n2.39.5\n');
    expect(f!.hunks).toHaveLength(1);
    expect(f!.problems).toEqual([]);
  });

  it('never throws on garbage', () => {
    const junk = [
      '',
      '\0\0\0',
      '@@ -1 +1 @@\n+x\n',
      'diff --git\n',
      'diff --git a/x b/x\n@@ -99999999999999999999,1 +1 @@\n',
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)).toString('latin1'),
      '--- \n+++ \n@@ -0,0 +0,0 @@\n',
    ];
    for (const j of junk) expect(() => parseUnifiedDiff(j)).not.toThrow();
    expect(parseUnifiedDiff('')).toEqual([]);
    expect(parseUnifiedDiff('hello world\n')).toEqual([]);
  });
});
