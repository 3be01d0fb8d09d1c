// Cross-file queries answered from rows (IndexQuery), without SQLite: the rows are what
// src/c/derived.ts derives from a file's facts, the same rows the tree index stores. Three
// views: QueryBase (the questions, written once over row-access primitives), MemoryIndex (facts
// in memory: tests, hunk-only reviews) and OverlayIndex (any row source with some files replaced
// by given facts: the patch's pre- or post-image over the tree index). The SQLite TreeIndex
// (src/index/query.ts) is a fourth row source. The review engine builds its views here, so a
// patched file is asked exactly as an unpatched one.
import type { FileFacts, Section } from '../c/types.js';
import { deriveRows } from '../c/derived.js';
import type { CallerRef, FunctionRef, IndexQuery } from '../engine/types.js';
import type { BuildKind } from './kbuild.js';

export interface FnRow {
  name: string;
  file: string;
  line: number;
  endLine: number;
  isStatic: boolean;
  section: Section;
  exported: boolean;
}

export interface EdgeRow {
  caller: string;
  callee: string;
  file: string;
  line: number;
}

export interface PropRow extends EdgeRow {
  masks: string[];
}

export interface EntryRow {
  kind: 'init' | 'exit';
  fn: string;
  file: string;
  line: number;
  macro: string;
  driver?: string;
  /** The file is part of a module (FileFacts.modular): only then is an init entry a module_init. */
  modular?: boolean;
}

export interface NotifierRow {
  callback: string;
  file: string;
  line: number;
}

export interface ErrnoRow {
  fn: string;
  file: string;
  code: string;
  line: number;
}

/** A file-scope object defined in init memory (`__initdata`, `__initconst`). */
export interface InitDataRow {
  name: string;
  file: string;
  line: number;
  isStatic: boolean;
}

/** What every index variant provides; the questions are answered from these alone. */
export interface RowSource {
  fnRows(name: string): FnRow[];
  callRows(callee: string): EdgeRow[];
  propRows(callee: string): PropRow[];
  entryRows(kind: 'init' | 'exit'): EntryRow[];
  entriesNamed(fn: string): EntryRow[];
  notifierRows(): NotifierRow[];
  errnoRows(fn: string): ErrnoRow[];
  initDataRows(name: string): InitDataRow[];
  facts(path: string): FileFacts | undefined;
}

export const byFileLine = <T extends { file: string; line: number }>(a: T, b: T) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line);

const normCode = (code: string | undefined) => code?.replace(/^-/, '');

function toRef(r: FnRow): FunctionRef {
  return { name: r.name, file: r.file, line: r.line, isStatic: r.isStatic, section: r.section };
}

export abstract class QueryBase implements IndexQuery, RowSource {
  abstract fnRows(name: string): FnRow[];
  abstract callRows(callee: string): EdgeRow[];
  abstract propRows(callee: string): PropRow[];
  abstract entryRows(kind: 'init' | 'exit'): EntryRow[];
  abstract entriesNamed(fn: string): EntryRow[];
  abstract notifierRows(): NotifierRow[];
  abstract errnoRows(fn: string): ErrnoRow[];
  abstract initDataRows(name: string): InitDataRow[];
  abstract facts(path: string): FileFacts | undefined;

  /** Definitions of `name` as an object in init memory, in any file. */
  initDataNamed(name: string): InitDataRow[] {
    return this.initDataRows(name).sort(byFileLine);
  }

  /** A view where these files' rows are replaced by the given facts (and `removed` files have none). */
  overlay(files: FileFacts[], removed: string[] = []): OverlayIndex {
    return new OverlayIndex(this, files, removed);
  }

  functionsNamed(name: string): FunctionRef[] {
    return this.fnRows(name).sort(byFileLine).map(toRef);
  }

  /**
   * Whether a call to `name` made in `callerFile` binds to the definition `target`: a static
   * function is reachable only from its own file; a call binds to its file's static `name` when
   * the file has one, else to the non-static definition(s).
   */
  protected binds(callerFile: string, name: string, target: { file: string; isStatic: boolean }, defs = this.fnRows(name)): boolean {
    if (target.isStatic) return callerFile === target.file;
    return !defs.some((d) => d.isStatic && d.file === callerFile);
  }

