// Per-commit review reports a finding on the post-image of the commit that introduced it; the
// comment and annotation must sit on the PR head. Later commits of the PR may have moved, changed
// or deleted that line: follow it through their hunks, or give up (null) when it is gone.
import type { FileDiff } from '../diff/types.js';
import type { Finding } from '../engine/types.js';
import type { Placed } from '../report/github.js';
import type { Submission } from '../ingest/types.js';

/** A pre-image line of `diff` → its post-image line, or null when the diff removes it. */
export function forwardLine(line: number, diff: FileDiff): number | null {
  let offset = 0;
  const hunks = [...diff.hunks].sort((a, b) => a.oldStart - b.oldStart);
  for (const h of hunks) {
    if (h.oldLines === 0) {
      // Pure insertion after old line oldStart.
      if (line > h.oldStart) {
        offset += h.newLines;
        continue;
      }
      break;
    }
    const end = h.oldStart + h.oldLines - 1;
    if (line < h.oldStart) break;
    if (line <= end) {
      const hl = h.lines.find((l) => l.oldLine === line);
      if (!hl || hl.kind === 'del' || hl.newLine === undefined) return null;
      return hl.newLine;
    }
    offset += h.newLines - h.oldLines;
  }
  return line + offset;
}

/** Where a finding of patch `f.patch` sits on the head: follow its file through the later patches. */
export function placeOnHead(f: Finding, submission: Submission): { path: string; line: number | null } {
  const patches = submission.patches;
  const at = patches.findIndex((p, i) => (p.tags.index || i + 1) === f.patch);
  let path = f.file;
  let line: number | null = f.line;
  if (at < 0) return { path, line };
  for (const p of patches.slice(at + 1)) {
    for (const d of p.files) {
      if (d.oldPath !== path || d.status === 'added') continue;
      if (d.status === 'deleted' || d.newPath === null) return { path, line: null };
      if (line !== null) line = forwardLine(line, d);
      path = d.newPath;
      break;
    }
    if (line === null) break;
  }
  return { path, line };
}

export function commitLabel(sha: string, subject: string | undefined): string {
  return subject ? `${sha.slice(0, 12)} ("${subject}")` : sha.slice(0, 12);
}

export function placeFindings(
  findings: readonly Finding[],
  submission: Submission,
  inFilter: (f: Finding) => boolean,
  subjects: ReadonlyMap<string, string>,
): Placed[] {
  const seen = new Set<string>();
  const out: Placed[] = [];
  for (const f of findings) {
    // Per-commit review may report one fingerprint from several commits: the first one introduced it.
    if (seen.has(f.fingerprint)) continue;
    seen.add(f.fingerprint);
    const where = submission.patches.length > 1 ? placeOnHead(f, submission) : { path: f.file, line: f.line };
    const p: Placed = { finding: f, path: where.path, line: where.line, inFilter: inFilter(f) };
    if (f.commit && submission.patches.length > 1) p.commitLabel = commitLabel(f.commit, subjects.get(f.commit));
    out.push(p);
  }
  return out;
}
