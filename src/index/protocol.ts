// Messages between the index builder and its parse workers.
import type { FileRows } from '../store/index-cache.js';

export interface WorkerData {
  /** URL of the module exporting `extractFacts` (facts.ts under tsx, facts.js compiled). */
  factsModule: string;
  /** Facts version string: cached blobs of another version are not reused. */
  version: string;
  /** The store file, opened read-only to reuse facts of identical blobs; none for `:memory:`. */
  dbPath?: string;
}

export interface WorkerTask {
  id: number;
  abs: string;
  rel: string;
  /** The blob id the index holds for this path (same extractor version): equal → `unchanged`. */
  knownHash: string | null;
  /** Parse regardless of the lexical filter, with this reason (the closure step). */
  force?: string;
}

export type WorkerResult =
  | { kind: 'unchanged'; id: number; hash: string }
  | { kind: 'problem'; id: number; hash: string | null; problem: string }
  | { kind: 'seen'; id: number; hash: string; defs: string }
  | { kind: 'indexed'; id: number; hash: string; reason: string; rows: FileRows; z: Buffer; raw: number; reused: boolean };
