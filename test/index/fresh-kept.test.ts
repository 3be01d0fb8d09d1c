// The freshness check on one store connection kept open from review to review (as the review
// server keeps it): the directory snapshot and the files' index rows it reads are kept while
// the store is unchanged, and never answer for a tree that changed — a new directory is seen by
// the next check and taken into the snapshot, a file edited in place is stale until it is read
// again, and not after. Facts extracted on demand are kept by content: an edit is never answered
// from the old text.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../../src/index/build.js';
import { refreshForReview, staleFiles } from '../../src/index/fresh.js';
import { TreeIndex } from '../../src/index/query.js';
import { openStore, type DB } from '../../src/store/db.js';
import { CORE, mainC } from '../helpers/foo-module.js';

const tmp = mkdtempSync(join(tmpdir(), 'modreview-fresh-kept-'));
const tree = join(tmp, 'tree');
const put = (rel: string, text: string) => {
  mkdirSync(join(tree, rel, '..'), { recursive: true });
  writeFileSync(join(tree, rel), text);
};
/** Every directory of the tree an hour old (a checkout made long ago). */
function backdate(dir = tree): void {
  const old = Date.now() / 1000 - 3600;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) backdate(join(dir, e.name));
  utimesSync(dir, old, old);
}

let db: DB;
beforeAll(async () => {
  put('drivers/foo/foo_core.c', CORE);
  put('drivers/foo/foo_main.c', mainC(true));
  backdate();
  db = openStore(join(tmp, 'store.sqlite'));
  await buildIndex(tree, { db, workers: 1 });
});
afterAll(() => {
  db.close();
  rmSync(tmp, { recursive: true, force: true });
});

const check = () => refreshForReview(tree, { db, touched: [] });

describe('the quick check on a connection kept open', () => {
  it('a new directory is seen by the next check, then is part of the snapshot', async () => {
    expect(await check()).toMatchObject({ mode: 'quick', changedDirs: 0 });
    put('drivers/bar/bar.c', 'int bar_core(void)\n{\n\treturn foo_core_register(3);\n}\n');
    const seen = await check();
    expect(seen).toMatchObject({ mode: 'quick', changedDirs: 1 });
    expect(seen.build?.lexed).toBe(1);
    expect(new TreeIndex(db, tree).callersOf('foo_core_register').map((c) => c.caller).sort()).toEqual(['bar_core', 'foo_init']);
    backdate();
    const dirs = (await check()).dirs;
    expect(dirs).toBe(seen.dirs + 1);
    expect(await check()).toMatchObject({ changedDirs: 0, dirs });
  });

  it('a file edited in place is stale until read again, and not after', async () => {
    const file = 'drivers/foo/foo_core.c';
    expect(staleFiles(db, tree, [file, 'drivers/foo/foo_main.c'])).toEqual([]);
    const before = statSync(join(tree, file));
    writeFileSync(join(tree, file), CORE.replace('int x)', 'int x) /* edited */'));
    utimesSync(join(tree, file), before.atime, new Date(before.mtimeMs + 5000));
    expect(staleFiles(db, tree, [file, 'drivers/foo/foo_main.c'])).toEqual([file]);
    expect(staleFiles(db, tree, [file])).toEqual([file]);
    await refreshForReview(tree, { db, touched: [file] });
    expect(staleFiles(db, tree, [file, 'drivers/foo/foo_main.c'])).toEqual([]);
  });
});

describe('facts extracted on demand, kept by content', () => {
  it('a file the index holds no facts for is extracted again when its text changed, never answered stale', async () => {
    const file = 'drivers/foo/plain.c';
    const text = (n: number) => `int plain_${n}(void)\n{\n\treturn ${n};\n}\n`;
    put(file, text(1));
    await buildIndex(tree, { db, workers: 1, paths: [file] });
    const row = db.prepare('SELECT count(*) AS n FROM idx_facts x JOIN idx_files f ON f.id = x.file WHERE f.path = ?').get(file) as { n: number };
    expect(row.n).toBe(0); // nothing module-related in it: the build did not parse it
    const names = async () => (await TreeIndex.open(db, tree)).facts(file)?.functions.map((f) => f.name);
    expect(await names()).toEqual(['plain_1']);
    writeFileSync(join(tree, file), text(2)); // in place, as an editor writing through the file
    expect(await names()).toEqual(['plain_2']);
    writeFileSync(join(tree, file), text(1));
    expect(await names()).toEqual(['plain_1']);
  });
});
