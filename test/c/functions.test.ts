// functionsByName(): one definition per name when a file defines a name twice (the real body
// under #ifdef CONFIG_MODULES and a stub under #else): the one with the body stands for it.
import { describe, expect, it } from 'vitest';
import { extractFacts } from '../../src/c/facts.js';
import { functionsByName } from '../../src/c/functions.js';

const SRC = `#ifdef CONFIG_MODULES
static int __static_call_mod_text_reserved(void *start, void *end)
{
	struct module *mod = __module_text_address((unsigned long)start);
	int ret;

	if (!try_module_get(mod))
		return 0;
	ret = __static_call_text_reserved(mod->static_call_sites, start, end);
	module_put(mod);
	return ret;
}
#else
static int __static_call_mod_text_reserved(void *start, void *end)
{
	return 0;
}
#endif
`;

describe('functionsByName', () => {
  it('keeps the definition with the body, not the stub that comes last', () => {
    const facts = extractFacts('kernel/static_call_inline.c', SRC);
    expect(facts.functions.filter((f) => f.name === '__static_call_mod_text_reserved')).toHaveLength(2);
    const fn = functionsByName(facts.functions).get('__static_call_mod_text_reserved')!;
    expect(fn.startLine).toBe(2);
    expect(fn.calls.map((c) => c.callee)).toContain('module_put');
  });
});

describe('XFS `STATIC`', () => {
  it('reads `STATIC void\\nfoo(void)` as a static function, not a parse error', () => {
    const src = 'STATIC void\nxfs_destroy_caches(void)\n{\n\trcu_barrier();\n\tkmem_cache_destroy(xfs_inode_cache);\n}\n';
    const fn = extractFacts('fs/xfs/xfs_super.c', src).functions.find((f) => f.name === 'xfs_destroy_caches')!;
    expect(fn).toMatchObject({ hasError: false, isStatic: true });
    expect(fn.calls.map((c) => c.callee)).toEqual(['rcu_barrier', 'kmem_cache_destroy']);
  });
});
