// The tree index cache: per kernel tree and per `.c` file, its git blob id, the facts-extractor
// version that produced its facts, the facts themselves (deflated JSON) and the rows the
// cross-file queries need (functions, call edges, propagation edges, errno returns, module
// entries, struct initialisers, module-notifier registrations).
//
// Invariants:
//  - A file's rows are keyed by its `idx_files.id`; they are replaced together with its
//    `idx_files` row inside the caller's transaction (`writeBatch` wraps a batch of files in ONE
//    transaction), so a crash mid-batch leaves every file's previous state.
//  - A file is parsed again only when its blob id or the extractor version changed (and a blob
//    already parsed under another path or tree is reused, not parsed).
//  - Files the lexical pre-filter left out have a row with `indexed = 0` and the candidate names
//    of the non-static functions they may define (`defs`), so the closure step of the build can
//    pull them in later without reading them again.
import { deflateSync, inflateSync } from 'node:zlib';
import type { FileFacts } from '../c/types.js';
import { migrate, type DB, type Migration } from './db.js';

export const INDEX_MIGRATIONS: readonly Migration[] = [
  {
    name: 'index/1-tables',
    sql: `
CREATE TABLE idx_trees (
  id   INTEGER PRIMARY KEY,
  root TEXT NOT NULL UNIQUE
);
CREATE TABLE idx_files (
  id       INTEGER PRIMARY KEY,
  tree     INTEGER NOT NULL REFERENCES idx_trees(id),
  path     TEXT NOT NULL,
  size     INTEGER NOT NULL,
  mtime    REAL NOT NULL,
  hash     TEXT,
  version  TEXT NOT NULL,
  indexed  INTEGER NOT NULL DEFAULT 0,
  reason   TEXT,
  defs     TEXT,
  problem  TEXT,
  UNIQUE (tree, path)
);
CREATE INDEX idx_files_hash ON idx_files (hash, version) WHERE indexed = 1;
CREATE TABLE idx_facts (
  file INTEGER PRIMARY KEY REFERENCES idx_files(id) ON DELETE CASCADE,
  raw_size INTEGER NOT NULL,
  z BLOB NOT NULL
);
CREATE TABLE idx_functions (
  file INTEGER NOT NULL REFERENCES idx_files(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  line INTEGER NOT NULL,
  end_line INTEGER NOT NULL,
  static INTEGER NOT NULL,
  section TEXT,
  exported INTEGER NOT NULL,
  has_error INTEGER NOT NULL
);
CREATE INDEX idx_functions_name ON idx_functions (name);
CREATE INDEX idx_functions_file ON idx_functions (file);
CREATE TABLE idx_calls (
  file INTEGER NOT NULL REFERENCES idx_files(id) ON DELETE CASCADE,
  caller TEXT NOT NULL,
  callee TEXT NOT NULL,
  line INTEGER NOT NULL
);
CREATE INDEX idx_calls_callee ON idx_calls (callee);
CREATE INDEX idx_calls_file ON idx_calls (file);
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
CREATE INDEX idx_errno_code ON idx_errno (code);
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
CREATE INDEX idx_structs_name ON idx_structs (name);
CREATE INDEX idx_structs_file ON idx_structs (file);
CREATE TABLE idx_notifiers (
  file     INTEGER NOT NULL REFERENCES idx_files(id) ON DELETE CASCADE,
  callback TEXT NOT NULL,
  block    TEXT NOT NULL,
  line     INTEGER NOT NULL
);
CREATE INDEX idx_notifiers_file ON idx_notifiers (file);
`,
  },
];

/** Bumped when the rows derived from FileFacts change shape or meaning. */
export const INDEX_ROWS_VERSION = 1;

export function migrateIndex(db: DB): void {
  migrate(db, INDEX_MIGRATIONS);
}

// ---------------------------------------------------------------------------------------------
// Rows derived from FileFacts (computed in the parse workers; plain arrays cross threads cheaply)

export interface FileRows {
  functions: [name: string, line: number, end: number, isStatic: 0 | 1, section: string | null, exported: 0 | 1, hasError: 0 | 1][];
  calls: [caller: string, callee: string, line: number][];
  props: [caller: string, callee: string, line: number, masks: string][];
  errno: [fn: string, code: string, line: number][];
  entries: [kind: string, fn: string, macro: string, line: number, driver: string | null][];
  structs: [type: string, name: string, line: number, fields: string][];
  notifiers: [callback: string, block: string, line: number][];
}

