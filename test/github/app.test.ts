// The probot app against a nock-mocked GitHub API: every request body is asserted.
import nock from 'nock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BASE_SHA,
  DM_LOG,
  HEAD1,
  HEAD2,
  checkRunRerequestedPayload,
  configPath,
  contentsAnswer,
  dmLogComment,
  dmLogEexist,
  fileEntry,
  finding,
  github,
  harness,
  noConfig,
  prPayload,
  repoPath,
  tokenExchange,
  type Recorded,
} from './helpers.js';
import { fingerprintMarker } from '../../src/report/github.js';

let unmatched: string[] = [];
beforeAll(() => {
  nock.disableNetConnect();
  nock.emitter.on('no match', (req: { method?: string; path?: string; options?: { path?: string } }) => {
    unmatched.push(`${req.method} ${req.path ?? req.options?.path}`);
  });
});
beforeEach(() => {
  unmatched = [];
  nock.cleanAll();
});
afterEach(() => {
  expect(unmatched).toEqual([]);
  expect(nock.pendingMocks()).toEqual([]);
});

const filesPath = (n = 2) => `${repoPath}/pulls/${n}/files?per_page=100`;
const basePath = (path: string, ref = BASE_SHA) => `${repoPath}/contents/${path.replace(/\//g, '%2F')}?ref=${ref}`;
const prGet = (head: string, n = 2) => ({
  number: n,
  state: 'open',
  draft: false,
  title: 'dm log: return -EEXIST for a duplicate log type',
  body: null,
  head: { sha: head, ref: 'topic' },
  base: { sha: BASE_SHA, ref: 'master' },
});

describe('pull_request with a module_init -EEXIST finding', () => {
  it('creates an in-progress check run, one inline comment on the changed line, a failing check run', async () => {
    const dm = dmLogEexist();
    const h = await harness(() => [finding({ file: DM_LOG, line: dm.line })]);
    const rec: Recorded[] = [];
    const api = github(rec);
    tokenExchange(api);
    noConfig(api);
    api.post(`${repoPath}/check-runs`).reply(201, { id: 9001 });
    api.get(filesPath()).reply(200, [fileEntry(DM_LOG, 'modified', dm.patch)]);
    api.get(basePath(DM_LOG)).reply(200, contentsAnswer(DM_LOG, dm.before));
    api.get(`${repoPath}/pulls/2`).reply(200, prGet(HEAD1));
    api.post(`${repoPath}/pulls/2/reviews`).reply(200, { id: 7001 });
    api.get(`${repoPath}/pulls/2/reviews/7001/comments?per_page=100`).reply(200, [{ id: 5001, body: `x\n${fingerprintMarker('a1b2c3d4e5f60718')}` }]);
    api.patch(`${repoPath}/check-runs/9001`).reply(200, { id: 9001 });

    await h.deliver('pull_request', prPayload('opened'));

    expect(rec.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /app/installations/2311213/access_tokens',
      `GET ${configPath}`,
      `POST ${repoPath}/check-runs`,
      `GET ${filesPath()}`,
      `GET ${basePath(DM_LOG)}`,
      `GET ${repoPath}/pulls/2`,
      `POST ${repoPath}/pulls/2/reviews`,
      `GET ${repoPath}/pulls/2/reviews/7001/comments?per_page=100`,
      `PATCH ${repoPath}/check-runs/9001`,
    ]);
    expect(h.preImages).toEqual([dm.before]);
    const body = (m: string, p: string) => rec.find((r) => r.method === m && r.path === p)!.body;

    expect(body('POST', `${repoPath}/check-runs`)).toEqual({
      name: 'modreview',
      head_sha: HEAD1,
      status: 'in_progress',
      output: { title: 'Reviewing', summary: `modreview is reviewing \`${HEAD1.slice(0, 12)}\` for module-lifecycle bugs.` },
    });

    const review1 = body('POST', `${repoPath}/pulls/2/reviews`);
    expect(review1.commit_id).toBe(HEAD1);
    expect(review1.event).toBe('COMMENT');
    expect(review1.comments).toHaveLength(1);
    const c = review1.comments[0];
    expect({ path: c.path, line: c.line, side: c.side }).toEqual({ path: DM_LOG, line: dm.line, side: 'RIGHT' });
    expect(c.body).toContain('`module-init-eexist` (error)');
    expect(c.body).toContain('returns -EEXIST');
    expect(c.body).toContain('- drivers/md/dm-log.c:914 module_init(dm_dirty_log_init)');
    expect(c.body).toContain('[54416fd76770](https://git.kernel.org/linus/54416fd76770) ("netfilter: conntrack: helper: Replace -EEXIST by -EBUSY")');
    expect(c.body).toContain('<!-- modreview:fp:a1b2c3d4e5f60718 -->');
    expect(review1.body).toContain('found 1 module-lifecycle issue');
    expect(review1.body).toContain('1 commented inline');

    const done = body('PATCH', `${repoPath}/check-runs/9001`);
    expect(done.status).toBe('completed');
    expect(done.conclusion).toBe('failure');
    expect(done.output.title).toBe('1 error');
    expect(done.output.summary).toContain('| error | `module-init-eexist` | `drivers/md/dm-log.c:' + dm.line + '`');
    expect(done.output.annotations).toEqual([
      {
        path: DM_LOG,
        start_line: dm.line,
        end_line: dm.line,
        annotation_level: 'failure',
        title: 'module-init-eexist in dm_dirty_log_type_register()',
        message: expect.stringContaining('returns -EEXIST'),
        raw_details: expect.stringContaining('54416fd76770 ("netfilter: conntrack: helper: Replace -EEXIST by -EBUSY") https://git.kernel.org/linus/54416fd76770'),
      },
    ]);

    // The submission the engine saw: one github Patch with the real file diff.
    expect(h.calls).toHaveLength(1);
    const sub = h.calls[0]!;
    expect(sub.source).toBe('github');
    expect(sub.patches).toHaveLength(1);
    expect(sub.patches[0]!.files[0]!.newPath).toBe(DM_LOG);
    expect(sub.patches[0]!.files[0]!.hunks[0]!.lines.some((l) => l.kind === 'add' && l.text === '\t\tr = -EEXIST;' && l.newLine === dm.line)).toBe(true);
    expect(h.store.posted('kernel-mirror/linux', 2).map((r) => [r.fingerprint, r.commentId, r.state])).toEqual([['a1b2c3d4e5f60718', 5001, 'open']]);

    // Redelivery (same X-GitHub-Delivery): nothing at all happens.
    const id = '11111111-2222-3333-4444-555555555555';
    const rec2: Recorded[] = [];
    github(rec2);
    nock.cleanAll();
    await h.deliver('pull_request', prPayload('reopened'), id);
    expect(rec2).toEqual([]);
    await h.deliver('pull_request', prPayload('reopened'), id);
    expect(rec2).toEqual([]);
    expect(h.logs.text()).toContain(`delivery ${id} (pull_request) already handled; ignored`);
    expect(h.logs.text()).toContain('already reviewed (failure); nothing to do');
    expect(h.calls).toHaveLength(1);
  });
});
