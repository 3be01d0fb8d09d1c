// `modreview lore sync|watch|feedback --config lore.yaml`: the lore mailing-list responder.
// sync: fetch every inbox (or read an mbox / stdin), review what is ready, queue replies, deliver
// (dry-run maildir by default, SMTP when configured). watch: the same on an interval; SIGTERM or
// SIGINT lets the current step finish, then exits 0. feedback: what recipients said by mail.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import { destination, pino } from 'pino';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { FACTS_VERSION } from '../c/version.js';
import type { CommandRegistrar } from '../cli.js';
import { factsCacheOf } from '../store/facts-cache.js';
import type { ReviewFn, ReviewOptions } from '../engine/api.js';
import type { IndexQuery } from '../engine/types.js';
import { UsageError } from '../errors.js';
import type { Submission } from '../ingest/types.js';
import { listFeedback } from '../lore/feedback.js';
import type { Log } from '../lore/log.js';
import { maildirTransport, outboxSummary, smtpTransport, type DeliverOptions, type Transport } from '../lore/outbox.js';
import { loadPolicy, parsePolicy, PolicySchema, zodProblem, type Policy } from '../lore/policy.js';
import { gitError } from '../lore/inbox.js';
import { emptyReport, Responder, type LoreJob, type SyncReport } from '../lore/responder.js';
import { safeTreePath, treeImages } from '../lore/tree.js';
import { openStore, type DB } from '../store/db.js';
import { migrateLore } from '../store/lore.js';
import { migrateOutbox } from '../store/outbox.js';
import { addressOk } from '../report/headers.js';

const ConfigSchema = z
  .object({
    db: z.string().min(1),
    cache_dir: z.string().min(1),
    tree: z.string().min(1).optional(),
    /** Files or directories of the tree the index covers (default: the whole tree). */
    index_paths: z.array(z.string().min(1)).min(1).optional(),
    bot: z.object({ name: z.string().min(1), address: z.string().refine(addressOk, 'must be a plain address') }).strict(),
    docs_url: z.string().url().optional(),
    wait_minutes: z.number().min(0).default(60),
    max_message_mb: z.number().positive().default(20),
    initial_since_days: z.number().positive().optional(),
    rewrite_window_hours: z.number().positive().default(48),
    interval_seconds: z.number().positive().default(300),
    inboxes: z
      .array(z.object({ name: z.string().regex(/^[A-Za-z0-9._-]+$/), url: z.string().min(1), list: z.string().min(1).optional() }).strict())
      .default([]),
    policy: z.union([z.string().min(1), PolicySchema]).optional(),
    outbox: z.string().min(1).optional(),
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535),
        secure: z.boolean().optional(),
        require_tls: z.boolean().optional(),
        user: z.string().optional(),
        /** Name of the environment variable holding the password (never the password itself). */
        pass_env: z.string().optional(),
        timeout_ms: z.number().int().positive().optional(),
      })
      .strict()
      .optional(),
    delivery: z.object({ max_attempts: z.number().int().min(1).default(6), base_delay_seconds: z.number().min(0).default(60) }).strict().default({ max_attempts: 6, base_delay_seconds: 60 }),
  })
  .strict();

export type LoreConfig = z.infer<typeof ConfigSchema> & { policyObject: Policy; policySource: string; base: string };

