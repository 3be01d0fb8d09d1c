// Parse worker of the tree index: reads, hashes, pre-filters and parses one file per task and
// answers with plain rows (no tree-sitter object crosses the thread boundary, and none outlives
// its file: facts are extracted, the tree is dropped, and a minor GC runs every GC_EVERY files
// so the native trees behind collected wrappers are actually freed; see kernel-tree.md).
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { FileFacts } from '../c/types.js';
import { compressFacts, decompressFacts, deriveRows } from '../store/index-cache.js';
import { candidateDefs, lifecycleReason } from './filter.js';
import type { WorkerData, WorkerResult, WorkerTask } from './protocol.js';

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
const utf8 = new TextDecoder('utf-8', { fatal: true });
const { extractFacts } = (await import(data.factsModule)) as { extractFacts: (p: string, s: string) => FileFacts };
let reuseStmt: Database.Statement | undefined;
if (data.dbPath && data.dbPath !== ':memory:') {
  try {
    const rdb = new Database(data.dbPath, { readonly: true, fileMustExist: true });
    rdb.pragma('busy_timeout = 5000');
    reuseStmt = rdb.prepare(
      `SELECT x.z FROM idx_files f JOIN idx_facts x ON x.file = f.id WHERE f.hash = ? AND f.version = ? AND f.indexed = 1 LIMIT 1`,
    );
  } catch {
    reuseStmt = undefined;
  }
}

let parsedSinceGc = 0;

function blobId(buf: Buffer): string {
  return createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex');
}

function run(t: WorkerTask): WorkerResult {
  let buf: Buffer;
  try {
    buf = readFileSync(t.abs);
  } catch (e) {
    return { kind: 'problem', id: t.id, hash: null, problem: `unreadable: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  }
  const hash = blobId(buf);
  if (t.knownHash === hash) return { kind: 'unchanged', id: t.id, hash };
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    return { kind: 'problem', id: t.id, hash, problem: 'invalid UTF-8' };
  }
  const reason = t.force ?? lifecycleReason(text);
  if (!reason) return { kind: 'seen', id: t.id, hash, defs: candidateDefs(text).join(' ') };

  // Same blob already parsed under this extractor version (another path or tree): reuse.
  const old = reuseStmt?.get(hash, data.version) as { z: Buffer } | undefined;
  if (old) {
    const facts = { ...decompressFacts(old.z), path: t.rel };
    const { raw, z } = compressFacts(facts);
    return { kind: 'indexed', id: t.id, hash, reason, rows: deriveRows(facts), z, raw, reused: true };
  }
  let facts: FileFacts;
  try {
    facts = extractFacts(t.rel, text);
  } catch (e) {
    return { kind: 'problem', id: t.id, hash, problem: `extractor failed: ${e instanceof Error ? e.message : String(e)}` };
  }
  parsedSinceGc++;
  const { raw, z } = compressFacts(facts);
  const rows = deriveRows(facts);
  return { kind: 'indexed', id: t.id, hash, reason, rows, z, raw, reused: false };
}

parentPort!.on('message', (t: WorkerTask) => {
  parentPort!.postMessage(run(t));
  if (parsedSinceGc >= GC_EVERY && gc) {
    parsedSinceGc = 0;
    // Between messages the tree wrappers of finished files are unreachable: collect them now.
    gc({ type: 'minor' });
  }
});
parentPort!.postMessage({ kind: 'ready' });
