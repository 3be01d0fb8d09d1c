// The tree index cache: per kernel tree and per `.c` file, its git blob id, the version of the
// code that produced its rows, the lexical rows every file gets (functions, calls, module
// entries) and the rows tree-sitter adds for the functions the selection step picked (precise
// calls, propagation edges, errno returns, struct initialisers, module notifiers, the facts).
// See docs/INDEX.md for what is parsed and why.
//
// Invariants:
//  - A file's rows are keyed by its `idx_files.id` and are always a function of (its content,
//    the selection it was parsed with = `sel_key`). They are replaced together with the file's
//    `idx_files` row inside ONE transaction per batch (`writeBatch`), so a crash mid-batch leaves
//    every file's previous state.
//  - `pending = 1`: the file was (re)read but the selection (idx_sel/idx_wants) has not taken it
//    into account yet. The selection step clears it in the same transaction that records the new
//    selection, so a crash between the two is repaired by the next run.
//  - idx_sel is the selection wanted now; a file whose `sel_key` differs from the key of its
//    idx_sel rows is parsed again (that is also how a crash between selection and parse heals).
import { createHash } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import type BetterSqlite3 from 'better-sqlite3';
import type { FileFacts } from '../c/types.js';
import { migrate, storeGeneration, type DB, type Migration } from './db.js';

const ROW_TABLES = ['idx_facts', 'idx_functions', 'idx_calls', 'idx_pcalls', 'idx_props', 'idx_errno', 'idx_modentries', 'idx_structs', 'idx_notifiers', 'idx_initdata'] as const;

