// One mail → one Patch. mailparser does the MIME work (headers, transfer encodings, charsets,
// attachments); this module finds the parts kernel tooling cares about: the commit message, the
// diff, and the b4/format-patch trailers. Nothing in a mail is ever executed.
import type { AddressObject, ParsedMail } from 'mailparser';
import { parseUnifiedDiff } from '../diff/parse.js';
import type { FileDiff } from '../diff/types.js';
import { parseSubject } from './subject.js';
import type { Patch, Person } from './types.js';

/** A read message plus what only series assembly needs. */
export interface MailMessage {
  patch: Patch;
  /** Message has at least one diff file (a patch rather than a cover letter or discussion). */
  hasDiff: boolean;
  baseCommit?: string;
  changeId?: string;
  /** Dates for picking the newest copy of a resent patch. */
  time?: number;
  /** Position in the input, for a stable order. */
  order: number;
  /** Why the message looks cut short, if it does (only meaningful for the last one in an mbox). */
  truncated?: string;
}

/** `From <sha> Mon Sep 17 00:00:00 2001`: git format-patch's magic mbox line. */
const FORMAT_PATCH_FROM = /^From ([0-9a-f]{40}) Mon Sep 17 00:00:00 2001\s*$/;

const DIFF_START = /^diff --git /;

/** Index of the first line of the diff in `lines`, or -1. */
export function findDiffStart(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (DIFF_START.test(l)) return i;
    if (l.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ') && lines[i + 2]?.startsWith('@@ ')) return i;
  }
  return -1;
}

/**
 * The diff part of a body: from the first `diff --git`/`--- a/` line to the mail signature. A
 * `-- ` line counts as the signature only when the line after it cannot be diff text (the
 * signature carries git's version or a name); otherwise it may be a removed "- " line.
 */
export function extractDiff(body: string): string | undefined {
  const lines = body.split('\n');
  const start = findDiffStart(lines);
  if (start < 0) return undefined;
  let end = lines.length;
  for (let i = lines.length - 1; i > start; i--) {
    if (/^--[ \t]*$/.test(lines[i]!.replace(/\u00a0/g, ' ')) && lines[i]!.startsWith('--')) {
      const next = lines[i + 1];
      if (next === undefined || !/^[ +\-@\\]/.test(next)) {
        end = i;
        break;
      }
    }
  }
  return lines.slice(start, end).join('\n') + '\n';
}

/** The commit message: everything before format-patch's `---` separator (or before the diff). */
export function extractCommitMessage(body: string): string {
  const lines = body.split('\n');
  const diffAt = findDiffStart(lines);
  let end = diffAt >= 0 ? diffAt : lines.length;
  for (let i = 0; i < end; i++) {
    if (/^---\s*$/.test(lines[i]!)) {
      end = i;
      break;
    }
  }
  if (diffAt < 0) {
    // A cover letter or discussion: stop at the signature.
    const sig = lines.findIndex((l, i) => i < end && /^-- ?\s*$/.test(l) && l.startsWith('--'));
    if (sig >= 0) end = sig;
  }
  return lines.slice(0, end).join('\n').trimEnd();
}

export function findTrailer(text: string, name: 'base-commit' | 'change-id'): string | undefined {
  const re = name === 'base-commit' ? /^base-commit:[ \t]*([0-9a-f]{7,40})[ \t]*$/im : /^change-id:[ \t]*(\S+)[ \t]*$/im;
  return re.exec(text)?.[1];
}

function stripBrackets(id: string): string {
  return id.trim().replace(/^<+/, '').replace(/(?<!>)>+$/, '').trim();
}

function idList(v: string | string[] | undefined): string[] {
  if (!v) return [];
  const all = (Array.isArray(v) ? v : [v]).join(' ');
  const ids = all.match(/<[^<>\s]+>/g);
  return (ids ?? all.split(/\s+/)).map(stripBrackets).filter((s) => s.length > 0);
}

function people(v: AddressObject | AddressObject[] | undefined): Person[] {
  if (!v) return [];
  const out: Person[] = [];
  const visit = (list: { address?: string; name: string; group?: unknown[] }[]): void => {
    for (const a of list) {
      if (Array.isArray(a.group)) visit(a.group as typeof list);
      else if (a.address || a.name) out.push(a.name ? { name: a.name, address: a.address ?? '' } : { address: a.address ?? '' });
    }
  };
  for (const o of Array.isArray(v) ? v : [v]) visit(o.value);
  return out;
}

