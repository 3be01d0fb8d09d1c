// Issue 13 (fuzzing): initializerText() found the declaration with `(__\w+\s*(\([^)]*\)\s*)?)*`,
// which can split a run of underscores into `__\w+` pieces in exponentially many ways: an ops
// struct declared with `__attribute__((aligned(64)))` (never matched, so the search goes on) and
// a later use of its name followed by 48 underscores took 5.7 s. Backtracking is counted, not timed.
import { describe, expect, it } from 'vitest';
import { extractFacts } from '../../src/c/facts.js';
import { initializerText } from '../../src/engine/kernel/owner.js';
import { overBudget, srcModule } from '../helpers/backtracking.js';

const HOSTILE = `static const struct file_operations foo_fops __attribute__((aligned(64))) = {
\t.open = foo_open,
};

static void *p = &foo_fops ${'_'.repeat(48)}x;
`;

function init(source: string, name = 'foo_fops') {
  return extractFacts('drivers/misc/foo.c', source).structInits.find((s) => s.name === name)!;
}

describe('initializerText on hostile declarations', () => {
  it('backtracks linearly: no regex needs more than the budget on 48 underscores', async () => {
    const script = `
      import { extractFacts } from ${JSON.stringify(srcModule('c/facts.ts'))};
      import { initializerText } from ${JSON.stringify(srcModule('engine/kernel/owner.ts'))};
      const source = ${JSON.stringify(HOSTILE)};
      const init = extractFacts('drivers/misc/foo.c', source).structInits.find((s) => s.name === 'foo_fops');
      if (!init) throw new Error('no struct init');
      initializerText(source, init, 'owner');
    `;
    expect(await overBudget(script, 20_000)).toEqual([]);
  });

  it('still reads the declarations it read before: attributes, array brackets', () => {
    for (const decl of ['foo_fops __read_mostly =', 'foo_fops __aligned(64) __ro_after_init =', 'foo_fops[] __initconst=', 'foo_fops __cacheline_aligned_in_smp\n\t=']) {
      const source = `static const struct file_operations ${decl} {\n\t.open = foo_open,\n};\n`;
      const brace = source.slice(0, source.indexOf('{')).split('\n').length;
      expect(initializerText(source, init(source), 'owner'), decl).toMatchObject({ startLine: brace, endLine: brace + 2, namesField: false });
    }
    const arr = `static struct file_operations foo_fops[2] __initconst = {\n\t{ .open = a_open },\n\t{ .open = b_open },\n};\n`;
    expect(initializerText(arr, init(arr, 'foo_fops[0]'), 'owner')).toMatchObject({ startLine: 2, endLine: 2 });
    // A name that only begins with the object's name is another object.
    const other = `static const struct file_operations foo_fops;\nstatic int foo_fops__x = {\n\t1,\n};\n`;
    expect(initializerText(other, { ...init(HOSTILE), line: 1 }, 'owner')).toBeNull();
  });
});
