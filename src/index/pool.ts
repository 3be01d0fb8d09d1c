// The worker pool of the index build (and of `modreview scan`, which runs its own task module in
// the same worker entry: see worker.ts).
import { Worker } from 'node:worker_threads';
import type { WorkerData, WorkerResult, WorkerTask } from './protocol.js';

const here = import.meta.url;
const IS_TS = here.endsWith('.ts');


/**
 * A pool of worker threads (one per core by default) running tasks that each answer with one
 * result message. Each task is in flight on one worker at a time; a worker that dies reports its
 * in-flight tasks as problems (never retried: they may be what crashed it) and is replaced.
 */
export class Pool<T extends { id: number } = WorkerTask, R extends { id: number; kind: string } = WorkerResult> {
  private readonly workers: { w: Worker; inflight: Map<number, T>; ready: Promise<void> }[] = [];
  private queue: T[] = [];
  private onResult: (t: T, r: R) => void = () => {};
  private remaining = 0;
  private finish: (() => void) | undefined;
  private fail: ((e: Error) => void) | undefined;
  private static readonly DEPTH = 32;

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
    const slot = { w, inflight: new Map<number, T>(), ready: Promise.resolve() };
    let resolveReady!: () => void;
    let rejectReady!: (e: Error) => void;
    slot.ready = new Promise<void>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    let isReady = false;
    w.on('message', (m: R | { kind: 'ready' }) => {
      if (m.kind === 'ready') {
        isReady = true;
        resolveReady();
        this.pump();
        return;
      }
      const r = m as R;
      const t = slot.inflight.get(r.id);
      slot.inflight.delete(r.id);
      if (t) this.deliver(t, r);
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
      for (const t of slot.inflight.values()) this.deliver(t, { kind: 'problem', id: t.id, hash: null, problem: `worker crashed: ${err.message}` } as unknown as R);
      slot.inflight.clear();
      this.spawn();
      this.pump();
    };
    w.on('error', crashed);
    w.on('exit', (code) => crashed(new Error(`worker exited with code ${code}`)));
    this.workers.push(slot);
  }

  private deliver(t: T, r: R): void {
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
  run(tasks: T[], onResult: (t: T, r: R) => void): Promise<void> {
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

