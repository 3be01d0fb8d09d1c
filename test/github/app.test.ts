// The probot app against a nock-mocked GitHub API: every request body is asserted.
import nock from 'nock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  checkSuiteRerequestedPayload,
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
  existing,
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
    existing(api);
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
      `GET ${repoPath}/pulls/2/comments?per_page=100`,
      `GET ${repoPath}/pulls/2/reviews?per_page=100`,
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

/** Mocks for one full review run of PR 2 at `head`, with a config answer and no findings-dependent calls. */
function standardRun(api: nock.Scope, o: { head: string; files: object[]; pre?: Record<string, string>; checkRunId?: number; config?: string }) {
  tokenExchange(api);
  if (o.config === undefined) noConfig(api);
  else api.get(configPath).reply(200, contentsAnswer('.github/modreview.yml', o.config));
  api.post(`${repoPath}/check-runs`).reply(201, { id: o.checkRunId ?? 9001 });
  api.get(filesPath()).reply(200, o.files);
  for (const [path, text] of Object.entries(o.pre ?? {})) api.get(basePath(path)).reply(200, contentsAnswer(path, text));
  api.get(`${repoPath}/pulls/2`).reply(200, prGet(o.head));
}

const bodiesOf = (rec: Recorded[], method: string, path: string) => rec.filter((r) => r.method === method && r.path === path).map((r) => r.body);

describe('clean pull request', () => {
  it('gets a success check run and no review, no comment', async () => {
    const dm = dmLogComment();
    const h = await harness(() => []);
    const rec: Recorded[] = [];
    const api = github(rec);
    standardRun(api, { head: HEAD1, files: [fileEntry(DM_LOG, 'modified', dm.patch)], pre: { [DM_LOG]: dm.before } });
    api.patch(`${repoPath}/check-runs/9001`).reply(200, {});
    await h.deliver('pull_request', prPayload('opened'));
    expect(rec.filter((r) => r.path.includes('/reviews') || r.path.includes('/comments'))).toEqual([]);
    expect(bodiesOf(rec, 'PATCH', `${repoPath}/check-runs/9001`)).toEqual([
      {
        status: 'completed',
        conclusion: 'success',
        output: {
          title: 'No module-lifecycle findings',
          summary: `modreview reviewed the whole pull request at \`${HEAD1.slice(0, 12)}\`.\n\nNo module-lifecycle findings.`,
        },
      },
    ]);
  });
});

