// Build (or refresh) the tree index of a kernel tree into the SQLite store. See docs/INDEX.md.
//
//   walk .c files ─ stat unchanged? ─ yes → skip (not even read)
//                      │ no
//                      ▼
//   1. lex (workers): read, git blob id ─ same blob? → touch (new stat only)
//        invalid UTF-8 / unreadable → problem (reported, skipped)
//        lexical pass (lexical.ts) → functions, calls, entries, lifecycle reach: `lexed`, pending
//                      ▼   batches of files, each batch ONE transaction
//   2. select (main): which functions need tree-sitter (select.ts), from the lexical rows only;
//        full over the tree on a fresh index, incremental over the pending files otherwise
//                      ▼   one transaction (selection + pending flags)
//   3. parse (workers): files whose stored selection differs from the wanted one: the selected
//        functions only (reducedSource), or the whole file for module-notifier files
//                      ▼   batches, each ONE transaction
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, sep } from 'node:path';
import type { FileFacts } from '../c/types.js';
import type { DB } from '../store/db.js';
import { dropBulkIndexes, ensureBulkIndexes, IndexCache, INDEX_ROWS_VERSION, selectionKey, type FileState, type FileWrite } from '../store/index-cache.js';
import { DEFAULT_SKIP_DIRS } from './filter.js';
import { Pool } from './pool.js';
import type { ParseTask, WorkerData, WorkerResult, WorkerTask } from './protocol.js';
import { computeSelection, DbSelectionSource, loadSelectionSource } from './select.js';

export interface IndexProgress {
  /** `scan`: the lexical pass over changed files; `closure`: parsing what the selection picked. */
  phase: 'scan' | 'closure';
  /** Files answered in this phase. */
  done: number;
  total: number;
  parsed: number;
  round?: number;
}

export interface BuildOptions {
  db: DB;
  /** Files or directories (relative to the tree) to walk instead of the whole tree. */
  paths?: string[];
  /** Parse workers; default one per core (`os.availableParallelism()`). */
  workers?: number;
  onProgress?: (p: IndexProgress) => void;
  /** Directories (top level) left out of a whole-tree walk; default DEFAULT_SKIP_DIRS. */
  skipDirs?: string[];
  /** Module exporting `extractFacts` (and `FACTS_VERSION`); default src/c/facts. */
  factsModule?: string;
  /** Files per write transaction (default 200). */
  batchSize?: number;
  /** Recompute the selection over the whole tree even when an incremental step would do. */
  fullSelection?: boolean;
}

export interface IndexStats {
  tree: string;
  /** `.c` files walked. */
  seen: number;
  /** Files read by the lexical pass in this run. */
  lexed: number;
  /** Files given to tree-sitter in this run (whole or the selected functions). */
  parsed: number;
  /** Of `parsed`: only some functions were parsed (the others are lexical rows). */
  partial: number;
  /** Files whose facts were taken from an identical blob already indexed (no parse). */
  reused: number;
  /** Files skipped because their stat or blob id and the index version did not change. */
  unchanged: number;
  /** Walked files with nothing selected: lexical rows only, never parsed. */
  filtered: number;
  /** Files parsed in this run only because they define closure functions (no module entry). */
  closure: number;
  /** Breadth-first levels of the closure beyond its roots in this run's selection step. */
  closureRounds: number;
  /** `full`, `incremental` or `none`: how the selection step ran. */
  selection: 'full' | 'incremental' | 'none';
  /** Rows of files that disappeared from the walked scope. */
  removed: number;
  problems: { path: string; problem: string }[];
  /** Bytes of source text given to tree-sitter in this run. */
  parsedBytes: number;
  /** Facts stored for the files parsed in this run: JSON bytes and deflated bytes. */
  factsRawBytes: number;
  factsBytes: number;
  /** Seconds the builder's thread spent writing batches to SQLite. */
  writeSeconds: number;
  /** Wall seconds of the walk, the lexical pass, the selection step and the parse. */
  phases: { walk: number; lex: number; select: number; parse: number };
  /** CPU seconds (all threads of the process) of the same phases. */
  cpu: { walk: number; lex: number; select: number; parse: number };
  seconds: number;
}

