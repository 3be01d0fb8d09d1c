// The unified-diff model. Pure data: produced by src/ingest (via parse-diff), consumed by the
// engine. Line numbers are 1-based, as in the hunk headers.

export type HunkLineKind = 'context' | 'add' | 'del';

export interface HunkLine {
  kind: HunkLineKind;
  /** The line without its leading ' ', '+' or '-'. */
  text: string;
  /** Line in the pre-image (context and del lines). */
  oldLine?: number;
  /** Line in the post-image (context and add lines). */
  newLine?: number;
  /** Followed by `\ No newline at end of file`: this is the last line and has no newline. */
  noNewline?: boolean;
}

export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** The text after the second `@@` (git's function-context hint), if any. */
  section?: string;
  lines: HunkLine[];
}

export type FileStatus = 'modified' | 'added' | 'deleted' | 'renamed' | 'copied' | 'mode-only';

export interface FileDiff {
  /** Path in the pre-image without the a/ prefix; null for a new file. */
  oldPath: string | null;
  /** Path in the post-image without the b/ prefix; null for a deleted file. */
  newPath: string | null;
  status: FileStatus;
  binary: boolean;
  hunks: Hunk[];
  /** Abbreviated blob ids from the `index <pre>..<post>` line. */
  oldBlob?: string;
  newBlob?: string;
  oldMode?: string;
  newMode?: string;
  /** Hunks or lines that could not be read (e.g. a wrapped hunk header in a web-archive copy). */
  problems: string[];
}

/** The path a reviewer would name for this file (post-image path, or the old one for deletions). */
export function displayPath(f: FileDiff): string {
  return (f.newPath ?? f.oldPath ?? '(unknown)');
}
