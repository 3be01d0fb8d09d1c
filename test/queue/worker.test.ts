// `modreview github` with REDIS_URL and `modreview worker`, end to end over a real redis-server:
// a signed webhook POSTed to the server is queued in Redis as data only; a worker takes it,
// authenticates as the installation from the App credentials and reviews the PR against a local
// HTTP server playing the GitHub (Enterprise) API (GHE_HOST). Then the start-up errors (one line,
// exit 2) and the real CLI process stopping on SIGTERM.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readServerConfig, startGithubServer, type RunningServer } from '../../src/commands/github.js';
import { readWorkerConfig, startWorker, type RunningWorker } from '../../src/commands/worker.js';
import { createMetrics } from '../../src/metrics.js';
import type { Outcome } from '../../src/github/review-pr.js';
import { RedisReviewQueue } from '../../src/github/redis-queue.js';
import { fingerprintMarker } from '../../src/report/github.js';
import { GithubStore } from '../../src/store/github.js';
import { openStore } from '../../src/store/db.js';
import { BASE_SHA, DM_LOG, HEAD1, HEAD2, INSTALLATION, checkRunRerequestedPayload, dmLogEexist, fileEntry, finding, prPayload, privateKey, testOctokit } from '../github/helpers.js';
import { closedPort, startRedis, until, type RedisServer } from './redis.js';
import { parseExposition } from '../serve/exposition.js';

const SECRET = 'It\'s a Secret to Everybody';
const R = '/api/v3/repos/kernel-mirror/linux';
const GONE = 4040; // an installation the fake GitHub does not know (the app was uninstalled)
const dm = dmLogEexist();

interface Seen {
  method: string;
  url: string;
  body: any;
  auth: string | undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    req.on('data', (c) => (s += c));
    req.on('end', () => resolve(s));
  });
}

/** The GitHub API as far as one review of PR #2 needs it. */
function fakeGithub(seen: Seen[]): Server {
  return createServer(async (req, res) => {
    const raw = await readBody(req);
    const url = req.url ?? '';
    seen.push({ method: req.method ?? '', url, body: raw ? JSON.parse(raw) : undefined, auth: req.headers.authorization });
    const json = (status: number, data: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(data));
    const route = `${req.method} ${url}`;
    if (route === `POST /api/v3/app/installations/${INSTALLATION}/access_tokens`) return json(201, { token: 'ghs_worker', expires_at: '2099-01-01T00:00:00Z', permissions: {} });
    if (route === `GET ${R}/contents/.github%2Fmodreview.yml?ref=master`) return json(404, { message: 'Not Found' });
    if (route === `POST ${R}/check-runs`) return json(201, { id: 42 });
    if (route === `GET ${R}/pulls/2/files?per_page=100`) return json(200, [fileEntry(DM_LOG, 'modified', dm.patch)]);
    if (route === `GET ${R}/pulls/2`) return json(200, { number: 2, state: 'open', draft: false, title: 't', body: null, head: { sha: HEAD1 }, base: { sha: BASE_SHA } });
    if (route === `GET ${R}/pulls/2/comments?per_page=100`) return json(200, []);
    if (route === `GET ${R}/pulls/2/reviews?per_page=100`) return json(200, []);
    if (route === `POST ${R}/pulls/2/reviews`) return json(200, { id: 77 });
    if (route === `GET ${R}/pulls/2/reviews/77/comments?per_page=100`) return json(200, [{ id: 88, body: fingerprintMarker('a1b2c3d4e5f60718') }]);
    if (route === `PATCH ${R}/check-runs/42`) return json(200, { id: 42 });
    return json(404, { message: `fake GitHub: no route for ${route}` });
  });
}

const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

let redis: RedisServer;
let gh: Server;
let ghPort: number;
const seen: Seen[] = [];
const env = (): NodeJS.ProcessEnv => ({
  APP_ID: '123',
  PRIVATE_KEY: privateKey(),
  WEBHOOK_SECRET: SECRET,
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  GHE_HOST: `127.0.0.1:${ghPort}`,
  GHE_PROTOCOL: 'http',
  MODREVIEW_DB: ':memory:',
  REDIS_URL: redis.url,
});

