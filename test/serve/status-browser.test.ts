// The status page (`GET /`) in a real headless browser: `modreview serve` as a child process
// reviews one lore series (the real engine, a local inbox), then Debian's Chromium, driven by
// playwright-core with JavaScript turned off, loads the page; the review is on it. A screenshot
// goes to test-artifacts/ (gitignored). Without /usr/bin/chromium the test fails, it does not skip.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { cleanup, crossFilePatch, mail, scratch, smallTree, TestInbox } from '../lore/helpers.js';

const ENTRY = fileURLToPath(new URL('../cli/entry.ts', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

describe('the status page in headless Chromium', () => {
  let dir: string;
  beforeAll(async () => {
    dir = scratch('modreview-status-browser-');
    await smallTree(dir);
    const inbox = new TestInbox(join(dir, 'inbox'));
    await inbox.add(mail({ msgid: 'b1@example.org', subject: '[PATCH] foo: report duplicate types as -EEXIST', to: ['foo@lists.example.org'], body: crossFilePatch() }));
    await inbox.publish();
    writeFileSync(
      join(dir, 'lore.yaml'),
      `db: state.sqlite\ncache_dir: cache\ntree: linux\nwait_minutes: 0\nbot: { name: modreview, address: bot@example.net }\ninboxes:\n  - { name: s, url: inbox }\noutbox: outbox\npolicy:\n  lists:\n    s: { mute: false }\n`,
    );
    writeFileSync(join(dir, 'serve.yaml'), `host: 127.0.0.1\nport: 0\nlore_config: ${join(dir, 'lore.yaml')}\nlore_interval_seconds: 3600\n`);
  });
  afterAll(() => cleanup(dir));

  it('shows the review just processed, without JavaScript; screenshot saved', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: this test needs Debian's chromium. Install it with \`apt-get install -y chromium\` (.ci/run does this before the tests)`);
    const p = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'serve', '--config', join(dir, 'serve.yaml')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, APP_ID: '', DEBUG: '' } });
    onTestFinished(() => {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    });
    let err = '';
    const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
    const base = await new Promise<string>((resolve, reject) => {
      p.stderr.on('data', (c: Buffer) => {
        err += c.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
        if (m && err.includes('serve: lore pass done')) resolve(m[1]!);
      });
      p.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
    onTestFinished(() => browser.close());
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const res = await page.goto(`${base}/`);
    expect(res?.status()).toBe(200);
    expect(await page.title()).toContain('modreview');
    await expect(page.locator('h1').first().innerText()).resolves.toBe('modreview');
    const body = await page.locator('body').innerText();
    expect(body).toContain('Series reviewed: 1');
    // The review's row in the recent-reviews table, read by its column headers as laid out.
    const table = page.locator('table#recent-reviews');
    expect((await table.locator('th').allInnerTexts()).map((t) => t.trim())).toEqual(['Reviewed', 'List', 'Series', 'Findings']);
    const rows = table.locator('tbody tr');
    expect(await rows.count()).toBe(1);
    const [when, list, subject, findings] = (await rows.first().locator('td').allInnerTexts()).map((t) => t.trim());
    expect([list, subject, findings]).toEqual(['s', 'foo: report duplicate types as -EEXIST', '1: module-init-eexist']);
    // Reviewed during this test.
    expect(Date.now() - Date.parse(when!)).toBeGreaterThanOrEqual(0);
    expect(Date.now() - Date.parse(when!)).toBeLessThan(120_000);
    expect(await table.isVisible()).toBe(true);
    // Nothing on the page needs scripts: there are none.
    expect(await page.locator('script').count()).toBe(0);

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'status-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(1000);
    await browser.close();

    p.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
