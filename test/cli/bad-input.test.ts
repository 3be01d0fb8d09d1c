// Inputs a reviewer's tooling will sooner or later feed the CLI: nothing, garbage, a mailbox cut
// off mid-hunk, a binary diff, a missing file, a typo in an option. Each is either a clean report
// (exit 0) or exit 2 with one line on stderr — never a stack trace. Real child processes, so the
// exit status and streams are what a shell sees.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnCli, type CliRun } from './run.js';

const example = (name: string) => new URL(`../../examples/${name}`, import.meta.url).pathname;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'modreview-badinput-'));
});

function expectOneLineError(r: CliRun, pattern: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |Error:/);
}

function expectCleanReport(r: CliRun): void {
  expect(r.code).toBe(0);
  expect(r.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(1);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toMatch(/^total: 0 errors, 0 warnings, 0 notes;/m);
}

describe('modreview review on bad input', () => {
  it('empty standard input: exit 2, one line', async () => {
    expectOneLineError(await spawnCli(['review', '-'], ''), /^modreview: empty input: no mail, mbox or diff to read$/);
  });

  it('random bytes: exit 2, one line', async () => {
    // Fixed bytes (not Math.random) so a failure can be replayed: a xorshift stream.
    const buf = Buffer.alloc(4096);
    let x = 0x2545f491;
    for (let i = 0; i < buf.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      buf[i] = x & 0xff;
    }
    const file = join(dir, 'random.bin');
    writeFileSync(file, buf);
    expectOneLineError(await spawnCli(['review', file]), /^modreview: input has no mail headers and no diff: not a patch, mail or mbox$/);
  });

  it('an mbox cut off inside a hunk: a clean report that says it is truncated', async () => {
    const mbox = readFileSync(example('series-v2.mbox'), 'latin1');
    const cut = mbox.slice(0, mbox.indexOf('@@', mbox.indexOf('@@') + 2) + 200);
    const file = join(dir, 'truncated.mbox');
    writeFileSync(file, cut, 'latin1');
    const r = await spawnCli(['review', file]);
    expectCleanReport(r);
    expect(r.stdout).toMatch(/note: the input looks truncated: the message ends inside a hunk/);
  });

  it('a git binary patch: a clean report listing the file as skipped', async () => {
    const diff = [
      'diff --git a/firmware/dm-test.bin b/firmware/dm-test.bin',
      'index 1234567..89abcde 100644',
      'GIT binary patch',
      'literal 4',
      'LcmZ?d00001',
      '',
      'literal 0',
      'KcmV+b0RR6000031',
      '',
      '',
    ].join('\n');
    const r = await spawnCli(['review', '-'], diff);
    expectCleanReport(r);
    expect(r.stdout).toContain('skipped: firmware/dm-test.bin: binary diff');
  });

  it('"Binary files differ" in JSON: skipped with its reason, no findings', async () => {
    const diff = 'diff --git a/drivers/md/dm.o b/drivers/md/dm.o\nindex 1234567..89abcde 100644\nBinary files a/drivers/md/dm.o and b/drivers/md/dm.o differ\n';
    const r = await spawnCli(['review', '--format', 'json', '-'], diff);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { findings: unknown[]; skipped: { file: string; reason: string }[] };
    expect(j.findings).toEqual([]);
    expect(j.skipped).toEqual([{ file: 'drivers/md/dm.o', reason: 'binary diff', patch: 1 }]);
  });

  it('usage mistakes: missing file, a directory, an unknown format, an unknown rule id, a tree that is not there, an index path outside the tree', async () => {
    const patch = example('dm-log-comment.patch');
    const [missing, isDir, format, rule, tree, indexPath] = await Promise.all([
      spawnCli(['review', join(dir, 'nope.patch')]),
      spawnCli(['review', dir]),
      spawnCli(['review', '--format', 'xml', patch]),
      spawnCli(['review', '--rules', 'nosuch-rule', patch]),
      spawnCli(['review', '--tree', join(dir, 'no-tree'), patch]),
      spawnCli(['review', '--tree', dir, '--db', join(dir, 'index.sqlite'), '--index-path', 'drivers/nope', patch]),
    ]);
    expectOneLineError(missing!, /^modreview: cannot read .*nope\.patch: no such file$/);
    expectOneLineError(isDir!, /is a directory, not a patch, mail or mbox$/);
    expectOneLineError(format!, /argument 'xml' is invalid\. Allowed choices are text, json, sarif\.$/);
    expectOneLineError(rule!, /^modreview: unknown rule id 'nosuch-rule' \(see 'modreview rules'\)$/);
    expectOneLineError(tree!, /^modreview: --tree: not a directory: /);
    expectOneLineError(indexPath!, /^modreview: --index-path: not a file or directory inside .*: drivers\/nope$/);
  });
});