  /**
   * Call sites of `name`; with `file`, only those that bind to `file`'s definition of `name`
   * (static resolution). `propagates`/`masks` say whether the caller may return the result.
   */
  callersOf(name: string, file?: string): CallerRef[] {
    return this.callerRefs(name, file, false);
  }

  propagatingCallersOf(name: string): CallerRef[] {
    return this.callerRefs(name, undefined, true);
  }

  private callerRefs(name: string, file: string | undefined, propagatingOnly: boolean): CallerRef[] {
    const masksOf = new Map<string, Set<string>>();
    for (const p of this.propRows(name)) {
      const k = `${p.file}\0${p.caller}`;
      let m = masksOf.get(k);
      if (!m) masksOf.set(k, (m = new Set()));
      for (const x of p.masks) m.add(x);
    }
    // Most functions on a chain search have no caller that returns their result: then the call
    // rows (thousands for memset or kfree) are never read.
    if (propagatingOnly && !masksOf.size) return [];
    const defs = this.fnRows(name);
    const target = file !== undefined ? (defs.find((d) => d.file === file) ?? { file, isStatic: false }) : undefined;
    const out: CallerRef[] = [];
    for (const c of this.callRows(name).sort(byFileLine)) {
      if (target && !this.binds(c.file, name, target, defs)) continue;
      const m = masksOf.get(`${c.file}\0${c.caller}`);
      if (propagatingOnly && !m) continue;
      out.push({ caller: c.caller, file: c.file, line: c.line, propagates: m !== undefined, masks: m ? [...m].sort() : [] });
    }
    return out;
  }

  initFunctions(): { fn: string; file: string; line: number; macro: string }[] {
    // Initcalls of code that is never a module are not module_init paths (kmod never sees them).
    return this.entryRows('init')
      .filter((e) => e.modular !== false)
      .sort(byFileLine)
      .map((e) => ({ fn: e.fn, file: e.file, line: e.line, macro: e.macro }));
  }

  /**
   * Whether `fn` of `file` is one of initFunctions(): asked per step of every chain search, so
   * answered from the entries named `fn` (an indexed lookup) rather than from the whole tree's
   * init list (12,000 rows on 6.12, which a single review would otherwise load and sort).
   */
  isInitFunction(file: string, fn: string): boolean {
    const hit = this.entriesNamed(fn).some((e) => e.kind === 'init' && e.file === file && e.modular !== false);
    // Code kbuild can only build in is never a module_init path, whatever macro it uses.
    return hit && this.buildKind(file) !== 'builtin';
  }

  /** Whether kbuild can build the file into a module (undefined: no tree to ask, or kbuild does not say). */
  buildKind(_path: string): BuildKind | undefined {
    return undefined;
  }

  /** The module (kbuild object) the file is linked into, when kbuild says. */
  moduleOf(_path: string): string | undefined {
    return undefined;
  }

  /** module_exit targets of a file (most files have at most one). */
  exitFunctions(file: string): { fn: string; line: number; macro: string }[] {
    return this.entryRows('exit')
      .filter((e) => e.file === file)
      .map((e) => ({ fn: e.fn, line: e.line, macro: e.macro }));
  }

  moduleNotifiers(): { callback: string; file: string; line: number }[] {
    return this.notifierRows().sort(byFileLine);
  }

  /** Negative errno codes a function's returns may yield, by definition site. */
  errnoReturns(fn: string, file?: string): ErrnoRow[] {
    return this.errnoRows(fn)
      .filter((r) => file === undefined || r.file === file)
      .sort(byFileLine);
  }

  fileFacts(path: string): FileFacts | undefined {
    return this.facts(path);
  }

  pathToModuleInit(fn: string, file: string, code?: string): { chain: FunctionRef[] } | null {
    return pathToModuleInit(this, fn, file, code);
  }

}

// ------------------------------------------------------------------------------------ in memory

