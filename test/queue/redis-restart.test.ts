// Redis restarted while jobs are queued and one is in flight: no job is lost and none runs twice.
// A real redis-server with an append-only file (fsync on every write) in a data directory is
// stopped — killed (SIGKILL, a crash) for the GitHub queue, shut down (SIGTERM) for the lore
// queue — while a worker's review is held in the middle of its first job and the others wait in
// Redis; then started again on the same port and directory, and the review let go. The workers
// and producers reconnect by themselves (ioredis retries forever; BullMQ's worker connections
// have maxRetriesPerRequest null), and every job completes exactly once:
// - GitHub: the real job handler against GitHub played by nock: one check run opened and
//   completed per PR, one review posted for the PR with a finding, one row per PR in the store;
// - lore: `modreview serve` (in this process) ingests and enqueues, a worker with the real
//   responder reviews: each series stored once, one reply, delivered once by serve's later pass.
// Then the real `modreview worker` process across a Redis crash: it logs the outage once, takes a
// job queued after the restart, and exits 0 on SIGTERM even while Redis is down.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Queue } from 'bullmq';
import nock from 'nock';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startServe, type RunningServe } from '../../src/commands/serve.js';
import { readWorkerConfig, startWorker, type RunningWorker } from '../../src/commands/worker.js';
import { RedisReviewQueue, type ReviewRequest } from '../../src/github/redis-queue.js';
import type { Outcome } from '../../src/github/review-pr.js';
import { startLoreWorker, type RunningLoreWorker } from '../../src/lore/queue.js';
import { GithubStore } from '../../src/store/github.js';
import type { ReviewFn } from '../../src/engine/api.js';
import { DM_LOG, HEAD1, HEAD2, INSTALLATION, checkRunAnswer, dmLogEexist, fileEntry, finding, github, privateKey, pullAnswer, repoPath, testOctokit, type Recorded } from '../github/helpers.js';
import { cleanup, crossFilePatch, mail, patchBody, scratch, smallTree, TestInbox } from '../lore/helpers.js';
import { parseExposition } from '../serve/exposition.js';
import { sleep, startRedis, until, type RedisServer } from './redis.js';

const HEAD3 = '5c0f1e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3';
const HEADS: Record<number, string> = { 2: HEAD1, 3: HEAD2, 4: HEAD3 };
const silent = pino({ level: 'silent' });

