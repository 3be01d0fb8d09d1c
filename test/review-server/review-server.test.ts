// The warm review path (issue 14): `modreview review-server --socket S` as a real child process
// on a synthetic tree, `modreview review` as real child processes through it (MODREVIEW_SOCKET or
// --server) and in their own process; their stdout must be the same bytes and their exit codes
// equal, for every format. Also: a file edited in place while the server runs is reviewed with
// its new content; a missing socket falls back with one note; bad requests get an error reply
// and the server keeps serving; the socket is 0600 and goes away on SIGTERM.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitDiff } from '../../scripts/accuracy.js';
import { buildIndex } from '../../src/index/build.js';
import type { JsonReport } from '../../src/report/cli.js';
import { register as registerReview } from '../../src/commands/review.js';
import { REVIEW_FLAG_OPTIONS, REVIEW_VALUE_OPTIONS } from '../../src/review-server/client.js';
import { buildId, MAX_REQUEST_BYTES } from '../../src/review-server/protocol.js';
import { openStore } from '../../src/store/db.js';
import { CORE, mainC } from '../helpers/foo-module.js';

const ENTRY = fileURLToPath(new URL('../cli/entry.ts', import.meta.url));
const RECORDER = fileURLToPath(new URL('../cli/record-loads.mjs', import.meta.url));
/** tsx's loader by its path: the processes run from the temporary directory too. */
const TSX = createRequire(import.meta.url).resolve('tsx');


const tmp = mkdtempSync(join(tmpdir(), 'modreview-rs-'));
const tree = join(tmp, 'tree');
const db = join(tmp, 'store.sqlite');
const patch = join(tmp, 'core.patch');
const socket = join(tmp, 'review.sock');

const put = (rel: string, text: string) => {
  mkdirSync(join(tree, rel, '..'), { recursive: true });
  writeFileSync(join(tree, rel), text);
};
/** Every directory of the tree an hour old (a checkout made long ago): the quick check is then stable. */
function backdate(dir = tree): void {
  const old = Date.now() / 1000 - 3600;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) backdate(join(dir, e.name));
  utimesSync(dir, old, old);
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `modreview <args>` as its own process, with `env` on top of this one's (DEBUG and MODREVIEW_SOCKET cleared). */
function cli(args: string[], env: Record<string, string> = {}, input = '', node: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', TSX, ...node, ENTRY, ...args], { env: { ...process.env, DEBUG: '', MODREVIEW_SOCKET: '', ...env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => err.push(b));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    p.stdin.end(input);
  });
}

interface Server {
  proc: ChildProcessWithoutNullStreams;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** `modreview review-server --socket <path>` (or other `args`) as a child process, once its stderr matches `ready`. */
function startServer(path: string, args = ['review-server', '--socket', path], ready = /listening on/, env: Record<string, string> = {}): Promise<Server> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { env: { ...process.env, DEBUG: '', MODREVIEW_SOCKET: '', ...env } });
    let err = '';
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    proc.stderr.on('data', (b: Buffer) => {
      err += b.toString('utf8');
      if (ready.test(err)) resolve({ proc, stderr: () => err, exited });
    });
    void exited.then((code) => reject(new Error(`review-server exited (${code}): ${err}`)));
  });
}

/** One raw line to the socket, the reply line back (parsed). */
function raw(path: string, data: string | Buffer, end = true): Promise<{ v: number; error?: string; stdout?: string; code?: number }> {
  return new Promise((resolve, reject) => {
    const c = createConnection(path);
    const chunks: Buffer[] = [];
    c.on('error', (e: NodeJS.ErrnoException) => {
      // A server that cut off an oversized request may reset the connection after its reply.
      if (chunks.length && e.code === 'ECONNRESET') return;
      reject(e);
    });
    c.on('connect', () => (end ? c.end(data) : c.write(data)));
    c.on('data', (b: Buffer) => {
      chunks.push(b);
      const all = Buffer.concat(chunks);
      const nl = all.indexOf(10);
      if (nl >= 0) {
        c.destroy();
        resolve(JSON.parse(all.subarray(0, nl).toString('utf8')) as { v: number; error?: string });
      }
    });
  });
}

const review = (format: string, extra: string[] = []) => ['review', '--tree', tree, '--db', db, '--format', format, ...extra, patch];
const eexist = (stdout: string) => (JSON.parse(stdout) as JsonReport).findings.filter((f) => f.rule === 'module-init-eexist');

let server: Server;

beforeAll(async () => {
  put('drivers/foo/foo_core.c', CORE);
  put('drivers/foo/foo_main.c', mainC(true));
  put('drivers/other/other.c', 'int other(void)\n{\n\treturn 1;\n}\n');
  writeFileSync(patch, gitDiff('drivers/foo/foo_core.c', CORE, CORE.replace('-EBUSY', '-EEXIST')));
  backdate();
  const store = openStore(db);
  try {
    await buildIndex(tree, { db: store });
  } finally {
    store.close();
  }
  server = await startServer(socket);
}, 120_000);

