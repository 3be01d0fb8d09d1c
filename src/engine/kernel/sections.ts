// Section analysis in the manner of modpost's section-mismatch check (scripts/mod/modpost.c),
// from source: __init text and __initdata are freed after init (and after module load), __exit
// text is discarded when the code is built in. So nothing that runs after init may reach
// __init/__initdata, and nothing but exit code may reach __exit.
//
// Where modpost looks at relocations, this looks at what a function calls or names, and what a
// file-scope object's initialiser names; it follows the file's call graph to tell a static
// helper used only by init code (not a bug, not "after init") from one that runs later.
import { functionsByName } from '../../c/functions.js';
import type { CallSite, FileFacts, FunctionFacts, GlobalRef } from '../../c/types.js';
import { flatten, ownCalls } from '../../c/walk.js';
import { baseName, blankCommentsAndStrings, resourceIdentity } from '../../c/lex.js';
import type { IndexQuery } from '../types.js';
import { conditionalBranches, disabledLines, exclusiveLines } from './lifecycle.js';

/** When a function can run: during init, during exit, or at any time after init. */
export type RunsIn = 'init' | 'exit' | 'runtime';

/** The ways code opts out of the check, as modpost honours them. */
// (`__head`: x86's early boot text, run before init memory is freed and not checked by modpost)
const REF_MARK = /\b(__ref|__init_refok|__exit_refok|__refdata|__refconst|__head)\b/;
/** modpost's secref_whitelist(): data symbols that may refer to init/exit sections. */
const WHITELISTED_OBJECT = /(_ops|_probe|_console)$|^__param/;

/** Ops types a device or file calls through at any time after it is set up, built in or not. */
const DEVICE_OPS_TYPE = /^(uart_ops|tty_operations|regulator_ops|file_operations|proc_ops|net_device_ops|ethtool_ops|clk_ops|pinctrl_ops|pinmux_ops|pinconf_ops|rtc_class_ops|watchdog_ops|backlight_ops|snd_pcm_ops|v4l2_file_operations|v4l2_ioctl_ops|block_device_operations|pwm_ops|phy_ops|gpio_chip|irq_chip|skcipher_alg|shash_alg|ahash_alg|aead_alg|crypto_alg)$/;

/**
 * Calls that keep a function pointer for the kernel to call later (interrupt handlers, timers,
 * work, threads, notifier and other registrations, slab constructors), as opposed to helpers that call it back
 * before returning (acpi_table_parse(), *_for_each_*(), on_each_cpu()).
 */
const REGISTRATION = /^(devm_)?(request_(threaded_|any_context_)?irq|request_percpu_irq|timer_setup|hrtimer_setup|tasklet_(init|setup)|kthread_(run|create)\w*|INIT_(DELAYED_|RCU_)?WORK|irq_set_chained_handler\w*|add_action\w*|\w*_register\w*|register_\w*|call_rcu|call_srcu|kmem_cache_create(_usercopy)?|(__)?cpuhp_setup_state\w*)$/;

/**
 * Of those, the ones boot code may hand __init work to and wait for before init memory is freed
 * (deferred_init_memmap() threads, flushed work items): in built-in code, a function handed to
 * anything else (a provider, a notifier, a CPU hotplug state, an IRQ) is kept for later.
 */
const BOOT_WAITED = /^(kthread_|INIT_|call_s?rcu$)/;

/** Undoing a registration of REGISTRATION's kind: after it, the kernel no longer calls the function. */
const TEARDOWN = /^(devm_)?(free_irq|free_percpu_irq|del_timer(_sync)?|timer_delete(_sync)?|hrtimer_cancel|tasklet_kill|cancel_(delayed_)?work(_sync)?|flush_(delayed_)?work|flush_workqueue|kthread_stop|kmem_cache_destroy|\w*_unregister\w*|unregister_\w*)$/;

export interface SectionUse {
  /** The referring function (or undefined for a file-scope object). */
  from?: string;
  /** The file-scope object holding the reference, with the field. */
  object?: string;
  field?: string;
  fromRuns?: RunsIn[];
  /** The __init/__exit function or __initdata object referred to. */
  target: string;
  targetSection: 'init' | 'initdata' | 'exit';
  /** Where the target is defined (this file or another, through the index). */
  targetFile: string;
  targetLine: number;
  line: number;
  /**
   * `entry`: module_init()/module_exit() names a function of the other section. `caller`: a
   * function of another file calls this file's __init function. `handed`: an __init function is
   * handed to a registration that calls it later. `netns`: a pernet exit callback marked
   * `__net_init` (object and field say which). `const`: a const object marked __initdata.
   * `macro`: a file-scope macro (object) files an __init function in a table read after init.
   * `export`: EXPORT_SYMBOL*() of an __init/__exit function or __initdata object (`line`: the export).
   */
  how: 'call' | 'ref' | 'data' | 'entry' | 'caller' | 'handed' | 'netns' | 'const' | 'macro' | 'export';
  /** For `handed`: the registration the function goes to (`to request_irq()`). */
  via?: string;
  /** The referring function is not __init, but every caller the tree has is (modpost still warns). */
  callersAllInit?: boolean;
  /** The referring function lost its __init in this change and still reaches init code. */
  demoted?: boolean;
  /** For `caller`: the other file's function and file. */
  callerFile?: string;
  /** An __exit function reached through __exit_p(): from a driver registered once for good (`one-shot`), or one that can be unbound. */
  exitP?: 'one-shot' | 'unbindable';
  /** For `const`: the object is not const but marked __initconst (the other way round). */
  writable?: boolean;
  /** For `data`: the line the object is declared on. */
  objectLine?: number;
}

/**
 * A function's section, read from its whole first line too: `__init int foo(void)` at column 0
 * leaves the annotation before the node tree-sitter calls the definition.
 */
export function sectionOfFunction(lines: string[], fn: FunctionFacts): FunctionFacts['section'] {
  if (fn.section) return fn.section;
  const head = declarationHead(lines, fn);
  if (/\b__init\b/.test(head)) return 'init';
  if (/\b__exit\b/.test(head)) return 'exit';
  return null;
}

/** `__always_inline` code is copied into its callers: their section is its section. */
const alwaysInline = (lines: string[], fn: FunctionFacts): boolean => /\b__always_inline\b/.test(declarationHead(lines, fn));

/** A function's own declaration, its lines joined up to the body's `{` (not the line above it). */
function declarationHead(lines: string[], fn: FunctionFacts): string {
  return headerText(lines, fn).split('\n').slice(1).join(' ').split('{')[0]!;
}

