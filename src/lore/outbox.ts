// Delivery of stored replies. A reply is a row in `outbox` (pending) before anything is sent;
// each attempt is recorded (state `sending`, attempts+1) and committed before the transport is
// touched; the transport's answer is recorded after. So after a crash at any point:
//   - stored, never attempted        → sent on restart (one copy)
//   - attempt recorded, send failed   → retried (one copy)
//   - server said 250, not recorded   → the row is still `sending`: on restart it is sent again
//     with the same bytes and the same deterministic Message-ID, unless the reply has meanwhile
//     been seen on the list (then it is marked sent without sending). The maildir transport is
//     idempotent (tmp/ → new/<Message-ID>.eml rename), so it yields exactly one file; over SMTP
//     this one window can yield a second copy, recognisable as such by its identical Message-ID
//     (public-inbox and most MUAs drop it).
// Transient failures (connection errors, 4xx) retry with exponential backoff; a 5xx or running
// out of attempts ends the row as `failed`, with the reason, where `lore sync` reports it.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { DB } from '../store/db.js';
import type { OutboxRow } from '../store/outbox.js';
import type { Log } from './log.js';

export interface SendResult {
  response: string;
}

export interface Transport {
  readonly kind: 'maildir' | 'smtp';
  send(row: OutboxRow): Promise<SendResult>;
  close?(): void;
}

/** An error the transport says will not go away by retrying (SMTP 5xx). */
export class PermanentError extends Error {
  override name = 'PermanentError';
}

export function mailFileName(messageId: string): string {
  return `${messageId.replace(/[^A-Za-z0-9._@+-]/g, '_')}.eml`;
}

/** Dry-run transport: one `.eml` per reply, written to tmp/ and renamed into new/ (maildir). */
export function maildirTransport(dir: string): Transport {
  for (const sub of ['tmp', 'new', 'cur']) mkdirSync(join(dir, sub), { recursive: true });
  return {
    kind: 'maildir',
    async send(row) {
      const name = mailFileName(row.message_id);
      const tmp = join(dir, 'tmp', `${process.pid}.${name}`);
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, row.raw);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      const dest = join(dir, 'new', name);
      // Same name every time: a repeat after a crash replaces the file, never adds a second one.
      renameSync(tmp, dest);
      return { response: `maildir new/${name}${existsSync(dest) ? '' : ' (missing?)'}` };
    },
  };
}

export interface SmtpConfig {
  host: string;
  port: number;
  secure?: boolean;
  /** Refuse to send without STARTTLS (default false: loopback relays). */
  require_tls?: boolean;
  user?: string;
  pass?: string;
  timeout_ms?: number;
}

export function smtpTransport(cfg: SmtpConfig): Transport {
  const t = nodemailer.createTransport({
    host: cfg.host,
    port: cfg.port,
    secure: cfg.secure ?? false,
    requireTLS: cfg.require_tls ?? false,
    ignoreTLS: !(cfg.require_tls ?? false) && !(cfg.secure ?? false) && /^(127\.|localhost$|::1$)/.test(cfg.host),
    ...(cfg.user ? { auth: { user: cfg.user, pass: cfg.pass ?? '' } } : {}),
    connectionTimeout: cfg.timeout_ms ?? 30_000,
    greetingTimeout: cfg.timeout_ms ?? 30_000,
    socketTimeout: cfg.timeout_ms ?? 60_000,
  });
  return {
    kind: 'smtp',
    async send(row) {
      try {
        const info = await t.sendMail({
          envelope: { from: row.envelope_from, to: JSON.parse(row.recipients) as string[] },
          raw: row.raw,
        });
        return { response: String(info.response ?? '') };
      } catch (e) {
        const err = e as { responseCode?: number; message?: string; response?: string };
        const msg = (err.response ?? err.message ?? String(e)).split('\n')[0]!;
        if (err.responseCode && err.responseCode >= 500 && err.responseCode < 600) throw new PermanentError(msg);
        throw new Error(msg);
      }
    },
    close() {
      t.close();
    },
  };
}

export interface DeliverOptions {
  now?: () => number;
  maxAttempts?: number;
  /** First retry delay; doubles per attempt, capped at an hour. */
  baseDelayMs?: number;
  log?: Log;
  /**
   * Whether a due reply must wait (a rate limit): the time it may go and why. A held reply stays
   * `pending` with that `not_before`, so a later run sends it; it is never dropped.
   */
  hold?: (row: OutboxRow, now: number) => { until: number; reason: string } | undefined;
  /** Test hook: crash (SIGKILL self) at this point, to prove restart safety. */
  crashAt?: 'sending' | 'sent-unrecorded';
}

