// What a change takes out of an init section while it still reaches init code. Only the pre-image
// says the function or table was __init/__initconst, so these are tests of the rule with both
// images rather than single-image fixtures. Shapes of real upstream fixes, reversed: a static
// probe helper that calls an __init function (cpuidle-pseries' pseries_idle_probe(), a modpost
// warning once clang stopped inlining it), a `static inline` header helper that calls another
// file's __init code (powerpc's early_init_mmu()), and a match table that names __init
// functions. A function that drops __init together with its last init reference is fine.
import { describe, expect, it } from 'vitest';
import { extractFacts } from '../../src/c/facts.js';
import { filesIndex } from '../../src/engine/overlay.js';
import type { RawFinding } from '../../src/engine/types.js';
import rule from './index.js';

const PATH = 'drivers/cpuidle/cpuidle-pseries.c';

function pseries(probeSection: string, cedeSection: string): string {
  return `static void ${cedeSection}fixup_cede0_latency(void)
{
	cede0_latency = 1;
}

static int ${probeSection}pseries_idle_probe(void)
{
	if (cpuidle_disable != IDLE_NO_OVERRIDE)
		return -ENODEV;
	fixup_cede0_latency();
	return 0;
}

static int __init pseries_processor_idle_init(void)
{
	int retval;

	retval = pseries_idle_probe();
	if (retval)
		return retval;
	return cpuidle_register(&pseries_idle_driver, NULL);
}
device_initcall(pseries_processor_idle_init);
`;
}

function review(path: string, before: string, after: string, others: { path: string; source: string }[] = []): RawFinding[] {
  const facts = extractFacts(path, after);
  const index = filesIndex([facts, ...others.map((o) => extractFacts(o.path, o.source))]);
  return rule.check({ path, image: 'post', source: after, facts, index, before: { source: before, facts: extractFacts(path, before) } });
}

describe('init-exit-section: an annotation the change takes away', () => {
  it('reports a static helper that loses __init while it still calls an __init function', () => {
    const found = review(PATH, pseries('__init ', '__init '), pseries('', '__init '));
    expect(found.map((f) => [f.function, f.line, f.severity])).toEqual([['pseries_idle_probe', 10, 'warning']]);
    expect(found[0]!.message).toContain('no longer __init');
  });

  it('is silent when the helper was never __init (whether modpost sees it depends on inlining)', () => {
    expect(review(PATH, pseries('', '__init '), pseries('', '__init '))).toEqual([]);
  });

  it('is silent when the init reference goes too', () => {
    expect(review(PATH, pseries('__init ', '__init '), pseries('', ''))).toEqual([]);
  });

  it('reports a static inline header helper that loses __init and calls another file\'s __init code', () => {
    const header = (s: string) => `extern void hash__early_init_mmu(void);
extern void radix__early_init_mmu(void);
static inline void ${s}early_init_mmu(void)
{
	if (radix_enabled())
		return radix__early_init_mmu();
	return hash__early_init_mmu();
}
`;
    const others = [
      { path: 'arch/powerpc/mm/book3s64/hash_utils.c', source: 'void __init hash__early_init_mmu(void)\n{\n\thtab_initialize();\n}\n' },
      { path: 'arch/powerpc/mm/book3s64/radix_pgtable.c', source: 'void __init radix__early_init_mmu(void)\n{\n\tradix_init_pgtable();\n}\n' },
    ];
    const found = review('arch/powerpc/include/asm/book3s/64/mmu.h', header('__init '), header(''), others);
    expect(found.map((f) => `${f.function}:${f.line}`).sort()).toEqual(['early_init_mmu:6', 'early_init_mmu:7']);
  });

  it('reports a table that loses __initconst while it names __init functions', () => {
    const file = (s: string) => `static int __init foo_setup(struct device_node *np)
{
	return 0;
}

static const struct of_device_id foo_match[] ${s}= {
	{ .compatible = "acme,foo", .data = foo_setup },
	{ }
};

static int __init foo_init(void)
{
	const struct of_device_id *m;
	struct device_node *np = of_find_matching_node_and_match(NULL, foo_match, &m);
	int (*setup)(struct device_node *) = m->data;

	return setup(np);
}
core_initcall(foo_init);
`;
    const found = review('drivers/soc/acme/foo.c', file('__initconst '), file(''));
    expect(found.map((f) => [f.line, f.severity])).toEqual([[7, 'warning']]);
    expect(found[0]!.message).toContain('no longer in an init section');
  });

  it("reports a function that loses __init while it reads another file's __initdata", () => {
    // arch/mips/kernel/smp-cps.c core_vpe_count() and smp.c's `smp_max_threads __initdata`.
    const cps = (s: string) => `static unsigned ${s}core_vpe_count(unsigned int cluster, unsigned core)
{
	return min(smp_max_threads, mips_cps_numvps(cluster, core));
}

static void __init cps_smp_setup(void)
{
	nvpes = core_vpe_count(0, 0);
}
`;
    const smp = { path: 'arch/mips/kernel/smp.c', source: 'unsigned int smp_max_threads __initdata = UINT_MAX;\n' };
    const found = review('arch/mips/kernel/smp-cps.c', cps('__init '), cps(''), [smp]);
    expect(found.map((f) => `${f.function}:${f.line}`)).toEqual(['core_vpe_count:3']);
    expect(found[0]!.message).toContain('arch/mips/kernel/smp.c');
    // Another architecture's object of the same name is not the one this file links against,
    // nor is a static one of another directory; and a file with its own object reads that.
    expect(review('arch/mips/kernel/smp-cps.c', cps('__init '), cps(''), [{ path: 'arch/x86/kernel/smp.c', source: smp.source }])).toEqual([]);
    expect(review('arch/mips/kernel/smp-cps.c', cps('__init '), cps(''), [{ path: 'kernel/smp.c', source: `static ${smp.source}` }])).toEqual([]);
    const own = (s: string) => `static unsigned int smp_max_threads = 4;\n${cps(s)}`;
    expect(review('arch/mips/kernel/smp-cps.c', own('__init '), own(''), [smp])).toEqual([]);
  });

  it("reports a header's inline helper that loses __init while it writes the including file's static __initdata", () => {
    // arch/x86/kvm/svm/svm_onhyperv.h svm_hv_hardware_setup() and svm.c's `svm_x86_ops __initdata`,
    // which the header names with a tentative declaration of its own.
    const header = (s: string) => `static struct kvm_x86_ops svm_x86_ops;

static inline ${s}void svm_hv_hardware_setup(void)
{
	if (npt_enabled)
		svm_x86_ops.flush_remote_tlbs = hv_flush_remote_tlbs;
}
`;
    const svm = { path: 'arch/x86/kvm/svm/svm.c', source: 'static struct kvm_x86_ops svm_x86_ops __initdata = {\n\t.name = KBUILD_MODNAME,\n};\n' };
    const found = review('arch/x86/kvm/svm/svm_onhyperv.h', header('__init '), header(''), [svm]);
    expect(found.map((f) => `${f.function}:${f.line}`)).toEqual(['svm_hv_hardware_setup:6']);
  });
});
