// The lore responder: inboxes → messages → series → review → replies in the outbox → delivery.
// Each step is its own transaction, so a crash anywhere repeats at most the step it was in:
//   - a message and the cursor past its commit are stored together;
//   - a reviewed series, its findings and its replies (pending) are stored together;
//   - delivery is recorded per attempt (see outbox.ts).
import { createHash } from 'node:crypto';
import { assembleSeries } from '../ingest/series.js';
import { readMail, type MailMessage } from '../ingest/mail.js';
import type { Patch, Person, Submission } from '../ingest/types.js';
import type { ReviewFn, ReviewOptions } from '../engine/api.js';
import type { Finding, ReviewResult } from '../engine/types.js';
import { mailable, renderReply, toRaw, type MailFinding } from '../report/email.js';
import { addressOk } from '../report/headers.js';
import type { DB } from '../store/db.js';
import { migrateLore } from '../store/lore.js';
import { migrateOutbox, type OutboxRow } from '../store/outbox.js';
import { removedLater } from './bisect.js';
import { isMuted, recordFeedback } from './feedback.js';
import { gitError, InboxMirror, setCursor, splitMbox, type InboxConfig, type WalkOptions } from './inbox.js';
import { silentLog, type Log } from './log.js';
import { deliverDue, type DeliverOptions, type DeliverReport, type Transport } from './outbox.js';
import { postCheck, type CheckState } from './patchwork.js';
import { ignoredSender, Policy, recipients } from './policy.js';
import {
  cancelOlderReplies,
  decide,
  ingestDeletion,
  ingestMessage,
  markGroup,
  pendingGroups,
  recordSkip,
  PENDING_COLUMNS,
  type Group,
  type IngestResult,
  type PendingMessage,
  type Origin,
} from './series.js';

/** A ready series as a queue job: data only, the messages stay in the store. */
export interface LoreJob {
  list: string;
  key: string;
  version: number;
  total: number;
  /** Every message of the group (they are marked reviewed together). */
  members: string[];
  /** The patches, in order (one per index). */
  patches: string[];
  cover?: string;
  /** Said in the reply (only some patches of the series had arrived). */
  note?: string;
}

