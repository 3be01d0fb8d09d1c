// The review queue for several workers: the webhook server pushes a job into Redis (BullMQ) and
// `modreview worker` processes, any number on any host, take jobs from it. Same guarantees as the
// in-process PrQueue (src/github/queue.ts):
//
// - The latest request wins. Each PR has a small state hash in Redis: `seq` (bumped by every
//   push), `request` (the latest request), `forceSeq` (the last "Re-run") and `doneSeq` (the last
//   seq a job finished). A BullMQ job is only a wake-up call for its PR: when it runs it reads the
//   state, reviews the latest request, and records `doneSeq`; a job whose PR has nothing newer
//   than `doneSeq` completes at once as superseded. The review itself reads the PR head from
//   GitHub and re-checks it before posting, so an older head is never posted over a newer one.
// - At most one job per PR in BullMQ: deduplication id = the PR, with `keepLastIfActive` — while
//   a job of the PR is waiting or delayed, a push is folded into it (the state already holds the
//   newer request); while one is active, BullMQ keeps one follow-up job and creates it when the
//   active one finishes. A burst of pushes is one running job and one follow-up.
// - Reviews of one PR never overlap: a per-PR lock (SET NX PX, renewed while the review runs,
//   released by compare-and-delete). Deduplication alone already keeps one job per PR active;
//   the lock also holds when a second job for the PR exists anyway: a failed job retried by hand
//   (a dashboard, Queue.retryJobs) while a newer one runs, a job added by a producer that does
//   not deduplicate (an older version during a rolling upgrade), a deduplication key deleted by
//   hand. A job that finds the lock taken goes back to the delayed set (no attempt used) and
//   tries again a little later.
// - A crashed worker's job is retried: BullMQ's lock on the job expires (`lockMs`), the stalled
//   check (every `stalledIntervalMs`, run by every worker) moves it back to waiting, another
//   worker takes it. The per-PR lock has the same lifetime and renewal, so it has expired by
//   then too. A job that stalls more than `maxStalledCount` times (a review that kills its
//   worker) ends failed instead of killing every worker in turn.
// - Failures are retried with exponential backoff (`attempts`, `backoffMs`), then stay in the
//   failed set with the reason (kept 7 days): visible to `Queue.getFailed()` and any BullMQ
//   dashboard. `doneSeq` is not advanced by a failure, so the retry reviews the latest request.
// - Nothing from a PR is executed, or even carried: a job holds data only (installation id,
//   owner, repo, number, head SHA, default branch, reason, force), checked against a strict
//   schema by the worker before use; the worker fetches everything else from GitHub itself.
//
// Not covered: a worker whose event loop is blocked longer than `lockMs` keeps running while its
// job is handed to another worker (both locks lapse together, as they are renewed by the same
// loop). The review re-checks the head and reads back posted fingerprints before posting, so
// this costs a duplicate check run, not a duplicate comment; raise `lockMs` if reviews ever
// block that long.
import { randomUUID } from 'node:crypto';
// bullmq and ioredis are loaded when a queue is opened: the CLI imports this module for
// REDIS_URL checks in every command, and only the GitHub ones need Redis.
import type { Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import type { KeyedQueue } from './queue.js';

/** What a worker needs to review a PR: data only, nothing taken from the PR's content. */
export interface ReviewRequest {
  installationId: number;
  owner: string;
  repo: string;
  number: number;
  /** The head the request was made for (the worker reviews the head GitHub has when it starts). */
  headSha: string;
  defaultBranch: string;
  reason: ReviewReason;
  /** Review again even if this head was reviewed ("Re-run"). */
  force: boolean;
}

export const REVIEW_REASONS = ['opened', 'synchronize', 'reopened', 'ready_for_review', 'check_run.rerequested', 'check_suite.rerequested'] as const;
export type ReviewReason = (typeof REVIEW_REASONS)[number];

// GitHub's own character sets: owner and repository names, hex object names (SHA-1 or SHA-256).
const requestSchema = z.strictObject({
  installationId: z.number().int().positive(),
  // github.com allows letters, digits and hyphens; GHE also underscores (names from LDAP/SAML).
  owner: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/),
  repo: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
  number: z.number().int().positive(),
  headSha: z.string().regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/),
  // A git ref name: no control characters, spaces or the characters git forbids.
  defaultBranch: z.string().min(1).max(255).regex(/^[^\0-\x20\x7f~^:?*[\\]+$/),
  reason: z.enum(REVIEW_REASONS),
  force: z.boolean(),
});

