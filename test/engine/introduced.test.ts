// Which post-image findings a patch introduces: matched against the pre-image's by identity
// (rule, function, key), counted, and through aliases — a leak through a label keeps its
// identity when the patch renames only the label or only the step that jumps there.
import { describe, expect, it } from 'vitest';
import { introducedRuns, type RuleRun } from '../../src/engine/review.js';
import type { RawFinding } from '../../src/engine/types.js';
import unwind from '../../rules/init-error-unwind/index.js';

const run = (key: string, aliases?: string[], line = 10): RuleRun => {
  const raw: RawFinding = { key, line, function: 'dax_attach', message: key, evidence: [], ...(aliases ? { aliases } : {}) };
  return { rule: unwind, raw } as RuleRun;
};
const never = () => false;

describe('introducedRuns', () => {
  it('a renamed step keeps the label key; a renamed label keeps the step alias', () => {
    const pre = [run('leak:a|goto class_error', ['leak:a|class_register(cl)'])];
    expect(introducedRuns(pre, [run('leak:a|goto class_error', ['leak:a|class_create(cl)'])], never).size).toBe(0);
    expect(introducedRuns(pre, [run('leak:a|goto err_class', ['leak:a|class_register(cl)'])], never).size).toBe(0);
    // both renamed: nothing ties them together
    expect(introducedRuns(pre, [run('leak:a|goto err_class', ['leak:a|class_create(cl)'])], never).size).toBe(1);
  });

  it('counts instances: a second step jumping to the same leaky label is one more', () => {
    const pre = [run('leak:a|goto out', ['leak:a|b()'])];
    const post = [run('leak:a|goto out', ['leak:a|b()']), run('leak:a|goto out', ['leak:a|c()'], 20)];
    const fresh = introducedRuns(pre, post, (r) => r.raw.line === 20);
    expect([...fresh].map((r) => r.raw.aliases)).toEqual([['leak:a|c()']]);
  });

  it('one pre-image finding answers for one post-image finding only', () => {
    const pre = [run('leak:a|goto out', ['leak:a|b()'])];
    const post = [run('leak:a|goto err', ['leak:a|b()']), run('leak:a|goto out', ['leak:a|c()'])];
    expect(introducedRuns(pre, post, never).size).toBe(1);
  });
});
