// `modreview lore sync` as an operator runs it (a child process, the real engine, real git
// inboxes, a real SQLite file, smtp-server on loopback): the responder indexes its own tree into
// its own db and answers a cross-file -EEXIST; configuration mistakes are errors; an inbox that
// cannot be synced or a reply that ends `failed` is a non-zero exit, counted in the summary; a
// message whose blob is missing from the mirror is skipped alone.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';
import { cleanup, crossFilePatch, mail, patchBody, scratch, smallTree, TestInbox } from './helpers.js';
import { startSmtp, type TestSmtp } from './smtp.js';

const CLI = fileURLToPath(new URL('./fixtures/lore-cli.ts', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('lore sync (CLI)', () => {
  let dir: string;
  let tree: string;
  let smtp: TestSmtp;

  function config(name: string, body: string): string {
    const path = join(dir, `${name}.yaml`);
    writeFileSync(path, `db: ${name}/state.sqlite\ncache_dir: ${name}/cache\nbot: { name: modreview, address: bot@example.net }\noutbox: ${name}/outbox\n${body}`);
    return path;
  }

  beforeAll(async () => {
    dir = scratch();
    tree = await smallTree(dir);
    smtp = await startSmtp();
    const inbox = new TestInbox(join(dir, 'foo-inbox'));
    await inbox.add(mail({ msgid: 'foo-1@example.org', subject: '[PATCH] foo: report duplicate types as -EEXIST', to: ['foo@lists.example.org'], body: crossFilePatch() }));
    await inbox.publish();
  });
  afterAll(async () => {
    await smtp.close();
    cleanup(dir);
  });

  it('indexes the configured tree into its own db at start, then answers a patch whose -EEXIST reaches module_init in another file', async () => {
    const cfg = config('idx', `tree: linux\ninboxes:\n  - { name: foo, url: foo-inbox, list: foo }\npolicy:\n  lists:\n    foo: { mute: false }\n`);
    const r = await run(['lore', 'sync', '--config', cfg]);
    expect(r.err).not.toMatch(/no index for tree|no tree index/);
    expect(r.err).toContain('"msg":"lore: indexing the tree (only changed files are read)"');
    expect(r.err).toContain('"msg":"lore: tree indexed"');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/1 series reviewed, 0 waiting for parts, 1 reply queued; outbox \(dry-run maildir\): 1 sent/);
    const files = readdirSync(join(dir, 'idx', 'outbox', 'new'));
    expect(files).toHaveLength(1);
    const eml = readFileSync(join(dir, 'idx', 'outbox', 'new', files[0]!), 'utf8');
    expect(eml).toContain('module-init-eexist: drivers/foo/core.c:11 foo_register_type()');
    expect(eml.replace(/\s+/g, ' ')).toContain('foo_init() (drivers/foo/main.c) -> foo_register_type() (drivers/foo/core.c) -> -EEXIST');
    // The verified fix follows the finding, marked as a suggestion, as a diff of the file.
    {
      // (quoted-printable: soft breaks joined, tabs and '=' decoded)
      const text = eml.replace(/=\r?\n/g, '').replace(/=09/g, '\t').replace(/=3D/g, '=');
      expect(text.replace(/\s+/g, ' ')).toContain('Suggested fix, for the author to judge (modreview reviewed the file again with it and this finding is gone; it was not built or tested): return -EBUSY instead of -EEXIST in foo_register_type().');
      expect(text).toContain('--- a/drivers/foo/core.c');
      expect(text).toMatch(/^-.*-EEXIST;\r?$/m);
      expect(text).toMatch(/^\+.*-EBUSY;\r?$/m);
    }
    // The index lives in the responder's own db (not in ~/.cache/modreview/modreview.sqlite).
    const db = openStore(join(dir, 'idx', 'state.sqlite'));
    try {
      expect((db.prepare('SELECT COUNT(*) AS n FROM idx_trees').get() as { n: number }).n).toBe(1);
    } finally {
      db.close();
    }
  });

  it('without a tree, or with a tree that is not there, it refuses to review: exit 2, one line', async () => {
    const none = config('notree', `inboxes:\n  - { name: foo, url: foo-inbox, list: foo }\n`);
    const a = await run(['lore', 'sync', '--config', none]);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/^modreview: .*tree: not set; the responder reviews against a kernel tree and its index/m);
    const gone = config('gonetree', `tree: no-such-linux\ninboxes:\n  - { name: foo, url: foo-inbox, list: foo }\n`);
    const b = await run(['lore', 'sync', '--config', gone]);
    expect(b.code).toBe(2);
    expect(b.err).toContain('tree: not a directory:');
    const out = join(dir, 'notree', 'outbox', 'new');
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('a policy naming a list no inbox carries is a configuration error', async () => {
    const cfg = config('typo', `tree: linux\ninboxes:\n  - { name: foo, url: foo-inbox, list: foo }\npolicy:\n  lists:\n    foo: { mute: false }\n    linux-modulse: { mute: false }\n`);
    const r = await run(['lore', 'sync', '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`modreview: ${cfg}: policy: lists.linux-modulse: no configured inbox carries list "linux-modulse" (inboxes carry: foo); add an inbox with list: linux-modulse, or remove it from the policy\n`);
    // ... unless it is the --list of an --mbox run.
    writeFileSync(join(dir, 'one.mbox'), `From jane@example.org Wed Jan 15 09:00:00 2025\n${mail({ msgid: 'mb-1@example.org', subject: '[PATCH] foo: tidy', body: patchBody({ file: 'drivers/foo/core.c', fn: 'foo_register_type', eexist: false }) })}`);
    const ok = await run(['lore', 'sync', '--config', cfg, '--mbox', join(dir, 'one.mbox'), '--list', 'linux-modulse']);
    expect(ok.err).not.toContain('no configured inbox');
    expect(ok.code).toBe(0);
  });

  it('an inbox that cannot be synced: the others are, the summary counts it, exit 1', async () => {
    const cfg = config('badinbox', `tree: linux\ninboxes:\n  - { name: gone, url: no-such-inbox, list: foo }\n  - { name: foo, url: foo-inbox, list: foo }\npolicy:\n  lists:\n    foo: { mute: false }\n`);
    const r = await run(['lore', 'sync', '--config', cfg]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/1 series reviewed.*, 1 inbox\(es\) failed \(gone\); outbox/);
    expect(r.err).toContain('"msg":"lore: inbox sync failed"');
  });

  it('a reply that ends failed (SMTP 550): the summary counts it, exit 1', async () => {
    smtp.behaviour = { refuse: () => 550 };
    const cfg = config('refused', `tree: linux\ninboxes:\n  - { name: foo, url: foo-inbox, list: foo }\npolicy:\n  lists:\n    foo: { mute: false }\nsmtp: { host: 127.0.0.1, port: ${smtp.port}, timeout_ms: 5000 }\n`);
    const r = await run(['lore', 'sync', '--config', cfg]);
    smtp.behaviour = {};
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/1 reply queued, 1 reply failed; outbox \(SMTP\): 1 failed$/m);
  });

  it('a message whose blob is missing from the mirror is skipped with its reason; the rest of the inbox is reviewed', async () => {
    const inbox = new TestInbox(join(dir, 'partial-inbox'));
    await inbox.add(mail({ msgid: 'p-1@example.org', subject: '[PATCH] foo: one', to: ['foo@lists.example.org'], body: patchBody({ file: 'drivers/foo/a.c', fn: 'a_register', eexist: false }) }));
    const lost = mail({ msgid: 'p-2@example.org', subject: '[PATCH] foo: two', to: ['foo@lists.example.org'], body: patchBody({ file: 'drivers/foo/b.c', fn: 'b_register', eexist: false, tag: 'lost' }) });
    await inbox.add(lost);
    await inbox.add(mail({ msgid: 'p-3@example.org', subject: '[PATCH] foo: three', to: ['foo@lists.example.org'], body: crossFilePatch() }));
    await inbox.publish();
    // Delete the second message's blob from the inbox repository (a partial mirror).
    const bare = join(dir, 'partial-inbox', 'git', '0.git');
    const g = simpleGit(bare);
    const blob = (await g.raw(['rev-parse', 'HEAD~1:m'])).trim();
    const loose = join(bare, 'objects', blob.slice(0, 2), blob.slice(2));
    // (TestInbox pushes one message at a time: objects stay loose)
    rmSync(loose);
    await expect(g.raw(['cat-file', '-s', blob])).rejects.toThrow();

    const cfg = config('partial', `tree: linux\ninboxes:\n  - { name: partial, url: partial-inbox, list: foo }\npolicy:\n  lists:\n    foo: { mute: false }\n`);
    const r = await run(['lore', 'sync', '--config', cfg]);
    expect(r.err).not.toContain('inbox sync failed');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^lore sync: 2 new message\(s\), 1 skipped \(1 unreadable object\), 2 series reviewed, 0 waiting for parts, 1 reply queued/);
    const db = openStore(join(dir, 'partial', 'state.sqlite'));
    try {
      const skip = db.prepare('SELECT reason FROM lore_skip').get() as { reason: string };
      expect(skip.reason).toMatch(new RegExp(`^unreadable object: blob ${blob} of commit [0-9a-f]{12}: fatal: git cat-file: could not get object info`));
    } finally {
      db.close();
    }
    // The cursor moved past it: the next sync reads nothing.
    const again = await run(['lore', 'sync', '--config', cfg]);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/^lore sync: 0 new message\(s\), 0 skipped,/);
  });
});
