// Cross-file queries over the tree index (IndexQuery), three ways:
//  - TreeIndex: over the SQLite cache written by buildIndex;
//  - MemoryIndex: over FileFacts[] in memory (tests, hunk-only reviews);
//  - overlay(files): a view of either where the given files' rows are replaced by the given
//    facts (the patch's post-image, or its pre-image for the "before" run).
// All three answer through the same small row-access primitives (RowSource), so name binding
// and the module_init path search are written once, in QueryBase.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import type { FileFacts, Section } from '../c/types.js';
import type { CallerRef, FunctionRef, IndexQuery } from '../engine/types.js';
import type { DB } from '../store/db.js';
import { decompressFacts, deriveRows, migrateIndex } from '../store/index-cache.js';

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

/** What every index variant provides; the questions are answered from these alone. */
export interface RowSource {
  fnRows(name: string): FnRow[];
  callRows(callee: string): EdgeRow[];
  propRows(callee: string): PropRow[];
  entryRows(kind: 'init' | 'exit'): EntryRow[];
  entriesNamed(fn: string): EntryRow[];
  notifierRows(): NotifierRow[];
  errnoRows(fn: string): ErrnoRow[];
  facts(path: string): FileFacts | undefined;
}

const byFileLine = <T extends { file: string; line: number }>(a: T, b: T) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line);

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
  abstract facts(path: string): FileFacts | undefined;

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
    return this.entryRows('init')
      .sort(byFileLine)
      .map((e) => ({ fn: e.fn, file: e.file, line: e.line, macro: e.macro }));
  }

  /** A set of initFunctions() keys, rebuilt only when the list changes (TreeIndex keeps it per store generation). */
  private initSet: { of: ReturnType<QueryBase['initFunctions']>; keys: Set<string> } | undefined;
  protected initList(): ReturnType<QueryBase['initFunctions']> {
    return this.initFunctions();
  }
  isInitFunction(file: string, fn: string): boolean {
    const list = this.initList();
    if (this.initSet?.of !== list) this.initSet = { of: list, keys: new Set(list.map((i) => `${i.file}\0${i.fn}`)) };
    return this.initSet.keys.has(`${file}\0${fn}`);
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

  /** Whether the function (name, file) is an init target (module_init, an initcall, a driver macro's). */
  private isInitTarget(name: string, file: string, isStatic: boolean, defs: FnRow[]): boolean {
    return this.entriesNamed(name).some((e) => e.kind === 'init' && (e.file === file || (!isStatic && this.binds(e.file, name, { file, isStatic }, defs))));
  }

  pathToModuleInit(fn: string, file: string, code?: string): { chain: FunctionRef[] } | null {
    const masked = normCode(code);
    const defs0 = this.fnRows(fn);
    const start = defs0.find((d) => d.file === file) ?? { name: fn, file, line: 0, endLine: 0, isStatic: false, section: null, exported: false };
    interface Node {
      row: FnRow;
      parent?: Node;
    }
    const key = (n: { name: string; file: string }) => `${n.file}\0${n.name}`;
    const seen = new Set<string>([key(start)]);
    let frontier: Node[] = [{ row: start }];
    while (frontier.length > 0) {
      const next: Node[] = [];
      for (const node of frontier) {
        const { name, file: f, isStatic } = node.row;
        const defs = this.fnRows(name);
        if (this.isInitTarget(name, f, isStatic, defs)) {
          const chain: FunctionRef[] = [];
          for (let n: Node | undefined = node; n; n = n.parent) chain.push(toRef(n.row));
          return { chain: chain.reverse() };
        }
        for (const e of this.propRows(name).sort(byFileLine)) {
          if (masked && e.masks.includes(masked)) continue;
          if (!this.binds(e.file, name, node.row, defs)) continue;
          const callerRow = this.fnRows(e.caller).find((d) => d.file === e.file) ?? {
            name: e.caller,
            file: e.file,
            line: e.line,
            endLine: e.line,
            isStatic: false,
            section: null,
            exported: false,
          };
          const k = key(callerRow);
          if (seen.has(k)) continue;
          seen.add(k);
          next.push({ row: callerRow, parent: node });
        }
      }
      frontier = next;
    }
    return null;
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
      entries.push({ kind: kind as 'init' | 'exit', fn, file, line, macro, ...(driver ? { driver } : {}) });
    for (const [callback, , line] of r.notifiers) notifiers.push({ callback, file, line });
  }
  return { fns, calls, props, errno, entries, notifiers };
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
    return this.initList().slice();
  }
  protected override initList(): ReturnType<QueryBase['initFunctions']> {
    return (this.initCache ??= super.initFunctions());
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
  facts(path: string): FileFacts | undefined {
    if (this.hidden.has(path)) return this.mem.facts(path);
    return this.base.facts(path);
  }
}

