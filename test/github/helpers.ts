// Shared fixtures for the GitHub App tests: a probot instance in probot's documented testing
// pattern, webhook payloads from @octokit/webhooks-examples (real GitHub payloads, adjusted),
// PR file entries generated from real Linux 6.12 files, and a recorder for request bodies.
import { generateKeyPairSync } from 'node:crypto';
import { Writable } from 'node:stream';
import { structuredPatch } from 'diff';
import nock from 'nock';
import { pino, type Logger } from 'pino';
import { Probot, ProbotOctokit } from 'probot';
import examples from '@octokit/webhooks-examples';
import type { Finding } from '../../src/engine/types.js';
import type { ReviewFn } from '../../src/engine/api.js';
import type { Submission } from '../../src/ingest/types.js';
import { createApp, type ModreviewApp } from '../../src/github/app.js';
import { GithubStore } from '../../src/store/github.js';
import { openStore } from '../../src/store/db.js';
import { kernelFile } from '../helpers/kernel.js';

export const API = 'https://api.github.com';
export const OWNER = 'kernel-mirror';
export const REPO = 'linux';
export const INSTALLATION = 2311213;
export const APP_ID = 123;
export const BASE_SHA = 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e';
export const HEAD1 = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';
export const HEAD2 = '34c5c7793cb3b279e22454cb6750c80560547b3a';
export const DEFAULT_BRANCH = 'master';

let key: string | undefined;
/** A fresh RSA key in GitHub's PKCS#1 PEM format (generated once per test file). */
export function privateKey(): string {
  key ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return key;
}

export interface LogSink {
  logger: Logger;
  lines: { level: number; msg: string }[];
  text(): string;
}

export function logSink(): LogSink {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) {
        if (!l.trim()) continue;
        const o = JSON.parse(l) as { level: number; msg: string };
        lines.push({ level: o.level, msg: o.msg });
      }
      cb();
    },
  });
  const logger = pino({ level: 'info' }, stream);
  return { logger, lines, text: () => lines.map((l) => l.msg).join('\n') };
}

export interface Harness {
  probot: Probot;
  app: ModreviewApp;
  store: GithubStore;
  logs: LogSink;
  /** Submissions the review function was called with. */
  calls: Submission[];
  /** Pre-images the (fake) review read through the image provider. */
  preImages: (string | null)[];
  /** Deliver a webhook and wait for the background review to finish. */
  deliver(name: string, payload: unknown, id?: string): Promise<void>;
}

/**
 * probot's documented testing Octokit (retry and throttling off). The options object is applied
 * in function form: probot merges its own `throttle` handlers over object defaults shallowly,
 * which would switch throttling back on (1 s between write requests).
 */
export function testOctokit(): typeof ProbotOctokit {
  return ProbotOctokit.defaults((o: Record<string, any>) => ({
    ...o,
    retry: { enabled: false },
    throttle: { ...o.throttle, enabled: false },
  }));
}

let deliveryN = 0;
export function deliveryId(): string {
  deliveryN++;
  return `72d3162e-cc78-11e3-81ab-4c9367dc${String(deliveryN).padStart(4, '0')}`;
}

export async function harness(review: ReviewFn | ((s: Submission) => Finding[]), store?: GithubStore): Promise<Harness> {
  const logs = logSink();
  const calls: Submission[] = [];
  const preImages: (string | null)[] = [];
  const fn: ReviewFn = async (s, o) => {
    calls.push(s);
    if (review.length === 2) return (review as ReviewFn)(s, o);
    // Like the engine: read the pre-image of every touched C file through the image provider.
    for (const patch of s.patches) {
      for (const f of patch.files) {
        if (f.status !== 'added' && /\.[ch]$/.test(f.newPath ?? f.oldPath ?? '')) preImages.push((await o.images?.preImage(f, patch))?.text ?? null);
      }
    }
    const r = await (review as (s: Submission) => Finding[] | Promise<Finding[]>)(s);
    return { findings: r, skipped: [], images: [], notes: [] };
  };
  const st = store ?? new GithubStore(openStore(':memory:'));
  const app = createApp({ review: fn, store: st });
  const probot = new Probot({
    appId: APP_ID,
    privateKey: privateKey(),
    log: logs.logger,
    Octokit: testOctokit(),
  });
  await probot.load(app);
  return {
    probot,
    app,
    store: st,
    logs,
    calls,
    preImages,
    async deliver(name, payload, id = deliveryId()) {
      await probot.receive({ name, id, payload } as Parameters<Probot['receive']>[0]);
      await app.queue.idle();
    },
  };
}