/** The text of a function's header (from its first line to the body's `{`), for __ref-style marks. */
function headerText(lines: string[], fn: FunctionFacts): string {
  const out: string[] = [];
  for (let l = fn.startLine; l <= fn.endLine && l - fn.startLine < 8; l++) {
    const t = lines[l - 1] ?? '';
    out.push(t);
    if (t.includes('{')) break;
  }
  // Storage class and attributes may stand on the line above the name (`static int __ref\nfoo(`).
  return `${lines[fn.startLine - 2] ?? ''}\n${out.join('\n')}`;
}

/** The declaration text of a file-scope object: the lines from its name back to its start. */
/** The text of an object's definition up to its `=`, with the line before (where a section mark may stand). */
export function objectHeader(lines: readonly string[], name: string, line: number): string {
  const base = name.split('[')[0]!;
  const re = new RegExp(`\\b${base}\\b`);
  for (let l = Math.min(line, lines.length); l > 0 && line - l < 200; l--) {
    const t = lines[l - 1] ?? '';
    if (re.test(t) && /=|\{/.test(t)) return `${lines[l - 2] ?? ''}\n${t.split('=')[0]}`;
  }
  return '';
}

/**
 * When each function of the file runs, as a set: sectioned functions by their section, module
 * entry targets by kind, non-static functions (callable from anywhere) and functions a runtime
 * object refers to at runtime, static helpers by the union of their users (to a fixpoint).
 */
export function runsIn(facts: FileFacts, source: string): Map<string, Set<RunsIn>> {
  const lines = source.split('\n');
  const fns = functionsByName(facts.functions);
  const runs = new Map<string, Set<RunsIn>>();
  const set = (n: string) => {
    let s = runs.get(n);
    if (!s) runs.set(n, (s = new Set()));
    return s;
  };
  const fixed = new Set<string>();
  for (const f of facts.functions) {
    set(f.name);
    const section = sectionOfFunction(lines, f);
    if (section === 'init') {
      set(f.name).add('init');
      fixed.add(f.name);
    } else if (section === 'exit') {
      set(f.name).add('exit');
      fixed.add(f.name);
    }
  }
  for (const e of facts.moduleEntries) {
    if (e.driver || !fns.has(e.fn) || fixed.has(e.fn)) continue;
    set(e.fn).add(e.kind === 'init' ? 'init' : 'exit');
    fixed.add(e.fn);
  }
  // Users of each function: functions that call or name it, objects that name it.
  const users = new Map<string, Set<string>>();
  const addUser = (target: string, user: string) => {
    if (!fns.has(target) || target === user) return;
    let s = users.get(target);
    if (!s) users.set(target, (s = new Set()));
    s.add(user);
  };
  for (const f of facts.functions) {
    for (const c of f.calls) {
      addUser(c.callee, f.name);
      // A function handed to a registration (`request_irq(irq, foo_interrupt, ...)`,
      // `timer_setup(&t, foo_timeout, 0)`) is called by the kernel later, whenever the caller ran.
      if (fns.has(c.callee) || !REGISTRATION.test(c.callee)) continue;
      for (const a of c.args) {
        const name = a.trim().replace(/^&\s*/, '');
        if (fns.has(name) && !fixed.has(name)) set(name).add('runtime');
      }
    }
    for (const r of f.refs) addUser(r, f.name);
    // A function stored in an object (`bridge->master_write = fake_master_write`,
    // `ops.probe = foo_probe`) is called through that object later, whenever this ran.
    for (const s of flatten(f.body)) {
      if (s.k !== 'expr' && s.k !== 'decl') continue;
      for (const a of s.assigns ?? []) {
        const name = a.rhs.trim().replace(/^&\s*/, '');
        if (a.op === '=' && /->|\.|\[/.test(a.lhs) && fns.has(name) && !fixed.has(name)) set(name).add('runtime');
      }
    }
  }
  const objectRuns = new Map<string, RunsIn | null>();
  for (const r of facts.globalRefs) {
    if (!fns.has(r.name)) continue;
    const obj = r.inObject ?? '';
    if (!objectRuns.has(obj)) objectRuns.set(obj, objectContext(facts, lines, obj, r.line));
    const ctx = objectRuns.get(obj);
    // An __initdata table's entries run during init; a __refdata object's whenever its user
    // decides (unknown: contributes nothing); any other object's at runtime.
    if (ctx) set(r.name).add(ctx);
  }
  // File-scope declaring macros hand functions to the kernel: DEFINE_SHOW_ATTRIBUTE(foo) makes
  // foo_open() call foo_show(), DEVICE_ATTR_WO(reset) points at reset_store(), SIMPLE_DEV_PM_OPS
  // names its callbacks. The *_DECLARE() boot tables (OF, ACPI, earlycon) are init-time.
  for (const { name } of macroUses(source)) {
    for (const f of facts.functions) if (f.name === name || f.name.startsWith(`${name}_`)) set(f.name).add('runtime');
  }
  for (const f of facts.functions) if (!fixed.has(f.name) && !f.isStatic) set(f.name).add('runtime');
  for (let grew = true; grew; ) {
    grew = false;
    for (const f of facts.functions) {
      if (fixed.has(f.name)) continue;
      const mine = set(f.name);
      for (const u of users.get(f.name) ?? []) {
        for (const x of runs.get(u) ?? []) {
          if (!mine.has(x)) {
            mine.add(x);
            grew = true;
          }
        }
      }
    }
  }
  return runs;
}

/** An identifier argument of an ALL-CAPS macro invoked at file scope (column 0), *_DECLARE* aside. */
interface MacroArg {
  macro: string;
  name: string;
  line: number;
}

function macroUses(source: string): MacroArg[] {
  const out: MacroArg[] = [];
  const code = blankCommentsAndStrings(source);
  for (const m of code.matchAll(/^(?:static\s+)?(?:const\s+)?([A-Z][A-Z0-9_]*)\s*\(([^;{]*?)\)\s*(?:;\s*)?$/gm)) {
    if (/DECLARE|^MODULE_|^EXPORT_/.test(m[1]!)) continue;
    const line = code.slice(0, m.index).split('\n').length;
    // `DEVICE_ATTR(add_trigger, S_IWUSR, NULL, &iio_sysfs_trig_add)`: an address is a use too.
    for (const a of m[2]!.split(',')) {
      const name = /^&?\s*([a-z_]\w*)$/.exec(a.trim())?.[1];
      if (name) out.push({ macro: m[1]!, name, line });
    }
  }
  return out;
}

/**
 * An __init function named by a file-scope macro that files it in a table read after init:
 * `IRQCHIP_MATCH("renesas,rzg2l-irqc", rzg2l_irqc_init)` puts it in the of_device_id table of a
 * platform driver, whose probe calls it whenever the device binds (a deferred probe, a bind
 * through sysfs); `DEVICE_ATTR()`, `SIMPLE_DEV_PM_OPS()`, `DEFINE_SHOW_ATTRIBUTE()` hand theirs
 * to sysfs, the PM core, debugfs. modpost reports the reference from the table's .rodata.
 */
function macroMismatches(source: string, targets: Map<string, Target>, dead: Set<number>): SectionUse[] {
  const out: SectionUse[] = [];
  const seen = new Set<string>();
  for (const u of macroUses(source)) {
    const t = targets.get(u.name);
    if (!t || t.section !== 'init' || dead.has(u.line) || INIT_TIME_MACRO.test(u.macro) || seen.has(u.name)) continue;
    seen.add(u.name);
    out.push({ object: u.macro, target: t.name, targetSection: 'init', targetFile: t.file, targetLine: t.line, line: u.line, how: 'macro' });
  }
  return out;
}

/** File-scope macros whose tables are read while booting or loading only (setup, early params, init calls). */
const INIT_TIME_MACRO = /INITCALL|_INIT$|^__?SETUP|EARLY|BOOT|^KUNIT/;

/** When code reached from a file-scope object runs: null for __refdata (declared intentional). */
function objectContext(facts: FileFacts, lines: string[], obj: string, line: number): RunsIn | null {
  const base = obj.split('[')[0]!;
  const so = facts.sectionObjects.find((o) => o.name === base);
  if (so?.section === 'initdata' || so?.section === 'initconst') return 'init';
  if (so?.section === 'exitdata') return 'exit';
  const header = objectHeader(lines, base, line);
  if (REF_MARK.test(header)) return null;
  if (/\b(__initdata|__initconst|__init_or_module|__initdata_or_module|__initconst_or_module)\b/.test(header)) return 'init';
  if (/\b__exitdata\b/.test(header)) return 'exit';
  return 'runtime';
}

/** Occurrences of `name` in a function's text that really refer to it (not in sizeof/ARRAY_SIZE, not a member). */
function referenceLine(code: string[], fn: FunctionFacts, name: string): number | undefined {
  const re = new RegExp(`(^|[^.>\\w])${name}\\b`, 'g');
  for (let l = fn.startLine; l <= fn.endLine; l++) {
    const t = code[l - 1] ?? '';
    for (const m of t.matchAll(re)) {
      const before = t.slice(0, (m.index ?? 0) + m[1]!.length);
      // `sizeof(x)`, `ARRAY_SIZE(x)` only read the type: no reference reaches the object.
      if (/\b(sizeof|ARRAY_SIZE|typeof|__same_type)\s*\(\s*$/.test(before)) continue;
      if (l === fn.startLine && /\(\s*$|,\s*$/.test(before) && !t.includes('{')) continue;
      return l;
    }
  }
  return undefined;
}

interface Target {
  name: string;
  section: 'init' | 'initdata' | 'exit';
  file: string;
  line: number;
}

/**
 * Section mismatches of a file: for each function that can run after init (or at exit), what it
 * reaches in __init/__initdata (and, for non-exit code, in __exit); for each runtime object, the
 * same for its initialiser. Calls to functions of other files are checked through the index.
 */
export function sectionMismatches(facts: FileFacts, source: string, index?: IndexQuery, demoted: ReadonlySet<string> = new Set()): SectionUse[] {
  const lines = source.split('\n');
  const code = blankCommentsAndStrings(source).split('\n');
  const runs = runsIn(facts, source);
  const dead = disabledLines(source);
  const sections = new Map(facts.functions.map((f) => [f.name, sectionOfFunction(lines, f)]));
  const targets = new Map<string, Target>();
  // Each definition by its own annotation: `#ifdef` variants of one name (a real function and
  // an empty stub) each build in some configuration. A variant counts for a reference only
  // where both can be built together (`#ifndef CONFIG_SMP` __init variant, `#else` callers: no).
  const branches = conditionalBranches(source);
  const variants = new Map<string, Target[]>();
  for (const f of facts.functions) {
    const section = sectionOfFunction(lines, f);
    if (!section || section === 'initdata' || section === 'exitdata' || section === 'initconst' || alwaysInline(lines, f)) continue;
    const t = { name: f.name, section, file: facts.path, line: f.startLine };
    targets.set(f.name, t);
    variants.set(f.name, [...(variants.get(f.name) ?? []), t]);
  }
  const targetAt = (name: string, line: number): Target | undefined => variants.get(name)?.find((t) => !exclusiveLines(branches, t.line, line)) ?? (variants.has(name) ? undefined : targets.get(name));
  for (const o of facts.sectionObjects) {
    if ((o.section === 'initdata' || o.section === 'initconst') && !targets.has(o.name)) targets.set(o.name, { name: o.name, section: 'initdata', file: facts.path, line: o.line });
  }
  // (a `__weak` default here is only the fallback: another file's strong definition replaces it)
  const weak = new Set(facts.functions.filter((f) => /\b__weak\b/.test(headerText(lines, f))).map((f) => f.name));
  const defined = new Set(facts.functions.filter((f) => !weak.has(f.name)).map((f) => f.name));
  const remote = new Map<string, Target | undefined>();
  const remoteTarget = (name: string): Target | undefined => {
    if (!index || defined.has(name)) return undefined;
    if (remote.has(name)) return remote.get(name);
    // Every non-static definition elsewhere must be __init (arch variants may differ); over a
    // weak default, one is enough: where it links, it is the function called
    // (acpi_sleep_suspend_setup() calling x86's __init acpi_s2idle_setup()).
    const defs = index.functionsNamed(name).filter((d) => !d.isStatic && d.file !== facts.path);
    if (weak.has(name)) {
      const init = defs.find((d) => d.section === 'init');
      const t = init ? { name, section: 'init' as const, file: init.file, line: init.line } : undefined;
      remote.set(name, t);
      return t;
    }
    // Name the definition this file links against first: its own architecture's, then core code's.
    const arch = archOf(facts.path);
    const near = (file: string) => (archOf(file) === arch ? 0 : archOf(file) ? 2 : 1);
    const def = [...defs].sort((a, b) => near(a.file) - near(b.file))[0];
    const t = def && defs.every((d) => d.section === 'init') ? { name, section: 'init' as const, file: def.file, line: def.line } : undefined;
    remote.set(name, t);
    return t;
  };
  // An object another file defines in init memory (`unsigned int smp_max_threads __initdata` in
  // arch/mips/kernel/smp.c, read by smp-cps.c's core_vpe_count()): the definition this file links
  // against — its own architecture's or core code's, never a static one elsewhere, except that a
  // header's inline functions read the static objects of the .c files beside it that include it
  // (svm_onhyperv.h and svm.c's `svm_x86_ops __initdata`). Not where this file has its own.
  const remoteData = (name: string): Target | undefined => {
    if (!index?.initDataNamed || defined.has(name) || targets.has(name)) return undefined;
    const key = `\0data:${name}`;
    if (remote.has(key)) return remote.get(key);
    const arch = archOf(facts.path);
    const dir = facts.path.slice(0, facts.path.lastIndexOf('/') + 1);
    const header = facts.path.endsWith('.h');
    const def = index
      .initDataNamed(name)
      .find((d) => d.file !== facts.path && (!d.isStatic || (header && d.file.startsWith(dir) && !d.file.slice(dir.length).includes('/'))) && (!archOf(d.file) || archOf(d.file) === arch));
    const t = def && !definesObject(code, name, header) && !memberName(code, name) && !otherWordSize(facts.path, def.file) ? { name, section: 'initdata' as const, file: def.file, line: def.line } : undefined;
    remote.set(key, t);
    return t;
  };
  // (kbuild's word first: a file with module_init() that only `obj-y` builds is built in)
  const loadable = facts.modular && index?.buildKind?.(facts.path) !== 'builtin';
  const out: SectionUse[] = [];
  const bad = (from: Set<RunsIn>, t: Target): boolean =>
    t.section === 'exit' ? from.has('init') || from.has('runtime') : from.has('runtime') || from.has('exit');
  for (const f of facts.functions) {
    if (f.hasError || dead.has(f.startLine)) continue;
    const from = runs.get(f.name) ?? new Set<RunsIn>();
    const section = sectionOfFunction(lines, f);
    // A sectioned function runs in its section only (the checks left are init -> exit and
    // exit -> init); an unsectioned one with no visible user may be used by a macro: unknown.
    // A function that lost its __init while it still calls or reads init code is a mismatch
    // whoever calls it: even used by init code only, it now lives in .text, and wherever the
    // compiler does not inline it (clang, -Os, sanitizers, a second caller) modpost reports the
    // reference. Real "mark ... __init" fixes exist for exactly that.
    const lost = section !== 'init' && section !== 'exit' && demoted.has(f.name) && !from.has('runtime') && !from.has('exit');
    if (section !== 'init' && section !== 'exit' && !from.size && !lost) continue;
    if (REF_MARK.test(headerText(lines, f))) continue;
    const ctx = section === 'init' ? new Set<RunsIn>(['init']) : section === 'exit' ? new Set<RunsIn>(['exit']) : from;
    const use = (t: Target, line: number, how: 'call' | 'ref'): SectionUse => ({ from: f.name, fromRuns: [...ctx], target: t.name, targetSection: t.section, targetFile: t.file, targetLine: t.line, line, how, ...(lost ? { demoted: true } : {}) });
    // `__net_init` code reading `__net_initdata`/`__net_initconst`: both are init or neither
    // (CONFIG_NET_NS decides), so the pair never mismatches (fib4_rules_init()'s template).
    const netInit = /\b__net_init\b/.test(headerText(lines, f));
    const netPair = (t: Target): boolean => netInit && t.section === 'initdata' && /\b__net_init(?:data|const)\b/.test(objectHeader(lines, t.name, t.line));
    const mismatch = (t: Target): boolean => !netPair(t) && (bad(ctx, t) || (lost && t.section !== 'exit'));
    const locals = localNames(f);
    const seen = new Set<string>();
    for (const c of f.calls) {
      if (seen.has(c.callee) || locals.has(c.callee) || dead.has(c.line)) continue;
      const t = variants.has(c.callee) ? targetAt(c.callee, c.line) : targets.get(c.callee) ?? remoteTarget(c.callee);
      if (!t || !mismatch(t)) continue;
      seen.add(c.callee);
      out.push(use(t, c.line, 'call'));
    }
    for (const r of f.refs) {
      // (the line is looked up only for a name that is an init/exit target: a 13,000-line
      // register table names thousands of things, and each lookup scans the function)
      if (seen.has(r) || locals.has(r)) continue;
      const far = variants.has(r) || targets.has(r) ? undefined : remoteData(r);
      if (!far && !(variants.has(r) || targets.has(r))) continue;
      const line = referenceLine(code, f, r);
      const t = line === undefined ? undefined : far ?? (variants.has(r) ? targetAt(r, line) : targets.get(r));
      if (!t || !mismatch(t)) continue;
      if (line === undefined || dead.has(line)) continue;
      seen.add(r);
      out.push(use(t, line, 'ref'));
    }
    // An __init function handed to a registration (`request_irq(irq, foo_isr, ...)`,
    // `kmem_cache_create(..., foo_ctor)`) is called by the kernel later, after its text is
    // freed, however early the code that handed it over ran. Built-in boot code may hand __init
    // work to threads and work items it waits for before init memory is freed
    // (deferred_init_memmap(), tracefs set-up), which a module's init cannot outlast; anything
    // else it registers (gic-v2m's fwnode provider, a CPU hotplug callback) is kept.
    // A handler set up and torn down again by the same function (an IRQ probe: request_irq()
    // ... free_irq(irq, handler), a work item flushed before returning) is not kept.
    const unconditional = new Set(f.body.flatMap((st) => ownCalls(st).map((c) => c.line)));
    const tornDown = (name: string, reg: CallSite) =>
      f.calls.some((c) => TEARDOWN.test(c.callee) && (c.args.some((a) => a.trim().replace(/^&\s*/, '') === name) || (unconditional.has(c.line) && c.args[0] === reg.args[0])));
    for (const c of f.calls) {
      if (defined.has(c.callee) || !REGISTRATION.test(c.callee) || dead.has(c.line) || (!loadable && BOOT_WAITED.test(c.callee))) continue;
      for (const a of c.args) {
        const t = targets.get(a.trim().replace(/^&\s*/, ''));
        if (!t || t.section !== 'init' || t.file !== facts.path || t.name === f.name || seen.has(t.name) || tornDown(t.name, c)) continue;
        seen.add(t.name);
        out.push({ from: f.name, fromRuns: [...ctx], target: t.name, targetSection: 'init', targetFile: t.file, targetLine: t.line, line: c.line, how: 'handed', via: `to ${c.callee}()` });
      }
    }
  }
  out.push(...dataMismatches(facts, lines, targets, runs, dead, loadable, demoted));
  out.push(...macroMismatches(source, targets, dead));
  out.push(...netInitExitCallbacks(facts, lines, dead));
  out.push(...initDataConstness(facts, lines, dead));
  out.push(...entryMismatches(facts, sections));
  out.push(...exportMismatches(code, targets, dead));
  if (index) out.push(...callerMismatches(facts, sections, index));
  if (index) for (const u of out) if (u.from && (u.how === 'call' || u.how === 'ref') && u.targetSection !== 'exit') u.callersAllInit = onlyInitCallers(facts, u.from, index);
  return out;
}

/**
 * EXPORT_SYMBOL*() of a function or object in an init or exit section: a module loaded later
 * can call the export after init memory is freed (or, for __exit, the text was never kept), and
 * modpost warns about every such export ("unexport __init-annotated ..." fixes). `code` has
 * comments and strings blanked, so an export in a comment counts for nothing.
 */
function exportMismatches(code: readonly string[], targets: ReadonlyMap<string, Target>, dead: ReadonlySet<number>): SectionUse[] {
  const out: SectionUse[] = [];
  const re = /\bEXPORT_SYMBOL(?:_GPL|_NS|_NS_GPL|_GPL_FOR_MODULES)?\s*\(\s*([A-Za-z_]\w*)/g;
  code.forEach((text, i) => {
    if (dead.has(i + 1)) return;
    for (const m of text.matchAll(re)) {
      const t = targets.get(m[1]!);
      if (!t || (t.section !== 'init' && t.section !== 'exit' && t.section !== 'initdata')) continue;
      out.push({ target: t.name, targetSection: t.section, targetFile: t.file, targetLine: t.line, line: i + 1, how: 'export' });
    }
  });
  return out;
}

/** module_exit() naming an __init function (freed before the module can be unloaded), or module_init() an __exit one. */
function entryMismatches(facts: FileFacts, sections: Map<string, FunctionFacts['section']>): SectionUse[] {
  const out: SectionUse[] = [];
  for (const e of facts.moduleEntries) {
    if (e.driver) continue;
    const section = sections.get(e.fn);
    const fn = facts.functions.find((f) => f.name === e.fn);
    if (!fn || !section) continue;
    if ((e.kind === 'exit' && section === 'init') || (e.kind === 'init' && section === 'exit')) {
      out.push({ from: e.macro, fromRuns: [e.kind], target: e.fn, targetSection: section, targetFile: facts.path, targetLine: fn.startLine, line: e.line, how: 'entry' });
    }
  }
  return out;
}

/**
 * A non-static __init function of this file called from functions of other files that are not
 * __init themselves (a clk registration helper called from probe routines): those calls run after
 * init and land in freed text. Likewise a non-static __exit function called from other files'
 * code that is not exit code (an init error path): discarded when built in.
 */
function callerMismatches(facts: FileFacts, sections: Map<string, FunctionFacts['section']>, index: IndexQuery): SectionUse[] {
  const out: SectionUse[] = [];
  // Early images linked on their own (arm64's pi/, boot decompressors) share no symbol with
  // the kernel: its callers are not theirs.
  if (SEPARATE_IMAGE.test(facts.path)) return out;
  for (const f of facts.functions) {
    const section = sections.get(f.name);
    if (f.isStatic || (section !== 'init' && section !== 'exit')) continue;
    // Several global definitions (one per architecture or configuration): which one a caller
    // links against is not known here. An architecture's own definition overrides the generic
    // (__weak) one on that architecture (alpha's page_is_ram()): with rivals only outside it,
    // callers of the same architecture and of core code (built everywhere) still link against
    // it, drivers (built on some architectures only) may not.
    const rivals = index.functionsNamed(f.name).filter((d) => !d.isStatic && !(d.file === facts.path && d.line === f.startLine) && !SEPARATE_IMAGE.test(d.file));
    const arch = archOf(facts.path);
    if (rivals.length && (!arch || rivals.some((d) => d.file === facts.path || archOf(d.file) === arch))) continue;
    // Name the caller closest to the change first: the same architecture, then core code, then drivers.
    const rank = (file: string) => (archOf(file) ? 0 : file.startsWith('drivers/') ? 2 : 1);
    for (const c of [...index.callersOf(f.name)].sort((a, b) => rank(a.file) - rank(b.file))) {
      if (c.file === facts.path || !sameArch(c.file, facts.path) || SEPARATE_IMAGE.test(c.file)) continue;
      if (rivals.length && rank(c.file) === 2) continue;
      const defs = index.functionsNamed(c.caller).filter((d) => d.file === c.file);
      if (!defs.length) continue;
      if (section === 'init' && defs.some((d) => d.section === 'init' || d.section === 'exit')) continue;
      // An __exit function may be called from exit code only: an init error path in another
      // file (snd_soc_init() calling snd_soc_util_exit()) breaks when built in.
      if (section === 'exit' && defs.some((d) => d.section === 'exit')) continue;
      const runs: RunsIn = defs.some((d) => d.section === 'init') ? 'init' : 'runtime';
      out.push({ from: c.caller, fromRuns: [runs], target: f.name, targetSection: section, targetFile: facts.path, targetLine: f.startLine, line: f.startLine, how: 'caller', callerFile: c.file });
      break;
    }
  }
  return out;
}

/** Code of one architecture never calls into another's (arch/alpha vs arch/parisc). */
function sameArch(a: string, b: string): boolean {
  return !archOf(a) || !archOf(b) || archOf(a) === archOf(b);
}

/** Objects linked into an image of their own, not the kernel: arm64/riscv `pi/`, boot code. */
const SEPARATE_IMAGE = /^arch\/[^/]+\/(?:kernel\/pi|boot|purgatory)\/|^arch\/x86\/realmode\//;

const archOf = (path: string): string | undefined => /^arch\/([^/]+)\//.exec(path)?.[1];

/**
 * Is the name a struct member in this file (`p->regions[i]`, `struct_size(p, regions, n)`)? Then
 * a bare use of it is likely a macro's member argument, not another file's object.
 */
function memberName(code: readonly string[], name: string): boolean {
  const re = new RegExp(`(?:->|\\.)\\s*${name}\\b|\\b(?:struct_size|struct_size_t|flex_array_size|offsetof|offsetofend|sizeof_field|container_of|list_entry|list_first_entry|list_for_each_entry\\w*)\\s*\\([^;]*,\\s*${name}\\s*[,)]`);
  return code.some((l) => l.includes(name) && re.test(l));
}

/** `init_64.c` against `setup_32.c`: the two word sizes of one architecture never link together. */
function otherWordSize(a: string, b: string): boolean {
  const size = (p: string) => /_(32|64)\.[ch]$/.exec(p)?.[1];
  return !!size(a) && !!size(b) && size(a) !== size(b);
}

/**
 * Does the file define (not only declare `extern`) an object of this name at file scope? In a
 * header, a declaration without an initialiser (`static struct kvm_x86_ops svm_x86_ops;`) only
 * names the object of the .c file that includes it.
 */
function definesObject(code: readonly string[], name: string, header: boolean): boolean {
  const re = new RegExp(`^(?!extern\\b)[A-Za-z_][^;(=]*\\b${name}\\b\\s*(?:\\[[^\\]]*\\]\\s*)*(?:=${header ? '' : '|;|__|$'})`);
  return code.some((l) => re.test(l));
}

/** Does every call of this (non-static) function in the tree come from __init code? */
function onlyInitCallers(facts: FileFacts, name: string, index: IndexQuery): boolean {
  const fn = facts.functions.find((f) => f.name === name);
  if (!fn || fn.isStatic || fn.exported) return false;
  const callers = index.callersOf(name);
  if (!callers.length) return false;
  return callers.every((c) => {
    const defs = index.functionsNamed(c.caller).filter((d) => d.file === c.file);
    return defs.length > 0 && defs.every((d) => d.section === 'init');
  });
}

/**
 * A `const` object marked __initdata: .init.data is writable and .init.rodata (__initconst) is
 * not, so the compiler refuses the pair in one file ("section type conflict") and the const
 * object belongs in __initconst (certs' blacklist_hashes[]). Const is the object's own: after
 * the last `*` of a pointer (`const char *const x[]`), anywhere in a plain declaration. And the
 * other way round: a pointer to const that init code writes, marked __initconst.
 */
function initDataConstness(facts: FileFacts, lines: string[], dead: Set<number>): SectionUse[] {
  const out: SectionUse[] = [];
  for (const o of facts.sectionObjects) {
    if ((o.section !== 'initdata' && o.section !== 'initconst') || dead.has(o.line)) continue;
    const mark = o.section === 'initdata' ? '__initdata' : '__initconst';
    const text = lines[o.line - 1] ?? '';
    // The declarator is the name's last mention before the initialiser (`const struct
    // machine_desc *machine_desc __initdata;` names its type first).
    const decl = text.split('=')[0]!;
    const at = [...decl.matchAll(new RegExp(`\\b${o.name.split('[')[0]}\\b`, 'g'))].pop()?.index;
    if (at === undefined) continue;
    // The declaration from its start: the line before too when this one holds only the name.
    let before = text.slice(0, at);
    // `static const struct foo { ... } name[] __initdata = {`: the type, const and all, stands
    // before the struct's body (resctrl's mbm_cf_table[]).
    if (/^\s*}/.test(before)) before = `${structHead(lines, o.line)} ${before.replace(/^\s*}/, '')}`;
    else if (!/\w/.test(before)) before = `${lines[o.line - 2] ?? ''} ${before}`;
    const after = text.slice(at).split('=')[0]!;
    if (!new RegExp(`\\b${mark}\\b`).test(before + after)) continue;
    const star = before.lastIndexOf('*');
    // (`static const struct board_info __initconst *boards[]`: the mark may stand before the `*`)
    const own = star < 0 ? before : before.slice(star);
    const isConst = /\bconst\b/.test(own) || /\bconst\b/.test(after.split(mark)[0]!.replace(o.name, ''));
    if (o.section === 'initdata' && isConst) {
      out.push({ object: o.name, target: o.name, targetSection: 'initdata', targetFile: facts.path, targetLine: o.line, line: o.line, how: 'const' });
    } else if (o.section === 'initconst' && !isConst && star >= 0 && written(facts, o.name)) {
      // A pointer to const is no const object (rcar-gen4's cpg_pll_config, set during init):
      // in .init.rodata it conflicts with the const data beside it, and a write to it faults
      // where that section is mapped read-only.
      out.push({ object: o.name, target: o.name, targetSection: 'initdata', targetFile: facts.path, targetLine: o.line, line: o.line, how: 'const', writable: true });
    }
  }
  return out;
}

/** Is the file-scope object assigned by some function (`cpg_pll_config = config;`)? */
function written(facts: FileFacts, name: string): boolean {
  const base = name.split('[')[0]!;
  return facts.functions.some((f) => flatten(f.body).some((st) => (st.k === 'expr' || st.k === 'decl') && (st.assigns ?? []).some((a) => baseName(resourceIdentity(a.lhs)) === base)));
}

/** The text before the `{` of the struct body that closes on line `close` (its first `}`). */
function structHead(lines: string[], close: number): string {
  let depth = 0;
  for (let l = close; l > 0 && close - l < 200; l--) {
    const t = l === close ? (lines[l - 1] ?? '').slice(0, (lines[l - 1] ?? '').indexOf('}') + 1) : lines[l - 1] ?? '';
    for (let i = t.length - 1; i >= 0; i--) {
      if (t[i] === '}') depth++;
      else if (t[i] === '{' && --depth === 0) return `${/\w/.test(t.slice(0, i)) ? '' : lines[l - 2] ?? ''} ${t.slice(0, i)}`;
    }
  }
  return '';
}

/** Callbacks of struct pernet_operations that run when a namespace, or the registration, goes away. */
const PERNET_EXIT_FIELDS = /^(pre_exit|exit|exit_batch|exit_batch_rtnl|exit_rtnl)$/;

/**
 * `__net_init` is `__init` in a kernel without CONFIG_NET_NS, and a module's pernet exit
 * callbacks run from unregister_pernet_*() at unload, after its init text was freed: an exit
 * callback marked `__net_init` jumps into freed memory there (sctp_ctrlsock_exit()). Its mark
 * is `__net_exit`, which stays.
 */
function netInitExitCallbacks(facts: FileFacts, lines: string[], dead: Set<number>): SectionUse[] {
  const out: SectionUse[] = [];
  for (const s of facts.structInits) {
    if (s.type !== 'pernet_operations') continue;
    for (const f of s.fields) {
      if (!PERNET_EXIT_FIELDS.test(f.field) || dead.has(f.line)) continue;
      const fn = facts.functions.find((x) => x.name === f.value);
      if (!fn || !/\b__net_init\b/.test(declarationHead(lines, fn))) continue;
      out.push({ object: s.name, field: f.field, target: fn.name, targetSection: 'init', targetFile: facts.path, targetLine: fn.startLine, line: f.line, how: 'netns' });
    }
  }
  return out;
}

/** Runtime objects whose initialisers name __init/__initdata (or __exit, outside __exit_p()). */
function dataMismatches(facts: FileFacts, lines: string[], targets: Map<string, Target>, runs: Map<string, Set<RunsIn>>, dead: Set<number>, loadable: boolean, demoted: ReadonlySet<string>): SectionUse[] {
  const out: SectionUse[] = [];
  const seen = new Set<string>();
  const ctxCache = new Map<string, RunsIn | null>();
  const usedLater = new Map<string, boolean>();
  for (const r of facts.globalRefs) {
    const t = targets.get(r.name);
    if (!t || !r.inObject || dead.has(r.line)) continue;
    const obj = r.inObject.split('[')[0]!;
    // modpost lets `*_ops`/`*_console` objects name init code (early consoles set up once). A
    // module's console is registered when a port is added, after init: its .setup must stay.
    // A module's ops table that is used after init (handed to a registration, named by a
    // registered object) is called after the module's init text is freed, however modpost names
    // it. Built-in `*_ops` (smp_ops, page_ext_operations, irq_remap_ops) are called only while
    // the kernel boots: there modpost's whitelist holds.
    // Nor does the whitelist make a driver named `*_probe` safe: unless it is registered once for
    // good (platform_driver_probe()), its probe can run after init (deferred probe, a bind
    // through sysfs), as qcom-irq-combiner's `qcom_irq_combiner_probe` driver's did.
    // (A platform driver: its probe may return -EPROBE_DEFER and run again from the deferred
    // list, or bind through sysfs. Buses that probe synchronously while the driver registers —
    // parisc's, for one — run an __init probe inside the module's init, as __refdata says.)
    const driver = facts.structInits.find((x) => x.name === obj)?.type === 'platform_driver' && t.section === 'init' && !oneShotDriver(facts, lines, obj) && !suppressesBind(facts, obj);
    // (init data too: `.cl_ops = &htb_class_ops` with htb_class_ops made __initconst)
    // (built in too, an ops table a device calls through for as long as it exists: a UART's
    // set_termios, a regulator's get_voltage_sel, a file's read; not boot-time ops like smp_ops)
    const runtimeOps = loadable || DEVICE_OPS_TYPE.test(r.inType ?? '');
    if (WHITELISTED_OBJECT.test(obj) && !driver && !(facts.modular && r.inType === 'console') && !(runtimeOps && /_ops$/.test(obj) && t.section !== 'exit' && objectUsedAfterInit(facts, lines, obj, runs, loadable))) continue;
    // An object that lost its __initdata/__initconst in this change but still names init code:
    // it now lives in .data/.rodata, and modpost reports every reference from there into .init,
    // whoever reads the object.
    if (demoted.has(obj) && t.section !== 'exit' && !REF_MARK.test(objectHeader(lines, obj, r.line))) {
      const key = `${obj}.${r.field ?? ''}>${r.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ object: r.field?.startsWith('#') ? r.inObject : obj, ...(r.field && !r.field.startsWith('#') ? { field: r.field } : {}), target: t.name, targetSection: t.section, targetFile: t.file, targetLine: t.line, line: r.line, how: 'data', demoted: true });
      continue;
    }
    if (!ctxCache.has(obj)) ctxCache.set(obj, objectContext(facts, lines, obj, r.line));
    // __refdata silences modpost, not the linker: a built-in kernel discards .exit.text (or frees
    // it with init memory), so an object that keeps an __exit function's address outside
    // __exit_p() points into nothing whatever its own section (pvr2fb's board_driver[]).
    // Nor does it keep a module's driver from probing after init: `static __refdata struct
    // platform_driver` with an __init probe that module_platform_driver() registers
    // (vpif_display) still calls it from a deferred probe or a bind, after the module's init text
    // is freed. (Built-in boot drivers marked __refdata — exynos CMUs, parisc bus drivers — are
    // bound while the kernel boots, as their authors declare.)
    const ctx = ctxCache.get(obj) ?? ((t.section === 'exit' && !exitPointer(facts, r)) || (driver && loadable) ? 'runtime' : null);
    if (!ctx || ctx === 'init' && t.section !== 'exit' || ctx === 'exit' && t.section === 'exit') continue;
    // An init target in an object only init code looks at (a DMI quirk table matched in init):
    // not annotated __initconst, but nothing reaches the target after init either.
    if (t.section !== 'exit') {
      if (!usedLater.has(obj)) usedLater.set(obj, objectUsedAfterInit(facts, lines, obj, runs, loadable));
      if (!usedLater.get(obj)) continue;
    }
    // `.remove = __exit_p(foo_remove)` keeps the pointer in a module: modpost reports it unless
    // the object is __refdata (a driver registered with platform_driver_probe() cannot be
    // unbound), and a driver that can be unbound calls the stripped function when built in.
    const viaExitP = t.section === 'exit' && exitPointer(facts, r);
    const key = `${obj}.${r.field ?? ''}>${r.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const use: SectionUse = { object: obj, target: t.name, targetSection: t.section, targetFile: t.file, targetLine: t.line, line: r.line, how: 'data' };
    // A positional entry (`#1`) is named by the element it sits in: board_driver[1].
    if (r.field?.startsWith('#')) use.object = r.inObject;
    else if (r.field) use.field = r.field;
    if (viaExitP) use.exitP = oneShotDriver(facts, lines, obj) ? 'one-shot' : 'unbindable';
    // The object's own declaration (where __refdata or __initdata would stand) causes it too.
    const decl = facts.structInits.find((x) => x.name === obj)?.line;
    if (decl !== undefined) use.objectLine = decl;
    out.push(use);
  }
  return out;
}

/** `.driver = { .suppress_bind_attrs = true }`: no bind through sysfs. */
function suppressesBind(facts: FileFacts, obj: string): boolean {
  return facts.structInits.some((x) => x.name === obj && x.fields.some((f) => f.field === 'driver.suppress_bind_attrs' && f.value === 'true'));
}

/** Lookups that read a table only while called: passing a table to them hands nothing over. */
const TABLE_LOOKUPS = /^(ARRAY_SIZE|sizeof|typeof|dmi_check_system|dmi_first_match|x86_match_cpu|of_match_node|of_find_matching_node(_and_match)?|of_match_device|pci_match_id|acpi_match_device|memcpy)$/;

/**
 * Can the object be used after init? Yes if a function that runs later names it, if a function
 * hands it (or its address) to a call outside the file (a registration: the kernel calls its
 * pointers later), or if another object or a file macro names it.
 */
function objectUsedAfterInit(facts: FileFacts, lines: string[], obj: string, runs: Map<string, Set<RunsIn>>, loadable: boolean, depth = 0): boolean {
  // Named in another file-scope table (`static struct platform_driver * const drivers[] =
  // { &foo_driver, ... }` handed to platform_register_drivers()): used whenever that table is.
  // Followed in loadable modules only: built-in boot-time tables (exynos5 sub-CMUs) are read by
  // __init code of other files while init memory is still there, which this file cannot see.
  if (loadable && depth < 3) {
    for (const holder of holdersOf(facts, lines, obj)) if (holder !== obj && objectUsedAfterInit(facts, lines, holder, runs, loadable, depth + 1)) return true;
  }
  // Visible to other files (`const struct hantro_variant imx8mq_vpu_variant = {...}` matched by a
  // driver elsewhere): what they do with it is out of sight, so it may be used at any time.
  if (facts.structInits.some((s) => s.name === obj && !s.isStatic)) return true;
  const sizeOnly = new RegExp(`\\b(ARRAY_SIZE|sizeof)\\s*\\(\\s*${obj}\\b`);
  if (facts.globalRefs.some((g) => g.name === obj && g.inObject !== obj && !sizeOnly.test(lines[g.line - 1] ?? ''))) return true;
  // Named by a file macro, or derived from its argument: DEFINE_SEQ_ATTRIBUTE(pwrseq_debugfs)
  // builds file operations around `pwrseq_debugfs_sops`.
  if (facts.fileMacros.some((m) => m.args.some((a) => new RegExp(`\\b${obj}\\b`).test(a) || (/^DEFINE_/.test(m.name) && /^\w+$/.test(a.trim()) && obj.startsWith(`${a.trim()}_`))))) return true;
  // Registered by `module_platform_driver(obj)` / `builtin_platform_driver(obj)`: its callbacks
  // run whenever a device binds. (The `*_driver_probe(obj, probe)` forms take probe apart.)
  const registered = new RegExp(`^\\s*(module|builtin)_\\w+_driver\\s*\\(\\s*${obj}\\s*[,)]`);
  if (lines.some((l) => registered.test(l))) return true;
  const defined = new Set(facts.functions.map((f) => f.name));
  // In a module, an address stored in a field (`set->ops = &null_mq_ops`) outlives the code that
  // stored it: the structure it went into is kept (a tag set, a registered device) after init.
  const stored = new RegExp(`(?:->|\\.)\\s*\\w+\\s*=\\s*&?\\s*${obj}\\s*;`);
  for (const f of facts.functions) {
    if (!f.refs.includes(obj)) continue;
    if (loadable && lines.slice(f.startLine - 1, f.endLine).some((l) => stored.test(l) && !storedInLocal(l, f))) return true;
    const r = runs.get(f.name);
    // Exit code reads such tables for their exit pointers (btrfs' mod_init_seq): only runtime use counts.
    if (r?.has('runtime')) return true;
    const re = new RegExp(`^&?\\s*${obj}\\b`);
    if (f.calls.some((c) => !defined.has(c.callee) && !TABLE_LOOKUPS.test(c.callee) && c.args.some((a) => re.test(a)))) return true;
    // Handed to a same-file helper that hands its parameter on (`aes_s390_register_skcipher(
    // &ctr_aes_alg)`, which calls crypto_register_skcipher(alg)): registered all the same.
    if (f.calls.some((c) => defined.has(c.callee) && c.args.some((a, i) => re.test(a) && handsOnParam(facts, c.callee, i, defined)))) return true;
  }
  return false;
}

/** Does same-file function `name` pass its `i`-th parameter to a function of another file (one level)? */
function handsOnParam(facts: FileFacts, name: string, i: number, defined: ReadonlySet<string>): boolean {
  return facts.functions.some((g) => {
    const param = g.name === name ? g.params[i] : undefined;
    if (!param || !/^\w+$/.test(param)) return false;
    const re = new RegExp(`^&?\\s*${param}\\b`);
    return g.calls.some((c) => !defined.has(c.callee) && !TABLE_LOOKUPS.test(c.callee) && c.args.some((a) => re.test(a)));
  });
}

/** `cfg.ops = &x;` into a struct the function declares itself: gone when the function returns. */
function storedInLocal(line: string, fn: FunctionFacts): boolean {
  const base = /^\s*(\w+)\s*\.\s*\w+\s*=/.exec(line)?.[1];
  return base !== undefined && !/->/.test(line) && localNames(fn).has(base);
}

/**
 * File-scope objects whose initialiser names `obj` (by address or value), read from the lines
 * outside function bodies: the name of the declaration each such line belongs to.
 */
function holdersOf(facts: FileFacts, source: string[], obj: string): string[] {
  const lines = blankCommentsAndStrings(source.join('\n')).split('\n');
  const inBody = (l: number) => facts.functions.some((f) => l >= f.startLine && l <= f.endLine);
  const re = new RegExp(`(^|[^\\w.>])&?\\s*${obj}\\b(?!\\s*=)`);
  const out = new Set<string>();
  for (let l = 1; l <= lines.length; l++) {
    if (!re.test(lines[l - 1] ?? '') || inBody(l)) continue;
    // The declaration the line belongs to: the nearest line above (or this one) that opens an
    // initialiser `name[...] = {` / `name = {`.
    for (let k = l; k > 0 && l - k < 100; k--) {
      const m = /(?<!\w)(\w+)(?:\s*\[[^\]]*\])?\s*=/.exec(lines[k - 1] ?? '');
      if (m && /^\s*(static\b|const\b|struct\b|[a-z_]\w*\s)/.test(lines[k - 1] ?? '')) {
        out.add(m[1]!);
        break;
      }
      if (k < l && /^\S.*;\s*$|^}/.test(lines[k - 1] ?? '')) break;
    }
  }
  return [...out];
}

/** Registrations of a driver that can never be unbound: its remove runs only at module exit. */
const ONE_SHOT = /^(platform_driver_probe|__platform_driver_probe|module_platform_driver_probe|platform_create_bundle|__platform_create_bundle|builtin_platform_driver_probe)$/;

function oneShotDriver(facts: FileFacts, lines: string[], obj: string): boolean {
  // module_platform_driver_probe(drv, probe) at file scope.
  if (lines.some((l) => new RegExp(`^\\s*(module|builtin)_platform_driver_probe\\s*\\(\\s*${obj}\\b`).test(l))) return true;
  const re = new RegExp(`^&?\\s*${obj}$`);
  return facts.functions.some((f) => f.calls.some((c) => ONE_SHOT.test(c.callee) && c.args.some((a) => re.test(a.trim()))));
}

/** `.remove = __exit_p(foo_remove)`: NULL when built in, the function in a module (include/linux/init.h). */
function exitPointer(facts: FileFacts, r: GlobalRef): boolean {
  const s = facts.structInits.find((x) => x.name === r.inObject);
  const v = s?.fields.find((f) => f.field === r.field)?.value ?? '';
  return new RegExp(`__exit_p\\s*\\(\\s*${r.name}\\s*\\)`).test(v);
}

/** Parameters and locals of a function (a local may shadow a file-scope __initdata name). */
function localNames(fn: FunctionFacts): Set<string> {
  const out = new Set(fn.params);
  for (const s of flatten(fn.body)) {
    if (s.k !== 'decl') continue;
    for (const part of s.text.replace(/;\s*$/, '').split(',')) {
      // (The part is trimmed and holds no `=`: the name is the last word, after it only array bounds.)
      const m = /(?<!\w)\d*([A-Za-z_]\w*)\s*(?:\[[^\]]*\])*$/.exec(part.split('=')[0]!.trim());
      if (m) out.add(m[1]!);
    }
  }
  return out;
}