/** `&foo_nb` / `foo_nb` / `&(foo_nb)` → `foo_nb`. */
function objectName(arg: string | undefined): string | undefined {
  if (!arg) return undefined;
  const m = /^&?\s*\(?\s*([A-Za-z_]\w*)\s*\)?$/.exec(arg.trim());
  return m?.[1];
}

export function deriveRows(facts: FileFacts): FileRows {
  const rows: FileRows = { functions: [], calls: [], props: [], errno: [], entries: [], structs: [], notifiers: [] };
  const nbCallbacks = new Map<string, string>();
  for (const s of facts.structInits) {
    rows.structs.push([s.type, s.name, s.line, JSON.stringify(s.fields)]);
    if (/\bnotifier_block$/.test(s.type)) {
      const cb = s.fields.find((f) => f.field === 'notifier_call' || f.field === '.notifier_call');
      if (cb) nbCallbacks.set(s.name, cb.value.replace(/^&\s*/, '').trim());
    }
  }
  for (const f of facts.functions) {
    rows.functions.push([f.name, f.startLine, f.endLine, f.isStatic ? 1 : 0, f.section, f.exported ? 1 : 0, f.hasError ? 1 : 0]);
    for (const c of f.calls) {
      rows.calls.push([f.name, c.callee, c.line]);
      if (c.callee === 'register_module_notifier') {
        const nb = objectName(c.args[0]);
        const cb = nb ? nbCallbacks.get(nb) : undefined;
        if (nb && cb) rows.notifiers.push([cb, nb, c.line]);
      }
    }
    for (const p of f.propagates) rows.props.push([f.name, p.callee, p.line, JSON.stringify(p.masks)]);
    for (const e of f.returnsErrno) rows.errno.push([f.name, e.code, e.line]);
  }
  for (const e of facts.moduleEntries) rows.entries.push([e.kind, e.fn, e.macro, e.line, e.driver ?? null]);
  return rows;
}

export function compressFacts(facts: FileFacts): { raw: number; z: Buffer } {
  const json = Buffer.from(JSON.stringify(facts), 'utf8');
  return { raw: json.length, z: deflateSync(json, { level: 1 }) };
}

export function decompressFacts(z: Buffer): FileFacts {
  return JSON.parse(inflateSync(z).toString('utf8')) as FileFacts;
}

// ---------------------------------------------------------------------------------------------

export interface FileState {
  id: number;
  path: string;
  size: number;
  mtime: number;
  hash: string | null;
  version: string;
  indexed: number;
  reason: string | null;
  defs: string | null;
  problem: string | null;
}

/** A file's new state, written by `writeBatch`. */
export type FileWrite =
  | { kind: 'indexed'; path: string; size: number; mtime: number; hash: string; reason: string; rows: FileRows; z: Buffer; raw: number }
  | { kind: 'seen'; path: string; size: number; mtime: number; hash: string | null; defs: string; problem?: string }
  /** Unchanged content, new stat (touched): only size/mtime move. */
  | { kind: 'touch'; path: string; size: number; mtime: number };

export class IndexCache {
  readonly treeId: number;
  private readonly st: ReturnType<IndexCache['prepare']>;

