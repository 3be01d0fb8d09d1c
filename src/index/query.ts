// Cross-file queries over the tree index (IndexQuery), three ways:
//  - TreeIndex: over the SQLite cache written by buildIndex;
//  - MemoryIndex: over FileFacts[] in memory (tests, hunk-only reviews);
//  - overlay(files): a view of either where the given files' rows are replaced by the given
//    facts (the patch's post-image, or its pre-image for the "before" run).
// All three answer through the same small row-access primitives (RowSource), so name binding
// and the module_init path search are written once, in QueryBase.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { gitBlobId } from '../c/lex.js';
import type { FileFacts, Section } from '../c/types.js';
import type { CallerRef, FunctionRef, IndexQuery } from '../engine/types.js';
import { storeGeneration, type DB } from '../store/db.js';
import { decompressFacts, migrateIndex } from '../store/index-cache.js';
import { Kbuild, type BuildKind } from './kbuild.js';
import { byFileLine, QueryBase, type EdgeRow, type EntryRow, type ErrnoRow, type FnRow, type InitDataRow, type NotifierRow, type PropRow } from './view.js';
import { LruMap } from '../lru.js';
export * from './view.js';

// ---------------------------------------------------------------------------------------- SQLite

/**
 * A file's facts as a recording compares them: facts come from the database (the same at the
 * same generation) or are extracted from the file's text, which their blob id names.
 */
function factsToken(f: FileFacts | undefined): string {
  return f ? f.hash : '';
}

/** Questions whose rows a TreeIndex keeps (see memoRows). */
const ROW_MEMO_MAX = 20_000;

/**
 * The answers of a tree's index that come from the database alone, kept by question while the
 * database is unchanged (see TreeIndex.generation): shared by every TreeIndex over the same
 * connection and tree, so a process that opens one per review (the review server, a lore or
 * GitHub worker) keeps them from review to review. Nothing read from the tree's files is kept
 * here: each TreeIndex reads kbuild afresh, and reads a file again before extracting its facts
 * on demand (those are kept by content: extractedFacts).
 */
interface SharedAnswers {
  gen: string | undefined;
  rows: LruMap<string, KeptRows<{ file: string }>>;
  entries: Map<string, KeptRows<EntryRow>>;
  init: ReturnType<QueryBase['initFunctions']> | undefined;
  /** Every name idx_initdata holds: most names asked about are not there, and need no query. */
  initDataNames: Set<string> | undefined;
}
const sharedAnswers = new WeakMap<DB, Map<number, SharedAnswers>>();

/** Rows of one question, with their distinct files (what answering it marks consulted). */
interface KeptRows<T extends { file: string }> {
  rows: T[];
  files: string[];
}
function kept<T extends { file: string }>(rows: T[]): KeptRows<T> {
  return { rows, files: [...new Set(rows.map((r) => r.file))] };
}

/**
 * Facts extracted on demand (files the index holds no facts for), by extractor, path and blob
 * id: content-addressed, so never stale; a process that opens a TreeIndex per review (the review
 * server) extracts a file once, not per review.
 */
const extractedFacts = new WeakMap<object, LruMap<string, FileFacts>>();
const EXTRACTED_KEPT = 64;

