// `modreview github`: run the GitHub App (probot 14) as an HTTP server receiving webhooks.
// Reads probot's usual environment: APP_ID, PRIVATE_KEY or PRIVATE_KEY_PATH, WEBHOOK_SECRET,
// PORT, HOST, LOG_LEVEL, GHE_HOST / GHE_PROTOCOL (GitHub Enterprise), WEBHOOK_PATH; plus
// MODREVIEW_TREE (a local kernel tree whose index gives tree-wide facts), MODREVIEW_DB,
// MODREVIEW_WEBHOOK_MAX_BYTES (largest delivery accepted; GitHub's own cap by default), and
// REDIS_URL: when set, reviews are not run here but queued in Redis for `modreview worker`
// processes (src/commands/worker.ts). Missing or malformed credentials, or a Redis that cannot
// be reached: one line on stderr and exit status 2, never a stack trace.
import { createPrivateKey } from 'node:crypto';
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { ProbotOctokit } from 'probot';
import type { CommandRegistrar } from '../cli.js';
import type { ReviewFn } from '../engine/api.js';
import type { IndexQuery } from '../engine/types.js';
import { UsageError } from '../errors.js';
import type { ModreviewApp } from '../github/app.js';
import { checkRedisUrl, redisWhere, type ProducerOptions } from '../github/redis-queue.js';
import { defaultStorePath } from '../store/db.js';
import { GithubStore } from '../store/github.js';
import { DEFAULT_MAX_WEBHOOK_BYTES } from '../github/webhook.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
type Level = (typeof LEVELS)[number];

/** What every process acting as the App needs: the webhook server and the workers. */
export interface AppConfig {
  appId: number;
  privateKey: string;
  logLevel: Level;
  /** https://api.github.com, or https://GHE_HOST/api/v3. */
  baseUrl: string;
  tree?: string;
  db: string;
  /** REDIS_URL: queue reviews there (server) or take them from there (worker). */
  redisUrl?: string;
}

export interface ServerConfig extends AppConfig {
  secret: string;
  port: number;
  host: string;
  webhookPath: string;
  /** Largest webhook body accepted (bytes); larger deliveries get 413 before they are read. */
  maxBodyBytes: number;
}

/** The PEM text of the private key, or a UsageError naming the variable and what is wrong. */
function readPrivateKey(env: NodeJS.ProcessEnv): string {
  let pem: string;
  let from: string;
  if (env.PRIVATE_KEY) {
    from = 'PRIVATE_KEY';
    pem = env.PRIVATE_KEY.trim();
    if (!pem.includes('-----BEGIN') && /^[A-Za-z0-9+/=\s]+$/.test(pem)) pem = Buffer.from(pem, 'base64').toString('utf8');
    pem = pem.replace(/\\n/g, '\n');
  } else if (env.PRIVATE_KEY_PATH) {
    from = `PRIVATE_KEY_PATH (${env.PRIVATE_KEY_PATH})`;
    try {
      pem = readFileSync(env.PRIVATE_KEY_PATH, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`PRIVATE_KEY_PATH: cannot read ${env.PRIVATE_KEY_PATH}${code ? ` (${code})` : ''}`);
    }
  } else {
    throw new UsageError('missing private key: set PRIVATE_KEY (PEM text or base64) or PRIVATE_KEY_PATH (the .pem file downloaded from the GitHub App settings)');
  }
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(pem)) {
    throw new UsageError(`${from}: not a PEM private key (expected "-----BEGIN RSA PRIVATE KEY-----" as in the .pem file GitHub gives)`);
  }
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error(`a ${key.asymmetricKeyType} key; GitHub App keys are RSA`);
  } catch (e) {
    throw new UsageError(`${from}: malformed private key (${(e instanceof Error ? e.message : String(e)).split('\n')[0]})`);
  }
  return pem;
}

function readAppId(env: NodeJS.ProcessEnv): number {
  const appIdText = env.APP_ID?.trim();
  if (!appIdText) throw new UsageError('missing APP_ID: set it to the numeric App ID shown on the GitHub App settings page');
  if (!/^[1-9]\d*$/.test(appIdText)) throw new UsageError(`APP_ID: expected the numeric App ID, got "${appIdText}"`);
  return Number(appIdText);
}

