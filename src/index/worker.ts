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
let runner: Promise<ParseRunner> | undefined;
let lastGc = 0;

/** tree-sitter is loaded only by workers that get a parse task. */
function parser(): Promise<ParseRunner> {
  runner ??= (async () => {
    const { extractFacts } = (await import(data.factsModule)) as { extractFacts: (p: string, s: string) => FileFacts };
    return new ParseRunner(extractFacts, data);
  })();
  return runner;
}

if (data.taskModule) {
  // Another kind of task (scan): the module's runner answers each message; GC as for parses.
  const m = (await import(data.taskModule)) as TaskModule;
  const r = await m.createTaskRunner(data.taskData);
  let n = 0;
  parentPort!.on('message', (t: { id: number }) => {
    let out: { id: number; kind: string };
    try {
      out = r.run(t);
    } catch (e) {
      out = { kind: 'problem', id: t.id, problem: `failed: ${e instanceof Error ? e.message : String(e)}` } as { id: number; kind: string };
    }
    parentPort!.postMessage(out);
    if (++n % GC_EVERY === 0 && gc) gc({ type: 'minor' });
  });
} else {
  parentPort!.on('message', (t: WorkerTask) => {
    if (t.kind === 'lex') {
      parentPort!.postMessage(runLex(t));
      return;
    }
    void parser().then((r) => {
      parentPort!.postMessage(r.run(t));
      if (r.parses - lastGc >= GC_EVERY && gc) {
        lastGc = r.parses;
        // Between messages the tree wrappers of finished files are unreachable: collect them now.
        gc({ type: 'minor' });
      }
    });
  });
}
parentPort!.postMessage({ kind: 'ready' });
