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
import { emptyReport, Responder, type SyncReport } from '../lore/responder.js';
import { treeImages } from '../lore/tree.js';
import { openStore, type DB } from '../store/db.js';
import { migrateLore } from '../store/lore.js';
import { migrateOutbox } from '../store/outbox.js';

const ConfigSchema = z
  .object({
    db: z.string().min(1),
    cache_dir: z.string().min(1),
    tree: z.string().min(1).optional(),
    bot: z.object({ name: z.string().min(1), address: z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, 'must be a plain address') }).strict(),
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

export type LoreConfig = z.infer<typeof ConfigSchema> & { policyObject: Policy; base: string };

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
  const policy = typeof c.policy === 'string' ? loadPolicy(abs(c.policy)) : parsePolicy(c.policy ?? {}, `${path}: policy`);
  return {
    ...c,
    db: abs(c.db),
    cache_dir: abs(c.cache_dir),
    ...(c.tree ? { tree: abs(c.tree) } : {}),
    ...(c.outbox ? { outbox: abs(c.outbox) } : {}),
    inboxes: c.inboxes.map((i) => ({ ...i, url: /^[a-z][a-z0-9+.-]*:\/\//i.test(i.url) ? i.url : abs(i.url) })),
    policyObject: policy,
    base,
  };
}

/** The pieces a run needs, wired from the config. `review` may be injected (tests). */
export async function createResponder(cfg: LoreConfig, log: Log, deps: { review?: ReviewFn; now?: () => number } = {}): Promise<{ responder: Responder; db: DB }> {
  const db = openStore(cfg.db);
  migrateLore(db);
  migrateOutbox(db);
  const review = deps.review ?? (await import('../engine/review.js')).reviewSubmission;
  let index: IndexQuery | undefined;
  if (cfg.tree) {
    try {
      if (!statSync(cfg.tree).isDirectory()) throw new Error();
    } catch {
      throw new UsageError(`tree: not a directory: ${cfg.tree}`);
    }
    try {
      const { TreeIndex } = await import('../index/query.js');
      index = await TreeIndex.open(db, realpathSync(cfg.tree));
    } catch (e) {
      log.warn({ tree: cfg.tree, reason: e instanceof Error ? e.message : String(e) }, 'lore: no tree index; cross-file questions see only the patched files');
    }
  }
  const facts = factsCacheOf(db, String(FACTS_VERSION));
  const reviewOptions = (sub: Submission): ReviewOptions => {
    const o: ReviewOptions = { filter: 'added', facts };
    if (cfg.tree) o.images = treeImages(cfg.tree, sub.series.baseCommit);
    if (index) o.index = index;
    return o;
  };
  const responder = new Responder(
    { db, policy: cfg.policyObject, review, reviewOptions, log, ...(deps.now ? { now: deps.now } : {}) },
    {
      bot: cfg.bot,
      cacheDir: cfg.cache_dir,
      waitMinutes: cfg.wait_minutes,
      maxMessageBytes: cfg.max_message_mb * 1e6,
      walk: { rewriteWindowMs: cfg.rewrite_window_hours * 3600_000, ...(cfg.initial_since_days ? { initialSince: Date.now() - cfg.initial_since_days * 86400_000 } : {}) },
      ...(cfg.docs_url ? { docsUrl: cfg.docs_url } : {}),
    },
  );
  return { responder, db };
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
): Promise<SyncReport> {
  const report = emptyReport();
  if (input) await responder.ingestMbox(input.mbox, input.list, report);
  else {
    for (const inbox of cfg.inboxes) {
      if (stop?.()) return report;
      try {
        await responder.syncInbox(inbox, report);
      } catch (e) {
        // One unreachable inbox does not stop the others.
        log.error({ inbox: inbox.name, error: e instanceof Error ? e.message.split('\n')[0] : String(e) }, 'lore: inbox sync failed');
      }
    }
  }
  if (stop?.()) return report;
  await responder.processPending(report);
  if (stop?.()) return report;
  await responder.deliver(transport, deliverOptions(cfg));
  return report;
}

function summary(report: SyncReport, db: DB, transport: Transport): string {
  const ob = outboxSummary(db);
  const parts = [
    `${report.messages} new message(s)`,
    `${report.skipped} skipped`,
    `${report.reviewed} series reviewed`,
    `${report.waiting} waiting for parts`,
    `${report.queued} repl${report.queued === 1 ? 'y' : 'ies'} queued`,
  ];
  if (report.muted) parts.push(`${report.muted} not queued (list muted)`);
  if (report.feedback) parts.push(`${report.feedback} feedback`);
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

export const register: CommandRegistrar = (program: Command) => {
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
      const log = makeLog(o.logLevel);
      const { responder, db } = await createResponder(cfg, log);
      const transport = transportFor(cfg);
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
      const log = makeLog(o.logLevel);
      const { responder, db } = await createResponder(cfg, log);
      const transport = transportFor(cfg);
      let stopping = false;
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
            const report = await syncOnce(responder, cfg, transport, log, undefined, () => stopping);
            log.info({ ...report, outbox: outboxSummary(db) }, 'lore watch: pass done');
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
        const rows = listFeedback(db);
        if (o.json) for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
        else if (rows.length === 0) process.stdout.write('no feedback received\n');
        else
          for (const r of rows) {
            const where = [r.file, r.function ? `${r.function}()` : undefined].filter(Boolean).join(' ');
            process.stdout.write(`${new Date(r.received_at).toISOString()}  ${r.list}  ${r.kind} ${r.rule}  ${where}  from ${r.from_addr}  <${r.msgid}>\n`);
          }
      } finally {
        db.close();
      }
    });
};
