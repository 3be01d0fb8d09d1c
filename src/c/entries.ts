// Module entries of a file, read lexically: module_init()/module_exit(), the initcall family
// and module_*_driver() macros, and whether the file is part of a module. One reading for the
// facts extractor (src/c/facts.ts) and the tree index's lexical pass (src/index/lexical.ts), so
// a file the index never parses gets the entries its facts would have. No parser here: the
// lexical workers load this module.
import type { ModuleEntry } from './types.js';


/** Initcall-family macros: in a modular build every one of them becomes module_init(). */
const INIT_MACROS = /^(module_init|late_initcall(?:_sync)?|device_initcall(?:_sync)?|subsys_initcall(?:_sync)?|fs_initcall(?:_sync)?|rootfs_initcall|arch_initcall(?:_sync)?|core_initcall(?:_sync)?|postcore_initcall(?:_sync)?|module_subsys_initcall)$/;
const EXIT_MACROS = /^(module_exit)$/;
/**
 * `module_platform_driver(drv)` and friends expand to `drv_init()` calling the register
 * function and `drv_exit()` calling the unregister function (include/linux/device/driver.h);
 * so do module_misc_device() (misc_register()) and module_led_trigger() (led_trigger_register()).
 */
const DRIVER_MACRO = /^(module_[a-z0-9_]+_driver|module_driver|module_misc_device|module_led_trigger)$/;
const NOT_DRIVER_MACROS = new Set(['module_param_driver']);

/**
 * module_init()/module_exit()/initcall and module_*_driver() entries of a file, read lexically,
 * and whether the file is part of a module. The one reading of both: the tree index's lexical
 * pass (src/index/lexical.ts) uses it for files it never parses.
 */
export function moduleEntriesOf(code: string, lineOf: (o: number) => number): { entries: ModuleEntry[]; modular: boolean } {
  const entries: ModuleEntry[] = [];
  const re = /^[ \t]*([a-z_0-9]+)[ \t]*\([ \t]*([A-Za-z_][A-Za-z_0-9]*)/gm;
  let modular = /\bMODULE_(LICENSE|AUTHOR|DESCRIPTION)\s*\(/.test(code);
  for (let m = re.exec(code); m; m = re.exec(code)) {
    const macro = m[1]!;
    const arg = m[2]!;
    const ln = lineOf(m.index);
    if (INIT_MACROS.test(macro)) {
      entries.push({ kind: 'init', fn: arg, line: ln, macro });
      if (macro === 'module_init') modular = true;
    } else if (EXIT_MACROS.test(macro)) {
      entries.push({ kind: 'exit', fn: arg, line: ln, macro });
      modular = true;
    } else if (DRIVER_MACRO.test(macro) && !NOT_DRIVER_MACROS.has(macro)) {
      entries.push({ kind: 'init', fn: `${arg}_init`, line: ln, macro, driver: arg });
      entries.push({ kind: 'exit', fn: `${arg}_exit`, line: ln, macro, driver: arg });
      modular = true;
    }
  }
  // `module_cpu_feature_match(AES, aes_init)` (include/linux/cpufeature.h): module_init() of its
  // second argument, run when the CPU has the feature.
  const feat = /^[ \t]*module_cpu_feature_match[ \t]*\([^,()]*,[ \t]*([A-Za-z_][A-Za-z_0-9]*)[ \t]*\)/gm;
  for (let m = feat.exec(code); m; m = feat.exec(code)) {
    entries.push({ kind: 'init', fn: m[1]!, line: lineOf(m.index), macro: 'module_cpu_feature_match' });
    modular = true;
  }
  return { entries, modular };
}
