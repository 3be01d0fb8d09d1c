// The reply a kernel maintainer would accept on a list: plain text, threaded under the patch,
// one summary line per finding, then the patch quoted only where commented on, each comment under
// the line it concerns, precedents in kernel style, and a short signature. Pure: no I/O, no clock.
import { displayPath, type FileDiff, type Hunk, type HunkLine } from '../diff/types.js';
import type { Patch, Person } from '../ingest/types.js';
import type { Finding } from '../engine/types.js';
import { foldHeader, headerText, msgIdHeader, personHeader, personText, subjectHeader } from './headers.js';

export const WRAP = 72;

export interface MailFinding extends Finding {
  /** Reported on this earlier version of the series and still present. */
  since?: number;
}

export interface ReplyInput {
  /** The mail answered: the patch N/M carrying the findings, or the cover letter. */
  patch: Patch;
  findings: MailFinding[];
  /** Plain statements for the reader (e.g. "only 2 of 3 patches arrived"). */
  notes?: string[];
  bot: Person;
  messageId: string;
  date: Date;
  to: Person[];
  cc: Person[];
  /** Base URL of the rule documentation; the rule id is appended. */
  docsUrl: string;
  botVersion?: string;
}

export interface RenderedReply {
  subject: string;
  headers: [string, string][];
  body: string;
}

/** Which findings may be mailed: what the patch introduced (on or caused by a line it adds or removes, or in a function it changes). */
export function mailable<T extends Finding>(findings: readonly T[]): T[] {
  return findings.filter((f) => f.where === 'added');
}

export function replySubject(original: string): string {
  const s = headerText(original).replace(/^(?:(?:re|aw|sv)\s*(?:\[\d+\]\s*)?:\s*)+/i, '');
  return `Re: ${s}`;
}

/** Greedy word wrap of one paragraph; a word longer than the width (a URL) stays whole. */
export function wrap(text: string, width = WRAP, indent = ''): string[] {
  const words = text.replace(/\s+/g, ' ').trim().split(' ').filter(Boolean);
  const out: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && indent.length + line.length + 1 + w.length > width) {
      out.push(indent + line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) out.push(indent + line);
  return out;
}

export function precedentRef(p: { commit: string; subject: string }): string {
  return `${p.commit.slice(0, 12)} ("${p.subject}")`;
}

function summaryLine(f: MailFinding): string {
  const where = `${f.file}:${f.line}${f.function ? ` ${f.function}()` : ''}`;
  const since = f.since !== undefined ? ` (still present since v${f.since})` : '';
  return `  ${f.rule}: ${where}${since}`;
}

/** A quoted line without a lone trailing blank (what a context line of an empty line leaves); longer trailing runs stay as written. */
function dropLoneBlank(l: string): string {
  return l.endsWith(' ') && !/\s/.test(l.charAt(l.length - 2)) ? l.slice(0, -1) : l;
}

function hunkHeader(h: Hunk): string {
  const range = (start: number, n: number): string => (n === 1 ? `${start}` : `${start},${n}`);
  return `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@${h.section ? ` ${h.section}` : ''}`;
}

function diffLine(l: HunkLine): string {
  return (l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : ' ') + l.text;
}

