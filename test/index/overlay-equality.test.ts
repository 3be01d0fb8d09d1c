// The tree index and the in-memory index a review overlays on it must answer alike: the same
// question about the same files may not depend on whether the file was patched (overlay, facts
// in memory) or not (SQLite rows written by buildIndex). Asked here over real Linux 6.12 files
// with module_init entries, cross-file -EEXIST chains and module notifiers.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractFacts } from '../../src/c/facts.js';
import type { FileFacts } from '../../src/c/types.js';
import { overlayIndex } from '../../src/engine/overlay.js';
import type { IndexQuery } from '../../src/engine/types.js';
import { buildIndex } from '../../src/index/build.js';
import { TreeIndex } from '../../src/index/query.js';
import { openStore, type DB } from '../../src/store/db.js';
import { kernelTree } from '../helpers/kernel.js';

const PATHS = ['drivers/md/dm-log.c', 'drivers/md/dm-log-userspace-base.c', 'drivers/md/dm-target.c', 'drivers/md/dm-raid1.c', 'kernel/static_call_inline.c', 'kernel/jump_label.c', 'drivers/md/dm-init.c'];

const tmp = mkdtempSync(join(tmpdir(), 'modreview-eq-'));
let db: DB;
let tree: IndexQuery;
let memory: IndexQuery;
let facts: FileFacts[];

beforeAll(async () => {
  const root = kernelTree();
  db = openStore(join(tmp, 'index.sqlite'));
  await buildIndex(root, { db, paths: PATHS });
  tree = await TreeIndex.open(db, root);
  facts = PATHS.map((p) => extractFacts(p, readFileSync(join(root, p), 'utf8')));
  // What a review asks: the tree index with these files overlaid by their own facts.
  memory = overlayIndex(tree, facts);
}, 600_000);

afterAll(() => {
  db?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const sorted = <T>(xs: T[]) => [...xs].map((x) => JSON.stringify(x)).sort();

describe('TreeIndex and the in-memory overlay answer alike', () => {
  it('module notifiers', () => {
    expect(memory.moduleNotifiers().length).toBeGreaterThan(0);
    expect(sorted(tree.moduleNotifiers())).toEqual(sorted(memory.moduleNotifiers()));
  });

  it('module_init functions, and which are init functions', () => {
    expect(sorted(tree.initFunctions())).toEqual(sorted(memory.initFunctions()));
    for (const f of facts) for (const fn of f.functions) expect(tree.isInitFunction(f.path, fn.name), `${f.path}:${fn.name}`).toBe(memory.isInitFunction(f.path, fn.name));
  });

  it('functions by name, callers, and the -EEXIST chain to module_init', () => {
    // The index parses only what a lifecycle question can reach (docs/INDEX.md): functions on a
    // module_init return chain, init/exit paths. Those are the questions asked here.
    for (const name of ['dm_dirty_log_type_register', 'dm_dirty_log_init', 'userspace_dirty_log_init', 'static_call_init']) {
      expect(tree.functionsNamed(name), name).toEqual(memory.functionsNamed(name));
      expect(sorted(tree.propagatingCallersOf(name)), name).toEqual(sorted(memory.propagatingCallersOf(name)));
    }
    // Objects in init memory, lexical in the tree index, from the facts in the overlay.
    for (const name of ['static_call_data', 'dm_allowed_targets']) {
      expect(memory.initDataNamed?.(name).length, name).toBe(1);
      expect(tree.initDataNamed?.(name), name).toEqual(memory.initDataNamed?.(name));
    }
    const chain = (ix: IndexQuery) => ix.pathToModuleInit('dm_dirty_log_type_register', 'drivers/md/dm-log.c', 'EEXIST')?.chain.map((f) => `${f.name}@${f.file}`);
    expect(chain(memory)).toBeDefined();
    expect(chain(tree)).toEqual(chain(memory));
  });
});

