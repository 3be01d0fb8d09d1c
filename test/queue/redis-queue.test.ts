// The Redis review queue against a real redis-server, with two worker processes (each taking two
// jobs at once) and this process as the producer (the webhook server's side). The workers record
// every run in Redis; the assertions are on those records and on BullMQ's own job states.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisReviewQueue, type ReviewRequest } from '../../src/github/redis-queue.js';
import { events, sleep, startRedis, startWorkerChild, until, type Event, type RedisServer, type WorkerChild } from './redis.js';

const PREFIX = 'mrtest';
let server: RedisServer;
let redis: Redis;
let producer: RedisReviewQueue;
const workers: WorkerChild[] = [];

const sha = (n: number): string => n.toString(16).padStart(40, '0');
const request = (number: number, head: number, o: Partial<ReviewRequest> = {}): ReviewRequest => ({
  installationId: 2311213,
  owner: 'kernel-mirror',
  repo: 'linux',
  number,
  headSha: sha(head),
  defaultBranch: 'master',
  reason: 'synchronize',
  force: false,
  ...o,
});
const keyOf = (n: number): string => `kernel-mirror/linux#${n}`;
const push = (n: number, head: number, o?: Partial<ReviewRequest>): Promise<void> => producer.push(keyOf(n), request(n, head, o));

/** No job of the queue is waiting, delayed or running (twice in a row, to see past a hand-over). */
async function settled(): Promise<void> {
  let quiet = 0;
  await until(
    'the queue to settle',
    async () => {
      const c = await producer.queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
      quiet = Object.values(c).every((n) => n === 0) ? quiet + 1 : 0;
      return quiet >= 3 ? true : undefined;
    },
    20_000,
  );
}

/** Runs (start → end or fail) of each worker process, for overlap checks. */
function runs(evs: Event[]): { key: string; worker: string; head: string; from: number; to: number }[] {
  const open = new Map<string, Event>();
  const out: { key: string; worker: string; head: string; from: number; to: number }[] = [];
  for (const e of evs) {
    const id = `${e.pid}/${e.job}/${e.attempt}`;
    if (e.ev === 'start') open.set(id, e);
    else {
      const s = open.get(id)!;
      open.delete(id);
      out.push({ key: e.key, worker: e.worker, head: e.head, from: s.t, to: e.t });
    }
  }
  return out;
}

function maxOverlap(rs: { from: number; to: number }[]): number {
  const points = rs.flatMap((r) => [
    [r.from, 1],
    [r.to, -1],
  ]) as [number, number][];
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of points) max = Math.max(max, (cur += d));
  return max;
}

const workMs = (ms: number): Promise<unknown> => redis.set(`${PREFIX}:test:work-ms`, String(ms));

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
  producer = await RedisReviewQueue.open(server.url, { prefix: PREFIX, attempts: 3, backoffMs: 100 });
  const env = { REDIS_URL: server.url, PREFIX, CONCURRENCY: '2' };
  workers.push(...(await Promise.all([startWorkerChild('w1', env), startWorkerChild('w2', env)])));
});

afterAll(async () => {
  for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGKILL');
  await producer?.close();
  redis?.disconnect();
  await server?.stop();
});