export function loadConfig(path: string): LoreConfig {
  let data: unknown;
  try {
    data = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`${path}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const r = ConfigSchema.safeParse(data ?? {});
  if (!r.success) throw new UsageError(zodProblem(path, r.error));
  const base = dirname(resolve(path));
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  const c = r.data;
  const policySource = typeof c.policy === 'string' ? abs(c.policy) : `${path}: policy`;
  const policy = typeof c.policy === 'string' ? loadPolicy(policySource) : parsePolicy(c.policy ?? {}, policySource);
  return {
    ...c,
    db: abs(c.db),
    cache_dir: abs(c.cache_dir),
    ...(c.tree ? { tree: abs(c.tree) } : {}),
    ...(c.outbox ? { outbox: abs(c.outbox) } : {}),
    inboxes: c.inboxes.map((i) => ({ ...i, url: /^[a-z][a-z0-9+.-]*:\/\//i.test(i.url) ? i.url : abs(i.url) })),
    policyObject: policy,
    policySource,
    base,
  };
}

/**
 * Every list the policy names must be carried by a configured inbox (or be the `--list` of an
 * `--mbox` run): a misspelt or forgotten list would otherwise stay muted without a word.
 */
export function checkPolicyLists(cfg: LoreConfig, extra: string[] = []): void {
  const carried = new Set([...cfg.inboxes.map((i) => i.list ?? i.name), ...extra]);
  for (const list of cfg.policyObject.lists()) {
    if (carried.has(list)) continue;
    const have = [...carried].sort();
    throw new UsageError(
      `${cfg.policySource}: lists.${list}: no configured inbox carries list "${list}" (${have.length ? `inboxes carry: ${have.join(', ')}` : 'no inboxes configured'}); add an inbox with list: ${list}, or remove it from the policy`,
    );
  }
}

/** `tree` must be set for a review, and `index_paths` must name things inside it. */
function checkTree(cfg: LoreConfig): string {
  if (!cfg.tree) throw new UsageError(`${cfg.base}: tree: not set; the responder reviews against a kernel tree and its index (docs/LORE.md)`);
  try {
    if (!statSync(cfg.tree).isDirectory()) throw new Error();
  } catch {
    throw new UsageError(`tree: not a directory: ${cfg.tree}`);
  }
  const root = realpathSync(cfg.tree);
  for (const p of cfg.index_paths ?? []) if (!safeTreePath(root, p)) throw new UsageError(`index_paths: not a file or directory inside ${root}: ${p}`);
  return root;
}

/**
 * Build or refresh the index of the configured tree in the responder's own store (only files
 * that changed are read again), with progress on stderr: a bar on a terminal, log lines
 * otherwise. A tree that cannot be indexed is an error: the responder never reviews without
 * the cross-file facts its rules need.
 */
export async function prepareIndex(db: DB, tree: string, paths: string[] | undefined, log: Log): Promise<IndexQuery> {
  const [{ buildIndex }, { TreeIndex }, { progressReporter }] = await Promise.all([import('../index/build.js'), import('../index/query.js'), import('./progress.js')]);
  const bar = progressReporter();
  let lastLog = 0;
  let lastPhase = '';
  log.info({ tree, db: db.name, paths }, 'lore: indexing the tree (only changed files are read)');
  try {
    const stats = await buildIndex(tree, {
      db,
      ...(paths?.length ? { paths } : {}),
      onProgress(p) {
        bar.onProgress(p);
        const t = Date.now();
        if (p.phase !== lastPhase || t - lastLog >= 5000 || p.done === p.total) {
          if (process.stderr.isTTY !== true) log.info({ phase: p.phase, done: p.done, total: p.total }, 'lore: indexing progress');
          lastLog = t;
          lastPhase = p.phase;
        }
      },
    });
    bar.stop();
    log.info({ tree, seen: stats.seen, parsed: stats.parsed, unchanged: stats.unchanged, problems: stats.problems.length, seconds: Number(stats.seconds.toFixed(1)) }, 'lore: tree indexed');
    return await TreeIndex.open(db, tree);
  } catch (e) {
    throw new Error(`tree index of ${tree} could not be built in ${db.name}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  } finally {
    bar.stop();
  }
}

/**
 * The pieces a run needs, wired from the config: the store, the tree index (built or refreshed
 * first, into the same store) and the responder. `refreshIndex` brings the index up to date again
 * (each `watch` pass). `review` may be injected (tests).
 */
export async function createResponder(
  cfg: LoreConfig,
  log: Log,
  deps: { review?: ReviewFn; bisectReview?: ReviewFn; now?: () => number } = {},
): Promise<{ responder: Responder; db: DB; refreshIndex: () => Promise<void> }> {
  const tree = checkTree(cfg);
  const db = openStore(cfg.db);
  let index: IndexQuery;
  try {
    migrateLore(db);
    migrateOutbox(db);
    index = await prepareIndex(db, tree, cfg.index_paths, log);
  } catch (e) {
    db.close();
    throw e;
  }
  const review = deps.review ?? (await import('../engine/review.js')).reviewSubmission;
  const facts = factsCacheOf(db, String(FACTS_VERSION));
  const reviewOptions = (sub: Submission): ReviewOptions => ({ filter: 'added', facts, images: treeImages(tree, sub.series.baseCommit), index });
  const responder = new Responder(
    { db, policy: cfg.policyObject, review, reviewOptions, log, ...(deps.bisectReview ? { bisectReview: deps.bisectReview } : {}), ...(deps.now ? { now: deps.now } : {}) },
    {
      bot: cfg.bot,
      cacheDir: cfg.cache_dir,
      waitMinutes: cfg.wait_minutes,
      maxMessageBytes: cfg.max_message_mb * 1e6,
      walk: { rewriteWindowMs: cfg.rewrite_window_hours * 3600_000, ...(cfg.initial_since_days ? { initialSince: Date.now() - cfg.initial_since_days * 86400_000 } : {}) },
      ...(cfg.docs_url ? { docsUrl: cfg.docs_url } : {}),
    },
  );
  const refreshIndex = async (): Promise<void> => {
    index = await prepareIndex(db, tree, cfg.index_paths, log);
  };
  return { responder, db, refreshIndex };
}

