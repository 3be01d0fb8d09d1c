// File names in a diff come from its sender. The engine reads the pre-image under the old name and
// reports under the new one (git apply reads differing names as a rename), so both must name a
// file inside the tree: no absolute path, no `..`, `.` or empty component, and no control
// character (a newline in a name rewrites the lines it is printed on, a diff header included).
// A file whose names fail is skipped with the reason, never reviewed under another name.
import type { FileDiff } from './types.js';

/** Why `p` is not a path inside a tree, or undefined when it is one. */
export function pathProblem(p: string): string | undefined {
  if (p === '') return 'an empty name';
  if (/[\x00-\x1f\x7f]/.test(p)) return 'a control character in the name';
  if (p.startsWith('/')) return 'an absolute path';
  const parts = p.split('/');
  if (parts.includes('..')) return "a '..' component";
  if (parts.includes('.') || parts.includes('')) return "an empty or '.' component";
  return undefined;
}

/** A name as it can be printed on one line: quoted (JSON) when it holds a control character or is empty. */
export function printablePath(p: string): string {
  return p === '' || /[\x00-\x1f\x7f]/.test(p) ? JSON.stringify(p) : p;
}

/** Why a file of a diff cannot be reviewed under its names, or undefined. */
export function fileNameProblem(f: Pick<FileDiff, 'oldPath' | 'newPath'>): string | undefined {
  for (const p of [f.oldPath, f.newPath]) {
    if (p === null) continue;
    const why = pathProblem(p);
    if (why) return `unsafe file name ${printablePath(p)}: ${why}`;
  }
  return undefined;
}
