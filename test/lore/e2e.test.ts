// Acceptance: `lore sync` with the real engine on the real Linux 6.12 tree, over a real inbox.
// dm-log-eexist.patch gets one threaded reply (module-init-eexist, with precedents); the benign
// dm-log-comment.patch and the v2 series get none. Dry-run first (maildir), then SMTP on.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResponder, loadConfig, syncOnce, transportFor } from '../../src/commands/lore.js';
import { memoryLog } from '../../src/lore/log.js';
import { splitMbox } from '../../src/lore/inbox.js';
import { kernelTree } from '../helpers/kernel.js';
import { cleanup, exampleAsMail, mail, scratch, TestInbox } from './helpers.js';
import { header, startSmtp, type TestSmtp } from './smtp.js';

const CLI = fileURLToPath(new URL('./fixtures/lore-cli.ts', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));

describe('lore responder end to end (real engine, real tree)', () => {
  let dir: string;
  let smtp: TestSmtp;
  const log = memoryLog();

  function writeConfig(extra: string): string {
    const path = join(dir, 'lore.yaml');
    writeFileSync(
      path,
      `db: state/modreview.sqlite
cache_dir: state/cache
tree: ${kernelTree()}
index_paths: [drivers/md]
bot: { name: modreview, address: modreview@bots.example.org }
docs_url: https://example.org/modreview/rules
wait_minutes: 10
inboxes:
  - { name: dm-devel, url: inbox, list: dm-devel }
policy:
  lists:
    dm-devel: { mute: false, reply_to_author: true, cc: [dm-devel@lists.linux.dev] }
outbox: outbox
${extra}`,
    );
    return path;
  }

  beforeAll(async () => {
    dir = scratch();
    smtp = await startSmtp();
    const inbox = new TestInbox(join(dir, 'inbox'));
    const list = { to: ['dm-devel@lists.linux.dev'], cc: ['Alasdair Kergon <agk@redhat.com>'] };
    await inbox.add(exampleAsMail('dm-log-eexist.patch', { msgid: '20250115091200.1-jane@example.org', ...list }));
    await inbox.add(exampleAsMail('dm-log-comment.patch', { msgid: '20250115114000.1-jane@example.org', ...list }));
    for (const m of splitMbox(readFileSync(join(EXAMPLES, 'series-v2.mbox')))) await inbox.add(m);
    await inbox.publish();
  });
  afterAll(async () => {
    await smtp.close();
    cleanup(dir);
  });

  it('dry-run: one .eml, replying to the -EEXIST patch only', async () => {
    const cfg = loadConfig(writeConfig(''));
    const { responder, db } = await createResponder(cfg, log);
    const report = await syncOnce(responder, cfg, transportFor(cfg), log);
    db.close();
    expect(report.reviewed).toBe(3);
    const files = readdirSync(join(dir, 'outbox', 'new'));
    expect(files).toHaveLength(1);
    const eml = readFileSync(join(dir, 'outbox', 'new', files[0]!), 'utf8');
    expect(header(eml, 'Subject')).toBe('Re: [PATCH] dm log: return -EEXIST for duplicate log types');
    expect(header(eml, 'In-Reply-To')).toBe('<20250115091200.1-jane@example.org>');
    expect(header(eml, 'To')).toBe('Jane Developer <jane@example.org>');
    // Reply-all by default on an opted-in list: the original To and Cc, the list included.
    expect(header(eml, 'Cc')).toBe('dm-devel@lists.linux.dev, Alasdair Kergon <agk@redhat.com>');
    expect(header(eml, 'Auto-Submitted')).toBe('auto-generated');
    expect(eml).toContain('  module-init-eexist: drivers/md/dm-log.c:124 dm_dirty_log_type_register()');
    // The cross-file path, which only the tree index (built by the responder into its db) knows.
    expect(eml.replace(/\s+/g, ' ')).toContain('userspace_dirty_log_init() (drivers/md/dm-log-userspace-base.c) -> dm_dirty_log_type_register()');
    expect(eml).toContain('> +\t\tr = -EEXIST;\r\n\r\n');
    expect(eml).toContain('  54416fd76770 ("netfilter: conntrack: helper: Replace -EEXIST by -EBUSY")');
    expect(eml).toContain('  b13ef361d47f ("dm: replace -EEXIST with -EBUSY")');
    expect(eml).toContain('Rule: https://example.org/modreview/rules/module-init-eexist');
    // The hunk's tail after the comment is cut from the quote (the suggested fix's diff, which
    // follows the comment, has its own context lines: only the quoted lines count here).
    expect(eml.split('\r\n').filter((l) => l.startsWith('>')).join('\n')).not.toContain('spin_unlock');
    expect(eml).toContain('\r\n-\t\tr = -EEXIST;\r\n+\t\tr = -EBUSY;\r\n');
  });

  it('SMTP on: the loopback server receives exactly that reply (through the CLI)', async () => {
    // A fresh store, same inbox: the replies are produced again and this time sent.
    const path = writeConfig(`smtp: { host: 127.0.0.1, port: ${smtp.port}, timeout_ms: 5000 }\n`);
    writeFileSync(path, readFileSync(path, 'utf8').replace('db: state/modreview.sqlite', 'db: state/smtp.sqlite'));
    const res = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const p = spawn(process.execPath, ['--import', 'tsx', CLI, 'lore', 'sync', '--config', path, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      p.stdout.on('data', (c: Buffer) => (out += c.toString()));
      p.stderr.on('data', (c: Buffer) => (err += c.toString()));
      p.on('exit', (code) => resolve({ code, out, err }));
    });
    expect(res.err).not.toMatch(/"level":(40|50|60)/); // not even a warning: the responder indexed drivers/md into its db
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/3 series reviewed, 0 waiting for parts, 1 reply queued; outbox \(SMTP\): 1 sent/);
    expect(smtp.received).toHaveLength(1);
    expect(header(smtp.received[0]!.raw, 'In-Reply-To')).toBe('<20250115091200.1-jane@example.org>');
    expect(smtp.received[0]!.to.sort()).toEqual(['agk@redhat.com', 'dm-devel@lists.linux.dev', 'jane@example.org']);
  });

  it('issue 12 acceptance: -EEXIST, a dropped owner and two benign patches on an opted-in list: two threaded replies, the first citing 54416fd76770; a second sync sends nothing', async () => {
    // A second inbox of the same list (same inbox name, same cache_dir, another url: the mirror
    // must follow the config's url, not the first archive it was cloned from): the -EEXIST patch, a patch dropping `.module =
    // THIS_MODULE` from dm-linear's target_type (made from the tree's file), the benign comment
    // patch and the benign v2 series.
    const inbox = new TestInbox(join(dir, 'inbox-accept'));
    const list = { to: ['dm-devel@lists.linux.dev'] };
    await inbox.add(exampleAsMail('dm-log-eexist.patch', { msgid: 'acc-1@example.org', date: 'Wed, 15 Jan 2025 09:00:00 +0000', ...list }));
    const file = 'drivers/md/dm-linear.c';
    const lines = readFileSync(join(kernelTree(), file), 'utf8').split('\n');
    const at = lines.indexOf('\t.module = THIS_MODULE,', lines.indexOf('static struct target_type linear_target = {'));
    expect(at).toBeGreaterThan(0);
    const hunk = [`@@ -${at - 2},7 +${at - 2},6 @@`, ...lines.slice(at - 3, at).map((l) => ` ${l}`), `-${lines[at]}`, ...lines.slice(at + 1, at + 4).map((l) => ` ${l}`)];
    const owner = ['Tidy the target.', '', 'Signed-off-by: Jane Developer <jane@example.org>', '---', `diff --git a/${file} b/${file}`, `--- a/${file}`, `+++ b/${file}`, ...hunk, '-- ', '2.39.5', ''].join('\n');
    await inbox.add(mail({ msgid: 'acc-2@example.org', date: 'Wed, 15 Jan 2025 09:05:00 +0000', subject: '[PATCH] dm linear: drop the module owner', body: owner, ...list }));
    await inbox.add(exampleAsMail('dm-log-comment.patch', { msgid: 'acc-3@example.org', date: 'Wed, 15 Jan 2025 09:10:00 +0000', ...list }));
    for (const m of splitMbox(readFileSync(join(EXAMPLES, 'series-v2.mbox')))) await inbox.add(m);
    await inbox.publish();
    const path = writeConfig(`smtp: { host: 127.0.0.1, port: ${smtp.port}, timeout_ms: 5000 }\n`);
    writeFileSync(path, readFileSync(path, 'utf8').replace('db: state/modreview.sqlite', 'db: state/accept.sqlite').replace('url: inbox,', 'url: inbox-accept,').replace('outbox: outbox', 'outbox: outbox-accept'));
    const cfg = loadConfig(path);
    const before = smtp.received.length;
    const { responder, db } = await createResponder(cfg, log);
    const first = await syncOnce(responder, cfg, transportFor(cfg), log);
    const second = await syncOnce(responder, cfg, transportFor(cfg), log);
    db.close();
    expect(first, JSON.stringify(first)).toMatchObject({ reviewed: 4 });
    const sent = smtp.received.slice(before);
    expect(sent).toHaveLength(2);
    expect(header(sent[0]!.raw, 'In-Reply-To')).toBe('<acc-1@example.org>');
    expect(sent[0]!.raw).toContain('54416fd76770 ("netfilter: conntrack: helper: Replace -EEXIST by -EBUSY")');
    expect(header(sent[1]!.raw, 'In-Reply-To')).toBe('<acc-2@example.org>');
    expect(sent[1]!.raw).toContain('ops-missing-owner');
    expect(second.queued).toBe(0);
    expect(smtp.received.length - before).toBe(2);
  });

  it('a -EEXIST introduced by 1/2 and reverted by 2/2 is not mailed (real engine)', async () => {
    const path = writeConfig('');
    writeFileSync(path, readFileSync(path, 'utf8').replace('db: state/modreview.sqlite', 'db: state/bisect.sqlite').replace('outbox: outbox', 'outbox: outbox-bisect'));
    const cfg = loadConfig(path);
    const { responder, db } = await createResponder(cfg, log);
    const one = exampleAsMail('dm-log-eexist.patch', { msgid: 'b-1@example.org', subject: '[PATCH 1/2] dm log: return -EEXIST for duplicate log types' });
    const two = exampleAsMail('dm-log-eexist.patch', { msgid: 'b-2@example.org', inReplyTo: 'b-1@example.org', subject: '[PATCH 2/2] dm log: go back to -EBUSY' })
      .replace('-\t\tr = -EBUSY;\n+\t\tr = -EEXIST;', '-\t\tr = -EEXIST;\n+\t\tr = -EBUSY;');
    expect(two).toContain('+\t\tr = -EBUSY;');
    const mbox = `From jane@example.org Wed Jan 15 09:00:00 2025\n${one}\nFrom jane@example.org Wed Jan 15 09:01:00 2025\n${two}`;
    const report = await syncOnce(responder, cfg, transportFor(cfg), log, { mbox: Buffer.from(mbox), list: 'dm-devel' });
    const notes = (db.prepare('SELECT notes FROM lore_series').get() as { notes: string }).notes;
    db.close();
    expect(report.reviewed).toBe(1);
    expect(report.queued).toBe(0);
    expect(notes).toContain('introduced by patch 1, removed by patch 2; bisection breaks in between');
  });
});
