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
import { decompressFacts, migrateIndex } from '../store/index-cache.js';
import { Kbuild, type BuildKind } from './kbuild.js';
import { byFileLine, QueryBase, type EdgeRow, type EntryRow, type ErrnoRow, type FnRow, type NotifierRow, type PropRow } from './view.js';
import { LruMap } from '../lru.js';
export * from './view.js';

// ---------------------------------------------------------------------------------------- SQLite

/** Questions whose rows a TreeIndex keeps (see memoRows). */
const ROW_MEMO_MAX = 20_000;

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
  /**
   * Every file whose rows or facts an answer of this index returned: what a review's findings may
   * depend on (src/index/fresh.ts stats them after the review).
   */
  readonly consulted = new Set<string>();
  private saw<T extends { file: string }>(rows: T[]): T[] {
    for (const r of rows) this.consulted.add(r.file);
    return rows;
  }

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
      entries: q(`SELECT x.kind, x.fn, f.path AS file, x.line, x.macro, x.driver, f.modular FROM idx_modentries x JOIN idx_files f ON f.id = x.file
                  WHERE x.kind = ? AND f.tree = ?`),
      entriesNamed: q(`SELECT x.kind, x.fn, f.path AS file, x.line, x.macro, x.driver, f.modular FROM idx_modentries x JOIN idx_files f ON f.id = x.file
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

  /**
   * Rows by question (kind and name) while the database has not changed (the generation of
   * entryRows): a review asks the same names again and again — each rule on each image, every
   * step of a chain search — and a call row list (thousands for kfree) costs a query and a
   * conversion each time. Answers are copies of the kept list; the rows themselves are shared,
   * as MemoryIndex shares them. Bounded; cleared whenever the database changes.
   */
  private readonly rowMemo = new LruMap<string, unknown[]>(ROW_MEMO_MAX);
  private rowGen: string | undefined;
  private memoRows<T extends { file: string }>(kind: string, name: string, read: () => T[]): T[] {
    const gen = this.generation();
    if (gen !== this.rowGen) {
      this.rowMemo.clear();
      this.rowGen = gen;
    }
    const k = `${kind}\0${name}`;
    let rows = this.rowMemo.get(k) as T[] | undefined;
    if (!rows) {
      rows = read();
      this.rowMemo.set(k, rows);
    }
    return this.saw(rows.slice());
  }

  fnRows(name: string): FnRow[] {
    return this.memoRows('fn', name, () =>
      (this.st.fns.all(name, this.treeId) as (Omit<FnRow, 'isStatic' | 'exported'> & { isStatic: number; exported: number })[]).map((r) => ({
        ...r,
        isStatic: r.isStatic === 1,
        exported: r.exported === 1,
      })),
    );
  }
  /**
   * The extractor's call rows of parsed functions, and the lexical rows of every other caller
   * (a parsed function's lexical rows are superseded by its precise ones).
   */
  callRows(callee: string): EdgeRow[] {
    return this.memoRows('call', callee, () => this.readCallRows(callee));
  }
  private readCallRows(callee: string): EdgeRow[] {
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
    return this.memoRows('prop', callee, () => (this.st.props.all(callee, this.treeId) as (EdgeRow & { masks: string })[]).map((r) => ({ ...r, masks: JSON.parse(r.masks) as string[] })));
  }
  private entryOut(rows: unknown[]): EntryRow[] {
    return (rows as (Omit<EntryRow, 'modular'> & { driver: string | null; modular?: number })[]).map(({ driver, modular, ...e }) => ({
      ...e,
      ...(driver ? { driver } : {}),
      ...(modular === undefined ? {} : { modular: modular === 1 }),
    }));
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
    return this.saw(c.rows.slice());
  }

  override initFunctions(): { fn: string; file: string; line: number; macro: string }[] {
    const gen = this.generation();
    if (!this.initCache || this.initCache.gen !== gen) this.initCache = { gen, rows: super.initFunctions() };
    return this.initCache.rows.slice();
  }

  private readonly entryCache = new Map<string, { gen: string; rows: EntryRow[] }>();
  private initCache: { gen: string; rows: ReturnType<QueryBase['initFunctions']> } | undefined;

  private kbuild: Kbuild | undefined;
  override buildKind(path: string): BuildKind | undefined {
    this.kbuild ??= new Kbuild(this.root);
    return this.kbuild.kindOf(path);
  }
  override moduleOf(path: string): string | undefined {
    this.kbuild ??= new Kbuild(this.root);
    return this.kbuild.moduleOf(path);
  }

  /**
   * Changes whenever an answer of this index may change (another connection or this one wrote
   * to the database): answers computed from it may be kept while it stays the same.
   */
  answersGeneration(): string {
    return this.generation();
  }

  private generation(): string {
    return `${this.st.dataVersion.get() as number}:${this.st.changes.get() as number}`;
  }
  entriesNamed(fn: string): EntryRow[] {
    return this.memoRows('entry', fn, () => this.entryOut(this.st.entriesNamed.all(fn, this.treeId)));
  }
  notifierRows(): NotifierRow[] {
    return this.memoRows('notifier', '', () => this.st.notifiers.all(this.treeId) as NotifierRow[]);
  }
  errnoRows(fn: string): ErrnoRow[] {
    return this.memoRows('errno', fn, () => this.st.errno.all(fn, this.treeId) as ErrnoRow[]);
  }
  /**
   * The facts the index holds for a file. For a file the build parsed only in part (see
   * docs/INDEX.md) they hold the selected functions — every function on a module_init return
   * chain, the init/exit functions and what their paths call — with the whole file's module
   * entries and exports; `completeFacts` parses the whole file. A file the build never parsed
   * is extracted on demand when the index was opened with an extractor.
   */
  facts(path: string): FileFacts | undefined {
    this.consulted.add(path);
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
    this.consulted.add(path);
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
