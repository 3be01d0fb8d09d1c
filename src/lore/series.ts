// Messages arriving one by one, over hours, on one or more lists → series ready for review.
// Each message is read once (Message-ID is the key across lists and across a rewritten history),
// classified (patch, cover letter, reply, other, skipped with a reason) and kept in SQLite. Series
// are assembled from what is pending, the way b4 threads them: a patch k/N and the cover 0/N are
// linked through In-Reply-To (shallow or deep threading), within one version and one N; a part
// whose parent has not arrived yet is linked through that parent's Message-ID all the same.
import { createHash } from 'node:crypto';
import { readMail, type MailMessage } from '../ingest/mail.js';
import type { DB } from '../store/db.js';
import type { Log } from './log.js';

export type MessageKind = 'patch' | 'cover' | 'reply' | 'other' | 'skipped';

export interface Origin {
  inbox: string;
  list: string;
  epoch?: number;
  commit?: string;
  /** When the message reached the list (commit time), ms. */
  time: number;
}

export interface IngestLimits {
  maxMessageBytes: number;
  /** The bot's own address: its mails are never reviewed. */
  botAddress: string;
  /** The sender matches the list's ignore_from. */
  ignored(list: string, address: string | undefined): boolean;
}

export interface IngestResult {
  status: 'new' | 'duplicate' | 'skipped';
  kind?: MessageKind;
  msgid?: string;
  reason?: string;
  mail?: MailMessage;
}

export function recordSkip(db: DB, origin: Origin, msgid: string | undefined, reason: string, now: number): void {
  db.prepare('INSERT INTO lore_skip (inbox, epoch, git_commit, msgid, reason, at) VALUES (?, ?, ?, ?, ?, ?)').run(
    origin.inbox,
    origin.epoch ?? null,
    origin.commit ?? null,
    msgid ?? null,
    reason,
    now,
  );
}

export function diffHash(mail: MailMessage): string {
  const files = mail.patch.files.map((f) => ({ o: f.oldPath, n: f.newPath, h: f.hunks.map((h) => [h.oldStart, h.newStart, h.lines.map((l) => `${l.kind[0]}${l.text}`)]) }));
  return createHash('sha1').update(JSON.stringify(files)).digest('hex');
}

/** Problems that make a message unsafe to review and answer in public. */
function fatalProblem(mail: MailMessage): string | undefined {
  const p = mail.patch.problems;
  const mime = p.find((x) => /MIME structure unreadable/.test(x));
  if (mime) return `broken MIME: ${mime}`;
  const bad = p.find((x) => /could not be decoded|not valid UTF-8/.test(x));
  if (bad) return `undecodable 8-bit text: ${bad}`;
  const diff = p.find((x) => /dropped hunk|unreadable hunk header|unreadable header|truncated/.test(x));
  if (diff) return `unreadable diff: ${diff}`;
  if (mail.truncated) return `truncated message: ${mail.truncated}`;
  return undefined;
}

/**
 * Read and classify one raw message, store it (pending when it is a patch or cover letter), and
 * say what happened. Never throws for bad input: the reason is logged and recorded.
 */
