// A call through a function pointer is named by its expression (`*phba->lpfc_hba_down_post`,
// `ops->start`), and several analyses built regular expressions from callee names unescaped:
// `return (*phba->lpfc_hba_down_post)(phba);` in lpfc_init.c (Linux 6.12) made init-error-unwind
// and exit-missing-release fail on the whole file ("Invalid regular expression ... Nothing to
// repeat"), so a patch to that driver was reviewed without them. Every rule must run on such a
// file, and the init bug beside the pointer calls must still be found.
import { describe, expect, it } from 'vitest';
import { reviewSubmission } from '../../src/engine/review.js';
import { readSubmission } from '../../src/ingest/series.js';
import { newFilePatch } from '../helpers/patch.js';

const FILE = `#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/kmod.h>

struct foo_ops {
	int (*start)(void *p);
	int (*down_post)(void *p);
};

static struct foo_ops *foo_ops;
static struct platform_driver foo_driver;
static struct platform_driver bar_driver;

int foo_down_post(void *p)
{
	return (*foo_ops->down_post)(p);
}

static int foo_start(void *p)
{
	int ret = (*foo_ops->start)(p);

	if (ret && foo_down_post(p))
		request_module("foo-%d", ret);
	return ret;
}

static int __init foo_init(void)
{
	int ret;

	ret = platform_driver_register(&foo_driver);
	if (ret)
		return ret;
	ret = platform_driver_register(&bar_driver);
	if (ret)
		return ret;
	return foo_start(NULL);
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

describe('calls through function pointers', () => {
  it('every rule runs on the file, and the unwind bug next to them is found', async () => {
    const r = await reviewSubmission(await readSubmission(Buffer.from(newFile('drivers/misc/foo.c', FILE))), {});
    expect(r.notes.filter((n) => /failed/.test(n))).toEqual([]);
    expect(r.findings.filter((f) => f.rule === 'init-error-unwind').map((f) => f.function)).toContain('foo_init');
  });
});
