// What the tree index walks. Which files it then parses, and which functions of them, is decided
// by the lexical pre-pass and the selection step (lexical.ts, select.ts; see docs/INDEX.md).

/**
 * Directories left out of the default walk: their `.c` files are not kernel code that a module
 * loads. `Documentation/` holds examples, `tools/` is userspace (perf, bpf selftests, ...),
 * `samples/` are example modules nobody depends on, `scripts/` are host programs (kconfig,
 * modpost) built for the build machine.
 */
export const DEFAULT_SKIP_DIRS = ['Documentation', 'tools', 'samples', 'scripts'];
