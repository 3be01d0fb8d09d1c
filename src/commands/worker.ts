// `modreview worker`: take the review jobs `modreview github` queues in Redis (REDIS_URL) and run
// them; any number of workers, on any host, share one queue (see src/github/redis-queue.ts for
// the guarantees). A job is data only; the worker authenticates as the installation itself from
// the App credentials (APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, GHE_HOST) and reviews the PR as
// the in-process app does. MODREVIEW_TREE and MODREVIEW_DB as for `modreview github`.
// SIGTERM/SIGINT: take no new job, finish the running ones, exit 0.
// --metrics-port (env MODREVIEW_WORKER_METRICS_PORT; off by default): GET /metrics, prom-client's
// text format, the names `modreview serve` uses (src/metrics.ts) for the reviews this process runs,
// and modreview_worker_jobs_total for its jobs; on --metrics-host (default 127.0.0.1).
// Bad or missing REDIS_URL, Redis unreachable, bad credentials: one line, exit status 2.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { ProbotOctokit } from 'probot';
import type { CommandRegistrar } from '../cli.js';
import type { ReviewFn } from '../engine/api.js';
import type { IndexQuery } from '../engine/types.js';
import { UsageError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { describeRequestError, httpStatus, type Octokit } from '../github/octokit.js';
import type { ReviewHandler, ReviewWorker, WorkerOptions } from '../github/redis-queue.js';
import type { Outcome } from '../github/review-pr.js';
import { GithubStore } from '../store/github.js';
import { defaultReview, readAppConfig, treeIndex, type AppConfig } from './github.js';

export interface WorkerConfig extends AppConfig {
  redisUrl: string;
  concurrency: number;
}

/** Validate the environment and --concurrency; every problem is one clear UsageError line. */
export function readWorkerConfig(env: NodeJS.ProcessEnv = process.env, concurrency = '1'): WorkerConfig {
  if (env.REDIS_URL === undefined) {
    throw new UsageError('missing REDIS_URL: set it to the Redis that `modreview github` queues reviews in (e.g. redis://localhost:6379)');
  }
  const cfg = readAppConfig(env);
  const text = concurrency.trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 64) throw new UsageError(`--concurrency: expected a number of jobs from 1 to 64, got "${concurrency}"`);
  return { ...cfg, redisUrl: cfg.redisUrl!, concurrency: n };
}

export interface WorkerStartOptions {
  /** The review function (default: the engine's reviewSubmission). */
  review?: ReviewFn;
  store?: GithubStore;
  log?: Logger;
  /** Octokit class (tests turn retry and throttling off). */
  Octokit?: typeof ProbotOctokit;
  index?: IndexQuery | (() => Promise<IndexQuery | undefined>);
  /** Queue timings and key prefix (tests shorten the stalled-job interval). */
  queue?: Omit<WorkerOptions, 'concurrency' | 'log'>;
  /** Called after each review (tests, metrics). */
  onOutcome?: (key: string, outcome: Outcome) => void;
  /** Count reviews, GitHub API errors and jobs here (a worker with --metrics-port). */
  metrics?: Metrics;
}

export interface RunningWorker {
  worker: ReviewWorker;
  store: GithubStore;
  log: Logger;
  /** Take no new job, let the running ones finish, disconnect, close the store. */
  close(): Promise<void>;
}

/** `run` counting each job it ends in modreview_worker_jobs_total: completed, or failed (it threw). */
export function countJobs<A extends unknown[], R>(run: (...args: A) => Promise<R>, m: Metrics, queue: 'reviews' | 'lore'): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      const r = await run(...args);
      m.workerJobs.inc({ queue, outcome: 'completed' });
      return r;
    } catch (e) {
      m.workerJobs.inc({ queue, outcome: 'failed' });
      throw e;
    }
  };
}

/** Failures that a retry cannot mend: the app was uninstalled, the PR is gone, bad credentials. */
const FINAL_STATUSES = new Set([401, 404, 422]);

/**
 * The job handler: an installation Octokit from the App credentials, then reviewPullRequest on
 * the head GitHub has now. A review that did not finish throws, so the job is retried.
 */