/** What the answers of a TreeIndex returned while it recorded (see TreeIndex.recordAnswers). */
export interface AnswerLog {
  /** Files whose rows or facts the answers returned (TreeIndex.consulted). */
  files: Set<string>;
  /** Questions answered from the tree's files rather than the database, each with its answer's token. */
  asked: [kind: 'facts' | 'complete' | 'kind' | 'module', path: string, token: string][];
}

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
  /** The rows of a kept answer (a copy of the list), their files marked consulted. */
  private saw<T extends { file: string }>(k: KeptRows<T>): T[] {
    for (const f of k.files) this.consult(f);
    return k.rows.slice();
  }
  private consult(file: string): void {
    if (this.muted) return;
    this.consulted.add(file);
    for (const log of this.logs) log.files.add(file);
  }
  /** Recordings under way (recordAnswers), innermost last. */
  private readonly logs: AnswerLog[] = [];
  /** While replayAnswers asks again: nothing is consulted until the answers are known to match. */
  private muted = false;
  private asked(kind: AnswerLog['asked'][number][0], path: string, token: string): void {
    for (const log of this.logs) log.asked.push([kind, path, token]);
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
    let byTree = sharedAnswers.get(db);
    if (!byTree) sharedAnswers.set(db, (byTree = new Map()));
    let shared = byTree.get(this.treeId);
    if (!shared) byTree.set(this.treeId, (shared = { gen: undefined, rows: new LruMap(ROW_MEMO_MAX), entries: new Map(), init: undefined, initDataNames: undefined }));
    this.shared = shared;
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
      initDataNames: q(`SELECT DISTINCT x.name FROM idx_initdata x JOIN idx_files f ON f.id = x.file WHERE f.tree = ?`),
      initData: q(`SELECT x.name, f.path AS file, x.line, x.static AS isStatic FROM idx_initdata x JOIN idx_files f ON f.id = x.file WHERE x.name = ? AND f.tree = ?`),
      facts: q(`SELECT x.z, x.complete FROM idx_facts x JOIN idx_files f ON f.id = x.file WHERE f.tree = ? AND f.path = ?`),
      count: q(`SELECT count(*) AS n, sum(sel_key != '') AS indexed FROM idx_files WHERE tree = ?`),
    };
  }

  /** Files known to the index (walked) and how many of them are indexed (parsed). */
  counts(): { files: number; indexed: number } {
    const r = this.st.count.get(this.treeId) as { n: number; indexed: number | null };
    return { files: r.n, indexed: r.indexed ?? 0 };
  }

  /** The database's answers, shared with every TreeIndex of this connection and tree. */
  private readonly shared: SharedAnswers;
  /** The shared answers, emptied first when the database changed since they were kept. */
  private answers(): SharedAnswers {
    const gen = this.generation();
    const a = this.shared;
    if (gen !== a.gen) {
      a.rows.clear();
      a.entries.clear();
      a.init = undefined;
      a.initDataNames = undefined;
      a.gen = gen;
    }
    return a;
  }

  /**
   * Rows by question (kind and name) while the database has not changed (the generation of
   * entryRows): a review asks the same names again and again — each rule on each image, every
   * step of a chain search — and a call row list (thousands for kfree) costs a query and a
   * conversion each time. Answers are copies of the kept list; the rows themselves are shared,
   * as MemoryIndex shares them. Bounded; cleared whenever the database changes.
   */
  private memoRows<T extends { file: string }>(kind: string, name: string, read: () => T[]): T[] {
    const memo = this.answers().rows;
    const k = `${kind}\0${name}`;
    let rows = memo.get(k) as KeptRows<T> | undefined;
    if (!rows) memo.set(k, (rows = kept(read())));
    return this.saw(rows);
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
    const entries = this.answers().entries;
    let rows = entries.get(kind);
    if (!rows) entries.set(kind, (rows = kept(this.entryOut(this.st.entries.all(kind, this.treeId)))));
    return this.saw(rows);
  }

  override initFunctions(): { fn: string; file: string; line: number; macro: string }[] {
    const a = this.answers();
    // Computed from entryRows('init'), which marks the files of its rows consulted: a list kept
    // by another TreeIndex is answered after marking them here too, as computing it would.
    if (a.init) this.entryRows('init');
    else a.init = super.initFunctions();
    return a.init.slice();
  }

  private kbuild: Kbuild | undefined;
  override buildKind(path: string): BuildKind | undefined {
    this.kbuild ??= new Kbuild(this.root);
    const kind = this.kbuild.kindOf(path);
    if (this.logs.length) this.asked('kind', path, kind ?? '');
    return kind;
  }
  override moduleOf(path: string): string | undefined {
    this.kbuild ??= new Kbuild(this.root);
    const mod = this.kbuild.moduleOf(path);
    if (this.logs.length) this.asked('module', path, mod ?? '');
    return mod;
  }

  /**
   * Run `fn` and say what it asked of this index: the files whose rows it was answered with, and
   * the questions answered from the tree's files (kbuild, facts of files the database has none
   * of), each with a token of its answer. While the generation stays the same, the database's
   * answers are the same; replayAnswers asks the others again.
   */
  recordAnswers<T>(fn: () => T): { value: T; log: AnswerLog } {
    const log: AnswerLog = { files: new Set(), asked: [] };
    this.logs.push(log);
    try {
      return { value: fn(), log };
    } finally {
      this.logs.splice(this.logs.lastIndexOf(log), 1);
    }
  }

  /**
   * Whether the questions of a recording (of this index or another over the same database at the
   * same generation) still get the same answers from the tree's files; if so, its files are
   * marked consulted here (and in the recordings under way), as running it again would.
   */
  replayAnswers(log: AnswerLog): boolean {
    const muted = this.muted;
    this.muted = true;
    try {
      for (const [kind, path, token] of log.asked) {
        const now = kind === 'facts' ? factsToken(this.facts(path)) : kind === 'complete' ? factsToken(this.completeFacts(path)) : kind === 'kind' ? (this.buildKind(path) ?? '') : (this.moduleOf(path) ?? '');
        if (now !== token) return false;
      }
    } finally {
      this.muted = muted;
    }
    for (const f of log.files) this.consult(f);
    for (const a of log.asked) for (const l of this.logs) l.asked.push(a);
    return true;
  }

  /**
   * Changes whenever an answer of this index may change (another connection or this one wrote
   * to the database): answers computed from it may be kept while it stays the same.
   */
  answersGeneration(): string {
    return this.generation();
  }

  /** What shares this index's database answers: every TreeIndex of the same connection and tree. */
  answersScope(): object {
    return this.shared;
  }

  /** The store's generation (src/store/db.ts): writes to the facts cache leave it alone. */
  private generation(): string {
    return storeGeneration(this.db);
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
  initDataRows(name: string): InitDataRow[] {
    const a = this.answers();
    a.initDataNames ??= new Set((this.st.initDataNames.all(this.treeId) as { name: string }[]).map((r) => r.name));
    if (!a.initDataNames.has(name)) return [];
    return this.memoRows('initdata', name, () => (this.st.initData.all(name, this.treeId) as (Omit<InitDataRow, 'isStatic'> & { isStatic: number })[]).map((r) => ({ ...r, isStatic: r.isStatic === 1 })));
  }
  /**
   * The facts the index holds for a file. For a file the build parsed only in part (see
   * docs/INDEX.md) they hold the selected functions — every function on a module_init return
   * chain, the init/exit functions and what their paths call — with the whole file's module
   * entries and exports; `completeFacts` parses the whole file. A file the build never parsed
   * is extracted on demand when the index was opened with an extractor.
   */
  facts(path: string): FileFacts | undefined {
    this.consult(path);
    let out: FileFacts | undefined;
    if (this.factsCache.has(path)) out = this.factsCache.get(path);
    else {
      const r = this.st.facts.get(this.treeId, path) as { z: Buffer } | undefined;
      if (r) out = { ...decompressFacts(r.z), path };
      else out = this.extractNow(path);
      this.remember(this.factsCache, path, out);
    }
    if (this.logs.length) this.asked('facts', path, factsToken(out));
    return out;
  }

  /** The facts of the whole file: stored when the build parsed all of it, else extracted now. */
  completeFacts(path: string): FileFacts | undefined {
    this.consult(path);
    const r = this.st.facts.get(this.treeId, path) as { z: Buffer; complete: number } | undefined;
    let out: FileFacts | undefined;
    if (r?.complete === 1) out = { ...decompressFacts(r.z), path };
    else if (this.completeCache.has(path)) out = this.completeCache.get(path);
    else {
      out = this.extractNow(path);
      this.remember(this.completeCache, path, out);
    }
    if (this.logs.length) this.asked('complete', path, factsToken(out));
    return out;
  }

  private readonly completeCache = new Map<string, FileFacts | undefined>();

  private extractNow(path: string): FileFacts | undefined {
    const extract = this.opts.extract;
    if (!extract) return undefined;
    const abs = join(this.root, path);
    if (!existsSync(abs)) return undefined;
    try {
      const source = readFileSync(abs, 'utf8');
      // The file is read every time (it may have changed); the facts of a content already
      // extracted are kept, by path and blob id, for every TreeIndex of the process.
      let memo = extractedFacts.get(extract);
      if (!memo) extractedFacts.set(extract, (memo = new LruMap(EXTRACTED_KEPT)));
      const key = `${path}\0${gitBlobId(source)}`;
      let facts = memo.get(key);
      if (!facts) memo.set(key, (facts = extract(path, source)));
      return facts;
    } catch {
      return undefined;
    }
  }

  private remember(cache: Map<string, FileFacts | undefined>, path: string, f: FileFacts | undefined): void {
    if (cache.size >= 64) cache.delete(cache.keys().next().value!);
    cache.set(path, f);
  }
}