/** Attachments that can carry a patch: git send-email --attach, or mail clients' "text/x-patch". */
function isPatchAttachment(a: ParsedMail['attachments'][number]): boolean {
  // (mailparser gives `false` for a Content-Type it cannot read.)
  const type = (typeof a.contentType === 'string' ? a.contentType : '').toLowerCase();
  const name = (typeof a.filename === 'string' ? a.filename : '').toLowerCase();
  if (/^text\/(x-patch|x-diff|x-diff-|plain|patch|diff)/.test(type)) return true;
  if (/^application\/(x-patch|x-diff|octet-stream)/.test(type) && /\.(patch|diff)$/.test(name)) return true;
  return false;
}

/**
 * Decode bytes in their declared charset (any label the WHATWG Encoding Standard knows:
 * ISO-8859-x, windows-125x, KOI8-R, GB18030, Shift_JIS, ...). Without one, or when it is UTF-8 or
 * US-ASCII, as UTF-8, and when that fails as Latin-1 (which never fails), saying so. Bytes that
 * are invalid in the declared charset, or a charset nobody knows, are a problem of the text.
 */
export function decodeText(buf: Buffer, problems: string[], what: string, charset?: string): string {
  const cs = charset?.trim().toLowerCase();
  if (cs && !/^(utf-?8|us-ascii|ascii)$/.test(cs)) {
    let decoder: TextDecoder | undefined;
    try {
      decoder = new TextDecoder(cs, { fatal: true });
    } catch {
      problems.push(`${what} could not be decoded: unknown charset ${JSON.stringify(charset)}`);
    }
    if (decoder) {
      try {
        return decoder.decode(buf);
      } catch {
        problems.push(`${what} could not be decoded in its declared charset ${charset}`);
      }
    }
    return buf.toString('latin1');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    problems.push(`${what} is not valid UTF-8; read as Latin-1`);
    return buf.toString('latin1');
  }
}

/** The charset parameter of a MIME part's Content-Type, if it declares one. */
function declaredCharset(headers: Map<string, unknown> | undefined): string | undefined {
  const ct = headers?.get('content-type') as { params?: Record<string, string> } | undefined;
  const cs = ct?.params?.charset;
  return typeof cs === 'string' && cs.trim() ? cs.trim() : undefined;
}

/** Split raw header text from body without MIME knowledge (fallback when mailparser fails). */
function naiveSplit(text: string): { headers: Map<string, string>; body: string } {
  const headers = new Map<string, string>();
  const idx = text.search(/\r?\n\r?\n/);
  const head = idx >= 0 ? text.slice(0, idx) : text;
  const body = idx >= 0 ? text.slice(idx).replace(/^\r?\n\r?\n/, '') : '';
  let last = '';
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) headers.set(last, `${headers.get(last)} ${line.trim()}`);
    else {
      // `name: value`, the value without its leading blanks, and no line break in it (a
      // `\s*(.*)$` regex traded blanks between its two quantifiers: quadratic on a long run).
      const m = /^([!-9;-~]+):/.exec(line);
      const value = m ? line.slice(m[0].length).trimStart() : '';
      if (m && !/[\n\r\u2028\u2029]/.test(value)) {
        last = m[1]!.toLowerCase();
        headers.set(last, value);
      }
    }
  }
  return { headers, body };
}

// mailparser (≈ 100 modules with iconv-lite and an HTML stack: more CPU to load than all of a
// small review) is loaded only for a mail plainMail() declines; a bare diff never needs it.
let mailparser: Promise<typeof import('mailparser')> | undefined;

/** What readMail takes from a parsed message (mailparser's ParsedMail, or plainMail's). */
type MailFields = Pick<ParsedMail, 'text' | 'html' | 'subject' | 'attachments' | 'from' | 'to' | 'cc' | 'references' | 'messageId' | 'date' | 'inReplyTo'>;

const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
/** An RFC 5322 date as git format-patch writes it ("Wed, 15 Jan 2025 09:12:00 +0000"). */
const PLAIN_DATE = new RegExp(`^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\\d{1,2} ${MONTH} \\d{4} \\d{2}:\\d{2}:\\d{2} [+-]\\d{4}$`);
/** One address as format-patch and send-email write it: `Name <a@b>`, `<a@b>` or `a@b`. */
const PLAIN_ADDRESS = /^(?:([A-Za-z0-9.'_+-]+(?: [A-Za-z0-9.'_+-]+)*) <([^<>\s@,]+@[^<>\s@,]+)>|<([^<>\s@,]+@[^<>\s@,]+)>|([^<>\s@,"]+@[^<>\s@,"]+))$/;
const PLAIN_ID = /^<[^<>\s]+>$/;
const PLAIN_IDS = /^<[^<>\s]+>(?:\s+<[^<>\s]+>)*$/;

