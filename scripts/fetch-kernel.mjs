#!/usr/bin/env node
// Fetch Debian's linux-source-6.12 once and extract it into the cache dir; print the tree path
// as the last line. Used by tests, demos and the benchmark. Re-running is a no-op when cached.
//
//   node scripts/fetch-kernel.mjs            -> prints e.g. /root/.cache/modreview/linux-6.12
//   MODREVIEW_CACHE=/somewhere node scripts/fetch-kernel.mjs
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const PKG = process.env.MODREVIEW_KERNEL_PKG ?? 'linux-source-6.12';
const version = PKG.replace(/^linux-source-/, '');
const cache = process.env.MODREVIEW_CACHE ?? join(homedir(), '.cache', 'modreview');
const tree = join(cache, `linux-${version}`);

function run(cmd, args, opts = {}) {
  execFileSync(cmd, args, { stdio: ['ignore', 2, 'inherit'], ...opts });
}

function log(msg) {
  process.stderr.write(`fetch-kernel: ${msg}\n`);
}

try {
  if (existsSync(join(tree, 'Makefile')) && existsSync(join(tree, 'scripts', 'checkpatch.pl'))) {
    process.stdout.write(`${tree}\n`);
    process.exit(0);
  }
  mkdirSync(cache, { recursive: true });
  let deb = readdirSync(cache).find((f) => f.startsWith(`${PKG}_`) && f.endsWith('.deb'));
  if (!deb) {
    log(`downloading ${PKG} with apt-get (153 MB)`);
    try {
      run('apt-get', ['download', PKG], { cwd: cache });
    } catch {
      // A fresh machine has no package lists yet.
      run('apt-get', ['update', '-qq'], { cwd: cache });
      run('apt-get', ['download', PKG], { cwd: cache });
    }
    deb = readdirSync(cache).find((f) => f.startsWith(`${PKG}_`) && f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${PKG} produced no .deb in ${cache}`);
  }
  const work = join(cache, `.extract-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  log(`extracting ${deb} (about a minute)`);
  run('dpkg', ['-x', join(cache, deb), join(work, 'deb')]);
  const srcDir = join(work, 'deb', 'usr', 'src');
  const tarball = readdirSync(srcDir).find((f) => /^linux-source-.*\.tar\.(xz|bz2|gz)$/.test(f));
  if (!tarball) throw new Error(`no source tarball inside ${deb}`);
  mkdirSync(join(work, 'tree'));
  run('tar', ['-xf', join(srcDir, tarball), '-C', join(work, 'tree'), '--strip-components=1']);
  // Rename into place last, so an interrupted extraction never leaves a half tree at `tree`.
  rmSync(tree, { recursive: true, force: true });
  renameSync(join(work, 'tree'), tree);
  rmSync(work, { recursive: true, force: true });
  process.stdout.write(`${tree}\n`);
} catch (err) {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
