// Pure parts: configuration validation, PR file entries → FileDiff, line mapping across commits,
// anchors and payload limits of the GitHub report.
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, ignoredBy, parseConfig } from '../../src/github/config.js';
import { convertFiles, fileDiffOf } from '../../src/github/pr.js';
import { forwardLine } from '../../src/github/lines.js';
import { parseUnifiedDiff } from '../../src/diff/parse.js';
import {
  SUMMARY_LIMIT,
  annotationsFor,
  batches,
  checkRunCompletion,
  checkRunSummary,
  commentableLines,
  conclusionFor,
  fingerprintsIn,
  outdatedBody,
  planReview,
  type Placed,
} from '../../src/report/github.js';
import { DM_LOG, dmLogEexist, fileEntry, finding, githubPatch } from './helpers.js';
import { kernelFile } from '../helpers/kernel.js';

describe('config', () => {
  it('defaults, valid values, exact problems', () => {
    expect(parseConfig('')).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG).toEqual({ fail_on: 'error', review: 'whole', paths_ignore: [], drafts: false, filter: 'added', max_inline_comments: 30 });
    expect(parseConfig('rules:\n  enable: [module-init-eexist]\ndrafts: true\n')).toMatchObject({ rules: { enable: ['module-init-eexist'] }, drafts: true });
    const problems = (text: string) => {
      try {
        parseConfig(text);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).problems;
      }
      return [];
    };
    expect(problems('review: [whole')).toEqual([expect.stringMatching(/^not valid YAML: /)]);
    expect(problems('max_inline_comments: 50\nrules:\n  disable: [Bad_Rule]\n  enabled: []')).toEqual([
      'rules.disable[0]: a rule id is lower-case letters, digits and dashes',
      "unknown key 'enabled' in rules",
      'max_inline_comments: Too big: expected number to be <=30',
    ]);
    expect(problems('- a\n- b')).toEqual(['(top level): Invalid input: expected object, received array']);
    expect(ignoredBy(parseConfig('paths_ignore: ["Documentation/**", "tools/**"]'))('Documentation/x/y.rst')).toBe(true);
    expect(ignoredBy(DEFAULT_CONFIG)('Documentation/x')).toBe(false);
  });
});

describe('PR file entries → FileDiff', () => {
  const dm = dmLogEexist();
  it('modified, added, removed, renamed, truncated, binary', () => {
    const mod = fileDiffOf(fileEntry(DM_LOG, 'modified', dm.patch)).file!;
    expect(mod).toMatchObject({ oldPath: DM_LOG, newPath: DM_LOG, status: 'modified', problems: [] });
    // The same FileDiff as git's own diff of the file would give.
    const full = parseUnifiedDiff(`diff --git a/${DM_LOG} b/${DM_LOG}\n--- a/${DM_LOG}\n+++ b/${DM_LOG}\n${dm.patch}\n`)[0]!;
    expect(mod.hunks).toEqual(full.hunks);

    const text = kernelFile('drivers/md/dm-log.c').split('\n').slice(0, 5).join('\n') + '\n';
    const added = fileDiffOf(fileEntry('drivers/md/dm-new.c', 'added', githubPatch('drivers/md/dm-new.c', '', text))).file!;
    expect(added).toMatchObject({ oldPath: null, newPath: 'drivers/md/dm-new.c', status: 'added' });
    expect(added.hunks[0]!.lines.every((l) => l.kind === 'add')).toBe(true);
    const removed = fileDiffOf(fileEntry('drivers/md/dm-old.c', 'removed', githubPatch('drivers/md/dm-old.c', text, ''))).file!;
    expect(removed).toMatchObject({ oldPath: 'drivers/md/dm-old.c', newPath: null, status: 'deleted' });
    const renamed = fileDiffOf(fileEntry('drivers/md/dm-log2.c', 'renamed', dm.patch, { previous_filename: DM_LOG })).file!;
    expect(renamed).toMatchObject({ oldPath: DM_LOG, newPath: 'drivers/md/dm-log2.c', status: 'renamed' });
    const pureRename = fileDiffOf(fileEntry('drivers/md/x.c', 'renamed', undefined, { previous_filename: 'drivers/md/y.c', changes: 0 }));
    expect(pureRename).toMatchObject({ truncated: false, file: { status: 'renamed', hunks: [] } });

    const conv = convertFiles([
      fileEntry(DM_LOG, 'modified', dm.patch),
      fileEntry('drivers/md/huge.c', 'modified', undefined, { changes: 20000 }),
      fileEntry('Documentation/foo.rst', 'modified', '@@ -1 +1 @@\n-a\n+b'),
    ], (p) => p.startsWith('Documentation/'));
    expect(conv.files.map((f) => f.newPath)).toEqual([DM_LOG]);
    expect(conv.truncated).toEqual(['drivers/md/huge.c']);
  });
});

