// Reviewing a series as a whole: a problem patch k introduces and a later patch j of the same
// series removes is not a bug of the series (at most, bisection breaks between k and j). The
// engine reports what each patch introduces; what a patch *removes* is what its reverse
// introduces. So the series is reviewed once more followed by the reverses of its patches, last
// to first (rev(j) applies to the state after j and yields the state after j-1): a finding
// introduced by rev(j) is one that patch j removed.
import type { FileDiff, HunkLine } from '../diff/types.js';
import type { ReviewFn, ReviewOptions } from '../engine/api.js';
import type { Patch, Submission } from '../ingest/types.js';

export const REVERSE_BASE = 1000;

function reverseLines(lines: HunkLine[]): HunkLine[] {
  const flip = (l: HunkLine): HunkLine => {
    const out: HunkLine = { kind: l.kind === 'add' ? 'del' : l.kind === 'del' ? 'add' : 'context', text: l.text };
    if (l.newLine !== undefined) out.oldLine = l.newLine;
    if (l.oldLine !== undefined) out.newLine = l.oldLine;
    if (l.noNewline) out.noNewline = true;
    return out;
  };
  // Keep the canonical order in each change block: removals first, then additions.
  const out: HunkLine[] = [];
  let run: HunkLine[] = [];
  const flush = (): void => {
    const f = run.map(flip);
    out.push(...f.filter((l) => l.kind === 'del'), ...f.filter((l) => l.kind === 'add'));
    run = [];
  };
  for (const l of lines) {
    if (l.kind === 'context') {
      flush();
      out.push(flip(l));
    } else run.push(l);
  }
  flush();
  return out;
}

export function reverseFile(f: FileDiff): FileDiff {
  const r: FileDiff = {
    oldPath: f.newPath,
    newPath: f.oldPath,
    status: f.status === 'added' ? 'deleted' : f.status === 'deleted' ? 'added' : f.status,
    binary: f.binary,
    hunks: f.hunks.map((h) => {
      const hunk: FileDiff['hunks'][number] = { oldStart: h.newStart, oldLines: h.newLines, newStart: h.oldStart, newLines: h.oldLines, lines: reverseLines(h.lines) };
      if (h.section !== undefined) hunk.section = h.section;
      return hunk;
    }),
    problems: [],
  };
  if (f.newBlob) r.oldBlob = f.newBlob;
  if (f.oldBlob) r.newBlob = f.oldBlob;
  if (f.newMode) r.oldMode = f.newMode;
  if (f.oldMode) r.newMode = f.oldMode;
  return r;
}

export function reversePatch(p: Patch, index: number): Patch {
  const out: Patch = { ...p, files: p.files.map(reverseFile), tags: { ...p.tags, index: REVERSE_BASE + index }, problems: [] };
  delete out.commit;
  return out;
}

/**
 * Fingerprints removed later in the series: fingerprint → the indices of the patches that remove
 * it. Only worth asking when some finding sits on a patch before the last.
 */
export async function removedLater(sub: Submission, review: ReviewFn, options: ReviewOptions): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  if (sub.patches.length < 2) return out;
  const reversed = [...sub.patches]
    .map((p, i) => ({ p, idx: p.tags.index || i + 1 }))
    .filter((x) => x.idx > 1)
    .reverse()
    .map((x) => reversePatch(x.p, x.idx));
  const res = await review({ ...sub, patches: [...sub.patches, ...reversed] }, { ...options, filter: 'added' });
  for (const f of res.findings) {
    if (f.patch <= REVERSE_BASE || f.where !== 'added') continue;
    out.set(f.fingerprint, [...(out.get(f.fingerprint) ?? []), f.patch - REVERSE_BASE]);
  }
  return out;
}
