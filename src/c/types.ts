// Per-file facts extracted from C source with tree-sitter-c. Plain JSON: facts cross worker
// threads and are cached in SQLite, so no tree-sitter node ever outlives the parse of its file.

/** Section annotation on a function or object: `__init`, `__exit`, `__initdata`, ... */
export type Section = 'init' | 'exit' | 'initdata' | 'exitdata' | 'initconst' | null;

export interface CallSite {
  callee: string;
  /** Argument source texts, whitespace-normalised. */
  args: string[];
  line: number;
  /** `x = f(...)` or `int x = f(...)`: the variable the result lands in. */
  assignedTo?: string;
}

/**
 * A small structured IR of a function body: enough for path questions (what is acquired before
 * this return? which labels does this goto fall through?) without a CFG library.
 */
export type Stmt =
  | { k: 'expr'; line: number; text: string; calls: CallSite[]; assigns?: Assign[] }
  | { k: 'decl'; line: number; text: string; calls: CallSite[]; assigns?: Assign[] }
  | { k: 'if'; line: number; cond: string; condCalls: CallSite[]; then: Stmt[]; else?: Stmt[] }
  | { k: 'return'; line: number; expr: string | null; calls: CallSite[] }
  | { k: 'goto'; line: number; label: string }
  | { k: 'label'; line: number; name: string }
  /** `macro`: the iterator macro the loop was written as (`for_each_child_of_node`), if any. */
  | { k: 'loop'; line: number; cond: string; condCalls: CallSite[]; body: Stmt[]; macro?: string }
  | { k: 'switch'; line: number; cond: string; cases: SwitchCase[] }
  | { k: 'block'; line: number; body: Stmt[] }
  | { k: 'break'; line: number }
  | { k: 'continue'; line: number };

export interface SwitchCase {
  line: number;
  /** Case label texts (`MODULE_STATE_COMING`); empty array for `default`. */
  labels: string[];
  body: Stmt[];
}

export interface Assign {
  lhs: string;
  rhs: string;
  op: string;
}

/** A path by which a function may return another function's result. */
export interface Propagation {
  callee: string;
  line: number;
  /** Error codes the function remaps on the way (`if (ret == -EEXIST) ret = -EBUSY`), e.g. ['EEXIST']. */
  masks: string[];
}

export interface FunctionFacts {
  name: string;
  startLine: number;
  endLine: number;
  isStatic: boolean;
  /** Declared `inline`. */
  isInline: boolean;
  section: Section;
  exported: boolean;
  params: string[];
  /** An ERROR or MISSING node lies inside this function: its facts may be incomplete. */
  hasError: boolean;
  calls: CallSite[];
  body: Stmt[];
  /** Negative errno constants a return statement may yield (directly or via locals), e.g. ['EEXIST']. */
  returnsErrno: { code: string; line: number }[];
  propagates: Propagation[];
  /** Identifiers referenced in the body that are not calls (for function-pointer and __initdata uses). */
  refs: string[];
  /** Comment texts inside the function, with their lines (rules honour "keep the reference" notes). */
  comments: { line: number; text: string }[];
}

export type ModuleEntryKind = 'init' | 'exit';

export interface ModuleEntry {
  kind: ModuleEntryKind;
  /** The function named by module_init()/module_exit(), or the one a helper macro generates. */
  fn: string;
  line: number;
  /** `module_init`, `late_initcall`, `module_platform_driver`, ... */
  macro: string;
  /** For `module_*_driver(drv)` macros: the driver object registered. */
  driver?: string;
}

export interface FieldInit {
  field: string;
  value: string;
  line: number;
}

/** `static const struct file_operations foo_fops = { .owner = THIS_MODULE, ... };` */
export interface StructInit {
  type: string;
  name: string;
  line: number;
  isStatic: boolean;
  section: Section;
  fields: FieldInit[];
  /** Initialised by a macro that fills it (DEFINE_SHOW_ATTRIBUTE), not a literal initialiser. */
  viaMacro?: string;
}

/** A use of a function or object outside any function body: a struct field, a table entry. */
export interface GlobalRef {
  name: string;
  line: number;
  /** The object or struct the reference sits in. */
  inObject?: string;
  inType?: string;
  field?: string;
}

export interface FileFacts {
  path: string;
  /** sha1 of the source as git hashes a blob (`git hash-object`). */
  hash: string;
  functions: FunctionFacts[];
  moduleEntries: ModuleEntry[];
  structInits: StructInit[];
  globalRefs: GlobalRef[];
  /** Objects declared with a section annotation (`__initdata` tables, ...); `isStatic` when file-local. */
  sectionObjects: { name: string; section: Section; line: number; isStatic?: true }[];
  /** Macro invocations at file scope that matter to rules: DEFINE_SHOW_ATTRIBUTE(x), ... */
  fileMacros: { name: string; args: string[]; line: number }[];
  /** The file is modular: has module_init/module_exit or a module_*_driver macro or MODULE_LICENSE. */
  modular: boolean;
  /**
   * Constructs left out of the facts, with why: a function (`what`: "function foo()") or a
   * file-scope declaration nested deeper than MAX_NESTING (facts.ts). Present only when there
   * is one: facts of ordinary code are unchanged by it.
   */
  unanalysed?: { what: string; line: number; reason: string }[];
}

/** The facts of a whole file, with the memo key of each of its functions (same order). */
export interface CachedFacts {
  facts: FileFacts;
  keys: string[];
}

/** Facts of whole files by git blob id (the review's pre-images; src/store/facts-cache.ts). */
export interface FactsCache {
  get(blob: string): CachedFacts | undefined;
  put(blob: string, entry: CachedFacts): void;
}