export const INDEX_MIGRATIONS: readonly Migration[] = [
  {
    name: 'index/1-tables',
    sql: `
CREATE TABLE idx_trees (
  id   INTEGER PRIMARY KEY,
  root TEXT NOT NULL UNIQUE
);`,
  },
  {
    // Lexical pre-pass + partial parsing (docs/INDEX.md). The rows of version 1 cannot be
    // upgraded in place (they lack the lexical columns): dropped, the next build refills them.
    name: 'index/2-lexical',
    sql: `
ALTER TABLE idx_trees ADD COLUMN clean INTEGER NOT NULL DEFAULT 0;
DROP TABLE IF EXISTS idx_notifiers;
DROP TABLE IF EXISTS idx_structs;
DROP TABLE IF EXISTS idx_modentries;
DROP TABLE IF EXISTS idx_errno;
DROP TABLE IF EXISTS idx_props;
DROP TABLE IF EXISTS idx_calls;
DROP TABLE IF EXISTS idx_functions;
DROP TABLE IF EXISTS idx_facts;
DROP TABLE IF EXISTS idx_files;
CREATE TABLE idx_files (
  id          INTEGER PRIMARY KEY,
  tree        INTEGER NOT NULL REFERENCES idx_trees(id),
  path        TEXT NOT NULL,
  size        INTEGER NOT NULL,
  mtime       REAL NOT NULL,
  hash        TEXT,
  version     TEXT NOT NULL,
  problem     TEXT,
  notifier    INTEGER NOT NULL DEFAULT 0,
  modular     INTEGER NOT NULL DEFAULT 0,
  life_local  TEXT NOT NULL DEFAULT '',
  life_remote TEXT NOT NULL DEFAULT '',
  pending     INTEGER NOT NULL DEFAULT 1,
  sel_key     TEXT NOT NULL DEFAULT '',
  parsed      TEXT NOT NULL DEFAULT '',
  reason      TEXT,
  UNIQUE (tree, path)
);
CREATE INDEX idx_files_pending ON idx_files (tree) WHERE pending = 1;
CREATE INDEX idx_files_hash ON idx_files (hash, version, sel_key);
CREATE TABLE idx_facts (
  file     INTEGER PRIMARY KEY REFERENCES idx_files(id) ON DELETE CASCADE,
  raw_size INTEGER NOT NULL,
  complete INTEGER NOT NULL,
  z        BLOB NOT NULL
);
CREATE TABLE idx_functions (
  file     INTEGER NOT NULL REFERENCES idx_files(id) ON DELETE CASCADE,
  name     TEXT NOT NULL,
  line     INTEGER NOT NULL,
  end_line INTEGER NOT NULL,
  static   INTEGER NOT NULL,
  section  TEXT,
  exported INTEGER NOT NULL,
  cands    TEXT NOT NULL DEFAULT '',
  start    INTEGER NOT NULL DEFAULT 0,
  stop     INTEGER NOT NULL DEFAULT 0
);
-- Lexical calls, one row per (file, callee): \`callers\` is "caller:line caller:line ...".
CREATE TABLE idx_calls (
  file    INTEGER NOT NULL REFERENCES idx_files(id) ON DELETE CASCADE,
  callee  TEXT NOT NULL,
  callers TEXT NOT NULL
);
-- The extractor's calls of the parsed functions (they stand in for those callers' lexical rows).
CREATE TABLE idx_pcalls (
  file   INTEGER NOT NULL REFERENCES idx_files(id) ON DELETE CASCADE,
  caller TEXT NOT NULL,
  callee TEXT NOT NULL,
  line   INTEGER NOT NULL
);
CREATE INDEX idx_pcalls_callee ON idx_pcalls (callee);
CREATE INDEX idx_pcalls_file ON idx_pcalls (file);
CREATE TABLE idx_props (
  file INTEGER NOT NULL REFERENCES idx_files(id) ON DELETE CASCADE,
  caller TEXT NOT NULL,
  callee TEXT NOT NULL,
  line INTEGER NOT NULL,
  masks TEXT NOT NULL
);
CREATE INDEX idx_props_callee ON idx_props (callee);
CREATE INDEX idx_props_file ON idx_props (file);
CREATE TABLE idx_errno (
  file INTEGER NOT NULL REFERENCES idx_files(id) ON DELETE CASCADE,
  fn   TEXT NOT NULL,
  code TEXT NOT NULL,
  line INTEGER NOT NULL
);
CREATE INDEX idx_errno_fn ON idx_errno (fn);
CREATE INDEX idx_errno_file ON idx_errno (file);
CREATE TABLE idx_modentries (
  file   INTEGER NOT NULL REFERENCES idx_files(id) ON DELETE CASCADE,
  kind   TEXT NOT NULL,
  fn     TEXT NOT NULL,
  macro  TEXT NOT NULL,
  line   INTEGER NOT NULL,
  driver TEXT
);
CREATE INDEX idx_modentries_fn ON idx_modentries (fn);
CREATE INDEX idx_modentries_kind ON idx_modentries (kind);
CREATE INDEX idx_modentries_file ON idx_modentries (file);
CREATE TABLE idx_structs (
  file   INTEGER NOT NULL REFERENCES idx_files(id) ON DELETE CASCADE,
  type   TEXT NOT NULL,
  name   TEXT NOT NULL,
  line   INTEGER NOT NULL,
  fields TEXT NOT NULL
);
CREATE INDEX idx_structs_type ON idx_structs (type);
CREATE INDEX idx_structs_file ON idx_structs (file);
CREATE TABLE idx_notifiers (
  file     INTEGER NOT NULL REFERENCES idx_files(id) ON DELETE CASCADE,
  callback TEXT NOT NULL,
  block    TEXT NOT NULL,
  line     INTEGER NOT NULL
);
CREATE INDEX idx_notifiers_file ON idx_notifiers (file);
CREATE TABLE idx_sel (
  file INTEGER NOT NULL REFERENCES idx_files(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  why  TEXT NOT NULL,
  PRIMARY KEY (file, name)
) WITHOUT ROWID;
CREATE TABLE idx_wants (
  callee TEXT NOT NULL,
  file   INTEGER NOT NULL REFERENCES idx_files(id) ON DELETE CASCADE,
  caller TEXT NOT NULL,
  kind   TEXT NOT NULL
);
CREATE INDEX idx_wants_callee ON idx_wants (callee);
CREATE INDEX idx_wants_file ON idx_wants (file);
`,
  },
  {
    // The directory snapshot of the last whole-tree walk (src/index/fresh.ts): every walked
    // directory's mtime, taken before it was listed. A review stats these instead of every file.
    // `dirs_key` names what the snapshot was taken with (index version, skipped top-level
    // directories); NULL: no snapshot. `full_at`: when that whole-tree walk started (ms epoch).
    name: 'index/3-dirs',
    sql: `
CREATE TABLE idx_dirs (
  tree  INTEGER NOT NULL REFERENCES idx_trees(id),
  path  TEXT NOT NULL,
  mtime REAL NOT NULL,
  PRIMARY KEY (tree, path)
) WITHOUT ROWID;
ALTER TABLE idx_trees ADD COLUMN dirs_key TEXT;
ALTER TABLE idx_trees ADD COLUMN full_at REAL;
`,
  },
  {
    // File-scope objects defined in init memory (`__initdata`/`__initconst`), lexical, every
    // file: a function of another file that reads one after init is a section mismatch.
    // Files indexed before this have none: INDEX_ROWS_VERSION 3 (4: the same rows, array bounds dropped linearly) has them read again.
    name: 'index/4-initdata',
    sql: `
CREATE TABLE idx_initdata (
  file   INTEGER NOT NULL REFERENCES idx_files(id) ON DELETE CASCADE,
  name   TEXT NOT NULL,
  line   INTEGER NOT NULL,
  static INTEGER NOT NULL
);
CREATE INDEX idx_initdata_name ON idx_initdata (name);
CREATE INDEX idx_initdata_file ON idx_initdata (file);
`,
  },
];

