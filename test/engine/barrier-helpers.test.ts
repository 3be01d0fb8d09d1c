// exit-missing-rcu-barrier on a barrier dropped from a helper that module unload reaches from
// another file (fs/coda/inode.c's coda_destroy_inodecache() from psdev.c's exit_coda(), ext4's
// ext4_exit_mballoc() from super.c): real Linux 6.12 files, the rule's own mutation cases, reviewed
// as real patches with the index over the module's directory, as `modreview review --tree` does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cases } from '../../rules/exit-missing-rcu-barrier/accuracy.js';
import { runCase } from '../../scripts/accuracy.js';
import type { IndexQuery } from '../../src/engine/types.js';
import { buildIndex } from '../../src/index/build.js';
import { TreeIndex } from '../../src/index/query.js';
import { openStore, type DB } from '../../src/store/db.js';
import { kernelTree } from '../helpers/kernel.js';

const RULE = 'exit-missing-rcu-barrier';
const mine = cases.filter((c) => /^(coda_destroy_inodecache|sysv_destroy_icache|ext4_exit_mballoc)/.test(c.name));
const tmp = mkdtempSync(join(tmpdir(), 'modreview-barrier-'));
let db: DB;
let index: IndexQuery;

beforeAll(async () => {
  db = openStore(join(tmp, 'index.sqlite'));
  await buildIndex(kernelTree(), { db, paths: [...new Set(mine.flatMap((c) => c.indexPaths ?? []))] });
  index = await TreeIndex.open(db, kernelTree());
}, 600_000);

afterAll(() => {
  db?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('a barrier dropped from a helper of another file\'s module_exit', () => {
  it('has flag and clean cases', () => {
    expect(mine.filter((c) => c.expect === 'flag').length).toBeGreaterThanOrEqual(3);
    expect(mine.some((c) => c.expect === 'clean')).toBe(true);
  });

  it.each(mine.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const out = await runCase(kernelTree(), RULE, c, index);
    expect(out.error).toBeUndefined();
    if (c.expect === 'clean') {
      expect(out.findings.map((f) => f.message)).toEqual([]);
      return;
    }
    expect(out.findings.length, 'no finding').toBeGreaterThan(0);
    const f = out.findings[0]!;
    expect(f).toMatchObject({ rule: RULE, file: c.file, where: 'added' });
    expect(f.message).toMatch(/no longer calls rcu_barrier\(\).*module unload reaches it from \w+\(\) \(fs\/\w+\/\w+\.c\)/);
  });
});
