// What a long-running process (the review server, a lore or GitHub worker) keeps from review to
// review: the tree index's database answers and each file's pre-image rule runs, shared by every
// TreeIndex opened on the same connection (one per review), while the index is unchanged —
// writes to the facts cache leave them valid, an index write does not. A kept pre-image run is
// reused only when what it read from the tree's files (kbuild here) still answers the same, and
// a review that reuses it gives the same result as one on a fresh connection.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { gitDiff } from '../../scripts/accuracy.js';
import { allRules } from '../../rules/index.js';
import { FACTS_VERSION } from '../../src/c/version.js';
import { reviewSubmission } from '../../src/engine/review.js';
import { buildIndex } from '../../src/index/build.js';
import { TreeIndex } from '../../src/index/query.js';
import { readSubmission } from '../../src/ingest/series.js';
import { treeImages } from '../../src/lore/tree.js';
import { openStore, type DB } from '../../src/store/db.js';
import { factsCacheOf } from '../../src/store/facts-cache.js';
import { CORE, mainC } from '../helpers/foo-module.js';

const tmp = mkdtempSync(join(tmpdir(), 'modreview-reuse-'));
const tree = join(tmp, 'tree');
const dbPath = join(tmp, 'store.sqlite');
const put = (rel: string, text: string) => {
  mkdirSync(join(tree, rel, '..'), { recursive: true });
  writeFileSync(join(tree, rel), text);
};
const KCONFIG = (type: 'tristate' | 'bool') => `config FOO\n\t${type} "foo"\n`;

let db: DB;
beforeAll(async () => {
  put('drivers/foo/core.c', CORE);
  put('drivers/foo/main.c', mainC(false));
  put('drivers/foo/Makefile', 'obj-$(CONFIG_FOO) += main.o core.o\n');
  put('drivers/foo/Kconfig', KCONFIG('tristate'));
  db = openStore(dbPath);
  await buildIndex(tree, { db, workers: 1 });
});
afterAll(() => {
  db.close();
  rmSync(tmp, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
  put('drivers/foo/Kconfig', KCONFIG('tristate'));
});

/** The patch makes foo_init return foo_core_register()'s result. */
const patch = () => readSubmission(Buffer.from(gitDiff('drivers/foo/main.c', mainC(false), mainC(true))));

/** A review as `modreview review` runs one: a TreeIndex of its own over the store `store`. */
async function review(store: DB) {
  return reviewSubmission(await patch(), { filter: 'added', images: treeImages(tree), index: await TreeIndex.open(store, tree), facts: factsCacheOf(store, String(FACTS_VERSION)) });
}

/** Calls of every rule's check on a pre-image, from now on. */
function preChecks(): () => number {
  const spies = allRules.map((r) => vi.spyOn(r, 'check'));
  return () => spies.reduce((n, s) => n + s.mock.calls.filter(([ctx]) => ctx.image === 'pre').length, 0);
}

describe('answers kept from review to review', () => {
  it('the generation ignores facts-cache writes and moves with index writes', async () => {
    // (Opening the facts cache the first time creates its table: a write like any other.)
    const facts = factsCacheOf(db, String(FACTS_VERSION));
    const ix = new TreeIndex(db, tree);
    const gen = ix.answersGeneration();
    expect(new TreeIndex(db, tree).answersScope()).toBe(ix.answersScope());
    facts.put('0'.repeat(40), { facts: ix.facts('drivers/foo/core.c')!, keys: [] });
    expect(facts.get('0'.repeat(40))).toBeDefined();
    expect(ix.answersGeneration()).toBe(gen);
    expect(ix.callersOf('foo_core_register').map((c) => c.caller)).toEqual(['foo_init']);
    // A build that finds nothing to do writes nothing.
    await buildIndex(tree, { db, workers: 1, paths: ['drivers/foo/core.c'] });
    expect(ix.answersGeneration()).toBe(gen);
    // An index write is seen at once, by this index and by a new one.
    put('drivers/foo/other.c', 'int other_init(void)\n{\n\treturn foo_core_register(2);\n}\n');
    await buildIndex(tree, { db, workers: 1, paths: ['drivers/foo/other.c'] });
    expect(ix.answersGeneration()).not.toBe(gen);
    expect(ix.callersOf('foo_core_register').map((c) => c.caller).sort()).toEqual(['foo_init', 'other_init']);
    rmSync(join(tree, 'drivers/foo/other.c'));
    await buildIndex(tree, { db, workers: 1, paths: ['drivers/foo'] });
    expect(new TreeIndex(db, tree).callersOf('foo_core_register').map((c) => c.caller)).toEqual(['foo_init']);
  });

  it('a recording replays while kbuild answers the same, and marks its files consulted', () => {
    const a = new TreeIndex(db, tree);
    const { log } = a.recordAnswers(() => [a.buildKind('drivers/foo/main.c'), a.callersOf('foo_core_register')]);
    expect(log.asked).toEqual([['kind', 'drivers/foo/main.c', 'module']]);
    const b = new TreeIndex(db, tree);
    expect(b.replayAnswers(log)).toBe(true);
    expect([...b.consulted].sort()).toEqual(['drivers/foo/core.c', 'drivers/foo/main.c']);
    put('drivers/foo/Kconfig', KCONFIG('bool'));
    const c = new TreeIndex(db, tree);
    expect(c.replayAnswers(log)).toBe(false);
    // Nothing is marked consulted by a replay that fails.
    expect(c.consulted.size).toBe(0);
  });

  it('reuses pre-image runs across tree indexes of one store, and runs them again when kbuild changed', async () => {
    const first = await review(db);
    const calls = preChecks();
    const again = await review(db);
    expect(again).toEqual(first);
    expect(calls()).toBe(0);

    // The file is now built in only: the kept runs asked kbuild, so they run again, and the
    // review is what a fresh connection (nothing kept) answers.
    put('drivers/foo/Kconfig', KCONFIG('bool'));
    const kept = await review(db);
    expect(calls()).toBeGreaterThan(0);
    const fresh = openStore(dbPath);
    try {
      expect(kept).toEqual(await review(fresh));
    } finally {
      fresh.close();
    }
  });
});
