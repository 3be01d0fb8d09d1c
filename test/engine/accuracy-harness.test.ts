// The pieces of `npm run accuracy` (scripts/accuracy.ts): the patch it makes from an edit is a
// real git diff that applies; the index scope is the union of the cases' paths; the scoring and
// the 90% recall / 5% false-positive thresholds.
import { describe, expect, it } from 'vitest';
import { applyHunks } from '../../src/diff/apply.js';
import { gitBlobId } from '../../src/c/lex.js';
import { applyEdits } from '../../src/engine/accuracy.js';
import { readSubmission } from '../../src/ingest/series.js';
import { fpRate, gitDiff, indexScope, MAX_FP_RATE, MIN_RECALL, passes, recall, score, type CaseOutcome } from '../../scripts/accuracy.js';

const BEFORE = ['static int __init foo_init(void)', '{', '\tint ret;', '', '\tret = misc_register(&foo_misc);', '\tif (ret)', '\t\treturn ret;', '\treturn 0;', '}', 'module_init(foo_init);', ''].join('\n');

describe('gitDiff', () => {
  it('is a git diff with the real blob ids that applies to the original', async () => {
    const after = applyEdits(BEFORE, [{ find: '\t\treturn ret;', replace: '\t\treturn -EIO;' }]);
    const diff = gitDiff('drivers/misc/foo.c', BEFORE, after);
    expect(diff.split('\n').slice(0, 4)).toEqual([
      'diff --git a/drivers/misc/foo.c b/drivers/misc/foo.c',
      `index ${gitBlobId(BEFORE).slice(0, 12)}..${gitBlobId(after).slice(0, 12)} 100644`,
      '--- a/drivers/misc/foo.c',
      '+++ b/drivers/misc/foo.c',
    ]);
    const sub = await readSubmission(diff);
    const file = sub.patches[0]!.files[0]!;
    expect(file).toMatchObject({ oldPath: 'drivers/misc/foo.c', newPath: 'drivers/misc/foo.c', status: 'modified' });
    expect(applyHunks(BEFORE, file)).toMatchObject({ ok: true, post: after, offsets: [0] });
  });

  it('applyEdits refuses edits that do not apply exactly', () => {
    expect(() => applyEdits(BEFORE, [{ find: 'nope', replace: 'x' }])).toThrow(/not found/);
    expect(() => applyEdits(BEFORE, [{ find: 'ret', replace: 'err' }])).toThrow(/ambiguous/);
    expect(applyEdits(BEFORE, [{ find: 'ret', replace: 'err', nth: 2 }])).toContain('\terr = misc_register');
  });
});

describe('indexScope', () => {
  it("is the union of the cases' paths (default: the file's directory), covered paths dropped", () => {
    const c = (file: string, indexPaths?: string[]) => ({ name: file, file, edits: [], expect: 'flag' as const, ...(indexPaths ? { indexPaths } : {}) });
    expect(
      indexScope([
        { rule: 'a', cases: [c('drivers/md/dm-log.c'), c('drivers/md/dm-snap.c'), c('net/netfilter/nf_conntrack_helper.c', ['net/netfilter', 'net/netfilter/ipvs'])] },
        { rule: 'b', cases: [c('drivers/md/persistent-data/dm-bitset.c'), c('fs/ext2/super.c', ['fs/'])] },
      ]),
    ).toEqual(['fs', 'drivers/md', 'net/netfilter']);
  });
});

describe('score', () => {
  const o = (rule: string, expect: 'flag' | 'clean', flagged: boolean, error?: string): CaseOutcome => ({
    rule,
    case: { name: `${rule}-${expect}-${flagged}`, file: 'x.c', edits: [], expect },
    flagged,
    findings: [],
    notes: [],
    ...(error ? { error } : {}),
  });
  it('recall and false-positive rate per rule and overall, against the thresholds', () => {
    const outcomes = [
      ...Array.from({ length: 9 }, () => o('a', 'flag', true)),
      o('a', 'flag', false),
      ...Array.from({ length: 20 }, () => o('a', 'clean', false)),
      o('b', 'flag', true),
      o('b', 'clean', true),
    ];
    const a = score('a', outcomes);
    expect(a).toEqual({ rule: 'a', flagCases: 10, caught: 9, cleanCases: 20, falsePositives: 0, errors: 0 });
    expect([recall(a), fpRate(a), passes(a)]).toEqual([0.9, 0, true]);
    const b = score('b', outcomes);
    expect([recall(b), fpRate(b), passes(b)]).toEqual([1, 1, false]);
    const all = score('overall', outcomes);
    expect(all).toMatchObject({ flagCases: 11, caught: 10, cleanCases: 21, falsePositives: 1 });
    expect(passes(all)).toBe(recall(all) >= MIN_RECALL && fpRate(all) <= MAX_FP_RATE);
    // A case that no longer applies to the tree fails its rule whatever the figures say.
    expect(passes(score('a', [...outcomes, o('a', 'clean', false, 'edit not applicable')]))).toBe(false);
  });
});
