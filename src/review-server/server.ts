// The review server (issue 14): one long-running process that keeps the review's modules loaded
// (tree-sitter and its parser, the engine, the rules, already optimised by V8), its SQLite stores
// open and their facts caches warm, and answers `modreview review` requests over a Unix domain
// socket (the wire format: protocol.ts). Each request is run by the same code as a review in its
// own process (src/cli.ts main with the request's arguments, in the request's working directory,
// with its MODREVIEW_DB/MODREVIEW_CACHE/HOME/DEBUG/GIT_* environment), so it answers the same
// bytes and exit code; that includes the index freshness check of src/index/fresh.ts per review,
// so a file edited since the last review or index is read again. Requests run one at a time (the
// working directory and the environment are the process's).
//
// Safety: the socket is created with umask 0177 (mode 0600) in a directory of this user that no
// one else may write; a request is one line of at most MAX_REQUEST_BYTES; a bad request gets an
// error reply and the server goes on; nothing of a request reaches a shell (a review runs no
// shell; `git` is run by simple-git without one). close() stops listening and removes the socket.
import { chmodSync, lstatSync, statSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { dirname, resolve } from 'node:path';
import { main, type CliIo } from '../cli.js';
import { COMMANDS } from '../commands/registry.js';
import { errorMessage, UsageError } from '../errors.js';
import { openStore, type DB } from '../store/db.js';
import { buildId, FORWARDED_ENV, MAX_REQUEST_BYTES, parseRequest, PROTOCOL_VERSION, type Reply, type ReviewRequest } from './protocol.js';

export interface ReviewServer {
  socket: string;
  close(): Promise<void>;
}

export interface ReviewServerOptions {
  socket: string;
  log?: (line: string) => void;
  /** Review a small built-in patch a few times before listening, so the first request finds the code optimised (default true). */
  warmUp?: boolean;
}

/** Longest path a Unix socket address holds on Linux (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;
/** A client that connects and sends no complete request in this time is dropped. */
const IDLE_MS = 60_000;

const REVIEW = COMMANDS.find((c) => c.name === 'review')!;

/** The socket's directory must be this user's and writable by no one else. */
function checkDirectory(dir: string): void {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new UsageError(`--socket: no such directory: ${dir}`);
  }
  if (!st.isDirectory()) throw new UsageError(`--socket: not a directory: ${dir}`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new UsageError(`--socket: ${dir} belongs to another user; put the socket in a directory of your own`);
  if (st.mode & 0o022) throw new UsageError(`--socket: ${dir} is writable by others (mode ${(st.mode & 0o777).toString(8)}); put the socket in a directory only you can write`);
}

/** Whether something accepts connections on `path`. */
function listening(path: string): Promise<boolean> {
  return new Promise((res) => {
    const c = createConnection(path);
    c.on('connect', () => {
      c.destroy();
      res(true);
    });
    c.on('error', () => res(false));
  });
}

/** The stores requests name, kept open from request to request (reopened when the file was replaced). */
class Stores {
  private readonly open_ = new Map<string, { db: DB; dev: number; ino: number }>();
  /** `:memory:` stores of the current request: a process would start each one empty. */
  private transient: DB[] = [];

  open(path: string): DB {
    if (path === ':memory:') {
      const db = openStore(path);
      this.transient.push(db);
      return db;
    }
    const key = resolve(path);
    const had = this.open_.get(key);
    const st = statSync(key, { throwIfNoEntry: false });
    if (had && st && st.dev === had.dev && st.ino === had.ino) return had.db;
    if (had) {
      this.open_.delete(key);
      had.db.close();
    }
    const db = openStore(key);
    const now = statSync(key);
    this.open_.set(key, { db, dev: now.dev, ino: now.ino });
    return db;
  }

  endRequest(): void {
    for (const db of this.transient) db.close();
    this.transient = [];
  }

  close(): void {
    this.endRequest();
    for (const { db } of this.open_.values()) db.close();
    this.open_.clear();
  }
}

/** A small patch with a module's init and exit, reviewed without a tree to warm the code up. */
const WARM_UP = Buffer.from(`diff --git a/drivers/warm/warm.c b/drivers/warm/warm.c
--- a/drivers/warm/warm.c
+++ b/drivers/warm/warm.c
@@ -1,14 +1,14 @@
 #include <linux/module.h>
 static struct kmem_cache *warm_cache;
 static int __init warm_init(void)
 {
 	warm_cache = kmem_cache_create("warm", 64, 0, 0, NULL);
 	if (!warm_cache)
-		return -ENOMEM;
+		return -EEXIST;
 	return register_warm_thing();
 }
 static void __exit warm_exit(void)
 {
 	kmem_cache_destroy(warm_cache);
 }
 module_init(warm_init);
 module_exit(warm_exit);
`);

export async function startReviewServer(o: ReviewServerOptions): Promise<ReviewServer> {
  const log = o.log ?? (() => {});
  const socket = resolve(o.socket);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) throw new UsageError(`--socket: path longer than ${MAX_SOCKET_PATH} bytes: ${socket}`);
  checkDirectory(dirname(socket));
  const there = lstatSync(socket, { throwIfNoEntry: false });
  if (there) {
    if (!there.isSocket()) throw new UsageError(`--socket: ${socket} exists and is not a socket`);
    if (await listening(socket)) throw new UsageError(`--socket: a server already listens on ${socket}`);
    unlinkSync(socket); // left by a server that did not stop cleanly
  }

  const build = buildId();
  const stores = new Stores();
  let chain: Promise<unknown> = Promise.resolve();
  /** Run `fn` after every request before it (one review at a time). */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn);
    chain = p.catch(() => {});
    return p;
  };

  const run = async (args: string[], input: { file: string; bytes: Buffer }): Promise<{ stdout: string; stderr: string; code: number }> => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (s) => void out.push(s), err: (s) => void err.push(s), input, stores, inServer: true };
    try {
      const code = await main(['node', 'modreview', ...args], REVIEW, io);
      return { stdout: out.join(''), stderr: err.join(''), code };
    } finally {
      stores.endRequest();
    }
  };

  const handle = (req: ReviewRequest): Promise<Reply> =>
    serial(async () => {
      if (req.build !== build) return { v: PROTOCOL_VERSION, error: 'the server runs another build of modreview (restart it after a rebuild or an upgrade)' };
      if (req.args[0] !== 'review') return { v: PROTOCOL_VERSION, error: 'bad request: only `review` is served' };
      const home = process.cwd();
      try {
        process.chdir(req.cwd);
      } catch (e) {
        return { v: PROTOCOL_VERSION, error: `cannot enter the working directory ${req.cwd} (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})` };
      }
      // The request's environment for the variables a review reads; the server's back after.
      const names = new Set<string>([...FORWARDED_ENV, ...Object.keys(process.env).filter((k) => k.startsWith('GIT_')), ...Object.keys(req.env)]);
      const saved = new Map<string, string | undefined>();
      for (const k of names) {
        saved.set(k, process.env[k]);
        if (Object.hasOwn(req.env, k)) process.env[k] = req.env[k];
        else delete process.env[k];
      }
      const t = performance.now();
      try {
        const r = await run(req.args, { file: req.file, bytes: Buffer.from(req.input, 'base64') });
        log(`review: exit ${r.code} in ${Math.round(performance.now() - t)} ms`);
        return { v: PROTOCOL_VERSION, ...r };
      } finally {
        for (const [k, v] of saved) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
        process.chdir(home);
      }
    });

  const connections = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (conn) => {
    connections.add(conn);
    conn.on('close', () => connections.delete(conn));
    conn.on('error', () => {});
    const chunks: Buffer[] = [];
    let size = 0;
    let got = false;
    const answer = (r: Reply) => {
      if (!conn.destroyed && conn.writable) conn.end(`${JSON.stringify(r)}\n`);
      // A client still sending (an oversized request) is cut off a little later.
      setTimeout(() => conn.destroy(), 10_000).unref();
    };
    conn.setTimeout(IDLE_MS, () => {
      if (!got) conn.destroy();
    });
    conn.on('data', (b: Buffer) => {
      if (got) return;
      const nl = b.indexOf(10);
      const part = nl < 0 ? b : b.subarray(0, nl);
      size += part.length;
      if (size > MAX_REQUEST_BYTES) {
        got = true;
        chunks.length = 0;
        answer({ v: PROTOCOL_VERSION, error: `request too large: over ${MAX_REQUEST_BYTES >> 20} MB` });
        return;
      }
      chunks.push(part);
      if (nl < 0) return;
      got = true;
      conn.setTimeout(0);
      const req = parseRequest(Buffer.concat(chunks).toString('utf8'));
      chunks.length = 0;
      if (typeof req === 'string') {
        answer({ v: PROTOCOL_VERSION, error: req });
        return;
      }
      handle(req).then(answer, (e: unknown) => {
        log(`internal error: ${errorMessage(e)}`);
        answer({ v: PROTOCOL_VERSION, error: `internal error: ${errorMessage(e)}` });
      });
    });
    conn.on('end', () => {
      if (!got) {
        got = true;
        answer({ v: PROTOCOL_VERSION, error: 'bad request: no complete line (a request is one line of JSON ending in a newline)' });
      }
    });
  });
  server.on('error', (e) => log(`socket error: ${errorMessage(e)}`));

  // Load what a review uses and run it a few times, before the first client waits for it.
  if (o.warmUp !== false) {
    const t = performance.now();
    for (let i = 0; i < 5; i++) for (const format of ['text', 'json', 'sarif']) await run(['review', '--no-index', '--format', format, '-'], { file: '-', bytes: WARM_UP });
    log(`warmed up in ${Math.round(performance.now() - t)} ms`);
  }

  const umask = process.umask(0o177);
  try {
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(socket, () => {
        server.off('error', rej);
        res();
      });
    });
  } finally {
    process.umask(umask);
  }
  chmodSync(socket, 0o600);
  const ours = lstatSync(socket);
  log(`listening on ${socket} (pid ${process.pid})`);

  let closed: Promise<void> | undefined;
  return {
    socket,
    close() {
      closed ??= (async () => {
        const stopped = new Promise<void>((r) => server.close(() => r()));
        // The socket file goes first: no new client finds it (unless another server took the path).
        const now = lstatSync(socket, { throwIfNoEntry: false });
        if (now && now.ino === ours.ino && now.dev === ours.dev) unlinkSync(socket);
        await chain; // the review under way finishes and is answered
        for (const c of connections) c.destroy();
        await stopped;
        stores.close();
        log('stopped');
      })();
      return closed;
    },
  };
}