// ------------------------------------------------------------------------------------ payloads

type AnyObj = Record<string, any>;

function example(name: string, action: string): AnyObj {
  const ev = (examples as unknown as { name: string; examples: AnyObj[] }[]).find((e) => e.name === name)!;
  const ex = ev.examples.find((x) => x.action === action && x.installation) ?? ev.examples.find((x) => x.action === action)!;
  return structuredClone(ex);
}

function retarget(p: AnyObj): void {
  p.installation = { id: INSTALLATION, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMjMxMTIxMw==' };
  p.repository.name = REPO;
  p.repository.full_name = `${OWNER}/${REPO}`;
  p.repository.owner.login = OWNER;
  p.repository.default_branch = DEFAULT_BRANCH;
}

export function prPayload(action: 'opened' | 'synchronize' | 'reopened' | 'ready_for_review', o: { number?: number; head?: string; base?: string; draft?: boolean; title?: string } = {}): AnyObj {
  const p = example('pull_request', action);
  retarget(p);
  const pr = p.pull_request;
  p.number = pr.number = o.number ?? 2;
  pr.head.sha = o.head ?? HEAD1;
  pr.base.sha = o.base ?? BASE_SHA;
  pr.base.repo = { ...pr.base.repo, name: REPO, full_name: `${OWNER}/${REPO}` };
  pr.draft = o.draft ?? false;
  pr.state = 'open';
  pr.title = o.title ?? 'dm log: return -EEXIST for a duplicate log type';
  pr.body = 'Signed-off-by: A Developer <dev@example.org>';
  return p;
}

export function checkRunRerequestedPayload(o: { head?: string; number?: number; name?: string } = {}): AnyObj {
  const p = example('check_run', 'rerequested');
  retarget(p);
  p.check_run.name = o.name ?? 'modreview';
  p.check_run.head_sha = o.head ?? HEAD1;
  p.check_run.pull_requests = [{ number: o.number ?? 2, id: 1, url: '', head: { ref: 'x', sha: o.head ?? HEAD1, repo: {} }, base: { ref: 'master', sha: BASE_SHA, repo: {} } }];
  return p;
}

export function checkSuiteRerequestedPayload(o: { head?: string; prs?: number[] } = {}): AnyObj {
  const p = example('check_suite', 'rerequested');
  retarget(p);
  p.check_suite.head_sha = o.head ?? HEAD1;
  p.check_suite.pull_requests = (o.prs ?? []).map((n) => ({ number: n, id: n, url: '', head: { ref: 'x', sha: o.head ?? HEAD1, repo: {} }, base: { ref: 'master', sha: BASE_SHA, repo: {} } }));
  return p;
}

// ------------------------------------------------------------------------------- PR files (real)

/** GitHub's `patch` field: the hunks of a unified diff without the file header lines. */
export function githubPatch(path: string, before: string, after: string, context = 3): string {
  const sp = structuredPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, { context });
  return sp.hunks
    .map((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines].join('\n'))
    .join('\n');
}

export interface FileEntry {
  sha: string;
  filename: string;
  status: string;
  additions: number;
  deletions: number;
  changes: number;
  blob_url: string;
  raw_url: string;
  contents_url: string;
  patch?: string;
  previous_filename?: string;
}

export function fileEntry(filename: string, status: string, patch: string | undefined, extra: Partial<FileEntry> = {}): FileEntry {
  const adds = patch ? patch.split('\n').filter((l) => l.startsWith('+')).length : 0;
  const dels = patch ? patch.split('\n').filter((l) => l.startsWith('-')).length : 0;
  const e: FileEntry = {
    sha: 'bbcd538c8e72b8c175046e27cc8f907076331401',
    filename,
    status,
    additions: adds,
    deletions: dels,
    changes: adds + dels,
    blob_url: `https://github.com/${OWNER}/${REPO}/blob/${HEAD1}/${filename}`,
    raw_url: `https://github.com/${OWNER}/${REPO}/raw/${HEAD1}/${filename}`,
    contents_url: `${API}/repos/${OWNER}/${REPO}/contents/${filename}?ref=${HEAD1}`,
    ...extra,
  };
  if (patch !== undefined) e.patch = patch;
  return e;
}