beforeAll(async () => {
  redis = await startRedis();
  gh = fakeGithub(seen);
  await new Promise<void>((r) => gh.listen(0, '127.0.0.1', () => r()));
  ghPort = (gh.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((r) => (gh ? gh.close(() => r()) : r()));
  await redis?.stop();
});

describe('modreview github (REDIS_URL) → Redis → modreview worker', () => {
  let server: RunningServer;
  let worker: RunningWorker | undefined;
  const outcomes: [string, Outcome][] = [];
  afterAll(async () => {
    await worker?.close();
    await server?.close();
  });

  it('the webhook server queues data only, and makes no GitHub request itself', async () => {
    server = await startGithubServer(readServerConfig(env()), { Octokit: testOctokit(), log: pino({ level: 'silent' }), redis: { prefix: 'chain', attempts: 2, backoffMs: 50 } });
    const body = JSON.stringify(prPayload('opened'));
    const r = await fetch(`http://127.0.0.1:${server.port}/api/github/webhooks`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': 'redis-1', 'x-hub-signature-256': sign(body) },
    });
    expect(r.status).toBe(200);
    await server.app.queue.idle();
    expect(seen).toEqual([]);
    const q = (server.app.queue as RedisReviewQueue).queue;
    const jobs = await q.getJobs(['waiting']);
    expect(jobs.map((j) => j.data)).toEqual([
      {
        key: 'kernel-mirror/linux#2',
        seq: 1,
        request: { installationId: INSTALLATION, owner: 'kernel-mirror', repo: 'linux', number: 2, headSha: HEAD1, defaultBranch: 'master', reason: 'opened', force: false },
      },
    ]);
  });

  // The worker's metrics (what `modreview worker --metrics-port` serves), across the tests below.
  const metrics = createMetrics();

  it('a worker takes the job, authenticates as the installation, and reviews the PR', async () => {
    worker = await startWorker(readWorkerConfig(env(), '2'), {
      metrics,
      review: async () => ({ findings: [finding({ file: DM_LOG, line: dm.line })], skipped: [], images: [], notes: [] }),
      store: new GithubStore(openStore(':memory:')),
      Octokit: testOctokit(),
      log: pino({ level: 'silent' }),
      queue: { prefix: 'chain', lockMs: 1000, stalledIntervalMs: 500 },
      onOutcome: (key, o) => outcomes.push([key, o]),
    });
    await until('the review to finish', () => (outcomes.length ? true : undefined));
    expect(outcomes).toEqual([['kernel-mirror/linux#2', { kind: 'reviewed', conclusion: 'failure', findings: 1, posted: 1, outdated: 0 }]]);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      `POST /api/v3/app/installations/${INSTALLATION}/access_tokens`,
      `GET ${R}/pulls/2`, // the head now: the job carries none of the PR's content
      `GET ${R}/contents/.github%2Fmodreview.yml?ref=master`,
      `POST ${R}/check-runs`,
      `GET ${R}/pulls/2/files?per_page=100`,
      `GET ${R}/pulls/2`,
      `GET ${R}/pulls/2/comments?per_page=100`,
      `GET ${R}/pulls/2/reviews?per_page=100`,
      `POST ${R}/pulls/2/reviews`,
      `GET ${R}/pulls/2/reviews/77/comments?per_page=100`,
      `PATCH ${R}/check-runs/42`,
    ]);
    expect(seen[0]!.auth).toMatch(/^bearer /i); // the App JWT
    expect(seen.slice(1).every((s) => s.auth === 'token ghs_worker')).toBe(true);
    expect(seen.find((s) => s.method === 'POST' && s.url.endsWith('/pulls/2/reviews'))!.body.comments).toEqual([
      { path: DM_LOG, line: dm.line, side: 'RIGHT', body: expect.stringContaining('https://git.kernel.org/linus/54416fd76770') },
    ]);
    const q = (server.app.queue as RedisReviewQueue).queue;
    await until('the job to complete', async () => ((await q.getJobCounts('completed')).completed === 1 ? true : undefined));
    const m = parseExposition(await metrics.registry.metrics());
    expect(m.get('modreview_worker_jobs_total{queue="reviews",outcome="completed"}')).toBe(1);
    expect(m.get('modreview_reviews_total{source="github",outcome="findings"}')).toBe(1);
    expect(m.get('modreview_review_duration_seconds_count{source="github"}')).toBe(1);
  });

  it('an uninstalled app (404 on the token) fails the job at once, without retries', async () => {
    const producer = await RedisReviewQueue.open(redis.url, { prefix: 'chain', attempts: 3, backoffMs: 50 });
    try {
      await producer.push('kernel-mirror/linux#3', { installationId: GONE, owner: 'kernel-mirror', repo: 'linux', number: 3, headSha: HEAD1, defaultBranch: 'master', reason: 'opened', force: false });
      const failed = await until('the job to fail', async () => (await producer.queue.getFailed())[0]);
      expect(failed.attemptsMade).toBe(1);
      expect(failed.failedReason).toMatch(/^kernel-mirror\/linux#3: review: not found \(404\) \(POST \/api\/v3\/app\/installations\/4040\/access_tokens\)/);
      const m = parseExposition(await metrics.registry.metrics());
      expect(m.get('modreview_worker_jobs_total{queue="reviews",outcome="failed"}')).toBe(1);
      expect(m.get('modreview_worker_jobs_total{queue="reviews",outcome="completed"}')).toBe(1);
    } finally {
      await producer.close();
    }
  });

  it('a closed worker takes no new job', async () => {
    await worker!.close();
    const producer = await RedisReviewQueue.open(redis.url, { prefix: 'chain' });
    try {
      await producer.push('kernel-mirror/linux#2', { installationId: INSTALLATION, owner: 'kernel-mirror', repo: 'linux', number: 2, headSha: HEAD1, defaultBranch: 'master', reason: 'synchronize', force: false });
      await new Promise((r) => setTimeout(r, 300));
      expect(await producer.queue.getJobCounts('waiting')).toMatchObject({ waiting: 1 });
    } finally {
      await producer.close();
    }
  });
});

