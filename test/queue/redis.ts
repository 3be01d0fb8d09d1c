// A real redis-server for the queue tests (Debian's `redis-server` package), started on
// 127.0.0.1 on a free port with persistence off (or, with `dir`, an append-only file there, so
// that it can be stopped and started again on the same port with its data), and child processes
// playing `modreview worker`.
// A missing redis-server fails the tests with a message saying how to install it: the queue's
// guarantees are only worth what a real Redis shows.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

export interface RedisServer {
  url: string;
  port: number;
  /** Stop it: SIGKILL by default (a crash), SIGTERM for a clean shutdown (Redis writes its data first). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Start it again after stop(), on the same port (and data directory). */
  restart(): Promise<void>;
}

export interface RedisOptions {
  /** Persist to an append-only file in this directory (fsync on every write: a SIGKILL loses nothing acknowledged). */
  dir?: string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A port nothing listens on (for "Redis is down" start-ups). */
export const closedPort = freePort;

export async function startRedis(opts: RedisOptions = {}): Promise<RedisServer> {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'redis-server not found on PATH: the queue tests need a real Redis. Install it with `apt-get install -y redis-server` (Debian/Ubuntu; .ci/run does this before the tests)',
    );
  }
  const port = await freePort();
  const persistence = opts.dir ? ['--dir', opts.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''] : ['--save', '', '--appendonly', 'no'];
  const url = `redis://127.0.0.1:${port}`;
  let proc: ChildProcess;
  const launch = async (): Promise<void> => {
    const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...persistence, '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    let out = '';
    p.stdout!.on('data', (c) => (out += c));
    p.stderr!.on('data', (c) => (out += c));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (p.exitCode !== null) throw new Error(`redis-server exited at start-up (${p.exitCode}):\n${out}`);
      const c = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      c.on('error', () => {});
      try {
        await c.connect();
        // LOADING (the append-only file being read back) is an error reply: not up yet.
        if ((await c.ping()) === 'PONG') break;
      } catch {
        // not up yet
      } finally {
        c.disconnect();
      }
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port} within 10 s:\n${out}`);
      await sleep(50);
    }
  };
  await launch();
  return {
    url,
    port,
    stop: (signal: NodeJS.Signals = 'SIGKILL') =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill(signal);
      }),
    restart: () => launch(),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `probe` until it returns a value (not undefined), or fail after `ms`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

export interface WorkerChild {
  name: string;
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

const CHILD = fileURLToPath(new URL('./worker-child.ts', import.meta.url));

/** Start test/queue/worker-child.ts and wait until it takes jobs. */
export async function startWorkerChild(name: string, env: Record<string, string>): Promise<WorkerChild> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env, WORKER_NAME: name }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  await until(`worker ${name} to be ready`, () => {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`worker ${name} exited (${proc.exitCode ?? proc.signalCode}):\n${out}`);
    return out.includes('ready\n') ? true : undefined;
  }, 30_000);
  return { name, proc, output: () => out, exited };
}

/** What a child worker recorded, in Redis order. */
export interface Event {
  ev: 'start' | 'end' | 'fail';
  worker: string;
  pid: number;
  key: string;
  head: string;
  force: boolean;
  job: string;
  attempt: number;
  t: number;
}

export const eventsKey = (prefix: string): string => `${prefix}:test:events`;

export async function events(redis: Redis, prefix: string, key?: string): Promise<Event[]> {
  const all = (await redis.lrange(eventsKey(prefix), 0, -1)).map((s) => JSON.parse(s) as Event);
  return key ? all.filter((e) => e.key === key) : all;
}