export async function ingestMessage(db: DB, raw: Buffer, origin: Origin, limits: IngestLimits, log: Log, now: number): Promise<IngestResult> {
  if (raw.length > limits.maxMessageBytes) {
    const reason = `message is ${(raw.length / 1e6).toFixed(1)} MB, over the ${(limits.maxMessageBytes / 1e6).toFixed(1)} MB limit`;
    return skip(db, origin, undefined, reason, log, now);
  }
  let mail: MailMessage;
  try {
    mail = await readMail(raw);
  } catch (e) {
    return skip(db, origin, undefined, `unreadable message: ${e instanceof Error ? e.message : String(e)}`, log, now);
  }
  const p = mail.patch;
  if (!p.messageId) {
    const hasHeaders = /^[!-9;-~]+:/.test(raw.subarray(0, 200).toString('latin1'));
    return skip(db, origin, undefined, hasHeaders ? 'no Message-ID header' : 'no mail headers (a bare diff?) and no Message-ID', log, now);
  }
  if (db.prepare('SELECT 1 FROM lore_message WHERE msgid = ?').get(p.messageId)) return { status: 'duplicate', msgid: p.messageId, mail };

  const from = p.author?.address?.toLowerCase();
  let kind: MessageKind;
  let status: 'pending' | 'done' | 'skipped' = 'done';
  let reason: string | undefined;
  const t = p.tags;
  if (from && from === limits.botAddress.toLowerCase()) {
    kind = 'other';
    reason = 'our own reply';
  } else if (t.reply) {
    kind = 'reply';
  } else if (!t.isPatch && !mail.hasDiff) {
    kind = 'other';
  } else if (limits.ignored(origin.list, from)) {
    kind = 'skipped';
    status = 'skipped';
    reason = `sender ${from} matches ignore_from`;
  } else if (t.isPatch && t.index === 0) {
    kind = 'cover';
    status = 'pending';
  } else if (!mail.hasDiff) {
    kind = 'skipped';
    status = 'skipped';
    const text = raw.toString('latin1');
    reason = /^@@ -\d+(,\d+)? \+\d+/m.test(text) ? 'diff without file headers (hunks but no ---/+++ lines): not reviewable' : 'patch mail carries no diff';
  } else {
    const fatal = fatalProblem(mail);
    if (fatal) {
      kind = 'skipped';
      status = 'skipped';
      reason = fatal;
    } else {
      kind = 'patch';
      status = 'pending';
    }
  }
  db.prepare(
    `INSERT INTO lore_message (msgid, inbox, list, epoch, git_commit, time, subject, from_addr, in_reply_to, refs, kind, status, reason,
       version, idx, total, resend, series_key, diff_hash, raw, received_at)
     VALUES (@msgid, @inbox, @list, @epoch, @commit, @time, @subject, @from, @irt, @refs, @kind, @status, @reason,
       @version, @idx, @total, @resend, @key, @hash, @raw, @now)`,
  ).run({
    msgid: p.messageId,
    inbox: origin.inbox,
    list: origin.list,
    epoch: origin.epoch ?? null,
    commit: origin.commit ?? null,
    time: origin.time,
    subject: p.subject || p.rawSubject,
    from: from ?? null,
    irt: p.inReplyTo ?? null,
    refs: JSON.stringify(p.references),
    kind,
    status,
    reason: reason ?? null,
    version: t.version,
    idx: t.index,
    total: t.total,
    resend: t.resend ? 1 : 0,
    key: mail.changeId ?? null,
    hash: kind === 'patch' ? diffHash(mail) : null,
    raw: status === 'pending' ? raw : null,
    now,
  });
  if (status === 'skipped') {
    recordSkip(db, origin, p.messageId, reason!, now);
    log.warn({ inbox: origin.inbox, commit: origin.commit, msgid: p.messageId, reason }, 'lore: message skipped');
    return { status: 'skipped', kind, msgid: p.messageId, reason: reason!, mail };
  }
  return { status: 'new', kind, msgid: p.messageId, mail };
}

function skip(db: DB, origin: Origin, msgid: string | undefined, reason: string, log: Log, now: number): IngestResult {
  recordSkip(db, origin, msgid, reason, now);
  log.warn({ inbox: origin.inbox, commit: origin.commit, msgid, reason }, 'lore: message skipped');
  return { status: 'skipped', reason, ...(msgid ? { msgid } : {}) };
}

/** A `d` blob: the message was removed from the archive. Drop it if not reviewed yet. */
export async function ingestDeletion(db: DB, raw: Buffer, origin: Origin, log: Log, now: number): Promise<string | undefined> {
  const mail = await readMail(raw);
  const id = mail.patch.messageId;
  if (!id) return undefined;
  const known = db.prepare('SELECT status FROM lore_message WHERE msgid = ?').get(id) as { status: string } | undefined;
  if (!known) {
    // Remember it, so a copy met again (e.g. in a re-walked window) is not reviewed.
    db.prepare(
      `INSERT INTO lore_message (msgid, inbox, list, epoch, git_commit, time, subject, kind, status, reason, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'other', 'deleted', 'deleted from the archive', ?)`,
    ).run(id, origin.inbox, origin.list, origin.epoch ?? null, origin.commit ?? null, origin.time, mail.patch.subject, now);
  } else if (known.status === 'pending') {
    db.prepare(`UPDATE lore_message SET status = 'deleted', reason = 'deleted from the archive', raw = NULL WHERE msgid = ?`).run(id);
  }
  const cancelled = db
    .prepare(`UPDATE outbox SET state = 'cancelled', last_error = 'the patch was deleted from the archive' WHERE in_reply_to = ? AND state = 'pending'`)
    .run(id).changes;
  log.info({ msgid: id, cancelled }, 'lore: message deleted from the archive');
  return id;
}

