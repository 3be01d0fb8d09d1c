// Keeping the tree index fresh for a review without walking the whole tree (issue 14).
//
// A whole-tree build (`modreview index`, or a review's first build) records every directory it
// walked with its mtime, taken before the directory was listed (idx_dirs). A review then:
//
//  1. stats those directories (≈ 4,000 on Linux 6.12, against ≈ 31,000 `.c` files). A directory
//     whose mtime moved had an entry created, deleted or renamed in it: its `.c` files are
//     stat'ed and compared with the index (new, gone and replaced files are read again), new
//     subdirectories are walked whole, vanished ones lose their files' rows;
//  2. stats the files the patch touches (their rows are refreshed when they changed);
//  3. after the review, stats every file whose index rows the review's questions returned
//     (`TreeIndex.consulted`); when one changed, it is read again and the review runs once more
//     (see `staleFiles`, used by src/commands/review.ts).
//
// What this sees: files added, deleted or renamed anywhere; files replaced through a new
// directory entry (git checkout/apply/am/pull, patch(1), `sed -i`, editors that save through a
// temporary file and rename, rsync, tar); any change to the files the patch touches or to a file
// whose rows an answer used. What it does not see: a file of the tree rewritten in place (the same
// directory entry: `cat > f`, `cp` over an existing file, an editor set to write in place) since
// the last whole-tree walk, when no answer of this review used that file's rows — e.g. an
// in-place edit that adds a new caller of a function the patch changes. `modreview index` (or
// `review --index-check full`) stats every file and records a new snapshot.
import { lstatSync, readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { FACTS_VERSION } from '../c/version.js';
import { storeGeneration, type DB } from '../store/db.js';
import { LruMap } from '../lru.js';
import { IndexCache, INDEX_ROWS_VERSION } from '../store/index-cache.js';
import { buildIndex, dirStamp, snapshotKey, type IndexProgress, type IndexStats } from './build.js';
import { DEFAULT_SKIP_DIRS } from './filter.js';

export type IndexCheck = 'quick' | 'full';

export interface FreshnessReport {
  /** `quick`: directories + touched files; `full`: every file stat'ed; `paths`: only under --index-path. */
  mode: 'quick' | 'full' | 'paths';
  /** Why a quick check fell back to a full walk, if it did. */
  fullBecause?: string;
  /** Directories stat'ed (quick) and how many of them had changed. */
  dirs: number;
  changedDirs: number;
  /** Files stat'ed by the quick check (in changed directories, new directories and the touched files). */
  files: number;
  /** The build step's figures (files read again, parsed, removed). */
  build?: IndexStats;
  /** When the last whole-tree walk started (ms since the epoch), after this check. */
  fullAt?: number;
  seconds: number;
}

export interface FreshOptions {
  db: DB;
  /** Paths (relative to the tree) the review reads directly: the patch's files. */
  touched?: readonly string[];
  /** `full`: stat every file as `modreview index` does. Default `quick`. */
  check?: IndexCheck;
  /** Walk only these (as `modreview index --path`); overrides `check`. */
  paths?: string[];
  onProgress?: (p: IndexProgress) => void;
}

const indexVersionNow = () => `${FACTS_VERSION}.${INDEX_ROWS_VERSION}`;

function listDir(abs: string): Dirent[] | undefined {
  try {
    return readdirSync(abs, { withFileTypes: true });
  } catch {
    return undefined;
  }
}

const parentOf = (rel: string) => {
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
};

/** Refresh the index of `tree` as a review needs it (see the top of this file). */
export async function refreshForReview(tree: string, o: FreshOptions): Promise<FreshnessReport> {
  const t0 = performance.now();
  const root = realpathSync(tree);
  const done = (r: Omit<FreshnessReport, 'seconds'>): FreshnessReport => ({ ...r, seconds: (performance.now() - t0) / 1000 });
  const run = (paths?: string[]) => buildIndex(root, { db: o.db, ...(paths ? { paths } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
  if (o.paths?.length) return done({ mode: 'paths', dirs: 0, changedDirs: 0, files: 0, build: await run(o.paths) });

  const version = indexVersionNow();
  const cache = new IndexCache(o.db, root, version);
  const snap = cache.dirSnapshot();
  const fullBecause =
    o.check === 'full'
      ? '--index-check full'
      : snap.key === null
        ? 'no whole-tree walk recorded yet'
        : snap.key !== snapshotKey(version, DEFAULT_SKIP_DIRS)
          ? 'the index was built by another version of modreview'
          : !cache.isClean()
            ? 'the last build did not finish'
            : undefined;
  if (fullBecause) {
    const build = await run();
    const fullAt = cache.dirSnapshot().fullAt;
    return done({ mode: 'full', fullBecause, dirs: 0, changedDirs: 0, files: build.seen, build, ...(fullAt !== null ? { fullAt } : {}) });
  }

  // 1. The directories.
  const skip = new Set(DEFAULT_SKIP_DIRS);
  const changed: [string, number][] = [];
  const gone: string[] = [];
  // (Plain concatenation: path.join normalises each of 4,000 paths, and the rows are already normal.)
  const under = `${root}/`;
  for (const [rel, mtime] of snap.dirs) {
    // lstat: a directory replaced by a symbolic link is gone, as the whole walk would not follow it.
    const st = rel ? lstatSync(under + rel, { throwIfNoEntry: false }) : statSync(root, { throwIfNoEntry: false });
    if (!st?.isDirectory()) gone.push(rel);
    else if (st.mtimeMs !== mtime) changed.push([rel, dirStamp(st.mtimeMs)]);
  }
  const files = new Set<string>();
  const newDirs: [string, number][] = [];
  /** A directory new since the snapshot: everything under it is new. */
  const walkNew = (rel: string) => {
    const abs = join(root, rel);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (!st?.isDirectory()) return;
    newDirs.push([rel, dirStamp(st.mtimeMs)]);
    for (const e of listDir(abs) ?? []) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walkNew(r);
      else if (e.isFile() && e.name.endsWith('.c')) files.add(r);
    }
  };
  const inDir = cache.db.prepare('SELECT path FROM idx_files WHERE tree = ? AND path >= ? AND path < ?').pluck();
  const filesUnder = (rel: string): string[] => (rel === '' ? (inDir.all(cache.treeId, '', '\uffff') as string[]) : (inDir.all(cache.treeId, `${rel}/`, `${rel}0`) as string[]));
  for (const [rel] of changed) {
    // Its `.c` files now, and those the index had directly in it (gone ones lose their rows).
    for (const p of filesUnder(rel)) if (parentOf(p) === rel) files.add(p);
    for (const e of listDir(join(root, rel)) ?? []) {
      if (e.name.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!snap.dirs.has(r) && !(rel === '' && skip.has(e.name))) walkNew(r);
      } else if (e.isFile() && e.name.endsWith('.c')) files.add(r);
    }
  }
  for (const g of gone) for (const p of filesUnder(g)) files.add(p);
  // 2. The files the review reads directly.
  // (Names from a patch: hostile input. Only plain relative paths to a regular file inside the
  // tree, or to nothing — a file the patch creates or one gone since, whose rows are dropped.)
  for (const t of o.touched ?? []) {
    const parts = t.split('/');
    if (!t.endsWith('.c') || parts.some((s) => s === '..' || s === '' || s.startsWith('.')) || (parts.length > 1 && skip.has(parts[0]!))) continue;
    const abs = join(root, t);
    const st = lstatSync(abs, { throwIfNoEntry: false });
    if (st && !st.isFile()) continue;
    if (st && !realpathSync(abs).startsWith(under)) continue;
    files.add(t);
  }

  const build = files.size ? await run([...files].sort()) : undefined;
  if (changed.length || gone.length || newDirs.length) cache.writeDirs([...changed, ...newDirs], { full: false, gone });
  return done({ mode: 'quick', dirs: snap.dirs.size, changedDirs: changed.length + gone.length, files: files.size, ...(build ? { build } : {}), ...(snap.fullAt !== null ? { fullAt: snap.fullAt } : {}) });
}

/** The index's size and mtime of files (null: no row), by connection and tree, with the store generation they were read at. */
const statRows = new WeakMap<DB, Map<number, { gen: string; rows: LruMap<string, { size: number; mtime: number } | null> }>>();
const STAT_ROWS_KEPT = 50_000;

/**
 * Of these files (relative to the tree), those whose size or mtime differs from what the index
 * holds, or that are gone: their rows may not be what the file says now.
 */
export function staleFiles(db: DB, tree: string, files: Iterable<string>): string[] {
  const root = realpathSync(tree);
  const t = db.prepare('SELECT id FROM idx_trees WHERE root = ?').get(root) as { id: number } | undefined;
  if (!t) return [];
  // A review's answers use hundreds of files: their rows are kept while the store is unchanged.
  const gen = storeGeneration(db);
  let byTree = statRows.get(db);
  if (!byTree) statRows.set(db, (byTree = new Map()));
  let kept = byTree.get(t.id);
  if (kept?.gen !== gen) byTree.set(t.id, (kept = { gen, rows: new LruMap(STAT_ROWS_KEPT) }));
  const q = db.prepare('SELECT size, mtime FROM idx_files WHERE tree = ? AND path = ?');
  const out: string[] = [];
  for (const f of files) {
    let row = kept.rows.get(f);
    if (row === undefined) kept.rows.set(f, (row = (q.get(t.id, f) as { size: number; mtime: number } | undefined) ?? null));
    if (!row) continue;
    const st = statSync(join(root, f), { throwIfNoEntry: false });
    if (!st || st.size !== row.size || st.mtimeMs !== row.mtime) out.push(f);
  }
  return out;
}
