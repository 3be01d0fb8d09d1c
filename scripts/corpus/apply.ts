// Apply a real patch (as mailed) to files of a kernel tree, forward or in reverse, with `git apply`
// in a scratch directory, so the tree is never written and git's own offset handling decides what
// applies. Returns each touched file before and after. Used by the real-patch accuracy corpus.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseUnifiedDiff } from '../../src/diff/parse.js';

export interface AppliedFile {
  path: string;
  before: string;
  after: string;
}

/** The paths a patch touches, on its new side (old side for deletions). */
export function patchPaths(diff: string): string[] {
  return parseUnifiedDiff(diff)
    .map((f) => (f.status === 'deleted' ? f.oldPath : f.newPath) ?? f.oldPath)
    .filter((p): p is string => !!p);
}

/** `diff` applied to the tree's files (in reverse with `reverse`); throws with git's message when it does not apply. */
export function applyToTree(tree: string, diff: string, reverse: boolean): AppliedFile[] {
  const dir = mkdtempSync(join(tmpdir(), 'modreview-apply-'));
  try {
    const paths = patchPaths(diff);
    const before = new Map<string, string>();
    for (const p of paths) {
      const src = join(tree, p);
      if (!existsSync(src)) continue;
      const text = readFileSync(src, 'utf8');
      before.set(p, text);
      mkdirSync(dirname(join(dir, p)), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    // git's own exact application first; backports mailed for older trees often differ from 6.12
    // in a line of context, so one line of context, then patch(1)'s fuzz, are tried next.
    const attempts: [string, string[]][] = [
      ['git', ['apply', ...(reverse ? ['-R'] : []), '-']],
      ['git', ['apply', '-C1', ...(reverse ? ['-R'] : []), '-']],
      ['patch', ['-p1', '-s', '-F3', '--no-backup-if-mismatch', ...(reverse ? ['-R'] : [])]],
    ];
    let err = '';
    const applied = attempts.some(([cmd, args]) => {
      const r = spawnSync(cmd, args, { cwd: dir, input: diff, encoding: 'utf8' });
      if (r.status === 0) return true;
      err ||= (r.stderr || r.stdout || '').split('\n')[0] ?? '';
      // A failed patch(1) run can leave partial edits and .rej files: start the next attempt clean.
      for (const [p, text] of before) writeFileSync(join(dir, p), text);
      return false;
    });
    if (!applied) throw new Error(`does not apply${reverse ? ' in reverse' : ''}: ${err}`);
    return paths.map((p) => ({ path: p, before: before.get(p) ?? '', after: existsSync(join(dir, p)) ? readFileSync(join(dir, p), 'utf8') : '' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