export const DM_LOG = 'drivers/md/dm-log.c';

/** The real dm-log.c and the -EBUSY → -EEXIST change (the line number of the changed line). */
export function dmLogEexist(): { before: string; after: string; line: number; patch: string } {
  const before = kernelFile(DM_LOG);
  const lines = before.split('\n');
  const idx = lines.findIndex((l) => l === '\t\tr = -EBUSY;');
  if (idx < 0) throw new Error('dm-log.c changed: -EBUSY line not found');
  const after = [...lines.slice(0, idx), '\t\tr = -EEXIST;', ...lines.slice(idx + 1)].join('\n');
  return { before, after, line: idx + 1, patch: githubPatch(DM_LOG, before, after) };
}

/** A comment-only change to dm-log.c. */
export function dmLogComment(): { before: string; after: string; patch: string } {
  const before = kernelFile(DM_LOG);
  const after = before.replace('int dm_dirty_log_type_register(struct dm_dirty_log_type *type)\n{', '/* Register a dirty log type; its name must be unique. */\nint dm_dirty_log_type_register(struct dm_dirty_log_type *type)\n{');
  if (after === before) throw new Error('dm-log.c changed: register function not found');
  return { before, after, patch: githubPatch(DM_LOG, before, after) };
}

export function contentsAnswer(path: string, text: string, sha = '3b18e512dba79e4c8300dd08aeb37f8e728b8dad'): AnyObj {
  return {
    type: 'file',
    encoding: 'base64',
    size: Buffer.byteLength(text),
    name: path.split('/').pop(),
    path,
    content: Buffer.from(text).toString('base64').replace(/.{60}/g, '$&\n'),
    sha,
    url: `${API}/repos/${OWNER}/${REPO}/contents/${path}`,
  };
}

export function finding(o: Partial<Finding> & Pick<Finding, 'file' | 'line'>): Finding {
  return {
    rule: 'module-init-eexist',
    severity: 'error',
    confidence: 'high',
    function: 'dm_dirty_log_type_register',
    message: 'dm_dirty_log_type_register() returns -EEXIST, which reaches module_init (dm_dirty_log_init): modprobe reports "already loaded" instead of the failure',
    evidence: ['drivers/md/dm-log.c:124 dm_dirty_log_type_register() returns -EEXIST', 'drivers/md/dm-log.c:895 dm_dirty_log_init() returns it', 'drivers/md/dm-log.c:914 module_init(dm_dirty_log_init)'],
    precedents: [{ commit: '54416fd76770', subject: 'netfilter: conntrack: helper: Replace -EEXIST by -EBUSY' }],
    fingerprint: 'a1b2c3d4e5f60718',
    key: 'return:-EEXIST',
    patch: 1,
    where: 'added',
    ...o,
  };
}

// ------------------------------------------------------------------------------ nock recording

export interface Recorded {
  method: string;
  path: string;
  body: any;
}

/** A nock scope for the GitHub API that records every request body it matches. */
export function github(recorded: Recorded[]): nock.Scope {
  const scope = nock(API);
  scope.on('request', (req, _interceptor, body) => {
    recorded.push({ method: req.method, path: req.path, body: body ? JSON.parse(body) : undefined });
  });
  return scope;
}

export function tokenExchange(scope: nock.Scope): nock.Scope {
  return scope.post(`/app/installations/${INSTALLATION}/access_tokens`).reply(201, {
    token: 'ghs_test',
    expires_at: '2099-01-01T00:00:00Z',
    permissions: { checks: 'write', pull_requests: 'write', contents: 'read', metadata: 'read' },
  });
}

export const repoPath = `/repos/${OWNER}/${REPO}`;
export const configPath = `${repoPath}/contents/.github%2Fmodreview.yml?ref=${DEFAULT_BRANCH}`;

