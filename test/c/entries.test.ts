// Module entries read lexically: module_init/module_exit, the initcall family, module_*_driver()
// and module_cpu_feature_match(), on real Linux 6.12 shapes.
import { describe, expect, it } from 'vitest';
import { moduleEntriesOf } from '../../src/c/entries.js';

const lineOf = (code: string) => (o: number) => code.slice(0, o).split('\n').length;

describe('moduleEntriesOf', () => {
  it('reads module_cpu_feature_match(FEAT, init) as module_init(init) (arch/arm64/crypto/sha3-ce-glue.c)', () => {
    const code = 'static int __init sha3_neon_mod_init(void)\n{\n\treturn 0;\n}\n\nstatic void __exit sha3_neon_mod_fini(void)\n{\n}\n\nmodule_cpu_feature_match(SHA3, sha3_neon_mod_init);\nmodule_exit(sha3_neon_mod_fini);\n';
    const { entries, modular } = moduleEntriesOf(code, lineOf(code));
    expect(modular).toBe(true);
    expect(entries).toEqual([
      { kind: 'exit', fn: 'sha3_neon_mod_fini', line: 11, macro: 'module_exit' },
      { kind: 'init', fn: 'sha3_neon_mod_init', line: 10, macro: 'module_cpu_feature_match' },
    ]);
  });

  it('still reads module_platform_driver() as its generated init and exit', () => {
    const code = 'module_platform_driver(foo_driver);\n';
    const { entries } = moduleEntriesOf(code, lineOf(code));
    expect(entries.map((e) => `${e.kind}:${e.fn}`)).toEqual(['init:foo_driver_init', 'exit:foo_driver_exit']);
  });
});
