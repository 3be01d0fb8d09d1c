// Messages between the index builder and its workers (or the same tasks run in-process).
import type { FileRows, LexRows, PackedCalls } from '../store/index-cache.js';

export interface WorkerData {
  /** URL of the module exporting `extractFacts` (facts.ts under tsx, facts.js compiled). */
  factsModule: string;
  /** Index version string: cached facts of another version are not reused. */
  version: string;
  /** The store file, opened read-only to reuse facts of identical blobs; none for `:memory:`. */
  dbPath?: string;
  /**
   * Another task kind (`modreview scan`): the URL of a module exporting
   * `createTaskRunner(taskData) → { run(task) → result }`; the worker then runs only those.
   */
  taskModule?: string;
  taskData?: unknown;
}

/** What a `taskModule` exports. */
export interface TaskModule {
  createTaskRunner(data: unknown): Promise<{ run(task: { id: number }): { id: number; kind: string } }>;
}

/** Read a file and run the lexical pass (unless its blob id is `knownHash`). */
export interface LexTask {
  kind: 'lex';
  id: number;
  abs: string;
  rel: string;
  knownHash: string | null;
}

/** Parse the selected functions of a file (`'*'`: the whole file; none: lexical rows only). */
export interface ParseTask {
  kind: 'parse';
  id: number;
  abs: string;
  rel: string;
  /** The blob id the lexical rows were read from: another content means the file changed. */
  hash: string;
  keep: string[] | '*';
  selKey: string;
  /**
   * What the lexical pass stored, so the task need not read the file lexically again: the byte
   * ranges of the kept functions, the file's module entries, exports and `modular`. Absent
   * (a whole-file parse): the task reads the file lexically itself.
   */
  known?: { ranges: [number, number][]; entries: FileRows['entries']; exports: string[]; modular: boolean };
}

export type WorkerTask = LexTask | ParseTask;

export interface ParsedResult {
  kind: 'parsed';
  id: number;
  hash: string;
  parsedNames: string[];
  calls: PackedCalls;
  rows: Omit<FileRows, 'calls' | 'entries' | 'initData'>;
  extraFunctions: FileRows['functions'];
  facts?: { z: Uint8Array; raw: number; complete: boolean };
  /** Facts taken from an identical blob parsed with the same selection before. */
  reused: boolean;
  /** Bytes given to tree-sitter. */
  parsedBytes: number;
}

export type WorkerResult =
  | { kind: 'unchanged'; id: number; hash: string }
  | { kind: 'problem'; id: number; hash: string | null; problem: string }
  | { kind: 'lexed'; id: number; hash: string; rows: LexRows }
  /** The file's content is not the one the selection was computed from (changed meanwhile). */
  | { kind: 'stale'; id: number }
  | ParsedResult;