describe('many findings', () => {
  it('batches annotations 50 per request and caps inline comments at 30, the rest in the body', async () => {
    const dm = dmLogEexist();
    const total = dm.before.split('\n').length;
    // 120 findings on 120 distinct lines; the first 40 sit on lines of the diff hunk (context or added).
    const hunkLines = [dm.line - 3, dm.line - 2, dm.line - 1, dm.line, dm.line + 1, dm.line + 2, dm.line + 3];
    const findings = Array.from({ length: 120 }, (_, i) =>
      finding({
        file: DM_LOG,
        line: i < hunkLines.length ? hunkLines[i]! : 10 + i * 5,
        severity: i % 2 ? 'warning' : 'error',
        fingerprint: `fp${String(i).padStart(4, '0')}`,
        key: `k${i}`,
        where: i < 100 ? 'added' : 'outside',
      }),
    );
    expect(10 + 119 * 5).toBeLessThan(total);
    const h = await harness(() => findings);
    const rec: Recorded[] = [];
    const api = github(rec);
    standardRun(api, { head: HEAD1, files: [fileEntry(DM_LOG, 'modified', dm.patch)], pre: { [DM_LOG]: dm.before } });
    existing(api);
    api.post(`${repoPath}/pulls/2/reviews`).reply(200, { id: 7001 });
    api.get(`${repoPath}/pulls/2/reviews/7001/comments?per_page=100`).reply(200, []);
    api.patch(`${repoPath}/check-runs/9001`).times(3).reply(200, {});
    await h.deliver('pull_request', prPayload('opened'));

    const updates = bodiesOf(rec, 'PATCH', `${repoPath}/check-runs/9001`);
    expect(updates.map((u) => [u.status, u.conclusion, u.output.annotations.length])).toEqual([
      ['completed', 'failure', 50],
      [undefined, undefined, 50],
      [undefined, undefined, 20],
    ]);
    const allAnn = updates.flatMap((u) => u.output.annotations);
    expect(allAnn).toHaveLength(120);
    expect(allAnn.filter((a: { annotation_level: string }) => a.annotation_level === 'failure')).toHaveLength(60);
    expect(updates[0].output.title).toBe('60 errors, 60 warnings');
    expect(updates[0].output.summary.length).toBeLessThan(65535);
    for (const u of updates) expect(u.output.summary).toBe(updates[0].output.summary);

    const [review] = bodiesOf(rec, 'POST', `${repoPath}/pulls/2/reviews`);
    // Only 7 findings sit on lines of the diff: those are inline, all others go to the body.
    expect(review.comments.map((c: { line: number }) => c.line)).toEqual(hunkLines);
    for (const c of review.comments) expect(c.side).toBe('RIGHT');
    expect(review.body).toContain('found 120 module-lifecycle issues');
    expect((review.body.match(/<!-- modreview:fp:/g) ?? []).length).toBe(113);
  });

  it('never puts more than 30 inline comments in one review', async () => {
    // A new file of 200 lines: every line is an added line, all anchorable.
    const text = Array.from({ length: 200 }, (_, i) => `int x${i};`).join('\n') + '\n';
    const patch = `@@ -0,0 +1,200 @@\n${text.trimEnd().split('\n').map((l) => `+${l}`).join('\n')}`;
    const findings = Array.from({ length: 45 }, (_, i) => finding({ file: 'drivers/misc/new.c', line: i + 1, fingerprint: `n${i}`, key: `n${i}` }));
    const h = await harness(() => findings);
    const rec: Recorded[] = [];
    const api = github(rec);
    standardRun(api, { head: HEAD1, files: [fileEntry('drivers/misc/new.c', 'added', patch)] });
    existing(api);
    api.post(`${repoPath}/pulls/2/reviews`).reply(200, { id: 7001 });
    api.get(`${repoPath}/pulls/2/reviews/7001/comments?per_page=100`).reply(200, []);
    api.patch(`${repoPath}/check-runs/9001`).reply(200, {});
    await h.deliver('pull_request', prPayload('opened'));
    const [review] = bodiesOf(rec, 'POST', `${repoPath}/pulls/2/reviews`);
    expect(review.comments).toHaveLength(30);
    expect(review.comments.map((c: { line: number }) => c.line)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect((review.body.match(/<!-- modreview:fp:/g) ?? []).length).toBe(15);
    expect(h.calls[0]!.patches[0]!.files[0]!.status).toBe('added');
  });
});

describe('422 from the review endpoint', () => {
  it('retries once without inline comments, every finding in the body', async () => {
    const dm = dmLogEexist();
    const h = await harness(() => [finding({ file: DM_LOG, line: dm.line })]);
    const rec: Recorded[] = [];
    const api = github(rec);
    standardRun(api, { head: HEAD1, files: [fileEntry(DM_LOG, 'modified', dm.patch)], pre: { [DM_LOG]: dm.before } });
    existing(api);
    api.post(`${repoPath}/pulls/2/reviews`).reply(422, { message: 'Unprocessable Entity', errors: ['Line could not be resolved'] });
    api.post(`${repoPath}/pulls/2/reviews`).reply(200, { id: 7002 });
    api.patch(`${repoPath}/check-runs/9001`).reply(200, {});
    await h.deliver('pull_request', prPayload('opened'));
    const [first, second] = bodiesOf(rec, 'POST', `${repoPath}/pulls/2/reviews`);
    expect(first.comments).toHaveLength(1);
    expect(second.comments).toEqual([]);
    expect(second.commit_id).toBe(HEAD1);
    expect(second.event).toBe('COMMENT');
    expect(second.body).toContain('### Findings');
    expect(second.body).toContain(`\`${DM_LOG}:${dm.line}\``);
    expect(second.body).toContain('<!-- modreview:fp:a1b2c3d4e5f60718 -->');
    expect(h.logs.text()).toMatch(/GitHub rejected the request \(422\).*retrying with every finding in the review body/);
    expect(h.store.posted('kernel-mirror/linux', 2).map((r) => [r.fingerprint, r.commentId, r.reviewId])).toEqual([['a1b2c3d4e5f60718', null, 7002]]);
  });
});

describe('synchronize', () => {
  it('fixes one finding and adds another: the old comment is marked outdated, only the new one is posted', async () => {
    const dm = dmLogEexist();
    const A = finding({ file: DM_LOG, line: dm.line, fingerprint: 'aaaaaaaaaaaaaaaa' });
    const B = finding({ file: DM_LOG, line: dm.line + 1, rule: 'init-error-unwind', severity: 'warning', fingerprint: 'bbbbbbbbbbbbbbbb', message: 'a new problem', precedents: [] });
    let current = [A];
    const h = await harness(() => current);

    const rec1: Recorded[] = [];
    const api1 = github(rec1);
    standardRun(api1, { head: HEAD1, files: [fileEntry(DM_LOG, 'modified', dm.patch)], pre: { [DM_LOG]: dm.before } });
    existing(api1);
    api1.post(`${repoPath}/pulls/2/reviews`).reply(200, { id: 7001 });
    api1.get(`${repoPath}/pulls/2/reviews/7001/comments?per_page=100`).reply(200, [{ id: 5001, body: `...\n${fingerprintMarker('aaaaaaaaaaaaaaaa')}` }]);
    api1.patch(`${repoPath}/check-runs/9001`).reply(200, {});
    await h.deliver('pull_request', prPayload('opened'));
    const firstComment = bodiesOf(rec1, 'POST', `${repoPath}/pulls/2/reviews`)[0].comments[0].body;

    // The new head: A is gone, B is new (A's line is now changed to a line B is on).
    current = [B];
    const rec2: Recorded[] = [];
    const api2 = github(rec2);
    api2.get(configPath).reply(404, { message: 'Not Found' });
    api2.post(`${repoPath}/check-runs`).reply(201, { id: 9002 });
    api2.get(filesPath()).reply(200, [fileEntry(DM_LOG, 'modified', dm.patch)]);
    api2.get(basePath(DM_LOG)).reply(200, contentsAnswer(DM_LOG, dm.before));
    api2.get(`${repoPath}/pulls/2`).reply(200, prGet(HEAD2));
    api2.patch(`${repoPath}/pulls/comments/5001`).reply(200, {});
    existing(api2);
    api2.post(`${repoPath}/pulls/2/reviews`).reply(200, { id: 7002 });
    api2.get(`${repoPath}/pulls/2/reviews/7002/comments?per_page=100`).reply(200, [{ id: 5002, body: `...\n${fingerprintMarker('bbbbbbbbbbbbbbbb')}` }]);
    api2.patch(`${repoPath}/check-runs/9002`).reply(200, {});
    await h.deliver('pull_request', prPayload('synchronize', { head: HEAD2 }));

    expect(rec2.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${configPath}`,
      `POST ${repoPath}/check-runs`,
      `GET ${filesPath()}`,
      `GET ${basePath(DM_LOG)}`,
      `GET ${repoPath}/pulls/2`,
      `PATCH ${repoPath}/pulls/comments/5001`,
      `GET ${repoPath}/pulls/2/comments?per_page=100`,
      `GET ${repoPath}/pulls/2/reviews?per_page=100`,
      `POST ${repoPath}/pulls/2/reviews`,
      `GET ${repoPath}/pulls/2/reviews/7002/comments?per_page=100`,
      `PATCH ${repoPath}/check-runs/9002`,
    ]);
    const edit = bodiesOf(rec2, 'PATCH', `${repoPath}/pulls/comments/5001`)[0];
    expect(edit.body).toMatch(/^<!-- modreview:outdated -->\*\*Outdated:\*\* modreview no longer reports this at `34c5c7793cb3`\./);
    expect(edit.body).toContain(firstComment);
    const review2 = bodiesOf(rec2, 'POST', `${repoPath}/pulls/2/reviews`)[0];
    expect(review2.commit_id).toBe(HEAD2);
    expect(review2.comments).toHaveLength(1);
    expect(review2.comments[0]).toMatchObject({ path: DM_LOG, line: dm.line + 1, side: 'RIGHT' });
    expect(review2.comments[0].body).toContain('<!-- modreview:fp:bbbbbbbbbbbbbbbb -->');
    expect(review2.body).not.toContain('aaaaaaaaaaaaaaaa');
    const done = bodiesOf(rec2, 'PATCH', `${repoPath}/check-runs/9002`)[0];
    expect(done.conclusion).toBe('neutral');
    expect(done.output.summary).toContain('**Resolved since the last review** (1):');
    expect(done.output.summary).toContain(`- \`module-init-eexist\` at \`${DM_LOG}:${dm.line}\``);
    expect(h.store.posted('kernel-mirror/linux', 2).map((r) => [r.fingerprint, r.commentId, r.state])).toEqual([
      ['aaaaaaaaaaaaaaaa', 5001, 'outdated'],
      ['bbbbbbbbbbbbbbbb', 5002, 'open'],
    ]);

    // A third head that still has B: B is not posted again (no review at all), check run still neutral.
    const rec3: Recorded[] = [];
    const api3 = github(rec3);
    api3.get(configPath).reply(404, { message: 'Not Found' });
    api3.post(`${repoPath}/check-runs`).reply(201, { id: 9003 });
    api3.get(filesPath()).reply(200, [fileEntry(DM_LOG, 'modified', dm.patch)]);
    api3.get(basePath(DM_LOG)).reply(200, contentsAnswer(DM_LOG, dm.before));
    api3.get(`${repoPath}/pulls/2`).reply(200, prGet('5555555555555555555555555555555555555555'));
    api3.patch(`${repoPath}/check-runs/9003`).reply(200, {});
    await h.deliver('pull_request', prPayload('synchronize', { head: '5555555555555555555555555555555555555555' }));
    expect(rec3.some((r) => r.path.includes('/reviews') || r.path.includes('/comments'))).toBe(false);
    expect(bodiesOf(rec3, 'PATCH', `${repoPath}/check-runs/9003`)[0].conclusion).toBe('neutral');
  });
});

describe('configuration', () => {
  it('bad config on the default branch: a neutral check run says exactly what is wrong, nothing else', async () => {
    const h = await harness(() => []);
    const rec: Recorded[] = [];
    const api = github(rec);
    tokenExchange(api);
    api.get(configPath).reply(200, contentsAnswer('.github/modreview.yml', 'fail_on: errors\nreview: whole\npath_ignore: [Documentation/**]\n'));
    api.post(`${repoPath}/check-runs`).reply(201, { id: 9001 });
    await h.deliver('pull_request', prPayload('opened'));
    expect(h.calls).toEqual([]);
    const [cr] = bodiesOf(rec, 'POST', `${repoPath}/check-runs`);
    expect(cr).toEqual({
      name: 'modreview',
      head_sha: HEAD1,
      status: 'completed',
      conclusion: 'neutral',
      output: {
        title: 'Invalid .github/modreview.yml',
        summary: [
          `modreview did not review \`${HEAD1.slice(0, 12)}\`: its configuration \`.github/modreview.yml\` on the default branch (\`master\`) is not valid.`,
          '',
          '- fail_on: Invalid option: expected one of "error"|"warning"|"note"|"never"',
          "- unknown key 'path_ignore'",
          '',
          'Fix the file on the default branch; the next push to this pull request (or a re-run of this check) reviews it.',
        ].join('\n'),
      },
    });
  });

  it('valid config: per-commit review, ignored paths, rules switched off, drafts', async () => {
    const dm = dmLogEexist();
    const config = 'review: per-commit\npaths_ignore: ["Documentation/**"]\nrules:\n  disable: [ops-missing-owner]\nfail_on: warning\n';
    const seen: unknown[] = [];
    const h = await harness(async (s, o) => {
      seen.push({ rules: o.rules, ignore: o.ignore });
      for (const p of s.patches) for (const f of p.files) if (f.oldPath) await o.images!.preImage(f, p);
      // The finding of commit 1 on the -EEXIST line; commit 2 inserts 2 lines above it.
      return { findings: [finding({ file: DM_LOG, line: dm.line, patch: 1, commit: 'c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1', severity: 'warning' })], skipped: [], images: [], notes: [] };
    });
    // Commit 2 adds two comment lines at the top of the file.
    const after2 = `/* one */\n/* two */\n${dm.after}`;
    const patch2 = `@@ -1,3 +1,5 @@\n+/* one */\n+/* two */\n${dm.after.split('\n').slice(0, 3).map((l) => ` ${l}`).join('\n')}`;
    const wholePatch = (await import('./helpers.js')).githubPatch(DM_LOG, dm.before, after2);
    const rec: Recorded[] = [];
    const api = github(rec);
    tokenExchange(api);
    api.get(configPath).reply(200, contentsAnswer('.github/modreview.yml', config));
    api.post(`${repoPath}/check-runs`).reply(201, { id: 9001 });
    api.get(filesPath()).reply(200, [fileEntry(DM_LOG, 'modified', wholePatch), fileEntry('Documentation/admin-guide/device-mapper/dm-log.rst', 'modified', '@@ -1 +1 @@\n-a\n+b')]);
    api.get(`${repoPath}/pulls/2/commits?per_page=100`).reply(200, [
      { sha: 'c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1', parents: [{ sha: BASE_SHA }], commit: { message: 'dm log: return -EEXIST\n\nbody', author: { name: 'A Developer', email: 'dev@example.org' } } },
      { sha: 'c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2', parents: [{ sha: 'c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1' }], commit: { message: 'dm log: comments', author: { name: 'A Developer', email: 'dev@example.org' } } },
    ]);
    api.get(`${repoPath}/commits/c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1`).reply(200, { sha: 'c1', files: [fileEntry(DM_LOG, 'modified', dm.patch)] });
    api.get(`${repoPath}/commits/c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2`).reply(200, { sha: 'c2', files: [fileEntry(DM_LOG, 'modified', patch2)] });
    api.get(basePath(DM_LOG, BASE_SHA)).reply(200, contentsAnswer(DM_LOG, dm.before));
    api.get(basePath(DM_LOG, 'c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1')).reply(200, contentsAnswer(DM_LOG, dm.after));
    api.get(`${repoPath}/pulls/2`).reply(200, prGet(HEAD1));
    existing(api);
    api.post(`${repoPath}/pulls/2/reviews`).reply(200, { id: 7001 });
    api.get(`${repoPath}/pulls/2/reviews/7001/comments?per_page=100`).reply(200, []);
    api.patch(`${repoPath}/check-runs/9001`).reply(200, {});
    await h.deliver('pull_request', prPayload('opened'));

    expect(seen).toEqual([{ rules: undefined, ignore: ['ops-missing-owner'] }]);
    const sub = h.calls[0]!;
    expect(sub.patches.map((p) => [p.commit, p.subject, p.files.map((f) => f.newPath)])).toEqual([
      ['c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1', 'dm log: return -EEXIST', [DM_LOG]],
      ['c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2', 'dm log: comments', [DM_LOG]],
    ]);
    const [review] = bodiesOf(rec, 'POST', `${repoPath}/pulls/2/reviews`);
    // Commit 2 moved the line down by two: the comment sits where the line is on the head.
    expect(review.comments).toHaveLength(1);
    expect(review.comments[0]).toMatchObject({ path: DM_LOG, line: dm.line + 2, side: 'RIGHT' });
    expect(review.comments[0].body).toContain('Introduced by c1c1c1c1c1c1 ("dm log: return -EEXIST").');
    const [done] = bodiesOf(rec, 'PATCH', `${repoPath}/check-runs/9001`);
    expect(done.conclusion).toBe('failure'); // fail_on: warning
    expect(done.output.annotations[0].start_line).toBe(dm.line + 2);
    expect(done.output.summary).toContain('each commit of the pull request');
  });

  it('skips drafts unless configured', async () => {
    const h = await harness(() => []);
    const rec: Recorded[] = [];
    const api = github(rec);
    tokenExchange(api);
    noConfig(api);
    await h.deliver('pull_request', prPayload('opened', { draft: true }));
    expect(rec.map((r) => r.method + ' ' + r.path)).toEqual(['POST /app/installations/2311213/access_tokens', `GET ${configPath}`]);
    expect(h.logs.text()).toContain('draft pull request; not reviewed');
  });
});

describe('stale head and re-runs', () => {
  it('drops the results when the head moved during the review (check run cancelled, no review)', async () => {
    const dm = dmLogEexist();
    const h = await harness(() => [finding({ file: DM_LOG, line: dm.line })]);
    const rec: Recorded[] = [];
    const api = github(rec);
    standardRun(api, { head: HEAD2, files: [fileEntry(DM_LOG, 'modified', dm.patch)], pre: { [DM_LOG]: dm.before } });
    api.patch(`${repoPath}/check-runs/9001`).reply(200, {});
    await h.deliver('pull_request', prPayload('opened', { head: HEAD1 }));
    expect(rec.some((r) => r.path.includes('/reviews'))).toBe(false);
    const [u] = bodiesOf(rec, 'PATCH', `${repoPath}/check-runs/9001`);
    expect(u).toMatchObject({ status: 'completed', conclusion: 'cancelled', output: { title: 'Superseded' } });
    expect(h.store.reviewed('kernel-mirror/linux', 2, HEAD1)).toBeUndefined();
  });

  it('check_run rerequested reviews again, without re-posting what is already there', async () => {
    const dm = dmLogEexist();
    const h = await harness(() => [finding({ file: DM_LOG, line: dm.line })]);
    h.store.recordPosted('kernel-mirror/linux', 2, [{ fingerprint: 'a1b2c3d4e5f60718', rule: 'module-init-eexist', commentId: 5001, reviewId: 7001, headSha: HEAD1, path: DM_LOG, line: dm.line, body: 'x' }]);
    h.store.recordReview('kernel-mirror/linux', 2, HEAD1, 9001, 'failure', 1);
    const rec: Recorded[] = [];
    const api = github(rec);
    tokenExchange(api);
    api.get(`${repoPath}/pulls/2`).reply(200, prGet(HEAD1));
    noConfig(api);
    api.post(`${repoPath}/check-runs`).reply(201, { id: 9010 });
    api.get(filesPath()).reply(200, [fileEntry(DM_LOG, 'modified', dm.patch)]);
    api.get(basePath(DM_LOG)).reply(200, contentsAnswer(DM_LOG, dm.before));
    api.get(`${repoPath}/pulls/2`).reply(200, prGet(HEAD1));
    api.patch(`${repoPath}/check-runs/9010`).reply(200, {});
    await h.deliver('check_run', checkRunRerequestedPayload());
    expect(rec.some((r) => r.path.includes('/reviews'))).toBe(false);
    expect(bodiesOf(rec, 'PATCH', `${repoPath}/check-runs/9010`)[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
    // Another app's check run being re-run is none of our business.
    const rec2: Recorded[] = [];
    github(rec2);
    await h.deliver('check_run', checkRunRerequestedPayload({ name: 'ci/build' }));
    expect(rec2).toEqual([]);
  });
});

describe('permission and availability errors', () => {
  it('403 creating the check run (fork without write access): a clear log line, no crash', async () => {
    const h = await harness(() => []);
    const api = github([]);
    tokenExchange(api);
    noConfig(api);
    api.post(`${repoPath}/check-runs`).reply(403, { message: 'Resource not accessible by integration' });
    await h.deliver('pull_request', prPayload('opened'));
    expect(h.logs.text()).toContain('permission denied (403) (POST /repos/kernel-mirror/linux/check-runs)');
    expect(h.logs.text()).toContain('Resource not accessible by integration');
  });

  it('404 listing files (app uninstalled meanwhile): the check run says so, the server lives on', async () => {
    const h = await harness(() => []);
    const rec: Recorded[] = [];
    const api = github(rec);
    tokenExchange(api);
    noConfig(api);
    api.post(`${repoPath}/check-runs`).reply(201, { id: 9001 });
    api.get(filesPath()).reply(404, { message: 'Not Found' });
    api.patch(`${repoPath}/check-runs/9001`).reply(200, {});
    await h.deliver('pull_request', prPayload('opened'));
    const [u] = bodiesOf(rec, 'PATCH', `${repoPath}/check-runs/9001`);
    expect(u.conclusion).toBe('neutral');
    expect(u.output.summary).toContain('not found (404)');
    expect(h.logs.text()).toContain('not found (404) (GET /repos/kernel-mirror/linux/pulls/2/files?per_page=100): the app was uninstalled');
  });

  it('429 and secondary rate limits are logged with retry-after', async () => {
    const h = await harness(() => []);
    const api = github([]);
    tokenExchange(api);
    api.get(configPath).reply(403, { message: 'You have exceeded a secondary rate limit' }, { 'retry-after': '60' });
    await h.deliver('pull_request', prPayload('opened'));
    expect(h.logs.text()).toContain('rate limited by GitHub (403, retry-after 60s)');
    const h2 = await harness(() => []);
    const api2 = github([]);
    tokenExchange(api2);
    api2.get(configPath).reply(429, { message: 'Too Many Requests' }, { 'retry-after': '5' });
    await h2.deliver('pull_request', prPayload('opened', { number: 2 }));
    expect(h2.logs.text()).toContain('rate limited by GitHub (429, retry-after 5s)');
  });
});

describe('large pull requests', () => {
  it('files GitHub truncated (no patch) are named in the check run and the review; the rest is reviewed; >1 MB pre-images come from the blob API', async () => {
    const dm = dmLogEexist();
    const h = await harness(() => [finding({ file: DM_LOG, line: dm.line })]);
    const rec: Recorded[] = [];
    const api = github(rec);
    tokenExchange(api);
    noConfig(api);
    api.post(`${repoPath}/check-runs`).reply(201, { id: 9001 });
    // Two pages of files: the list-files endpoint is paginated with a Link header.
    const page2 = `${repoPath}/pulls/2/files?per_page=100&page=2`;
    api.get(filesPath()).reply(200, [fileEntry(DM_LOG, 'modified', dm.patch)], { link: `<https://api.github.com${page2}>; rel="next", <https://api.github.com${page2}>; rel="last"` });
    api.get(page2).reply(200, [fileEntry('drivers/gpu/drm/amd/include/asic_reg/nbio/nbio_7_4_sh_mask.h', 'modified', undefined, { additions: 40000, changes: 40000 })]);
    // dm-log.c pretends to be over 1 MB: the contents API answers without content.
    api.get(basePath(DM_LOG)).reply(200, { type: 'file', encoding: 'none', size: 1_200_000, content: '', path: DM_LOG, sha: '0123456789abcdef0123456789abcdef01234567' });
    api.get(`${repoPath}/git/blobs/0123456789abcdef0123456789abcdef01234567`).reply(200, { sha: '0123456789abcdef0123456789abcdef01234567', encoding: 'base64', size: dm.before.length, content: Buffer.from(dm.before).toString('base64') });
    api.get(`${repoPath}/pulls/2`).reply(200, prGet(HEAD1));
    existing(api);
    api.post(`${repoPath}/pulls/2/reviews`).reply(200, { id: 7001 });
    api.get(`${repoPath}/pulls/2/reviews/7001/comments?per_page=100`).reply(200, []);
    api.patch(`${repoPath}/check-runs/9001`).reply(200, {});
    await h.deliver('pull_request', prPayload('opened'));

    expect(h.preImages).toEqual([dm.before]);
    expect(h.calls[0]!.patches[0]!.files.map((f) => f.newPath)).toEqual([DM_LOG]);
    const [review] = bodiesOf(rec, 'POST', `${repoPath}/pulls/2/reviews`);
    expect(review.body).toContain('GitHub truncated the diff of 1 file (`drivers/gpu/drm/amd/include/asic_reg/nbio/nbio_7_4_sh_mask.h`); it was not reviewed.');
    const [done] = bodiesOf(rec, 'PATCH', `${repoPath}/check-runs/9001`);
    expect(done.output.summary).toContain("**Not reviewed: 1 file whose diff GitHub truncated** (no `patch` in the API answer); the rest was reviewed:\n- `drivers/gpu/drm/amd/include/asic_reg/nbio/nbio_7_4_sh_mask.h`");
    expect(h.logs.text()).toContain('GitHub truncated the diff of 1 file(s)');
  });
});

describe('base branch moved on', () => {
  it('reads the pre-image at the merge base when the file at the base SHA does not take the patch', async () => {
    const dm = dmLogEexist();
    const h = await harness(() => []);
    const rec: Recorded[] = [];
    const api = github(rec);
    const MB = '7777777777777777777777777777777777777777';
    tokenExchange(api);
    noConfig(api);
    api.post(`${repoPath}/check-runs`).reply(201, { id: 9001 });
    api.get(filesPath()).reply(200, [fileEntry(DM_LOG, 'modified', dm.patch)]);
    // Upstream changed the very lines of the hunk since the PR branched off.
    api.get(basePath(DM_LOG)).reply(200, contentsAnswer(DM_LOG, dm.before.replace('\t\tr = -EBUSY;', '\t\tr = -EBUSY; /* upstream */')));
    api.get(`${repoPath}/compare/${BASE_SHA}...${HEAD1}?per_page=1`).reply(200, { merge_base_commit: { sha: MB }, files: [] });
    api.get(basePath(DM_LOG, MB)).reply(200, contentsAnswer(DM_LOG, dm.before));
    api.get(`${repoPath}/pulls/2`).reply(200, prGet(HEAD1));
    api.patch(`${repoPath}/check-runs/9001`).reply(200, {});
    await h.deliver('pull_request', prPayload('opened'));
    expect(h.preImages).toEqual([dm.before]);
  });
});

describe('check_suite rerequested from a fork', () => {
  it('finds the PR by its head commit (fork suites list no pull requests) and reviews it again', async () => {
    const h = await harness(() => []);
    const rec: Recorded[] = [];
    const api = github(rec);
    tokenExchange(api);
    api.get(`${repoPath}/commits/${HEAD1}/pulls`).reply(200, [
      { number: 2, state: 'open', head: { sha: HEAD1 } },
      { number: 3, state: 'closed', head: { sha: HEAD1 } },
    ]);
    api.get(`${repoPath}/pulls/2`).reply(200, { ...prGet(HEAD1), draft: true });
    noConfig(api);
    await h.deliver('check_suite', checkSuiteRerequestedPayload());
    expect(rec.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /app/installations/2311213/access_tokens',
      `GET ${repoPath}/commits/${HEAD1}/pulls`,
      `GET ${repoPath}/pulls/2`,
      `GET ${configPath}`,
    ]);
    expect(h.logs.text()).toContain('kernel-mirror/linux#2: draft pull request; not reviewed');
  });
});

describe('state file lost or restored from an old backup', () => {
  it('reads back what modreview posted on GitHub and posts nothing twice', async () => {
    const dm = dmLogEexist();
    const A = finding({ file: DM_LOG, line: dm.line, fingerprint: 'aaaaaaaaaaaaaaaa' });
    const B = finding({ file: DM_LOG, line: 900, fingerprint: 'bbbbbbbbbbbbbbbb', where: 'outside' });
    const C = finding({ file: DM_LOG, line: dm.line + 1, fingerprint: 'cccccccccccccccc' });
    const h = await harness(() => [A, B, C]);
    const rec: Recorded[] = [];
    const api = github(rec);
    standardRun(api, { head: HEAD1, files: [fileEntry(DM_LOG, 'modified', dm.patch)], pre: { [DM_LOG]: dm.before } });
    existing(api, {
      // A is on GitHub as an inline comment; C's old comment was marked outdated (so C is new again).
      comments: [
        { id: 5001, pull_request_review_id: 7000, body: `x\n${fingerprintMarker('aaaaaaaaaaaaaaaa')}` },
        { id: 5003, pull_request_review_id: 7000, body: `<!-- modreview:outdated -->**Outdated:** ...\n${fingerprintMarker('cccccccccccccccc')}` },
      ],
      // B went into an earlier review's body.
      reviews: [{ id: 7000, body: `**modreview** found ...\n${fingerprintMarker('bbbbbbbbbbbbbbbb')}` }],
    });
    api.post(`${repoPath}/pulls/2/reviews`).reply(200, { id: 7001 });
    api.get(`${repoPath}/pulls/2/reviews/7001/comments?per_page=100`).reply(200, [{ id: 5004, body: fingerprintMarker('cccccccccccccccc') }]);
    api.patch(`${repoPath}/check-runs/9001`).reply(200, {});
    await h.deliver('pull_request', prPayload('opened'));
    const [review] = bodiesOf(rec, 'POST', `${repoPath}/pulls/2/reviews`);
    expect(review.comments.map((c: { body: string }) => c.body.match(/fp:(\w+)/)![1])).toEqual(['cccccccccccccccc']);
    expect(review.body).not.toContain('aaaaaaaaaaaaaaaa');
    expect(review.body).not.toContain('bbbbbbbbbbbbbbbb');
    expect(h.store.posted('kernel-mirror/linux', 2).map((r) => [r.fingerprint, r.commentId, r.reviewId])).toEqual([
      ['aaaaaaaaaaaaaaaa', 5001, 7000],
      ['bbbbbbbbbbbbbbbb', null, 7000],
      ['cccccccccccccccc', 5004, 7001],
    ]);
    // The check run still reports all three.
    expect(bodiesOf(rec, 'PATCH', `${repoPath}/check-runs/9001`)[0].output.title).toBe('3 errors');
  });
});
