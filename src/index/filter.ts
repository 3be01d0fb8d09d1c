// The lexical pre-filter of the tree index: which `.c` files are worth a tree-sitter parse.
//
// The index answers questions about module lifecycles: which functions are init/exit targets,
// whose return value reaches a module_init return (a chain of callers that return their
// callee's result), who calls a function, which module notifiers exist. A file can contribute to
// those answers only if:
//
//  1. it names a lifecycle entry or a module-loader API (stage "lexical", always parsed):
//     `module_init`/`module_exit`, the initcall family (`late_initcall`, `subsys_initcall`, ...,
//     every `*initcall*(`), `module_*_driver(`/`module_driver(`/`builtin_*driver(` (they
//     generate init functions), `register_module_notifier`, `request_module*`, `try_module_get`,
//     `EXPORT_SYMBOL*` (exported functions are the only functions another module can call, so
//     cross-module chains pass through them) and `MODULE_LICENSE` (the file is part of a module);
//  2. or it defines, without `static`, a function that an init function reaches through
//     propagation edges (stage "closure"): the chain init ← f1 ← f2 ... crosses into a file
//     that has none of the words above only through a non-static function of the same module
//     or of built-in code. Such files are found after stage 1 from the names the indexed init
//     functions propagate, matched against the candidate definitions below, until a fixpoint.
//
// A file with only static functions and none of the words above cannot be on such a chain
// (static functions are reachable only from their own file), so it is never parsed. The cost of
// this: `callersOf(fn)` does not see calls made from files outside both stages.

/** Stage-1 words. Checked after cheap substring tests so most files cost one scan. */
const LIFECYCLE =
  /\b(?:module_init|module_exit|module_driver|module_\w+_driver\w*|builtin_\w*driver|\w*initcall\w*|register_module_notifier|request_module\w*|try_module_get|EXPORT_SYMBOL\w*|MODULE_LICENSE)\s*\(/;

const QUICK = ['module_', 'initcall', 'EXPORT_SYMBOL', 'MODULE_LICENSE', 'builtin_', 'try_module_get'];

/** The stage-1 word that selects this file, or null. */
export function lifecycleReason(text: string): string | null {
  if (!QUICK.some((w) => text.includes(w))) return null;
  const m = LIFECYCLE.exec(text);
  return m ? m[0].replace(/\s*\($/, '') : null;
}

/**
 * Names a file may define as non-static functions: in kernel style a definition starts at
 * column 0 (`int foo(`, `struct bar *\nfoo(`, `void __init foo(`). A superset (prototypes and
 * file-scope macro calls match too): a false candidate costs a parse, never a wrong answer.
 */
const DEF = /^(?!static\b)(?:[A-Za-z_]\w*[ \t*]+)*?([A-Za-z_]\w*)[ \t]*\(/gm;

export function candidateDefs(text: string): string[] {
  const out = new Set<string>();
  DEF.lastIndex = 0;
  for (let m = DEF.exec(text); m; m = DEF.exec(text)) out.add(m[1]!);
  return [...out];
}

/**
 * Directories left out of the default walk: their `.c` files are not kernel code that a module
 * loads. `Documentation/` holds examples, `tools/` is userspace (perf, bpf selftests, ...),
 * `samples/` are example modules nobody depends on, `scripts/` are host programs (kconfig,
 * modpost) built for the build machine.
 */
export const DEFAULT_SKIP_DIRS = ['Documentation', 'tools', 'samples', 'scripts'];