/** The request, or an error naming what is wrong with it (a job is never trusted blindly). */
export function parseRequest(value: unknown): ReviewRequest {
  const r = requestSchema.safeParse(value);
  if (!r.success) throw new Error(`malformed review request: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

export const prKey = (r: Pick<ReviewRequest, 'owner' | 'repo' | 'number'>): string => `${r.owner}/${r.repo}#${r.number}`;

// ------------------------------------------------------------------------------ configuration

export const QUEUE_NAME = 'reviews';

export interface QueueOptions {
  /** Prefix of every Redis key, BullMQ's and modreview's (default `modreview`). */
  prefix?: string;
}

export interface ProducerOptions extends QueueOptions {
  /** Tries per job before it stays failed (default 5). */
  attempts?: number;
  /** First retry delay; doubled for each further retry (default 30 s). */
  backoffMs?: number;
}

export interface WorkerOptions extends QueueOptions {
  /** Jobs one worker process runs at once (default 1). */
  concurrency?: number;
  /** Lifetime of the job lock and the per-PR lock, renewed at half of it (default 60 s). */
  lockMs?: number;
  /** How often stalled jobs (a dead worker's) are looked for (default 30 s). */
  stalledIntervalMs?: number;
  /** Times a job may stall before it ends failed (default 1). */
  maxStalledCount?: number;
  /** Delay before a job whose PR is locked by another run tries again (default 5 s). */
  lockRetryMs?: number;
  log?: QueueLog;
}

export interface QueueLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

const silent: QueueLog = { info() {}, warn() {}, error() {} };

/** The REDIS_URL as given, or a UsageError saying what a valid one looks like. */
export function checkRedisUrl(text: string | undefined): string {
  const value = text?.trim();
  const expected = 'expected redis://[user:password@]host[:port][/db] (rediss:// for TLS)';
  if (!value) throw new UsageError(`REDIS_URL: ${expected}, got an empty value`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`REDIS_URL: ${expected}, got "${maskPassword(value)}"`);
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname || !/^\/?\d*$/.test(url.pathname) || url.search || url.hash) {
    throw new UsageError(`REDIS_URL: ${expected}, got "${maskPassword(value)}"`);
  }
  return value;
}

function maskPassword(text: string): string {
  return text.replace(/^([a-z]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

/** host:port of a REDIS_URL, for messages (never the password). */
export function redisWhere(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '6379'}`;
}

/**
 * Connect once and PING, so that a Redis that is down or refuses the credentials is one clear
 * line at start-up rather than a stream of reconnection errors.
 */
export async function checkRedisReachable(url: string, timeoutMs = 3000): Promise<void> {
  const { Redis } = await import('ioredis');
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let lastError: Error | undefined;
  probe.on('error', (e: Error) => {
    lastError ??= e;
  });
  try {
    await probe.connect();
    await probe.ping();
  } catch (e) {
    const why = (lastError ?? (e as Error)).message.split('\n')[0];
    throw new UsageError(`REDIS_URL: cannot use Redis at ${redisWhere(url)} (${why})`);
  } finally {
    probe.disconnect();
  }
}

// --------------------------------------------------------------------------- keys and scripts

interface JobData {
  key: string;
  /** The PR's seq when this job was pushed (for the record; the worker reads the current one). */
  seq: number;
  request: ReviewRequest;
}

const stateKey = (prefix: string, key: string): string => `${prefix}:pr:${key}`;
const lockKey = (prefix: string, key: string): string => `${prefix}:pr-lock:${key}`;

/** A PR's state outlives its last push by this long (then a new push starts over at seq 1). */
const STATE_TTL_S = 30 * 24 * 3600;

// KEYS[1] state; ARGV: request JSON, force (0/1), ttl seconds → the new seq.
const PUSH_LUA = `
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('HSET', KEYS[1], 'request', ARGV[1])
if ARGV[2] == '1' then redis.call('HSET', KEYS[1], 'forceSeq', seq) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return seq`;

// KEYS[1] state; ARGV: the seq just handled. doneSeq only moves forward.
const DONE_LUA = `
local done = tonumber(redis.call('HGET', KEYS[1], 'doneSeq') or '0')
if tonumber(ARGV[1]) > done then redis.call('HSET', KEYS[1], 'doneSeq', ARGV[1]) end
return 1`;

// KEYS[1] lock; ARGV: token, ttl ms → 1 when still ours and extended.
const RENEW_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

// ------------------------------------------------------------------------------------ producer

/** The webhook server's side: push review requests into Redis. */
export class RedisReviewQueue implements KeyedQueue<ReviewRequest> {
  readonly queue: Queue<JobData>;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #jobOpts: { attempts: number; backoff: { type: 'exponential'; delay: number } };
  readonly #inflight = new Set<Promise<void>>();
  #closed = false;

  private constructor(redis: Redis, queue: Queue<JobData>, opts: ProducerOptions) {
    this.#redis = redis;
    this.#prefix = opts.prefix ?? 'modreview';
    this.#jobOpts = { attempts: opts.attempts ?? 5, backoff: { type: 'exponential', delay: opts.backoffMs ?? 30_000 } };
    this.queue = queue;
    // Connection errors reach the pushes that fail; the rest are reconnection noise.
    this.queue.on('error', () => {});
  }

  /** Check REDIS_URL, reach Redis, and open the queue. */
  static async open(url: string, opts: ProducerOptions = {}): Promise<RedisReviewQueue> {
    checkRedisUrl(url);
    await checkRedisReachable(url);
    const [{ Queue }, { Redis }] = await Promise.all([import('bullmq'), import('ioredis')]);
    // A push fails after a couple of reconnection attempts instead of holding the webhook.
    const redis = new Redis(url, { maxRetriesPerRequest: 2 });
    redis.on('error', () => {});
    return new RedisReviewQueue(redis, new Queue<JobData>(QUEUE_NAME, { connection: redis, prefix: opts.prefix ?? 'modreview' }), opts);
  }

  /** Store `request` as the PR's latest and wake a worker (resolves once Redis has both). */
  push(key: string, request: ReviewRequest): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`${key}: queue closed; review not queued`));
    let valid: ReviewRequest;
    try {
      valid = parseRequest(request);
    } catch (e) {
      return Promise.reject(new Error(`${key}: ${(e as Error).message}`));
    }
    const p = this.#push(key, valid);
    this.#inflight.add(p);
    const done = (): void => {
      this.#inflight.delete(p);
    };
    p.then(done, done);
    return p;
  }

  async #push(key: string, request: ReviewRequest): Promise<void> {
    try {
      const seq = Number(await this.#redis.eval(PUSH_LUA, 1, stateKey(this.#prefix, key), JSON.stringify(request), request.force ? '1' : '0', STATE_TTL_S));
      await this.queue.add(
        'review',
        { key, seq, request },
        {
          ...this.#jobOpts,
          deduplication: { id: key, keepLastIfActive: true },
          removeOnComplete: { age: 24 * 3600, count: 1000 },
          removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
        },
      );
    } catch (e) {
      throw new Error(`${key}: could not queue the review in Redis: ${(e as Error).message.split('\n')[0]}`);
    }
  }

  get size(): number {
    return this.#inflight.size;
  }

  async idle(): Promise<void> {
    while (this.#inflight.size) await Promise.allSettled([...this.#inflight]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.idle();
    await this.queue.close();
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}

// -------------------------------------------------------------------------------------- worker

/**
 * The connection of a worker: ioredis reconnects forever (every 50 ms more per try, at most 2 s),
 * and BullMQ's commands wait for it (maxRetriesPerRequest null). Connection errors are logged once
 * per outage, and the return once; once the worker stops without Redis (stopping()), not at all.
 */
export async function workerConnection(url: string, log: QueueLog, what: string): Promise<{ redis: Redis; stopping(): void; onError(err: Error): void }> {
  const { Redis } = await import('ioredis');
  let stopping = false;
  const redis = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 50, 2000) });
  let lost = false;
  redis.on('error', () => {});
  redis.on('ready', () => {
    if (lost && !stopping) log.info(`${what}: Redis at ${redisWhere(url)} is back; taking jobs again`);
    lost = false;
  });
  return {
    redis,
    stopping: () => {
      stopping = true;
    },
    // The worker's 'error' events: its connections' errors, and BullMQ's own.
    onError(err: Error) {
      const connection = redis.status !== 'ready' || /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|Connection is closed/.test(err.message);
      if (!connection) return log.error(`${what}: ${err.message}`);
      if (lost || stopping) return;
      lost = true;
      log.warn(`${what}: lost Redis at ${redisWhere(url)} (${err.message.split('\n')[0]}); reconnecting (running jobs continue; their results are recorded once it is back)`);
    },
  };
}

/**
 * Close a BullMQ worker and its connection. Normally: take no new job, let the running ones
 * finish, QUIT. With Redis unreachable, BullMQ's close would wait for it forever; so once Redis is
 * away and none of this process's reviews runs any more, the close completes without Redis.
 *
 * The connections are then stilled, never ended: an ended ioredis connection fails each command
 * at once, and BullMQ, while closing, retries a failed command (e.g. recording a finished job)
 * without its retry delay — a loop of promise callbacks that never yields to the event loop, so
 * no timer, signal or socket of the process runs again. A stilled connection (disconnected while
 * it waited to reconnect) holds no socket and no timer: what waits on it waits for good, and the
 * job it was for is taken again by a worker once its lock expires.
 */
export async function closeWorker(worker: Worker, conn: { redis: Redis; stopping(): void }, idle: () => boolean, log: QueueLog, what: string): Promise<void> {
  const { redis } = conn;
  // Every connection the worker uses: ours, and BullMQ's blocking duplicate of it.
  const bclient = (worker as unknown as { blockingConnection?: { client?: Promise<Redis> } }).blockingConnection?.client;
  const clients = [redis, await bclient?.catch(() => undefined)].filter((c): c is Redis => c !== undefined);
  const stilled = new Set<Redis>();
  let settled = false;
  const graceful = worker.close().then(
    () => {},
    (e: Error) => log.warn(`${what}: closing: ${e.message}`),
  ).finally(() => {
    settled = true;
  });
  let gaveUp = false;
  let timer: NodeJS.Timeout | undefined;
  const bounded = new Promise<void>((resolve) => {
    const check = (): void => {
      if (settled) return;
      if (gaveUp || (redis.status !== 'ready' && idle())) {
        if (!gaveUp) log.warn(`${what}: Redis unreachable while stopping; stopping without it`);
        gaveUp = true;
        conn.stopping();
        // Only between tries: a connection still trying would end (and fail what waits on it)
        // once its socket closes.
        for (const c of clients) {
          if (c.status === 'reconnecting' && !stilled.has(c)) {
            c.disconnect();
            stilled.add(c);
          }
        }
        if (clients.every((c) => stilled.has(c) || c.status === 'end')) return resolve();
      }
      timer = setTimeout(check, 100);
    };
    check();
  });
  try {
    await Promise.race([graceful, bounded]);
  } finally {
    clearTimeout(timer);
  }
  // A stilled connection is left as it is; one Redis came back to before it was stilled (the
  // close then finished with it) is quit like any other.
  if (stilled.has(redis)) return;
  // QUIT would wait in the offline queue for a Redis that is away.
  if (redis.status !== 'ready') redis.disconnect();
  else await redis.quit().catch(() => redis.disconnect());
}

export interface JobInfo {
  id: string;
  key: string;
  /** 1 for the first try. */
  attempt: number;
  attempts: number;
}

/** Reviews one request; throws to have the job retried (UnrecoverableError: failed at once). */
export type ReviewHandler = (request: ReviewRequest, job: JobInfo) => Promise<unknown>;

export type JobResult = { kind: 'superseded'; seq: number; doneSeq: number } | { kind: 'done'; seq: number; result: unknown };

export interface ReviewWorker {
  readonly worker: Worker<JobData, JobResult>;
  /** Jobs running in this process. */
  readonly running: number;
  /** Resolves once the worker is connected and taking jobs. */
  ready(): Promise<void>;
  /** Take no new job, let the running ones finish, disconnect. */
  close(): Promise<void>;
}

/** `modreview worker`'s side: take jobs and run `handler` on each PR's latest request. */
export async function startReviewWorker(url: string, handler: ReviewHandler, opts: WorkerOptions = {}): Promise<ReviewWorker> {
  checkRedisUrl(url);
  await checkRedisReachable(url);
  const { DelayedError, UnrecoverableError, Worker } = await import('bullmq');
  const prefix = opts.prefix ?? 'modreview';
  const lockMs = opts.lockMs ?? 60_000;
  const lockRetryMs = opts.lockRetryMs ?? 5_000;
  const log = opts.log ?? silent;
  const workerId = randomUUID();
  // BullMQ's workers block on Redis and must retry forever while it is away.
  const conn = await workerConnection(url, log, 'worker');
  const { redis } = conn;
  let running = 0;

  const processor = async (job: Job<JobData, JobResult>, token?: string): Promise<JobResult> => {
    const key = typeof job.data?.key === 'string' ? job.data.key : '';
    if (!key) throw new UnrecoverableError('job without a pull request key');
    const mine = `${workerId}:${job.id}:${job.attemptsStarted}`;
    const lock = lockKey(prefix, key);
    if ((await redis.set(lock, mine, 'PX', lockMs, 'NX')) !== 'OK') {
      // Another run of this PR holds the lock: back to the delayed set, no attempt used.
      log.info(`${key}: another review of this pull request is running; job ${job.id} waits ${lockRetryMs} ms`);
      await job.moveToDelayed(Date.now() + lockRetryMs, token);
      throw new DelayedError();
    }
    running++;
    const renew = setInterval(() => {
      redis.eval(RENEW_LUA, 1, lock, mine, lockMs).then(
        (ok) => {
          if (Number(ok) !== 1) log.warn(`${key}: the pull-request lock of job ${job.id} was lost (expired while the review ran)`);
        },
        (e: Error) => log.warn(`${key}: renewing the pull-request lock: ${e.message}`),
      );
    }, Math.max(10, Math.floor(lockMs / 2)));
    try {
      const [seqText, doneText, forceText, requestText] = await redis.hmget(stateKey(prefix, key), 'seq', 'doneSeq', 'forceSeq', 'request');
      const seq = Number(seqText ?? 0);
      const doneSeq = Number(doneText ?? 0);
      if (!requestText || seq <= doneSeq) {
        log.info(`${key}: job ${job.id}: nothing newer than what an earlier job reviewed; superseded`);
        return { kind: 'superseded', seq, doneSeq };
      }
      let request: ReviewRequest;
      try {
        request = parseRequest(JSON.parse(requestText));
      } catch (e) {
        throw new UnrecoverableError(`${key}: ${(e as Error).message}`);
      }
      if (prKey(request) !== key) throw new UnrecoverableError(`${key}: the stored request is for ${prKey(request)}`);
      request = { ...request, force: request.force || Number(forceText ?? 0) > doneSeq };
      const result = await handler(request, { id: String(job.id), key, attempt: job.attemptsMade + 1, attempts: job.opts.attempts ?? 1 });
      await redis.eval(DONE_LUA, 1, stateKey(prefix, key), seq);
      return { kind: 'done', seq, result };
    } finally {
      clearInterval(renew);
      running--;
      await redis.eval(RELEASE_LUA, 1, lock, mine).catch(() => {});
    }
  };

  const worker = new Worker<JobData, JobResult>(QUEUE_NAME, processor, {
    connection: redis,
    prefix,
    concurrency: opts.concurrency ?? 1,
    lockDuration: lockMs,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    maxStalledCount: opts.maxStalledCount ?? 1,
    autorun: true,
  });
  worker.on('failed', (job, err) => {
    if (!job) return log.error(`a job failed: ${err.message}`);
    const attempts = job.opts.attempts ?? 1;
    const final = job.attemptsMade >= attempts || err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || /stalled more than allowable limit/.test(err.message);
    const what = `${job.data.key}: job ${job.id} failed (attempt ${job.attemptsMade} of ${attempts}): ${err.message}`;
    if (final) log.error(`${what}; no more retries, the job stays in the failed set`);
    else log.warn(`${what}; retried with backoff`);
  });
  worker.on('stalled', (jobId) => log.warn(`job ${jobId} stalled (its worker died or stopped answering); back in the queue for another worker`));
  worker.on('error', conn.onError);

  let closing: Promise<void> | undefined;
  return {
    worker,
    get running() {
      return running;
    },
    ready: () => worker.waitUntilReady().then(() => {}),
    close() {
      closing ??= closeWorker(worker, conn, () => running === 0, log, 'worker');
      return closing;
    },
  };
}