export async function reviewHandler(cfg: AppConfig, opts: WorkerStartOptions & { log: Logger; store: GithubStore; review: ReviewFn }): Promise<ReviewHandler> {
  const [{ Probot, ProbotOctokit }, { UnrecoverableError }, { reviewPullRequest }] = await Promise.all([import('probot'), import('bullmq'), import('../github/review-pr.js')]);
  const { log, store, review } = opts;
  const probot = new Probot({ appId: cfg.appId, privateKey: cfg.privateKey, baseUrl: cfg.baseUrl, log, Octokit: opts.Octokit ?? ProbotOctokit });
  let index: Promise<IndexQuery | undefined> | undefined;
  const getIndex = (): Promise<IndexQuery | undefined> => {
    const i = opts.index ?? treeIndex(cfg, log);
    index ??= typeof i === 'function' ? i() : Promise.resolve(i);
    return index;
  };
  return async (request, job) => {
    const key = `${request.owner}/${request.repo}#${request.number}`;
    log.info(`${key}: job ${job.id} (attempt ${job.attempt} of ${job.attempts}): reviewing after ${request.reason} of ${request.headSha.slice(0, 12)}${request.force ? ' (re-run)' : ''}`);
    let idx: IndexQuery | undefined;
    try {
      idx = await getIndex();
    } catch (err) {
      log.warn(`tree index unavailable (${err instanceof Error ? err.message : String(err)}); reviewing without tree-wide facts`);
    }
    let outcome: Outcome;
    try {
      const octokit = (await probot.auth(request.installationId)) as Octokit;
      outcome = await reviewPullRequest(octokit, log, { review, store, index: idx }, { owner: request.owner, repo: request.repo, number: request.number, defaultBranch: request.defaultBranch, force: request.force });
    } catch (err) {
      // Before the check run exists: the installation token, the PR, the configuration.
      const line = describeRequestError(err, `${key}: review`);
      const status = httpStatus(err);
      if (status !== undefined && FINAL_STATUSES.has(status)) throw new UnrecoverableError(line);
      throw new Error(line);
    }
    opts.onOutcome?.(key, outcome);
    if (outcome.kind === 'failed') throw new Error(outcome.reason);
    return outcome;
  };
}

export async function startWorker(cfg: WorkerConfig, opts: WorkerStartOptions = {}): Promise<RunningWorker> {
  const [{ pino }, { startReviewWorker, redisWhere }] = await Promise.all([import('pino'), import('../github/redis-queue.js')]);
  const log = opts.log ?? pino({ name: 'modreview', level: cfg.logLevel });
  const store = opts.store ?? GithubStore.open(cfg.db);
  try {
    const base = opts.review ?? (await defaultReview());
    const m = opts.metrics;
    let review = base;
    let Octokit = opts.Octokit;
    if (m) {
      const [{ instrumentReview, githubErrorPlugin }, { ProbotOctokit }] = await Promise.all([import('../metrics.js'), import('probot')]);
      review = instrumentReview(base, m, 'github');
      Octokit = (Octokit ?? ProbotOctokit).plugin(githubErrorPlugin(m));
    }
    const handler = await reviewHandler(cfg, { ...opts, log, store, review, ...(Octokit ? { Octokit } : {}) });
    const worker = await startReviewWorker(cfg.redisUrl, m ? countJobs(handler, m, 'reviews') : handler, {
      ...opts.queue,
      concurrency: cfg.concurrency,
      log: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) },
    });
    await worker.ready();
    log.info(`modreview worker for GitHub App ${cfg.appId}: taking reviews from Redis at ${redisWhere(cfg.redisUrl)}, ${cfg.concurrency} at a time (GitHub API ${cfg.baseUrl})`);
    let closing: Promise<void> | undefined;
    return {
      worker,
      store,
      log,
      close() {
        closing ??= worker.close().then(() => {
          if (!opts.store) store.close();
        });
        return closing;
      },
    };
  } catch (e) {
    if (!opts.store) store.close();
    throw e;
  }
}

/**
 * Resolves once `stop` has finished after the first SIGTERM or SIGINT (running reviews finish;
 * their jobs complete normally). A second signal exits at once: the interrupted job is then
 * picked up by another worker once its lock expires.
 */
