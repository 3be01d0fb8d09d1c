// scripts/fetch-kernel.mjs is what README command 1 runs inside `$( )`: only the tree's path may
// reach standard output. `apt-get download` prints its progress ("Get:1 http://...") on stdout, so
// a stand-in apt-get on PATH does the same here and hands over a small real .deb.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../scripts/fetch-kernel.mjs', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'modreview-fetch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A linux-source-like .deb: usr/src/linux-source-9.99.tar.xz holding Makefile and scripts/checkpatch.pl. */
function fakeDeb(): string {
  const src = join(work, 'src', 'linux-source-9.99');
  mkdirSync(join(src, 'scripts'), { recursive: true });
  writeFileSync(join(src, 'Makefile'), 'VERSION = 9\n');
  writeFileSync(join(src, 'scripts', 'checkpatch.pl'), '#!/usr/bin/perl\n');
  const pkg = join(work, 'pkg');
  mkdirSync(join(pkg, 'DEBIAN'), { recursive: true });
  mkdirSync(join(pkg, 'usr', 'src'), { recursive: true });
  writeFileSync(join(pkg, 'DEBIAN', 'control'), 'Package: linux-source-9.99\nVersion: 9.99-1\nArchitecture: all\nMaintainer: test <t@example.org>\nDescription: test\n');
  execFileSync('tar', ['-cJf', join(pkg, 'usr', 'src', 'linux-source-9.99.tar.xz'), '-C', join(work, 'src'), 'linux-source-9.99']);
  const deb = join(work, 'linux-source-9.99_9.99-1_all.deb');
  execFileSync('dpkg-deb', ['--build', '-Zxz', pkg, deb], { stdio: 'ignore' });
  return deb;
}

describe('scripts/fetch-kernel.mjs', () => {
  it('prints only the tree path on stdout, though apt-get prints its progress there', () => {
    const deb = fakeDeb();
    const bin = join(work, 'bin');
    mkdirSync(bin);
    // Like apt-get download: progress on stdout, the .deb in the current directory.
    writeFileSync(join(bin, 'apt-get'), `#!/bin/sh\necho "Get:1 http://deb.debian.org/debian bookworm/main amd64 $2 all 9.99-1 [1 kB]"\necho "Fetched 1 kB in 0s"\ncp ${JSON.stringify(deb)} .\n`);
    chmodSync(join(bin, 'apt-get'), 0o755);
    const cache = join(work, 'cache');
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, MODREVIEW_CACHE: cache, MODREVIEW_KERNEL_PKG: 'linux-source-9.99' };
    const out = execFileSync(process.execPath, [SCRIPT], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe(`${join(cache, 'linux-9.99')}\n`);
    // Cached: the second run prints the same single line without downloading.
    const again = execFileSync(process.execPath, [SCRIPT], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(again).toBe(out);
  });
});
