// Pre-image → post-image, and the line bookkeeping the engine needs around it.
//
// Application is done by the `diff` package's applyPatch with fuzzFactor 0: a hunk may land at an
// offset (the tree a patch was made against often differs by a few lines elsewhere in the file),
// but its context and removed lines must match exactly — a fuzzed match could put a finding on
// code the author never touched. applyPatch does not say where each hunk landed nor which hunk
// failed, so `locate()` repeats its (deterministic, fuzz-free) search to report both.
import { applyPatch, reversePatch, type StructuredPatch } from 'diff';
import type { FileDiff, Hunk } from './types.js';

export type ApplyResult = { ok: true; post: string; offsets: number[] } | { ok: false; reason: string };

const NO_NL = '\\ No newline at end of file';

function toStructured(file: FileDiff): StructuredPatch {
  return {
    oldFileName: file.oldPath ?? '/dev/null',
    newFileName: file.newPath ?? '/dev/null',
    oldHeader: undefined,
    newHeader: undefined,
    hunks: file.hunks.map((h) => ({
      // diff's convention for an empty side (new or deleted file) is start = line before it,
      // exactly as in the hunk header (`@@ -0,0 +1,5 @@`).
      oldStart: h.oldStart,
      oldLines: h.oldLines,
      newStart: h.newStart,
      newLines: h.newLines,
      lines: h.lines.flatMap((l) => {
        const sign = l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : ' ';
        return l.noNewline ? [sign + l.text, NO_NL] : [sign + l.text];
      }),
    })),
  };
}

/**
 * The patch with every hunk's declared start moved back to just past the end of the pre-image
 * when it lies beyond it, as git apply does (find_pos: `if (line > img->nr) line = img->nr`).
 * The search visits the same places in the file, but does not first walk from the declared start
 * down to the file's end one line at a time (a billion steps for `@@ -1000000000,7 ...`), and an
 * insertion-only hunk is not placed past the end with the gap filled by missing lines.
 */
function withinFile(patch: StructuredPatch, pre: string): StructuredPatch {
  const end = pre.split('\n').length;
  return { ...patch, hunks: patch.hunks.map((h) => (h.oldStart > end ? { ...h, oldStart: end } : h)) };
}

function header(h: Hunk): string {
  return `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`;
}

/**
 * Same visiting order as applyPatch: the declared start unconditionally, then its
 * distance-iterator (+1, -1, +2, -2, ... within [min, max]).
 */
function* distanceOrder(start: number, min: number, max: number): Generator<number> {
  yield start;
  for (let d = 1; start + d <= max || start - d >= min; d++) {
    if (start + d <= max) yield start + d;
    if (start - d >= min) yield start - d;
  }
}

/**
 * Where each hunk's pre-image (context + removed lines) sits in `pre`, searched like applyPatch
 * with no fuzz. Returns offsets (actual - declared start) or the index of the first hunk that fits
 * nowhere.
 */
function locate(pre: string, hunks: { oldStart: number; oldLines: number; lines: string[] }[]): number[] | { failed: number } {
  const lines = pre.split('\n');
  const offsets: number[] = [];
  let minLine = 0;
  let prevOffset = 0;
  for (let k = 0; k < hunks.length; k++) {
    const h = hunks[k]!;
    const old = h.lines.filter((l) => l[0] === ' ' || l[0] === '-').map((l) => l.slice(1));
    const maxLine = lines.length - h.oldLines;
    let found: number | undefined;
    for (const pos of distanceOrder(h.oldStart + prevOffset - 1, minLine, maxLine)) {
      if (old.every((t, j) => lines[pos + j] === t)) {
        found = pos;
        break;
      }
    }
    if (found === undefined) return { failed: k };
    const offset = found + 1 - h.oldStart;
    offsets.push(offset);
    // Trailing context may be shared with the next hunk, as in applyPatch.
    let trailing = 0;
    for (let j = h.lines.length - 1; j >= 0 && (h.lines[j]![0] === ' ' || h.lines[j]![0] === '\\'); j--) {
      if (h.lines[j]![0] === ' ') trailing++;
    }
    minLine = found + old.length - trailing;
    prevOffset = offset;
  }
  return offsets;
}