// ---------------------------------------------------------------------------------------- SQLite

export interface TreeIndexOptions {
  /**
   * Extractor for files the index left out (the lexical filter): `fileFacts(path)` of such a
   * file reads it from the tree and extracts on demand. Without it, such files have no facts.
   */
  extract?: (path: string, source: string) => FileFacts;
}

/** IndexQuery over the SQLite index of one tree (as written by buildIndex). */
export class TreeIndex extends QueryBase {
  readonly treeId: number;
  private readonly st;
  private readonly factsCache = new Map<string, FileFacts | undefined>();

  /** The index of `tree`, with on-demand extraction of files the build left out. */
  static async open(db: DB, tree: string): Promise<TreeIndex> {
    const { extractFacts } = (await import('../c/facts.js')) as { extractFacts: (p: string, s: string) => FileFacts };
    return new TreeIndex(db, tree, { extract: extractFacts });
  }

  readonly root: string;

  constructor(
    readonly db: DB,
    /** The tree root as given to buildIndex (resolved to its realpath, as buildIndex records it). */
    tree: string,
    private readonly opts: TreeIndexOptions = {},
  ) {
    super();
    let root = tree;
    try {
      root = realpathSync(tree);
    } catch {
      /* a tree that is gone: its index can still answer */
    }
    this.root = root;
    migrateIndex(db);
    const t = db.prepare('SELECT id FROM idx_trees WHERE root = ?').get(root) as { id: number } | undefined;
    if (!t) throw new Error(`no index for tree ${root}: run \`modreview index --tree ${root}\``);
    this.treeId = t.id;
    const q = (sql: string) => db.prepare(sql);
    this.st = {
      fns: q(`SELECT x.name, f.path AS file, x.line, x.end_line AS endLine, x.static AS isStatic, x.section, x.exported
              FROM idx_functions x JOIN idx_files f ON f.id = x.file WHERE x.name = ? AND f.tree = ?`),
      pcalls: q(`SELECT x.caller, x.callee, f.path AS file, x.line FROM idx_pcalls x JOIN idx_files f ON f.id = x.file
                 WHERE x.callee = ? AND f.tree = ?`),
      lcalls: q(`SELECT f.path AS file, f.parsed, x.callers FROM idx_calls x JOIN idx_files f ON f.id = x.file
                 WHERE x.callee = ? AND f.tree = ?`),
      props: q(`SELECT x.caller, x.callee, f.path AS file, x.line, x.masks FROM idx_props x JOIN idx_files f ON f.id = x.file
                WHERE x.callee = ? AND f.tree = ?`),
      entries: q(`SELECT x.kind, x.fn, f.path AS file, x.line, x.macro, x.driver FROM idx_modentries x JOIN idx_files f ON f.id = x.file
                  WHERE x.kind = ? AND f.tree = ?`),
      entriesNamed: q(`SELECT x.kind, x.fn, f.path AS file, x.line, x.macro, x.driver FROM idx_modentries x JOIN idx_files f ON f.id = x.file
                       WHERE x.fn = ? AND f.tree = ?`),
      notifiers: q(`SELECT x.callback, f.path AS file, x.line FROM idx_notifiers x JOIN idx_files f ON f.id = x.file WHERE f.tree = ?`),
      errno: q(`SELECT x.fn, f.path AS file, x.code, x.line FROM idx_errno x JOIN idx_files f ON f.id = x.file WHERE x.fn = ? AND f.tree = ?`),
      facts: q(`SELECT x.z, x.complete FROM idx_facts x JOIN idx_files f ON f.id = x.file WHERE f.tree = ? AND f.path = ?`),
      count: q(`SELECT count(*) AS n, sum(sel_key != '') AS indexed FROM idx_files WHERE tree = ?`),
      dataVersion: q('PRAGMA data_version').pluck(),
      changes: q('SELECT total_changes()').pluck(),
    };
  }

  /** Files known to the index (walked) and how many of them are indexed (parsed). */
  counts(): { files: number; indexed: number } {
    const r = this.st.count.get(this.treeId) as { n: number; indexed: number | null };
    return { files: r.n, indexed: r.indexed ?? 0 };
  }

