// The operator's metrics (prom-client), served by `modreview serve` on /metrics and, with
// --metrics-port, by `modreview worker` (src/commands/worker.ts). One registry per process; the pieces that do the work report into it through the small functions below, so the
// engine, the lore responder and the GitHub adapter never import prom-client themselves.
// Loaded only by `serve` and a worker with a metrics port: other commands never pay for it.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ReviewFn } from './engine/api.js';
import { EXPECTED_STATUS } from './github/octokit.js';

export type ReviewSource = 'lore' | 'github';

export interface Metrics {
  registry: Registry;
  ready: Gauge;
  lorePasses: Counter<'outcome'>;
  reviews: Counter<'source' | 'outcome'>;
  findings: Counter<'source' | 'rule'>;
  reviewSeconds: Histogram<'source'>;
  replies: Counter<'channel' | 'outcome'>;
  githubApiErrors: Counter<'status'>;
  loreSyncLag: Gauge<'inbox'>;
  queueJobs: Gauge<'queue' | 'state'>;
  workerJobs: Counter<'queue' | 'outcome'>;
}

/** The last successful sync of each inbox (ms since the epoch), read when /metrics is scraped. */
export type LastSync = () => Iterable<[inbox: string, at: number]>;
/** Job counts of each queue by BullMQ state, read when /metrics is scraped (none without Redis). */
export type QueueCounts = () => Promise<Record<string, Record<string, number>>>;

export function createMetrics(opts: { lastSync?: LastSync; queueCounts?: QueueCounts; now?: () => number } = {}): Metrics {
  const registry = new Registry();
  const now = opts.now ?? Date.now;
  const registers = [registry];
  return {
    registry,
    ready: new Gauge({ name: 'modreview_ready', help: '1 when every configured component is ready.', registers }),
    lorePasses: new Counter({ name: 'modreview_lore_passes_total', help: 'Lore watcher passes, by outcome (ok, failed).', labelNames: ['outcome'], registers }),
    reviews: new Counter({
      name: 'modreview_reviews_total',
      help: 'Reviews run, by source (lore, github) and outcome (findings, clean, failed).',
      labelNames: ['source', 'outcome'],
      registers,
    }),
    findings: new Counter({ name: 'modreview_findings_total', help: 'Findings reported by reviews, by source and rule.', labelNames: ['source', 'rule'], registers }),
    reviewSeconds: new Histogram({
      name: 'modreview_review_duration_seconds',
      help: 'Time one review took (engine only: no fetching, no delivery), by source.',
      labelNames: ['source'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    replies: new Counter({
      name: 'modreview_replies_total',
      help: 'Replies by channel (mail) and outcome (queued, sent, failed).',
      labelNames: ['channel', 'outcome'],
      registers,
    }),
    githubApiErrors: new Counter({ name: 'modreview_github_api_errors_total', help: 'GitHub API requests that failed, by HTTP status (0: no answer).', labelNames: ['status'], registers }),
    loreSyncLag: new Gauge({
      name: 'modreview_lore_sync_lag_seconds',
      help: 'Seconds since the last successful sync of each inbox.',
      labelNames: ['inbox'],
      registers,
      collect() {
        if (!opts.lastSync) return;
        const t = now();
        for (const [inbox, at] of opts.lastSync()) this.set({ inbox }, (t - at) / 1000);
      },
    }),
    queueJobs: new Gauge({
      name: 'modreview_queue_jobs',
      help: 'Jobs in each Redis queue (reviews: GitHub, lore: lore series) by state (waiting, active, delayed, failed, completed).',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        if (!opts.queueCounts) return;
        try {
          const counts = await opts.queueCounts();
          for (const [queue, byState] of Object.entries(counts)) for (const [state, n] of Object.entries(byState)) this.set({ queue, state }, n);
        } catch {
          // Redis away: the gauge keeps its last values; /readyz and the logs say why.
        }
      },
    }),
    workerJobs: new Counter({
      name: 'modreview_worker_jobs_total',
      help: 'Queued jobs a worker ran, by queue (reviews: GitHub, lore) and outcome (completed; failed: the try threw, BullMQ retries it or keeps it failed).',
      labelNames: ['queue', 'outcome'],
      registers,
    }),
  };
}

/**
 * `review` reporting into `m`: one `modreview_reviews_total` per call (outcome findings, clean or
 * failed), its findings by rule, and its duration.
 */
export function instrumentReview(review: ReviewFn, m: Metrics, source: ReviewSource): ReviewFn {
  return async (sub, options) => {
    const end = m.reviewSeconds.startTimer({ source });
    try {
      const result = await review(sub, options);
      m.reviews.inc({ source, outcome: result.findings.length > 0 ? 'findings' : 'clean' });
      for (const f of result.findings) m.findings.inc({ source, rule: f.rule });
      return result;
    } catch (e) {
      m.reviews.inc({ source, outcome: 'failed' });
      throw e;
    } finally {
      end();
    }
  };
}

/**
 * An Octokit plugin counting failed GitHub API requests by status, for ProbotOctokit.plugin().
 *
 * What one count is: a request that finally failed, after octokit's own retries (the plugin wraps
 * the retry and throttling plugins, so a 500 retried three times is one count), by the HTTP status
 * of the last answer (0: no answer, e.g. a connection refused or reset). The same error reaching
 * the hook twice — the installation-token request failing inside the request that needed the token
 * — is counted once. Not counted: answers the caller marked with expectStatus() (src/github/octokit.ts) (the repository
 * config or a pre-image that does not exist, a comment deleted by hand).
 */
export function githubErrorPlugin(m: Metrics) {
  // Shared by every Octokit instance of the class (probot makes one per installation; the token
  // request runs on the App's instance).
  const counted = new WeakSet<object>();
  return (octokit: { hook: { error(name: 'request', fn: (err: unknown, options: { request?: { [option: string]: unknown } }) => never | Promise<never>): void } }): void => {
    octokit.hook.error('request', (err: unknown, options) => {
      const status = (err as { status?: unknown } | null)?.status;
      const expected = options?.request?.[EXPECTED_STATUS];
      const isExpected = typeof status === 'number' && Array.isArray(expected) && expected.includes(status);
      if (!isExpected && !(typeof err === 'object' && err !== null && counted.has(err))) {
        if (typeof err === 'object' && err !== null) counted.add(err);
        m.githubApiErrors.inc({ status: typeof status === 'number' ? String(status) : '0' });
      }
      throw err;
    });
  };
}