/** Apply every hunk of `file` to `pre`. Hunks may land at an offset; content must match exactly. */
export function applyHunks(pre: string, file: FileDiff): ApplyResult {
  if (file.binary) return { ok: false, reason: 'binary patch: cannot be applied as text' };
  if (file.hunks.length === 0) return { ok: true, post: pre, offsets: [] };
  if (pre === '' && file.hunks.every((h) => h.oldLines === 0)) {
    // A new file. diff models '' as one empty line and would leave it after the insertion.
    const added = file.hunks.flatMap((h) => h.lines.filter((l) => l.kind === 'add'));
    const post = added.map((l) => l.text).join('\n') + (added.length > 0 && !added[added.length - 1]!.noNewline ? '\n' : '');
    return { ok: true, post, offsets: file.hunks.map(() => 0) };
  }
  const patch = withinFile(toStructured(file), pre);
  let post: string | false;
  try {
    post = applyPatch(pre, patch, { fuzzFactor: 0 });
  } catch (e) {
    return { ok: false, reason: `could not apply: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (post === false) {
    const where = locate(pre, patch.hunks);
    if (!Array.isArray(where)) {
      const h = file.hunks[where.failed]!;
      return { ok: false, reason: `hunk ${where.failed + 1} of ${file.hunks.length} (${header(h)}) does not match the pre-image` };
    }
    return { ok: false, reason: 'the pre-image does not end the way the patch expects (newline at end of file)' };
  }
  const where = locate(pre, patch.hunks);
  // Offsets are from the start the file's header declares, moved or not.
  const offsets = Array.isArray(where) ? where.map((o, k) => o + patch.hunks[k]!.oldStart - file.hunks[k]!.oldStart) : file.hunks.map(() => 0);
  return { ok: true, post, offsets };
}

/** True when every hunk applies to `pre` (the patch was made against this version of the file). */
export function preImageMatches(pre: string, file: FileDiff): boolean {
  return applyHunks(pre, file).ok;
}

/**
 * True when the patch applies in reverse to `pre`, i.e. `pre` already holds the post-image
 * ("already applied"). False for a patch without hunks: there is nothing to recognise.
 */
export function reverseApplies(pre: string, file: FileDiff): boolean {
  if (file.binary || file.hunks.length === 0) return false;
  const forward = toStructured(file);
  const rev = withinFile(reversePatch(forward) as StructuredPatch, pre);
  try {
    return applyPatch(pre, rev, { fuzzFactor: 0 }) !== false;
  } catch {
    return false;
  }
}

/** Post-image line numbers of the added lines. */
export function addedLines(file: FileDiff): Set<number> {
  const out = new Set<number>();
  for (const h of file.hunks) for (const l of h.lines) if (l.kind === 'add' && l.newLine !== undefined) out.add(l.newLine);
  return out;
}

/** Pre-image line numbers of the removed lines. */
export function removedLines(file: FileDiff): Set<number> {
  const out = new Set<number>();
  for (const h of file.hunks) for (const l of h.lines) if (l.kind === 'del' && l.oldLine !== undefined) out.add(l.oldLine);
  return out;
}

/**
 * Pseudo pre/post sources built from the hunks alone, for reviewing without the tree: every hunk
 * line sits at its real line number and the gaps are empty lines, so a finding's line number is the
 * one the reviewer will see in the real file.
 */
export function hunkOnlyImages(file: FileDiff): { pre: string; post: string } {
  const pre: string[] = [];
  const post: string[] = [];
  for (const h of file.hunks) {
    for (const l of h.lines) {
      if (l.oldLine !== undefined && l.kind !== 'add') pre[l.oldLine - 1] = l.text;
      if (l.newLine !== undefined && l.kind !== 'del') post[l.newLine - 1] = l.text;
    }
  }
  const fill = (a: string[]): string => (a.length === 0 ? '' : `${Array.from(a, (t) => t ?? '').join('\n')}\n`);
  return { pre: fill(pre), post: fill(post) };
}

/**
 * Where each pre-image line outside the hunks lands in the post-image (hunks placed at the
 * offsets applyHunks found), or null for a line inside a hunk (context lines included).
 */
export function lineShift(file: FileDiff, offsets: readonly number[]): (preLine: number) => number | null {
  const spans = file.hunks
    .map((h, i) => {
      const start = h.oldStart + (offsets[i] ?? 0);
      // An insertion-only hunk (oldLines 0) goes after line `start`.
      return h.oldLines === 0 ? { from: start + 1, to: start, delta: h.newLines } : { from: start, to: start + h.oldLines - 1, delta: h.newLines - h.oldLines };
    })
    .sort((a, b) => a.from - b.from);
  return (line) => {
    let delta = 0;
    for (const s of spans) {
      if (line < s.from) break;
      if (line <= s.to) return null;
      delta += s.delta;
    }
    return line + delta;
  };
}
