// plainMail (src/ingest/mail.ts) reads a plain format-patch mail without mailparser: wherever it
// accepts a mail, readMail must give exactly what it gives through mailparser; whatever it is not
// sure of (MIME structure, encodings, encoded words, quoted names, odd dates, repeated headers)
// it declines, and mailparser reads it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { plainMail, readMail } from '../../src/ingest/mail.js';

const file = (rel: string) => readFileSync(new URL(`../../${rel}`, import.meta.url));

/** The messages of an mbox, without their `From ` lines. */
function messages(mbox: Buffer): Buffer[] {
  const text = mbox.toString('latin1');
  return text
    .split(/^From [^\n]*\n/m)
    .filter((m) => m.trim())
    .map((m) => Buffer.from(m, 'latin1'));
}

const BASE = `From: Jane Developer <jane@example.org>
Date: Wed, 15 Jan 2025 09:12:00 +0000
Subject: [PATCH v2 3/7] dm log: return -EEXIST for duplicate log types
Message-Id: <20250115091200.123-3-jane@example.org>
In-Reply-To: <20250115091200.123-1-jane@example.org>
References: <20250115091200.123-1-jane@example.org>
To: dm-devel@lists.linux.dev
Cc: Kim Maintainer <kim@example.org>, lee@example.org
MIME-Version: 1.0
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: 8bit

dm_dirty_log_type_register() fails with -EBUSY.

Signed-off-by: Jane Developer <jane@example.org>
---
 drivers/md/dm-log.c | 2 +-

diff --git a/drivers/md/dm-log.c b/drivers/md/dm-log.c
index c8a1f9b6385f..82f51eca273c 100644
--- a/drivers/md/dm-log.c
+++ b/drivers/md/dm-log.c
@@ -121,7 +121,7 @@ int dm_dirty_log_type_register(struct dm_dirty_log_type *type)
 	if (!__find_dirty_log_type(type->name))
 		list_add(&type->list, &_log_types);
 	else
-		r = -EBUSY;
+		r = -EEXIST;
 	spin_unlock(&_lock);
 
 	return r;

base-commit: 4de73e5e28240d70a608201c1b8b0668ff5ce59f
-- 
2.39.5
`;

const accepted: [string, Buffer][] = [
  ['format-patch mail', Buffer.from(BASE)],
  ['folded subject, To, References (spaces and tabs)', Buffer.from(BASE.replace('dm log: return', 'dm log:\n return').replace('for duplicate', 'for\n\t  duplicate').replace('To: dm-devel@lists.linux.dev', 'To: dm-devel@lists.linux.dev,\n  Alan Cox <alan@example.org>,\n\tbob@example.org').replace('References: <20250115091200.123-1-jane@example.org>', 'References: <a@example.org>\n <20250115091200.123-1-jane@example.org>'))],
  ['CRLF line ends', Buffer.from(BASE.replace(/\n/g, '\r\n'))],
  ['UTF-8 in the body', Buffer.from(BASE.replace('fails with -EBUSY.', 'fails with -EBUSY — naïvely.'))],
  ['bytes invalid in UTF-8 in the body', Buffer.concat([Buffer.from(BASE.slice(0, BASE.indexOf('\n\n') + 2)), Buffer.from([0x66, 0xff, 0xfe, 0x0a]), Buffer.from(BASE.slice(BASE.indexOf('\n\n') + 2))])],
  ['no MIME headers, no date, no ids', Buffer.from(BASE.replace(/^(MIME-Version|Content-Type|Content-Transfer-Encoding|Date|Message-Id|In-Reply-To|References): .*\n/gm, ''))],
  ['charset quoted and in capitals, 7bit', Buffer.from(BASE.replace('charset=UTF-8', 'charset="us-ascii"').replace('8bit', '7BIT'))],
  ['names with dots and apostrophes, bare <address>', Buffer.from(BASE.replace('Jane Developer <jane', "J. R. O'Neil <jane").replace('lee@example.org', '<lee@example.org>'))],
  ['repeated Received headers', Buffer.from(`Received: from a\nReceived: from b\n  by c\n${BASE}`)],
  ['a day without its weekday', Buffer.from(BASE.replace('Wed, 15 Jan', '5 Jan'))],
  ['examples/dm-log-eexist.patch', messages(file('examples/dm-log-eexist.patch'))[0]!],
  ['examples/dm-log-comment.patch', messages(file('examples/dm-log-comment.patch'))[0]!],
];

const declined: [string, Buffer][] = [
  ['an encoded-word subject', Buffer.from(BASE.replace('Subject: [PATCH v2 3/7] dm log', 'Subject: =?UTF-8?q?dm=20l=C3=B6g?='))],
  ['a quoted name', Buffer.from(BASE.replace('Kim Maintainer <kim', '"Maintainer, Kim" <kim'))],
  ['a name with a comment', Buffer.from(BASE.replace('lee@example.org', 'lee@example.org (Lee)'))],
  ['base64', Buffer.from(BASE.replace('8bit', 'base64'))],
  ['quoted-printable', Buffer.from(BASE.replace('8bit', 'quoted-printable'))],
  ['format=flowed', Buffer.from(BASE.replace('charset=UTF-8', 'charset=UTF-8; format=flowed'))],
  ['another charset', Buffer.from(BASE.replace('charset=UTF-8', 'charset=ISO-8859-1'))],
  ['multipart', Buffer.from(BASE.replace('text/plain; charset=UTF-8', 'multipart/mixed; boundary="x"'))],
  ['non-ASCII in a header', Buffer.from(BASE.replace('Jane Developer', 'Jäne Developer'))],
  ['two subjects', Buffer.from(`Subject: first\n${BASE}`)],
  ['an odd date', Buffer.from(BASE.replace('Wed, 15 Jan 2025 09:12:00 +0000', '15 Jan 2025 09:12 GMT'))],
  ['a lone CR in the body', Buffer.from(BASE.replace('fails with', 'fails\rwith'))],
  ['test/fixtures/mail/latin1.eml', file('test/fixtures/mail/latin1.eml')],
  ['test/fixtures/mail/attachment.eml', file('test/fixtures/mail/attachment.eml')],
];

describe('plainMail', () => {
  it.each(accepted)('reads %s as mailparser does', async (_, raw) => {
    expect(plainMail(raw)).toBeDefined();
    expect(await readMail(raw)).toEqual(await readMail(raw, { mime: true }));
  });

  it.each(declined)('declines %s (mailparser reads it)', async (_, raw) => {
    expect(plainMail(raw)).toBeUndefined();
    expect(await readMail(raw)).toEqual(await readMail(raw, { mime: true }));
  });

  it('every message of the bundled mboxes and seeds reads alike either way', async () => {
    const all = [...messages(file('examples/series-v2.mbox')), ...messages(file('test/fixtures/mail/thread.mbox')), file('test/fixtures/seeds/000_13177789b114347e.txt')];
    let fast = 0;
    for (const raw of all) {
      if (plainMail(raw)) fast++;
      expect(await readMail(raw)).toEqual(await readMail(raw, { mime: true }));
    }
    expect(all.length).toBeGreaterThan(3);
    expect(fast).toBeGreaterThan(0);
  });
});
