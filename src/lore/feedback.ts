// Feedback by mail: someone answers one of our replies with `#modreview ignore <rule>` or
// `#modreview false-positive <rule>`. When the list's policy lets that sender mute (any recipient
// of the reply, the patch author only, or the maintainers it lists), it is recorded and mutes that
// rule for the function/file the reply was about, on that list, until it expires
// (feedback.expire_days, 90 by default).
import type { MailMessage } from '../ingest/mail.js';
import type { DB } from '../store/db.js';
import type { OutboxRow } from '../store/outbox.js';
import type { Log } from './log.js';
import type { ListPolicy } from './policy.js';

export interface FeedbackCommand {
  kind: 'ignore' | 'false-positive';
  rule: string;
}

/** Commands in the unquoted text of a reply (quoted `>` lines are the bot's own words). */
export function parseFeedback(text: string): FeedbackCommand[] {
  const out: FeedbackCommand[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*>/.test(line)) continue;
    const m = /^\s*#modreview\s+(ignore|false-positive)\s+([a-z0-9][a-z0-9_-]*)\b/i.exec(line);
    if (m) out.push({ kind: m[1]!.toLowerCase() as FeedbackCommand['kind'], rule: m[2]!.toLowerCase() });
  }
  return out;
}

interface OutboxFinding {
  rule: string;
  file: string;
  function?: string;
  fingerprint: string;
}

/** Record the feedback a reply carries, if it answers one of our mails and its sender may mute under the policy. */
export function recordFeedback(db: DB, mail: MailMessage, list: string, log: Log, now: number, policyFor: (list: string) => ListPolicy): number {
  const p = mail.patch;
  if (!p.messageId) return 0;
  const cmds = parseFeedback(p.commitMessage);
  if (cmds.length === 0) return 0;
  const ids = [...(p.inReplyTo ? [p.inReplyTo] : []), ...[...p.references].reverse()];
  let row: OutboxRow | undefined;
  for (const id of ids) {
    row = db.prepare('SELECT * FROM outbox WHERE message_id = ?').get(id) as OutboxRow | undefined;
    if (row) break;
  }
  if (!row) return 0;
  const sender = p.author?.address?.toLowerCase();
  const { mute_by: muteBy, maintainers } = policyFor(row.list || list).feedback;
  const allowed = new Set(
    (muteBy === 'author' ? (row.author ? [row.author] : []) : muteBy === 'maintainers' ? maintainers : [...(JSON.parse(row.recipients) as string[]), ...(row.author ? [row.author] : [])]).map((a) =>
      a.toLowerCase(),
    ),
  );
  if (!sender || !allowed.has(sender)) {
    const why = muteBy === 'author' ? 'sender is not the patch author' : muteBy === 'maintainers' ? 'sender is not a maintainer listed in the policy' : 'sender was not a recipient of the reply';
    log.warn({ msgid: p.messageId, from: sender, replyTo: row.message_id, muteBy }, `lore: feedback ignored: ${why}`);
    return 0;
  }
  const findings = JSON.parse(row.findings) as OutboxFinding[];
  const ins = db.prepare(
    `INSERT OR IGNORE INTO lore_feedback (msgid, list, from_addr, kind, rule, file, function, reply_to, received_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let n = 0;
  for (const c of cmds) {
    const about = findings.filter((f) => f.rule === c.rule);
    if (about.length === 0) {
      log.warn({ msgid: p.messageId, rule: c.rule }, 'lore: feedback names a rule the reply did not report; ignored');
      continue;
    }
    for (const f of about) n += ins.run(p.messageId, row.list || list, sender, c.kind, c.rule, f.file, f.function ?? null, row.message_id, now).changes;
  }
  if (n) log.info({ msgid: p.messageId, from: sender, commands: cmds }, 'lore: feedback recorded');
  return n;
}

/** Muted by feedback received within the last `expireDays` days. */
export function isMuted(db: DB, list: string, f: { rule: string; file: string; function?: string }, now: number, expireDays: number): boolean {
  return !!db
    .prepare(
      `SELECT 1 FROM lore_feedback WHERE list = ? AND rule = ? AND (file IS NULL OR file = ?) AND (function IS NULL OR function = ?) AND received_at > ?`,
    )
    .get(list, f.rule, f.file, f.function ?? null, now - expireDays * 86400_000);
}

export interface FeedbackRow {
  id: number;
  msgid: string;
  list: string;
  from_addr: string;
  kind: string;
  rule: string;
  file: string | null;
  function: string | null;
  reply_to: string;
  received_at: number;
}

export function listFeedback(db: DB): FeedbackRow[] {
  return db.prepare('SELECT * FROM lore_feedback ORDER BY received_at, id').all() as FeedbackRow[];
}
