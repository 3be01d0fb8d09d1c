// Pre-images from the configured kernel tree: the blob at the series' base-commit when the tree is
// a git repository that has it, else the file as checked out. Paths from a patch are confined to
// the tree (no `..` escapes, no absolute paths).
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
// simple-git is loaded only when a git tree is asked for a blob (a plain directory never needs it).
const simpleGit = async (root: string) => (await import('simple-git')).simpleGit(root);
import type { ImageProvider } from '../engine/api.js';
import { gitBlobId } from '../c/lex.js';

const BLOB = /^[0-9a-f]{7,40}$/;

export function safeTreePath(root: string, rel: string): string | undefined {
  if (!rel || isAbsolute(rel) || rel.includes('\0')) return undefined;
  const n = normalize(rel);
  if (n.startsWith('..') || n.split(sep).includes('..')) return undefined;
  const full = join(root, n);
  try {
    const real = realpathSync(full);
    const base = realpathSync(root);
    if (real !== base && !real.startsWith(base + sep)) return undefined;
  } catch {
    return undefined;
  }
  return full;
}

export function treeImages(root: string, baseCommit?: string): ImageProvider {
  const isGit = existsSync(join(root, '.git'));
  return {
    async preImage(file) {
      const rel = file.oldPath;
      if (!rel) return null;
      const safeRel = !rel.startsWith('-') && !rel.includes(':');
      // The blob the patch names on its `index` line is the exact pre-image, wherever the tree's
      // HEAD has moved since.
      if (isGit && file.oldBlob && BLOB.test(file.oldBlob) && !/^0+$/.test(file.oldBlob)) {
        try {
          const text = await (await simpleGit(root)).raw(['cat-file', 'blob', file.oldBlob]);
          return { text, mode: 'git-blob', detail: `blob ${file.oldBlob}` };
        } catch {
          // not in this repository: try base-commit, then the checked-out file
        }
      }
      if (isGit && baseCommit && BLOB.test(baseCommit) && safeRel) {
        try {
          const text = await (await simpleGit(root)).raw(['cat-file', 'blob', `${baseCommit}:${rel}`]);
          return { text, mode: 'git-blob', detail: `${baseCommit.slice(0, 12)}:${rel}` };
        } catch {
          // base-commit unknown to this tree: fall back to the checked-out file
        }
      }
      const full = safeTreePath(root, rel);
      if (!full) return null;
      let text: string;
      try {
        text = readFileSync(full, 'utf8');
      } catch {
        return null;
      }
      const same = file.oldBlob && BLOB.test(file.oldBlob) ? gitBlobId(text).startsWith(file.oldBlob) : undefined;
      const detail = same === undefined ? rel : same ? `${rel} (blob ${file.oldBlob} matches)` : `${rel} (tree blob differs from ${file.oldBlob})`;
      return { text, mode: 'tree-file', detail };
    },
  };
}
