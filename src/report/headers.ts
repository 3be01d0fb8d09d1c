// Every value the bot writes into a mail header passes through here. The values come from mail
// we read, and mailparser decodes RFC 2047 words everywhere (a Message-ID, a name, a subject), so
// after decoding they can hold CR/LF: copied as they are, they end our header early and start
// headers (Bcc:) or a body of the sender's choosing. So: identifiers (Message-IDs, addresses) are
// checked and dropped when malformed, never repaired; free text (names, subjects) loses its
// control characters; and the one folding function refuses a value that still holds a line break.
import type { Person } from '../ingest/types.js';

/** Inside of a msg-id: printable ASCII without space or angle brackets (RFC 5322 msg-id, loosely). */
const MSG_ID_INSIDE = /^[!-;=?-~]+$/;
/** Folded lines stay within SMTP's 998 octets, so one id must fit on a line of its own. */
const MAX_MSG_ID = 900;

/**
 * `<id>` for a Message-ID given with or without its brackets, or undefined when it is not one we
 * may write (whitespace, control characters, brackets inside): the reply then does not thread on it.
 */
export function msgIdHeader(id: string): string | undefined {
  const inside = id.startsWith('<') && id.endsWith('>') ? id.slice(1, -1) : id;
  return inside.length <= MAX_MSG_ID && MSG_ID_INSIDE.test(inside) ? `<${inside}>` : undefined;
}

/**
 * An addr-spec we may write in To/Cc and hand to SMTP: one `@`, no whitespace, control
 * characters or address-list punctuation (quoted local parts are not worth the risk).
 */
export function addressOk(address: string): boolean {
  return address.length <= MAX_MSG_ID && /^[^\s\x00-\x1f\x7f-\x9f<>()[\]\\,;:"@]+@[^\s\x00-\x1f\x7f-\x9f<>()[\]\\,;:"@]+$/.test(address);
}

/** Free text for a header (a display name, a subject): control characters and line breaks become one space. */
export function headerText(s: string): string {
  return s.replace(/[\s\x00-\x1f\x7f-\x9f]+/g, ' ').trim();
}

function isAscii(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}

/** RFC 2047 encoded-words (base64, UTF-8), split so each word stays within 75 characters. */
export function encodeWord(s: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const ch of s) {
    if (Buffer.byteLength(chunk + ch, 'utf8') > 42) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(' ');
}

/** A subject for the wire: one line of text, encoded when not ASCII. */
export function subjectHeader(s: string): string {
  const text = headerText(s);
  return isAscii(text) ? text : encodeWord(text);
}

/** `Name <address>` as read (no encoding), or undefined when the address may not be written. */
export function personText(p: Person): string | undefined {
  if (!addressOk(p.address)) return undefined;
  const name = p.name ? headerText(p.name) : '';
  return name ? `${name} <${p.address}>` : p.address;
}

/** `Name <address>` for the wire (name quoted or encoded), or undefined when the address may not be written. */
export function personHeader(p: Person): string | undefined {
  if (!addressOk(p.address)) return undefined;
  const text = p.name ? headerText(p.name) : '';
  if (!text) return p.address;
  const name = isAscii(text) ? (/[()<>@,;:\\".[\]]/.test(text) ? `"${text.replace(/(["\\])/g, '\\$1')}"` : text) : encodeWord(text);
  return `${name} <${p.address}>`;
}

/**
 * `Name: value` folded at spaces to keep lines within 78 characters where possible. A value
 * with a line break or a header name outside RFC 5322's field-name characters is a bug upstream
 * of here (a value that skipped the checks above): refused rather than written.
 */
export function foldHeader(name: string, value: string): string {
  if (!/^[!-9;-~]+$/.test(name)) throw new Error(`refusing to write a header named ${JSON.stringify(name)}`);
  if (/[\r\n\0]/.test(value)) throw new Error(`refusing to write a line break in the ${name} header`);
  // Runs of spaces collapse: a folded line must never be blank (that would end the headers).
  const parts = value.split(' ').filter((p) => p.length > 0);
  const lines: string[] = [];
  let line = `${name}:`;
  for (const p of parts) {
    if (line.length + 1 + p.length > 78 && line.length > name.length + 1) {
      lines.push(line);
      line = ` ${p}`;
    } else line += ` ${p}`;
  }
  lines.push(line);
  return lines.join('\r\n');
}