export function transportFor(cfg: LoreConfig): Transport {
  if (cfg.smtp) {
    const s = cfg.smtp;
    const pass = s.pass_env ? process.env[s.pass_env] : undefined;
    if (s.pass_env && pass === undefined) throw new UsageError(`smtp.pass_env: environment variable ${s.pass_env} is not set`);
    return smtpTransport({ host: s.host, port: s.port, ...(s.secure !== undefined ? { secure: s.secure } : {}), ...(s.require_tls !== undefined ? { require_tls: s.require_tls } : {}), ...(s.user ? { user: s.user } : {}), ...(pass !== undefined ? { pass } : {}), ...(s.timeout_ms ? { timeout_ms: s.timeout_ms } : {}) });
  }
  return maildirTransport(cfg.outbox ?? resolve(cfg.base, 'outbox'));
}

function deliverOptions(cfg: LoreConfig): DeliverOptions {
  const o: DeliverOptions = { maxAttempts: cfg.delivery.max_attempts, baseDelayMs: cfg.delivery.base_delay_seconds * 1000 };
  // Test hook for the crash/restart tests; never set in production.
  const crash = process.env.MODREVIEW_CRASH_AT;
  if (crash === 'sending' || crash === 'sent-unrecorded') o.crashAt = crash;
  return o;
}

/** One pass: inboxes (or one mbox), review, queue, deliver. */
export async function syncOnce(
  responder: Responder,
  cfg: LoreConfig,
  transport: Transport,
  log: Log,
  input?: { mbox: Buffer; list: string },
  stop?: () => boolean,
  enqueue?: (job: LoreJob) => Promise<void>,
): Promise<SyncReport> {
  const report = emptyReport();
  if (input) await responder.ingestMbox(input.mbox, input.list, report);
  else {
    for (const inbox of cfg.inboxes) {
      if (stop?.()) return report;
      try {
        await responder.syncInbox(inbox, report);
      } catch (e) {
        // One unreachable inbox does not stop the others; it is counted, and the exit status says so.
        const error = gitError(e);
        report.inboxFailures.push({ inbox: inbox.name, error });
        log.error({ inbox: inbox.name, error }, 'lore: inbox sync failed');
      }
    }
  }
  if (stop?.()) return report;
  await responder.processPending(report, enqueue);
  if (stop?.()) return report;
  const delivered = await responder.deliver(transport, deliverOptions(cfg));
  report.sent += delivered.sent.length;
  report.failed += delivered.failed.length;
  report.deferred += delivered.deferred.length;
  return report;
}

/** 1 when the pass had a failure an operator must see (an inbox not synced, a reply that ended `failed`), else 0. */
export function exitStatus(report: SyncReport): number {
  return report.inboxFailures.length > 0 || report.failed > 0 ? 1 : 0;
}

export function summary(report: SyncReport, db: DB, transport: Transport): string {
  const ob = outboxSummary(db);
  const kinds = Object.entries(report.skips)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, n]) => `${n} ${k}`);
  const parts = [
    `${report.messages} new message(s)`,
    `${report.skipped} skipped${kinds.length ? ` (${kinds.join(', ')})` : ''}`,
    `${report.reviewed} series reviewed`,
    `${report.waiting} waiting for parts`,
    `${report.queued} repl${report.queued === 1 ? 'y' : 'ies'} queued`,
  ];
  if (report.muted) parts.push(`${report.muted} not queued (list muted)`);
  if (report.feedback) parts.push(`${report.feedback} feedback`);
  if (report.deferred) parts.push(`${report.deferred} deferred by rate limit`);
  if (report.failed) parts.push(`${report.failed} repl${report.failed === 1 ? 'y' : 'ies'} failed`);
  if (report.inboxFailures.length) parts.push(`${report.inboxFailures.length} inbox(es) failed (${report.inboxFailures.map((f) => f.inbox).join(', ')})`);
  const out = Object.entries(ob).map(([k, v]) => `${v} ${k}`).join(', ') || 'empty';
  return `lore sync: ${parts.join(', ')}; outbox (${transport.kind === 'smtp' ? 'SMTP' : 'dry-run maildir'}): ${out}`;
}

function readStdin(): Promise<Buffer> {
  return new Promise((res, rej) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => res(Buffer.concat(chunks)));
    process.stdin.on('error', rej);
  });
}

function makeLog(level: string): Log {
  return pino({ level, base: undefined }, destination(2));
}

