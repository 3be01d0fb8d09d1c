// The exit-as-oracle check of init-error-unwind: a release taken off init's failure path while
// module_exit still makes the same call.
import { describe, expect, it } from 'vitest';
import { extractFacts } from '../../src/c/facts.js';
import { droppedUnwindReleases } from './dropped.js';

const PATH = 'drivers/misc/probe.c';

/** A module whose init unwinds `padata_free(pencrypt)` and whose exit frees it too. */
function module(unwind: string, extra = ''): string {
  return `#include <linux/module.h>
${extra}
static int __init p_init(void)
{
	int err;

	err = p_init_padata(&pencrypt);
	if (err)
		return err;
	err = crypto_register_template(&p_tmpl);
	if (err)
		goto err_deinit;
	return 0;

err_deinit:
${unwind}
	return err;
}

static void __exit p_exit(void)
{
	crypto_unregister_template(&p_tmpl);
	padata_free(pencrypt);
}

module_init(p_init);
module_exit(p_exit);
MODULE_LICENSE("GPL");
`;
}

const dropped = (pre: string, post: string) => droppedUnwindReleases(extractFacts(PATH, pre), extractFacts(PATH, post)).map((d) => `${d.fn.name}:${d.call.callee}(${d.call.args.join(',')})`);

describe('droppedUnwindReleases', () => {
  const pre = module('\tpadata_free(pencrypt);');

  it('reports a release removed from the unwind that module_exit still makes', () => {
    expect(dropped(pre, module(''))).toEqual(['p_init:padata_free(pencrypt)']);
  });

  it('is silent when the release moved into a helper the unwind calls', () => {
    const helper = 'static void p_free_all(void)\n{\n\tpadata_free(pencrypt);\n}\n';
    expect(dropped(pre, module('\tp_free_all();', helper))).toEqual([]);
  });

  it('is silent when another release of the same object took its place', () => {
    expect(dropped(pre, module('\tpadata_free_all(pencrypt);'))).toEqual([]);
  });

  it('is silent when module_exit does not make the call', () => {
    const noExit = (s: string) => s.replace('\tpadata_free(pencrypt);\n}', '}');
    expect(dropped(noExit(pre), noExit(module('')))).toEqual([]);
  });

  it('is silent when the unchanged unwind still makes the call', () => {
    expect(dropped(pre, pre)).toEqual([]);
  });
});