/** Test hook for the worker crash test: SIGKILL this process here; never set in production. */
function crashPoint(point: string): void {
  if (process.env.MODREVIEW_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}

export interface ResponderOptions {
  bot: Person;
  /** Base URL of the rule documentation. */
  docsUrl?: string;
  /** How long to wait for the missing parts of a series (default 60 min). */
  waitMinutes?: number;
  /** Larger messages are skipped (default 20 MB). */
  maxMessageBytes?: number;
  walk?: WalkOptions;
  cacheDir: string;
  botVersion?: string;
}

export interface ResponderDeps {
  db: DB;
  policy: Policy;
  review: ReviewFn;
  /** The review run again on prefixes of a series to see what later patches fix (default: `review`; serve passes one that metrics do not count). */
  bisectReview?: ReviewFn;
  /** Options for one submission (image provider at its base-commit, index, rule selection). */
  reviewOptions?: (sub: Submission) => ReviewOptions | Promise<ReviewOptions>;
  log?: Log;
  now?: () => number;
}

export interface SyncReport {
  messages: number;
  skipped: number;
  duplicates: number;
  deleted: number;
  feedback: number;
  reviewed: number;
  dropped: number;
  waiting: number;
  queued: number;
  muted: number;
  rewritten: string[];
  /** Skipped messages by kind of reason (`undecodable text`, `unreadable object`, ...); sums to `skipped`. */
  skips: Record<string, number>;
  /** Inboxes that could not be synced in this pass, with the reason. */
  inboxFailures: { inbox: string; error: string }[];
  /** Series handed to `modreview worker` through Redis in this pass. */
  enqueued: number;
  /** Replies delivered in this pass. */
  sent: number;
  /** Replies whose delivery ended `failed` in this pass. */
  failed: number;
  /** Replies held back by a rate limit in this pass (still pending: sent when the window allows). */
  deferred: number;
}

export function emptyReport(): SyncReport {
  return { messages: 0, skipped: 0, duplicates: 0, deleted: 0, feedback: 0, reviewed: 0, dropped: 0, waiting: 0, queued: 0, muted: 0, rewritten: [], skips: {}, inboxFailures: [], enqueued: 0, sent: 0, failed: 0, deferred: 0 };
}

/** The kind of a skip reason, for the summary line. */
export function skipKind(reason: string): string {
  if (/^undecodable/.test(reason)) return 'undecodable text';
  if (/^unreadable object/.test(reason)) return 'unreadable object';
  if (/^message is .* MB, over/.test(reason)) return 'oversized';
  if (/^broken MIME/.test(reason)) return 'broken MIME';
  if (/^unreadable diff|^diff without file headers|^truncated/.test(reason)) return 'unreadable diff';
  if (/Message-ID/.test(reason)) return 'no Message-ID';
  if (/matches ignore_from/.test(reason)) return 'ignored sender';
  if (/carries no diff/.test(reason)) return 'no diff';
  return reason.split(':')[0]!.slice(0, 40);
}

export function countSkip(report: SyncReport, reason: string): void {
  report.skipped++;
  const k = skipKind(reason);
  report.skips[k] = (report.skips[k] ?? 0) + 1;
}

/** The Message-ID of our reply: the same reply to the same mail always gets the same id. */
export function replyMessageId(target: string, fingerprints: string[], botAddress: string): string {
  const h = createHash('sha1').update(`${target}\0${[...fingerprints].sort().join(',')}`).digest('hex').slice(0, 20);
  const domain = botAddress.split('@')[1] ?? 'modreview.invalid';
  return `modreview-${h}@${domain}`;
}

export class Responder {
  private readonly log: Log;
  private readonly now: () => number;

  constructor(
    private readonly deps: ResponderDeps,
    private readonly opts: ResponderOptions,
  ) {
    this.log = deps.log ?? silentLog;
    this.now = deps.now ?? Date.now;
    if (!addressOk(opts.bot.address)) throw new Error(`bot address ${JSON.stringify(opts.bot.address)} is not an address the bot may write`);
    migrateLore(deps.db);
    migrateOutbox(deps.db);
  }

  private get db(): DB {
    return this.deps.db;
  }

  private limits() {
    return {
      maxMessageBytes: this.opts.maxMessageBytes ?? 20e6,
      botAddress: this.opts.bot.address,
      ignored: (list: string, addr: string | undefined) => ignoredSender(this.deps.policy.forList(list), addr),
    };
  }

  /** Read one message into the store (and feedback when it answers us). */
  private async takeMessage(raw: Buffer, origin: Origin, report: SyncReport): Promise<IngestResult> {
    const r = await ingestMessage(this.db, raw, origin, this.limits(), this.log, this.now());
    if (r.status === 'skipped') countSkip(report, r.reason ?? 'skipped');
    else if (r.status === 'duplicate') report.duplicates++;
    else {
      report.messages++;
      if (r.mail && (r.kind === 'reply' || r.kind === 'other')) report.feedback += this.feedbackFrom(r.mail, origin.list);
    }
    return r;
  }

  private feedbackFrom(mail: MailMessage, list: string): number {
    return recordFeedback(this.db, mail, list, this.log, this.now(), (l) => this.deps.policy.forList(l));
  }

  /** Fetch an inbox and read every new message, advancing the cursor message by message. */
  async syncInbox(cfg: InboxConfig, report: SyncReport = emptyReport()): Promise<SyncReport> {
    const mirror = new InboxMirror(cfg, this.opts.cacheDir);
    const list = cfg.list ?? cfg.name;
    const epochs = await mirror.update();
    for (const epoch of epochs) {
      const { entries, rewritten } = await mirror.pending(this.db, epoch, this.opts.walk);
      if (rewritten) {
        report.rewritten.push(`${cfg.name}/${epoch}`);
        this.log.warn({ inbox: cfg.name, epoch }, 'lore: history rewritten upstream; re-walking a date window, deduplicating by Message-ID');
      }
      for (const e of entries) {
        const origin: Origin = { inbox: cfg.name, list, epoch, commit: e.commit, time: e.time };
        // The size check comes before reading the blob: a 50 MB message is never loaded.
        const max = this.opts.maxMessageBytes ?? 20e6;
        let reason: string | undefined = e.unreadable;
        if (!reason && e.kind === 'm' && e.size > max) reason = `message is ${(e.size / 1e6).toFixed(1)} MB, over the ${(max / 1e6).toFixed(1)} MB limit`;
        let raw: Buffer | undefined;
        if (!reason) {
          try {
            raw = await mirror.read(e);
          } catch (err) {
            reason = `unreadable object: blob ${e.blob} of commit ${e.commit.slice(0, 12)}: ${gitError(err)}`;
          }
        }
        if (reason || !raw) {
          // Skipped with its reason, and the cursor moves past it: the next message is read.
          const why = reason ?? 'unreadable object';
          this.db.transaction(() => {
            recordSkip(this.db, origin, undefined, why, this.now());
            setCursor(this.db, cfg.name, epoch, e.commit, e.time);
          }).immediate();
          this.log.warn({ inbox: cfg.name, epoch, commit: e.commit, reason: why }, 'lore: message skipped');
          countSkip(report, why);
          continue;
        }
        // Reading is async (mailparser); the store update and the cursor move are one transaction.
        this.db.exec('BEGIN IMMEDIATE');
        try {
          if (e.kind === 'd') {
            if (await ingestDeletion(this.db, raw, origin, this.log, this.now())) report.deleted++;
          } else {
            await this.takeMessage(raw, origin, report);
          }
          setCursor(this.db, cfg.name, epoch, e.commit, e.time);
          this.db.exec('COMMIT');
        } catch (err) {
          this.db.exec('ROLLBACK');
          throw err;
        }
      }
    }
    return report;
  }

  /** One-off input: every message of an mbox (file or stdin) goes through the same pipeline. */
  async ingestMbox(buf: Buffer, list: string, report: SyncReport = emptyReport()): Promise<SyncReport> {
    const msgs = splitMbox(buf);
    const raws = msgs.length > 0 ? msgs : [buf];
    for (const raw of raws) {
      await this.takeMessage(raw, { inbox: `mbox:${list}`, list, time: this.now() }, report);
    }
    return report;
  }

  /**
   * Assemble what is pending; review what is ready; queue replies. With `enqueue` (REDIS_URL) a
   * ready series is not reviewed here: it becomes a job for `modreview worker` (reviewQueued),
   * and its messages are marked `queued` so that the next pass does not hand it out again.
   */
  async processPending(report: SyncReport = emptyReport(), enqueue?: (job: LoreJob) => Promise<void>): Promise<SyncReport> {
    const waitMs = (this.opts.waitMinutes ?? 60) * 60_000;
    const groups = pendingGroups(this.db);
    // A newer version, even still incomplete, means older versions' pending replies are moot.
    for (const g of groups) {
      if (g.patches.length > 0 || g.cover) {
        const n = cancelOlderReplies(this.db, g.key, g.version);
        if (n) this.log.info({ key: g.key, version: g.version, cancelled: n }, 'lore: pending replies to an older version cancelled');
      }
    }
    for (const d of decide(this.db, groups, this.now(), waitMs)) {
      if (d.action === 'wait') {
        report.waiting++;
      } else if (d.action === 'drop') {
        markGroup(this.db, d.group, d.status, d.reason);
        this.log.info({ key: d.group.key, version: d.group.version, reason: d.reason }, 'lore: series not reviewed');
        report.dropped++;
      } else if (enqueue) {
        const g = d.group;
        const job: LoreJob = {
          list: g.list,
          key: g.key,
          version: g.version,
          total: g.total,
          members: g.members.map((m) => m.msgid),
          patches: g.patches.map((m) => m.msgid),
          ...(g.cover ? { cover: g.cover.msgid } : {}),
          ...(d.note ? { note: d.note } : {}),
        };
        // Pushed first, then marked: a crash in between pushes the same job id again (a no-op).
        await enqueue(job);
        const mark = this.db.prepare(`UPDATE lore_message SET status = 'queued' WHERE msgid = ? AND status = 'pending'`);
        this.db.transaction(() => {
          for (const id of job.members) mark.run(id);
        }).immediate();
        report.enqueued++;
        this.log.info({ key: g.key, version: g.version, patches: g.patches.length }, 'lore: series queued for a worker');
      } else {
        await this.reviewGroup(d.group, d.note, report);
      }
    }
    return report;
  }

  /**
   * A worker's side of a queued series: review it unless that already happened (a retry after
   * the review was stored) or a newer version of the series was reviewed meanwhile. A review that
   * throws throws here too, so the job is retried and, in the end, stays in the failed set.
   */
  async reviewQueued(job: LoreJob, report: SyncReport = emptyReport()): Promise<'reviewed' | 'already reviewed' | 'superseded'> {
    const get = this.db.prepare(`SELECT ${PENDING_COLUMNS} FROM lore_message WHERE msgid = ? AND status IN ('pending', 'queued')`);
    const rows = new Map<string, PendingMessage>();
    for (const id of job.members) {
      const r = get.get(id) as PendingMessage | undefined;
      if (r) rows.set(id, r);
    }
    if (rows.size === 0) return 'already reviewed';
    const members = [...rows.values()];
    const g: Group = {
      key: job.key,
      list: job.list,
      version: job.version,
      total: job.total,
      patches: job.patches.flatMap((id) => rows.get(id) ?? []),
      members,
      firstSeen: Math.min(...members.map((m) => m.received_at)),
      complete: true,
      resend: false,
    };
    const cover = job.cover ? rows.get(job.cover) : undefined;
    if (cover) g.cover = cover;
    const newer = (this.db.prepare('SELECT MAX(version) AS v FROM lore_series WHERE series_key = ?').get(job.key) as { v: number | null }).v;
    if (newer !== null && newer > job.version) {
      markGroup(this.db, g, 'superseded', 'superseded by a newer version of the series before it was reviewed');
      report.dropped++;
      return 'superseded';
    }
    // Test hook for the failed-job test (a review that throws); never set in production.
    if (process.env.MODREVIEW_CRASH_AT === 'lore-review-throws') throw new Error('review failed: injected by MODREVIEW_CRASH_AT (test hook)');
    return (await this.reviewGroup(g, job.note, report, { rethrow: true })) ? 'reviewed' : 'already reviewed';
  }

  /** False when another run stored this series' review first (a worker retrying a job). */
  private async reviewGroup(g: Group, note: string | undefined, report: SyncReport, opts: { rethrow?: boolean } = {}): Promise<boolean> {
    const ids = [...(g.cover ? [g.cover] : []), ...g.patches].map((m) => m.msgid);
    const getRaw = this.db.prepare('SELECT raw FROM lore_message WHERE msgid = ?');
    const mails: MailMessage[] = [];
    for (const [i, id] of ids.entries()) {
      const row = getRaw.get(id) as { raw: Buffer | null } | undefined;
      if (row?.raw) mails.push(await readMail(row.raw, { order: i }));
    }
    const sub = assembleSeries(mails, 'lore');
    let result: ReviewResult;
    let removed = new Map<string, number[]>();
    try {
      const options = (await this.deps.reviewOptions?.(sub)) ?? {};
      result = await this.deps.review(sub, options);
      const last = Math.max(...sub.patches.map((p, i) => p.tags.index || i + 1));
      if (mailable(result.findings).some((f) => f.patch < last)) removed = await removedLater(sub, this.deps.bisectReview ?? this.deps.review, options);
    } catch (err) {
      if (opts.rethrow) throw err;
      const reason = `review failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
      this.log.error({ key: g.key, version: g.version, error: reason }, 'lore: review failed; series skipped');
      markGroup(this.db, g, 'skipped', reason);
      report.dropped++;
      return true;
    }
    const policy = this.deps.policy.forList(g.list);
    const notes = note ? [note] : [];
    const seriesNotes: string[] = [];
    const findings: MailFinding[] = mailable(result.findings)
      .filter((f) => {
        const by = (removed.get(f.fingerprint) ?? []).filter((j) => j > f.patch);
        if (by.length === 0) return true;
        // Fixed within the series: not a bug of the series; bisection breaks in between.
        seriesNotes.push(`${f.rule} in ${f.file}${f.function ? ` ${f.function}()` : ''}: introduced by patch ${f.patch}, removed by patch ${Math.min(...by)}; bisection breaks in between`);
        return false;
      })
      .map((f) => ({ ...f }));
    if (seriesNotes.length) this.log.info({ key: g.key, version: g.version, notes: seriesNotes }, 'lore: findings fixed later in the series, not mailed');
    // "still present since vN" only when the reply about it on vN was delivered: a reply that was
    // cancelled (embargo, superseded, deleted patch), is still waiting or failed told nobody.
    const sinceQ = this.db.prepare(
      `SELECT MIN(s.version) AS v FROM lore_finding f JOIN lore_series s ON s.id = f.series_id
       WHERE s.series_key = ? AND s.version < ? AND f.fingerprint = ?
         AND EXISTS (SELECT 1 FROM outbox o, json_each(o.findings) j
                     WHERE o.series_id = s.id AND o.state = 'sent' AND json_extract(j.value, '$.fingerprint') = f.fingerprint)`,
    );
    for (const f of findings) {
      const v = (sinceQ.get(g.key, g.version, f.fingerprint) as { v: number | null }).v;
      if (v !== null) f.since = v;
    }
    // Which mail each finding answers: the patch that introduced it; series-wide ones to the cover.
    const byTarget = new Map<Patch, MailFinding[]>();
    for (const f of findings) {
      const target = sub.patches.find((p) => p.tags.index === f.patch) ?? sub.series.cover ?? sub.patches[0];
      if (!target?.messageId) continue;
      byTarget.set(target, [...(byTarget.get(target) ?? []), f]);
    }
    const now = this.now();
    const timeOf = this.db.prepare('SELECT time FROM lore_message WHERE msgid = ?');
    const insertOutbox = this.db.prepare(
      `INSERT OR IGNORE INTO outbox (message_id, list, series_id, in_reply_to, author, envelope_from, recipients, raw, findings, state, not_before, last_error, created_at)
       VALUES (@id, @list, @series, @irt, @author, @from, @rcpt, @raw, @findings, @state, @notBefore, @error, @now)`,
    );

    const stillOpen = this.db.prepare(`SELECT 1 FROM lore_message WHERE msgid = ? AND status IN ('pending', 'queued')`);
    crashPoint('lore-review-stored');
    const stored = this.db.transaction(() => {
      // Another run (a worker whose job was handed on while it still ran) stored it first.
      if (!g.members.some((m) => stillOpen.get(m.msgid))) return false;
      const sid = Number(
        this.db
          .prepare(
            `INSERT INTO lore_series (list, series_key, version, subject, cover_msgid, total, arrived, state, notes, reviewed_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'reviewed', ?, ?)`,
          )
          .run(g.list, g.key, g.version, sub.series.subject, g.cover?.msgid ?? null, g.total, g.patches.length, JSON.stringify([...notes, ...seriesNotes, ...result.notes]), now).lastInsertRowid,
      );
      markGroup(this.db, g, 'reviewed', null, sid);
      for (const p of g.patches) {
        if (p.diff_hash) this.db.prepare('INSERT OR IGNORE INTO lore_reviewed_patch (diff_hash, msgid, series_id) VALUES (?, ?, ?)').run(p.diff_hash, p.msgid, sid);
      }
      const insF = this.db.prepare('INSERT OR IGNORE INTO lore_finding (series_id, fingerprint, rule, file, function, patch_msgid, mailed) VALUES (?, ?, ?, ?, ?, ?, ?)');
      const mailed = new Set<MailFinding>();
      cancelOlderReplies(this.db, g.key, g.version);

      for (const [target, all] of byTarget) {
        const fs = all.filter((f) => {
          if (isMuted(this.db, g.list, f, now, policy.feedback.expire_days)) {
            this.log.info({ rule: f.rule, file: f.file, function: f.function }, 'lore: finding muted by feedback');
            return false;
          }
          return true;
        });
        if (fs.length === 0) continue;
        if (policy.mute) {
          report.muted++;
          continue;
        }
        const rc = recipients(policy, target, this.opts.bot.address);
        // (recipients() keeps only addresses headers.ts accepts; the envelope is those same people)
        const envelope = [...rc.to, ...rc.cc].map((p) => p.address).filter(addressOk);
        if (envelope.length === 0) {
          this.log.warn({ target: target.messageId }, 'lore: reply has no recipient under the policy; not queued');
          continue;
        }
        const author = target.author?.address.toLowerCase() ?? null;
        const messageId = replyMessageId(target.messageId!, fs.map((f) => f.fingerprint), this.opts.bot.address);
        const targetNotes = [...notes];
        const rendered = renderReply({
          patch: target,
          findings: fs,
          notes: targetNotes,
          bot: this.opts.bot,
          messageId,
          date: new Date(now),
          to: rc.to,
          cc: rc.cc,
          docsUrl: this.opts.docsUrl ?? 'https://github.com/modreview/modreview/tree/main/rules',
          ...(this.opts.botVersion ? { botVersion: this.opts.botVersion } : {}),
        });
        const raw = toRaw(rendered, { to: rc.to, cc: rc.cc, from: this.opts.bot });
        const sentAt = (timeOf.get(target.messageId) as { time: number } | undefined)?.time ?? now;
        // Embargo counts from when the patch reached the list (never from a future clock skew).
        const notBefore = Math.max(now, Math.min(sentAt, now) + policy.embargo_hours * 3600_000);
        const r = insertOutbox.run({
          id: messageId,
          list: g.list,
          series: sid,
          irt: target.messageId,
          author,
          from: this.opts.bot.address,
          rcpt: JSON.stringify(envelope),
          raw,
          findings: JSON.stringify(fs.map((f) => ({ rule: f.rule, file: f.file, function: f.function, fingerprint: f.fingerprint }))),
          state: 'pending',
          notBefore,
          error: null,
          now,
        });
        // Rate limits are applied when the reply is due (deliver): a limited reply waits, it is not dropped.
        if (r.changes) {
          report.queued++;
          for (const f of fs) mailed.add(f);
        }
      }
      for (const f of findings) {
        const target = sub.patches.find((p) => p.tags.index === f.patch);
        insF.run(sid, f.fingerprint, f.rule, f.file, f.function ?? null, target?.messageId ?? null, [...mailed].some((m) => m.fingerprint === f.fingerprint) ? 1 : 0);
      }
      return true;
    }).immediate();
    if (!stored) return false;
    report.reviewed++;
    this.log.info({ key: g.key, version: g.version, patches: g.patches.length, findings: findings.length }, 'lore: series reviewed');
    if (policy.patchwork) await this.reportPatchwork(policy.patchwork, sub, findings);
    return true;
  }

  private async reportPatchwork(cfg: NonNullable<ReturnType<Policy['forList']>['patchwork']>, sub: Submission, findings: Finding[]): Promise<void> {
    for (const p of sub.patches) {
      if (!p.messageId) continue;
      const mine = findings.filter((f) => f.patch === p.tags.index);
      const state: CheckState = mine.length === 0 ? 'success' : mine.some((f) => f.severity === 'error') ? 'fail' : 'warning';
      const description =
        mine.length === 0 ? 'no module-lifecycle problem found' : `${mine.length} finding${mine.length > 1 ? 's' : ''}: ${[...new Set(mine.map((f) => f.rule))].join(', ')}`;
      try {
        const r = await postCheck(cfg, p.messageId, { state, description });
        if (!r) this.log.warn({ msgid: p.messageId }, 'patchwork: patch not found');
      } catch (err) {
        this.log.error({ msgid: p.messageId, error: String(err) }, 'patchwork: check not posted');
      }
    }
  }

  async deliver(transport: Transport, opts: DeliverOptions = {}): Promise<DeliverReport> {
    return deliverDue(this.db, transport, { log: this.log, now: this.now, hold: (row, now) => this.rateLimited(row, now), ...opts });
  }

  /**
   * The policy's rate limits, counted over replies actually sent in the last hour, per list and
   * per patch author: when one is reached, the reply waits until the oldest of those sends leaves
   * the hour (0 means no limit).
   */
  private rateLimited(row: OutboxRow, now: number): { until: number; reason: string } | undefined {
    const { per_list_per_hour: perList, per_author_per_hour: perAuthor } = this.deps.policy.forList(row.list).rate_limit;
    const since = now - 3600_000;
    const check = (column: 'list' | 'author', value: string, limit: number, what: string) => {
      if (limit <= 0) return undefined;
      const sent = this.db
        .prepare(`SELECT sent_at FROM outbox WHERE ${column} = ? AND state = 'sent' AND sent_at > ? ORDER BY sent_at DESC LIMIT ?`)
        .all(value, since, limit) as { sent_at: number }[];
      if (sent.length < limit) return undefined;
      const until = sent[limit - 1]!.sent_at + 3600_000 + 1;
      return { until, reason: `rate limit: ${limit} replies per hour ${what}; deferred until ${new Date(until).toISOString()}` };
    };
    return check('list', row.list, perList, `on ${row.list}`) ?? (row.author ? check('author', row.author, perAuthor, `to ${row.author}`) : undefined);
  }
}