export const register: CommandRegistrar = (program: Command, setExit) => {
  const lore = program.command('lore').description('follow public-inbox (lore) lists, review each series, reply in-thread');

  lore
    .command('sync')
    .description('one pass: fetch inboxes (or read an mbox), review what is ready, queue and deliver replies')
    .requiredOption('-c, --config <file>', 'lore config file (YAML)')
    .option('--mbox <file>', "review the messages of an mbox instead of the inboxes ('-' for stdin)")
    .option('--list <name>', 'list whose policy applies to --mbox input', 'mbox')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (o: { config: string; mbox?: string; list: string; logLevel: string }) => {
      const cfg = loadConfig(o.config);
      checkPolicyLists(cfg, o.mbox ? [o.list] : []);
      const log = makeLog(o.logLevel);
      const transport = transportFor(cfg);
      const { responder, db } = await createResponder(cfg, log);
      try {
        let input: { mbox: Buffer; list: string } | undefined;
        if (o.mbox) {
          let buf: Buffer;
          try {
            buf = o.mbox === '-' ? await readStdin() : readFileSync(o.mbox);
          } catch (e) {
            throw new UsageError(`--mbox: cannot read ${o.mbox}: ${e instanceof Error ? e.message : String(e)}`);
          }
          input = { mbox: buf, list: o.list };
        }
        const report = await syncOnce(responder, cfg, transport, log, input);
        process.stdout.write(`${summary(report, db, transport)}\n`);
        setExit(exitStatus(report));
      } finally {
        transport.close?.();
        db.close();
      }
    });

  lore
    .command('watch')
    .description('sync on an interval until SIGTERM/SIGINT (the current step finishes, then exit 0)')
    .requiredOption('-c, --config <file>', 'lore config file (YAML)')
    .option('--interval <seconds>', 'seconds between passes (default: interval_seconds from the config)')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (o: { config: string; interval?: string; logLevel: string }) => {
      const cfg = loadConfig(o.config);
      const interval = o.interval !== undefined ? Number(o.interval) : cfg.interval_seconds;
      if (!Number.isFinite(interval) || interval <= 0) throw new UsageError(`--interval: expected a positive number of seconds, got "${o.interval}"`);
      checkPolicyLists(cfg);
      const log = makeLog(o.logLevel);
      const transport = transportFor(cfg);
      const { responder, db, refreshIndex } = await createResponder(cfg, log);
      let stopping = false;
      let first = true;
      let wake: (() => void) | undefined;
      const onSignal = (sig: string) => {
        if (!stopping) log.info({ signal: sig }, 'lore watch: stopping after the current step');
        stopping = true;
        wake?.();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      try {
        while (!stopping) {
          try {
            // The tree moves (git pull): each pass after the first refreshes its index (changed files only).
            if (!first) await refreshIndex();
            first = false;
            const report = await syncOnce(responder, cfg, transport, log, undefined, () => stopping);
            log.info({ ...report, outbox: outboxSummary(db) }, 'lore watch: pass done');
            if (exitStatus(report) !== 0) log.error({ inboxFailures: report.inboxFailures, failed: report.failed }, 'lore watch: pass had failures');
          } catch (e) {
            log.error({ error: e instanceof Error ? e.message : String(e) }, 'lore watch: pass failed; retrying next interval');
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
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        transport.close?.();
        db.close();
      }
      log.info({}, 'lore watch: stopped');
    });

  lore
    .command('feedback')
    .description('list the feedback received by mail (#modreview ignore / false-positive)')
    .requiredOption('-c, --config <file>', 'lore config file (YAML)')
    .option('--json', 'one JSON object per line')
    .action((o: { config: string; json?: boolean }) => {
      const cfg = loadConfig(o.config);
      const db = openStore(cfg.db);
      try {
        migrateLore(db);
        // Each mute lapses feedback.expire_days after it was received (the list's policy now).
        const rows = listFeedback(db).map((r) => ({ ...r, expires_at: r.received_at + cfg.policyObject.forList(r.list).feedback.expire_days * 86400_000 }));
        const now = Date.now();
        if (o.json) for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
        else if (rows.length === 0) process.stdout.write('no feedback received\n');
        else
          for (const r of rows) {
            const where = [r.file, r.function ? `${r.function}()` : undefined].filter(Boolean).join(' ');
            const until = `${r.expires_at > now ? 'muted until' : 'expired'} ${new Date(r.expires_at).toISOString().slice(0, 10)}`;
            process.stdout.write(`${new Date(r.received_at).toISOString()}  ${r.list}  ${r.kind} ${r.rule}  ${where}  from ${r.from_addr}  <${r.msgid}>  ${until}\n`);
          }
      } finally {
        db.close();
      }
    });
};
