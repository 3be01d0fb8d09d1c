// Issue 13 (A): ~3,000 nested braces overflowed the recursive statement builder (facts.ts) and
// the review exited 2, losing every finding of the series. A construct nested deeper than
// MAX_NESTING is now left out with a reason in the result's notes; the rest of the file and of
// the series is reviewed.
import { describe, expect, it } from 'vitest';
import { extractFacts, MAX_NESTING } from '../../src/c/facts.js';
import { reviewSubmission } from '../../src/engine/review.js';
import { readSubmission } from '../../src/ingest/series.js';
import { newFilePatch } from '../helpers/patch.js';

const BUGGY_INIT = `static struct platform_driver foo_driver;
static struct platform_driver bar_driver;

static int __init foo_init(void)
{
	int ret;

	ret = platform_driver_register(&foo_driver);
	if (ret)
		return ret;
	ret = platform_driver_register(&bar_driver);
	if (ret)
		return ret;
	return 0;
}

static void __exit foo_exit(void)
{
	platform_driver_unregister(&bar_driver);
	platform_driver_unregister(&foo_driver);
}

module_init(foo_init);
module_exit(foo_exit);
MODULE_LICENSE("GPL");
`;

/** A function whose body holds `depth` nested blocks around one statement. */
function nested(name: string, depth: number): string {
  return `static int ${name}(int x)\n{\n${'{'.repeat(depth)}\nx++;\n${'}'.repeat(depth)}\nreturn x;\n}\n`;
}

const newFile = (path: string, text: string): string => newFilePatch(path, text);

const INCLUDES = '#include <linux/module.h>\n#include <linux/platform_device.h>\n\n';

describe('a function nested thousands of levels deep', () => {
  it('is skipped with a reason; the bug next to it, in the same file and in another file, is still found', async () => {
    const deep = nested('deep', 3000);
    const patch = newFile('drivers/misc/deep.c', deep) + newFile('drivers/misc/foo.c', INCLUDES + deep.replace('deep', 'deep2') + BUGGY_INIT);
    const r = await reviewSubmission(await readSubmission(Buffer.from(patch)), {});
    expect(r.findings.map((f) => [f.rule, f.file, f.function])).toEqual([['init-error-unwind', 'drivers/misc/foo.c', 'foo_init']]);
    expect(r.notes).toEqual([
      `drivers/misc/deep.c: function deep() at line 1 not analysed: its statements nest deeper than ${MAX_NESTING} levels`,
      `drivers/misc/foo.c: function deep2() at line 4 not analysed: its statements nest deeper than ${MAX_NESTING} levels`,
    ]);
    expect(r.skipped).toEqual([]);
  });

  it(`the bound is ${MAX_NESTING} levels of the statement IR`, () => {
    const at = extractFacts('x.c', nested('f', MAX_NESTING));
    expect(at.functions.map((f) => f.name)).toEqual(['f']);
    expect(at.unanalysed).toBeUndefined();
    const past = extractFacts('x.c', nested('f', MAX_NESTING + 1) + nested('g', 2));
    expect(past.functions.map((f) => f.name)).toEqual(['g']);
    expect(past.unanalysed).toEqual([{ what: 'function f()', line: 1, reason: `its statements nest deeper than ${MAX_NESTING} levels` }]);
  });

  it('else-if chains, label chains, pass-through calls and initialisers are bounded the same way', () => {
    const n = 3000;
    const elseIf = `int a(int x)\n{\n${Array.from({ length: n }, (_, i) => `if (x == ${i}) return ${i};`).join(' else ')}\nreturn x;\n}\n`;
    const labels = `int b(int x)\n{\n${Array.from({ length: n }, (_, i) => `l${i}: `).join('')}x++;\nreturn x;\n}\n`;
    const calls = `int c(int x)\n{\nreturn ${'x ? -EINVAL : ('.repeat(n)}x${')'.repeat(n)};\n}\n`;
    const init = `static struct s obj = ${'{ .x = '.repeat(n)}1${' }'.repeat(n)};\n`;
    const facts = extractFacts('x.c', [elseIf, labels, calls, init, 'int ok(void)\n{\n\treturn -EEXIST;\n}\n'].join('\n'));
    expect(facts.functions.map((f) => f.name)).toEqual(['ok']);
    expect(facts.unanalysed?.map((u) => [u.what, u.reason])).toEqual([
      ['function a()', `its statements nest deeper than ${MAX_NESTING} levels`],
      ['function b()', `its statements nest deeper than ${MAX_NESTING} levels`],
      ['function c()', `its expressions nest deeper than ${MAX_NESTING} levels`],
      ['a declaration', `its initialisers nest deeper than ${MAX_NESTING} levels`],
    ]);
  });

  it('file-scope #if nesting is read without recursion', () => {
    const n = 50_000;
    const facts = extractFacts('x.c', `${'#if A\n'.repeat(n)}int f(void)\n{\n\treturn 0;\n}\n${'#endif\n'.repeat(n)}`);
    expect(facts.functions.map((f) => f.name)).toEqual(['f']);
  });
});