function rowsOfFacts(files: FileFacts[]) {
  const fns = new Map<string, FnRow[]>();
  const calls = new Map<string, EdgeRow[]>();
  const props = new Map<string, PropRow[]>();
  const errno = new Map<string, ErrnoRow[]>();
  const entries: EntryRow[] = [];
  const notifiers: NotifierRow[] = [];
  const initData = new Map<string, InitDataRow[]>();
  const add = <T>(m: Map<string, T[]>, k: string, v: T) => {
    let l = m.get(k);
    if (!l) m.set(k, (l = []));
    l.push(v);
  };
  for (const ff of files) {
    const file = ff.path;
    const r = deriveRows(ff);
    for (const [name, line, endLine, st, section, exported] of r.functions)
      add(fns, name, { name, file, line, endLine, isStatic: st === 1, section: section as Section, exported: exported === 1 });
    for (const [caller, callee, line] of r.calls) add(calls, callee, { caller, callee, file, line });
    for (const [caller, callee, line, masks] of r.props) add(props, callee, { caller, callee, file, line, masks: JSON.parse(masks) as string[] });
    for (const [fn, code, line] of r.errno) add(errno, fn, { fn, file, code, line });
    for (const [kind, fn, macro, line, driver] of r.entries)
      entries.push({ kind: kind as 'init' | 'exit', fn, file, line, macro, ...(driver ? { driver } : {}), modular: ff.modular });
    for (const [callback, , line] of r.notifiers) notifiers.push({ callback, file, line });
    for (const [name, line, st] of r.initData) add(initData, name, { name, file, line, isStatic: st === 1 });
  }
  return { fns, calls, props, errno, entries, notifiers, initData };
}

/** IndexQuery over facts held in memory. */
export class MemoryIndex extends QueryBase {
  private readonly byPath: Map<string, FileFacts>;
  private readonly r: ReturnType<typeof rowsOfFacts>;

  constructor(files: FileFacts[]) {
    super();
    this.byPath = new Map(files.map((f) => [f.path, f]));
    this.r = rowsOfFacts([...this.byPath.values()]);
  }

  paths(): string[] {
    return [...this.byPath.keys()];
  }
  fnRows(name: string): FnRow[] {
    return [...(this.r.fns.get(name) ?? [])];
  }
  callRows(callee: string): EdgeRow[] {
    return [...(this.r.calls.get(callee) ?? [])];
  }
  propRows(callee: string): PropRow[] {
    return [...(this.r.props.get(callee) ?? [])];
  }
  entryRows(kind: 'init' | 'exit'): EntryRow[] {
    return this.r.entries.filter((e) => e.kind === kind);
  }
  entriesNamed(fn: string): EntryRow[] {
    return this.r.entries.filter((e) => e.fn === fn);
  }
  notifierRows(): NotifierRow[] {
    return [...this.r.notifiers];
  }
  errnoRows(fn: string): ErrnoRow[] {
    return [...(this.r.errno.get(fn) ?? [])];
  }
  initDataRows(name: string): InitDataRow[] {
    return [...(this.r.initData.get(name) ?? [])];
  }
  facts(path: string): FileFacts | undefined {
    return this.byPath.get(path);
  }
}

// -------------------------------------------------------------------------------------- overlay

/** `base` with the rows of `files` (by path) replaced by `files`' facts, and `removed` files gone. */
export class OverlayIndex extends QueryBase {
  private readonly hidden: Set<string>;
  private readonly mem: MemoryIndex;

  constructor(
    private readonly base: RowSource,
    files: FileFacts[],
    removed: string[] = [],
  ) {
    super();
    this.mem = new MemoryIndex(files);
    this.hidden = new Set([...files.map((f) => f.path), ...removed]);
  }

