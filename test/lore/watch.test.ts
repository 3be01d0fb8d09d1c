// `modreview lore watch`: passes on an interval; SIGTERM lets the current step finish, exit 0.
// Also: a bad config file is one clear line and exit status 2; `lore feedback` lists nothing yet.
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, mail, patchBody, scratch, smallTree, TestInbox } from './helpers.js';

const CLI = fileURLToPath(new URL('./fixtures/lore-cli.ts', import.meta.url));

function run(args: string[], onStderr?: (s: string, kill: (sig: NodeJS.Signals) => void) => void): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => {
      err += c.toString();
      onStderr?.(err, (sig) => p.kill(sig));
    });
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('lore watch / feedback commands', () => {
  let dir: string;
  let config: string;
  beforeAll(async () => {
    dir = scratch();
    await smallTree(dir);
    const inbox = new TestInbox(join(dir, 'inbox'));
    await inbox.add(mail({ msgid: 'w1@example.org', subject: '[PATCH] w: one', body: patchBody({ file: 'drivers/w.c', fn: 'w_register', eexist: false }) }));
    await inbox.publish();
    config = join(dir, 'lore.yaml');
    writeFileSync(
      config,
      `db: state.sqlite\ncache_dir: cache\ntree: linux\nbot: { name: modreview, address: bot@example.net }\ninboxes:\n  - { name: w, url: inbox }\noutbox: outbox\n`,
    );
  });
  afterAll(() => cleanup(dir));

  it('SIGTERM after a pass: finishes and exits 0', async () => {
    let sent = false;
    const res = await run(['lore', 'watch', '--config', config, '--interval', '30'], (err, kill) => {
      if (!sent && err.includes('lore watch: pass done')) {
        sent = true;
        kill('SIGTERM');
      }
    });
    expect(res.code).toBe(0);
    expect(res.err).toContain('lore watch: stopping after the current step');
    expect(res.err).toContain('lore watch: stopped');
    expect(readdirSync(join(dir, 'cache', 'inboxes', 'w', 'git'))).toEqual(['0.git']);
  });

  it('a pass with a failed inbox is logged at error level; watch keeps going until SIGTERM, exit 0', async () => {
    const bad = join(dir, 'bad-inbox.yaml');
    writeFileSync(bad, `db: state2.sqlite\ncache_dir: cache2\ntree: linux\nbot: { name: modreview, address: bot@example.net }\ninboxes:\n  - { name: gone, url: no-such-inbox }\n  - { name: w, url: inbox }\noutbox: outbox2\n`);
    let sent = false;
    const res = await run(['lore', 'watch', '--config', bad, '--interval', '30'], (err, kill) => {
      if (!sent && err.includes('lore watch: pass had failures')) {
        sent = true;
        kill('SIGTERM');
      }
    });
    expect(res.code).toBe(0);
    expect(res.err).toMatch(/"level":50,.*"inboxFailures":\[\{"inbox":"gone"/);
  });

  it('feedback lists what was received; a bad config is one line, exit 2', async () => {
    const fb = await run(['lore', 'feedback', '--config', config]);
    expect(fb.code).toBe(0);
    expect(fb.out).toBe('no feedback received\n');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'db: x\ncache_dir: y\nbot: { address: "not an address" }\n');
    const r = await run(['lore', 'sync', '--config', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`modreview: ${bad}: bot.name: Invalid input: expected string, received undefined\n`);
  });
});