describe('the webhook server with REDIS_URL, more events', () => {
  it('a "Re-run" of the check queues a forced review; a malformed request is refused, not queued', async () => {
    const server = await startGithubServer(readServerConfig(env()), { Octokit: testOctokit(), log: pino({ level: 'silent' }), redis: { prefix: 'rerun' } });
    try {
      const body = JSON.stringify(checkRunRerequestedPayload({ head: HEAD2, number: 7 }));
      const r = await fetch(`http://127.0.0.1:${server.port}/api/github/webhooks`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', 'x-github-event': 'check_run', 'x-github-delivery': 'redis-rerun-1', 'x-hub-signature-256': sign(body) },
      });
      expect(r.status).toBe(200);
      const queue = server.app.queue as RedisReviewQueue;
      expect((await queue.queue.getJobs(['waiting'])).map((j) => j.data.request)).toEqual([
        { installationId: INSTALLATION, owner: 'kernel-mirror', repo: 'linux', number: 7, headSha: HEAD2, defaultBranch: 'master', reason: 'check_run.rerequested', force: true },
      ]);
      await expect(queue.push('kernel-mirror/linux#8', { installationId: INSTALLATION, owner: 'kernel-mirror', repo: 'linux', number: 8, headSha: '$(reboot)', defaultBranch: 'master', reason: 'opened', force: false })).rejects.toThrow(
        /^kernel-mirror\/linux#8: malformed review request: headSha: /,
      );
      expect(await queue.queue.getJobCounts('waiting')).toMatchObject({ waiting: 1 });
    } finally {
      await server.close();
    }
  });
});

describe('start-up errors: one line, exit status 2', () => {
  async function run(args: string[], vars: NodeJS.ProcessEnv): Promise<{ code: number; err: string }> {
    const { main } = await import('../../src/cli.js');
    const saved = { ...process.env };
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      process.env = { ...saved, ...vars };
      for (const [k, v] of Object.entries(vars)) if (v === undefined) delete process.env[k];
      const code = await main(['node', 'modreview', ...args]);
      return { code, err: spy.mock.calls.map((c) => String(c[0])).join('') };
    } finally {
      spy.mockRestore();
      process.env = saved;
    }
  }

  it('modreview worker: missing or malformed REDIS_URL, Redis down, bad --concurrency', async () => {
    const down = await closedPort();
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['worker'], { ...env(), REDIS_URL: undefined }, /^modreview: missing REDIS_URL: set it to the Redis that `modreview github` queues reviews in \(e\.g\. redis:\/\/localhost:6379\)\n$/],
      [['worker'], { ...env(), REDIS_URL: 'localhost:6379' }, /^modreview: REDIS_URL: expected redis:\/\/\[user:password@\]host\[:port\]\[\/db\] \(rediss:\/\/ for TLS\), got "localhost:6379"\n$/],
      [['worker'], { ...env(), REDIS_URL: 'http://u:hunter2@localhost:6379' }, /^modreview: REDIS_URL: expected .*, got "http:\/\/u:\*\*\*@localhost:6379"\n$/],
      [['worker'], { ...env(), REDIS_URL: `redis://127.0.0.1:${down}` }, new RegExp(`^modreview: REDIS_URL: cannot use Redis at 127\\.0\\.0\\.1:${down} \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${down}\\)\\n$`)],
      [['worker', '--concurrency', '0'], env(), /^modreview: --concurrency: expected a number of jobs from 1 to 64, got "0"\n$/],
      [['worker'], { ...env(), APP_ID: undefined }, /^modreview: missing APP_ID: /],
      [['github'], { ...env(), REDIS_URL: `redis://127.0.0.1:${down}` }, new RegExp(`^modreview: REDIS_URL: cannot use Redis at 127\\.0\\.0\\.1:${down} \\(connect ECONNREFUSED`)],
      [['github'], { ...env(), REDIS_URL: '' }, /^modreview: REDIS_URL: expected .*, got an empty value\n$/],
    ];
    for (const [args, vars, expected] of cases) {
      const { code, err } = await run(args, vars);
      expect({ args, code, err }).toEqual({ args, code: 2, err: expect.stringMatching(expected) });
    }
  });
});

describe('modreview worker, the real command in its own process', () => {
  it('starts, says where it takes jobs from, and exits 0 on SIGTERM', async () => {
    const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
    const p = spawn(process.execPath, ['--import', 'tsx', cli, 'worker', '--concurrency', '3'], { env: { ...process.env, ...env(), LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (out += c));
    const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
    await until('the worker to start', () => (out.includes('taking reviews from Redis') ? true : undefined), 30_000);
    expect(out).toContain(`taking reviews from Redis at 127.0.0.1:${redis.port}, 3 at a time`);
    p.kill('SIGTERM');
    const code = await exited;
    expect({ code, signal: p.signalCode, out }).toMatchObject({ code: 0 });
    expect(out).toContain('SIGTERM: taking no new job');
  });
});