export function untilSignal(stop: () => Promise<void>, log: Pick<Logger, 'info' | 'warn'>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn(`${signal} again: exiting now; the running job will be retried by another worker`);
        process.exit(1);
      }
      stopping = true;
      log.info(`${signal}: taking no new job, finishing the running one(s)`);
      stop().then(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        // Shutdown is done: a connection a library left open (ioredis to a Redis that is gone)
        // must not keep the process alive. Unref'd, so a clean exit does not wait for it.
        setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
        resolve();
      }, reject);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** Queue timings from the environment (MODREVIEW_QUEUE_LOCK_MS, MODREVIEW_QUEUE_STALLED_MS, MODREVIEW_QUEUE_LOCK_RETRY_MS). */
export function queueTimings(env: NodeJS.ProcessEnv = process.env): { lockMs?: number; stalledIntervalMs?: number; lockRetryMs?: number } {
  const read = (name: string): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    if (!/^\d+$/.test(v) || Number(v) < 10) throw new UsageError(`${name}: expected milliseconds (10 or more), got "${v}"`);
    return Number(v);
  };
  const t = { lockMs: read('MODREVIEW_QUEUE_LOCK_MS'), stalledIntervalMs: read('MODREVIEW_QUEUE_STALLED_MS'), lockRetryMs: read('MODREVIEW_QUEUE_LOCK_RETRY_MS') };
  return Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined));
}

/** Retries of queued jobs from the environment (MODREVIEW_QUEUE_ATTEMPTS, MODREVIEW_QUEUE_BACKOFF_MS), for the producers. */
export function queueRetries(env: NodeJS.ProcessEnv = process.env): { attempts?: number; backoffMs?: number } {
  const out: { attempts?: number; backoffMs?: number } = {};
  const a = env.MODREVIEW_QUEUE_ATTEMPTS;
  if (a) {
    if (!/^\d+$/.test(a) || Number(a) < 1 || Number(a) > 100) throw new UsageError(`MODREVIEW_QUEUE_ATTEMPTS: expected 1 to 100 tries, got "${a}"`);
    out.attempts = Number(a);
  }
  const b = env.MODREVIEW_QUEUE_BACKOFF_MS;
  if (b) {
    if (!/^\d+$/.test(b)) throw new UsageError(`MODREVIEW_QUEUE_BACKOFF_MS: expected milliseconds, got "${b}"`);
    out.backoffMs = Number(b);
  }
  return out;
}

export interface RunningLoreWorker {
  close(): Promise<void>;
}

/**
 * Take the lore series `modreview serve` queues (REDIS_URL) and review them with the responder of
 * the lore config: the same store (SQLite, on this host), tree and policy as serve's.
 */
export async function startLoreWorkerFor(
  configPath: string,
  redisUrl: string,
  concurrency: number,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
  metrics?: Metrics,
): Promise<RunningLoreWorker> {
  const [lore, { startLoreWorker }, { checkRedisUrl, redisWhere }] = await Promise.all([import('./lore.js'), import('../lore/queue.js'), import('../github/redis-queue.js')]);
  const url = checkRedisUrl(redisUrl);
  const timings = queueTimings(env);
  const cfg = lore.loadConfig(configPath);
  lore.checkPolicyLists(cfg);
  let deps = {};
  if (metrics) {
    const [{ instrumentReview }, { reviewSubmission }] = await Promise.all([import('../metrics.js'), import('../engine/review.js')]);
    deps = { review: instrumentReview(reviewSubmission, metrics, 'lore'), bisectReview: reviewSubmission };
  }
  const { responder, db } = await lore.createResponder(cfg, log, deps);
  try {
    const run = async (job: Parameters<typeof responder.reviewQueued>[0], info: { id?: string; attempt: number; attempts: number }) => {
      log.info(`${job.key} v${job.version}: lore job ${info.id} (attempt ${info.attempt} of ${info.attempts}): reviewing ${job.patches.length} patch(es)`);
      const outcome = await responder.reviewQueued(job);
      log.info(`${job.key} v${job.version}: lore job ${info.id}: ${outcome}`);
      return { outcome };
    };
    const w = await startLoreWorker(
      url,
      metrics ? countJobs(run, metrics, 'lore') : run,
      { ...timings, concurrency, log: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) } },
    );
    await w.ready();
    log.info(`modreview worker: taking lore series from Redis at ${redisWhere(url)}, ${concurrency} at a time (store ${cfg.db})`);
    let closing: Promise<void> | undefined;
    return {
      close() {
        closing ??= w.close().then(() => {
          db.close();
        });
        return closing;
      },
    };
  } catch (e) {
    db.close();
    throw e;
  }
}