describe('RedisReviewQueue with two worker processes', () => {
  it('a burst for one PR runs serially and collapses to the latest head', async () => {
    await workMs(800);
    await push(1, 1);
    await until('the first review of #1 to start', async () => ((await events(redis, PREFIX, keyOf(1))).length ? true : undefined));
    // Eight pushes while the first review runs: four worker slots are free, none may take #1.
    for (let h = 2; h <= 9; h++) await push(1, h);
    // And a burst for #2 before any worker has seen it.
    for (let h = 1; h <= 5; h++) await push(2, 100 + h);
    await settled();

    const one = await events(redis, PREFIX, keyOf(1));
    expect(one.map((e) => `${e.ev} ${e.head}`)).toEqual([`start ${sha(1)}`, `end ${sha(1)}`, `start ${sha(9)}`, `end ${sha(9)}`]);
    expect(one[2]!.t).toBeGreaterThanOrEqual(one[1]!.t);
    const two = runs(await events(redis, PREFIX, keyOf(2)));
    expect(two.length).toBeGreaterThanOrEqual(1);
    expect(two.length).toBeLessThanOrEqual(2);
    expect(two.at(-1)!.head).toBe(sha(105));
    expect(maxOverlap(two)).toBe(1);
    // BullMQ held at most one follow-up job per PR: 2 + at most 2 jobs ran, not 1 + 8 + 5.
    const completed = await producer.queue.getJobs(['completed']);
    expect(completed.filter((j) => j.data.key === keyOf(1))).toHaveLength(2);
    expect(completed.filter((j) => j.data.key === keyOf(2)).length).toBeLessThanOrEqual(2);
  });

  it('different PRs are reviewed in parallel, on both workers', async () => {
    await redis.del(`${PREFIX}:test:events`);
    await workMs(600);
    for (let n = 11; n <= 14; n++) await push(n, n);
    await settled();
    const rs = runs(await events(redis, PREFIX));
    expect(rs.map((r) => r.key).sort()).toEqual([11, 12, 13, 14].map(keyOf));
    expect(new Set(rs.map((r) => r.worker))).toEqual(new Set(['w1', 'w2']));
    // Four slots, four PRs of 600 ms each: at once, not one after the other as within one PR.
    expect(maxOverlap(rs)).toBeGreaterThanOrEqual(3);
  });

  it('retries a failing review with exponential backoff, then leaves it visible as failed', async () => {
    await redis.del(`${PREFIX}:test:events`);
    await workMs(20);
    await redis.set(`${PREFIX}:test:fail:${keyOf(21)}`, '2'); // fails twice, then succeeds
    await redis.set(`${PREFIX}:test:fail:${keyOf(22)}`, '99'); // never succeeds
    await push(21, 21);
    await push(22, 22);
    await settled();

    const ok = (await events(redis, PREFIX, keyOf(21))).filter((e) => e.ev === 'start');
    expect(ok.map((e) => e.attempt)).toEqual([1, 2, 3]);
    // backoff 100 ms, doubled: at least 100 ms before the 2nd try and 200 ms before the 3rd.
    expect(ok[1]!.t - ok[0]!.t).toBeGreaterThanOrEqual(100);
    expect(ok[2]!.t - ok[1]!.t).toBeGreaterThanOrEqual(200);
    expect((await events(redis, PREFIX, keyOf(21))).at(-1)!.ev).toBe('end');

    const bad = (await events(redis, PREFIX, keyOf(22))).map((e) => `${e.ev} ${e.attempt}`);
    expect(bad).toEqual(['start 1', 'fail 1', 'start 2', 'fail 2', 'start 3', 'fail 3']);
    const failed = (await producer.queue.getFailed()).filter((j) => j.data.key === keyOf(22));
    expect(failed).toHaveLength(1);
    expect(failed[0]!.attemptsMade).toBe(3);
    expect(failed[0]!.failedReason).toBe('injected failure');

    // A failed PR is not stuck: the next push reviews it.
    await redis.del(`${PREFIX}:test:fail:${keyOf(22)}`);
    await push(22, 23);
    await settled();
    expect((await events(redis, PREFIX, keyOf(22))).slice(-2).map((e) => `${e.ev} ${e.head}`)).toEqual([`start ${sha(23)}`, `end ${sha(23)}`]);
  });

  it('a "Re-run" folded into a pending push still forces the review', async () => {
    await redis.del(`${PREFIX}:test:events`);
    await workMs(400);
    await push(31, 1);
    await until('#31 to start', async () => ((await events(redis, PREFIX, keyOf(31))).length ? true : undefined));
    await push(31, 1, { reason: 'check_run.rerequested', force: true });
    await push(31, 1); // a plain event after the re-run must not cancel it
    await settled();
    const starts = (await events(redis, PREFIX, keyOf(31))).filter((e) => e.ev === 'start');
    expect(starts.map((e) => e.force)).toEqual([false, true]);
  });

  it('the per-PR lock keeps reviews apart even when a second job for the PR bypasses deduplication', async () => {
    await redis.del(`${PREFIX}:test:events`);
    await workMs(400);
    await push(61, 1);
    await until('#61 to start', async () => ((await events(redis, PREFIX, keyOf(61))).length ? true : undefined));
    await push(61, 2);
    // As a job retried by hand from a dashboard, or added by a producer that does not deduplicate.
    const stray = await producer.queue.add('review', { key: keyOf(61), seq: 0, request: request(61, 2) });
    await settled();
    const rs = runs(await events(redis, PREFIX, keyOf(61)));
    expect(rs.map((r) => r.head)).toEqual([sha(1), sha(2)]);
    expect(maxOverlap(rs)).toBe(1);
    // One of the two jobs for head 2 reviewed it; the other found nothing newer and stood down.
    const results = (await producer.queue.getJobs(['completed'])).filter((j) => j.data.key === keyOf(61)).map((j) => j.returnvalue.kind);
    expect(results.sort()).toEqual(['done', 'done', 'superseded']);
    expect(await stray.getState()).toBe('completed');
  });

  it('a worker killed mid-review (kill -9): the job is taken over by the other worker', async () => {
    await redis.del(`${PREFIX}:test:events`);
    await workMs(2500);
    await push(41, 41);
    const first = await until('#41 to start', async () => (await events(redis, PREFIX, keyOf(41)))[0]);
    const victim = workers.find((w) => w.proc.pid === first.pid)!;
    const survivor = workers.find((w) => w !== victim)!;
    await sleep(200);
    victim.proc.kill('SIGKILL');
    await victim.exited;
    const killedAt = Date.now();
    await workMs(200);
    await settled();

    const evs = await events(redis, PREFIX, keyOf(41));
    expect(evs.map((e) => `${e.ev} ${e.worker}`)).toEqual([`start ${victim.name}`, `start ${survivor.name}`, `end ${survivor.name}`]);
    // Lock 1 s, stalled check every 0.5 s: taken over within about 1.5 s of the kill.
    expect(evs[1]!.t - killedAt).toBeLessThan(4000);
    const done = (await producer.queue.getJobs(['completed'])).filter((j) => j.data.key === keyOf(41));
    expect(done).toHaveLength(1);
    expect(done[0]!.returnvalue).toMatchObject({ kind: 'done', result: { reviewed: sha(41) } });
  });

  it('SIGTERM: the worker finishes its review, takes no new job, exits 0', async () => {
    const w = workers.find((x) => x.proc.exitCode === null && x.proc.signalCode === null)!;
    await redis.del(`${PREFIX}:test:events`);
    await workMs(1000);
    await push(51, 51);
    await until('#51 to start', async () => ((await events(redis, PREFIX, keyOf(51))).length ? true : undefined));
    w.proc.kill('SIGTERM');
    await sleep(100);
    await push(52, 52); // arrives while the worker is stopping
    expect(await w.exited).toBe(0);
    expect((await events(redis, PREFIX)).map((e) => `${e.ev} ${e.key}`)).toEqual([`start ${keyOf(51)}`, `end ${keyOf(51)}`]);
    expect(w.output()).toContain('SIGTERM: taking no new job');
    const counts = await producer.queue.getJobCounts('waiting', 'active');
    expect(counts).toMatchObject({ waiting: 1, active: 0 });
  });
});