const here = import.meta.url;
const IS_TS = here.endsWith('.ts');

function defaultFactsModule(): string {
  return new URL(IS_TS ? '../c/facts.ts' : '../c/facts.js', here).href;
}

/** The index version a build writes now: extractor version + row-derivation version. */
export async function indexVersion(factsModule = defaultFactsModule()): Promise<string> {
  const m = (await import(factsModule)) as { FACTS_VERSION?: number | string };
  return `${m.FACTS_VERSION ?? 0}.${INDEX_ROWS_VERSION}`;
}

/** Up to this many tasks run in the builder's own thread: starting workers costs more. */
const INLINE_MAX = 12;
/** More pending files than this: the selection is recomputed over the whole tree. */
const FULL_SELECTION_OVER = 3000;

// ------------------------------------------------------------------------------------- walking

export interface WalkedFile {
  rel: string;
  abs: string;
  size: number;
  mtime: number;
}

function toRel(root: string, abs: string): string {
  const r = relative(root, abs);
  return sep === '/' ? r : r.split(sep).join('/');
}

/**
 * A directory mtime this recent (ms) cannot be trusted: the file system's clock ticks coarsely, so
 * an entry created in the same tick, after the directory was stat'ed, leaves the same mtime. Such
 * a directory is recorded as -1 (changed), so the next check lists it again ("racy git" alike).
 */
export const RACY_MS = 2000;

export function dirStamp(mtimeMs: number, now = Date.now()): number {
  return now - mtimeMs < RACY_MS ? -1 : mtimeMs;
}

export function walk(
  root: string,
  paths: string[] | undefined,
  skipDirs: string[],
): { files: WalkedFile[]; scope: (rel: string) => boolean; prefixes?: string[]; dirs: [rel: string, mtime: number][] } {
  const files: WalkedFile[] = [];
  /** Every directory listed, with its mtime taken BEFORE it was listed (src/index/fresh.ts). */
  const dirs: [string, number][] = [];
  const skip = new Set(skipDirs);
  const visit = (abs: string, top: boolean) => {
    let entries;
    try {
      dirs.push([toRel(root, abs), dirStamp(statSync(abs).mtimeMs)]);
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(abs, e.name);
      if (e.isDirectory()) {
        if (top && skip.has(e.name)) continue;
        visit(p, false);
      } else if (e.isFile() && e.name.endsWith('.c')) {
        addFile(p);
      }
    }
  };
  const addFile = (abs: string) => {
    try {
      const s = statSync(abs);
      files.push({ rel: toRel(root, abs), abs, size: s.size, mtime: s.mtimeMs });
    } catch {
      /* vanished between readdir and stat */
    }
  };
  if (!paths || paths.length === 0) {
    visit(root, true);
    return { files, scope: () => true, dirs };
  }
  const prefixes: string[] = [];
  for (const p of paths) {
    const abs = join(root, p);
    const rel = toRel(root, abs);
    // Only paths inside the tree.
    if (rel.startsWith('..')) continue;
    let st;
    try {
      st = statSync(abs);
    } catch {
      // Gone: its rows (if any) are removed, as those of a file gone from a walked directory.
      if (rel.endsWith('.c')) prefixes.push(rel);
      continue;
    }
    if (st.isDirectory()) {
      prefixes.push(rel === '' ? '' : `${rel}/`);
      visit(abs, rel === '');
    } else if (rel.endsWith('.c')) {
      prefixes.push(rel);
      addFile(abs);
    }
  }
  const uniq = new Map(files.map((f) => [f.rel, f]));
  return {
    files: [...uniq.values()],
    scope: (rel) => prefixes.some((p) => p === '' || rel === p || (p.endsWith('/') && rel.startsWith(p))),
    prefixes,
    dirs,
  };
}

// ------------------------------------------------------------------------------------- building

/** Runs tasks in workers, or in this thread when there are few of them. */
class Runner {
  private pool: Pool | undefined;
  private inline: { lex: typeof import('./tasks.js').runLex; parse: import('./tasks.js').ParseRunner } | undefined;

  constructor(
    private readonly nWorkers: number,
    private readonly data: WorkerData,
  ) {}

