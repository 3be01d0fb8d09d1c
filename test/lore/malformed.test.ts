// Malformed mail in the archive is logged with a clear reason, recorded as skipped, and never
// stops the sync: the good patch after it is still reviewed and answered.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type DB } from '../../src/store/db.js';
import { memoryLog } from '../../src/lore/log.js';
import { maildirTransport } from '../../src/lore/outbox.js';
import { parsePolicy } from '../../src/lore/policy.js';
import { emptyReport, Responder } from '../../src/lore/responder.js';
import { cleanup, fakeReview, mail, patchBody, scratch, TestInbox } from './helpers.js';

describe('malformed mail', () => {
  let dir: string;
  let db: DB;
  const log = memoryLog();

  beforeAll(async () => {
    dir = scratch();
    db = openStore(join(dir, 'state.sqlite'));
    const inbox = new TestInbox(join(dir, 'inbox'));
    const good = (id: string) => mail({ msgid: id, subject: '[PATCH] foo: good', body: patchBody({ file: 'drivers/foo.c', fn: 'foo_register', eexist: true }) });
    // 1. No Message-ID.
    await inbox.add(good('x').replace(/^Message-ID: .*\n/m, ''));
    // 2. Broken MIME: a multipart whose boundary never appears, and a base64 part that is not base64.
    await inbox.add(
      mail({ msgid: 'mime@example.org', subject: '[PATCH] foo: mime', body: 'no parts here\n', extraHeaders: [] }).replace(
        'Content-Type: text/plain; charset=UTF-8',
        'Content-Type: multipart/mixed; boundary="never-used"',
      ),
    );
    // 3. 8-bit garbage in a body declared UTF-8.
    const garbage = Buffer.concat([
      Buffer.from(mail({ msgid: 'garbage@example.org', subject: '[PATCH] foo: garbage', body: '' })),
      Buffer.from(patchBody({ file: 'drivers/g.c', fn: 'g_register', eexist: true }).replace('Make', 'Make \xff\xfe\x80\x81'), 'latin1'),
    ]);
    await inbox.add(garbage);
    // 4. A 50 MB message (an attachment nobody should mail).
    await inbox.add(Buffer.concat([Buffer.from(mail({ msgid: 'huge@example.org', subject: '[PATCH] foo: huge', body: '' })), Buffer.alloc(50 * 1024 * 1024, 'a')]));
    // 5. A diff without file headers.
    await inbox.add(mail({ msgid: 'noheaders@example.org', subject: '[PATCH] foo: hunks only', body: 'Fix.\n\n---\n@@ -10,3 +10,3 @@\n {\n-\treturn -ENOENT;\n+\treturn -EEXIST;\n }\n' }));
    // 6. A bare diff stored as a message (no mail headers at all).
    await inbox.add('diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1 +1 @@\n-a\n+b\n');
    // 7. A good patch after all that.
    await inbox.add(good('good@example.org'));
    await inbox.publish();
  });
  afterAll(() => {
    db.close();
    cleanup(dir);
  });

  it('skips each with a reason and carries on', async () => {
    const responder = new Responder(
      { db, policy: parsePolicy({ lists: { l: { mute: false } } }), review: fakeReview, log },
      { bot: { address: 'bot@example.net' }, cacheDir: join(dir, 'cache') },
    );
    const r = emptyReport();
    await responder.syncInbox({ name: 'l', url: join(dir, 'inbox') }, r);
    await responder.processPending(r);
    await responder.deliver(maildirTransport(join(dir, 'out')));
    const skips = db.prepare('SELECT msgid, reason FROM lore_skip ORDER BY id').all() as { msgid: string | null; reason: string }[];
    const reasons = skips.map((s) => s.reason);
    expect(reasons[0]).toBe('no Message-ID header');
    expect(skips.find((s) => s.msgid === 'mime@example.org')?.reason).toMatch(/no diff|MIME/);
    expect(skips.find((s) => s.msgid === 'garbage@example.org')?.reason).toMatch(/^undecodable 8-bit text/);
    expect(reasons).toContain('message is 52.4 MB, over the 20.0 MB limit');
    expect(skips.find((s) => s.msgid === 'noheaders@example.org')?.reason).toMatch(/^diff without file headers/);
    expect(reasons).toContain('no mail headers (a bare diff?) and no Message-ID');
    expect(r.skipped).toBe(6);
    // Every skip was logged, once, with its reason.
    expect(log.entries.filter((e) => e.msg === 'lore: message skipped')).toHaveLength(6);
    expect(r.reviewed).toBe(1);
    expect(readdirSync(join(dir, 'out', 'new'))).toHaveLength(1);
    // The cursor moved past everything: the next sync reads nothing.
    const again = emptyReport();
    await responder.syncInbox({ name: 'l', url: join(dir, 'inbox') }, again);
    expect(again.messages + again.skipped).toBe(0);
  });
});
