// Issue 13 (fuzzing): the diff reader's date-suffix regex was quadratic on a long blank run, and
// hunk headers' numbers were taken as they came: `@@ -1000000000,7 ...` made the pre-image search
// walk a billion positions, and a start of 3e8 without a tree sized an array of that many lines.
// Backtracking is counted, not timed: see test/helpers/backtracking.ts.
import { describe, expect, it } from 'vitest';
import { applyHunks, reverseApplies } from '../../src/diff/apply.js';
import { MAX_HUNK_LINE, parseUnifiedDiff } from '../../src/diff/parse.js';
import { reviewSubmission } from '../../src/engine/review.js';
import { readSubmission } from '../../src/ingest/series.js';
import { overBudget, srcModule } from '../helpers/backtracking.js';

const PRE = `${Array.from({ length: 20 }, (_, i) => `l${i + 1}`).join('\n')}\n`;

describe('---/+++ lines with a long blank run', () => {
  it('reading the path backtracks linearly', async () => {
    const text = `--- a/x${' '.repeat(3000)}y\n+++ b/x${'\t'.repeat(3000)}\rz\n@@ -1 +1 @@\n-a\n+b\n`;
    const script = `
      import { parseUnifiedDiff } from ${JSON.stringify(srcModule('diff/parse.ts'))};
      parseUnifiedDiff(${JSON.stringify(text)});
    `;
    expect(await overBudget(script, 20_000)).toEqual([]);
  });

  it('still drops diff(1) timestamps, after a tab or after blanks', () => {
    const [f] = parseUnifiedDiff('--- a/drivers/x.c\t2024-01-31 12:00:00.000000000 +0100\n+++ b/drivers/x.c  2024-01-31 12:00:01 -0000\n@@ -1 +1 @@\n-a\n+b\n');
    expect([f!.oldPath, f!.newPath]).toEqual(['drivers/x.c', 'drivers/x.c']);
    const [g] = parseUnifiedDiff(`--- a/x${' '.repeat(3000)}y\n+++ b/x${' '.repeat(3000)}y\n@@ -1 +1 @@\n-a\n+b\n`);
    expect(g!.newPath).toBe(`x${' '.repeat(3000)}y`);
  });
});

describe('hunk numbers', () => {
  it(`a header with a number above ${MAX_HUNK_LINE} is unreadable, not searched for`, () => {
    for (const header of ['@@ -1000000000,7 +1000000000,7 @@', '@@ -300000000 +300000000 @@', `@@ -1,7 +1,${'9'.repeat(400)} @@`]) {
      const [f] = parseUnifiedDiff(`--- a/drivers/x.c\n+++ b/drivers/x.c\n${header}\n l18\n-l19\n+L19\n l20\n`);
      expect(f!.hunks, header).toEqual([]);
      expect(f!.problems, header).toEqual([expect.stringMatching(new RegExp(`^drivers/x\\.c: unreadable hunk header .*: line numbers above ${MAX_HUNK_LINE}$`))]);
    }
  });

  it('without a tree, the review reports the unreadable hunk instead of building a huge image', async () => {
    const diff = `diff --git a/drivers/x.c b/drivers/x.c\n--- a/drivers/x.c\n+++ b/drivers/x.c\n@@ -300000000,0 +300000000,1 @@\n+\treturn -EEXIST;\n`;
    const sub = await readSubmission(Buffer.from(diff));
    expect(sub.patches[0]!.problems).toEqual([expect.stringContaining('line numbers above')]);
    const r = await reviewSubmission(sub, {});
    expect(r.findings).toEqual([]);
  });

  it('with a tree, a start past the end of the file is searched from the end (as git apply does)', () => {
    // Insertion only: placed at the end, not a million lines past it with the gap filled.
    const [ins] = parseUnifiedDiff('--- a/x.c\n+++ b/x.c\n@@ -999999,0 +999999,1 @@\n+X\n');
    const r = applyHunks(PRE, ins!);
    expect(r).toMatchObject({ ok: true, offsets: [21 - 999999] });
    expect(r.ok && r.post).toBe(`${PRE}X\n`);
    // With context: found where its lines are, the offset counted from the declared start.
    const [mod] = parseUnifiedDiff('--- a/x.c\n+++ b/x.c\n@@ -999990,3 +999990,3 @@\n l18\n-l19\n+L19\n l20\n');
    expect(applyHunks(PRE, mod!)).toMatchObject({ ok: true, offsets: [18 - 999990] });
    expect(reverseApplies(PRE.replace('l19', 'L19'), mod!)).toBe(true);
  });
});