function plainAddresses(v: string): AddressObject | undefined {
  const value: { address: string; name: string }[] = [];
  for (const part of v.split(',')) {
    const m = PLAIN_ADDRESS.exec(part.trim());
    if (!m) return undefined;
    value.push(m[1] !== undefined ? { address: m[2]!, name: m[1] } : { address: (m[3] ?? m[4])!, name: '' });
  }
  return { value, html: '', text: '' } as AddressObject;
}

/**
 * The fields of a plain mail — what git format-patch and send-email write for an ASCII-headed
 * patch: no MIME structure (no Content-Type, or text/plain with a UTF-8 or US-ASCII charset and
 * no other parameter), a 7bit/8bit body, printable ASCII headers without encoded words, each
 * header read at most once, addresses, ids and date in their plain forms — read as mailparser
 * reads them; undefined for anything else, which mailparser then reads
 * (test/ingest/plain-mail.test.ts compares the two).
 */
export function plainMail(raw: Buffer): MailFields | undefined {
  let end = raw.indexOf('\n\n');
  const crlf = raw.indexOf('\r\n\r\n');
  if (crlf >= 0 && (end < 0 || crlf < end)) end = crlf;
  if (end <= 0) return undefined;
  const head = raw.subarray(0, end).toString('latin1');
  // Printable ASCII, tabs, line breaks; no encoded word; no lone CR.
  if (/[^\t\n\r\x20-\x7e]|=\?|\r(?!\n)/.test(head)) return undefined;
  const headers = new Map<string, string>();
  let last: string | undefined;
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line)) {
      if (!last) return undefined;
      headers.set(last, `${headers.get(last)}\n${line}`);
      continue;
    }
    const m = /^([!-9;-~]+):/.exec(line);
    if (!m) return undefined;
    last = m[1]!.toLowerCase();
    if (headers.has(last)) {
      // Received, DKIM and the like repeat harmlessly; a repeated header this reads does not.
      if (['subject', 'from', 'to', 'cc', 'date', 'message-id', 'in-reply-to', 'references', 'content-type', 'content-transfer-encoding', 'mime-version'].includes(last)) return undefined;
      last = `${last}\0${headers.size}`;
    }
    headers.set(last, line.slice(m[0].length));
  }
  const get = (k: string) => {
    const v = headers.get(k);
    return v === undefined ? undefined : v.replace(/\n[ \t]+/g, ' ').trim();
  };
  const ct = get('content-type');
  if (ct !== undefined && !/^text\/plain(?:\s*;\s*charset="?(?:utf-8|us-ascii)"?)?\s*;?$/i.test(ct)) return undefined;
  const cte = get('content-transfer-encoding');
  if (cte !== undefined && !/^(?:7bit|8bit)$/i.test(cte)) return undefined;
  const bodyBytes = raw.subarray(end + (raw[end] === 0x0d ? 4 : 2));
  // mailparser writes U+FFFD for bytes invalid in UTF-8, and turns CRLF into LF (a lone CR it
  // treats otherwise: declined).
  const text = bodyBytes.toString('utf8');
  if (/\r(?!\n)/.test(text)) return undefined;
  const out: MailFields = { text: text.replace(/\r\n/g, '\n'), html: false, attachments: [] };
  const subject = get('subject');
  if (subject !== undefined) out.subject = subject;
  for (const k of ['from', 'to', 'cc'] as const) {
    const v = get(k);
    if (v === undefined) continue;
    const a = plainAddresses(v);
    if (!a) return undefined;
    out[k] = a;
  }
  const mid = get('message-id');
  if (mid !== undefined) {
    if (!PLAIN_ID.test(mid)) return undefined;
    out.messageId = mid;
  }
  const irt = get('in-reply-to');
  if (irt !== undefined) {
    if (!PLAIN_ID.test(irt)) return undefined;
    out.inReplyTo = irt;
  }
  const refs = get('references');
  if (refs !== undefined) {
    if (!PLAIN_IDS.test(refs)) return undefined;
    const ids = refs.split(/\s+/);
    out.references = ids.length === 1 ? ids[0]! : ids;
  }
  const date = get('date');
  if (date !== undefined) {
    if (!PLAIN_DATE.test(date)) return undefined;
    out.date = new Date(date);
    if (Number.isNaN(out.date.getTime())) return undefined;
  }
  return out;
}