/** Post-image position of each hunk line: its own new line, or for a removed line the line now in its place. */
function postPositions(h: Hunk): number[] {
  let next = h.newStart;
  return h.lines.map((l) => {
    if (l.newLine !== undefined) {
      next = l.newLine + 1;
      return l.newLine;
    }
    return Math.max(1, next);
  });
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

/**
 * How strongly a removed line is what the finding talks about: 3 when the finding names its
 * pre-image line ("line 790 before the patch", "before: drivers/x.c:790: ..."), 2 when it quotes
 * the removed statement (".owner = THIS_MODULE"), 1 when it names a function the line calls
 * ("without class_unregister()") that no added line of the file calls; else 0.
 */
function removedLineScore(l: HunkLine, said: { text: string; oldLines: Set<number> }, addedCalls: Set<string>): number {
  if (l.oldLine !== undefined && said.oldLines.has(l.oldLine)) return 3;
  const stmt = oneLine(l.text).replace(/[,;{]\s*$/, '').trim();
  // (not a bare `return 0`, `goto out` or label: those say nothing about which line is meant)
  if (stmt.length >= 6 && /[A-Za-z_]/.test(stmt) && !/^(return|goto|break|continue)\b|^\w+:$/.test(stmt) && said.text.includes(stmt)) return 2;
  for (const m of l.text.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)) {
    const name = m[1]!;
    if (/^(if|for|while|switch|return|sizeof)$/.test(name) || addedCalls.has(name)) continue;
    if (new RegExp(`\\b${name}\\b`).test(said.text)) return 1;
  }
  return 0;
}

/** What a finding says in words: its message and evidence, and the pre-image lines it names. */
function findingText(f: Finding): { text: string; oldLines: Set<number> } {
  const oldLines = new Set<number>();
  for (const m of f.message.matchAll(/\bline (\d+) before (?:the|this) patch\b/g)) oldLines.add(Number(m[1]));
  for (const e of f.evidence) {
    if (!/^before:/.test(e)) continue;
    for (const m of e.matchAll(/:(\d+):|\bline (\d+)\b/g)) oldLines.add(Number(m[1] ?? m[2]));
  }
  return { text: oneLine([f.message, ...f.evidence].join(' ')), oldLines };
}

/**
 * Where a finding anchors: hunk index and line index within it (the comment goes after it, and
 * the quote ends there). In order: the added line the finding is on; the removed line(s) it is
 * about (a removed `.owner = THIS_MODULE`, a dropped unwind step: findings carry post-image lines,
 * so these are found through the pre-image lines, statements and calls the finding names); the
 * context line it is on; else the nearest changed line, added or removed.
 */
function anchor(file: FileDiff, f: Finding): { hunk: number; line: number } | undefined {
  const said = findingText(f);
  const addedCalls = new Set(file.hunks.flatMap((h) => h.lines.filter((l) => l.kind === 'add').flatMap((l) => [...l.text.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)].map((m) => m[1]!))));
  const deletedFile = file.newPath === null;
  let exactAdd: { hunk: number; line: number } | undefined;
  let exactContext: { hunk: number; line: number } | undefined;
  let removed: { hunk: number; line: number; score: number; dist: number } | undefined;
  let nearest: { hunk: number; line: number; dist: number } | undefined;
  file.hunks.forEach((h, hi) => {
    const pos = postPositions(h);
    h.lines.forEach((l, li) => {
      const at = deletedFile ? (l.oldLine ?? 0) : pos[li]!;
      const dist = Math.abs(at - f.line);
      if (l.kind === 'add' && l.newLine === f.line) exactAdd ??= { hunk: hi, line: li };
      else if (l.kind === 'context' && l.newLine === f.line) exactContext ??= { hunk: hi, line: li };
      if (l.kind === 'del') {
        const score = deletedFile && l.oldLine === f.line ? 3 : removedLineScore(l, said, addedCalls);
        if (score > 0 && (!removed || score > removed.score || (score === removed.score && dist < removed.dist))) removed = { hunk: hi, line: li, score, dist };
      }
      if (l.kind !== 'context' && (!nearest || dist < nearest.dist)) nearest = { hunk: hi, line: li, dist };
    });
  });
  const pick = exactAdd ?? removed ?? exactContext ?? nearest;
  return pick ? { hunk: pick.hunk, line: pick.line } : undefined;
}

function commentBlock(f: MailFinding): string[] {
  const out: string[] = [];
  if (f.since !== undefined) out.push(...wrap(`This was pointed out on v${f.since} and is still present:`), '');
  out.push(...wrap(f.message));
  for (const e of f.evidence) out.push('', ...wrap(e));
  if (f.precedents.length > 0) {
    out.push('', 'The same problem was fixed upstream in:');
    // One line each, however long: `sha ("subject")` is never wrapped, as in a Fixes: tag.
    for (const p of f.precedents) out.push(`  ${precedentRef(p)}`);
  }
  out.push(...suggestedFix(f));
  return out;
}

/**
 * A verified fix, after the finding: marked as a suggestion (the bot checked that its own finding
 * is gone from the fixed file, nothing more: no build, no test), the diff whole and unwrapped.
 */
