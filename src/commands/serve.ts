// `modreview serve [--config serve.yaml]`: one process running what is configured — the lore
// watcher (when `lore_config` names a lore config), the GitHub App webhook receiver (when APP_ID is
// set; it keeps its own PORT), and the operator's HTTP endpoints: /healthz, /readyz, /metrics
// (prom-client, src/metrics.ts) and / (a read-only status page, no JavaScript, no secrets).
// With REDIS_URL the reviews are not run here: GitHub's go to the `reviews` queue, lore series to
// the `lore` queue (src/lore/queue.ts), both taken by `modreview worker`.
// SIGTERM/SIGINT: stop taking work, let the current lore step finish, close, exit 0.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { destination, pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { CommandRegistrar } from '../cli.js';
import type { ProbotOctokit } from 'probot';
import type { LoreJob } from '../lore/responder.js';
import type { RecentGithubReview } from '../store/github.js';
import { UsageError } from '../errors.js';

export const ServeConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    /** Path of a `modreview lore` config (YAML); without it no lore watcher runs. */
    lore_config: z.string().min(1).optional(),
    /** Seconds between lore passes (default: interval_seconds of the lore config). */
    lore_interval_seconds: z.number().positive().optional(),
    log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict();
export type ServeConfig = z.infer<typeof ServeConfigSchema>;