describe('forwardLine', () => {
  it('follows a line through later hunks, null when the later commit removes it', () => {
    const before = Array.from({ length: 40 }, (_, i) => `l${i + 1}`).join('\n') + '\n';
    // Insert 2 lines after l5, delete l20, change l30.
    const lines = before.trimEnd().split('\n');
    const after = [...lines.slice(0, 5), 'n1', 'n2', ...lines.slice(5, 19), ...lines.slice(20, 29), 'L30', ...lines.slice(30)].join('\n') + '\n';
    const d = parseUnifiedDiff(`--- a/f.c\n+++ b/f.c\n${githubPatch('f.c', before, after, 1)}\n`)[0]!;
    const post = after.split('\n');
    expect(forwardLine(3, d)).toBe(3);
    expect(forwardLine(6, d)).toBe(8);
    expect(post[8 - 1]).toBe('l6');
    expect(forwardLine(20, d)).toBeNull();
    expect(forwardLine(21, d)).toBe(post.indexOf('l21') + 1);
    expect(forwardLine(30, d)).toBeNull();
    expect(forwardLine(40, d)).toBe(post.indexOf('l40') + 1);
  });
});

describe('GitHub report', () => {
  const dm = dmLogEexist();
  const files = [fileDiffOf(fileEntry(DM_LOG, 'modified', dm.patch)).file!];
  const anchors = commentableLines(files);
  const placed = (line: number | null, o: Parameters<typeof finding>[0] extends infer T ? Partial<T> : never = {}): Placed => ({
    finding: finding({ file: DM_LOG, line: line ?? 1, ...o }),
    path: DM_LOG,
    line,
    inFilter: true,
  });

  it('anchors only on lines the diff shows (RIGHT side), others to the body', () => {
    expect([...anchors.get(DM_LOG)!]).toEqual([dm.line - 3, dm.line - 2, dm.line - 1, dm.line, dm.line + 1, dm.line + 2, dm.line + 3]);
    const plan = planReview({
      headSha: 'a'.repeat(40),
      placed: [placed(dm.line, { fingerprint: 'f1' }), placed(dm.line + 50, { fingerprint: 'f2' }), placed(null, { fingerprint: 'f3' }), placed(dm.line + 1, { fingerprint: 'f4', where: 'outside' })].map((p) =>
        p.finding.fingerprint === 'f4' ? { ...p, inFilter: false } : p,
      ),
      anchors,
    });
    expect(plan.payload.comments.map((c) => [c.line, c.side, fingerprintsIn(c.body)])).toEqual([[dm.line, 'RIGHT', ['f1']]]);
    expect(plan.inBody.map((p) => p.finding.fingerprint)).toEqual(['f2', 'f3', 'f4']);
    expect(fingerprintsIn(plan.payload.body)).toEqual(['f2', 'f3', 'f4']);
  });

  it('conclusion thresholds', () => {
    expect(conclusionFor([], 'error')).toBe('success');
    expect(conclusionFor([{ severity: 'warning' }], 'error')).toBe('neutral');
    expect(conclusionFor([{ severity: 'error' }], 'error')).toBe('failure');
    expect(conclusionFor([{ severity: 'note' }], 'note')).toBe('failure');
    expect(conclusionFor([{ severity: 'error' }], 'never')).toBe('neutral');
  });

  it('summary stays under 65,535 characters with thousands of findings; annotations in 50s', () => {
    const many = Array.from({ length: 3000 }, (_, i) => placed(i + 1, { fingerprint: `x${i}`, message: `m${i} `.repeat(20) }));
    const s = checkRunSummary({ headSha: 'b'.repeat(40), placed: many, conclusion: 'failure', mode: 'whole', failOn: 'error' });
    expect(s.length).toBeLessThan(SUMMARY_LIMIT);
    expect(s).toMatch(/… and \d+ more findings \(see the annotations\)\.$/);
    expect(batches(annotationsFor(many)).map((b) => b.length)).toEqual([...Array(60).fill(50)]);
    const upd = checkRunCompletion({ headSha: 'b'.repeat(40), placed: many, conclusion: 'failure', mode: 'whole', failOn: 'error' });
    expect(upd).toHaveLength(60);
    expect(upd[0]).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(upd.slice(1).every((u) => !('status' in u) && u.output.annotations!.length === 50)).toBe(true);
  });

  it('an outdated comment keeps the original and is marked once', () => {
    const b = outdatedBody('orig <!-- modreview:fp:f1 -->', 'c'.repeat(40));
    expect(b).toContain('**Outdated:**');
    expect(b).toContain('orig <!-- modreview:fp:f1 -->');
    expect(outdatedBody(b, 'd'.repeat(40))).toBe(b);
  });
});

