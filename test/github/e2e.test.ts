// End to end through the real HTTP server of `modreview github`: a signed webhook is POSTed to
// the server on 127.0.0.1, which talks to a small local HTTP server playing the GitHub
// (Enterprise) API, reached through GHE_HOST. No request leaves the machine.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readServerConfig, startGithubServer, type RunningServer } from '../../src/commands/github.js';
import { BASE_SHA, DM_LOG, HEAD1, INSTALLATION, contentsAnswer, dmLogEexist, fileEntry, finding, prPayload, privateKey, testOctokit } from './helpers.js';
import { fingerprintMarker } from '../../src/report/github.js';

const SECRET = 'It\'s a Secret to Everybody';

interface Seen {
  method: string;
  url: string;
  body: any;
  auth: string | undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    req.on('data', (c) => (s += c));
    req.on('end', () => resolve(s));
  });
}

const dm = dmLogEexist();
const R = '/api/v3/repos/kernel-mirror/linux';

/** The GitHub API as far as one review needs it. */
function fakeGithub(seen: Seen[]): Server {
  return createServer(async (req, res) => {
    const raw = await readBody(req);
    const url = req.url ?? '';
    seen.push({ method: req.method ?? '', url, body: raw ? JSON.parse(raw) : undefined, auth: req.headers.authorization });
    const json = (status: number, data: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(data));
    const route = `${req.method} ${url}`;
    if (route === `POST /api/v3/app/installations/${INSTALLATION}/access_tokens`) return json(201, { token: 'ghs_e2e', expires_at: '2099-01-01T00:00:00Z', permissions: {} });
    if (route === `GET ${R}/contents/.github%2Fmodreview.yml?ref=master`) return json(404, { message: 'Not Found' });
    if (route === `POST ${R}/check-runs`) return json(201, { id: 42 });
    if (route === `GET ${R}/pulls/2/files?per_page=100`) return json(200, [fileEntry(DM_LOG, 'modified', dm.patch)]);
    if (route === `GET ${R}/contents/${DM_LOG.replace(/\//g, '%2F')}?ref=${BASE_SHA}`) return json(200, contentsAnswer(DM_LOG, dm.before));
    if (route === `GET ${R}/pulls/2`) return json(200, { number: 2, state: 'open', draft: false, title: 't', body: null, head: { sha: HEAD1 }, base: { sha: BASE_SHA } });
    if (route === `GET ${R}/pulls/2/comments?per_page=100`) return json(200, []);
    if (route === `GET ${R}/pulls/2/reviews?per_page=100`) return json(200, []);
    if (route === `POST ${R}/pulls/2/reviews`) return json(200, { id: 77 });
    if (route === `GET ${R}/pulls/2/reviews/77/comments?per_page=100`) return json(200, [{ id: 88, body: fingerprintMarker('a1b2c3d4e5f60718') }]);
    if (route === `PATCH ${R}/check-runs/42`) return json(200, { id: 42 });
    return json(404, { message: `fake GitHub: no route for ${route}` });
  });
}

/** The review is held until the test lets it go: the webhook must be answered before. */
let letGo!: () => void;
const slow = new Promise<void>((r) => (letGo = r));
let gh: Server;
let running: RunningServer;
let tmp: string;
const seen: Seen[] = [];

beforeAll(async () => {
  gh = fakeGithub(seen);
  await new Promise<void>((r) => gh.listen(0, '127.0.0.1', () => r()));
  const ghPort = (gh.address() as AddressInfo).port;
  tmp = mkdtempSync(join(tmpdir(), 'modreview-gh-'));
  const cfg = readServerConfig({
    APP_ID: '123',
    PRIVATE_KEY: privateKey(),
    WEBHOOK_SECRET: SECRET,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    GHE_HOST: `127.0.0.1:${ghPort}`,
    GHE_PROTOCOL: 'http',
    MODREVIEW_DB: join(tmp, 'state.sqlite'),
  });
  expect(cfg.baseUrl).toBe(`http://127.0.0.1:${ghPort}/api/v3`);
  running = await startGithubServer(cfg, {
    review: async () => {
      await slow;
      return { findings: [finding({ file: DM_LOG, line: dm.line })], skipped: [], images: [], notes: [] };
    },
    Octokit: testOctokit(),
    log: pino({ level: 'silent' }),
  });
});

afterAll(async () => {
  await running?.close();
  await new Promise<void>((r) => gh?.close(() => r()));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function post(body: string, headers: Record<string, string>): Promise<{ status: number; text: string; ms: number }> {
  const t0 = Date.now();
  return fetch(`http://127.0.0.1:${running.port}/api/github/webhooks`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } }).then(
    async (r) => ({ status: r.status, text: await r.text(), ms: Date.now() - t0 }),
  );
}

const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('modreview github over HTTP', () => {
  it('answers /ping', async () => {
    const r = await fetch(`http://127.0.0.1:${running.port}/ping`);
    expect(await r.text()).toBe('PONG');
  });

  it('rejects a bad signature with 4xx and makes no API call', async () => {
    const body = JSON.stringify(prPayload('opened'));
    const r = await post(body, { 'x-github-event': 'pull_request', 'x-github-delivery': 'e2e-bad-1', 'x-hub-signature-256': sign(body, 'wrong secret') });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    const unsigned = await post(body, { 'x-github-event': 'pull_request', 'x-github-delivery': 'e2e-bad-2' });
    expect(unsigned.status).toBe(400);
    await running.app.queue.idle();
    expect(seen).toEqual([]);
  });

  it('a signed pull_request webhook is answered at once and reviewed in the background', async () => {
    const body = JSON.stringify(prPayload('opened'));
    const r = await post(body, { 'x-github-event': 'pull_request', 'x-github-delivery': 'e2e-good-1', 'x-hub-signature-256': sign(body) });
    expect(r.status).toBe(200);
    expect(r.text).toBe('ok\n');
    // Answered while the review is still running (held by the test).
    expect(running.app.queue.size).toBe(1);
    letGo();
    await running.app.queue.idle();
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      `POST /api/v3/app/installations/${INSTALLATION}/access_tokens`,
      `GET ${R}/contents/.github%2Fmodreview.yml?ref=master`,
      `POST ${R}/check-runs`,
      `GET ${R}/pulls/2/files?per_page=100`,
      `GET ${R}/pulls/2`,
      `GET ${R}/pulls/2/comments?per_page=100`,
      `GET ${R}/pulls/2/reviews?per_page=100`,
      `POST ${R}/pulls/2/reviews`,
      `GET ${R}/pulls/2/reviews/77/comments?per_page=100`,
      `PATCH ${R}/check-runs/42`,
    ]);
    expect(seen[0]!.auth).toMatch(/^bearer /i); // the app JWT
    expect(seen[1]!.auth).toBe('token ghs_e2e');
    const review = seen.find((s) => s.url.endsWith('/pulls/2/reviews'))!.body;
    expect(review.comments).toEqual([{ path: DM_LOG, line: dm.line, side: 'RIGHT', body: expect.stringContaining('https://git.kernel.org/linus/54416fd76770') }]);
    expect(seen.at(-1)!.body).toMatchObject({ status: 'completed', conclusion: 'failure' });

    // The same delivery again: 200, and nothing new.
    const n = seen.length;
    const again = await post(body, { 'x-github-event': 'pull_request', 'x-github-delivery': 'e2e-good-1', 'x-hub-signature-256': sign(body) });
    expect(again.status).toBe(200);
    await running.app.queue.idle();
    expect(seen.length).toBe(n);
  });
});
