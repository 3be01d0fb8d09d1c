// Input bytes → Submission: tell an mbox, a single mail and a bare diff apart, read each message,
// then assemble the series the way a maintainer would with b4: cover letter apart, patches in
// index order, one copy of each, newest version only, and say what is missing.
import { InputError } from '../errors.js';
import { parseUnifiedDiff } from '../diff/parse.js';
import type { FileDiff } from '../diff/types.js';
import { decodeText, extractCommitMessage, findDiffStart, findTrailer, readMail, type MailMessage } from './mail.js';
import { parseSubject } from './subject.js';
import type { Patch, Series, Submission, SubmissionSource } from './types.js';

/**
 * An mbox `From ` separator: `From <sender> <asctime>`. The weekday after the sender keeps a
 * sentence that merely starts with "From " in an unescaped (mboxo) body from splitting a message.
 */
const MBOX_FROM = /^From \S+\s+(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b/;
const FORMAT_PATCH_FROM = /^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001\s*$/;

/** Header names that show a text block really is a mail header, not a diff line with a colon. */
const KNOWN_HEADER = /^(from|to|cc|subject|date|message-id|in-reply-to|references|mime-version|content-type|return-path|received|delivered-to|reply-to|sender|list-id|x-[a-z0-9-]+):/i;

export interface ReadOptions {
  /** Overrides the detected source (e.g. 'lore' or 'github' for an adapter's input). */
  source?: SubmissionSource;
}

interface RawMessage {
  bytes: Buffer;
  fromLine?: string;
}

function isBlank(buf: Buffer): boolean {
  for (const b of buf) if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
  return true;
}

/** Does `text` open with a mail header block? */
function looksLikeHeaders(text: string): boolean {
  const lines = text.split(/\r?\n/);
  if (!/^[!-9;-~]+:/.test(lines[0] ?? '')) return false;
  let known = false;
  for (const l of lines) {
    if (l === '') break;
    if (/^[ \t]/.test(l)) continue;
    if (!/^[!-9;-~]+:/.test(l)) return false;
    if (KNOWN_HEADER.test(l)) known = true;
  }
  return known;
}

/**
 * Split an mbox (latin1 text keeps bytes 1:1) into messages. `>From ` escapes (mboxrd, and the
 * common mboxo case) lose one `>`.
 */
function splitMbox(text: string): RawMessage[] {
  const lines = text.split('\n');
  const out: RawMessage[] = [];
  let cur: string[] | undefined;
  let fromLine: string | undefined;
  const flush = (): void => {
    if (cur) {
      const m: RawMessage = { bytes: Buffer.from(cur.join('\n'), 'latin1') };
      if (fromLine !== undefined) m.fromLine = fromLine;
      out.push(m);
    }
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.replace(/\r$/, '');
    const prevBlank = i === 0 || lines[i - 1]!.replace(/\r$/, '') === '' || cur === undefined;
    // format-patch's magic line is specific enough to split on even without the blank line before it
    // (hand-concatenated patch files often lack it).
    if ((prevBlank && MBOX_FROM.test(l)) || FORMAT_PATCH_FROM.test(l)) {
      flush();
      cur = [];
      fromLine = l;
      continue;
    }
    if (cur === undefined) {
      if (l.trim() === '') continue;
      cur = []; // text before the first separator: read it as a message of its own
      fromLine = undefined;
    }
    cur.push(lines[i]!.replace(/^>(>*From )/, '$1'));
  }
  flush();
  return out;
}

function stripBom(buf: Buffer): Buffer {
  return buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? buf.subarray(3) : buf;
}

/** A bare unified diff (no mail headers) as a one-patch Submission. */
function bareDiff(buf: Buffer, source: SubmissionSource | undefined): Submission | undefined {
  const problems: string[] = [];
  const text = decodeText(buf, problems, 'input').replace(/\r\n/g, '\n');
  const lines = text.split('\n');
  const start = findDiffStart(lines);
  const files: FileDiff[] = start >= 0 ? parseUnifiedDiff(lines.slice(start).join('\n')) : parseUnifiedDiff(text);
  if (files.length === 0) return undefined;
  for (const f of files) problems.push(...f.problems);
  const tags = parseSubject('');
  // Text before the diff (e.g. `git show` output) is the nearest thing to a commit message.
  const commitMessage = start > 0 ? extractCommitMessage(lines.slice(0, start).join('\n')) : '';
  const patch: Patch = { rawSubject: '', subject: '', tags, references: [], to: [], cc: [], commitMessage, files, problems };
  const series: Series = { subject: '', version: 1, total: 1 };
  const base = findTrailer(text, 'base-commit');
  if (base) series.baseCommit = base;
  return { source: source ?? 'diff', series, patches: [patch], problems: [] };
}

function nth(m: MailMessage): string {
  const t = m.patch.tags;
  return `${t.index}/${t.total}`;
}

/** Assemble messages into a Submission (exported for adapters that fetch messages one by one). */
export function assembleSeries(messages: MailMessage[], source: SubmissionSource): Submission {
  const problems: string[] = [];

  // One copy per Message-ID (lore mboxes and cross-posts repeat messages).
  const seen = new Set<string>();
  const unique: MailMessage[] = [];
  for (const m of messages) {
    const id = m.patch.messageId;
    if (id !== undefined) {
      if (seen.has(id)) continue;
      seen.add(id);
    }
    unique.push(m);
  }

  // Replies and diff-less mails are discussion, not patches; a 0/N (with or without a diff) is the cover.
  const covers = unique.filter((m) => !m.patch.tags.reply && m.patch.tags.index === 0 && m.patch.tags.isPatch);
  const candidates = unique.filter((m) => !m.patch.tags.reply && m.hasDiff && !covers.includes(m));

  // Several versions of one series: review the newest (what the maintainer would apply).
  const versions = [...new Set([...candidates, ...covers].map((m) => m.patch.tags.version))].sort((a, b) => a - b);
  const version = versions.length > 0 ? versions[versions.length - 1]! : 1;
  if (versions.length > 1) {
    problems.push(`the input holds versions ${versions.map((v) => `v${v}`).join(', ')} of the series; only v${version} is reviewed`);
  }
  const cover = covers
    .filter((m) => m.patch.tags.version === version)
    .sort((a, b) => (b.time ?? 0) - (a.time ?? 0) || b.order - a.order)[0];
  const inVersion = candidates.filter((m) => m.patch.tags.version === version);

  // Within the version: one patch per index, except lone patches (1/1) which may be unrelated.
  const byIndex = new Map<number, MailMessage[]>();
  for (const m of inVersion) {
    const k = m.patch.tags.index;
    byIndex.set(k, [...(byIndex.get(k) ?? []), m]);
  }
  const chosen: MailMessage[] = [];
  for (const [index, list] of byIndex) {
    const lone = list.every((m) => m.patch.tags.total <= 1);
    if (list.length === 1 || lone) {
      chosen.push(...list);
      continue;
    }
    // A resend of the same patch: keep the newest copy.
    const newest = [...list].sort((a, b) => (b.time ?? 0) - (a.time ?? 0) || b.order - a.order)[0]!;
    chosen.push(newest);
    problems.push(`patch ${index}/${newest.patch.tags.total} appears ${list.length} times; kept the newest ("${newest.patch.subject}")`);
  }
  chosen.sort((a, b) => a.patch.tags.index - b.patch.tags.index || a.order - b.order);

  const total = Math.max(cover?.patch.tags.total ?? 0, ...chosen.map((m) => m.patch.tags.total), chosen.length > 0 ? 1 : 0);
  if (total > 1 || cover) {
    for (let i = 1; i <= total; i++) {
      if (!chosen.some((m) => m.patch.tags.index === i)) problems.push(`patch ${i}/${total} missing`);
    }
  }
  for (const m of chosen) {
    if (m.patch.tags.index > total) problems.push(`patch ${nth(m)} is outside the series (${total} patches)`);
  }

  const first = chosen[0];
  const series: Series = {
    subject: cover?.patch.subject ?? first?.patch.subject ?? '',
    version,
    total: Math.max(total, 1),
  };
  if (cover) series.cover = cover.patch;
  // b4 puts the trailers in the cover letter; without one, git format-patch puts them in the last patch.
  const trailerSources = [cover, ...[...chosen].reverse()].filter((m): m is MailMessage => m !== undefined);
  const base = trailerSources.find((m) => m.baseCommit)?.baseCommit;
  const change = trailerSources.find((m) => m.changeId)?.changeId;
  if (base) series.baseCommit = base;
  if (change) series.changeId = change;

  if (chosen.length === 0) {
    problems.push(`no patch found: ${unique.length} message(s) read, none carries a diff (replies and cover letters are not reviewed)`);
  }
  return { source, series, patches: chosen.map((m) => m.patch), problems };
}

/**
 * Read an mbox, a single mail (git format-patch / send-email) or a bare unified diff.
 * Throws InputError (one line) for empty input, input that is neither mail nor diff, and an mbox
 * with no readable message; everything else that is wrong ends up in `problems`.
 */
export async function readSubmission(input: Buffer | string, opts: ReadOptions = {}): Promise<Submission> {
  const buf = stripBom(typeof input === 'string' ? Buffer.from(input, 'utf8') : input);
  if (buf.length === 0 || isBlank(buf)) throw new InputError('empty input: no mail, mbox or diff to read');

  const latin = buf.toString('latin1');
  const firstLine = latin.replace(/^\s+/, '').split(/\r?\n/, 1)[0] ?? '';
  const isMbox = MBOX_FROM.test(firstLine) || FORMAT_PATCH_FROM.test(firstLine);

  if (!isMbox && !looksLikeHeaders(latin.replace(/^\s+/, ''))) {
    const sub = bareDiff(buf, opts.source);
    if (!sub) throw new InputError('input has no mail headers and no diff: not a patch, mail or mbox');
    return sub;
  }

  const raws: RawMessage[] = isMbox ? splitMbox(latin.replace(/^\s+/, '')) : [{ bytes: Buffer.from(latin.replace(/^\s+/, ''), 'latin1') }];
  const messages: MailMessage[] = [];
  const problems: string[] = [];
  for (let i = 0; i < raws.length; i++) {
    const r = raws[i]!;
    const headText = r.bytes.toString('latin1');
    if (!looksLikeHeaders(headText)) {
      problems.push(`message ${i + 1} of ${raws.length} has no mail headers; skipped`);
      continue;
    }
    const opt: { fromLine?: string; order: number } = { order: i };
    if (r.fromLine !== undefined) opt.fromLine = r.fromLine;
    const m = await readMail(r.bytes, opt);
    if (i === raws.length - 1 && m.truncated) {
      problems.push(`the input looks truncated: ${m.truncated} (last message${m.patch.rawSubject ? ` "${m.patch.rawSubject}"` : ''}); read what was complete`);
      // A message cut inside its headers has no body worth reviewing.
      if (m.truncated.includes('headers')) continue;
    }
    messages.push(m);
  }
  if (messages.length === 0) throw new InputError(`no readable message in the ${isMbox ? 'mbox' : 'mail'} input`);

  const source: SubmissionSource = opts.source ?? (raws.length > 1 ? 'mbox' : 'mail');
  const sub = assembleSeries(messages, source);
  sub.problems.unshift(...problems);
  return sub;
}