/**
 * Read one message (raw bytes, without an mbox `From ` line; pass that line as `fromLine`).
 * Never throws: what cannot be read goes to `patch.problems`.
 */
export async function readMail(raw: Buffer, opts: { fromLine?: string; order?: number; /** Always through mailparser (tests). */ mime?: boolean } = {}): Promise<MailMessage> {
  const problems: string[] = [];
  let parsed: MailFields | undefined;
  try {
    parsed = opts.mime ? undefined : plainMail(raw);
    if (!parsed) {
      const { simpleParser } = await (mailparser ??= import('mailparser'));
      parsed = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
    }
  } catch (e) {
    problems.push(`MIME structure unreadable (${e instanceof Error ? e.message.split('\n')[0] : String(e)}); read as plain text`);
  }

  const commit = opts.fromLine ? FORMAT_PATCH_FROM.exec(opts.fromLine)?.[1] : undefined;
  const latin = raw.toString('latin1');
  const headerEnd = latin.search(/\r?\n\r?\n/);
  let truncated: string | undefined;
  if (headerEnd < 0) truncated = 'the message ends inside its headers';

  let body: string;
  let rawSubject: string;
  const extraTexts: string[] = [];
  let patch: Omit<Patch, 'files' | 'problems' | 'commitMessage' | 'subject' | 'tags' | 'rawSubject'>;
  if (parsed) {
    body = parsed.text ?? '';
    if (!parsed.text && parsed.html) problems.push('HTML-only message: no text part to read');
    rawSubject = parsed.subject ?? '';
    for (const a of parsed.attachments ?? []) {
      if (!isPatchAttachment(a)) continue;
      extraTexts.push(decodeText(a.content, problems, `attachment ${a.filename ?? a.contentType}`, declaredCharset(a.headers as Map<string, unknown>)));
    }
    const author = people(parsed.from)[0];
    patch = {
      references: idList(parsed.references),
      to: people(parsed.to),
      cc: people(parsed.cc),
    };
    if (parsed.messageId) patch.messageId = stripBrackets(parsed.messageId);
    if (author) patch.author = author;
    if (parsed.date && !Number.isNaN(parsed.date.getTime())) patch.date = parsed.date.toISOString();
    if (parsed.inReplyTo) {
      const irt = idList(parsed.inReplyTo)[0];
      if (irt) patch.inReplyTo = irt;
    }
  } else {
    const { headers, body: b } = naiveSplit(decodeText(raw, problems, 'message'));
    body = b;
    rawSubject = headers.get('subject') ?? '';
    patch = { references: idList(headers.get('references')), to: [], cc: [] };
    const mid = headers.get('message-id');
    if (mid) patch.messageId = stripBrackets(mid);
    const from = headers.get('from');
    if (from) patch.author = { address: from.trim() };
  }
  // mailparser decodes the text in its declared charset (UTF-8 when it declares none); what is left
  // as U+FFFD was not valid in it.
  if (body.includes('\uFFFD')) problems.push('the text contains bytes that could not be decoded in its declared charset (UTF-8 when none is declared)');
  body = body.replace(/\r\n/g, '\n');

  // The diff may sit in the body, in patch attachments, or in both (body = message, attachment = diff).
  const files: FileDiff[] = [];
  const diffTexts = [body, ...extraTexts].map(extractDiff).filter((d): d is string => d !== undefined);
  for (const d of diffTexts) files.push(...parseUnifiedDiff(d));
  for (const f of files) problems.push(...f.problems);
  if (files.some((f) => f.problems.some((p) => p.includes('truncated:')))) truncated ??= 'the message ends inside a hunk';

  const commitMessage = extractCommitMessage(body || (extraTexts[0] ?? ''));
  const allText = [body, ...extraTexts].join('\n');
  const tags = parseSubject(rawSubject);
  const p: Patch = {
    ...patch,
    rawSubject,
    subject: tags.subject,
    tags,
    commitMessage,
    files,
    problems,
  };
  if (commit) p.commit = commit;

  const msg: MailMessage = { patch: p, hasDiff: files.length > 0, order: opts.order ?? 0 };
  const base = findTrailer(allText, 'base-commit');
  const change = findTrailer(allText, 'change-id');
  if (base) msg.baseCommit = base;
  if (change) msg.changeId = change;
  if (parsed?.date && !Number.isNaN(parsed.date.getTime())) msg.time = parsed.date.getTime();
  if (truncated) msg.truncated = truncated;
  return msg;
}
