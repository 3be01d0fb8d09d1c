// The per-file work of the index build, run in worker threads (worker.ts) or, for a handful of
// files, in the builder's own thread: read, hash, lexical pass; or parse the selected functions.
// No tree-sitter object leaves a task: facts are extracted and the tree dropped with the text.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import type { FileFacts } from '../c/types.js';
import { compressFacts, decompressFacts, deriveRows, packCalls, type FileRows, type LexRows } from '../store/index-cache.js';
import { lexFile, lifecycleReach, reducedFromRanges, reducedSource, type LexFile } from './lexical.js';
import type { LexTask, ParseTask, WorkerData, WorkerResult } from './protocol.js';

type Extract = (path: string, source: string) => FileFacts;

export function blobId(buf: Buffer): string {
  return createHash('sha1').update(`blob ${buf.length}\0`).update(buf).digest('hex');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function read(abs: string): Buffer | string {
  try {
    return readFileSync(abs);
  } catch (e) {
    return `unreadable: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  }
}

/** The lexical rows of a file (what the index holds for every file). */
export function lexRows(lex: LexFile): LexRows {
  const exported = new Set(lex.exports);
  const life = lifecycleReach(lex);
  return {
    functions: lex.functions.map((f) => [f.name, f.line, f.endLine, f.isStatic ? 1 : 0, f.section, exported.has(f.name) ? 1 : 0, f.cands.join(' '), f.start, f.end]),
    calls: packCalls(lexCalls(lex)),
    entries: lex.entries.map((e) => [e.kind, e.fn, e.macro, e.line, e.driver ?? null]),
    initData: lex.initData.map((d) => [d.name, d.line, d.isStatic ? 1 : 0]),
    notifier: lex.notifier,
    modular: lex.modular,
    lifeLocal: life.local.join(' '),
    lifeRemote: life.remote.join(' '),
  };
}

/** Capitals only: a macro by kernel convention (BUG_ON, ARRAY_SIZE, WARN_ON_ONCE). */
const MACRO_NAME = /^[A-Z_][A-Z0-9_]*$/;

/**
 * Lexical call rows of a file's functions (all but `skip`), for callersOf() over the whole tree.
 * Left out: calls to a static function of the same file (all its callers are in that file, whose
 * facts the rules hold) and to names in capitals (macros): together ~30% of the calls.
 */
function lexCalls(lex: LexFile): FileRows['calls'] {
  const statics = new Set(lex.functions.filter((f) => f.isStatic).map((f) => f.name));
  const out: FileRows['calls'] = [];
  for (const f of lex.functions) {
    for (let i = 0; i < f.calls.length; i++) {
      const c = f.calls[i]!;
      if (statics.has(c) || MACRO_NAME.test(c)) continue;
      out.push([f.name, c, f.callLines[i]!]);
    }
  }
  return out;
}

export function runLex(t: LexTask): WorkerResult {
  const buf = read(t.abs);
  if (typeof buf === 'string') return { kind: 'problem', id: t.id, hash: null, problem: buf };
  const hash = blobId(buf);
  if (t.knownHash === hash) return { kind: 'unchanged', id: t.id, hash };
  try {
    utf8.decode(buf);
  } catch {
    return { kind: 'problem', id: t.id, hash, problem: 'invalid UTF-8' };
  }
  return { kind: 'lexed', id: t.id, hash, rows: lexRows(lexFile(buf)) };
}

export class ParseRunner {
  private reuseStmt: Database.Statement | undefined;

  constructor(
    private readonly extract: Extract,
    private readonly data: WorkerData,
  ) {
    if (data.dbPath && data.dbPath !== ':memory:') {
      try {
        const rdb = new Database(data.dbPath, { readonly: true, fileMustExist: true });
        rdb.pragma('busy_timeout = 5000');
        this.reuseStmt = rdb.prepare(
          `SELECT x.z, x.complete FROM idx_files f JOIN idx_facts x ON x.file = f.id WHERE f.hash = ? AND f.version = ? AND f.sel_key = ? LIMIT 1`,
        );
      } catch {
        this.reuseStmt = undefined;
      }
    }
  }

  /** Parses done (not reused): the worker collects garbage every so many. */
  parses = 0;

  run(t: ParseTask): WorkerResult {
    const buf = read(t.abs);
    if (typeof buf === 'string') return { kind: 'problem', id: t.id, hash: null, problem: buf };
    const hash = blobId(buf);
    if (hash !== t.hash) return { kind: 'stale', id: t.id };
    const known = t.keep !== '*' ? t.known : undefined;
    const lex = known ? undefined : lexFile(buf);
    const noRows = { functions: [], props: [], errno: [], structs: [], notifiers: [] };
    if (t.keep !== '*' && t.keep.length === 0) {
      return { kind: 'parsed', id: t.id, hash, parsedNames: [], calls: packCalls([]), rows: noRows, extraFunctions: [], reused: false, parsedBytes: 0 };
    }
    const keep = t.keep === '*' ? null : new Set(t.keep);
    let facts: FileFacts;
    let complete: boolean;
    let parsedBytes = 0;
    let reused = false;
    const old = this.reuseStmt?.get(hash, this.data.version, t.selKey) as { z: Buffer; complete: number } | undefined;
    if (old) {
      facts = { ...decompressFacts(old.z), path: t.rel };
      complete = old.complete === 1;
      reused = true;
    } else {
      let reduced: Buffer | null = null;
      if (keep && known) reduced = reducedFromRanges(buf, known.ranges);
      else if (keep) reduced = reducedSource(buf, lex!, keep);
      // Every function kept and nothing else at file scope: the reduced text is the file.
      complete = !keep || (lex !== undefined && reduced === null);
      const text = (reduced ?? buf).toString('utf8');
      parsedBytes = text.length;
      try {
        facts = this.extract(t.rel, text);
      } catch (e) {
        return { kind: 'problem', id: t.id, hash, problem: `extractor failed: ${e instanceof Error ? e.message : String(e)}` };
      }
      this.parses++;
      // File-scope facts are the whole file's, whatever was dropped: the extractor reads entries,
      // exports and `modular` lexically with the same regexes lexical.ts uses on the whole text.
      const entries = known?.entries ?? lex!.entries.map((e) => [e.kind, e.fn, e.macro, e.line, e.driver ?? null] as const);
      const exported = new Set(known?.exports ?? lex!.exports);
      facts.hash = hash;
      facts.moduleEntries = entries.map(([kind, fn, macro, line, driver]) => ({ kind: kind as 'init' | 'exit', fn, line, macro, ...(driver ? { driver } : {}) }));
      facts.modular = known?.modular ?? lex!.modular;
      for (const f of facts.functions) f.exported = exported.has(f.name);
    }
    // Only the kept functions' facts count (a kept range may hold a function the pass missed).
    if (keep) facts.functions = facts.functions.filter((f) => keep.has(f.name));
    const rows = deriveRows(facts);
    const parsedNames = [...new Set(facts.functions.map((f) => f.name))];
    const { raw, z } = compressFacts(facts);
    const base = { kind: 'parsed' as const, id: t.id, hash, parsedNames, rows: { functions: [], props: rows.props, errno: rows.errno, structs: rows.structs, notifiers: rows.notifiers }, facts: { z, raw, complete }, reused, parsedBytes };
    const lexNames = new Set((lex?.functions ?? []).map((f) => f.name));
    const extraFunctions = lex && complete ? rows.functions.filter((f) => !lexNames.has(f[0])) : [];
    return { ...base, calls: packCalls(rows.calls), extraFunctions };
  }
}