  async run(tasks: WorkerTask[], onResult: (t: WorkerTask, r: WorkerResult) => void): Promise<void> {
    if (!tasks.length) return;
    if (!this.pool && tasks.length <= INLINE_MAX) {
      if (!this.inline) {
        const [{ runLex, ParseRunner }, { extractFacts }] = await Promise.all([
          import('./tasks.js'),
          import(this.data.factsModule) as Promise<{ extractFacts: (p: string, s: string) => FileFacts }>,
        ]);
        this.inline = { lex: runLex, parse: new ParseRunner(extractFacts, this.data) };
      }
      for (const t of tasks) onResult(t, t.kind === 'lex' ? this.inline.lex(t) : this.inline.parse.run(t));
      return;
    }
    this.pool ??= new Pool(Math.max(1, Math.min(this.nWorkers, tasks.length)), this.data);
    await this.pool.run(tasks, onResult);
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }
}

function emptyStats(tree: string): IndexStats {
  return {
    tree,
    seen: 0,
    lexed: 0,
    parsed: 0,
    partial: 0,
    reused: 0,
    unchanged: 0,
    filtered: 0,
    closure: 0,
    closureRounds: 0,
    selection: 'none',
    removed: 0,
    problems: [],
    parsedBytes: 0,
    factsRawBytes: 0,
    factsBytes: 0,
    writeSeconds: 0,
    phases: { walk: 0, lex: 0, select: 0, parse: 0 },
    cpu: { walk: 0, lex: 0, select: 0, parse: 0 },
    seconds: 0,
  };
}

const asBuffer = (u8: Uint8Array) => (Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength));

/** What a directory snapshot depends on besides the directories: the index version and the skipped top-level directories. */
export function snapshotKey(version: string, skipDirs: readonly string[]): string {
  return `${version}|${[...skipDirs].sort().join(',')}`;
}

