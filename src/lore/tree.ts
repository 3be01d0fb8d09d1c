// Pre-images from the configured kernel tree: the blob at the series' base-commit when the tree is
// a git repository that has it, else the file as checked out. Paths from a patch are confined to
// the tree (no `..` escapes, no absolute paths).
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { simpleGit } from 'simple-git';
import type { ImageProvider } from '../engine/api.js';

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
      if (isGit && baseCommit && /^[0-9a-f]{7,40}$/.test(baseCommit) && !rel.startsWith('-') && !rel.includes(':')) {
        try {
          const text = await simpleGit(root).raw(['cat-file', 'blob', `${baseCommit}:${rel}`]);
          return { text, mode: 'git-blob', detail: `${baseCommit.slice(0, 12)}:${rel}` };
        } catch {
          // base-commit unknown to this tree: fall back to the checked-out file
        }
      }
      const full = safeTreePath(root, rel);
      if (!full) return null;
      return { text: readFileSync(full, 'utf8'), mode: 'tree-file', detail: rel };
    },
  };
}