// --- assembly --------------------------------------------------------------------------------

/** The columns of lore_message a Group is made of. */
export const PENDING_COLUMNS = 'msgid, list, time, received_at, subject, from_addr, in_reply_to, kind, version, idx, total, resend, series_key, diff_hash';

export interface PendingMessage {
  msgid: string;
  list: string;
  time: number;
  received_at: number;
  subject: string;
  from_addr: string | null;
  in_reply_to: string | null;
  kind: 'patch' | 'cover';
  version: number;
  idx: number;
  total: number;
  resend: number;
  series_key: string | null;
  diff_hash: string | null;
}

export interface Group {
  /** Identity across versions: the change-id, else author + cover (or first patch) subject. */
  key: string;
  list: string;
  version: number;
  total: number;
  cover?: PendingMessage;
  /** Patches, by index (one per index: the newest copy). */
  patches: PendingMessage[];
  members: PendingMessage[];
  firstSeen: number;
  complete: boolean;
  resend: boolean;
}

export function normaliseSubject(s: string): string {
  return s.toLowerCase().replace(/\s+/g, ' ').trim();
}

export function pendingGroups(db: DB): Group[] {
  const rows = db
    .prepare(
      `SELECT msgid, list, time, received_at, subject, from_addr, in_reply_to, kind, version, idx, total, resend, series_key, diff_hash
       FROM lore_message WHERE status = 'pending' AND kind IN ('patch', 'cover') ORDER BY time, received_at`,
    )
    .all() as PendingMessage[];
  const byId = new Map(rows.map((r) => [r.msgid, r]));
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const union = (a: string, b: string): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  const known = db.prepare('SELECT 1 FROM lore_message WHERE msgid = ?');
  for (const r of rows) {
    find(r.msgid);
    if (!r.in_reply_to || (r.kind === 'patch' && r.total <= 1)) continue;
    const a = byId.get(r.in_reply_to);
    if (a) {
      if (a.version === r.version && (a.total === r.total || a.kind === 'cover' || r.kind === 'cover')) union(r.msgid, a.msgid);
    } else if (!known.get(r.in_reply_to)) {
      union(r.msgid, r.in_reply_to); // the parent has not arrived (yet): link through its id
    }
  }
  const groups = new Map<string, PendingMessage[]>();
  for (const r of rows) {
    // A lone patch (1/1) is its own series even inside a thread.
    const root = r.kind === 'patch' && r.total <= 1 ? `lone:${r.msgid}` : find(r.msgid);
    groups.set(root, [...(groups.get(root) ?? []), r]);
  }
  const out: Group[] = [];
  for (const members of groups.values()) {
    const covers = members.filter((m) => m.kind === 'cover');
    const cover = covers[covers.length - 1];
    const byIndex = new Map<number, PendingMessage>();
    for (const m of members) if (m.kind === 'patch') byIndex.set(m.idx, m); // later (newer) copies win
    const patches = [...byIndex.values()].sort((a, b) => a.idx - b.idx);
    const total = Math.max(cover?.total ?? 0, ...patches.map((p) => p.total), 1);
    let complete = patches.length > 0;
    for (let i = 1; i <= total && complete; i++) if (!byIndex.has(i)) complete = false;
    const head = cover ?? patches[0] ?? members[0]!;
    const changeId = members.find((m) => m.series_key)?.series_key;
    const key = changeId ? `change-id:${changeId}` : `${head.from_addr ?? ''}|${normaliseSubject(head.subject)}`;
    const g: Group = {
      key,
      list: head.list,
      version: head.version,
      total,
      patches,
      members,
      firstSeen: Math.min(...members.map((m) => m.received_at)),
      complete,
      resend: patches.length > 0 && patches.every((p) => p.resend === 1),
    };
    if (cover) g.cover = cover;
    out.push(g);
  }
  // b4 also links versions through the thread: v2 sent with --in-reply-to into v1's thread keeps
  // v1's identity even when the subject changed.
  const seriesOf = db.prepare(
    `SELECT s.series_key AS key, s.version AS version FROM lore_message m JOIN lore_series s ON s.id = m.series_id WHERE m.msgid = ?`,
  );
  const pendingOf = new Map<string, Group>();
  for (const g of out) for (const m of g.members) pendingOf.set(m.msgid, g);
  const sorted = out.sort((a, b) => a.version - b.version || a.firstSeen - b.firstSeen);
  for (const g of sorted) {
    const head = g.cover ?? g.patches[0];
    if (!head?.in_reply_to || g.key.startsWith('change-id:')) continue;
    const older = pendingOf.get(head.in_reply_to);
    if (older && older !== g && older.version < g.version) {
      g.key = older.key;
      continue;
    }
    const s = seriesOf.get(head.in_reply_to) as { key: string; version: number } | undefined;
    if (s && s.version < g.version) g.key = s.key;
  }
  return sorted.sort((a, b) => a.firstSeen - b.firstSeen);
}

