// Build (or refresh) the tree index of a kernel tree into the SQLite store.
//
//   walk .c files ─ stat unchanged? ─ yes → skip (not even read)
//                      │ no
//                      ▼
//   worker: read, git blob id ─ same blob? → touch (new stat only)
//           invalid UTF-8 / unreadable → problem (reported, skipped)
//           lexical filter (filter.ts) ─ no → `seen` row with candidate definitions
//           same blob parsed before (any path/tree)? → reuse its facts
//           else extractFacts → rows + deflated facts
//                      ▼
//   main: batches of files, each batch ONE transaction (a kill mid-batch keeps the old state)
//                      ▼
//   closure rounds: names reachable from init functions through propagation edges, defined
//   (non-static) by a file the filter left out → parse those files too, until a fixpoint.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, sep } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { DB } from '../store/db.js';
import { IndexCache, INDEX_ROWS_VERSION, type FileState, type FileWrite } from '../store/index-cache.js';
import { DEFAULT_SKIP_DIRS } from './filter.js';
import type { WorkerData, WorkerResult, WorkerTask } from './protocol.js';

export interface IndexProgress {
  phase: 'scan' | 'closure';
  /** Files answered by the workers in this phase (the stat-unchanged ones are counted at once). */
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
  /** Files per write transaction (default 100). */
  batchSize?: number;
}

export interface IndexStats {
  tree: string;
  /** `.c` files walked. */
  seen: number;
  /** Files parsed by tree-sitter in this run (stage 1 and closure). */
  parsed: number;
  /** Files whose facts were taken from an identical blob already indexed (no parse). */
  reused: number;
  /** Files skipped because their stat or blob id and the extractor version did not change. */
  unchanged: number;
  /** Files read and left out by the lexical filter in this run. */
  filtered: number;
  /** Files parsed by the closure step (included in `parsed`/`reused`). */
  closure: number;
  closureRounds: number;
  /** Rows of files that disappeared from the walked scope. */
  removed: number;
  problems: { path: string; problem: string }[];
  /** Facts stored for the files (re)indexed in this run: JSON bytes and deflated bytes. */
  factsRawBytes: number;
  factsBytes: number;
  seconds: number;
}

const here = import.meta.url;
const IS_TS = here.endsWith('.ts');

function defaultFactsModule(): string {
  return new URL(IS_TS ? '../c/facts.ts' : '../c/facts.js', here).href;
}

/** The facts version an index written now carries: extractor version + row-derivation version. */
export async function indexVersion(factsModule = defaultFactsModule()): Promise<string> {
  const m = (await import(factsModule)) as { FACTS_VERSION?: number | string };
  return `${m.FACTS_VERSION ?? 0}.${INDEX_ROWS_VERSION}`;
}

// ------------------------------------------------------------------------------------- walking

interface WalkedFile {
  rel: string;
  abs: string;
  size: number;
  mtime: number;
}

function toRel(root: string, abs: string): string {
  const r = relative(root, abs);
  return sep === '/' ? r : r.split(sep).join('/');
}