/** A promise and the function that settles it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('Redis restarted → no GitHub job lost, none run twice', () => {
  let dir: string;
  let redis: RedisServer;
  let worker: RunningWorker | undefined;
  let producer: RedisReviewQueue | undefined;
  // Lets a held review go (a test that failed half-way must not leave the worker waiting on it).
  let release = (): void => {};
  const unmatched: string[] = [];
  const onNoMatch = (req: { method?: string; path?: string }) => unmatched.push(`${req.method} ${req.path}`);
  beforeAll(async () => {
    dir = scratch('modreview-redis-restart-gh-');
    mkdirSync(join(dir, 'redis'));
    redis = await startRedis({ dir: join(dir, 'redis') });
    nock.disableNetConnect();
    nock.emitter.on('no match', onNoMatch);
  });
  afterAll(async () => {
    release();
    await worker?.close();
    await producer?.close();
    await redis?.stop();
    nock.emitter.off('no match', onNoMatch);
    nock.cleanAll();
    nock.enableNetConnect();
    if (dir) cleanup(dir);
  });

  it('a review in flight and two queued jobs when Redis crashes: after its restart each PR is reviewed once', async () => {
    const dm = dmLogEexist();
    const rec: Recorded[] = [];
    const api = github(rec);
    // GitHub, as its REST API answers, for PRs 2, 3 and 4 (persisted: a second review would be
    // answered too, and seen in `rec`, rather than fail as an unmatched request).
    api.post(`/app/installations/${INSTALLATION}/access_tokens`).reply(201, { token: 'ghs_restart', expires_at: '2099-01-01T00:00:00Z', permissions: { checks: 'write', pull_requests: 'write', contents: 'read', metadata: 'read' } }).persist();
    api.get(`${repoPath}/contents/.github%2Fmodreview.yml?ref=master`).reply(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/repos/contents#get-repository-content', status: '404' }).persist();
    api
      .post(`${repoPath}/check-runs`)
      .reply(201, (_uri, body) => {
        const head = (body as { head_sha: string }).head_sha;
        const n = Number(Object.entries(HEADS).find(([, h]) => h === head)![0]);
        return checkRunAnswer(500 + n, head);
      })
      .persist();
    for (const n of [2, 3, 4]) {
      api.get(`${repoPath}/pulls/${n}`).reply(200, pullAnswer(n, { head: HEADS[n]!, title: `PR ${n}: dm log: return -EEXIST for a duplicate log type` })).persist();
      api.get(`${repoPath}/pulls/${n}/files?per_page=100`).reply(200, [fileEntry(DM_LOG, 'modified', dm.patch)]).persist();
      api.patch(`${repoPath}/check-runs/${500 + n}`).reply(200, (_uri, body) => ({ ...checkRunAnswer(500 + n, HEADS[n]!), ...(body as object) })).persist();
    }
    api.get(`${repoPath}/pulls/2/comments?per_page=100`).reply(200, []).persist();
    api.get(`${repoPath}/pulls/2/reviews?per_page=100`).reply(200, []).persist();
    api.post(`${repoPath}/pulls/2/reviews`).reply(200, { id: 9002, node_id: 'PRR_kwDOA', state: 'COMMENTED', commit_id: HEAD1, html_url: 'https://github.com/kernel-mirror/linux/pull/2#pullrequestreview-9002' }).persist();
    api
      .get(`${repoPath}/pulls/2/reviews/9002/comments?per_page=100`)
      .reply(200, () => rec.find((r) => r.path === `${repoPath}/pulls/2/reviews`)!.body.comments.map((c: { body: string }, i: number) => ({ id: 300 + i, pull_request_review_id: 9002, body: c.body })))
      .persist();

    const db = join(dir, 'github.sqlite');
    const env: NodeJS.ProcessEnv = { APP_ID: '123', PRIVATE_KEY: privateKey(), LOG_LEVEL: 'silent', MODREVIEW_DB: db, REDIS_URL: redis.url };
    producer = await RedisReviewQueue.open(redis.url, { prefix: 'restart', attempts: 3, backoffMs: 200 });
    for (const n of [2, 3, 4]) {
      const request: ReviewRequest = { installationId: INSTALLATION, owner: 'kernel-mirror', repo: 'linux', number: n, headSha: HEADS[n]!, defaultBranch: 'master', reason: 'opened', force: false };
      await producer.push(`kernel-mirror/linux#${n}`, request);
    }

    // The first review holds until Redis has been restarted; PR 2's finds the -EEXIST.
    const inFlight = gate();
    const letGo = gate();
    release = letGo.open;
    const reviewed: number[] = [];
    const review: ReviewFn = async (sub) => {
      const n = Number(/^PR (\d+):/.exec(sub.series.subject)![1]);
      reviewed.push(n);
      if (reviewed.length === 1) {
        inFlight.open();
        await letGo.promise;
      }
      return { findings: n === 2 ? [finding({ file: DM_LOG, line: dm.line })] : [], skipped: [], images: [], notes: [] };
    };
    const outcomes: [string, Outcome][] = [];
    worker = await startWorker(readWorkerConfig(env, '1'), {
      review,
      Octokit: testOctokit(),
      log: silent,
      // The job lock outlives the restart: the job in flight stays this worker's.
      queue: { prefix: 'restart', lockMs: 20_000, stalledIntervalMs: 5_000, lockRetryMs: 100 },
      onOutcome: (key, o) => outcomes.push([key, o]),
    });
    await inFlight.promise;
    const q = producer.queue;
    expect(await q.getJobCounts('active', 'waiting')).toMatchObject({ active: 1, waiting: 2 });

    // Redis crashes (SIGKILL) with one job active and two waiting; the worker keeps reconnecting.
    await redis.stop('SIGKILL');
    await sleep(500);
    await redis.restart();
    letGo.open();

    await until('the three jobs to complete', async () => ((await q.getJobCounts('completed')).completed === 3 ? true : undefined), 60_000);
    expect(await q.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed')).toMatchObject({ completed: 3, failed: 0, active: 0, waiting: 0, delayed: 0 });
    expect(unmatched).toEqual([]);
    // Each PR reviewed once, in the order queued; nothing posted twice.
    expect(reviewed).toEqual([2, 3, 4]);
    expect(outcomes).toEqual([
      ['kernel-mirror/linux#2', { kind: 'reviewed', conclusion: 'failure', findings: 1, posted: 1, outdated: 0 }],
      ['kernel-mirror/linux#3', { kind: 'reviewed', conclusion: 'success', findings: 0, posted: 0, outdated: 0 }],
      ['kernel-mirror/linux#4', { kind: 'reviewed', conclusion: 'success', findings: 0, posted: 0, outdated: 0 }],
    ]);
    const created = rec.filter((r) => r.method === 'POST' && r.path === `${repoPath}/check-runs`).map((r) => r.body.head_sha);
    expect(created).toEqual([HEAD1, HEAD2, HEAD3]);
    expect(rec.filter((r) => r.method === 'POST' && r.path.endsWith('/reviews'))).toHaveLength(1);
    for (const n of [2, 3, 4]) {
      const completed = rec.filter((r) => r.method === 'PATCH' && r.path === `${repoPath}/check-runs/${500 + n}` && r.body.status === 'completed');
      expect(completed, `PR ${n}`).toHaveLength(1);
    }
    const s = new Database(db, { readonly: true });
    try {
      expect(s.prepare('SELECT pr, head_sha, check_run_id, conclusion, findings, check_run_url FROM github_reviews ORDER BY pr').all()).toEqual([
        { pr: 2, head_sha: HEAD1, check_run_id: 502, conclusion: 'failure', findings: 1, check_run_url: 'https://github.com/kernel-mirror/linux/runs/502' },
        { pr: 3, head_sha: HEAD2, check_run_id: 503, conclusion: 'success', findings: 0, check_run_url: 'https://github.com/kernel-mirror/linux/runs/503' },
        { pr: 4, head_sha: HEAD3, check_run_id: 504, conclusion: 'success', findings: 0, check_run_url: 'https://github.com/kernel-mirror/linux/runs/504' },
      ]);
      expect(s.prepare('SELECT pr, fingerprint FROM github_posted').all()).toEqual([{ pr: 2, fingerprint: 'a1b2c3d4e5f60718' }]);
    } finally {
      s.close();
    }
  }, 120_000);
});

describe('Redis restarted → no lore job lost, none run twice', () => {
  let dir: string;
  let redis: RedisServer;
  let serve: RunningServe | undefined;
  let worker: RunningLoreWorker | undefined;
  let closeDb = (): void => {};
  let release = (): void => {};
  const children = new Set<ChildProcess>();
  let box: TestInbox;
  beforeAll(async () => {
    dir = scratch('modreview-redis-restart-lore-');
    mkdirSync(join(dir, 'redis'));
    redis = await startRedis({ dir: join(dir, 'redis') });
    await smallTree(dir);
    box = new TestInbox(join(dir, 'inbox'));
    await box.add(mail({ msgid: 'r1@example.org', subject: '[PATCH] foo: report duplicate types as -EEXIST', body: crossFilePatch() }));
    await box.add(mail({ msgid: 'r2@example.org', subject: '[PATCH] bar: busy', body: patchBody({ file: 'drivers/bar.c', fn: 'bar_register', eexist: false }) }));
    await box.add(mail({ msgid: 'r3@example.org', subject: '[PATCH] baz: busy', body: patchBody({ file: 'drivers/baz.c', fn: 'baz_register', eexist: false }) }));
    await box.publish();
    writeFileSync(
      join(dir, 'lore.yaml'),
      `db: state.sqlite\ncache_dir: cache\ntree: linux\nwait_minutes: 0\nbot: { name: modreview, address: bot@example.net }\ninboxes:\n  - { name: s, url: inbox }\noutbox: outbox\npolicy:\n  lists:\n    s: { mute: false }\n`,
    );
  }, 120_000);
  afterAll(async () => {
    release();
    for (const p of children) p.kill('SIGKILL');
    await worker?.close();
    closeDb();
    await serve?.close();
    await redis?.stop();
    if (dir) cleanup(dir);
  });

  const series = () => {
    const s = new Database(join(dir, 'state.sqlite'), { readonly: true });
    try {
      return s.prepare(`SELECT subject, state FROM lore_series ORDER BY id`).all() as { subject: string; state: string }[];
    } finally {
      s.close();
    }
  };
  const sent = () => {
    const d = join(dir, 'outbox', 'new');
    try {
      return readdirSync(d);
    } catch {
      return [];
    }
  };

  it('serve queued three series, one is being reviewed when Redis shuts down: after its restart each is reviewed, stored and answered once', async () => {
    const lore = await import('../../src/commands/lore.js');
    const { responder, db } = await lore.createResponder(lore.loadConfig(join(dir, 'lore.yaml')), silent);
    closeDb = () => db.close();
    const inFlight = gate();
    const letGo = gate();
    release = letGo.open;
    const outcomes: string[] = [];
    let held = false;
    worker = await startLoreWorker(
      redis.url,
      async (job) => {
        if (!held) {
          held = true;
          inFlight.open();
          await letGo.promise;
        }
        const outcome = await responder.reviewQueued(job);
        outcomes.push(`${job.key}: ${outcome}`);
        return { outcome };
      },
      { lockMs: 20_000, stalledIntervalMs: 5_000, lockRetryMs: 100 },
    );
    await worker.ready();
    // serve ingests and enqueues (REDIS_URL); a pass every second delivers what the worker answered.
    serve = await startServe({ host: '127.0.0.1', port: 0, log_level: 'silent', lore_config: join(dir, 'lore.yaml'), lore_interval_seconds: 1 }, { REDIS_URL: redis.url });
    const base = `http://127.0.0.1:${serve.port}`;
    await inFlight.promise;
    const q = new Queue('lore', { connection: { url: redis.url, maxRetriesPerRequest: null }, prefix: 'modreview' });
    q.on('error', () => {});
    try {
      await until('the other two series to wait in Redis', async () => ((await q.getJobCounts('waiting')).waiting === 2 ? true : undefined));
      expect(await q.getJobCounts('active')).toMatchObject({ active: 1 });

      // A clean shutdown (SIGTERM: Redis writes its data and exits), then the same port and directory again.
      await redis.stop('SIGTERM');
      await sleep(500);
      await redis.restart();
      letGo.open();

      await until('the three jobs to complete', async () => ((await q.getJobCounts('completed')).completed === 3 ? true : undefined), 60_000);
      expect(await q.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed')).toMatchObject({ completed: 3, failed: 0, active: 0, waiting: 0, delayed: 0 });
      expect(outcomes.sort()).toEqual([expect.stringMatching(/: reviewed$/), expect.stringMatching(/: reviewed$/), expect.stringMatching(/: reviewed$/)]);
      expect(series().map((s) => `${s.subject} ${s.state}`).sort()).toEqual(['bar: busy reviewed', 'baz: busy reviewed', 'foo: report duplicate types as -EEXIST reviewed']);
      // The -EEXIST series' reply, delivered by serve's next pass, once.
      await until('the reply to be delivered', () => (sent().length > 0 ? true : undefined), 30_000);
      const passes = async () => parseExposition(await (await fetch(`${base}/metrics`)).text()).get('modreview_lore_passes_total{outcome="ok"}') ?? 0;
      const after = await passes();
      await until('two more serve passes', async () => ((await passes()) >= after + 2 ? true : undefined), 30_000);
      expect(sent()).toHaveLength(1);
      const s = new Database(join(dir, 'state.sqlite'), { readonly: true });
      try {
        expect(s.prepare(`SELECT in_reply_to FROM outbox`).all()).toEqual([{ in_reply_to: 'r1@example.org' }]);
        expect((s.prepare(`SELECT COUNT(*) AS n FROM lore_message WHERE status IN ('pending', 'queued')`).get() as { n: number }).n).toBe(0);
      } finally {
        s.close();
      }
      // serve's own Redis connection came back too: its queue gauges read the restarted Redis.
      const m = parseExposition(await (await fetch(`${base}/metrics`)).text());
      expect(m.get('modreview_queue_jobs{queue="lore",state="completed"}')).toBe(3);
    } finally {
      await q.close();
    }
  }, 180_000);

  it('the real `modreview worker` process lives through a Redis crash, a series queued after the restart is reviewed, and the worker exits 0 on SIGTERM', async () => {
    await worker?.close();
    worker = undefined;
    const entry = fileURLToPath(new URL('../cli/entry.ts', import.meta.url));
    const p = spawn(process.execPath, ['--import', 'tsx', entry, 'worker', '--lore-config', join(dir, 'lore.yaml')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, APP_ID: '', DEBUG: '', REDIS_URL: redis.url, MODREVIEW_QUEUE_LOCK_MS: '5000', MODREVIEW_QUEUE_STALLED_MS: '1000' },
    });
    children.add(p);
    let out = '';
    p.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    onTestFinished((t) => {
      if (t.task.result?.state === 'fail') process.stderr.write(`modreview worker's output:\n${out}\n`);
    });
    await until('the worker to take lore jobs', () => {
      if (p.exitCode !== null) throw new Error(`worker exited ${p.exitCode}:\n${out}`);
      return out.includes('taking lore series from Redis') ? true : undefined;
    }, 60_000);
    await redis.stop('SIGKILL');
    await sleep(1000);
    expect(p.exitCode).toBeNull();
    await redis.restart();
    // A new series, queued by serve's next pass into the restarted Redis.
    await box.add(mail({ msgid: 'r4@example.org', subject: '[PATCH] qux: busy', body: patchBody({ file: 'drivers/qux.c', fn: 'qux_register', eexist: false }) }));
    await box.publish();
    await until('serve to queue and the worker to review the new series', () => (series().filter((x) => x.state === 'reviewed').length === 4 ? true : undefined), 60_000);
    // (serve's own pass may review it first: which consumer takes it is not fixed)
    expect(p.exitCode).toBeNull();
    // The outage was logged once, and the return once (not an error line per reconnection try).
    expect(out.match(/lost Redis at/g)).toHaveLength(1);
    expect(out.match(/is back; taking jobs again/g)).toHaveLength(1);
    expect(out).not.toMatch(/"level":50/);
    // Redis gone again, for good this time: SIGTERM still stops the worker, exit status 0.
    await redis.stop('SIGKILL');
    await until('the worker to notice', () => (out.match(/lost Redis at/g)?.length === 2 ? true : undefined), 30_000);
    p.kill('SIGTERM');
    expect(await Promise.race([exited, sleep(30_000).then(() => 'still running 30 s after SIGTERM')])).toBe(0);
    expect(out).toContain('lore worker: Redis unreachable while stopping; stopping without it');
    await redis.restart();
  }, 180_000);
});