/** Validate the environment; every problem is one clear UsageError line. */
export function readServerConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const appId = readAppId(env);
  const privateKey = readPrivateKey(env);
  const secret = env.WEBHOOK_SECRET;
  if (!secret) throw new UsageError('missing WEBHOOK_SECRET: set it to the webhook secret of the GitHub App (webhooks are verified with it)');
  const portText = env.PORT?.trim() || '3000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`PORT: expected a port number (0-65535), got "${portText}"`);
  const maxText = env.MODREVIEW_WEBHOOK_MAX_BYTES?.trim() || String(DEFAULT_MAX_WEBHOOK_BYTES);
  if (!/^[1-9]\d{0,9}$/.test(maxText)) throw new UsageError(`MODREVIEW_WEBHOOK_MAX_BYTES: expected a positive number of bytes, got "${maxText}"`);
  return {
    ...readRest(env, appId, privateKey),
    secret,
    port,
    host: env.HOST?.trim() || 'localhost',
    webhookPath: env.WEBHOOK_PATH || '/api/github/webhooks',
    maxBodyBytes: Number(maxText),
  };
}

/** The App credentials and the rest of the environment a worker needs (no webhook secret, no port). */
export function readAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const appId = readAppId(env);
  return readRest(env, appId, readPrivateKey(env));
}

function readRest(env: NodeJS.ProcessEnv, appId: number, privateKey: string): AppConfig {
  const logLevel = (env.LOG_LEVEL?.trim() || 'info') as Level;
  if (!LEVELS.includes(logLevel)) throw new UsageError(`LOG_LEVEL: expected one of ${LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  let baseUrl = 'https://api.github.com';
  if (env.GHE_HOST) {
    const proto = (env.GHE_PROTOCOL || 'https').toLowerCase();
    if (proto !== 'https' && proto !== 'http') throw new UsageError(`GHE_PROTOCOL: expected https or http, got "${env.GHE_PROTOCOL}"`);
    if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(env.GHE_HOST)) throw new UsageError(`GHE_HOST: expected a host name (optionally :port), got "${env.GHE_HOST}"`);
    baseUrl = `${proto}://${env.GHE_HOST}/api/v3`;
  }
  const cfg: AppConfig = { appId, privateKey, logLevel, baseUrl, db: env.MODREVIEW_DB || defaultStorePath() };
  if (env.MODREVIEW_TREE) {
    try {
      if (!statSync(env.MODREVIEW_TREE).isDirectory()) throw new Error();
    } catch {
      throw new UsageError(`MODREVIEW_TREE: not a directory: ${env.MODREVIEW_TREE}`);
    }
    cfg.tree = env.MODREVIEW_TREE;
  }
  if (env.REDIS_URL !== undefined) cfg.redisUrl = checkRedisUrl(env.REDIS_URL);
  return cfg;
}

export interface StartOptions {
  /** The review function (default: the engine's reviewSubmission). */
  review?: ReviewFn;
  store?: GithubStore;
  log?: Logger;
  /** Octokit class (tests turn retry and throttling off). */
  Octokit?: typeof ProbotOctokit;
  index?: IndexQuery | (() => Promise<IndexQuery | undefined>);
  /** Retries and key prefix of the Redis queue (with REDIS_URL; tests shorten the backoff). */
  redis?: ProducerOptions;
}

export interface RunningServer {
  server: HttpServer;
  port: number;
  host: string;
  app: ModreviewApp;
  store: GithubStore;
  /** Stop accepting webhooks, let running reviews (or pushes to Redis) finish, close the store. */
  close(): Promise<void>;
}

/** The review function of a server whose reviews run in the workers: never called. */
const notHere: ReviewFn = () => Promise.reject(new Error('reviews run in modreview worker (REDIS_URL is set)'));

export async function defaultReview(): Promise<ReviewFn> {
  const mod = (await import('../engine/review.js')) as { reviewSubmission: ReviewFn };
  return mod.reviewSubmission;
}

/** The tree index of MODREVIEW_TREE, built by `modreview index --tree`, opened on first use. */
export function treeIndex(cfg: AppConfig, log: Logger): (() => Promise<IndexQuery | undefined>) | undefined {
  if (!cfg.tree) return undefined;
  const tree = cfg.tree;
  return async () => {
    const [{ TreeIndex }, { extractFacts }, { openStore }] = await Promise.all([import('../index/query.js'), import('../c/facts.js'), import('../store/db.js')]);
    const idx = new TreeIndex(openStore(cfg.db), realpathSync(tree), { extract: extractFacts });
    log.info(`using the index of ${tree} for tree-wide facts`);
    return idx;
  };
}