/** The config file (optional) with the environment on top: SERVE_HOST, SERVE_PORT, MODREVIEW_LORE_CONFIG, LOG_LEVEL. */
export function loadServeConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): ServeConfig {
  let raw: Record<string, unknown> = {};
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new UsageError(`--config: cannot read ${path}: ${(e as Error).message}`);
    }
    const parsed: unknown = parseYaml(text);
    if (parsed !== null && parsed !== undefined && (typeof parsed !== 'object' || Array.isArray(parsed))) throw new UsageError(`${path}: expected a YAML mapping`);
    raw = { ...((parsed as Record<string, unknown> | null) ?? {}) };
  }
  if (env.SERVE_HOST) raw.host = env.SERVE_HOST;
  if (env.SERVE_PORT) raw.port = /^\d+$/.test(env.SERVE_PORT) ? Number(env.SERVE_PORT) : env.SERVE_PORT;
  if (env.MODREVIEW_LORE_CONFIG) raw.lore_config = env.MODREVIEW_LORE_CONFIG;
  if (env.LOG_LEVEL) raw.log_level = env.LOG_LEVEL;
  const r = ServeConfigSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new UsageError(`${path ?? 'serve config'}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  return r.data;
}

interface LoreState {
  passes: number;
  failedPasses: number;
  reviewed: number;
  queued: number;
  enqueued: number;
  repliesFailed: number;
  lastPassAt?: number;
  lastSync: Map<string, { at: number; ok: boolean; error?: string }>;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A reviewed lore series as the status page lists it. */
export interface RecentReview {
  list: string;
  subject: string;
  version: number;
  reviewed_at: number;
  findings: number;
  rules: string | null;
}

/** An http(s) URL as an href (escaped), or undefined for anything else (javascript:, data:, garbage). */
function safeHref(url: string | null): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? esc(u.href) : undefined;
  } catch {
    return undefined;
  }
}

function githubRows(recent: RecentGithubReview[]): string {
  return recent
    .map((r) => {
      const href = safeHref(r.checkRunUrl);
      const run = href ? `<a href="${href}">check run${r.checkRunId !== null ? ` ${r.checkRunId}` : ''}</a>` : r.checkRunId !== null ? `check run ${r.checkRunId}` : '';
      const at = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(r.finishedAt) ? `${r.finishedAt.replace(' ', 'T')}.000Z` : esc(r.finishedAt);
      return `<tr><td>${at}</td><td>${esc(`${r.repo}#${r.pr}`)}</td><td>${esc(r.title ?? '')}</td><td>${esc(r.headSha.slice(0, 12))}</td><td>${esc(r.conclusion)}</td><td>${r.findings}</td><td>${run}</td></tr>`;
    })
    .join('');
}

function statusPage(st: LoreState, cfg: ServeConfig, github: boolean, ready: boolean, recent: RecentReview[], recentGithub: RecentGithubReview[]): string {
  const reviews = recent
    .map(
      (r) =>
        `<tr><td>${new Date(r.reviewed_at).toISOString()}</td><td>${esc(r.list)}</td><td>${esc(r.subject)}${r.version > 1 ? ` (v${r.version})` : ''}</td><td>${r.findings}${r.rules ? `: ${esc(r.rules)}` : ''}</td></tr>`,
    )
    .join('');
  const rows = [...st.lastSync]
    .map(([inbox, s]) => `<tr><td>${esc(inbox)}</td><td>${new Date(s.at).toISOString()}</td><td>${s.ok ? 'ok' : `failed: ${esc(s.error ?? '')}`}</td></tr>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>modreview</title></head><body>
<h1>modreview</h1>
<p>Status: ${ready ? 'ready' : 'starting'}. GitHub App: ${github ? 'on' : 'off'}. Lore watcher: ${cfg.lore_config ? 'on' : 'off'}.</p>
<h2>Lore</h2>
<p>Passes: ${st.passes} (${st.failedPasses} failed). Series reviewed: ${st.reviewed}${st.enqueued ? `, queued for workers: ${st.enqueued}` : ''}. Replies queued: ${st.queued}, failed: ${st.repliesFailed}.${st.lastPassAt ? ` Last pass: ${new Date(st.lastPassAt).toISOString()}.` : ''}</p>
<table><thead><tr><th>Inbox</th><th>Last sync</th><th>Result</th></tr></thead><tbody>${rows}</tbody></table>
<h2>Recent lore reviews</h2>
${recent.length ? `<table id="recent-reviews"><thead><tr><th>Reviewed</th><th>List</th><th>Series</th><th>Findings</th></tr></thead><tbody>${reviews}</tbody></table>` : '<p>None yet.</p>'}
${github ? `<h2>Recent GitHub reviews</h2>
${recentGithub.length ? `<table id="recent-github-reviews"><thead><tr><th>Reviewed</th><th>Pull request</th><th>Title</th><th>Head</th><th>Conclusion</th><th>Findings</th><th>Check run</th></tr></thead><tbody>${githubRows(recentGithub)}</tbody></table>` : '<p>None yet.</p>'}
` : ''}</body></html>
`;
}

export interface RunningServe {
  port: number;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** The GitHub App's Octokit class (tests turn retry and throttling off or shorten them). */
  Octokit?: typeof ProbotOctokit;
}

export async function startServe(cfg: ServeConfig, env: NodeJS.ProcessEnv = process.env, opts: ServeOptions = {}): Promise<RunningServe> {
  const log = pino({ name: 'modreview', level: cfg.log_level }, destination(2));
  const st: LoreState = { passes: 0, failedPasses: 0, reviewed: 0, queued: 0, enqueued: 0, repliesFailed: 0, lastSync: new Map() };
  const { createMetrics, instrumentReview, githubErrorPlugin } = await import('../metrics.js');
  // With REDIS_URL: the job counts of both queues, read at each scrape.
  let queueCounts: (() => Promise<Record<string, Record<string, number>>>) | undefined;
  const metrics = createMetrics({
    lastSync: function* () {
      for (const [inbox, s] of st.lastSync) if (s.ok) yield [inbox, s.at];
    },
    queueCounts: () => queueCounts?.() ?? Promise.resolve({}),
  });
  let ready = false;
  let stopping = false;
  let wake: (() => void) | undefined;
  const closers: (() => Promise<void> | void)[] = [];
  let loreLoop: Promise<void> = Promise.resolve();
  // The last reviewed lore series (by serve, or by the workers: they share the store).
  let recentReviews: () => RecentReview[] = () => [];
  // The last GitHub reviews recorded in the App's store (MODREVIEW_DB; with REDIS_URL, the
  // workers' reviews when they share that file).
  let recentGithub: () => RecentGithubReview[] = () => [];

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    if (path === '/healthz') res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    else if (path === '/readyz') res.writeHead(ready && !stopping ? 200 : 503, { 'content-type': 'text/plain' }).end(ready && !stopping ? 'ready\n' : 'not ready\n');
    else if (path === '/metrics') {
      metrics.ready.set(ready && !stopping ? 1 : 0);
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics: ${e.message}\n`),
      );
    }
    else if (path === '/') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(statusPage(st, cfg, Boolean(env.APP_ID), ready, recentReviews(), recentGithub()));
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE' ? new UsageError(`port ${cfg.port} is already in use on ${cfg.host}`) : e));
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log.info(`modreview serve listening on http://${cfg.host}:${port}`);

  try {
    if (env.REDIS_URL) {
      const [{ checkRedisUrl, checkRedisReachable, QUEUE_NAME }, { LORE_QUEUE }, { Queue }] = await Promise.all([
        import('../github/redis-queue.js'),
        import('../lore/queue.js'),
        import('bullmq'),
      ]);
      const url = checkRedisUrl(env.REDIS_URL);
      await checkRedisReachable(url);
      const queues = [QUEUE_NAME, LORE_QUEUE].map((name) => new Queue(name, { connection: { url, maxRetriesPerRequest: 2 }, prefix: 'modreview' }));
      for (const q of queues) q.on('error', () => {});
      queueCounts = async () => {
        const out: Record<string, Record<string, number>> = {};
        for (const q of queues) out[q.name] = await q.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
        return out;
      };
      closers.push(async () => {
        for (const q of queues) await q.close();
      });
    }
    if (env.APP_ID) {
      const gh = await import('./github.js');
      const { ProbotOctokit } = await import('probot');
      const ghCfg = gh.readServerConfig(env);
      // With REDIS_URL the reviews run in `modreview worker`; here only the GitHub API errors count.
      const running = await gh.startGithubServer(ghCfg, {
        log,
        Octokit: (opts.Octokit ?? ProbotOctokit).plugin(githubErrorPlugin(metrics)),
        ...(ghCfg.redisUrl ? {} : { review: instrumentReview(await gh.defaultReview(), metrics, 'github') }),
      });
      recentGithub = () => running.store.recentReviews(20);
      closers.push(() => {
        recentGithub = () => [];
        return running.close();
      });
    }
    if (cfg.lore_config) {
      const lore = await import('./lore.js');
      const { outboxSummary } = await import('../lore/outbox.js');
      const lcfg = lore.loadConfig(cfg.lore_config);
      lore.checkPolicyLists(lcfg);
      const interval = cfg.lore_interval_seconds ?? lcfg.interval_seconds;
      const transport = lore.transportFor(lcfg);
      // With REDIS_URL this process only ingests: ready series become jobs for `modreview worker`.
      const loreQueue = env.REDIS_URL ? await (await import('../lore/queue.js')).LoreQueue.open(env.REDIS_URL, (await import('./worker.js')).queueRetries(env)) : undefined;
      if (loreQueue) closers.push(() => loreQueue.close());
      const enqueue = loreQueue ? (job: LoreJob) => loreQueue.push(job) : undefined;
      const base = (await import('../engine/review.js')).reviewSubmission;
      const { responder, db, refreshIndex } = await lore.createResponder(lcfg, log, { review: instrumentReview(base, metrics, 'lore'), bisectReview: base });
      const recentQ = db.prepare(
        `SELECT s.list, s.subject, s.version, s.reviewed_at, COUNT(f.fingerprint) AS findings, GROUP_CONCAT(DISTINCT f.rule) AS rules
         FROM lore_series s LEFT JOIN lore_finding f ON f.series_id = s.id WHERE s.state = 'reviewed' GROUP BY s.id ORDER BY s.id DESC LIMIT 20`,
      );
      recentReviews = () => recentQ.all() as RecentReview[];
      closers.push(() => {
        recentReviews = () => [];
        transport.close?.();
        db.close();
      });
      loreLoop = (async () => {
        let first = true;
        while (!stopping) {
          try {
            if (!first) await refreshIndex();
            first = false;
            const report = await lore.syncOnce(responder, lcfg, transport, log, undefined, () => stopping, enqueue);
            const at = Date.now();
            st.passes++;
            st.lastPassAt = at;
            st.reviewed += report.reviewed;
            st.queued += report.queued;
            st.enqueued += report.enqueued;
            st.repliesFailed += report.failed;
            metrics.lorePasses.inc({ outcome: 'ok' });
            metrics.replies.inc({ channel: 'mail', outcome: 'queued' }, report.queued);
            metrics.replies.inc({ channel: 'mail', outcome: 'sent' }, report.sent);
            metrics.replies.inc({ channel: 'mail', outcome: 'failed' }, report.failed);
            for (const inbox of lcfg.inboxes) {
              const f = report.inboxFailures.find((x) => x.inbox === inbox.name);
              st.lastSync.set(inbox.name, f ? { at, ok: false, error: f.error } : { at, ok: true });
            }
            log.info({ ...report, outbox: outboxSummary(db) }, 'serve: lore pass done');
          } catch (e) {
            st.passes++;
            st.failedPasses++;
            metrics.lorePasses.inc({ outcome: 'failed' });
            log.error({ error: e instanceof Error ? e.message : String(e) }, 'serve: lore pass failed; retrying next interval');
          }
          if (stopping) break;
          await new Promise<void>((res) => {
            const t = setTimeout(res, interval * 1000);
            wake = () => {
              clearTimeout(t);
              res();
            };
          });
        }
      })();
    }
  } catch (e) {
    await new Promise<void>((r) => server.close(() => r()));
    for (const c of closers.reverse()) await c();
    throw e;
  }
  ready = true;
  let closed: Promise<void> | undefined;
  return {
    port,
    close() {
      closed ??= (async () => {
        stopping = true;
        wake?.();
        await loreLoop;
        for (const c of closers.reverse()) await c();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        log.info({}, 'modreview serve: stopped');
      })();
      return closed;
    },
  };
}

export const register: CommandRegistrar = (program: Command) => {
  program
    .command('serve')
    .description('run what is configured in one process: lore watcher, GitHub App (with APP_ID), /healthz, /readyz, /metrics, status page')
    .option('-c, --config <file>', 'serve config file (YAML); see docs/DEPLOY.md')
    .option('--socket <path>', 'also answer `modreview review` over this Unix socket, warm (as `modreview review-server`)')
    .action(async (o: { config?: string; socket?: string }) => {
      const cfg = loadServeConfig(o.config);
      // The warm review path (src/review-server/): its own module, started before the rest.
      const reviews = o.socket
        ? await (await import('../review-server/server.js')).startReviewServer({ socket: o.socket, log: (s) => void process.stderr.write(`modreview serve: review socket: ${s}\n`) })
        : undefined;
      const running = await startServe(cfg).catch(async (e: unknown) => {
        await reviews?.close();
        throw e;
      });
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void Promise.all([running.close(), reviews?.close()]).then(() => resolve());
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
};
