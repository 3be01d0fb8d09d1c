// The door of the webhook endpoint, before probot: a delivery is read only up to a size limit,
// its signature is checked on the raw bytes before anything parses them, and what parses but is
// not shaped like the events the app reads is refused with a one-line reason. probot's own
// middleware buffers the whole body first (a 50 MB delivery with a bad signature cost 530 MB of
// memory) and answers a handler's TypeError on a malformed payload with 500 and the error text.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { PR_ACTIONS } from './app.js';

/** GitHub caps webhook payloads at 25 MB; a larger delivery is not GitHub's. */
export const DEFAULT_MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

export type Refusal = { status: number; reason: string };
export type Delivery = { id: string; name: string; payload: Record<string, unknown>; body: string };

/** A refusal as the sender sees it: the status and one plain line. */
export function refuse(res: ServerResponse, r: Refusal, close = false): void {
  const body = `${r.reason.replace(/[\r\n]+/g, ' ')}\n`;
  res.writeHead(r.status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...(close ? { connection: 'close' } : {}) });
  res.end(body);
}

/**
 * The request body, or a 413 refusal as soon as it is known to exceed `limit`: from the declared
 * Content-Length before reading any of it, or while reading a body sent without one. Nothing past
 * the limit is kept.
 */
export function readLimitedBody(req: IncomingMessage, limit: number): Promise<Buffer | Refusal> {
  const tooLarge: Refusal = { status: 413, reason: `payload too large: over the ${limit}-byte limit for a webhook delivery` };
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.resolve(tooLarge);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (v: Buffer | Refusal): void => {
      req.off('data', onData).off('end', onEnd).off('error', onError);
      resolve(v);
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        chunks.length = 0;
        req.pause();
        done(tooLarge);
      } else chunks.push(c);
    };
    const onEnd = (): void => done(Buffer.concat(chunks));
    const onError = (): void => done({ status: 400, reason: 'the request body could not be read' });
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/** `sha256=<hex>` of the raw body under the webhook secret, compared in constant time. */
export function signatureMatches(body: Buffer, header: string | undefined, secret: string): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const want = createHmac('sha256', secret).update(body).digest();
  const got = Buffer.from(header.slice('sha256='.length), 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

// What the app's handlers read from each event they act on (src/github/app.ts); the rest of a
// payload is not looked at, so it is not checked either.
const Repository = z.object({ name: z.string(), owner: z.object({ login: z.string() }), default_branch: z.string() });
const PrRefs = z.array(z.object({ number: z.number().int().positive() }));
const SHAPES: Record<string, z.ZodType> = {
  pull_request: z.object({
    repository: Repository,
    pull_request: z.object({
      number: z.number().int().positive(),
      head: z.object({ sha: z.string().min(1) }),
      base: z.object({ sha: z.string().min(1) }),
      title: z.string(),
      body: z.string().nullable().optional(),
      draft: z.boolean().optional(),
      state: z.string(),
    }),
  }),
  check_run: z.object({ repository: Repository, check_run: z.object({ name: z.string(), head_sha: z.string().min(1), pull_requests: PrRefs }) }),
  check_suite: z.object({ repository: Repository, check_suite: z.object({ head_sha: z.string().min(1), pull_requests: PrRefs }) }),
};
const ACTED_ON: Record<string, readonly string[]> = { pull_request: PR_ACTIONS, check_run: ['rerequested'], check_suite: ['rerequested'] };

/** Why a parsed payload of event `name` cannot be handled, or undefined when it can. */
export function payloadProblem(name: string, payload: unknown): string | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return 'the payload is not a JSON object';
  const action = (payload as { action?: unknown }).action;
  if (action !== undefined && typeof action !== 'string') return 'action: expected a string';
  const shape = SHAPES[name];
  if (!shape || !ACTED_ON[name]!.includes(action as string)) return undefined;
  const r = shape.safeParse(payload);
  if (r.success) return undefined;
  const issue = r.error.issues[0]!;
  return `${issue.path.join('.') || '(payload)'}: ${issue.message}`;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Read, verify and parse one delivery, in that order; a refusal says which step failed. The
 * signature is checked before the JSON is parsed, so an unsigned sender gets no parser time.
 */
export async function readDelivery(req: IncomingMessage, opts: { secret: string; maxBytes: number }): Promise<Delivery | Refusal> {
  const type = header(req, 'content-type');
  if (!type || !/^application\/json\s*(;|$)/i.test(type.trim())) return { status: 415, reason: 'unsupported content type: webhooks must be sent as application/json' };
  const missing = ['x-github-event', 'x-github-delivery', 'x-hub-signature-256'].filter((h) => !header(req, h));
  if (missing.length > 0) return { status: 400, reason: `missing header${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}` };
  const body = await readLimitedBody(req, opts.maxBytes);
  if (!Buffer.isBuffer(body)) return body;
  if (!signatureMatches(body, header(req, 'x-hub-signature-256'), opts.secret)) return { status: 401, reason: 'signature does not match the payload' };
  let text: string;
  let payload: unknown;
  try {
    // BOM kept: the text must stay the signed bytes (probot verifies it again).
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
    payload = JSON.parse(text);
  } catch (e) {
    return { status: 400, reason: `malformed payload: ${e instanceof SyntaxError ? 'not JSON' : 'not UTF-8 text'}` };
  }
  const name = header(req, 'x-github-event')!;
  const problem = payloadProblem(name, payload);
  if (problem) return { status: 400, reason: `malformed ${name} payload: ${problem}` };
  return { id: header(req, 'x-github-delivery')!, name, payload: payload as Record<string, unknown>, body: text };
}