/** The path of a request URL without its query and trailing slashes, as probot's middleware compares it. */
function pathOf(url: string | undefined): string | undefined {
  let path: string;
  try {
    path = new URL(url ?? '', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
  let end = path.length;
  while (end > 1 && path[end - 1] === '/') end--;
  return path.slice(0, end);
}

export async function startGithubServer(cfg: ServerConfig, opts: StartOptions = {}): Promise<RunningServer> {
  // Loaded here, not at the top: every command module is imported by the CLI, and the other
  // commands should not pay for probot.
  const [{ createNodeMiddleware, Probot, ProbotOctokit }, { pino }, { createApp }, { readDelivery, refuse }] = await Promise.all([
    import('probot'),
    import('pino'),
    import('../github/app.js'),
    import('../github/webhook.js'),
  ]);
  const log = opts.log ?? pino({ name: 'modreview', level: cfg.logLevel });
  // With REDIS_URL the workers review; this process only needs Redis (checked before listening).
  const queue = cfg.redisUrl ? await (await import('../github/redis-queue.js')).RedisReviewQueue.open(cfg.redisUrl, opts.redis) : undefined;
  const store = opts.store ?? GithubStore.open(cfg.db);
  const review = opts.review ?? (queue ? notHere : await defaultReview());
  const app = createApp({ review, store, index: opts.index ?? treeIndex(cfg, log), ...(queue ? { queue } : {}) });
  const probot = new Probot({
    appId: cfg.appId,
    privateKey: cfg.privateKey,
    secret: cfg.secret,
    baseUrl: cfg.baseUrl,
    log,
    Octokit: opts.Octokit ?? ProbotOctokit,
  });
  const middleware = await createNodeMiddleware(app, { probot, webhooksPath: cfg.webhookPath });
  const notFound = (res: ServerResponse): void => {
    if (!res.headersSent) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  };
  /**
   * A delivery passes readDelivery() (size limit, signature on the raw bytes, then the shape the
   * handlers read) before probot sees it; probot gets the checked text instead of the stream.
   */
  const webhook = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const d = await readDelivery(req, { secret: cfg.secret, maxBytes: cfg.maxBodyBytes });
    if ('status' in d) {
      log.warn(`webhook refused (${d.status}): ${d.reason}`);
      // Too large: the rest is not read, and the connection goes with the answer.
      refuse(res, d, d.status === 413);
      return;
    }
    (req as IncomingMessage & { body?: string }).body = d.body;
    await middleware(req, res, () => notFound(res));
  };
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/ping' || req.url === '/healthz')) {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('PONG');
      return;
    }
    if (req.method === 'POST' && pathOf(req.url) === pathOf(cfg.webhookPath)) {
      void webhook(req, res);
      return;
    }
    void middleware(req, res, () => notFound(res));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(e.code === 'EADDRINUSE' ? new UsageError(`PORT: ${cfg.port} is already in use on ${cfg.host}`) : e),
      );
      server.listen(cfg.port, cfg.host, () => resolve());
    });
  } catch (e) {
    await queue?.close();
    if (!opts.store) store.close();
    throw e;
  }
  const addr = server.address() as AddressInfo;
  log.info(`modreview GitHub App ${cfg.appId} listening on http://${cfg.host}:${addr.port}${cfg.webhookPath} (GitHub API ${cfg.baseUrl})${cfg.redisUrl ? `; reviews queued in Redis at ${redisWhere(cfg.redisUrl)} for modreview worker` : ''}`);
  let closed = false;
  return {
    server,
    port: addr.port,
    host: cfg.host,
    app,
    store,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.queue.close();
      if (!opts.store) store.close();
    },
  };
}

export const register: CommandRegistrar = (program: Command) => {
  program
    .command('github')
    .description('run as a GitHub App: review pull requests with inline comments and a check run (env: APP_ID, PRIVATE_KEY[_PATH], WEBHOOK_SECRET, PORT, HOST, GHE_HOST)')
    .action(async () => {
      const cfg = readServerConfig(process.env);
      const running = await startGithubServer(cfg);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void running.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
};
