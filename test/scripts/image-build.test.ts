// The image's build and start steps outside Docker, as the Dockerfile runs them: a clean clone of
// this repository's committed HEAD, owned by a non-root user (`nobody` when the test runs as root,
// else the current user), `sh scripts/image-build.sh` as that user (npm ci from the lockfile,
// native addons, tsc, dev dependencies pruned), then the image's ENTRYPOINT + CMD
// (`node bin/modreview.js serve`) as that user: /healthz, /readyz, /metrics, SIGTERM → 0.
// Slow (a full npm ci with native builds: minutes), and it needs the npm registry.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'modreview-image-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const asRoot = process.getuid?.() === 0;
/** argv that runs `cmd` as the non-root user (setpriv execs it: signals reach it directly). */
const asUser = (cmd: string[]): string[] => (asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', ...cmd] : cmd);

describe('scripts/image-build.sh on a clean clone, as a non-root user', () => {
  it('builds, prunes dev dependencies, and the built CLI serves', async () => {
    const clone = join(work, 'modreview');
    const home = join(work, 'home');
    execFileSync('git', ['clone', '-q', '--no-hardlinks', REPO, clone]);
    mkdirSync(home);
    chmodSync(work, 0o755);
    if (asRoot) execFileSync('chown', ['-R', 'nobody:nogroup', work]);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8' };
    // node-gyp fetches Node's headers unless told where they are; this machine reaches package
    // registries only, and its Node ships the headers in /usr/include/node (root's npmrc says so).
    if (existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';
    const [cmd, ...args] = asUser(['sh', 'scripts/image-build.sh']);
    const build = spawnSync(cmd!, args, { cwd: clone, env, encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(build.status, `${build.stdout}\n${build.stderr}`).toBe(0);
    const cli = join(clone, 'dist', 'src', 'cli.js');
    expect(existsSync(cli)).toBe(true);
    if (asRoot) expect(statSync(cli).uid).toBe(65534);
    const installed = readdirSync(join(clone, 'node_modules'));
    expect(installed).toContain('better-sqlite3');
    expect(installed).toContain('prom-client');
    expect(installed).not.toContain('vitest');
    expect(installed).not.toContain('typescript');

    // The image's start: ENTRYPOINT node bin/modreview.js, CMD serve, state in the user's own dir.
    const data = join(work, 'data');
    mkdirSync(data);
    if (asRoot) execFileSync('chown', ['nobody:nogroup', data]);
    const [scmd, ...sargs] = asUser([process.execPath, join(clone, 'bin', 'modreview.js'), 'serve']);
    const p = spawn(scmd!, sargs, { cwd: data, env: { ...env, HOME: data, NODE_ENV: 'production', SERVE_HOST: '127.0.0.1', SERVE_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
    try {
      const base = await new Promise<string>((resolve, reject) => {
        const seen = (c: Buffer) => {
          out += c.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
          if (m) resolve(m[1]!);
        };
        p.stdout.on('data', seen);
        p.stderr.on('data', seen);
        p.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
      });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^modreview_ready 1$/m);
      p.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('modreview serve: stopped');
    } finally {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    }
  }, 1_500_000);
});