export function suggestedFix(f: Finding): string[] {
  if (!f.fix?.verified) return [];
  return [
    '',
    ...wrap(`Suggested fix, for the author to judge (modreview reviewed the file again with it and this finding is gone; it was not built or tested): ${f.fix.title}.`),
    '',
    ...f.fix.diff.replace(/\n$/, '').split('\n'),
  ];
}

const CONTEXT_BEFORE = 6;

/** The interleaved part: quoted hunks with comments under the lines they concern. */
function interleaved(patch: Patch, findings: MailFinding[]): { lines: string[]; unplaced: MailFinding[] } {
  const lines: string[] = [];
  const unplaced: MailFinding[] = [];
  const byFile = new Map<FileDiff, { f: MailFinding; at: { hunk: number; line: number } }[]>();
  for (const f of findings) {
    const file = patch.files.find((d) => displayPath(d) === f.file || d.oldPath === f.file);
    const at = file ? anchor(file, f) : undefined;
    if (!file || !at) {
      unplaced.push(f);
      continue;
    }
    byFile.set(file, [...(byFile.get(file) ?? []), { f, at }]);
  }
  let first = true;
  for (const file of patch.files) {
    const items = byFile.get(file);
    if (!items) continue;
    items.sort((a, b) => a.at.hunk - b.at.hunk || a.at.line - b.at.line);
    if (!first) lines.push('[ ... ]', '');
    first = false;
    const a = file.oldPath ? `a/${file.oldPath}` : '/dev/null';
    const b = file.newPath ? `b/${file.newPath}` : '/dev/null';
    lines.push(`> diff --git a/${file.oldPath ?? file.newPath} b/${file.newPath ?? file.oldPath}`);
    lines.push(`> --- ${a}`, `> +++ ${b}`);
    let curHunk = -1;
    let nextLine = 0;
    for (const { f, at } of items) {
      const h = file.hunks[at.hunk]!;
      if (at.hunk !== curHunk) {
        if (curHunk >= 0) lines.push('[ ... ]', '');
        lines.push(`> ${hunkHeader(h)}`);
        curHunk = at.hunk;
        nextLine = 0;
      }
      if (at.line >= nextLine) {
        let from = nextLine;
        if (at.line - from + 1 > CONTEXT_BEFORE + 1) {
          from = at.line - CONTEXT_BEFORE;
          lines.push('[ ... ]');
        }
        for (let i = from; i <= at.line; i++) lines.push(dropLoneBlank(`> ${diffLine(h.lines[i]!)}`));
        nextLine = at.line + 1;
      }
      lines.push('', ...commentBlock(f), '');
    }
  }
  return { lines, unplaced };
}

