// `modreview fix` as a shell runs it (a child process, the real engine, real Linux 6.12 files):
// the follow-up patch it writes applies with a real `git am` on top of the reviewed patch, in a
// scratch git repository holding the 6.12 file, and puts back what the reviewed patch broke.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitDiff } from '../../scripts/accuracy.js';
import { applyToTree } from '../../scripts/corpus/apply.js';
import { CORPUS_DIR, caseDiff, loadRealCorpus } from '../../src/engine/real-corpus.js';
import { kernelFile, kernelTree } from '../helpers/kernel.js';
import { spawnCli } from './run.js';

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.org', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** A format-patch mail of `diff`, as `git am` takes it. */
function mail(subject: string, diff: string): string {
  return [
    'From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001',
    'From: Jane Developer <jane@example.org>',
    'Date: Wed, 15 Jan 2025 09:12:00 +0000',
    `Subject: [PATCH] ${subject}`,
    '',
    'Tidy.',
    '',
    'Signed-off-by: Jane Developer <jane@example.org>',
    '---',
    diff.replace(/\n$/, ''),
    '-- ',
    '2.39.5',
    '',
  ].join('\n');
}

let dir: string;
beforeAll(() => {
  kernelTree();
  dir = mkdtempSync(join(tmpdir(), 'modreview-fix-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A git repository holding `files` of 6.12 (one commit), the reviewed patch applied with git am. */
function repoWith(name: string, files: string[], patch: string): string {
  const repo = join(dir, name);
  for (const f of files) {
    mkdirSync(join(repo, dirname(f)), { recursive: true });
    writeFileSync(join(repo, f), kernelFile(f));
  }
  git(repo, 'init', '-q');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'Linux 6.12 files');
  git(repo, 'am', '-q', patch);
  return repo;
}

describe('modreview fix', () => {
  it('ops-missing-owner: a patch dropping .owner from pp_fops; the fix patch applies with git am and restores 6.12', async () => {
    const file = 'drivers/char/ppdev.c';
    const before = kernelFile(file);
    const after = before.replace('static const struct file_operations pp_fops = {\n\t.owner\t\t= THIS_MODULE,\n', 'static const struct file_operations pp_fops = {\n');
    expect(after).not.toBe(before);
    const reviewed = join(dir, 'ppdev.patch');
    writeFileSync(reviewed, mail('ppdev: drop the owner', gitDiff(file, before, after)));
    const out = join(dir, 'ppdev-fix.patch');
    const r = await spawnCli(['fix', reviewed, '--tree', kernelTree(), '--no-index', '-o', out]);
    expect(r.stderr).toContain(`wrote ${out} (1 fix)`);
    expect(r.code).toBe(0);
    const fix = readFileSync(out, 'utf8');
    const head = fix.split('\n\n')[0]!;
    expect(head).toMatch(/^From 0{40} Mon Sep 17 00:00:00 2001\nFrom: Jane Developer <jane@example.org>\nDate: .+\nSubject: \[PATCH\] ppdev: fix missing \.owner = THIS_MODULE$/);
    expect(fix).toContain('  dea6e19f4ef7 ("tap: reference to KVA of an unloaded module causes kernel panic")');
    expect(fix).not.toMatch(/^Fixes:/m);
    expect(fix).toMatch(/\n---\ndiff --git a\/drivers\/char\/ppdev\.c b\/drivers\/char\/ppdev\.c\n/);

    const repo = repoWith('ppdev', [file], reviewed);
    git(repo, 'am', out);
    expect(git(repo, 'log', '--format=%s')).toBe('ppdev: fix missing .owner = THIS_MODULE\nppdev: drop the owner\nLinux 6.12 files\n');
    expect(readFileSync(join(repo, file), 'utf8')).toBe(before);
  });

  it('init-error-unwind: a real fix reversed (sunxi-rsb); the fix patch on top gives upstream\'s file', async () => {
    const corpus = fileURLToPath(new URL(`../../${CORPUS_DIR}`, import.meta.url));
    const c = loadRealCorpus(corpus).find((x) => x.id.startsWith('bus-sunxi-rsb-fix-error-handling-in-sunxi-rsb-init'))!;
    const [f] = applyToTree(kernelTree(), caseDiff(corpus, c), true).filter((x) => x.before !== x.after);
    const reviewed = join(dir, 'rsb.patch');
    writeFileSync(reviewed, mail('bus: sunxi-rsb: simplify sunxi_rsb_init()', gitDiff(f!.path, f!.before, f!.after)));
    const r = await spawnCli(['fix', reviewed, '--tree', kernelTree(), '--no-index']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Subject: [PATCH] bus: sunxi-rsb: fix missing release on the init error path');
    const out = join(dir, 'rsb-fix.patch');
    writeFileSync(out, r.stdout);
    const repo = repoWith('rsb', [f!.path], reviewed);
    git(repo, 'am', out);
    expect(readFileSync(join(repo, f!.path), 'utf8')).toBe(f!.before);
  });

  it('no finding with a verified fix: exit 1, nothing written, the reason on standard error', async () => {
    const file = 'drivers/char/ppdev.c';
    const before = kernelFile(file);
    const after = before.replace('static const struct file_operations pp_fops = {\n', '/* the parport device */\nstatic const struct file_operations pp_fops = {\n');
    const reviewed = join(dir, 'comment.patch');
    writeFileSync(reviewed, mail('ppdev: comment', gitDiff(file, before, after)));
    const r = await spawnCli(['fix', reviewed, '--tree', kernelTree(), '--no-index']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no findings; no patch written');
  });
});