  fnRows(name: string): FnRow[] {
    return (this.st.fns.all(name, this.treeId) as (Omit<FnRow, 'isStatic' | 'exported'> & { isStatic: number; exported: number })[]).map((r) => ({
      ...r,
      isStatic: r.isStatic === 1,
      exported: r.exported === 1,
    }));
  }
  /**
   * The extractor's call rows of parsed functions, and the lexical rows of every other caller
   * (a parsed function's lexical rows are superseded by its precise ones).
   */
  callRows(callee: string): EdgeRow[] {
    const out = this.st.pcalls.all(callee, this.treeId) as EdgeRow[];
    for (const r of this.st.lcalls.all(callee, this.treeId) as { file: string; parsed: string; callers: string }[]) {
      const parsed = r.parsed ? new Set(r.parsed.split(' ')) : undefined;
      for (const site of r.callers.split(' ')) {
        const at = site.lastIndexOf(':');
        const caller = site.slice(0, at);
        if (parsed?.has(caller)) continue;
        out.push({ caller, callee, file: r.file, line: Number(site.slice(at + 1)) });
      }
    }
    return out;
  }
  propRows(callee: string): PropRow[] {
    return (this.st.props.all(callee, this.treeId) as (EdgeRow & { masks: string })[]).map((r) => ({ ...r, masks: JSON.parse(r.masks) as string[] }));
  }
  private entryOut(rows: unknown[]): EntryRow[] {
    return (rows as (EntryRow & { driver: string | null })[]).map(({ driver, ...e }) => (driver ? { ...e, driver } : e));
  }
  /**
   * Every init (or exit) entry of the tree: asked once per chain search, so kept while the
   * database has not changed (SQLite's data_version moves when another connection commits,
   * total_changes() when this one does).
   */
  entryRows(kind: 'init' | 'exit'): EntryRow[] {
    const gen = this.generation();
    let c = this.entryCache.get(kind);
    if (!c || c.gen !== gen) this.entryCache.set(kind, (c = { gen, rows: this.entryOut(this.st.entries.all(kind, this.treeId)) }));
    return c.rows.slice();
  }

  override initFunctions(): { fn: string; file: string; line: number; macro: string }[] {
    return this.initList().slice();
  }
  protected override initList(): ReturnType<QueryBase['initFunctions']> {
    const gen = this.generation();
    if (!this.initCache || this.initCache.gen !== gen) this.initCache = { gen, rows: super.initFunctions() };
    return this.initCache.rows;
  }

  private readonly entryCache = new Map<string, { gen: string; rows: EntryRow[] }>();
  private initCache: { gen: string; rows: ReturnType<QueryBase['initFunctions']> } | undefined;

  private generation(): string {
    return `${this.st.dataVersion.get() as number}:${this.st.changes.get() as number}`;
  }
  entriesNamed(fn: string): EntryRow[] {
    return this.entryOut(this.st.entriesNamed.all(fn, this.treeId));
  }
  notifierRows(): NotifierRow[] {
    return this.st.notifiers.all(this.treeId) as NotifierRow[];
  }
  errnoRows(fn: string): ErrnoRow[] {
    return this.st.errno.all(fn, this.treeId) as ErrnoRow[];
  }
  /**
   * The facts the index holds for a file. For a file the build parsed only in part (see
   * docs/INDEX.md) they hold the selected functions — every function on a module_init return
   * chain, the init/exit functions and what their paths call — with the whole file's module
   * entries and exports; `completeFacts` parses the whole file. A file the build never parsed
   * is extracted on demand when the index was opened with an extractor.
   */
  facts(path: string): FileFacts | undefined {
    if (this.factsCache.has(path)) return this.factsCache.get(path);
    let out: FileFacts | undefined;
    const r = this.st.facts.get(this.treeId, path) as { z: Buffer } | undefined;
    if (r) out = { ...decompressFacts(r.z), path };
    else out = this.extractNow(path);
    this.remember(this.factsCache, path, out);
    return out;
  }

  /** The facts of the whole file: stored when the build parsed all of it, else extracted now. */
  completeFacts(path: string): FileFacts | undefined {
    const r = this.st.facts.get(this.treeId, path) as { z: Buffer; complete: number } | undefined;
    if (r?.complete === 1) return { ...decompressFacts(r.z), path };
    if (this.completeCache.has(path)) return this.completeCache.get(path);
    const out = this.extractNow(path);
    this.remember(this.completeCache, path, out);
    return out;
  }

  private readonly completeCache = new Map<string, FileFacts | undefined>();

  private extractNow(path: string): FileFacts | undefined {
    if (!this.opts.extract) return undefined;
    const abs = join(this.root, path);
    if (!existsSync(abs)) return undefined;
    try {
      return this.opts.extract(path, readFileSync(abs, 'utf8'));
    } catch {
      return undefined;
    }
  }

  private remember(cache: Map<string, FileFacts | undefined>, path: string, f: FileFacts | undefined): void {
    if (cache.size >= 64) cache.delete(cache.keys().next().value!);
    cache.set(path, f);
  }
}