export function renderReply(input: ReplyInput): RenderedReply {
  const { patch } = input;
  const findings = mailable(input.findings);
  const body: string[] = [];
  const n = findings.length;
  body.push(...wrap(n === 1 ? 'modreview found one possible problem in this patch:' : `modreview found ${n} possible problems in this patch:`));
  body.push('');
  for (const f of findings) body.push(summaryLine(f));
  body.push('');
  for (const note of input.notes ?? []) body.push(...wrap(`Note: ${note}`), '');

  const { lines, unplaced } = interleaved(patch, findings);
  if (lines.length > 0) {
    const who = (patch.author && personText(patch.author)) ?? 'the author';
    const when = patch.date ? new Date(patch.date).toUTCString().replace('GMT', '+0000') : undefined;
    let attribution = when ? `On ${when}, ${who} wrote:` : `${who} wrote:`;
    const name = headerText(patch.author?.name ?? '');
    if (attribution.length > 78 && name) attribution = when ? `On ${when}, ${name} wrote:` : `${name} wrote:`;
    body.push(attribution);
    body.push(...lines);
  }
  for (const f of unplaced) {
    body.push(...wrap(`${f.file}:${f.line}${f.function ? ` (${f.function})` : ''}:`), '');
    body.push(...commentBlock(f), '');
  }
  // Nothing after the last comment but the signature.
  while (body.length > 0 && body[body.length - 1] === '') body.pop();

  const rules = [...new Set(findings.map((f) => f.rule))];
  const base = input.docsUrl.replace(/(?<!\/)\/+$/, '');
  body.push('', '-- ');
  body.push(...wrap(`modreview${input.botVersion ? ` ${input.botVersion}` : ''}, an automated reviewer for Linux module-lifecycle conventions.`));
  for (const r of rules) body.push(`Rule: ${base}/${r}`);
  // The commands stay whole on their own lines, ready to copy.
  body.push('To silence a rule for this code, reply with one of:');
  for (const r of rules) body.push(`  #modreview ignore ${r}`, `  #modreview false-positive ${r}`);

  const subject = replySubject(patch.rawSubject || patch.subject);
  // Every value below passes the header checks: what came from the mail we answer (ids, names)
  // is dropped when it cannot be written as one header line, so the reply then does not thread on it.
  const ownId = msgIdHeader(input.messageId);
  if (!ownId) throw new Error(`reply Message-ID ${JSON.stringify(input.messageId)} is not a valid msg-id`);
  const parent = patch.messageId ? msgIdHeader(patch.messageId) : undefined;
  const refs = [...patch.references.map(msgIdHeader), parent].filter((v, i, a): v is string => v !== undefined && a.indexOf(v) === i);
  const people = (list: Person[]): string[] => list.map(personText).filter((v): v is string => v !== undefined);
  const from = personText(input.bot);
  if (!from) throw new Error(`bot address ${JSON.stringify(input.bot.address)} is not a valid address`);
  const headers: [string, string][] = [['From', from]];
  const to = people(input.to);
  const cc = people(input.cc);
  if (to.length > 0) headers.push(['To', to.join(', ')]);
  if (cc.length > 0) headers.push(['Cc', cc.join(', ')]);
  headers.push(['Subject', subject]);
  headers.push(['Date', rfc2822Date(input.date)]);
  headers.push(['Message-ID', ownId]);
  if (parent) headers.push(['In-Reply-To', parent]);
  if (refs.length > 0) headers.push(['References', refs.join(' ')]);
  headers.push(['Auto-Submitted', 'auto-generated']);
  headers.push(['X-Mailer', 'modreview']);
  return { subject, headers, body: body.join('\n') + '\n' };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function rfc2822Date(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

// --- RFC 5322 serialisation (pure) --------------------------------------------------------

/**
 * Serialise to wire format (CRLF): text/plain; charset=utf-8, 8bit when the body is not ASCII
 * (lines never re-encoded, so quoted diff lines arrive byte for byte), quoted-printable only when
 * a line would exceed SMTP's 998-octet limit.
 */
export function toRaw(r: RenderedReply, people: { to: Person[]; cc: Person[]; from: Person }): Buffer {
  const out: string[] = [];
  const list = (ps: Person[]): string => ps.map(personHeader).filter((v): v is string => v !== undefined).join(', ');
  for (const [name, value] of r.headers) {
    if (name === 'From') out.push(foldHeader(name, personHeader(people.from) ?? ''));
    else if (name === 'To') out.push(foldHeader(name, list(people.to)));
    else if (name === 'Cc') out.push(foldHeader(name, list(people.cc)));
    else if (name === 'Subject') out.push(foldHeader(name, subjectHeader(value)));
    else out.push(foldHeader(name, value));
  }
  out.push('MIME-Version: 1.0');
  out.push('Content-Type: text/plain; charset=utf-8');
  const lines = r.body.replace(/\r\n/g, '\n').split('\n');
  const long = lines.some((l) => Buffer.byteLength(l, 'utf8') > 998);
  let body: string;
  if (long) {
    out.push('Content-Transfer-Encoding: quoted-printable');
    body = lines.map(qpLine).join('\r\n');
  } else {
    out.push(`Content-Transfer-Encoding: ${/^[\x00-\x7f]*$/.test(r.body) ? '7bit' : '8bit'}`);
    body = lines.join('\r\n');
  }
  return Buffer.from(`${out.join('\r\n')}\r\n\r\n${body}`, 'utf8');
}

function qpLine(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  let out = '';
  let len = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const last = i === bytes.length - 1;
    let enc = (b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !last) ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
    if (len + enc.length > 75) {
      out += '=\r\n';
      len = 0;
    }
    out += enc;
    len += enc.length;
    enc = '';
  }
  return out;
}
