// A suggested fix as GitHub shows it, with the REAL engine on Linux 6.12's drivers/char/ppdev.c: a
// PR dropping `.owner = THIS_MODULE` from pp_fops gets an inline comment spanning the initialiser's
// first line and the place of the removed line, with a ```suggestion block that puts the line
// back (GitHub offers it as one click). Payloads are shaped as GitHub sends and takes them.
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReviewFn } from '../../src/engine/api.js';
import { BASE_SHA, HEAD1, configPath, github, githubPatch, harness, onePrReview, prPayload, tokenExchange, type Recorded } from './helpers.js';
import { fingerprintsIn } from '../../src/report/github.js';
import { kernelFile } from '../helpers/kernel.js';

const PPDEV = 'drivers/char/ppdev.c';
const prGet = { number: 2, state: 'open', draft: false, title: 'ppdev: tidy', body: null, head: { sha: HEAD1 }, base: { sha: BASE_SHA } };

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

describe('GitHub: a verified fix as a suggestion', () => {
  it('ops-missing-owner on ppdev.c: a multi-line inline comment whose ```suggestion restores .owner = THIS_MODULE', async () => {
    const real = ((await import('../../src/engine/review.js')) as { reviewSubmission: ReviewFn }).reviewSubmission;
    const before = kernelFile(PPDEV);
    const lines = before.split('\n');
    const init = lines.indexOf('static const struct file_operations pp_fops = {');
    expect(lines[init + 1]).toBe('\t.owner\t\t= THIS_MODULE,');
    const after = [...lines.slice(0, init + 1), ...lines.slice(init + 2)].join('\n');

    const h = await harness(real);
    const rec: Recorded[] = [];
    const api = github(rec);
    tokenExchange(api);
    api.get(configPath).reply(404, { message: 'Not Found' });
    onePrReview(api, rec, { file: PPDEV, patch: githubPatch(PPDEV, before, after), before: before, pr: prGet });
    await h.deliver('pull_request', prPayload('opened'));

    const review = rec.find((r) => r.method === 'POST' && r.path.endsWith('/pulls/2/reviews'))!.body;
    const owner = review.comments.filter((c: { body: string }) => c.body.includes('`ops-missing-owner`'));
    expect(owner).toHaveLength(1);
    // post-image: the initialiser at init + 1 (1-based); the removed line stood before the next one.
    expect(owner[0]).toEqual({ path: PPDEV, start_line: init + 1, start_side: 'RIGHT', line: init + 2, side: 'RIGHT', body: expect.any(String) });
    const body: string = owner[0].body;
    expect(body).toContain(['```suggestion', 'static const struct file_operations pp_fops = {', '\t.owner\t\t= THIS_MODULE,', lines[init + 2], '```'].join('\n'));
    expect(body).toContain('Suggested fix (modreview reviewed the file again with it: this finding is gone): keep .owner = THIS_MODULE in pp_fops');
    // The fingerprint marker stays the comment's last line.
    expect(fingerprintsIn(body)).toHaveLength(1);
    expect(body.trimEnd().split('\n').pop()).toMatch(/^<!-- modreview:fp:/);
  });
});
