// Issue 13 (fuzzing): header values decoded from the mail we answer must not reach our reply's
// header as more than one line. mailparser decodes RFC 2047 words even in Message-ID, so CR/LF
// arrive in patch.messageId, names and subjects; the reply must stay one logical line per header.
import { describe, expect, it } from 'vitest';
import { readMail } from '../../src/ingest/mail.js';
import { recipients, parsePolicy } from '../../src/lore/policy.js';
import { renderReply, toRaw, type MailFinding } from '../../src/report/email.js';
import { foldHeader, headerText, msgIdHeader } from '../../src/report/headers.js';

const HOSTILE = [
  'From: =?utf-8?Q?Jane=0D=0ABcc:_name@example.org?= <jane@example.org>',
  'To: dm-devel@lists.linux.dev, =?utf-8?Q?M=0D=0AX-Name:_yes?= <m@example.org>',
  'Subject: =?utf-8?Q?[PATCH]_dm:_fix=0D=0AX-Subject:_yes?=',
  'Date: Wed, 15 Jan 2025 09:12:00 +0000',
  'Message-ID: =?utf-8?Q?<a=0D=0ABcc:_victim@example.org=0D=0AX-Injected:_yes=0D=0A=0D=0Abody>?=',
  'References: <c@example.org> =?utf-8?Q?<r=0D=0AX-Ref:_yes@example.org>?=',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=UTF-8',
  '',
  'Fix it.',
  '',
  'Signed-off-by: Jane <jane@example.org>',
  '---',
  'diff --git a/drivers/md/dm-x.c b/drivers/md/dm-x.c',
  '--- a/drivers/md/dm-x.c',
  '+++ b/drivers/md/dm-x.c',
  '@@ -1,2 +1,2 @@',
  ' static int __init x_init(void)',
  '-\treturn 0;',
  '+\treturn -EEXIST;',
  '',
].join('\n');

const finding: MailFinding = {
  rule: 'module-init-eexist',
  severity: 'error',
  confidence: 'high',
  file: 'drivers/md/dm-x.c',
  line: 2,
  function: 'x_init',
  message: 'x_init() returns -EEXIST from module_init().',
  evidence: [],
  precedents: [],
  fingerprint: 'f1',
  key: 'k',
  patch: 1,
  where: 'added',
};

/** The header section of a wire message, unfolded: one entry per logical header. */
function logicalHeaders(raw: string): string[] {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  return head.split('\r\n').reduce<string[]>((out, l) => (/^[ \t]/.test(l) ? [...out.slice(0, -1), `${out[out.length - 1]}${l}`] : [...out, l]), []);
}

describe('reply headers from a hostile mail', () => {
  it('an encoded-word Message-ID with CR/LF injects no header and no body; every header is one logical line', async () => {
    const m = await readMail(Buffer.from(HOSTILE));
    // The reader does hand over the decoded line breaks: the renderer is what must hold.
    expect(m.patch.messageId).toContain('\r\n');
    const bot = { name: 'modreview', address: 'bot@example.net' };
    const rc = recipients(parsePolicy({ lists: { l: { mute: false, reply_all: true } } }).forList('l'), m.patch, bot.address);
    const r = renderReply({ patch: m.patch, findings: [finding], bot, messageId: 'modreview-1@example.net', date: new Date(0), ...rc, docsUrl: 'https://e.org' });
    const raw = toRaw(r, { ...rc, from: bot }).toString('utf8');
    const headers = logicalHeaders(raw);

    for (const h of headers) expect(h).toMatch(/^[A-Za-z-]+: [^\r\n]*$/);
    const names = headers.map((h) => h.slice(0, h.indexOf(':')).toLowerCase());
    expect(names).toEqual(['from', 'to', 'cc', 'subject', 'date', 'message-id', 'references', 'auto-submitted', 'x-mailer', 'mime-version', 'content-type', 'content-transfer-encoding']);
    expect(raw).not.toMatch(/^(bcc|x-injected|x-name|x-subject|x-ref):/im);
    // The reply does not thread on the id it cannot write; the well-formed reference stays.
    expect(headers.find((h) => h.startsWith('References:'))).toMatch(/^References: <c@example\.org>( <[!-;=?-~]+>)*$/);
    expect(headers.some((h) => h.startsWith('In-Reply-To:'))).toBe(false);
    expect(raw.slice(raw.indexOf('\r\n\r\n') + 4)).toMatch(/^modreview found one possible problem/);
    expect(headers.find((h) => h.startsWith('Subject:'))).toBe('Subject: Re: [PATCH] dm: fix X-Subject: yes');
  });

  it('the checks themselves', () => {
    expect(msgIdHeader('a@b')).toBe('<a@b>');
    expect(msgIdHeader('<a@b>')).toBe('<a@b>');
    for (const bad of ['a\r\nb@c', 'a b@c', 'a\0@b', 'a<b@c', '', 'a\u2028@b']) expect(msgIdHeader(bad)).toBeUndefined();
    expect(headerText('a\r\n\tb\u0085c')).toBe('a b c');
    // An address that cannot be written is nobody we mail (not in To/Cc, not in the envelope).
    const policy = parsePolicy({ lists: { l: { mute: false, reply_all: true } } }).forList('l');
    const rc = recipients(policy, { author: { address: 'jane@example.org\r\nBcc: x@example.org' }, to: [{ address: 'a b@example.org' }, { address: 'm@example.org' }], cc: [] }, 'bot@example.net');
    expect([...rc.to, ...rc.cc].map((p) => p.address)).toEqual(['m@example.org']);
    expect(() => foldHeader('Subject', 'a\r\nBcc: x')).toThrow(/line break/);
    expect(() => foldHeader('Bcc: x\r\nSubject', 'a')).toThrow(/header named/);
    // Folding never leaves a blank continuation line (which would end the header section).
    expect(foldHeader('References', `${'<a@b> '.repeat(20)}  `).split('\r\n').every((l) => /\S/.test(l))).toBe(true);
  });
});