function walk(root: string, paths: string[] | undefined, skipDirs: string[]): { files: WalkedFile[]; scope: (rel: string) => boolean } {
  const files: WalkedFile[] = [];
  const skip = new Set(skipDirs);
  const visit = (abs: string, top: boolean) => {
    let entries;
    try {
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
    return { files, scope: () => true };
  }
  const prefixes: string[] = [];
  for (const p of paths) {
    const abs = join(root, p);
    const rel = toRel(root, abs);
    let st;
    try {
      st = statSync(abs);
    } catch {
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
  };
}

// ---------------------------------------------------------------------------------- the workers

class Pool {
  private readonly workers: { w: Worker; inflight: Map<number, WorkerTask>; ready: Promise<void> }[] = [];
  private queue: WorkerTask[] = [];
  private onResult: (t: WorkerTask, r: WorkerResult) => void = () => {};
  private remaining = 0;
  private finish: (() => void) | undefined;
  private fail: ((e: Error) => void) | undefined;
  private static readonly DEPTH = 2;

  constructor(
    private readonly size: number,
    private readonly data: WorkerData,
  ) {
    for (let i = 0; i < size; i++) this.spawn();
  }

  private spawn(): void {
    const url = new URL(IS_TS ? './worker.ts' : './worker.js', here);
    // Under vitest/tsx the worker is TypeScript and needs tsx in its thread. On Node 20
    // `execArgv: ['--import', 'tsx']` does not apply to a worker's entry module (it fails with
    // ERR_UNKNOWN_FILE_EXTENSION), so a tiny eval'd bootstrap registers tsx's ESM hooks in the
    // thread, then imports the worker. (V8 flags such as --expose-gc are refused in a worker's
    // execArgv too; the worker enables gc itself, see worker.ts.)
    const w = IS_TS
      ? new Worker(
          `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`,
          { eval: true, workerData: this.data },
        )
      : new Worker(url, { workerData: this.data });
    const slot = { w, inflight: new Map<number, WorkerTask>(), ready: Promise.resolve() };
    let resolveReady!: () => void;
    let rejectReady!: (e: Error) => void;
    slot.ready = new Promise<void>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    let isReady = false;
    w.on('message', (m: WorkerResult | { kind: 'ready' }) => {
      if (m.kind === 'ready') {
        isReady = true;
        resolveReady();
        this.pump();
        return;
      }
      const t = slot.inflight.get(m.id);
      slot.inflight.delete(m.id);
      if (t) this.deliver(t, m);
      this.pump();
    });
    const crashed = (err: Error) => {
      const i = this.workers.indexOf(slot);
      if (i < 0) return;
      this.workers.splice(i, 1);
      if (!isReady) {
        // The worker could not even start (module load failure): not a per-file problem.
        rejectReady(err);
        this.fail?.(err);
        return;
      }
      // Its in-flight files are reported, never retried: they may be what crashed it.
      for (const t of slot.inflight.values()) this.deliver(t, { kind: 'problem', id: t.id, hash: null, problem: `worker crashed: ${err.message}` });
      slot.inflight.clear();
      this.spawn();
      this.pump();
    };
    w.on('error', crashed);
    w.on('exit', (code) => crashed(new Error(`worker exited with code ${code}`)));
    this.workers.push(slot);
  }

  private deliver(t: WorkerTask, r: WorkerResult): void {
    this.onResult(t, r);
    this.remaining--;
    if (this.remaining === 0) this.finish?.();
  }

  private pump(): void {
    for (const s of this.workers) {
      while (s.inflight.size < Pool.DEPTH && this.queue.length > 0) {
        const t = this.queue.pop()!;
        s.inflight.set(t.id, t);
        s.w.postMessage(t);
      }
    }
  }

  /** Run tasks; resolves when every task has a result. */
  run(tasks: WorkerTask[], onResult: (t: WorkerTask, r: WorkerResult) => void): Promise<void> {
    if (tasks.length === 0) return Promise.resolve();
    this.onResult = onResult;
    this.remaining = tasks.length;
    // Tasks come sorted by size; popping from the end starts the biggest files first, so a long
    // file started last does not leave the other workers idle at the end.
    this.queue = tasks.slice();
    return new Promise<void>((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
      this.pump();
    });
  }

  async close(): Promise<void> {
    const ws = this.workers.splice(0);
    await Promise.all(ws.map((s) => s.w.terminate()));
  }
}

// ------------------------------------------------------------------------------------- building

/** Names reachable from init functions through propagation edges (by name: a superset). */
function reachableFromInits(cache: IndexCache): Set<string> {
  const down = new Map<string, string[]>();
  for (const { caller, callee } of cache.propagationPairs()) {
    let l = down.get(caller);
    if (!l) down.set(caller, (l = []));
    l.push(callee);
  }
  const seen = new Set<string>(cache.initFunctionNames());
  const stack = [...seen];
  while (stack.length > 0) {
    for (const c of down.get(stack.pop()!) ?? []) {
      if (!seen.has(c)) {
        seen.add(c);
        stack.push(c);
      }
    }
  }
  return seen;
}

export async function buildIndex(tree: string, opts: BuildOptions): Promise<IndexStats> {
  const t0 = performance.now();
  const root = realpathSync(tree);
  const factsModule = opts.factsModule ?? defaultFactsModule();
  const version = await indexVersion(factsModule);
  const cache = new IndexCache(opts.db, root, version);
  const batchSize = opts.batchSize ?? 100;
  const stats: IndexStats = {
    tree: root,
    seen: 0,
    parsed: 0,
    reused: 0,
    unchanged: 0,
    filtered: 0,
    closure: 0,
    closureRounds: 0,
    removed: 0,
    problems: [],
    factsRawBytes: 0,
    factsBytes: 0,
    seconds: 0,
  };

  const states = cache.fileStates();
  const { files, scope } = walk(root, opts.paths, opts.skipDirs ?? DEFAULT_SKIP_DIRS);
  stats.seen = files.length;

  // Files gone from the walked scope lose their rows.
  const present = new Set(files.map((f) => f.rel));
  const gone = [...states.values()].filter((s) => scope(s.path) && !present.has(s.path)).map((s) => s.id);
  if (gone.length > 0) cache.removeFiles(gone);
  stats.removed = gone.length;

  const byId = new Map<number, WalkedFile>();
  const tasks: WorkerTask[] = [];
  files.sort((a, b) => a.size - b.size);
  for (const f of files) {
    const s: FileState | undefined = states.get(f.rel);
    const sameVersion = s !== undefined && s.version === version;
    if (sameVersion && s.size === f.size && s.mtime === f.mtime) {
      stats.unchanged++;
      if (s.problem) stats.problems.push({ path: f.rel, problem: s.problem });
      continue;
    }
    const id = tasks.length;
    byId.set(id, f);
    tasks.push({
      id,
      abs: f.abs,
      rel: f.rel,
      knownHash: sameVersion && !s.problem ? s.hash : null,
      // A file the closure pulled in stays in: parse it again when it changes.
      force: sameVersion && s.indexed === 1 && s.reason === 'closure' ? 'closure' : undefined,
    });
  }

  const dbPath = opts.db.name;
  const nWorkers = Math.max(1, Math.min(opts.workers ?? availableParallelism(), Math.max(1, tasks.length)));
  let pool: Pool | undefined;
  const getPool = () => (pool ??= new Pool(nWorkers, { factsModule, version, dbPath: dbPath === ':memory:' ? undefined : dbPath }));

  let pending: FileWrite[] = [];
  let pendingRows = 0;
  const flush = () => {
    if (pending.length === 0) return;
    cache.writeBatch(pending);
    pending = [];
    pendingRows = 0;
  };
  const push = (w: FileWrite, rows: number) => {
    pending.push(w);
    pendingRows += rows;
    if (pending.length >= batchSize || pendingRows >= 200_000) flush();
  };

  const filteredNow = new Set<string>();
  const handle = (file: WalkedFile, r: WorkerResult, phase: 'scan' | 'closure') => {
    const base = { path: file.rel, size: file.size, mtime: file.mtime };
    switch (r.kind) {
      case 'unchanged':
        stats.unchanged++;
        push({ kind: 'touch', ...base }, 1);
        break;
      case 'problem':
        stats.problems.push({ path: file.rel, problem: r.problem });
        // Recorded with an empty hash so the next run looks at it again only if it changes.
        push({ kind: 'seen', ...base, hash: r.hash, defs: '', problem: r.problem }, 1);
        break;
      case 'seen':
        filteredNow.add(file.rel);
        push({ kind: 'seen', ...base, hash: r.hash, defs: r.defs }, 1);
        break;
      case 'indexed': {
        if (r.reused) stats.reused++;
        else stats.parsed++;
        if (phase === 'closure' || r.reason === 'closure') stats.closure++;
        filteredNow.delete(file.rel);
        // Structured clone turns a Buffer into a plain Uint8Array.
        const u8 = r.z as Uint8Array;
        const z = Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
        stats.factsRawBytes += r.raw;
        stats.factsBytes += z.length;
        const n = r.rows.functions.length + r.rows.calls.length + r.rows.props.length + r.rows.errno.length + r.rows.structs.length;
        push({ kind: 'indexed', ...base, hash: r.hash, reason: r.reason, rows: r.rows, z, raw: r.raw }, n);
        break;
      }
    }
  };

  try {
    let done = 0;
    let parsedNow = 0;
    const total = tasks.length;
    opts.onProgress?.({ phase: 'scan', done: 0, total, parsed: 0 });
    await getPool().run(tasks, (t, r) => {
      handle(byId.get(t.id)!, r, 'scan');
      done++;
      if (r.kind === 'indexed') parsedNow++;
      opts.onProgress?.({ phase: 'scan', done, total, parsed: parsedNow });
    });
    flush();

    // Closure rounds.
    for (let round = 1; ; round++) {
      const reach = reachableFromInits(cache);
      const fresh = cache.fileStates();
      const ctasks: WorkerTask[] = [];
      const cById = new Map<number, WalkedFile>();
      for (const s of fresh.values()) {
        if (s.indexed || s.problem || !s.defs) continue;
        if (!s.defs.split(' ').some((d) => reach.has(d))) continue;
        const id = ctasks.length;
        const f: WalkedFile = { rel: s.path, abs: join(root, s.path), size: s.size, mtime: s.mtime };
        cById.set(id, f);
        ctasks.push({ id, abs: f.abs, rel: f.rel, knownHash: null, force: 'closure' });
      }
      if (ctasks.length === 0) break;
      ctasks.sort((a, b) => cById.get(a.id)!.size - cById.get(b.id)!.size);
      stats.closureRounds = round;
      let cdone = 0;
      let cparsed = 0;
      opts.onProgress?.({ phase: 'closure', done: 0, total: ctasks.length, parsed: 0, round });
      await getPool().run(ctasks, (t, r) => {
        const f = cById.get(t.id)!;
        if (r.kind === 'indexed') cparsed++;
        if (r.kind === 'unchanged') r = { kind: 'problem', id: r.id, hash: r.hash, problem: 'closure: unexpected unchanged' };
        handle(f, r, 'closure');
        cdone++;
        opts.onProgress?.({ phase: 'closure', done: cdone, total: ctasks.length, parsed: cparsed, round });
      });
      flush();
    }
  } finally {
    // Whatever was answered is kept (each batch is its own transaction).
    try {
      flush();
    } finally {
      await pool?.close();
    }
  }
  stats.filtered = filteredNow.size;
  stats.seconds = (performance.now() - t0) / 1000;
  return stats;
}