export function noConfig(scope: nock.Scope): nock.Scope {
  return scope.get(configPath).reply(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/repos/contents#get-repository-content' });
}

/** What GitHub says modreview already posted on PR `n` (read before posting a review): `comments`, `reviews`. */
export function existing(scope: nock.Scope, o: { comments?: object[]; reviews?: object[]; n?: number } = {}): nock.Scope {
  const n = o.n ?? 2;
  return scope
    .get(`${repoPath}/pulls/${n}/comments?per_page=100`)
    .reply(200, o.comments ?? [])
    .get(`${repoPath}/pulls/${n}/reviews?per_page=100`)
    .reply(200, o.reviews ?? []);
}

/**
 * What a review of PR 2 with one changed file asks GitHub, answered as GitHub does: the check run
 * opened, the PR's files, the base blob, the PR, what modreview posted before, the review posted
 * (its comments read back as GitHub numbers them), the check run completed.
 */
export function onePrReview(scope: nock.Scope, recorded: Recorded[], o: { file: string; patch: string; before: string; pr: object }): nock.Scope {
  scope.post(`${repoPath}/check-runs`).reply(201, { id: 1 });
  scope.get(`${repoPath}/pulls/2/files?per_page=100`).reply(200, [fileEntry(o.file, 'modified', o.patch)]);
  scope.get(`${repoPath}/contents/${o.file.replace(/\//g, '%2F')}?ref=${BASE_SHA}`).reply(200, contentsAnswer(o.file, o.before));
  scope.get(`${repoPath}/pulls/2`).reply(200, o.pr);
  existing(scope);
  scope.post(`${repoPath}/pulls/2/reviews`).reply(200, { id: 2 });
  scope.get(`${repoPath}/pulls/2/reviews/2/comments?per_page=100`).reply(200, () => {
    const review = recorded.find((r) => r.path.endsWith('/pulls/2/reviews'))!.body;
    return review.comments.map((c: { body: string }, i: number) => ({ id: 100 + i, body: c.body }));
  });
  return scope.patch(`${repoPath}/check-runs/1`).reply(200, {});
}

/**
 * GitHub's answer to `POST /repos/{owner}/{repo}/check-runs` (201), as documented for the REST
 * API: the run with its `html_url` (the page the status page links to).
 */
export function checkRunAnswer(id: number, headSha: string, o: { name?: string } = {}): AnyObj {
  return {
    id,
    head_sha: headSha,
    node_id: `CR_kwDOB${id}`,
    external_id: '',
    url: `${API}/repos/${OWNER}/${REPO}/check-runs/${id}`,
    html_url: `https://github.com/${OWNER}/${REPO}/runs/${id}`,
    details_url: `https://github.com/${OWNER}/${REPO}/runs/${id}`,
    status: 'in_progress',
    conclusion: null,
    started_at: '2026-12-05T10:00:00Z',
    completed_at: null,
    output: { title: null, summary: null, text: null, annotations_count: 0, annotations_url: `${API}/repos/${OWNER}/${REPO}/check-runs/${id}/annotations` },
    name: o.name ?? 'modreview',
    check_suite: { id: 5 },
    app: { id: APP_ID, slug: 'modreview', name: 'modreview' },
    pull_requests: [],
  };
}

/** GitHub's answer to `GET /repos/{owner}/{repo}/pulls/{n}` (the fields a review reads, and the links). */
export function pullAnswer(n: number, o: { head?: string; base?: string; title?: string; state?: string; draft?: boolean } = {}): AnyObj {
  return {
    url: `${API}/repos/${OWNER}/${REPO}/pulls/${n}`,
    id: 1000 + n,
    html_url: `https://github.com/${OWNER}/${REPO}/pull/${n}`,
    number: n,
    state: o.state ?? 'open',
    locked: false,
    title: o.title ?? 'dm log: return -EEXIST for a duplicate log type',
    user: { login: 'a-developer', id: 1, type: 'User' },
    body: 'Signed-off-by: A Developer <dev@example.org>',
    draft: o.draft ?? false,
    head: { label: `a-developer:topic-${n}`, ref: `topic-${n}`, sha: o.head ?? HEAD1 },
    base: { label: `${OWNER}:${DEFAULT_BRANCH}`, ref: DEFAULT_BRANCH, sha: o.base ?? BASE_SHA },
  };
}
