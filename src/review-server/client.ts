// The client side of the review server: `modreview review` with MODREVIEW_SOCKET (or --server)
// set reads the patch, sends it with its arguments to the server and prints the server's stdout,
// stderr and exit code as its own. When the server is not there, refuses, runs other code or
// answers something that is not a reply, it says so in one line on stderr and the review runs in
// this process (src/cli.ts), with the same bytes. Loaded before commander and every command
// module: only node: modules and the protocol.
import { lstatSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { buildId, forwardedEnvName, MAX_REQUEST_BYTES, parseReply, PROTOCOL_VERSION, type ReviewReply, type ReviewRequest } from './protocol.js';

/** `review` options that take a value (test/review-server checks this against the command). */
export const REVIEW_VALUE_OPTIONS = [
  '--tree',
  '--format',
  '--fail-on',
  '--rules',
  '--ignore',
  '--filter',
  '--config',
  '--db',
  '--index-path',
  '--index-check',
  '--max-file-bytes',
  '--file-timeout',
  '--server',
] as const;
/** `review` options without a value. */
export const REVIEW_FLAG_OPTIONS = ['--no-index'] as const;

const VALUE = new Set<string>(REVIEW_VALUE_OPTIONS);
const FLAG = new Set<string>(REVIEW_FLAG_OPTIONS);

/**
 * The patch argument and --server of `review` arguments (`args` after `modreview`), or undefined
 * when they are not plainly a review of one patch (help, an unknown option, no or two files):
 * those run in-process, where commander says what is wrong.
 */
export function parseReviewArgs(args: readonly string[]): { file: string; server?: string } | undefined {
  if (args[0] !== 'review') return undefined;
  let file: string | undefined;
  let server: string | undefined;
  let rest = false;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (rest || a === '-' || !a.startsWith('-')) {
      if (file !== undefined) return undefined;
      file = a;
      continue;
    }
    if (a === '--') {
      rest = true;
      continue;
    }
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (VALUE.has(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined) return undefined;
      if (name === '--server') server = v;
    } else if (!(FLAG.has(a))) return undefined;
  }
  return file === undefined ? undefined : { file, ...(server !== undefined ? { server } : {}) };
}

/** The socket a `review` should ask (--server, else MODREVIEW_SOCKET), or undefined. */
export function wantsServer(args: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  const p = parseReviewArgs(args);
  if (!p) return undefined;
  return p.server || env.MODREVIEW_SOCKET || undefined;
}

export interface ClientResult {
  /** The server's answer: print it, exit with its code. */
  reply?: ReviewReply;
  /** Why the server was not used (one line for stderr), when it was asked and did not answer. */
  note?: string;
  /** The patch bytes already read (the in-process review must not read standard input again). */
  input?: { file: string; bytes: Buffer };
}

async function readPatch(file: string): Promise<Buffer | undefined> {
  try {
    if (file !== '-') return readFileSync(file);
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  } catch {
    return undefined; // the in-process review reports it as it always does
  }
}

/** Send one request line and read one reply line (or the reason there is none). */
function exchange(socket: string, line: string): Promise<string | { failed: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const settle = (v: string | { failed: string }) => {
      if (settled) return;
      settled = true;
      conn.destroy();
      resolve(v);
    };
    const conn = createConnection(socket);
    conn.on('error', (e: NodeJS.ErrnoException) => settle({ failed: e.code ?? e.message }));
    conn.on('connect', () => conn.end(line));
    conn.on('data', (b: Buffer) => {
      chunks.push(b);
      if (b.includes(10)) {
        const all = Buffer.concat(chunks);
        settle(all.subarray(0, all.indexOf(10)).toString('utf8'));
      }
    });
    conn.on('close', () => settle({ failed: 'the server closed the connection without a reply' }));
  });
}

/** Review `args` (after `modreview`, starting with `review`) through the server at `socket`. */
export async function reviewThroughServer(socket: string, args: readonly string[]): Promise<ClientResult> {
  const parsed = parseReviewArgs(args);
  if (!parsed) return {};
  const bytes = await readPatch(parsed.file);
  if (!bytes) return {};
  const input = { file: parsed.file, bytes };
  const fallback = (why: string): ClientResult => ({ note: `modreview: review server ${socket}: ${why}; reviewing in this process\n`, input });
  let st;
  try {
    st = lstatSync(socket);
  } catch (e) {
    return fallback((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such socket' : `cannot stat it (${(e as NodeJS.ErrnoException).code})`);
  }
  if (!st.isSocket()) return fallback('not a socket');
  // The patch goes only to a server of this user (the socket is the user's, mode 0600).
  if (process.getuid && st.uid !== process.getuid()) return fallback('the socket belongs to another user');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && forwardedEnvName(k)) env[k] = v;
  const req: ReviewRequest = { v: PROTOCOL_VERSION, build: buildId(), args: [...args], cwd: process.cwd(), env, file: parsed.file, input: bytes.toString('base64') };
  const line = `${JSON.stringify(req)}\n`;
  if (Buffer.byteLength(line) > MAX_REQUEST_BYTES) return fallback(`the patch is larger than the server takes (${MAX_REQUEST_BYTES >> 20} MB with its encoding)`);
  const got = await exchange(socket, line);
  if (typeof got !== 'string') return fallback(got.failed);
  const reply = parseReply(got);
  if (typeof reply === 'string') return fallback(reply);
  if ('error' in reply) return fallback(reply.error);
  return { reply: { stdout: reply.stdout, stderr: reply.stderr, code: reply.code } };
}