  constructor(
    readonly db: DB,
    readonly root: string,
    /** Facts-extractor version + row version: a mismatch means the file is parsed again. */
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
      files: db.prepare('SELECT id, path, size, mtime, hash, version, indexed, reason, defs, problem FROM idx_files WHERE tree = ?'),
      upsert: db.prepare(
        `INSERT INTO idx_files (tree, path, size, mtime, hash, version, indexed, reason, defs, problem)
         VALUES (@tree, @path, @size, @mtime, @hash, @version, @indexed, @reason, @defs, @problem)
         ON CONFLICT (tree, path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, hash = excluded.hash,
           version = excluded.version, indexed = excluded.indexed, reason = excluded.reason, defs = excluded.defs,
           problem = excluded.problem
         RETURNING id`,
      ),
      touch: db.prepare('UPDATE idx_files SET size = ?, mtime = ? WHERE tree = ? AND path = ?'),
      del: ['idx_facts', 'idx_functions', 'idx_calls', 'idx_props', 'idx_errno', 'idx_modentries', 'idx_structs', 'idx_notifiers'].map((t) =>
        db.prepare(`DELETE FROM ${t} WHERE file = ?`),
      ),
      delFile: db.prepare('DELETE FROM idx_files WHERE id = ?'),
      facts: db.prepare('INSERT INTO idx_facts (file, raw_size, z) VALUES (?, ?, ?)'),
      fn: db.prepare('INSERT INTO idx_functions (file, name, line, end_line, static, section, exported, has_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      call: db.prepare('INSERT INTO idx_calls (file, caller, callee, line) VALUES (?, ?, ?, ?)'),
      prop: db.prepare('INSERT INTO idx_props (file, caller, callee, line, masks) VALUES (?, ?, ?, ?, ?)'),
      errno: db.prepare('INSERT INTO idx_errno (file, fn, code, line) VALUES (?, ?, ?, ?)'),
      entry: db.prepare('INSERT INTO idx_modentries (file, kind, fn, macro, line, driver) VALUES (?, ?, ?, ?, ?, ?)'),
      struct: db.prepare('INSERT INTO idx_structs (file, type, name, line, fields) VALUES (?, ?, ?, ?, ?)'),
      notifier: db.prepare('INSERT INTO idx_notifiers (file, callback, block, line) VALUES (?, ?, ?, ?)'),
      reuse: db.prepare(
        `SELECT f.id, x.raw_size AS raw, x.z FROM idx_files f JOIN idx_facts x ON x.file = f.id
         WHERE f.hash = ? AND f.version = ? AND f.indexed = 1 LIMIT 1`,
      ),
    };
  }

  /** Every known file of this tree, by path. */
  fileStates(): Map<string, FileState> {
    const out = new Map<string, FileState>();
    for (const r of this.st.files.all(this.treeId) as FileState[]) out.set(r.path, r);
    return out;
  }

  /** Facts already parsed for this blob (another path, another tree), to reuse instead of parsing. */
  reusable(hash: string): { z: Buffer; raw: number } | undefined {
    return this.st.reuse.get(hash, this.version) as { z: Buffer; raw: number } | undefined;
  }

  private clearRows(id: number): void {
    for (const d of this.st.del) d.run(id);
  }

  /** Write a batch of file states in ONE transaction: all of them or none. */
  writeBatch(batch: readonly FileWrite[]): void {
    const st = this.st;
    const tree = this.treeId;
    this.db.transaction(() => {
      for (const w of batch) {
        if (w.kind === 'touch') {
          st.touch.run(w.size, w.mtime, tree, w.path);
          continue;
        }
        const indexed = w.kind === 'indexed';
        const { id } = st.upsert.get({
          tree,
          path: w.path,
          size: w.size,
          mtime: w.mtime,
          hash: w.hash,
          version: this.version,
          indexed: indexed ? 1 : 0,
          reason: indexed ? w.reason : null,
          defs: indexed ? null : w.defs,
          problem: indexed ? null : (w.problem ?? null),
        }) as { id: number };
        this.clearRows(id);
        if (!indexed) continue;
        const r = w.rows;
        st.facts.run(id, w.raw, w.z);
        for (const f of r.functions) st.fn.run(id, ...f);
        for (const c of r.calls) st.call.run(id, ...c);
        for (const p of r.props) st.prop.run(id, ...p);
        for (const e of r.errno) st.errno.run(id, ...e);
        for (const e of r.entries) st.entry.run(id, ...e);
        for (const s of r.structs) st.struct.run(id, ...s);
        for (const n of r.notifiers) st.notifier.run(id, ...n);
      }
    })();
  }

  /** Forget files (gone from the tree), rows included, in one transaction. */
  removeFiles(ids: readonly number[]): void {
    this.db.transaction(() => {
      for (const id of ids) {
        this.clearRows(id);
        this.st.delFile.run(id);
      }
    })();
  }

  /** (caller, callee) propagation pairs of this tree, for the closure step of the build. */
  propagationPairs(): { caller: string; callee: string }[] {
    return this.db
      .prepare('SELECT DISTINCT p.caller, p.callee FROM idx_props p JOIN idx_files f ON f.id = p.file WHERE f.tree = ?')
      .all(this.treeId) as { caller: string; callee: string }[];
  }

  /** Functions named by init entries (module_init, initcalls, driver macros) of this tree. */
  initFunctionNames(): string[] {
    return (
      this.db
        .prepare("SELECT DISTINCT e.fn FROM idx_modentries e JOIN idx_files f ON f.id = e.file WHERE f.tree = ? AND e.kind = 'init'")
        .all(this.treeId) as { fn: string }[]
    ).map((r) => r.fn);
  }
}