  private merge<T extends { file: string }>(a: T[], b: T[]): T[] {
    return a.filter((r) => !this.hidden.has(r.file)).concat(b);
  }
  /** An overlay lives for one image of one file: the tree's init list is merged once. */
  private initCache: ReturnType<QueryBase['initFunctions']> | undefined;
  override initFunctions(): ReturnType<QueryBase['initFunctions']> {
    return (this.initCache ??= super.initFunctions()).slice();
  }
  fnRows(name: string): FnRow[] {
    return this.merge(this.base.fnRows(name), this.mem.fnRows(name));
  }
  callRows(callee: string): EdgeRow[] {
    return this.merge(this.base.callRows(callee), this.mem.callRows(callee));
  }
  propRows(callee: string): PropRow[] {
    return this.merge(this.base.propRows(callee), this.mem.propRows(callee));
  }
  entryRows(kind: 'init' | 'exit'): EntryRow[] {
    return this.merge(this.base.entryRows(kind), this.mem.entryRows(kind));
  }
  entriesNamed(fn: string): EntryRow[] {
    return this.merge(this.base.entriesNamed(fn), this.mem.entriesNamed(fn));
  }
  notifierRows(): NotifierRow[] {
    return this.merge(this.base.notifierRows(), this.mem.notifierRows());
  }
  errnoRows(fn: string): ErrnoRow[] {
    return this.merge(this.base.errnoRows(fn), this.mem.errnoRows(fn));
  }
  initDataRows(name: string): InitDataRow[] {
    return this.merge(this.base.initDataRows(name), this.mem.initDataRows(name));
  }
  facts(path: string): FileFacts | undefined {
    if (this.hidden.has(path)) return this.mem.facts(path);
    return this.base.facts(path);
  }
  override buildKind(path: string): BuildKind | undefined {
    return this.base instanceof QueryBase ? this.base.buildKind(path) : undefined;
  }
  override moduleOf(path: string): string | undefined {
    return this.base instanceof QueryBase ? this.base.moduleOf(path) : undefined;
  }
}

/**
 * Breadth-first up the "returns the callee's result" edges from fn to module_init targets.
 * Static functions bind within their file; a caller that masks `code` stops the flow.
 * Returns up to `limit` chains, shortest first, each ending (index 0) at an init function.
 */
export function moduleInitChains(index: IndexQuery, fn: string, file: string, codeIn?: string, limit = 5, maxDepth = 8, includeSelf = false): FunctionRef[][] {
  // `-EEXIST` and `EEXIST` name the same code.
  const code = normCode(codeIn);

  const start = index.functionsNamed(fn).find((f) => f.file === file) ?? { name: fn, file, line: 0, isStatic: false, section: null };
  const key = (f: FunctionRef) => `${f.file}\0${f.name}`;
  const prev = new Map<string, FunctionRef | null>([[key(start), null]]);
  const found: FunctionRef[][] = [];
  let frontier: FunctionRef[] = [start];
  const shadowCache = new Map<string, Set<string>>();
  const shadowing = (name: string): Set<string> => {
    let s = shadowCache.get(name);
    if (!s) {
      s = new Set(index.functionsNamed(name).filter((f) => f.isStatic).map((f) => f.file));
      shadowCache.set(name, s);
    }
    return s;
  };
  for (let depth = 0; depth <= maxDepth && frontier.length && found.length < limit; depth++) {
    const next: FunctionRef[] = [];
    for (const cur of frontier) {
      if ((depth > 0 || includeSelf) && index.isInitFunction(cur.file, cur.name)) {
        const chain: FunctionRef[] = [];
        for (let c: FunctionRef | null | undefined = cur; c; c = prev.get(key(c))) chain.push(c);
        found.push(chain);
        if (found.length >= limit) break;
        continue;
      }
      for (const caller of index.propagatingCallersOf(cur.name)) {
        if (code && caller.masks.includes(code)) continue;
        if (cur.isStatic ? caller.file !== cur.file : caller.file !== cur.file && shadowing(cur.name).has(caller.file)) continue;
        const ref = index.functionsNamed(caller.caller).find((f) => f.file === caller.file) ?? { name: caller.caller, file: caller.file, line: caller.line, isStatic: false, section: null };
        const k = key(ref);
        if (prev.has(k)) continue;
        prev.set(k, cur);
        next.push(ref);
      }
    }
    frontier = next;
  }
  return found;
}

/** The shortest chain from `fn` (first) to a module_init target (last), or null. */
export function pathToModuleInit(index: IndexQuery, fn: string, file: string, code?: string): { chain: FunctionRef[] } | null {
  const [chain] = moduleInitChains(index, fn, file, code, 1, 8, true);
  return chain ? { chain: [...chain].reverse() } : null;
}
