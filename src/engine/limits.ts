// What one review may spend per file, in the manner of semgrep's --max-target-bytes and
// --timeout: a file over the size limit (or with a line over the line limit) is not analysed, and
// a file whose time budget runs out stops inside its parse, between functions (facts) or between
// rules. Either way the result says so in `skipped`
// (never a silent partial review). Also here: the per-function skips of the facts builder turned
// into report notes, and the key under which repeated identical sections of a patch are reviewed
// once.
import { createHash } from 'node:crypto';
import type { FileFacts } from '../c/types.js';
import type { FileDiff } from '../diff/types.js';

export interface ReviewLimits {
  /** Largest pre- or post-image (UTF-8 bytes) of a C file that is analysed; default 2 MiB. */
  maxFileBytes?: number;
  /**
   * Longest line (characters) of a C file that is analysed; default 16,384. Linux 6.12's longest
   * line in a .c or .h file has 1,291; tree-sitter's error recovery on one long line of junk is
   * superlinear (400 KB of `>>` after a statement: 7 s to parse).
   */
  maxLineChars?: number;
  /** Wall-clock milliseconds one file's facts and rules may take; default 20 s. */
  fileTimeoutMs?: number;
  /** The clock the budget reads (milliseconds); tests give their own. Default performance.now. */
  now?: () => number;
}

export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024;
export const DEFAULT_MAX_LINE_CHARS = 16_384;
export const DEFAULT_FILE_TIMEOUT_MS = 20_000;

const bytes = (n: number): string => n.toLocaleString('en-US');

function longestLine(s: string): number {
  let longest = 0;
  for (let at = 0; at <= s.length; ) {
    const end = s.indexOf('\n', at);
    const stop = end < 0 ? s.length : end;
    longest = Math.max(longest, stop - at);
    at = stop + 1;
  }
  return longest;
}

/** Why a file this large (or with a line this long) is not analysed, or undefined when it is within the limits. */
export function sizeProblem(limits: ReviewLimits | undefined, ...images: string[]): string | undefined {
  const max = limits?.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  // A string's UTF-8 size is at least its length and at most three times it: count only when it matters.
  const largest = Math.max(0, ...images.map((s) => (s.length * 3 <= max ? s.length : Buffer.byteLength(s, 'utf8'))));
  if (largest > max) return `larger than the per-file limit (${bytes(largest)} > ${bytes(max)} bytes); not analysed`;
  const maxLine = limits?.maxLineChars ?? DEFAULT_MAX_LINE_CHARS;
  const line = Math.max(0, ...images.map((s) => (s.length <= maxLine ? 0 : longestLine(s))));
  if (line > maxLine) return `a line longer than the per-file limit (${bytes(line)} > ${bytes(maxLine)} characters); not analysed`;
  return undefined;
}

/**
 * The time one file may take, counted over the phases a review spends on it (its facts while the
 * patch's files are read, its rules later): `run` measures one phase.
 */
export class FileBudget {
  private used = 0;
  private since: number | undefined;
  readonly limitMs: number;
  private readonly now: () => number;

  constructor(limits: ReviewLimits | undefined) {
    this.limitMs = limits?.fileTimeoutMs ?? DEFAULT_FILE_TIMEOUT_MS;
    this.now = limits?.now ?? (() => performance.now());
  }

  run<T>(fn: () => T): T {
    this.since = this.now();
    try {
      return fn();
    } finally {
      this.used += this.now() - this.since;
      this.since = undefined;
    }
  }

  /** Whether the budget is used up (asked between functions and between rules). */
  readonly spent = (): boolean => this.used + (this.since === undefined ? 0 : this.now() - this.since) > this.limitMs;

  reason(what: string): string {
    return `time budget of ${this.limitMs} ms per file used up ${what}`;
  }
}

/** Report notes for what the facts builder left out (FileFacts.unanalysed): the post-image's, and the pre-image's the post-image lacks. */
export function unanalysedNotes(path: string, pre: FileFacts | undefined, post: FileFacts): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const [facts, image] of [
    [post, ''],
    [pre, ' (before the patch)'],
  ] as const) {
    for (const s of facts?.unanalysed ?? []) {
      if (seen.has(s.what)) continue;
      seen.add(s.what);
      out.push(`${path}: ${s.what} at line ${s.line}${image} not analysed: ${s.reason}`);
    }
  }
  return out;
}

/**
 * What makes two file sections of one patch the same change: both names, status, modes, blobs
 * and every hunk line. A patch that repeats a section (a treewide script gone wrong, a fuzzer)
 * has it reviewed once; git apply would refuse the second copy anyway.
 */
export function sectionKey(file: FileDiff): string {
  const h = createHash('sha1');
  h.update(JSON.stringify([file.oldPath, file.newPath, file.status, file.binary, file.oldMode, file.newMode, file.oldBlob, file.newBlob, file.problems]));
  for (const hunk of file.hunks) {
    h.update(`\0@${hunk.oldStart},${hunk.oldLines},${hunk.newStart},${hunk.newLines}`);
    for (const l of hunk.lines) h.update(`\0${l.kind[0]}${l.noNewline ? '!' : ''}${l.text}`);
  }
  return h.digest('hex');
}
