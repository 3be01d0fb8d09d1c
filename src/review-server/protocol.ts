// The review server's wire format (issue 14: a warm path for repeated reviews). One request and
// one reply per connection over a Unix domain socket, each a single line of JSON ending in "\n":
//
//   request  {"v":1,"build":"…","args":["review",…],"cwd":"/abs","env":{…},"file":"a.patch","input":"<base64>"}
//   reply    {"v":1,"stdout":"…","stderr":"…","code":0}      or      {"v":1,"error":"…"}
//
// `args` are the command-line arguments after `modreview` (they start with `review`), `file` the
// patch argument among them (a path or `-`) and `input` its bytes as the client read them, `env` the few
// environment variables a review reads (MODREVIEW_DB, MODREVIEW_CACHE, HOME, DEBUG, GIT_*).
// `build` names the code the client runs; a server running other code answers with an error and
// the client reviews in its own process. Only node: modules here: the client loads this file
// before it knows whether a server answers.
import { realpathSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROTOCOL_VERSION = 1;
/** The largest request line the server reads (the patch travels base64-encoded in it). */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;
/** Environment variables a review reads, sent with each request and set for its run. */
export const FORWARDED_ENV = ['MODREVIEW_DB', 'MODREVIEW_CACHE', 'HOME', 'DEBUG'] as const;
export const forwardedEnvName = (k: string): boolean => (FORWARDED_ENV as readonly string[]).includes(k) || k.startsWith('GIT_');

export interface ReviewRequest {
  v: number;
  build: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  file: string;
  input: string;
}

export interface ReviewReply {
  stdout: string;
  stderr: string;
  code: number;
}

export type Reply = ({ v: number } & ReviewReply) | { v: number; error: string };

let build: string | undefined;
/**
 * The code this process runs: this module's real path, size and mtime. A rebuild (tsc rewrites
 * every output) or another checkout gives another id.
 */
export function buildId(): string {
  if (build) return build;
  const file = realpathSync(fileURLToPath(import.meta.url));
  const st = statSync(file);
  return (build = `${file}:${st.size}:${Math.trunc(st.mtimeMs)}`);
}

/** A reply line parsed and checked, or a reason it is not one. */
export function parseReply(line: string): Reply | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'the reply is not JSON';
  }
  if (!v || typeof v !== 'object') return 'the reply is not an object';
  const r = v as Record<string, unknown>;
  if (r.v !== PROTOCOL_VERSION) return `the reply is of protocol version ${String(r.v)}, not ${PROTOCOL_VERSION}`;
  if (typeof r.error === 'string') return { v: PROTOCOL_VERSION, error: r.error };
  if (typeof r.stdout !== 'string' || typeof r.stderr !== 'string' || !Number.isInteger(r.code)) return 'the reply lacks stdout, stderr or code';
  return { v: PROTOCOL_VERSION, stdout: r.stdout, stderr: r.stderr, code: r.code as number };
}

/** A request line parsed and checked, or why it is not one (the answer to a bad request). */
export function parseRequest(line: string): ReviewRequest | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'bad request: not JSON';
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'bad request: not a JSON object';
  const r = v as Record<string, unknown>;
  if (r.v !== PROTOCOL_VERSION) return `bad request: protocol version ${String(r.v)}, this server speaks ${PROTOCOL_VERSION}`;
  if (typeof r.build !== 'string') return 'bad request: no build';
  if (!Array.isArray(r.args) || !r.args.every((a) => typeof a === 'string')) return 'bad request: args must be an array of strings';
  if (typeof r.cwd !== 'string' || !r.cwd.startsWith('/')) return 'bad request: cwd must be an absolute path';
  if (!r.env || typeof r.env !== 'object' || Array.isArray(r.env) || !Object.entries(r.env).every(([k, x]) => forwardedEnvName(k) && typeof x === 'string')) {
    return 'bad request: env must map forwarded variable names to strings';
  }
  if (typeof r.file !== 'string') return 'bad request: no file';
  if (typeof r.input !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(r.input)) return 'bad request: input must be base64';
  return { v: PROTOCOL_VERSION, build: r.build, args: r.args as string[], cwd: r.cwd, env: r.env as Record<string, string>, file: r.file, input: r.input };
}