describe('app.yml', () => {
  it('is the manifest the issue asks for', async () => {
    const { readFileSync } = await import('node:fs');
    const { parse } = await import('yaml');
    const m = parse(readFileSync(new URL('../../app.yml', import.meta.url), 'utf8'));
    expect(m.name).toBe('modreview');
    expect(typeof m.description).toBe('string');
    expect(m.url).toMatch(/^https:\/\//);
    expect(m.hook_attributes.url).toMatch(/\/api\/github\/webhooks$/);
    expect(m.default_events).toEqual(['pull_request', 'check_run', 'check_suite']);
    expect(m.default_permissions).toEqual({ pull_requests: 'write', checks: 'write', contents: 'read', metadata: 'read' });
  });
});

describe('PrQueue', () => {
  it('runs one job at a time per PR, collapses waiting jobs to the latest, runs PRs in parallel', async () => {
    const { PrQueue } = await import('../../src/github/queue.js');
    const q = new PrQueue();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let running = 0;
    let maxRunning = 0;
    const job = (name: string, wait?: Promise<void>) => async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      log.push(`start ${name}`);
      if (wait) await wait;
      log.push(`end ${name}`);
      running--;
    };
    q.push('o/r#1', job('A', gate));
    q.push('o/r#2', job('X'));
    await new Promise((r) => setTimeout(r, 10));
    q.push('o/r#1', job('B'));
    q.push('o/r#1', job('C'));
    expect(log).toEqual(['start A', 'start X', 'end X']);
    release();
    await q.idle();
    expect(log).toEqual(['start A', 'start X', 'end X', 'end A', 'start C', 'end C']);
    expect(q.size).toBe(0);
    // A failing job is reported and does not block the lane.
    const errors: string[] = [];
    const q2 = new PrQueue((e, k) => errors.push(`${k}: ${(e as Error).message}`));
    q2.push('k', async () => {
      throw new Error('boom');
    });
    await q2.idle();
    q2.push('k', job('after'));
    await q2.idle();
    expect(errors).toEqual(['k: boom']);
    expect(log.at(-1)).toBe('end after');
    expect(maxRunning).toBe(2);
  });
});
