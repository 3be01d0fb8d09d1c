// `modreview serve` with the GitHub App (APP_ID), in this process so that nock plays GitHub: a
// signed pull_request webhook POSTed to the App's port is reviewed by the real engine (dm-log.c
// returning -EEXIST), and the status page lists the review — repository#number, the PR's title
// (a hostile one, rendered as text), the conclusion, the findings and a link to the check run
// GitHub answered with (its html_url). /metrics counts the review; the 404 for the absent
// .github/modreview.yml is an answer, not an API error.
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type RunningServe } from '../../src/commands/serve.js';
import { GithubStore } from '../../src/store/github.js';
import { closedPort, until } from '../queue/redis.js';
import { HEAD1, HEAD2, github, repoPath, testOctokit, type Recorded } from '../github/helpers.js';
import { cleanup, scratch } from '../lore/helpers.js';
import { parseExposition } from './exposition.js';
import { HOSTILE_TITLE, answerOneReview, appEnv, deliverPr } from './github.js';

let unmatched: string[] = [];
const onNoMatch = (req: { method?: string; path?: string; hostname?: string }) => {
  if (req.hostname !== '127.0.0.1') unmatched.push(`${req.method} ${req.path}`);
};
beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  nock.emitter.on('no match', onNoMatch);
});
afterEach(() => {
  expect(unmatched).toEqual([]);
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
  unmatched = [];
});
afterAll(() => {
  nock.emitter.off('no match', onNoMatch);
  nock.enableNetConnect();
});

describe('modreview serve with the GitHub App: GitHub reviews on the status page', () => {
  let dir: string;
  let serve: RunningServe | undefined;
  beforeAll(() => {
    dir = scratch('modreview-serve-github-');
  });
  afterAll(async () => {
    await serve?.close();
    cleanup(dir);
  });

  it('a reviewed PR is listed with its title as text and a link to its check run; /metrics counts it', async () => {
    const ghPort = await closedPort();
    serve = await startServe({ host: '127.0.0.1', port: 0, log_level: 'silent' }, appEnv(dir, ghPort), { Octokit: testOctokit() });
    const base = `http://127.0.0.1:${serve.port}`;
    const before = await (await fetch(`${base}/`)).text();
    expect(before).toContain('<h2>Recent GitHub reviews</h2>\n<p>None yet.</p>');

    const rec: Recorded[] = [];
    answerOneReview(github(rec), rec, 4242, HOSTILE_TITLE);
    await deliverPr(ghPort, HOSTILE_TITLE);
    const page = await until('the review on the status page', async () => {
      const p = await (await fetch(`${base}/`)).text();
      return p.includes('recent-github-reviews') ? p : undefined;
    }, 60_000);
    // Exactly one check run opened, one review posted, the check run completed.
    expect(rec.filter((r) => r.method === 'POST' && r.path === `${repoPath}/check-runs`)).toHaveLength(1);
    expect(rec.filter((r) => r.method === 'POST' && r.path === `${repoPath}/pulls/2/reviews`)).toHaveLength(1);
    expect(rec.find((r) => r.method === 'PATCH')!.body).toMatchObject({ status: 'completed', conclusion: 'failure' });

    const row = /<table id="recent-github-reviews">.*?<tbody>(<tr>.*?<\/tr>)<\/tbody>/s.exec(page)![1]!;
    const cells = [...row.matchAll(/<td>(.*?)<\/td>/g)].map((m) => m[1]);
    expect(cells.slice(1)).toEqual([
      'kernel-mirror/linux#2',
      '&#60;script&#62;alert(&#34;pwned&#34;)&#60;/script&#62; dm log: return -EEXIST &#38; &#60;b&#62;more&#60;/b&#62;',
      HEAD1.slice(0, 12),
      'failure',
      '1',
      '<a href="https://github.com/kernel-mirror/linux/runs/4242">check run 4242</a>',
    ]);
    expect(Date.parse(cells[0]!)).toBeGreaterThan(Date.now() - 120_000);
    // The title is text: no element of it reaches the page.
    expect(page).not.toMatch(/<script|<b>/i);

    const m = parseExposition(await (await fetch(`${base}/metrics`)).text());
    expect(m.get('modreview_reviews_total{source="github",outcome="findings"}')).toBe(1);
    expect(m.get('modreview_findings_total{source="github",rule="module-init-eexist"}')).toBe(1);
    // The config file's 404 is an answer (no .github/modreview.yml), not an API error.
    expect([...m.keys()].filter((k) => k.startsWith('modreview_github_api_errors_total'))).toEqual([]);
  }, 120_000);

  it('what the store holds is rendered as text: a non-http check-run URL is no link, markup in a title is escaped', async () => {
    // Another process sharing MODREVIEW_DB (a worker on this host) records two reviews.
    const store = GithubStore.open(appEnv(dir, 0).MODREVIEW_DB);
    try {
      store.recordReview('kernel-mirror/linux', 7, HEAD2, 77, 'success', 0, { title: '</td></tr></table><img src=x onerror=alert(1)>', checkRunUrl: 'javascript:alert(1)' });
      store.recordReview('kernel-mirror/linux', 8, HEAD2, null, 'config-error', 0, {});
    } finally {
      store.close();
    }
    const page = await (await fetch(`http://127.0.0.1:${serve!.port}/`)).text();
    const rows = [.../<table id="recent-github-reviews">.*?<tbody>(.*?)<\/tbody>/s.exec(page)![1]!.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td>(.*?)<\/td>/g)].map((c) => c[1]));
    expect(rows.map((r) => r.slice(1))).toEqual([
      ['kernel-mirror/linux#8', '', HEAD2.slice(0, 12), 'config-error', '0', ''],
      ['kernel-mirror/linux#7', '&#60;/td&#62;&#60;/tr&#62;&#60;/table&#62;&#60;img src=x onerror=alert(1)&#62;', HEAD2.slice(0, 12), 'success', '0', 'check run 77'],
      ['kernel-mirror/linux#2', expect.stringContaining('&#60;script&#62;'), HEAD1.slice(0, 12), 'failure', '1', '<a href="https://github.com/kernel-mirror/linux/runs/4242">check run 4242</a>'],
    ]);
    expect(page).not.toContain('javascript:');
    expect(page).not.toMatch(/<img|<script/i);
  });
});