export async function buildIndex(tree: string, opts: BuildOptions): Promise<IndexStats> {
  const t0 = performance.now();
  const startedAt = Date.now();
  const cpu0 = process.cpuUsage();
  const root = realpathSync(tree);
  const factsModule = opts.factsModule ?? defaultFactsModule();
  const version = await indexVersion(factsModule);
  const cache = new IndexCache(opts.db, root, version);
  const batchSize = opts.batchSize ?? 200;
  const stats = emptyStats(root);

  const wasClean = cache.isClean();
  const skipDirs = opts.skipDirs ?? DEFAULT_SKIP_DIRS;
  const { files, scope, prefixes, dirs } = walk(root, opts.paths, skipDirs);
  const states = cache.fileStates(prefixes);
  stats.seen = files.length;
  let tPhase = t0;
  let cPhase = cpu0;
  const phase = (k: keyof IndexStats['phases']) => {
    const now = performance.now();
    const c = process.cpuUsage();
    stats.phases[k] = (now - tPhase) / 1000;
    stats.cpu[k] = (c.user + c.system - cPhase.user - cPhase.system) / 1e6;
    tPhase = now;
    cPhase = c;
  };

  // Files gone from the walked scope lose their rows.
  const present = new Set(files.map((f) => f.rel));
  const gone = [...states.values()].filter((s) => scope(s.path) && !present.has(s.path)).map((s) => s.id);
  if (gone.length > 0) {
    cache.setClean(false);
    cache.removeFiles(gone);
  }
  stats.removed = gone.length;

  phase('walk');
  const dbPath = opts.db.name;
  const runner = new Runner(opts.workers ?? availableParallelism(), { factsModule, version, dbPath: dbPath === ':memory:' ? undefined : dbPath });

  let pending: FileWrite[] = [];
  let pendingRows = 0;
  // A first build of this tree bulk-loads: the big tables' indexes are built once at the end of
  // the lexical pass (see index-cache.ts).
  let fresh = !prefixes && states.size === 0 && files.length > 2000;
  if (fresh) dropBulkIndexes(opts.db);
  const flush = () => {
    if (pending.length === 0) return;
    const tw = performance.now();
    cache.writeBatch(pending, fresh);
    stats.writeSeconds += (performance.now() - tw) / 1000;
    pending = [];
    pendingRows = 0;
  };
  const push = (w: FileWrite, rows: number) => {
    pending.push(w);
    pendingRows += rows;
    if (pending.length >= batchSize || pendingRows >= 100_000) flush();
  };

  try {
    // 1. The lexical pass over new and changed files.
    const byId = new Map<number, WalkedFile>();
    const lexTasks: WorkerTask[] = [];
    files.sort((a, b) => a.size - b.size);
    for (const f of files) {
      const s: FileState | undefined = states.get(f.rel);
      const sameVersion = s !== undefined && s.version === version;
      if (sameVersion && s.size === f.size && s.mtime === f.mtime) {
        stats.unchanged++;
        if (s.problem) stats.problems.push({ path: f.rel, problem: s.problem });
        continue;
      }
      const id = lexTasks.length;
      byId.set(id, f);
      lexTasks.push({ kind: 'lex', id, abs: f.abs, rel: f.rel, knownHash: sameVersion && !s.problem ? s.hash : null });
    }
    if (lexTasks.length) cache.setClean(false);
    const writtenPaths: string[] = [];
    let done = 0;
    opts.onProgress?.({ phase: 'scan', done: 0, total: lexTasks.length, parsed: 0 });
    await runner.run(lexTasks, (t, r) => {
      const f = byId.get(t.id)!;
      const base = { path: f.rel, size: f.size, mtime: f.mtime };
      if (r.kind === 'unchanged') {
        stats.unchanged++;
        push({ kind: 'touch', ...base }, 1);
      } else if (r.kind === 'problem') {
        stats.problems.push({ path: f.rel, problem: r.problem });
        push({ kind: 'problem', ...base, hash: r.hash, problem: r.problem }, 1);
        writtenPaths.push(f.rel);
      } else if (r.kind === 'lexed') {
        stats.lexed++;
        push({ kind: 'lexed', ...base, hash: r.hash, rows: r.rows }, r.rows.functions.length + r.rows.calls.line.length);
      }
      done++;
      opts.onProgress?.({ phase: 'scan', done, total: lexTasks.length, parsed: 0 });
    });
    flush();
    if (fresh) {
      ensureBulkIndexes(opts.db);
      fresh = false;
    }
    // Files that now have a problem (their old rows are gone): a parse check is not needed for
    // them, but a lexed file is pending and so comes back through the selection step.
    const written = new Set<number>();
    if (writtenPaths.length) for (const s of cache.fileStates(writtenPaths).values()) written.add(s.id);
    phase('lex');

    // 2. The selection step.
    const pendingIds = cache.pendingFiles();
    let selFiles: number[] = [];
    if (pendingIds.length) {
      cache.setClean(false);
      const full = opts.fullSelection || !cache.hasSelection() || pendingIds.length > FULL_SELECTION_OVER;
      const all = full ? [...cache.fileStates().values()].map((s) => s.id) : pendingIds;
      const r = computeSelection(full ? loadSelectionSource(opts.db, cache.treeId) : new DbSelectionSource(opts.db, cache.treeId), all);
      cache.writeSelection(r.sel, r.wants, full ? { replace: true } : { replace: false, files: pendingIds });
      stats.selection = full ? 'full' : 'incremental';
      stats.closureRounds = r.rounds;
      selFiles = full ? all : [...new Set([...pendingIds, ...r.sel.map((x) => x.file)])];
    }
    phase('select');

    // 3. Parse the files whose stored rows were parsed with another selection: after a clean
    // build, only those this run read or whose selection it changed; else (a build was cut short)
    // every file of the tree.
    const byFile = wasClean ? cache.fileStatesById(new Set([...selFiles, ...written])) : new Map([...cache.fileStates().values()].map((s) => [s.id, s]));
    const wanted = wasClean ? cache.selectionOf(byFile.keys()) : cache.selection();
    const fnsOf = opts.db.prepare('SELECT name, start, stop, exported FROM idx_functions WHERE file = ?');
    const entriesOf = opts.db.prepare('SELECT kind, fn, macro, line, driver FROM idx_modentries WHERE file = ?').raw();
    const known = (s: FileState, keep: string[]): NonNullable<ParseTask['known']> => {
      const names = new Set(keep);
      const fns = fnsOf.all(s.id) as { name: string; start: number; stop: number; exported: number }[];
      return {
        ranges: fns.filter((f) => names.has(f.name)).map((f) => [f.start, f.stop]),
        entries: entriesOf.all(s.id) as [string, string, string, number, string | null][],
        exports: fns.filter((f) => f.exported).map((f) => f.name),
        modular: s.modular === 1,
      };
    };
    const parseTasks: ParseTask[] = [];
    const reasons = new Map<number, string | null>();
    const pById = new Map<number, FileState>();
    for (const s of byFile.values()) {
      if (s.problem || !s.hash) continue;
      const sel = wanted.get(s.id);
      const keep: string[] | '*' = s.notifier ? '*' : [...(sel?.keys() ?? [])];
      const key = selectionKey(keep);
      if (key === s.selKey) continue;
      const why = sel ? new Set(sel.values()) : new Set<string>();
      reasons.set(s.id, s.notifier ? 'notifier' : why.has('init') ? 'module' : key ? 'closure' : null);
      pById.set(s.id, s);
      const task: ParseTask = { kind: 'parse', id: s.id, abs: join(root, s.path), rel: s.path, hash: s.hash, keep, selKey: key };
      if (keep !== '*' && keep.length) task.known = known(s, keep);
      parseTasks.push(task);
    }
    parseTasks.sort((a, b) => pById.get(a.id)!.size - pById.get(b.id)!.size);
    let pdone = 0;
    let pparsed = 0;
    opts.onProgress?.({ phase: 'closure', done: 0, total: parseTasks.length, parsed: 0, round: 1 });
    await runner.run(parseTasks, (t, r) => {
      const s = pById.get(t.id)!;
      const task = t as ParseTask;
      if (r.kind === 'problem') {
        stats.problems.push({ path: s.path, problem: r.problem });
        push({ kind: 'problem', path: s.path, size: s.size, mtime: s.mtime, hash: null, problem: r.problem }, 1);
      } else if (r.kind === 'stale') {
        // Changed since the lexical pass: forget its stat so the next run reads it again.
        push({ kind: 'touch', path: s.path, size: -1, mtime: -1 }, 1);
      } else if (r.kind === 'parsed') {
        const reason = reasons.get(t.id) ?? null;
        if (r.facts) {
          if (r.reused) stats.reused++;
          else stats.parsed++;
          if (!r.facts.complete) stats.partial++;
          if (reason === 'closure') stats.closure++;
          pparsed++;
          stats.parsedBytes += r.parsedBytes;
          stats.factsRawBytes += r.facts.raw;
          stats.factsBytes += r.facts.z.byteLength;
        }
        push(
          {
            kind: 'parsed',
            path: s.path,
            hash: r.hash,
            selKey: task.selKey,
            parsedNames: r.parsedNames,
            reason: r.facts ? reason : null,
            calls: r.calls,
            rows: r.rows,
            extraFunctions: r.extraFunctions,
            ...(r.facts ? { facts: { z: asBuffer(r.facts.z), raw: r.facts.raw, complete: r.facts.complete } } : {}),
          },
          r.calls.line.length + r.rows.props.length + r.rows.structs.length,
        );
      }
      pdone++;
      opts.onProgress?.({ phase: 'closure', done: pdone, total: parseTasks.length, parsed: pparsed, round: 1 });
    });
    flush();
    cache.setClean(true);
    // A whole-tree walk that ran to its end: its directories are the snapshot a review checks
    // instead of walking again (src/index/fresh.ts).
    if (!prefixes) cache.writeDirs(dirs, { full: true, key: snapshotKey(version, skipDirs), at: startedAt });
    stats.filtered = cache.countUnparsed(prefixes);
    phase('parse');
  } finally {
    // Whatever was answered is kept (each batch is its own transaction).
    try {
      flush();
    } finally {
      if (fresh) ensureBulkIndexes(opts.db);
      await runner.close();
    }
  }
  stats.seconds = (performance.now() - t0) / 1000;
  return stats;
}