/** Bumped when the rows (lexical or derived from FileFacts) change shape or meaning. */
export const INDEX_ROWS_VERSION = 4;

/**
 * The indexes of the two big tables (a whole-tree index holds ~620,000 functions and ~2.7 M call
 * rows). A first build of a tree drops them while it bulk-loads and creates them afterwards
 * (sorting once beats maintaining them row by row); every open re-creates any that a crash left
 * missing.
 */
const BULK_INDEXES = [
  'CREATE INDEX IF NOT EXISTS idx_functions_name ON idx_functions (name)',
  'CREATE INDEX IF NOT EXISTS idx_functions_file ON idx_functions (file)',
  'CREATE INDEX IF NOT EXISTS idx_calls_callee ON idx_calls (callee)',
  'CREATE INDEX IF NOT EXISTS idx_calls_file ON idx_calls (file)',
];

export function migrateIndex(db: DB): void {
  migrate(db, INDEX_MIGRATIONS);
  ensureBulkIndexes(db);
}

export function ensureBulkIndexes(db: DB): void {
  for (const sql of BULK_INDEXES) db.exec(sql);
}

export function dropBulkIndexes(db: DB): void {
  for (const sql of BULK_INDEXES) db.exec(`DROP INDEX IF EXISTS ${/EXISTS (\w+)/.exec(sql)![1]}`);
}

// ---------------------------------------------------------------------------------------------
// Rows (computed in the workers; plain arrays cross threads cheaply)

// The rows of a file are derived from its facts in one place, shared with the in-memory index.
export { deriveRows, type FileRows } from '../c/derived.js';
import { deriveRows, type FileRows } from '../c/derived.js';

export function packJson(value: unknown): { raw: number; z: Buffer } {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  return { raw: json.length, z: deflateSync(json, { level: 1 }) };
}

export function unpackJson<T>(z: Buffer): T {
  return JSON.parse(inflateSync(z).toString('utf8')) as T;
}

export function compressFacts(facts: FileFacts): { raw: number; z: Buffer } {
  return packJson(facts);
}

export function decompressFacts(z: Buffer): FileFacts {
  return unpackJson<FileFacts>(z);
}

/** The key of a selection: '' none, '*' the whole file, else a digest of the sorted names. */
export function selectionKey(names: Iterable<string> | '*'): string {
  if (names === '*') return '*';
  const sorted = [...new Set(names)].sort();
  if (!sorted.length) return '';
  return createHash('sha1').update(sorted.join('\n')).digest('hex').slice(0, 16);
}

/**
 * The writes that store a file's whole facts as if the build had parsed all of it: tests and
 * tools that have facts in hand (the lexical rows are taken from the facts).
 */