/** --metrics-port / MODREVIEW_WORKER_METRICS_PORT: undefined (no endpoint), or 0 (any free port) to 65535. */
export function readMetricsPort(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = (flag ?? env.MODREVIEW_WORKER_METRICS_PORT ?? '').trim();
  if (v === '') return undefined;
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new UsageError(`--metrics-port: expected a port from 0 to 65535, got "${v}"`);
  return Number(v);
}

export interface MetricsEndpoint {
  metrics: Metrics;
  url: string;
  close(): Promise<void>;
}

/** GET /metrics of a worker (prom-client's text format); anything else is 404. */
export async function startMetricsEndpoint(host: string, port: number): Promise<MetricsEndpoint> {
  const { createMetrics } = await import('../metrics.js');
  const metrics = createMetrics();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics: ${e.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new UsageError(`--metrics-port: cannot listen on ${host}:${port}: ${e.code ?? e.message}`)));
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const shown = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    metrics,
    url: `http://${shown}:${a.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const register: CommandRegistrar = (program: Command) => {
  program
    .command('worker')
    .description('take the reviews queued in Redis and run them: GitHub pull requests (env: REDIS_URL, APP_ID, PRIVATE_KEY[_PATH], GHE_HOST), lore series with --lore-config')
    .option('--concurrency <n>', 'reviews this process runs at once', '1')
    .option('--lore-config <file>', 'also (without APP_ID: only) take the lore series `modreview serve` queues; env MODREVIEW_LORE_CONFIG')
    .option('--metrics-port <port>', 'serve GET /metrics (Prometheus text format) on this port (0: any free port); env MODREVIEW_WORKER_METRICS_PORT; default: no endpoint')
    .option('--metrics-host <address>', 'address of the metrics endpoint (default 127.0.0.1); env MODREVIEW_WORKER_METRICS_HOST')
    .action(async (o: { concurrency: string; loreConfig?: string; metricsPort?: string; metricsHost?: string }) => {
      const loreConfig = o.loreConfig ?? (process.env.MODREVIEW_LORE_CONFIG || undefined);
      const github = Boolean(process.env.APP_ID) || !loreConfig;
      const cfg = github ? readWorkerConfig(process.env, o.concurrency) : undefined;
      let concurrency = cfg?.concurrency ?? 1;
      if (!cfg) {
        if (process.env.REDIS_URL === undefined) throw new UsageError('missing REDIS_URL: set it to the Redis that `modreview serve` queues lore series in (e.g. redis://localhost:6379)');
        const n = Number(o.concurrency.trim());
        if (!/^\d+$/.test(o.concurrency.trim()) || n < 1 || n > 64) throw new UsageError(`--concurrency: expected a number of jobs from 1 to 64, got "${o.concurrency}"`);
        concurrency = n;
      }
      queueTimings(process.env);
      const metricsPort = readMetricsPort(o.metricsPort);
      const metricsHost = o.metricsHost ?? (process.env.MODREVIEW_WORKER_METRICS_HOST || '127.0.0.1');
      const { pino } = await import('pino');
      const log = pino({ name: 'modreview', level: cfg?.logLevel ?? process.env.LOG_LEVEL ?? 'info' });
      const endpoint = metricsPort === undefined ? undefined : await startMetricsEndpoint(metricsHost, metricsPort);
      if (endpoint) log.info(`modreview worker: metrics on ${endpoint.url}`);
      const metrics = endpoint?.metrics;
      // Signals are handled from the start: one arriving while the worker connects stops it
      // as soon as it is up.
      const started = Promise.all([
        cfg ? startWorker(cfg, { log, queue: queueTimings(process.env), ...(metrics ? { metrics } : {}) }) : undefined,
        loreConfig ? startLoreWorkerFor(loreConfig, process.env.REDIS_URL!, concurrency, log, process.env, metrics) : undefined,
      ]);
      let stopping = false;
      const stopped = untilSignal(async () => {
        stopping = true;
        metrics?.ready.set(0);
        const ws = await started.catch(() => []);
        await Promise.all(ws.map((w) => w?.close()));
        await endpoint?.close();
      }, log);
      try {
        await started;
        if (!stopping) metrics?.ready.set(1);
      } catch (e) {
        await endpoint?.close();
        throw e;
      }
      await stopped;
    });
};
