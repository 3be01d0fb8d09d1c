// The status page (`GET /`) in a real headless browser: `modreview serve` as a child process
// reviews one lore series (the real engine, a local inbox), then Debian's Chromium, driven by
// playwright-core with JavaScript turned off, loads the page; the review is on it. A screenshot
// goes to test-artifacts/ (gitignored). Without /usr/bin/chromium the test fails, it does not skip.
// Then a GitHub review (serve in this process, GitHub played by nock) with a hostile PR title: the
// browser shows the title as text and links the check run.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nock from 'nock';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startServe } from '../../src/commands/serve.js';
import { github, testOctokit, type Recorded } from '../github/helpers.js';
import { cleanup, crossFilePatch, mail, scratch, smallTree, TestInbox } from '../lore/helpers.js';
import { closedPort, until } from '../queue/redis.js';
import { HOSTILE_TITLE, answerOneReview, appEnv, deliverPr } from './github.js';

const ENTRY = fileURLToPath(new URL('../cli/entry.ts', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

describe('the status page in headless Chromium', () => {
  let dir: string;
  // (the page's times are whole seconds: a second of slack below the start)
  const startedAt = Date.now();
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
    expect(Date.parse(when!)).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(Date.parse(when!)).toBeLessThanOrEqual(Date.now());
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

  it('shows a GitHub review: the PR, its hostile title as text, a link to the check run', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: this test needs Debian's chromium. Install it with \`apt-get install -y chromium\` (.ci/run does this before the tests)`);
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    onTestFinished(() => {
      nock.cleanAll();
      nock.enableNetConnect();
    });
    const ghPort = await closedPort();
    const serve = await startServe({ host: '127.0.0.1', port: 0, log_level: 'silent' }, appEnv(dir, ghPort), { Octokit: testOctokit() });
    onTestFinished(() => serve.close());
    const base = `http://127.0.0.1:${serve.port}`;
    const rec: Recorded[] = [];
    answerOneReview(github(rec), rec, 4343, HOSTILE_TITLE);
    await deliverPr(ghPort, HOSTILE_TITLE, 'browser-1');
    await until('the review to be recorded', async () => ((await (await fetch(`${base}/`)).text()).includes('recent-github-reviews') ? true : undefined), 60_000);
    expect(nock.pendingMocks()).toEqual([]);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
    onTestFinished(() => browser.close());
    const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
    let dialogs = 0;
    page.on('dialog', () => dialogs++);
    expect((await page.goto(`${base}/`))?.status()).toBe(200);
    const table = page.locator('table#recent-github-reviews');
    expect((await table.locator('th').allInnerTexts()).map((t) => t.trim())).toEqual(['Reviewed', 'Pull request', 'Title', 'Head', 'Conclusion', 'Findings', 'Check run']);
    const rows = table.locator('tbody tr');
    expect(await rows.count()).toBe(1);
    const [, pr, title, , conclusion, findings, run] = (await rows.first().locator('td').allInnerTexts()).map((t) => t.trim());
    // The title exactly as the PR's author typed it, shown as text.
    expect([pr, title, conclusion, findings, run]).toEqual(['kernel-mirror/linux#2', HOSTILE_TITLE, 'failure', '1', 'check run 4343']);
    expect(await rows.first().locator('a').getAttribute('href')).toBe('https://github.com/kernel-mirror/linux/runs/4343');
    expect(await page.locator('script').count()).toBe(0);
    expect(await rows.first().locator('b').count()).toBe(0);
    expect(dialogs).toBe(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-github.png'), fullPage: true });
    await browser.close();
  });
});