export interface DeliverReport {
  sent: string[];
  retrying: string[];
  failed: string[];
  /** Held back by `hold` (rate limit) until a later run. */
  deferred: string[];
}

function crash(point: string, want: string | undefined): void {
  if (point === want) process.kill(process.pid, 'SIGKILL');
}

/** Deliver every due row (pending, or `sending` left over from a crash). */
export async function deliverDue(db: DB, transport: Transport, opts: DeliverOptions = {}): Promise<DeliverReport> {
  const now = opts.now ?? Date.now;
  const maxAttempts = opts.maxAttempts ?? 6;
  const base = opts.baseDelayMs ?? 60_000;
  const report: DeliverReport = { sent: [], retrying: [], failed: [], deferred: [] };
  const due = db
    .prepare(`SELECT * FROM outbox WHERE state IN ('pending', 'sending') AND not_before <= ? ORDER BY created_at, message_id`)
    .all(now()) as OutboxRow[];
  const markSent = db.prepare(`UPDATE outbox SET state = 'sent', response = ?, sent_at = ?, last_error = NULL WHERE message_id = ?`);
  for (const row of due) {
    if (row.state === 'sending') {
      // A previous run died mid-attempt. If the list already carries our reply, it was delivered.
      const echoed = db.prepare('SELECT 1 FROM lore_message WHERE msgid = ?').get(row.message_id);
      if (echoed) {
        markSent.run('seen on the list after an interrupted attempt', now(), row.message_id);
        opts.log?.info({ messageId: row.message_id }, 'outbox: interrupted attempt had been delivered (seen on the list)');
        report.sent.push(row.message_id);
        continue;
      }
      opts.log?.warn({ messageId: row.message_id, attempts: row.attempts }, 'outbox: resuming an interrupted attempt (same Message-ID)');
    }
    if (row.state === 'pending' && opts.hold) {
      const held = opts.hold(row, now());
      if (held) {
        db.prepare(`UPDATE outbox SET not_before = ?, last_error = ? WHERE message_id = ? AND state = 'pending'`).run(held.until, held.reason, row.message_id);
        opts.log?.info({ messageId: row.message_id, reason: held.reason, until: new Date(held.until).toISOString() }, 'outbox: deferred');
        report.deferred.push(row.message_id);
        continue;
      }
    }
    // Record the attempt before touching the transport.
    const claimed = db
      .prepare(`UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE message_id = ? AND state IN ('pending', 'sending')`)
      .run(row.message_id);
    if (claimed.changes !== 1) continue;
    crash('sending', opts.crashAt);
    const attempts = row.attempts + 1;
    try {
      const res = await transport.send(row);
      crash('sent-unrecorded', opts.crashAt);
      markSent.run(res.response, now(), row.message_id);
      opts.log?.info({ messageId: row.message_id, transport: transport.kind, response: res.response }, 'outbox: sent');
      report.sent.push(row.message_id);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const permanent = e instanceof PermanentError;
      if (permanent || attempts >= maxAttempts) {
        db.prepare(`UPDATE outbox SET state = 'failed', last_error = ? WHERE message_id = ?`).run(
          `${permanent ? 'refused' : `gave up after ${attempts} attempts`}: ${msg}`,
          row.message_id,
        );
        opts.log?.error({ messageId: row.message_id, error: msg, attempts }, 'outbox: delivery failed');
        report.failed.push(row.message_id);
      } else {
        const delay = Math.min(base * 2 ** (attempts - 1), 3600_000);
        db.prepare(`UPDATE outbox SET state = 'pending', last_error = ?, not_before = ? WHERE message_id = ?`).run(msg, now() + delay, row.message_id);
        opts.log?.warn({ messageId: row.message_id, error: msg, attempts, retryInMs: delay }, 'outbox: delivery failed, will retry');
        report.retrying.push(row.message_id);
      }
    }
  }
  return report;
}

export function outboxSummary(db: DB): Record<string, number> {
  const rows = db.prepare('SELECT state, COUNT(*) AS n FROM outbox GROUP BY state').all() as { state: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}