export function factsWrites(facts: FileFacts, stat: { size: number; mtime: number } = { size: 1, mtime: 1 }): FileWrite[] {
  const rows = deriveRows(facts);
  const { raw, z } = compressFacts(facts);
  const cands = new Map(facts.functions.map((f) => [f.name, [...new Set(f.propagates.map((p) => p.callee))].join(' ')]));
  return [
    {
      kind: 'lexed',
      path: facts.path,
      ...stat,
      hash: facts.hash,
      rows: {
        functions: rows.functions.map(([name, line, end, st, section, exported]) => [name, line, end, st, section, exported, cands.get(name) ?? '', 0, 0]),
        calls: packCalls([]),
        entries: rows.entries,
        initData: rows.initData,
        notifier: false,
        modular: facts.modular,
        lifeLocal: '',
        lifeRemote: '',
      },
    },
    {
      kind: 'parsed',
      path: facts.path,
      hash: facts.hash,
      selKey: '*',
      parsedNames: facts.functions.map((f) => f.name),
      reason: 'facts',
      calls: packCalls(rows.calls),
      rows: { functions: [], props: rows.props, errno: rows.errno, structs: rows.structs, notifiers: rows.notifiers },
      extraFunctions: [],
      facts: { z, raw, complete: true },
    },
  ];
}

// ---------------------------------------------------------------------------------------------

export interface FileState {
  id: number;
  path: string;
  size: number;
  mtime: number;
  hash: string | null;
  version: string;
  problem: string | null;
  notifier: number;
  modular: number;
  pending: number;
  selKey: string;
  /** Space-separated names of the functions the stored rows were parsed from. */
  parsed: string;
  reason: string | null;
}

/**
 * Call rows packed for the trip between threads: one string of distinct names (newline-separated) and three integer
 * arrays (structured clone copies typed arrays in bulk; millions of small arrays it does not).
 */
export interface PackedCalls {
  names: string;
  caller: Int32Array;
  callee: Int32Array;
  line: Int32Array;
}

export function packCalls(rows: readonly (readonly [string, string, number])[]): PackedCalls {
  const ids = new Map<string, number>();
  const id = (n: string) => {
    let k = ids.get(n);
    if (k === undefined) ids.set(n, (k = ids.size));
    return k;
  };
  const caller = new Int32Array(rows.length);
  const callee = new Int32Array(rows.length);
  const line = new Int32Array(rows.length);
  rows.forEach(([a, b, l], i) => {
    caller[i] = id(a);
    callee[i] = id(b);
    line[i] = l;
  });
  return { names: [...ids.keys()].join('\n'), caller, callee, line };
}

export function unpackCalls(p: PackedCalls): [caller: string, callee: string, line: number][] {
  const names = p.names ? p.names.split('\n') : [];
  const out: [string, string, number][] = new Array(p.line.length);
  for (let i = 0; i < p.line.length; i++) out[i] = [names[p.caller[i]!]!, names[p.callee[i]!]!, p.line[i]!];
  return out;
}

/** A lexically read function, as written: [name, line, endLine, static, section, exported, cands]. */
export type LexFnRow = [
  name: string,
  line: number,
  end: number,
  isStatic: 0 | 1,
  section: string | null,
  exported: 0 | 1,
  cands: string,
  /** Byte range of the definition in the file. */
  start: number,
  stop: number,
];

/** What the lexical pass writes for a file (its selection is empty until the selection step). */
export interface LexRows {
  functions: LexFnRow[];
  calls: PackedCalls;
  entries: FileRows['entries'];
  initData: FileRows['initData'];
  notifier: boolean;
  modular: boolean;
  lifeLocal: string;
  lifeRemote: string;
}

/** A file's new state, written by `writeBatch`. */
export type FileWrite =
  /** Read and lexed: lexical rows only, pending selection. */
  | { kind: 'lexed'; path: string; size: number; mtime: number; hash: string; rows: LexRows }
  /** Parsed with selection `selKey`: calls replaced, precise rows and facts added. */
  | {
      kind: 'parsed';
      path: string;
      hash: string;
      selKey: string;
      /** Functions parsed (their call rows are in `calls`). */
      parsedNames: string[];
      reason: string | null;
      /** The extractor's calls of the parsed functions. */
      calls: PackedCalls;
      rows: Omit<FileRows, 'calls' | 'entries' | 'initData'>;
      /** Precise functions the lexical pass did not see (whole-file parses only). */
      extraFunctions: FileRows['functions'];
      facts?: { z: Buffer; raw: number; complete: boolean };
    }
  | { kind: 'problem'; path: string; size: number; mtime: number; hash: string | null; problem: string }
  /** Unchanged content, new stat (touched): only size/mtime move. */
  | { kind: 'touch'; path: string; size: number; mtime: number };

