// kbuild's answer to "can this file be a module": Makefile selections and composite objects,
// Kconfig types, on small texts and on real Linux 6.12 directories.
import { describe, expect, it } from 'vitest';
import { Kbuild, parseKconfig, parseMakefile } from '../../src/index/kbuild.js';
import { kernelTree } from '../helpers/kernel.js';

describe('kbuild', () => {
  it('reads obj- selections, composite objects and continuation lines', () => {
    const r = parseMakefile('obj-$(CONFIG_FOO) += foo.o bar/\nobj-y += core.o\n# obj-m += gone.o\nfoo-objs := \\\n\ta.o b.o\nfoo-$(CONFIG_FOO_X) += x.o\n');
    expect(r.objects.get('foo.o')).toEqual(['FOO']);
    expect(r.objects.get('core.o')).toEqual(['y']);
    expect(r.objects.has('gone.o')).toBe(false);
    expect([...r.composites.get('foo')!]).toEqual(['a.o', 'b.o', 'x.o']);
  });

  it('reads config types, menuconfig and def_ forms', () => {
    const k = parseKconfig('config A\n\ttristate "a"\nmenuconfig B\n\tbool "b"\nconfig C\n\tdef_tristate m\nconfig D\n\tdepends on A\n\tbool\n');
    expect(Object.fromEntries(k)).toEqual({ A: 'tristate', B: 'bool', C: 'tristate', D: 'bool' });
  });

  it('places real 6.12 files', () => {
    const k = new Kbuild(kernelTree());
    // A member of a tristate composite module, Kconfig one directory up.
    expect(k.kindOf('drivers/net/netdevsim/health.c')).toBe('module');
    expect(k.kindOf('drivers/md/dm-log.c')).toBe('module');
    // obj-y and bool-only code.
    expect(k.kindOf('mm/vmscan.c')).toBe('builtin');
    expect(k.kindOf('drivers/acpi/apei/erst.c')).toBe('builtin');
    expect(k.kindOf('security/keys/key.c')).toBe('builtin');
  });
});
