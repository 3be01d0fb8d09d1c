// Lore series as BullMQ jobs (REDIS_URL): `modreview serve` (the only process that fetches the
// inboxes) turns each series that is ready into a job in the `lore` queue; `modreview worker
// --lore-config` processes take them and review. A job is data only (list, series key, version,
// Message-IDs); the messages, the reviews and the outbox live in the lore SQLite store, which the
// serve process and the workers share on one host (docs/DEPLOY.md says why that suffices).
//
// - Job id = a hash of the series' identity and its messages: a series pushed twice (a crash
//   between the push and marking its messages `queued`) is one job.
// - Per-series ordering: one review of a series (any version) at a time, through a per-series
//   lock in Redis (SET NX PX, renewed while the review runs, released by compare-and-delete). A
//   job that finds it taken goes back to the delayed set without using an attempt; an older
//   version that gets its turn after a newer one was reviewed ends as superseded.
// - Retries with exponential backoff; a job that failed every attempt stays in the failed set
//   (kept 7 days) with its reason, listed by `modreview jobs list` and retried by
//   `modreview jobs retry`. Its messages stay `queued` meanwhile.
// - A worker killed mid-job: BullMQ's job lock lapses, the stalled check hands the job to
//   another worker. The review is stored in one SQLite transaction that first checks the series
//   is still open, so the retry stores it once even if the first run got that far.
import { createHash, randomUUID } from 'node:crypto';
import type { Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { checkRedisReachable, checkRedisUrl, closeWorker, workerConnection, type QueueLog } from '../github/redis-queue.js';
import type { LoreJob } from './responder.js';

export const LORE_QUEUE = 'lore';

export interface LoreQueueOptions {
  /** Prefix of every Redis key (default `modreview`, shared with the GitHub review queue). */
  prefix?: string;
  /** Tries per job before it stays failed (default 5). */
  attempts?: number;
  /** First retry delay, doubled for each further retry (default 30 s). */
  backoffMs?: number;
}

export const loreJobId = (j: LoreJob): string =>
  `lore-${createHash('sha1').update(JSON.stringify([j.list, j.key, j.version, [...j.members].sort()])).digest('hex').slice(0, 24)}`;

/** serve's side: push ready series. */
export class LoreQueue {
  private constructor(
    readonly queue: Queue<LoreJob>,
    private readonly redis: Redis,
    private readonly opts: LoreQueueOptions,
  ) {
    queue.on('error', () => {});
  }

  static async open(url: string, opts: LoreQueueOptions = {}): Promise<LoreQueue> {
    checkRedisUrl(url);
    await checkRedisReachable(url);
    const [{ Queue }, { Redis }] = await Promise.all([import('bullmq'), import('ioredis')]);
    const redis = new Redis(url, { maxRetriesPerRequest: 2 });
    redis.on('error', () => {});
    return new LoreQueue(new Queue<LoreJob>(LORE_QUEUE, { connection: redis, prefix: opts.prefix ?? 'modreview' }), redis, opts);
  }

  async push(job: LoreJob): Promise<void> {
    try {
      await this.queue.add('review', job, {
        jobId: loreJobId(job),
        attempts: this.opts.attempts ?? 5,
        backoff: { type: 'exponential', delay: this.opts.backoffMs ?? 30_000 },
        removeOnComplete: { age: 24 * 3600, count: 1000 },
        removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
      });
    } catch (e) {
      throw new Error(`${job.key} v${job.version}: could not queue the review in Redis: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

export interface LoreWorkerOptions {
  prefix?: string;
  concurrency?: number;
  /** Lifetime of the job lock and the per-series lock, renewed at half of it (default 60 s). */
  lockMs?: number;
  /** How often a dead worker's jobs are looked for (default 30 s). */
  stalledIntervalMs?: number;
  /** Delay before a job whose series is locked by another run tries again (default 5 s). */
  lockRetryMs?: number;
  log?: QueueLog;
}

const RENEW_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RunningLoreWorker {
  worker: Worker<LoreJob, unknown>;
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** A worker's side: run `handler` on each job, one review per series at a time. */
export async function startLoreWorker(
  url: string,
  handler: (job: LoreJob, info: { id: string; attempt: number; attempts: number }) => Promise<unknown>,
  opts: LoreWorkerOptions = {},
): Promise<RunningLoreWorker> {
  checkRedisUrl(url);
  await checkRedisReachable(url);
  const { DelayedError, UnrecoverableError, Worker } = await import('bullmq');
  const prefix = opts.prefix ?? 'modreview';
  const lockMs = opts.lockMs ?? 60_000;
  const lockRetryMs = opts.lockRetryMs ?? 5_000;
  const log: QueueLog = opts.log ?? { info() {}, warn() {}, error() {} };
  const workerId = randomUUID();
  const conn = await workerConnection(url, log, 'lore worker');
  const { redis } = conn;
  let running = 0;

  const processor = async (job: Job<LoreJob>, token?: string): Promise<unknown> => {
    const d = job.data;
    if (!d || typeof d.key !== 'string' || typeof d.list !== 'string' || !Array.isArray(d.members)) throw new UnrecoverableError('malformed lore job');
    const lock = `${prefix}:lore-lock:${d.list}:${createHash('sha1').update(d.key).digest('hex')}`;
    const mine = `${workerId}:${job.id}:${job.attemptsStarted}`;
    if ((await redis.set(lock, mine, 'PX', lockMs, 'NX')) !== 'OK') {
      log.info(`${d.key}: another review of this series is running; job ${job.id} waits ${lockRetryMs} ms`);
      await job.moveToDelayed(Date.now() + lockRetryMs, token);
      throw new DelayedError();
    }
    running++;
    const renew = setInterval(() => {
      redis.eval(RENEW_LUA, 1, lock, mine, lockMs).catch((e: Error) => log.warn(`${d.key}: renewing the series lock: ${e.message}`));
    }, Math.max(10, Math.floor(lockMs / 2)));
    try {
      return await handler(d, { id: String(job.id), attempt: job.attemptsMade + 1, attempts: job.opts.attempts ?? 1 });
    } finally {
      running--;
      clearInterval(renew);
      await redis.eval(RELEASE_LUA, 1, lock, mine).catch(() => {});
    }
  };

  const worker = new Worker<LoreJob, unknown>(LORE_QUEUE, processor, {
    connection: redis,
    prefix,
    concurrency: opts.concurrency ?? 1,
    lockDuration: lockMs,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    maxStalledCount: 1,
  });
  worker.on('failed', (job, err) => {
    if (!job) return log.error(`a lore job failed: ${err.message}`);
    const attempts = job.opts.attempts ?? 1;
    const what = `${job.data.key} v${job.data.version}: lore job ${job.id} failed (attempt ${job.attemptsMade} of ${attempts}): ${err.message}`;
    if (job.attemptsMade >= attempts || err.name === 'UnrecoverableError') log.error(`${what}; no more retries (modreview jobs retry ${job.id})`);
    else log.warn(`${what}; retried with backoff`);
  });
  worker.on('stalled', (id) => log.warn(`lore job ${id} stalled (its worker died); back in the queue for another worker`));
  worker.on('error', conn.onError);
  let closing: Promise<void> | undefined;
  return {
    worker,
    ready: () => worker.waitUntilReady().then(() => {}),
    close() {
      closing ??= closeWorker(worker, conn, () => running === 0, log, 'lore worker');
      return closing;
    },
  };
}
