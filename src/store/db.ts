// One SQLite file holds all state that must survive a crash (index cache, lore cursors, reviews,
// outbox, GitHub deliveries, feedback). Each module owns its tables and declares them as named
// migrations; a migration runs once, inside a transaction, so a crash mid-migration leaves the
// file as it was.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export type DB = Database.Database;

export interface Migration {
  /** Unique, stable name: `<module>/<n>-<what>`, e.g. `index/1-files`. */
  name: string;
  sql: string;
}

/**
 * Row changes made through a connection to tables no tree-index answer reads (the facts cache),
 * counted by their writers: SQLite's total_changes() less these moves only when this connection
 * wrote something else (src/index/query.ts TreeIndex generation), so a review that stores or
 * touches a facts-cache entry keeps the index's answers valid.
 */
const sideChanges = new WeakMap<DB, number>();

/** Record `n` row changes (a statement's `changes`) to tables no index answer reads. */
export function noteSideChanges(db: DB, n: number): void {
  if (n) sideChanges.set(db, (sideChanges.get(db) ?? 0) + n);
}

/** Row changes recorded by noteSideChanges on this connection. */
export function sideChangesOf(db: DB): number {
  return sideChanges.get(db) ?? 0;
}

const generationStatements = new WeakMap<DB, { dataVersion: Database.Statement; changes: Database.Statement }>();

/**
 * Changes whenever a row other than the side tables' (noteSideChanges) may have changed: SQLite's
 * data_version moves when another connection commits, total_changes() counts this connection's
 * row changes. What is read from the database may be kept while it stays the same.
 */
export function storeGeneration(db: DB): string {
  let st = generationStatements.get(db);
  if (!st) generationStatements.set(db, (st = { dataVersion: db.prepare('PRAGMA data_version').pluck(), changes: db.prepare('SELECT total_changes()').pluck() }));
  return `${st.dataVersion.get() as number}:${(st.changes.get() as number) - sideChangesOf(db)}`;
}

export function cacheDir(): string {
  return process.env.MODREVIEW_CACHE ?? join(homedir(), '.cache', 'modreview');
}

export function defaultStorePath(): string {
  return process.env.MODREVIEW_DB ?? join(cacheDir(), 'modreview.sqlite');
}

export function openStore(path: string = defaultStorePath()): DB {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  // First, so that switching a new file to WAL while another process opens it waits, not fails.
  db.pragma('busy_timeout = 15000');
  // Switching a new file to WAL while another process does the same can fail at once with
  // SQLITE_BUSY (the busy handler is not consulted for that lock): try again for a while.
  for (let tries = 0; ; tries++) {
    try {
      db.pragma('journal_mode = WAL');
      break;
    } catch (e) {
      if (tries >= 300 || !/database is locked|SQLITE_BUSY/.test(String(e))) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
  // NORMAL is durable across process crashes in WAL mode (only an OS crash may lose the tail).
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.exec('CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  return db;
}

/**
 * Apply the migrations not yet applied, each in its own transaction. Idempotent, and safe when
 * several processes open the same file at once: each migration runs in a BEGIN IMMEDIATE
 * transaction (the write lock is taken before anything is read; a second process waits on
 * busy_timeout) and checks again inside it whether another process applied it meanwhile.
 */
export function migrate(db: DB, migrations: readonly Migration[]): void {
  const applied = db.prepare('SELECT 1 FROM migrations WHERE name = ?');
  const record = db.prepare("INSERT INTO migrations (name, applied_at) VALUES (?, datetime('now'))");
  for (const m of migrations) {
    if (applied.get(m.name)) continue;
    db.transaction(() => {
      if (applied.get(m.name)) return;
      db.exec(m.sql);
      record.run(m.name);
    }).immediate();
  }
}
