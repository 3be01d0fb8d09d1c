// Serving the GitHub App in a test: GitHub (nock) answering one review of PR #2 as its REST API
// does, a signed webhook delivery, the App's environment.
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import nock from 'nock';
import { expect } from 'vitest';
import {
  BASE_SHA,
  DM_LOG,
  HEAD1,
  checkRunAnswer,
  contentsAnswer,
  dmLogEexist,
  existing,
  fileEntry,
  github,
  noConfig,
  prPayload,
  privateKey,
  pullAnswer,
  repoPath,
  testOctokit,
  tokenExchange,
  type Recorded,
} from '../github/helpers.js';

const SECRET = 'serve-status-secret';
/** A PR title an attacker would choose. */
export const HOSTILE_TITLE = '<script>alert("pwned")</script> dm log: return -EEXIST & <b>more</b>';

/** GitHub answering one review of PR #2 (dm-log.c -EBUSY → -EEXIST) as its REST API does; the check run is `runId`. */
export function answerOneReview(api: nock.Scope, rec: Recorded[], runId: number, title: string): void {
  const dm = dmLogEexist();
  tokenExchange(api);
  noConfig(api);
  api.post(`${repoPath}/check-runs`).reply(201, checkRunAnswer(runId, HEAD1));
  api.get(`${repoPath}/pulls/2/files?per_page=100`).reply(200, [fileEntry(DM_LOG, 'modified', dm.patch)]);
  api.get(`${repoPath}/contents/${DM_LOG.replace(/\//g, '%2F')}?ref=${BASE_SHA}`).reply(200, contentsAnswer(DM_LOG, dm.before));
  api.get(`${repoPath}/pulls/2`).reply(200, pullAnswer(2, { title }));
  existing(api);
  api.post(`${repoPath}/pulls/2/reviews`).reply(200, { id: 2, node_id: 'PRR_kwDOA', state: 'COMMENTED', html_url: `https://github.com/kernel-mirror/linux/pull/2#pullrequestreview-2`, commit_id: HEAD1 });
  api.get(`${repoPath}/pulls/2/reviews/2/comments?per_page=100`).reply(200, () => {
    const review = rec.find((r) => r.path.endsWith('/pulls/2/reviews'))!.body;
    return review.comments.map((c: { body: string }, i: number) => ({ id: 100 + i, pull_request_review_id: 2, body: c.body }));
  });
  api.patch(`${repoPath}/check-runs/${runId}`).reply(200, { ...checkRunAnswer(runId, HEAD1), status: 'completed', conclusion: 'failure' });
}

/** POST a pull_request webhook, signed, to the App's port. */
export async function deliverPr(port: number, title: string, id = 'serve-status-1'): Promise<void> {
  const body = JSON.stringify(prPayload('opened', { title }));
  const r = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': id, 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` },
  });
  expect(r.status).toBe(200);
}

export function appEnv(dir: string, ghPort: number): NodeJS.ProcessEnv {
  return { APP_ID: '123', PRIVATE_KEY: privateKey(), WEBHOOK_SECRET: SECRET, PORT: String(ghPort), HOST: '127.0.0.1', LOG_LEVEL: 'silent', MODREVIEW_DB: join(dir, 'github.sqlite') };
}

