// Facts of whole source files by content (git blob id), for the review: the pre-image of a patch
// is a file of the tree, and the same files come up again and again on a list (every version of
// a series, every patch to a busy driver). A hit saves the parse and the facts walk of the whole
// pre-image; the memo keys stored with the facts let the post-image reuse the facts of every
// function the patch did not touch (src/c/facts.ts FunctionMemo).
//
// Content-addressed, so an entry is never stale for its blob; entries of another extractor
// version are ignored and replaced. Bounded: the least recently used entries beyond `max` go.
import type BetterSqlite3 from 'better-sqlite3';
import type { CachedFacts, FactsCache } from '../c/types.js';
import { migrate, noteSideChanges, type DB, type Migration } from './db.js';
import { packJson, unpackJson } from './index-cache.js';

export const FACTS_CACHE_MIGRATIONS: readonly Migration[] = [
  {
    name: 'facts-cache/1-table',
    sql: `
CREATE TABLE facts_cache (
  blob    TEXT PRIMARY KEY,
  version TEXT NOT NULL,
  z       BLOB NOT NULL,
  used    INTEGER NOT NULL
);
CREATE INDEX facts_cache_used ON facts_cache(used);`,
  },
];

export class SqliteFactsCache implements FactsCache {
  private readonly st: { get: BetterSqlite3.Statement; put: BetterSqlite3.Statement; touch: BetterSqlite3.Statement; count: BetterSqlite3.Statement; prune: BetterSqlite3.Statement };
  /** Decompressed entries of the last few files: a series or a busy file needs no inflate. */
  private readonly hot = new Map<string, CachedFacts>();
  private puts = 0;

  private readonly max: number;
  /** Decompressed entries kept in memory (0 for a scan, which reads each file once). */
  private readonly hotMax: number;

  constructor(
    private readonly db: DB,
    /** The extractor's version (src/c/facts.ts FACTS_VERSION): other versions' entries are misses. */
    private readonly version: string,
    opts: { max?: number; hot?: number } = {},
  ) {
    this.max = opts.max ?? 50_000;
    this.hotMax = opts.hot ?? 16;
    migrate(db, FACTS_CACHE_MIGRATIONS);
    this.st = {
      get: db.prepare('SELECT z, version FROM facts_cache WHERE blob = ?'),
      put: db.prepare('INSERT OR REPLACE INTO facts_cache (blob, version, z, used) VALUES (?, ?, ?, (SELECT coalesce(max(used), 0) + 1 FROM facts_cache))'),
      // The use stamp is a counter in the table: every process sharing the file agrees on the order.
      touch: db.prepare('UPDATE facts_cache SET used = (SELECT max(used) + 1 FROM facts_cache) WHERE blob = ?'),
      count: db.prepare('SELECT count(*) AS n FROM facts_cache'),
      prune: db.prepare('DELETE FROM facts_cache WHERE blob IN (SELECT blob FROM facts_cache ORDER BY used LIMIT ?)'),
    };
  }

  get(blob: string): CachedFacts | undefined {
    const hot = this.hot.get(blob);
    if (hot) return hot;
    const row = this.st.get.get(blob) as { z: Buffer; version: string } | undefined;
    if (!row || row.version !== this.version) return undefined;
    let entry: CachedFacts;
    try {
      entry = unpackJson<CachedFacts>(row.z);
    } catch {
      return undefined; // a damaged row is a miss; the next put replaces it
    }
    noteSideChanges(this.db, this.st.touch.run(blob).changes);
    this.remember(blob, entry);
    return entry;
  }

  put(blob: string, entry: CachedFacts): void {
    noteSideChanges(this.db, this.st.put.run(blob, this.version, packJson(entry).z).changes);
    this.remember(blob, entry);
    if (++this.puts % 256 === 0) this.prune();
  }

  prune(): void {
    const { n } = this.st.count.get() as { n: number };
    if (n > this.max) noteSideChanges(this.db, this.st.prune.run(n - this.max).changes);
  }

  private remember(blob: string, entry: CachedFacts): void {
    if (!this.hotMax) return;
    this.hot.delete(blob);
    this.hot.set(blob, entry);
    if (this.hot.size > this.hotMax) this.hot.delete(this.hot.keys().next().value!);
  }
}

const perDb = new WeakMap<DB, SqliteFactsCache>();

/** One cache per open store (its hot entries are shared by every review in the process). */
export function factsCacheOf(db: DB, version: string): SqliteFactsCache {
  let c = perDb.get(db);
  if (!c) perDb.set(db, (c = new SqliteFactsCache(db, version)));
  return c;
}