export type Decision =
  | { action: 'review'; group: Group; note?: string }
  | { action: 'wait'; group: Group }
  | { action: 'drop'; group: Group; status: 'superseded' | 'skipped' | 'done'; reason: string };

/**
 * What to do with each pending group now: review (complete, or waited long enough), wait, or
 * drop (superseded by a newer version, a RESEND already reviewed, a cover whose patches never came).
 */
export function decide(db: DB, groups: Group[], now: number, waitMs: number): Decision[] {
  const newerReviewed = db.prepare('SELECT MAX(version) AS v FROM lore_series WHERE series_key = ?');
  const reviewedHash = db.prepare('SELECT msgid FROM lore_reviewed_patch WHERE diff_hash = ?');
  const out: Decision[] = [];
  for (const g of groups) {
    const newerPending = groups.some((o) => o !== g && o.key === g.key && o.version > g.version && o.patches.length > 0);
    const reviewedMax = (newerReviewed.get(g.key) as { v: number | null }).v;
    if (newerPending || (reviewedMax !== null && reviewedMax > g.version)) {
      out.push({ action: 'drop', group: g, status: 'superseded', reason: `superseded by a newer version of the series before it was reviewed` });
      continue;
    }
    const waited = now - g.firstSeen >= waitMs;
    if (g.patches.length === 0) {
      if (waited) out.push({ action: 'drop', group: g, status: 'done', reason: 'cover letter whose patches did not arrive' });
      else out.push({ action: 'wait', group: g });
      continue;
    }
    if (g.resend) {
      const seen = g.patches.map((p) => (p.diff_hash ? (reviewedHash.get(p.diff_hash) as { msgid: string } | undefined) : undefined));
      if (seen.every((s) => s !== undefined)) {
        out.push({ action: 'drop', group: g, status: 'skipped', reason: `RESEND of already reviewed patch(es) (${seen.map((s) => s!.msgid).join(', ')})` });
        continue;
      }
    }
    if (g.complete) out.push({ action: 'review', group: g });
    else if (waited) {
      const have = g.patches.map((p) => p.idx).join(', ');
      const note = `only patch${g.patches.length > 1 ? 'es' : ''} ${have} of ${g.total} had arrived after ${Math.round(waitMs / 60000)} minutes; reviewed ${g.patches.length > 1 ? 'those' : 'that one'}`;
      out.push({ action: 'review', group: g, note });
    } else out.push({ action: 'wait', group: g });
  }
  return out;
}

export function markGroup(db: DB, g: Group, status: string, reason: string | null, seriesId: number | null = null): void {
  // The raw message is only kept while it may still be reviewed.
  // 'queued': handed to a `modreview worker` through Redis (REDIS_URL), not reviewed yet.
  const st = db.prepare(`UPDATE lore_message SET status = ?, reason = ?, series_id = ?, raw = NULL WHERE msgid = ? AND status IN ('pending', 'queued')`);
  for (const m of g.members) st.run(status, reason, seriesId, m.msgid);
}

/** Pending replies for older versions of a series are never sent once a newer version exists. */
export function cancelOlderReplies(db: DB, key: string, version: number): number {
  return db
    .prepare(
      `UPDATE outbox SET state = 'cancelled', last_error = 'superseded by v' || ? || ' of the series'
       WHERE state = 'pending' AND series_id IN (SELECT id FROM lore_series WHERE series_key = ? AND version < ?)`,
    )
    .run(version, key, version).changes;
}
