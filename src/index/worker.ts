// Worker thread of the tree index: runs lex and parse tasks (tasks.ts) one message at a time and
// answers with plain rows. A minor GC runs every GC_EVERY parses, between messages, so the native
// trees behind collected tree-sitter wrappers are actually freed (see kernel-tree.md).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import type { FileFacts } from '../c/types.js';
import type { TaskModule, WorkerData, WorkerTask } from './protocol.js';
import { ParseRunner, runLex } from './tasks.js';

const GC_EVERY = 20;
/**
 * A full collection every so many tasks as well: wrappers that survived a scavenge (a task that
 * allocates a lot promotes them) sit in the old generation, which V8 sizes by the JS heap alone
 * and so would let the native trees behind them pile up.
 */
const MAJOR_GC_EVERY = 200;

/**
 * Worker execArgv refuses V8 flags (`--expose-gc` throws ERR_WORKER_INVALID_EXEC_ARGV), so the
 * flag is set at run time and `gc` taken from a fresh context, where V8 installs it.
 */
function getGc(): ((opts?: { type: 'minor' | 'major' }) => void) | undefined {
  const g = (globalThis as { gc?: (o?: unknown) => void }).gc;
  if (g) return g;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as (o?: unknown) => void;
  } catch {
    return undefined;
  }
}

const data = workerData as WorkerData;
const gc = getGc();

/**
 * Tasks are queued here and run one by one, yielding to the event loop after each collection:
 * the pool keeps several messages in flight, and Node delivers queued messages back to back, so
 * without the yield the finalisers that free the native trees of collected wrappers would not
 * run until the queue ran dry (measured: a scan worker grew past 3 GB).
 */
function serve(run: (t: { id: number; kind?: string }) => unknown | Promise<unknown>, parses: (t: { kind?: string }) => boolean): void {
  const queue: { id: number; kind?: string }[] = [];
  let running = false;
  let n = 0;
  const drain = async () => {
    if (running) return;
    running = true;
    while (queue.length) {
      const t = queue.shift()!;
      let out: unknown;
      try {
        out = await run(t);
      } catch (e) {
        out = { kind: 'problem', id: t.id, hash: null, problem: `failed: ${e instanceof Error ? e.message : String(e)}` };
      }
      parentPort!.postMessage(out);
      if (!parses(t) || !gc || ++n % GC_EVERY !== 0) continue;
      gc({ type: n % MAJOR_GC_EVERY === 0 ? 'major' : 'minor' });
      await new Promise((r) => setImmediate(r));
    }
    running = false;
  };
  parentPort!.on('message', (t: { id: number; kind?: string }) => {
    queue.push(t);
    void drain();
  });
}

if (data.taskModule) {
  // Another kind of task (scan): the module's runner answers each message.
  const m = (await import(data.taskModule)) as TaskModule;
  const r = await m.createTaskRunner(data.taskData);
  serve((t) => r.run(t), () => true);
} else {
  let runner: Promise<ParseRunner> | undefined;
  /** tree-sitter is loaded only by workers that get a parse task. */
  const parser = (): Promise<ParseRunner> =>
    (runner ??= (async () => {
      const { extractFacts } = (await import(data.factsModule)) as { extractFacts: (p: string, s: string) => FileFacts };
      return new ParseRunner(extractFacts, data);
    })());
  serve(
    (t) => {
      const task = t as WorkerTask;
      return task.kind === 'lex' ? runLex(task) : parser().then((p) => p.run(task));
    },
    (t) => t.kind === 'parse',
  );
}
parentPort!.postMessage({ kind: 'ready' });