export interface SelRow {
  file: number;
  name: string;
  why: string;
}

export interface WantRow {
  callee: string;
  file: number;
  caller: string;
  kind: 'prop' | 'call';
}

const FILE_COLUMNS =
  'SELECT id, path, size, mtime, hash, version, problem, notifier, modular, pending, sel_key AS selKey, parsed, reason FROM idx_files';

export interface DirSnapshot {
  key: string | null;
  fullAt: number | null;
  dirs: ReadonlyMap<string, number>;
}

/** Directory snapshots by connection and tree, with the store generation they were read at. */
const snapshots = new WeakMap<DB, Map<number, { gen: string; snap: DirSnapshot }>>();

export class IndexCache {
  readonly treeId: number;
  private readonly st: ReturnType<IndexCache['prepare']>;

  constructor(
    readonly db: DB,
    readonly root: string,
    /** Facts-extractor version + row version: a mismatch means the file is read again. */
    readonly version: string,
  ) {
    migrateIndex(db);
    db.prepare('INSERT OR IGNORE INTO idx_trees (root) VALUES (?)').run(root);
    this.treeId = (db.prepare('SELECT id FROM idx_trees WHERE root = ?').get(root) as { id: number }).id;
    this.st = this.prepare();
  }

  private prepare() {
    const db = this.db;
    return {
      files: db.prepare(`${FILE_COLUMNS} WHERE tree = ?`),
      upsert: db.prepare(
        `INSERT INTO idx_files (tree, path, size, mtime, hash, version, problem, notifier, modular, life_local, life_remote, pending, sel_key, parsed, reason)
         VALUES (@tree, @path, @size, @mtime, @hash, @version, @problem, @notifier, @modular, @lifeLocal, @lifeRemote, 1, '', '', NULL)
         ON CONFLICT (tree, path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, hash = excluded.hash,
           version = excluded.version, problem = excluded.problem, notifier = excluded.notifier, modular = excluded.modular,
           life_local = excluded.life_local, life_remote = excluded.life_remote, pending = 1, sel_key = '', parsed = '', reason = NULL
         RETURNING id`,
      ),
      idOf: db.prepare('SELECT id, hash FROM idx_files WHERE tree = ? AND path = ?'),
      parsed: db.prepare('UPDATE idx_files SET sel_key = ?, parsed = ?, reason = ? WHERE id = ?'),
      touch: db.prepare('UPDATE idx_files SET size = ?, mtime = ? WHERE tree = ? AND path = ?'),
      del: Object.fromEntries([...ROW_TABLES, 'idx_sel', 'idx_wants'].map((t) => [t, db.prepare(`DELETE FROM ${t} WHERE file = ?`)])) as Record<
        (typeof ROW_TABLES)[number] | 'idx_sel' | 'idx_wants',
        BetterSqlite3.Statement
      >,
      delFile: db.prepare('DELETE FROM idx_files WHERE id = ?'),
      facts: db.prepare('INSERT INTO idx_facts (file, raw_size, complete, z) VALUES (?, ?, ?, ?)'),
      lexFn: db.prepare(
        'INSERT INTO idx_functions (file, name, line, end_line, static, section, exported, cands, start, stop) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      call: db.prepare('INSERT INTO idx_calls (file, callee, callers) VALUES (?, ?, ?)'),
      pcall: db.prepare('INSERT INTO idx_pcalls (file, caller, callee, line) VALUES (?, ?, ?, ?)'),
      prop: db.prepare('INSERT INTO idx_props (file, caller, callee, line, masks) VALUES (?, ?, ?, ?, ?)'),
      errno: db.prepare('INSERT INTO idx_errno (file, fn, code, line) VALUES (?, ?, ?, ?)'),
      entry: db.prepare('INSERT INTO idx_modentries (file, kind, fn, macro, line, driver) VALUES (?, ?, ?, ?, ?, ?)'),
      initData: db.prepare('INSERT INTO idx_initdata (file, name, line, static) VALUES (?, ?, ?, ?)'),
      struct: db.prepare('INSERT INTO idx_structs (file, type, name, line, fields) VALUES (?, ?, ?, ?, ?)'),
      notifier: db.prepare('INSERT INTO idx_notifiers (file, callback, block, line) VALUES (?, ?, ?, ?)'),
      sel: db.prepare('INSERT OR REPLACE INTO idx_sel (file, name, why) VALUES (?, ?, ?)'),
      want: db.prepare('INSERT INTO idx_wants (callee, file, caller, kind) VALUES (?, ?, ?, ?)'),
      clearPending: db.prepare('UPDATE idx_files SET pending = 0 WHERE tree = ? AND pending = 1'),
    };
  }

  /** Every known file of this tree, by path; with `prefixes`, those under them (`dir/` or a file). */
  fileStates(prefixes?: readonly string[]): Map<string, FileState> {
    const out = new Map<string, FileState>();
    if (!prefixes || prefixes.includes('')) {
      for (const r of this.st.files.all(this.treeId) as FileState[]) out.set(r.path, r);
      return out;
    }
    // Ranges of the (tree, path) index: `dir/` is every path from `dir/` up to `dir0` ('0'
    // follows '/'), a file is one path. (A scan per prefix made a many-file refresh quadratic.)
    const under = this.db.prepare(`${FILE_COLUMNS} WHERE tree = ? AND path >= ? AND path < ?`);
    const one = this.db.prepare(`${FILE_COLUMNS} WHERE tree = ? AND path = ?`);
    for (const p of prefixes) {
      if (p.endsWith('/')) for (const r of under.all(this.treeId, p, `${p.slice(0, -1)}0`) as FileState[]) out.set(r.path, r);
      else {
        const r = one.get(this.treeId, p) as FileState | undefined;
        if (r) out.set(r.path, r);
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ directory snapshot

  /**
   * The directory snapshot of the last whole-tree walk (see src/index/fresh.ts). Kept per
   * connection and tree while the store's generation stays the same (a process that reviews
   * again and again reads the ~4,000 rows once, not per review); shared: not to be modified.
   */
  dirSnapshot(): DirSnapshot {
    const gen = storeGeneration(this.db);
    let byTree = snapshots.get(this.db);
    if (!byTree) snapshots.set(this.db, (byTree = new Map()));
    const kept = byTree.get(this.treeId);
    if (kept?.gen === gen) return kept.snap;
    const t = this.db.prepare('SELECT dirs_key AS key, full_at AS fullAt FROM idx_trees WHERE id = ?').get(this.treeId) as { key: string | null; fullAt: number | null };
    const dirs = new Map<string, number>();
    if (t.key !== null) for (const [path, mtime] of this.db.prepare('SELECT path, mtime FROM idx_dirs WHERE tree = ?').raw().all(this.treeId) as [string, number][]) dirs.set(path, mtime);
    const snap: DirSnapshot = { key: t.key, fullAt: t.fullAt, dirs };
    byTree.set(this.treeId, { gen, snap });
    return snap;
  }

  /**
   * Record directory mtimes in ONE write transaction (BEGIN IMMEDIATE). `full`: a whole-tree walk
   * with `key`: the tree's snapshot is replaced. Otherwise these directories are updated and
   * those under `gone` (directories that vanished, with everything below them) dropped.
   */
  writeDirs(dirs: readonly (readonly [string, number])[], mode: { full: true; key: string; at: number } | { full: false; gone: readonly string[] }): void {
    const put = this.db.prepare('INSERT INTO idx_dirs (tree, path, mtime) VALUES (?, ?, ?) ON CONFLICT (tree, path) DO UPDATE SET mtime = excluded.mtime');
    this.db
      .transaction(() => {
        if (mode.full) {
          this.db.prepare('DELETE FROM idx_dirs WHERE tree = ?').run(this.treeId);
          this.db.prepare('UPDATE idx_trees SET dirs_key = ?, full_at = ? WHERE id = ?').run(mode.key, mode.at, this.treeId);
        } else {
          const del = this.db.prepare('DELETE FROM idx_dirs WHERE tree = ? AND (path = ? OR (path >= ? AND path < ?))');
          for (const g of mode.gone) del.run(this.treeId, g, `${g}/`, `${g}0`);
        }
        for (const [path, mtime] of dirs) put.run(this.treeId, path, mtime);
      })
      .immediate();
  }

  /** The states of these files (by id). */
  fileStatesById(ids: Iterable<number>): Map<number, FileState> {
    const out = new Map<number, FileState>();
    const q = this.db.prepare(`${FILE_COLUMNS} WHERE id = ?`);
    for (const id of ids) {
      const r = q.get(id) as FileState | undefined;
      if (r) out.set(id, r);
    }
    return out;
  }

  /**
   * `clean`: the last build of this tree ran to its end, so every file's stored rows match its
   * wanted selection; a build that writes anything clears it first and sets it when done. A
   * build that finds it clear (a crash) checks every file, not only what it changed.
   */
  isClean(): boolean {
    return (this.db.prepare('SELECT clean FROM idx_trees WHERE id = ?').get(this.treeId) as { clean: number }).clean === 1;
  }

  setClean(clean: boolean): void {
    // Only when it changes: a build that found nothing to do writes nothing, so the tree index's
    // answers (src/index/query.ts, kept while the database is unchanged) stay valid.
    this.db.prepare('UPDATE idx_trees SET clean = ? WHERE id = ? AND clean != ?').run(clean ? 1 : 0, this.treeId, clean ? 1 : 0);
  }

  /** Walked files (under `prefixes`) with nothing parsed: rows only from the lexical pass. */
  countUnparsed(prefixes?: readonly string[]): number {
    if (!prefixes) {
      return (this.db.prepare("SELECT count(*) AS n FROM idx_files WHERE tree = ? AND sel_key = '' AND problem IS NULL").get(this.treeId) as { n: number }).n;
    }
    let n = 0;
    for (const s of this.fileStates(prefixes).values()) if (s.selKey === '' && !s.problem) n++;
    return n;
  }

  private clearRows(id: number, tables: readonly (keyof IndexCache['st']['del'])[]): void {
    for (const t of tables) this.st.del[t].run(id);
  }

  /**
   * Write a batch of file states in ONE transaction: all of them or none. `fresh`: the tree had
   * no file when this build started (bulk load): no old rows to delete.
   */
  writeBatch(batch: readonly FileWrite[], fresh = false): void {
    const st = this.st;
    const tree = this.treeId;
    this.db.transaction(() => {
      for (const w of batch) {
        if (w.kind === 'touch') {
          st.touch.run(w.size, w.mtime, tree, w.path);
          continue;
        }
        if (w.kind === 'parsed') {
          const cur = st.idOf.get(tree, w.path) as { id: number; hash: string | null } | undefined;
          // The file was read again (changed) since this parse was planned: keep the newer state.
          if (!cur || cur.hash !== w.hash) continue;
          const id = cur.id;
          this.clearRows(id, ['idx_facts', 'idx_pcalls', 'idx_props', 'idx_errno', 'idx_structs', 'idx_notifiers']);
          // The parsed functions' calls as the extractor sees them; the lexical rows stay.
          const names = w.calls.names ? w.calls.names.split('\n') : [];
          for (let i = 0; i < w.calls.line.length; i++) st.pcall.run(id, names[w.calls.caller[i]!], names[w.calls.callee[i]!], w.calls.line[i]);
          for (const p of w.rows.props) st.prop.run(id, ...p);
          for (const e of w.rows.errno) st.errno.run(id, ...e);
          for (const s of w.rows.structs) st.struct.run(id, ...s);
          for (const n of w.rows.notifiers) st.notifier.run(id, ...n);
          for (const f of w.extraFunctions) st.lexFn.run(id, f[0], f[1], f[2], f[3], f[4], f[5], '', 0, 0);
          if (w.facts) st.facts.run(id, w.facts.raw, w.facts.complete ? 1 : 0, w.facts.z);
          st.parsed.run(w.selKey, w.parsedNames.join(' '), w.reason, id);
          continue;
        }
        const lexed = w.kind === 'lexed';
        const { id } = st.upsert.get({
          tree,
          path: w.path,
          size: w.size,
          mtime: w.mtime,
          hash: w.hash,
          version: this.version,
          problem: lexed ? null : w.problem,
          notifier: lexed && w.rows.notifier ? 1 : 0,
          modular: lexed && w.rows.modular ? 1 : 0,
          lifeLocal: lexed ? w.rows.lifeLocal : '',
          lifeRemote: lexed ? w.rows.lifeRemote : '',
        }) as { id: number };
        if (!fresh) this.clearRows(id, [...ROW_TABLES, 'idx_sel', 'idx_wants']);
        if (!lexed) continue;
        const r = w.rows;
        for (const f of r.functions) st.lexFn.run(id, ...f);
        this.insertCalls(id, r.calls);
        for (const e of r.entries) st.entry.run(id, ...e);
        for (const d of r.initData) st.initData.run(id, ...d);
      }
    }).immediate();
  }

  /** Lexical calls grouped by callee: one row per (file, callee). */
  private insertCalls(file: number, p: PackedCalls): void {
    const names = p.names ? p.names.split('\n') : [];
    const by = new Map<number, string[]>();
    for (let i = 0; i < p.line.length; i++) {
      const site = `${names[p.caller[i]!]}:${p.line[i]}`;
      const l = by.get(p.callee[i]!);
      if (l) l.push(site);
      else by.set(p.callee[i]!, [site]);
    }
    for (const [callee, sites] of by) this.st.call.run(file, names[callee], sites.join(' '));
  }

  /** Forget files (gone from the tree), rows included, in one transaction. */
  removeFiles(ids: readonly number[]): void {
    this.db.transaction(() => {
      for (const id of ids) {
        this.clearRows(id, [...ROW_TABLES, 'idx_sel', 'idx_wants']);
        this.st.delFile.run(id);
      }
    }).immediate();
  }

  // ------------------------------------------------------------------------- selection state

  /** Files read since the last selection step. */
  pendingFiles(): number[] {
    return (this.db.prepare('SELECT id FROM idx_files WHERE tree = ? AND pending = 1').all(this.treeId) as { id: number }[]).map((r) => r.id);
  }

  /** Whether any selection was recorded for this tree (else the next step must be full). */
  hasSelection(): boolean {
    return !!this.db.prepare('SELECT 1 FROM idx_sel s JOIN idx_files f ON f.id = s.file WHERE f.tree = ? LIMIT 1').get(this.treeId);
  }

  /** The selection wanted now for these files. */
  selectionOf(ids: Iterable<number>): Map<number, Map<string, string>> {
    const out = new Map<number, Map<string, string>>();
    const q = this.db.prepare('SELECT name, why FROM idx_sel WHERE file = ?');
    for (const id of ids) {
      const rows = q.all(id) as { name: string; why: string }[];
      if (rows.length) out.set(id, new Map(rows.map((r) => [r.name, r.why])));
    }
    return out;
  }

  /** The selection wanted now, by file. */
  selection(): Map<number, Map<string, string>> {
    const out = new Map<number, Map<string, string>>();
    const rows = this.db
      .prepare('SELECT s.file, s.name, s.why FROM idx_sel s JOIN idx_files f ON f.id = s.file WHERE f.tree = ?')
      .all(this.treeId) as SelRow[];
    for (const r of rows) {
      let m = out.get(r.file);
      if (!m) out.set(r.file, (m = new Map()));
      m.set(r.name, r.why);
    }
    return out;
  }

  /**
   * Record a selection step in ONE transaction: `replace` drops the whole previous selection of
   * the tree first (full computation); otherwise the rows of `files` are replaced and the others
   * kept (incremental). Pending flags are cleared in the same transaction.
   */
  writeSelection(sel: readonly SelRow[], wants: readonly WantRow[], mode: { replace: true } | { replace: false; files: readonly number[] }): void {
    const st = this.st;
    this.db.transaction(() => {
      if (mode.replace) {
        this.db.prepare('DELETE FROM idx_sel WHERE file IN (SELECT id FROM idx_files WHERE tree = ?)').run(this.treeId);
        this.db.prepare('DELETE FROM idx_wants WHERE file IN (SELECT id FROM idx_files WHERE tree = ?)').run(this.treeId);
      } else {
        for (const f of mode.files) {
          st.del.idx_sel.run(f);
          st.del.idx_wants.run(f);
        }
      }
      for (const s of sel) st.sel.run(s.file, s.name, s.why);
      for (const w of wants) st.want.run(w.callee, w.file, w.caller, w.kind);
      st.clearPending.run(this.treeId);
    }).immediate();
  }
}

