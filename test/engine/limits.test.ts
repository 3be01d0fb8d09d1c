// Issue 13 (E): a budget per file, in the manner of semgrep's --max-target-bytes and --timeout.
// A file over the size limit is not analysed; a file whose time budget runs out stops between
// functions or between rules. Both are listed in `skipped` with the reason (never a silent
// partial review), and the other files of the patch are reviewed as usual.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { allRules } from '../../rules/index.js';
import { DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_LINE_CHARS } from '../../src/engine/limits.js';
import { reviewSubmission } from '../../src/engine/review.js';
import { readSubmission } from '../../src/ingest/series.js';
import { runCli } from '../cli/run.js';
import { newFilePatch } from '../helpers/patch.js';

const BUGGY = `#include <linux/module.h>
#include <linux/platform_device.h>

static struct platform_driver foo_driver;
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

const newFile = (path: string, text: string): string => newFilePatch(path, text);

/** `n` small functions. */
function many(n: number): string {
  return Array.from({ length: n }, (_, i) => `static int f${i}(int x)\n{\n\treturn x + ${i};\n}\n`).join('\n');
}

const found = (r: Awaited<ReturnType<typeof reviewSubmission>>) => r.findings.map((f) => [f.rule, f.file, f.function]);
const BUG = ['init-error-unwind', 'drivers/misc/foo.c', 'foo_init'];

afterEach(() => vi.restoreAllMocks());

describe('size limit per file', () => {
  it(`a file over ${DEFAULT_MAX_FILE_BYTES} bytes (the default) is skipped with the reason; the next file is reviewed`, async () => {
    const line = `/* ${'x'.repeat(96)} */\n`;
    const big = `${line.repeat(Math.ceil(DEFAULT_MAX_FILE_BYTES / line.length) + 10)}${BUGGY}`;
    const sub = await readSubmission(Buffer.from(newFile('drivers/misc/big.c', big) + newFile('drivers/misc/foo.c', BUGGY)));
    const r = await reviewSubmission(sub, {});
    expect(found(r)).toEqual([BUG]);
    const size = Buffer.byteLength(big).toLocaleString('en-US');
    expect(r.skipped).toEqual([{ file: 'drivers/misc/big.c', reason: `larger than the per-file limit (${size} > 2,097,152 bytes); not analysed`, patch: 1 }]);
  });

  it('the limit is an option and counts UTF-8 bytes', async () => {
    const sub = await readSubmission(Buffer.from(newFile('drivers/misc/foo.c', BUGGY)));
    const under = await reviewSubmission(sub, { limits: { maxFileBytes: BUGGY.length } });
    expect(found(under)).toEqual([BUG]);
    expect(under.skipped).toEqual([]);
    const over = await reviewSubmission(sub, { limits: { maxFileBytes: BUGGY.length - 1 } });
    expect(found(over)).toEqual([]);
    expect(over.skipped).toEqual([{ file: 'drivers/misc/foo.c', reason: `larger than the per-file limit (${BUGGY.length} > ${BUGGY.length - 1} bytes); not analysed`, patch: 1 }]);
    // Two bytes a character: over the limit in bytes though not in characters.
    const accented = BUGGY.replace('MODULE_LICENSE', `/* ${'é'.repeat(400)} */\nMODULE_LICENSE`);
    const utf8 = await reviewSubmission(await readSubmission(Buffer.from(newFile('drivers/misc/foo.c', accented))), { limits: { maxFileBytes: accented.length + 100 } });
    expect(utf8.skipped.map((s) => s.file)).toEqual(['drivers/misc/foo.c']);
  });
});

describe('line limit per file', () => {
  it(`a line over ${DEFAULT_MAX_LINE_CHARS} characters (the default) skips the file with the reason`, async () => {
    const junk = BUGGY.replace('MODULE_LICENSE("GPL");', `MODULE_LICENSE("GPL");${'>'.repeat(DEFAULT_MAX_LINE_CHARS)}`);
    const sub = await readSubmission(Buffer.from(newFile('drivers/misc/junk.c', junk) + newFile('drivers/misc/foo.c', BUGGY)));
    const r = await reviewSubmission(sub, {});
    expect(found(r)).toEqual([BUG]);
    const longest = 'MODULE_LICENSE("GPL");'.length + DEFAULT_MAX_LINE_CHARS;
    expect(r.skipped).toEqual([{ file: 'drivers/misc/junk.c', reason: `a line longer than the per-file limit (${longest.toLocaleString('en-US')} > 16,384 characters); not analysed`, patch: 1 }]);
  });
});

describe('time budget per file', () => {
  it('holds inside tree-sitter: a parse that takes too long is stopped', async () => {
    // Junk after a statement at file scope takes tree-sitter's error recovery seconds; the
    // budget is asked from its progress callback. A clock that moves 1 ms a read: 50 reads.
    let t = 0;
    const now = () => t++;
    const junk = `\tspin_unlock(&lock);${'>'.repeat(100_000)}\n`;
    const sub = await readSubmission(Buffer.from(newFile('drivers/misc/junk.c', junk) + newFile('drivers/misc/foo.c', BUGGY)));
    const r = await reviewSubmission(sub, { limits: { fileTimeoutMs: 50, maxLineChars: 200_000, now } });
    expect(found(r)).toEqual([BUG]);
    expect(r.skipped).toEqual([{ file: 'drivers/misc/junk.c', reason: 'time budget of 50 ms per file used up while parsing it or reading its functions; not analysed', patch: 1 }]);
  });

  it('runs out between functions: the file is skipped with the reason, the next file (own budget) is reviewed', async () => {
    // A clock that moves 1 ms each time it is read: the budget is checked before each function.
    let t = 0;
    const now = () => t++;
    const sub = await readSubmission(Buffer.from(newFile('drivers/misc/slow.c', many(300)) + newFile('drivers/misc/foo.c', BUGGY)));
    const r = await reviewSubmission(sub, { limits: { fileTimeoutMs: 100, now } });
    expect(found(r)).toEqual([BUG]);
    expect(r.skipped).toEqual([{ file: 'drivers/misc/slow.c', reason: 'time budget of 100 ms per file used up while parsing it or reading its functions; not analysed', patch: 1 }]);
  });

  it('runs out between rules: the rules not run are named, on both images alike', async () => {
    let t = 0;
    const now = () => t;
    const [first, ...rest] = allRules;
    // The first rule takes 6 s (of a 5 s budget) on the slow file.
    const check = first!.check.bind(first);
    vi.spyOn(first!, 'check').mockImplementation((ctx) => {
      if (ctx.path === 'drivers/misc/slow.c') t += 3000;
      return check(ctx);
    });
    const sub = await readSubmission(Buffer.from(newFile('drivers/misc/slow.c', BUGGY) + newFile('drivers/misc/foo.c', BUGGY)));
    const r = await reviewSubmission(sub, { limits: { fileTimeoutMs: 5000, now } });
    // foo.c is reviewed whole; slow.c had one rule, on the pre- and the post-image.
    expect(found(r)).toEqual([BUG]);
    expect(first!.check).toHaveBeenCalledTimes(4);
    expect(r.skipped).toEqual([
      { file: 'drivers/misc/slow.c', reason: `time budget of 5000 ms per file used up after 1 of ${allRules.length} rules; not run: ${rest.map((x) => x.id).join(', ')}`, patch: 1 },
    ]);
  });
});

describe('modreview review --max-file-bytes / --file-timeout', () => {
  it('pass the limits to the review, and refuse what is not a positive whole number', async () => {
    const r = await runCli(['review', '--no-index', '--max-file-bytes', '100', 'examples/dm-log-eexist.patch']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('skipped: drivers/md/dm-log.c: larger than the per-file limit (254 > 100 bytes); not analysed');
    for (const [flag, value] of [['--file-timeout', 'abc'], ['--max-file-bytes', '0'], ['--max-file-bytes', '-5']]) {
      const bad = await runCli(['review', flag!, value!, 'examples/dm-log-eexist.patch']);
      expect(bad.code, `${flag} ${value}`).toBe(2);
      expect(bad.stderr).toContain(`${flag}: not a positive whole number`);
    }
  });
});
