// The review's index freshness check (src/index/fresh.ts) on a synthetic tree, through
// `modreview review` itself: what the quick check sees (files added, removed, in new
// directories; files the patch touches; files whose rows the review used, edited in place) and
// what it documents it does not see (an in-place edit of a file no answer used), which
// `--index-check full` does. The directories are backdated before the first build, as in a tree
// checked out long ago (a directory changed in the last seconds is re-listed anyway: RACY_MS).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { gitDiff } from '../../scripts/accuracy.js';
import { buildIndex } from '../../src/index/build.js';
import { refreshForReview, staleFiles } from '../../src/index/fresh.js';
import type { JsonReport } from '../../src/report/cli.js';
import { openStore } from '../../src/store/db.js';
import { runCli } from '../cli/run.js';
import { CORE, mainC } from '../helpers/foo-module.js';

const tmp = mkdtempSync(join(tmpdir(), 'modreview-fresh-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


let n = 0;
let tree: string;
let db: string;
let patch: string;

const put = (rel: string, text: string) => {
  mkdirSync(join(tree, rel, '..'), { recursive: true });
  writeFileSync(join(tree, rel), text);
};
/** Every directory of the tree an hour old (what a checkout long ago looks like). */
function backdate(dir = tree): void {
  const old = Date.now() / 1000 - 3600;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) backdate(join(dir, e.name));
  utimesSync(dir, old, old);
}
async function index(): Promise<void> {
  const store = openStore(db);
  try {
    await buildIndex(tree, { db: store });
  } finally {
    store.close();
  }
}
async function review(...extra: string[]): Promise<JsonReport & { code: number }> {
  const r = await runCli(['review', '--tree', tree, '--db', db, '--format', 'json', ...extra, patch]);
  expect(r.stderr.replace(/^modreview: indexed .*\n/gm, '')).toBe('');
  return { ...(JSON.parse(r.stdout) as JsonReport), code: r.code };
}
const eexist = (j: JsonReport) => j.findings.filter((f) => f.rule === 'module-init-eexist');

beforeEach(() => {
  tree = join(tmp, `tree${++n}`);
  db = join(tmp, `index${n}.sqlite`);
  put('drivers/foo/foo_core.c', CORE);
  put('drivers/other/other.c', 'int other(void)\n{\n\treturn 1;\n}\n');
  patch = join(tmp, `core${n}.patch`);
  writeFileSync(patch, gitDiff('drivers/foo/foo_core.c', CORE, CORE.replace('-EBUSY', '-EEXIST')));
});

describe('review: the quick index check', () => {
  it('a file added after indexing is indexed before the review (its module_init now returns the -EEXIST)', async () => {
    backdate();
    await index();
    put('drivers/foo/foo_main.c', mainC(true));
    const j = await review();
    expect(eexist(j)).toHaveLength(1);
    expect(eexist(j)[0]!.evidence.join('\n')).toContain('foo_init() (drivers/foo/foo_main.c)');
    const note = j.notes.find((x) => x.startsWith('tree index checked quickly'));
    expect(note).toMatch(/^tree index checked quickly: \d+ directories \(1 changed\), 2 files in them or in the patch; 1 file read again;/);
    expect(note).toContain('files edited in place since');
  });

  it('a file in a new directory is indexed; a file deleted since loses its rows', async () => {
    backdate();
    await index();
    put('drivers/bar/sub/bar.c', mainC(true).replace(/foo_init/g, 'bar_init').replace(/foo_exit/g, 'bar_exit'));
    let j = await review();
    expect(eexist(j)[0]!.evidence.join('\n')).toContain('bar_init() (drivers/bar/sub/bar.c)');
    backdate();
    await review(); // the snapshot takes the new directories in
    rmSync(join(tree, 'drivers/bar'), { recursive: true });
    j = await review();
    expect(eexist(j)).toEqual([]);
    const store = openStore(db);
    try {
      expect(store.prepare("SELECT count(*) AS n FROM idx_files WHERE path LIKE 'drivers/bar/%'").get()).toEqual({ n: 0 });
      expect(store.prepare("SELECT count(*) AS n FROM idx_dirs WHERE path LIKE 'drivers/bar%'").get()).toEqual({ n: 0 });
    } finally {
      store.close();
    }
  });

  it('a file replaced through a new directory entry (save to a temporary file, rename) is read again', async () => {
    put('drivers/foo/foo_main.c', mainC(false));
    backdate();
    await index();
    put('drivers/foo/foo_main.c.tmp', mainC(true));
    const { renameSync } = await import('node:fs');
    renameSync(join(tree, 'drivers/foo/foo_main.c.tmp'), join(tree, 'drivers/foo/foo_main.c'));
    expect(eexist(await review())).toHaveLength(1);
  });

  it('the patched file edited after indexing: reviewed with its facts now, and its index rows refreshed', async () => {
    backdate();
    await index();
    const before = statSync(join(tree, 'drivers/foo/foo_core.c'));
    const edited = CORE.replace('int x)', 'int x) /* edited */');
    writeFileSync(join(tree, 'drivers/foo/foo_core.c'), edited); // in place: the directory does not change
    utimesSync(join(tree, 'drivers/foo/foo_core.c'), before.atime, new Date(before.mtimeMs + 5000));
    writeFileSync(patch, gitDiff('drivers/foo/foo_core.c', edited, edited.replace('-EBUSY', '-EEXIST')));
    const j = await review();
    expect(j.images).toEqual([{ patch: 1, file: 'drivers/foo/foo_core.c', mode: 'tree-file', detail: expect.stringMatching(/^drivers\/foo\/foo_core\.c \(blob [0-9a-f]+ matches\)$/) }]);
    const store = openStore(db);
    try {
      expect(staleFiles(store, tree, ['drivers/foo/foo_core.c'])).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('a file whose rows the review used, edited in place since: read again and the review run again (no stale finding)', async () => {
    put('drivers/foo/foo_main.c', mainC(true));
    backdate();
    await index();
    const dirBefore = statSync(join(tree, 'drivers/foo')).mtimeMs;
    writeFileSync(join(tree, 'drivers/foo/foo_main.c'), mainC(false)); // same inode, same directory entry
    expect(statSync(join(tree, 'drivers/foo')).mtimeMs).toBe(dirBefore);
    const j = await review();
    expect(eexist(j)).toEqual([]);
    expect(j.notes).toContain('tree index: 1 file this review read had changed since indexed (drivers/foo/foo_main.c); read again and reviewed again');
  });

  it('documented limit: an in-place edit of a file no answer used is not seen; --index-check full sees it', async () => {
    put('drivers/foo/foo_main.c', mainC(false));
    backdate();
    await index();
    writeFileSync(join(tree, 'drivers/foo/foo_main.c'), mainC(true)); // in place: a new caller that returns the result
    const quick = await review();
    expect(eexist(quick)).toEqual([]);
    expect(quick.notes.some((x) => /files edited in place since .* are seen only if this review read them/.test(x))).toBe(true);
    const full = await review('--index-check', 'full');
    expect(eexist(full)).toHaveLength(1);
    expect(full.notes.some((x) => x.startsWith('tree index checked quickly'))).toBe(false);
  });

  it('names from the patch index only regular files inside the tree', async () => {
    const outside = join(tmp, `outside${n}.c`);
    writeFileSync(outside, mainC(true));
    symlinkSync(outside, join(tree, 'drivers/foo/link.c'));
    backdate();
    await index();
    const store = openStore(db);
    try {
      await refreshForReview(tree, { db: store, touched: ['drivers/foo/link.c', '../outside.c', '/etc/x.c', 'drivers/../../x.c', 'tools/x.c', 'drivers/foo/new.c'] });
      expect(store.prepare('SELECT path FROM idx_files ORDER BY path').pluck().all()).toEqual(['drivers/foo/foo_core.c', 'drivers/other/other.c']);
    } finally {
      store.close();
    }
  });

  it('falls back to a whole-tree walk when no walk was recorded, and says why; a directory changed seconds ago is listed again', async () => {
    const store = openStore(db);
    try {
      const first = await refreshForReview(tree, { db: store });
      expect(first).toMatchObject({ mode: 'full', fullBecause: 'no whole-tree walk recorded yet' });
      // Directories created just now cannot be trusted (RACY_MS): listed again.
      expect(await refreshForReview(tree, { db: store })).toMatchObject({ mode: 'quick', files: 2 });
      backdate();
      await refreshForReview(tree, { db: store });
      const again = await refreshForReview(tree, { db: store });
      expect(again).toMatchObject({ mode: 'quick', changedDirs: 0, files: 0 });
      // A build cut short (clean = 0) cannot be trusted by the quick check.
      store.prepare('UPDATE idx_trees SET clean = 0').run();
      expect(await refreshForReview(tree, { db: store })).toMatchObject({ mode: 'full', fullBecause: 'the last build did not finish' });
      store.prepare("UPDATE idx_trees SET dirs_key = 'other'").run();
      expect(await refreshForReview(tree, { db: store })).toMatchObject({ mode: 'full', fullBecause: 'the index was built by another version of modreview' });
    } finally {
      store.close();
    }
    unlinkSync(patch);
  });
});
