// Issue 13 (fuzzing): webhook bodies had no size limit and were buffered whole before the
// signature was checked (a 50 MB delivery with a bad signature cost 530 MB), and a signed but
// malformed payload got 500 with the handler's internal error text. Real HTTP/1.1 requests on a
// TCP socket to the `modreview github` server on 127.0.0.1 (so a body can be left unfinished);
// the GitHub API is nock's, with no route: any call it got would be an unmatched request.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readServerConfig, startGithubServer, type RunningServer } from '../../src/commands/github.js';
import { DEFAULT_MAX_WEBHOOK_BYTES } from '../../src/github/webhook.js';
import { UsageError } from '../../src/errors.js';
import { deliveryId, prPayload, privateKey, testOctokit } from './helpers.js';

const SECRET = 'It\'s a Secret to Everybody';
const LIMIT = 64 * 1024;
const PATH = '/api/github/webhooks';

let running: RunningServer;
let tmp: string;
let reviews = 0;
let unmatched: string[] = [];

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  nock.emitter.on('no match', (req: { method?: string; path?: string; options?: { host?: string; path?: string } }) => {
    if (req.options?.host?.startsWith('127.0.0.1')) return;
    unmatched.push(`${req.method} ${req.path ?? req.options?.path}`);
  });
  tmp = mkdtempSync(join(tmpdir(), 'modreview-gh-limits-'));
  const cfg = readServerConfig({
    APP_ID: '123',
    PRIVATE_KEY: privateKey(),
    WEBHOOK_SECRET: SECRET,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    MODREVIEW_DB: join(tmp, 'state.sqlite'),
    MODREVIEW_WEBHOOK_MAX_BYTES: String(LIMIT),
  });
  running = await startGithubServer(cfg, {
    review: async () => {
      reviews++;
      return { findings: [], skipped: [], images: [], notes: [] };
    },
    Octokit: testOctokit(),
    log: pino({ level: 'silent' }),
  });
});

afterEach(async () => {
  await running.app.queue.idle();
  expect(unmatched).toEqual([]);
  expect(reviews).toBe(0);
  unmatched = [];
});

afterAll(async () => {
  await running?.close();
  nock.enableNetConnect();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const sign = (body: string | Buffer, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One request on its own connection: the head, then `body` as written (possibly less than the
 * head announces, possibly unfinished); the answer is read until the server closes.
 */
function rawPost(headers: Record<string, string>, body: Buffer | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const sock = connect(running.port, '127.0.0.1');
    const got: Buffer[] = [];
    sock.on('data', (b) => {
      got.push(b);
      // Whole answer in (headers and a content-length body): done, whatever the socket does next.
      const text = Buffer.concat(got).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const len = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, split))?.[1];
      if (split >= 0 && len !== undefined && Buffer.byteLength(text.slice(split + 4)) >= Number(len)) {
        sock.destroy();
        finish();
      }
    });
    sock.on('error', reject);
    sock.on('end', () => finish());
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      const text = Buffer.concat(got).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [status, ...lines] = text.slice(0, split).split('\r\n');
      const h: Record<string, string> = {};
      for (const l of lines) h[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(status ?? '')?.[1]), headers: h, body: text.slice(split + 4) });
    };
    const head = Object.entries({ host: `127.0.0.1:${running.port}`, ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    sock.write(`POST ${PATH} HTTP/1.1\r\n${head}\r\n`);
    sock.write(body);
  });
}

function delivery(body: string, over: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'x-github-event': 'pull_request',
    'x-github-delivery': deliveryId(),
    'x-hub-signature-256': sign(body),
    ...over,
  };
}

/** One plain-text line, as the contract has it. */
function expectOneLine(a: Answer, status: number, line: RegExp): void {
  expect(a.status).toBe(status);
  expect(a.headers['content-type']).toMatch(/^text\/plain/);
  expect(a.body).toMatch(/^[^\r\n]+\n$/);
  expect(a.body.trimEnd()).toMatch(line);
}

describe('webhook body size', () => {
  it('a delivery announcing 50 MB is refused with 413 before its body is sent', { timeout: 20_000 }, async () => {
    const body = JSON.stringify(prPayload('opened'));
    // 1 KB of the 50 MB is written, the rest never: only an answer that reads none of it comes back.
    const a = await rawPost(delivery(body, { 'content-length': String(50 * 1024 * 1024), 'x-hub-signature-256': sign('x', 'wrong') }), body.slice(0, 1024));
    expectOneLine(a, 413, new RegExp(`^payload too large: over the ${LIMIT}-byte limit`));
    expect(a.headers.connection).toBe('close');
  });

  it('a delivery without a length is refused with 413 once it passes the limit, unfinished', { timeout: 20_000 }, async () => {
    const chunk = Buffer.alloc(LIMIT + 1, 0x20);
    const h = delivery('', { 'transfer-encoding': 'chunked' });
    delete h['content-length'];
    // One chunk past the limit, and no terminating chunk: the sender has not finished.
    const a = await rawPost(h, Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    expectOneLine(a, 413, /^payload too large/);
  });

  it('the limit is configurable, 25 MiB by default, and a bad value is one clear error', () => {
    const env = { APP_ID: '1', PRIVATE_KEY: privateKey(), WEBHOOK_SECRET: 's' };
    expect(readServerConfig(env).maxBodyBytes).toBe(DEFAULT_MAX_WEBHOOK_BYTES);
    expect(DEFAULT_MAX_WEBHOOK_BYTES).toBe(25 * 1024 * 1024);
    expect(() => readServerConfig({ ...env, MODREVIEW_WEBHOOK_MAX_BYTES: '25MB' })).toThrow(new UsageError('MODREVIEW_WEBHOOK_MAX_BYTES: expected a positive number of bytes, got "25MB"'));
  });
});

describe('webhook signature and payload', () => {
  it('the signature is checked before the body is parsed', async () => {
    const a = await rawPost(delivery('{not json', { 'x-hub-signature-256': sign('{not json', 'wrong secret') }), '{not json');
    expectOneLine(a, 401, /^signature does not match the payload$/);
  });

  it('a signed body that is not JSON: 400 and one plain line', async () => {
    const a = await rawPost(delivery('{not json'), '{not json');
    expectOneLine(a, 400, /^malformed payload: not JSON$/);
  });

  it('a signed pull_request payload without the fields the app reads: 400 and one plain line, no API call, no review', async () => {
    for (const payload of [{ action: 'opened' }, { ...prPayload('opened'), pull_request: { number: 'two' } }, [1, 2]]) {
      const body = JSON.stringify(payload);
      const a = await rawPost(delivery(body), body);
      expectOneLine(a, 400, /^malformed (pull_request )?payload: /);
      expect(a.body).not.toMatch(/TypeError|Cannot read|\bat /);
    }
  });

  it('a signed, well-formed delivery still reaches probot', async () => {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
    const a = await rawPost(delivery(body, { 'x-github-event': 'ping' }), body);
    expect(a.status).toBe(200);
    expect(a.body).toBe('ok\n');
  });
});
