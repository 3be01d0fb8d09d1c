// Issue 13 (fuzzing): the diff reader's date-suffix regex was quadratic on a long blank run, and
// hunk headers' numbers were taken as they came: `@@ -1000000000,7 ...` made the pre-image search
// walk a billion positions, and a start of 3e8 without a tree sized an array of that many lines.
// Backtracking is counted, not timed: see test/helpers/backtracking.ts.
import { describe, expect, it } from 'vitest';
import { parseUnifiedDiff } from '../../src/diff/parse.js';
import { overBudget, srcModule } from '../helpers/backtracking.js';

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