afterAll(async () => {
  if (server?.proc.exitCode === null) {
    server.proc.kill('SIGTERM');
    await server.exited;
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe('review through the review server', () => {
  it('the socket is a socket of mode 0600', () => {
    const st = statSync(socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it.each(['json', 'sarif', 'text'])('--format %s: the same stdout bytes and exit code as the review in its own process', async (format) => {
    const own = await cli(review(format));
    const served = await cli(review(format), { MODREVIEW_SOCKET: socket });
    expect(served.stderr).toBe(own.stderr);
    expect(served.stderr).not.toContain('reviewing in this process');
    expect(own.code).toBe(1); // the -EEXIST finding
    expect(served.code).toBe(own.code);
    expect(served.stdout).toBe(own.stdout);
    expect(served.stdout.length).toBeGreaterThan(100);
    const quiet = await cli(review(format, ['--fail-on', 'never']), { MODREVIEW_SOCKET: socket });
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toBe(own.stdout);
  }, 60_000);

  it('--server PATH, the patch on standard input, a relative --tree from the working directory: the same as in its own process', async () => {
    const args = ['review', '--tree', 'tree', '--db', db, '--format', 'json', '--server', socket, '-'];
    const input = readFileSync(patch, 'utf8');
    const own = await new Promise<Run>((resolve) => {
      const r = spawnSync(process.execPath, ['--import', TSX, ENTRY, ...args.filter((a, i) => a !== '--server' && args[i - 1] !== '--server')], { cwd: tmp, input, encoding: 'utf8', env: { ...process.env, DEBUG: '', MODREVIEW_SOCKET: '' } });
      resolve({ code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr });
    });
    const served = spawnSync(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd: tmp, input, encoding: 'utf8', env: { ...process.env, DEBUG: '', MODREVIEW_SOCKET: '' } });
    expect(served.stderr).toBe('');
    expect(served.status).toBe(own.code);
    expect(served.stdout).toBe(own.stdout);
    expect(eexist(served.stdout)).toHaveLength(1);
  }, 60_000);

  it('a review through the socket loads neither commander, tree-sitter, better-sqlite3 nor the engine in the client', () => {
    const file = join(tmp, 'loads.txt');
    const r = spawnSync(process.execPath, ['--import', TSX, '--import', RECORDER, ENTRY, ...review('json')], {
      env: { ...process.env, DEBUG: '', MODREVIEW_SOCKET: socket, MODREVIEW_RECORD_LOADS: file },
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(eexist(r.stdout)).toHaveLength(1);
    const urls = readFileSync(file, 'utf8').split('\n');
    expect(urls.some((u) => u.includes('/src/review-server/client.ts'))).toBe(true); // the recorder works
    for (const p of ['commander', 'tree-sitter', 'tree-sitter-c', 'better-sqlite3']) expect(urls.some((u) => u.includes(`/node_modules/${p}/`)), p).toBe(false);
    expect(urls.filter((u) => /\/src\/(engine|c|index|store|ingest|report)\/|\/src\/commands\/(?!registry)/.test(u))).toEqual([]);
  });

  it('a file edited in place after the server started is reviewed with its new content (the freshness check runs per review)', async () => {
    const before = await cli(review('json'), { MODREVIEW_SOCKET: socket });
    expect(eexist(before.stdout)).toHaveLength(1);
    // foo_init() no longer returns foo_core_register()'s result: the -EEXIST no longer reaches modprobe.
    // Written in place (the directory does not change), as `cat > file` or an editor writing in place would.
    writeFileSync(join(tree, 'drivers/foo/foo_main.c'), mainC(false));
    try {
      const after = await cli(review('json'), { MODREVIEW_SOCKET: socket });
      expect(after.stderr).not.toContain('reviewing in this process');
      expect(eexist(after.stdout)).toEqual([]);
      expect((JSON.parse(after.stdout) as JsonReport).notes.join('\n')).toContain('drivers/foo/foo_main.c');
      const own = await cli(review('json'));
      expect(JSON.parse(own.stdout).findings).toEqual(JSON.parse(after.stdout).findings);
      expect(after.code).toBe(own.code);
    } finally {
      // Back through a new directory entry (as git or an editor saving through a rename does):
      // the quick check sees it although no answer of the review reads foo_main.c's rows now.
      writeFileSync(join(tree, 'drivers/foo/foo_main.c.new'), mainC(true));
      renameSync(join(tree, 'drivers/foo/foo_main.c.new'), join(tree, 'drivers/foo/foo_main.c'));
      // Old again (a directory changed in the last 2 s counts as changed on the next review too,
      // in any process: the later tests compare two reviews' notes).
      backdate();
    }
    // And back: the finding again, through the same warm server.
    expect(eexist((await cli(review('json'), { MODREVIEW_SOCKET: socket })).stdout)).toHaveLength(1);
  }, 60_000);

  it('MODREVIEW_SOCKET naming a missing socket: one note on stderr, the review in-process, the same stdout and exit code', async () => {
    const own = await cli(review('json'));
    const missing = join(tmp, 'nobody-here.sock');
    const r = await cli(review('json'), { MODREVIEW_SOCKET: missing });
    expect(r.stderr).toBe(`modreview: review server ${missing}: no such socket; reviewing in this process\n${own.stderr}`);
    expect(r.code).toBe(own.code);
    expect(r.stdout).toBe(own.stdout);
    // A path that is not a socket, and standard input read once though the server was not used:
    const notSocket = await cli(['review', '--tree', tree, '--db', db, '--format', 'json', '-'], { MODREVIEW_SOCKET: patch }, readFileSync(patch, 'utf8'));
    expect(notSocket.stderr).toContain(`review server ${patch}: not a socket; reviewing in this process`);
    expect(notSocket.stdout).toBe(own.stdout);
  }, 60_000);

  it('bad requests get an error reply, and the server keeps serving', async () => {
    expect(await raw(socket, 'hello\n')).toEqual({ v: 1, error: 'bad request: not JSON' });
    expect((await raw(socket, '{"v":1}')).error).toMatch(/^bad request: no complete line/);
    expect((await raw(socket, '[1,2]\n')).error).toBe('bad request: not a JSON object');
    expect((await raw(socket, '{"v":99}\n')).error).toMatch(/^bad request: protocol version 99/);
    const req = { v: 1, build: buildId(), args: ['review', '--format', 'json', '-'], cwd: tmp, env: {}, file: '-', input: Buffer.from('not a patch').toString('base64') };
    expect((await raw(socket, `${JSON.stringify({ ...req, input: '%%%' })}\n`)).error).toBe('bad request: input must be base64');
    expect((await raw(socket, `${JSON.stringify({ ...req, args: ['index', '--tree', tree] })}\n`)).error).toBe('bad request: only `review` is served');
    expect((await raw(socket, `${JSON.stringify({ ...req, build: 'another' })}\n`)).error).toMatch(/another build/);
    expect((await raw(socket, `${JSON.stringify({ ...req, cwd: join(tmp, 'gone') })}\n`)).error).toMatch(/^cannot enter the working directory/);
    // A request that is not a patch is a review's own error (exit 2), as in a process of its own.
    const notPatch = await raw(socket, `${JSON.stringify(req)}\n`);
    expect(notPatch).toMatchObject({ v: 1, code: 2, stdout: '' });
    // Over the size limit, without a newline: refused before it is all read.
    const big = await raw(socket, Buffer.alloc(MAX_REQUEST_BYTES + 1024, 'a'), false);
    expect(big.error).toBe(`request too large: over ${MAX_REQUEST_BYTES >> 20} MB`);
    const after = await cli(review('json'), { MODREVIEW_SOCKET: socket });
    expect(after.stderr).toBe('');
    expect(eexist(after.stdout)).toHaveLength(1);
  }, 60_000);

  it('the client knows which review options take a value, as the command defines them', () => {
    const program = new Command();
    registerReview(program, () => {});
    const cmd = program.commands.find((c) => c.name() === 'review')!;
    const withValue = cmd.options.filter((o) => o.required || o.optional).map((o) => o.long);
    const flags = cmd.options.filter((o) => !o.required && !o.optional).map((o) => o.long);
    expect(new Set(withValue)).toEqual(new Set(REVIEW_VALUE_OPTIONS));
    expect(new Set(flags)).toEqual(new Set(REVIEW_FLAG_OPTIONS));
  });
});

describe('review-server start and stop', () => {
  it('refuses a socket in a directory others may write, and a path where a server already listens', async () => {
    const open = join(tmp, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const r = await cli(['review-server', '--socket', join(open, 's.sock')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is writable by others \(mode 777\)/);
    const twice = await cli(['review-server', '--socket', socket]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain(`a server already listens on ${socket}`);
  }, 60_000);

  it('SIGTERM closes the socket, removes its file and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modreview-rs-stop-'));
    try {
      const path = join(dir, 's.sock');
      const s = await startServer(path);
      expect(existsSync(path)).toBe(true);
      s.proc.kill('SIGTERM');
      expect(await s.exited).toBe(0);
      expect(existsSync(path)).toBe(false);
      expect(s.stderr()).toContain('stopped');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('`modreview serve --socket PATH` answers reviews on the socket beside its HTTP endpoints, and removes it on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modreview-rs-serve-'));
    try {
      const path = join(dir, 's.sock');
      const env = { SERVE_PORT: '0', SERVE_HOST: '127.0.0.1', APP_ID: '', REDIS_URL: '', MODREVIEW_LORE_CONFIG: '' };
      const s = await startServer(path, ['serve', '--socket', path], /review socket: listening on[\s\S]*listening on http:\/\/|listening on http:\/\/[\s\S]*review socket: listening on/, env);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const own = await cli(review('json'));
      const served = await cli(review('json'), { MODREVIEW_SOCKET: path });
      expect(served.stderr).toBe(own.stderr);
      expect(served.code).toBe(own.code);
      expect(served.stdout).toBe(own.stdout);
      expect(s.stderr()).toMatch(/review socket: review: exit 1 in \d+ ms/);
      s.proc.kill('SIGTERM');
      expect(await s.exited).toBe(0);
      expect(existsSync(path)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
