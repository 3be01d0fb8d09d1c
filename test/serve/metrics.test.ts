// src/metrics.ts: the prom-client registry `modreview serve` exposes. A GitHub API error counted
// by status through the Octokit plugin (real Octokit, a local HTTP server answering 404 and 422),
// a wrapped review counted by outcome and rule, and the text parsed back.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { Probot, ProbotOctokit } from 'probot';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReviewFn } from '../../src/engine/api.js';
import type { Finding } from '../../src/engine/types.js';
import type { Submission } from '../../src/ingest/types.js';
import { createMetrics, githubErrorPlugin, instrumentReview } from '../../src/metrics.js';
import { expectStatus } from '../../src/github/octokit.js';
import { API, INSTALLATION, OWNER, REPO, privateKey, testOctokit } from '../github/helpers.js';
import { parseExposition } from './exposition.js';

describe('metrics', () => {
  it('GitHub API errors by status, through the Octokit plugin', async () => {
    const server = createServer((req, res) => {
      const status = req.url?.includes('gone') ? 404 : 422;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'no' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const m = createMetrics();
      const Octokit = testOctokit().plugin(githubErrorPlugin(m));
      const octokit = new Octokit({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, auth: 'x' });
      await expect(octokit.request('GET /repos/{owner}/{repo}', { owner: 'a', repo: 'gone' })).rejects.toMatchObject({ status: 404 });
      await expect(octokit.request('GET /repos/{owner}/{repo}', { owner: 'a', repo: 'gone' })).rejects.toMatchObject({ status: 404 });
      await expect(octokit.request('POST /repos/{owner}/{repo}/check-runs', { owner: 'a', repo: 'b', name: 'x', head_sha: 'y' })).rejects.toMatchObject({ status: 422 });
      const e = parseExposition(await m.registry.metrics());
      expect(e.get('modreview_github_api_errors_total{status="404"}')).toBe(2);
      expect(e.get('modreview_github_api_errors_total{status="422"}')).toBe(1);
    } finally {
      server.close();
    }
  });

  describe('modreview_github_api_errors_total: one count per request that finally failed', () => {
    afterEach(() => {
      nock.cleanAll();
    });
    // probot's Octokit with its retry plugin on (3 retries of a 5xx), waits shortened to ms.
    const retrying = () => ProbotOctokit.defaults((o: Record<string, any>) => ({ ...o, retry: { retryAfterBaseValue: 5 }, throttle: { ...o.throttle, enabled: false } }));

    it('a 500 retried by octokit counts once; a 404 (not retried) once', async () => {
      const m = createMetrics();
      const octokit = new (retrying().plugin(githubErrorPlugin(m)))({ auth: 'ghs_test' });
      let tries = 0;
      const api = nock(API)
        .get(`/repos/${OWNER}/${REPO}/pulls/2`)
        .times(4)
        .reply(() => {
          tries++;
          return [500, { message: 'Server Error' }];
        })
        .get(`/repos/${OWNER}/${REPO}/pulls/3`)
        .reply(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/pulls/pulls#get-a-pull-request', status: '404' });
      await expect(octokit.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: 2 })).rejects.toMatchObject({ status: 500 });
      expect(tries).toBe(4); // the first try and octokit's 3 retries
      await expect(octokit.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: 3 })).rejects.toMatchObject({ status: 404 });
      expect(api.isDone()).toBe(true);
      const e = parseExposition(await m.registry.metrics());
      expect(e.get('modreview_github_api_errors_total{status="500"}')).toBe(1);
      expect(e.get('modreview_github_api_errors_total{status="404"}')).toBe(1);
    });

    it('a 500 that succeeds on retry counts nothing; a 404 the caller expects (expectStatus) counts nothing', async () => {
      const m = createMetrics();
      const octokit = new (retrying().plugin(githubErrorPlugin(m)))({ auth: 'ghs_test' });
      nock(API)
        .get(`/repos/${OWNER}/${REPO}/pulls/2`)
        .reply(502, { message: 'Bad Gateway' })
        .get(`/repos/${OWNER}/${REPO}/pulls/2`)
        .reply(200, { number: 2, state: 'open' })
        .get(`/repos/${OWNER}/${REPO}/contents/.github%2Fmodreview.yml?ref=master`)
        .reply(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/repos/contents#get-repository-content', status: '404' });
      await expect(octokit.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: 2 })).resolves.toMatchObject({ status: 200 });
      await expect(octokit.rest.repos.getContent({ owner: OWNER, repo: REPO, path: '.github/modreview.yml', ref: 'master', ...expectStatus(404) })).rejects.toMatchObject({ status: 404 });
      const e = parseExposition(await m.registry.metrics());
      expect([...e.keys()].filter((k) => k.startsWith('modreview_github_api_errors_total'))).toEqual([]);
    });

    it('an installation token refused (404: the app was uninstalled) counts once, not once more for the request that needed it', async () => {
      const m = createMetrics();
      const probot = new Probot({ appId: 123, privateKey: privateKey(), Octokit: testOctokit().plugin(githubErrorPlugin(m)) });
      nock(API)
        .post(`/app/installations/${INSTALLATION}/access_tokens`)
        .reply(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app', status: '404' });
      const octokit = await probot.auth(INSTALLATION);
      await expect(octokit.rest.pulls.get({ owner: OWNER, repo: REPO, pull_number: 2 })).rejects.toMatchObject({ status: 404 });
      const e = parseExposition(await m.registry.metrics());
      expect(e.get('modreview_github_api_errors_total{status="404"}')).toBe(1);
    });
  });

  it('reviews by source and outcome, findings by rule, latency observed', async () => {
    const m = createMetrics();
    const f = (rule: string) => ({ rule }) as Finding;
    let n = 0;
    const base: ReviewFn = async () => {
      n++;
      if (n === 3) throw new Error('boom');
      return { findings: n === 1 ? [f('module-init-eexist'), f('module-init-eexist'), f('exit-missing-release')] : [], skipped: [], images: [], notes: [] };
    };
    const review = instrumentReview(base, m, 'github');
    const sub = {} as Submission;
    await review(sub, {});
    await review(sub, {});
    await expect(review(sub, {})).rejects.toThrow('boom');
    const e = parseExposition(await m.registry.metrics());
    expect(e.get('modreview_reviews_total{source="github",outcome="findings"}')).toBe(1);
    expect(e.get('modreview_reviews_total{source="github",outcome="clean"}')).toBe(1);
    expect(e.get('modreview_reviews_total{source="github",outcome="failed"}')).toBe(1);
    expect(e.get('modreview_findings_total{source="github",rule="module-init-eexist"}')).toBe(2);
    expect(e.get('modreview_findings_total{source="github",rule="exit-missing-release"}')).toBe(1);
    expect(e.get('modreview_review_duration_seconds_count{source="github"}')).toBe(3);
  });

  it('queue depth and sync lag are read when scraped', async () => {
    let t = 10_000;
    const m = createMetrics({
      now: () => t,
      lastSync: () => [['linux-modules', 4_000]],
      queueCounts: async () => ({ lore: { waiting: 2, active: 1, failed: 3 }, reviews: { waiting: 0 } }),
    });
    let e = parseExposition(await m.registry.metrics());
    expect(e.get('modreview_lore_sync_lag_seconds{inbox="linux-modules"}')).toBe(6);
    expect(e.get('modreview_queue_jobs{queue="lore",state="failed"}')).toBe(3);
    expect(e.get('modreview_queue_jobs{queue="lore",state="waiting"}')).toBe(2);
    expect(e.get('modreview_queue_jobs{queue="reviews",state="waiting"}')).toBe(0);
    t = 12_000;
    e = parseExposition(await m.registry.metrics());
    expect(e.get('modreview_lore_sync_lag_seconds{inbox="linux-modules"}')).toBe(8);
  });
});
