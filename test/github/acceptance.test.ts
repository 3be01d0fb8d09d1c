// Acceptance with the REAL review engine: a PR whose patch makes drivers/md/dm-log.c (Linux 6.12)
// return -EEXIST for a duplicate registration — reached from module_init(dm_dirty_log_init) —
// gets a failing check run and one inline comment on that line citing 54416fd76770; a
// comment-only change gets a success check run and nothing else; re-delivery changes nothing.
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReviewFn } from '../../src/engine/api.js';
import { BASE_SHA, DM_LOG, HEAD1, configPath, contentsAnswer, dmLogComment, dmLogEexist, fileEntry, github, harness, noConfig, onePrReview, prPayload, repoPath, tokenExchange, existing, type Recorded } from './helpers.js';
import { fingerprintsIn } from '../../src/report/github.js';

let real: ReviewFn | undefined;
let why = '';
try {
  real = ((await import('../../src/engine/review.js')) as { reviewSubmission: ReviewFn }).reviewSubmission;
} catch (e) {
  why = e instanceof Error ? e.message.split('\n')[0]! : String(e);
}

let unmatched: string[] = [];
beforeAll(() => {
  nock.disableNetConnect();
  nock.emitter.on('no match', (req: { method?: string; path?: string }) => unmatched.push(`${req.method} ${req.path}`));
});
afterEach(() => {
  expect(unmatched).toEqual([]);
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
  unmatched = [];
});

const filesPath = `${repoPath}/pulls/2/files?per_page=100`;
const basePath = `${repoPath}/contents/${DM_LOG.replace(/\//g, '%2F')}?ref=${BASE_SHA}`;
const prGet = { number: 2, state: 'open', draft: false, title: 't', body: null, head: { sha: HEAD1 }, base: { sha: BASE_SHA } };

describe('GitHub App with the real engine', () => {
  it('the engine loads', () => {
    expect(why).toBe('');
    expect(real).toBeDefined();
  });

  it('dm-log.c -EBUSY → -EEXIST: failing check run, one inline comment on that line with precedent 54416fd76770', async () => {
    const dm = dmLogEexist();
    const h = await harness(real!);
    const rec: Recorded[] = [];
    const api = github(rec);
    tokenExchange(api);
    noConfig(api);
    onePrReview(api, rec, { file: DM_LOG, patch: dm.patch, before: dm.before, pr: prGet });
    await h.deliver('pull_request', prPayload('opened'));

    const review = rec.find((r) => r.method === 'POST' && r.path.endsWith('/pulls/2/reviews'))!.body;
    const eexist = review.comments.filter((c: { body: string }) => c.body.includes('`module-init-eexist` (error)'));
    expect(eexist).toHaveLength(1);
    expect(eexist[0]).toMatchObject({ path: DM_LOG, line: dm.line, side: 'RIGHT' });
    expect(eexist[0].body).toContain('[54416fd76770](https://git.kernel.org/linus/54416fd76770) ("netfilter: conntrack: helper: Replace -EEXIST by -EBUSY")');
    expect(fingerprintsIn(eexist[0].body)).toHaveLength(1);
    const done = rec.find((r) => r.method === 'PATCH')!.body;
    expect(done.status).toBe('completed');
    expect(done.conclusion).toBe('failure');
    expect(done.output.summary).toContain(`- \`${DM_LOG}\`: git-blob (${DM_LOG} at ${BASE_SHA.slice(0, 12)} (GitHub contents API))`);
    expect(done.output.annotations).toContainEqual(expect.objectContaining({ path: DM_LOG, start_line: dm.line, annotation_level: 'failure' }));

    // Re-delivery of the same event: nothing new.
    const rec2: Recorded[] = [];
    github(rec2);
    const id = 'acceptance-redelivery';
    await h.deliver('pull_request', prPayload('synchronize'), id);
    await h.deliver('pull_request', prPayload('synchronize'), id);
    expect(rec2).toEqual([]);
  });

  it('a comment-only change: success check run, no review', async () => {
    const dm = dmLogComment();
    const h = await harness(real!);
    const rec: Recorded[] = [];
    const api = github(rec);
    tokenExchange(api);
    api.get(configPath).reply(404, { message: 'Not Found' });
    api.post(`${repoPath}/check-runs`).reply(201, { id: 1 });
    api.get(filesPath).reply(200, [fileEntry(DM_LOG, 'modified', dm.patch)]);
    api.get(basePath).reply(200, contentsAnswer(DM_LOG, dm.before));
    api.get(`${repoPath}/pulls/2`).reply(200, prGet);
    api.patch(`${repoPath}/check-runs/1`).reply(200, {});
    await h.deliver('pull_request', prPayload('opened'));
    expect(rec.some((r) => r.path.includes('/reviews'))).toBe(false);
    const done = rec.find((r) => r.method === 'PATCH')!.body;
    expect(done).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: 'No module-lifecycle findings' } });
  });
});
