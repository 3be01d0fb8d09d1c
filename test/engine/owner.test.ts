// ops-missing-owner's table (src/engine/kernel/owner.ts) is data about the kernel: every listed
// type must have the `struct module *` field in Linux 6.12's headers, and the core code named as
// taking the reference must still contain the text quoted. The lexical initialiser reader and the
// "can this module be unloaded" test are checked on real 6.12 files.
import { describe, expect, it } from 'vitest';
import { extractFacts } from '../../src/c/facts.js';
import { initializerText, OWNED_OPS, unloadable } from '../../src/engine/kernel/owner.js';
import { kernelFile } from '../helpers/kernel.js';

/** Top-level text of `struct <type> { ... }` in a header (nested braces removed). */
function structBody(header: string, type: string): string | null {
  const m = new RegExp(`\\bstruct\\s+${type}\\s*\\{`).exec(header);
  if (!m) return null;
  let depth = 0;
  let out = '';
  for (let i = m.index + m[0].length - 1; i < header.length; i++) {
    const c = header[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) break;
    else if (depth === 1) out += c;
  }
  return out;
}

describe('OWNED_OPS', () => {
  it('lists each type once', () => {
    expect(new Set(OWNED_OPS.map((o) => o.type)).size).toBe(OWNED_OPS.length);
    expect(OWNED_OPS.length).toBeGreaterThanOrEqual(40);
  });

  it.each(OWNED_OPS.map((o) => [o.type, o] as const))('struct %s has its module field in the 6.12 header', (_t, o) => {
    const body = structBody(kernelFile(`include/${o.header}`), o.type);
    expect(body, `struct ${o.type} in include/${o.header}`).not.toBeNull();
    const field = o.field.split('.').pop()!;
    expect(body!).toMatch(new RegExp(`struct\\s+module\\s*\\*\\s*${field}\\s*;`));
  });

  it.each(OWNED_OPS.map((o) => [o.type, o] as const))('the core code pinning struct %s is where the table says', (_t, o) => {
    expect(kernelFile(o.pin.file)).toContain(o.pin.text);
  });

  it('leaves out what has no owner or is filled by its registration', () => {
    const types = new Set(OWNED_OPS.map((o) => o.type));
    // struct proc_ops has no owner at all.
    expect(structBody(kernelFile('include/linux/proc_fs.h'), 'proc_ops')).not.toMatch(/struct\s+module/);
    // register_nls() and tty_alloc_driver() pass THIS_MODULE themselves.
    expect(kernelFile('include/linux/nls.h')).toMatch(/#define register_nls\(nls\) __register_nls\(\(nls\), THIS_MODULE\)/);
    expect(kernelFile('include/linux/tty_driver.h')).toMatch(/__tty_alloc_driver\(lines, THIS_MODULE, flags\)/);
    // serial_core never reads uart_driver.owner: the tty driver it allocates carries its own.
    expect(kernelFile('drivers/tty/serial/serial_core.c')).not.toMatch(/drv->owner/);
    for (const t of ['proc_ops', 'nls_table', 'tty_driver', 'uart_driver', 'platform_driver', 'gpio_chip', 'cpuidle_driver', 'proto_ops']) expect(types.has(t), t).toBe(false);
  });
});

describe('unloadable', () => {
  it('is false for built-in code that uses module_init() as an initcall', () => {
    expect(unloadable(extractFacts('mm/damon/dbgfs.c', kernelFile('mm/damon/dbgfs.c')))).toBe(false);
  });
  it('is true for a module with an exit, or a helper-macro driver', () => {
    expect(unloadable(extractFacts('drivers/watchdog/softdog.c', kernelFile('drivers/watchdog/softdog.c')))).toBe(true);
    expect(unloadable(extractFacts('drivers/reset/reset-meson-audio-arb.c', kernelFile('drivers/reset/reset-meson-audio-arb.c')))).toBe(true);
  });
  it('is false for a header', () => {
    const facts = extractFacts('include/linux/x.h', 'MODULE_LICENSE("GPL");\nstatic const struct file_operations f = { .open = o };\n');
    expect(unloadable(facts)).toBe(false);
  });
});

describe('initializerText', () => {
  const read = (src: string, name: string, field = 'owner') => {
    const facts = extractFacts('drivers/x/y.c', src);
    const init = facts.structInits.find((s) => s.name === name);
    expect(init, name).toBeDefined();
    return initializerText(src, init!, field);
  };

  it('finds an initialiser behind an attribute (sch_prio\'s __read_mostly)', () => {
    const src = kernelFile('net/sched/sch_prio.c');
    const t = read(src, 'prio_qdisc_ops');
    expect(t).not.toBeNull();
    expect(t!.namesField).toBe(true);
    expect(t!.opaque).toBe(false);
  });

  it('treats a macro item as opaque (pata_atiixp\'s ATA_BASE_SHT)', () => {
    const t = read(kernelFile('drivers/ata/pata_atiixp.c'), 'atiixp_sht', 'module');
    expect(t?.opaque).toBe(true);
  });

  it('sees an owner under #ifdef', () => {
    const t = read('static const struct watchdog_ops w = {\n#ifdef MODULE\n\t.owner = THIS_MODULE,\n#endif\n\t.start = s,\n};\n', 'w');
    expect(t?.namesField).toBe(true);
  });

  it('gives up on a table of pointers', () => {
    const t = read('static const struct regulator_desc *descs[][2] = {\n\t[0] = { &a, NULL },\n};\n', 'descs');
    expect(t).toBeNull();
  });
});
