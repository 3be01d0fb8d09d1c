// Issue 3's acceptance on real Linux 6.12 files, through `modreview review` itself: the dm-log
// -EEXIST patch (exit 1, a module-init-eexist error on the changed line whose evidence names a
// module_init function in another file, precedent 54416fd76770), seed 000 as mailed (no finding,
// the pre-image does not match 6.12), and benign edits inside init functions (exit 0). The index
// covers drivers/md only (built once here into a temp SQLite file, ~5 s); `--index-path
// drivers/md` keeps the implicit refresh to that scope.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../../src/index/build.js';
import { openStore } from '../../src/store/db.js';
import { gitDiff } from '../../scripts/accuracy.js';
import { applyEdits, type Edit } from '../../src/engine/accuracy.js';
import type { JsonReport } from '../../src/report/cli.js';
import { kernelTree } from '../helpers/kernel.js';
import { runCli } from './run.js';
import { sarifProblems } from '../report/sarif-schema.js';

const example = (name: string) => new URL(`../../examples/${name}`, import.meta.url).pathname;
const seed000 = new URL('../fixtures/seeds/000_13177789b114347e.txt', import.meta.url).pathname;

let tree: string;
let db: string;
let dir: string;

beforeAll(async () => {
  tree = kernelTree();
  dir = mkdtempSync(join(tmpdir(), 'modreview-review-'));
  db = join(dir, 'index.sqlite');
  const store = openStore(db);
  try {
    await buildIndex(tree, { db: store, paths: ['drivers/md'] });
  } finally {
    store.close();
  }
});

const review = (file: string, ...extra: string[]) => runCli(['review', '--tree', tree, '--db', db, '--index-path', 'drivers/md', ...extra, file]);

/** A patch file made from the real 6.12 file and an edited copy. */
function patchOf(rel: string, edits: Edit[]): string {
  const before = readFileSync(join(tree, rel), 'utf8');
  const file = join(dir, `${rel.replace(/\W+/g, '_')}-${edits.length}-${edits[0]!.replace.length}.patch`);
  writeFileSync(file, gitDiff(rel, before, applyEdits(before, edits)));
  return file;
}

describe('modreview review on Linux 6.12 (drivers/md indexed)', () => {
  it('dm-log -EBUSY -> -EEXIST: exit 1, module-init-eexist on the changed line, a module_init in another file, precedent 54416fd76770', async () => {
    const r = await review(example('dm-log-eexist.patch'), '--format', 'json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as JsonReport;
    expect(j.version).toBe(1);
    expect(j.patches).toEqual([{ subject: '[PATCH] dm log: return -EEXIST for duplicate log types', messageId: null, files: ['drivers/md/dm-log.c'] }]);
    expect(j.images).toEqual([{ patch: 1, file: 'drivers/md/dm-log.c', mode: 'tree-file', detail: 'drivers/md/dm-log.c (blob c8a1f9b6385f matches)' }]);
    const eexist = j.findings.filter((f) => f.rule === 'module-init-eexist');
    expect(eexist).toHaveLength(1);
    const f = eexist[0]!;
    // Line 124 of the post-image is the added `r = -EEXIST;`.
    const post = readFileSync(join(tree, 'drivers/md/dm-log.c'), 'utf8').split('\n');
    expect(post[123]!.trim()).toBe('r = -EBUSY;');
    expect(f).toMatchObject({ severity: 'error', file: 'drivers/md/dm-log.c', line: 124, function: 'dm_dirty_log_type_register', where: 'added' });
    expect(f.evidence).toContain('userspace_dirty_log_init() (drivers/md/dm-log-userspace-base.c) -> dm_dirty_log_type_register() (drivers/md/dm-log.c) -> -EEXIST');
    expect(f.message).toContain('userspace_dirty_log_init() in drivers/md/dm-log-userspace-base.c');
    expect(f.precedents).toContainEqual({ commit: '54416fd76770', subject: 'netfilter: conntrack: helper: Replace -EEXIST by -EBUSY' });
    // And the module_init really is in that other file.
    expect(readFileSync(join(tree, 'drivers/md/dm-log-userspace-base.c'), 'utf8')).toMatch(/^module_init\(userspace_dirty_log_init\);$/m);
  });

  it('the same patch as text reads like checkpatch: ERROR line, FILE:line, evidence, precedent, totals', async () => {
    const r = await review(example('dm-log-eexist.patch'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('--- [PATCH] dm log: return -EEXIST for duplicate log types\nERROR: module-init-eexist: dm_dirty_log_type_register() returns -EEXIST');
    expect(r.stdout).toContain('#124: FILE: drivers/md/dm-log.c:124 in dm_dirty_log_type_register()');
    expect(r.stdout).toContain('  precedent: 54416fd76770 ("netfilter: conntrack: helper: Replace -EEXIST by -EBUSY")');
    expect(r.stdout).toMatch(/^total: 1 errors, 0 warnings, 0 notes; 1 patch, 1 file \(0 skipped\)$/m);
    // --fail-on error still fails; never does not.
    expect((await review(example('dm-log-eexist.patch'), '--fail-on', 'never')).code).toBe(0);
  });

  it('the same patch as SARIF: valid against the official schema, the finding at dm-log.c:124 with a fingerprint', async () => {
    const r = await review(example('dm-log-eexist.patch'), '--format', 'sarif');
    expect(r.code).toBe(1);
    const log = JSON.parse(r.stdout) as { runs: { results: { ruleId: string; partialFingerprints: Record<string, string>; locations: { physicalLocation: unknown }[] }[] }[] };
    expect(sarifProblems(log)).toEqual([]);
    const [res] = log.runs[0]!.results;
    expect(res!.ruleId).toBe('module-init-eexist');
    expect(res!.locations[0]!.physicalLocation).toEqual({ artifactLocation: { uri: 'drivers/md/dm-log.c', uriBaseId: '%SRCROOT%' }, region: { startLine: 124 } });
    expect(res!.partialFingerprints['modreview/v1']).toMatch(/^[0-9a-f]{16}$/);
  });

  it('seed 000 as archived (tabs lost): no finding, the report says the pre-image does not match 6.12', async () => {
    const r = await review(seed000, '--format', 'json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as JsonReport;
    expect(j.findings).toEqual([]);
    expect(j.notes).toContain("drivers/md/dm-target.c: the patch does not apply to the tree's version of this file (hunk 1 of 1 (@@ -88,7 +88,7 @@) does not match the pre-image); reviewed from the hunks alone");
    expect(j.images).toContainEqual({ patch: 1, file: 'drivers/md/dm-target.c', mode: 'hunk-only', detail: 'pre-image does not match the tree' });
    // The three hunks whose header lines the archive wrapped are named, not guessed at.
    expect(j.skipped.map((s) => s.file).sort()).toEqual(['drivers/md/dm-exception-store.c', 'drivers/md/dm-log.c', 'drivers/md/dm-path-selector.c']);
    for (const s of j.skipped) expect(s.reason).toMatch(/^no readable hunk \(.*dropped hunk "@@ .*wrapped or mangled\?\)$/);
    const text = await review(seed000);
    expect(text.stdout).toContain('hunk-only review (pre-image does not match the tree)');
  });

  it('benign edits inside init functions: exit 0, no finding', async () => {
    const cases = [
      example('dm-log-comment.patch'),
      // renaming a local in userspace_dirty_log_init()
      patchOf('drivers/md/dm-log-userspace-base.c', [
        {
          find: '\tint r = 0;\n\n\t_flush_entry_cache = KMEM_CACHE(dm_dirty_log_flush_entry, 0);',
          replace: '\tint ret = 0;\n\n\t_flush_entry_cache = KMEM_CACHE(dm_dirty_log_flush_entry, 0);',
        },
        { find: '\tr = dm_ulog_tfr_init();\n\tif (r) {', replace: '\tret = dm_ulog_tfr_init();\n\tif (ret) {' },
        { find: '\t\tkmem_cache_destroy(_flush_entry_cache);\n\t\treturn r;\n\t}\n\n\tr = dm_dirty_log_type_register(&_userspace_type);\n\tif (r) {', replace: '\t\tkmem_cache_destroy(_flush_entry_cache);\n\t\treturn ret;\n\t}\n\n\tret = dm_dirty_log_type_register(&_userspace_type);\n\tif (ret) {' },
        { find: '\t\tkmem_cache_destroy(_flush_entry_cache);\n\t\treturn r;\n\t}\n\n\tDMINFO', replace: '\t\tkmem_cache_destroy(_flush_entry_cache);\n\t\treturn ret;\n\t}\n\n\tDMINFO' },
      ]),
      // message text in dm_snapshot_init()
      patchOf('drivers/md/dm-snap.c', [{ find: '\t\tDMERR("Couldn\'t create exception cache.");', replace: '\t\tDMERR("Couldn\'t create the exception cache.");' }]),
      // a comment in dm_multipath_init()
      patchOf('drivers/md/dm-mpath.c', [{ find: '\t * path of the storage hardware device activation.\n', replace: '\t * path of the storage hardware device activation (see\n\t * activate_or_offline_path()).\n' }]),
    ];
    for (const file of cases) {
      const r = await review(file, '--format', 'json');
      const j = JSON.parse(r.stdout) as JsonReport;
      expect({ file, code: r.code, findings: j.findings }).toEqual({ file, code: 0, findings: [] });
      // Every case was reviewed against the real file, not in hunk-only mode.
      expect(j.images.every((i) => i.mode === 'tree-file')).toBe(true);
    }
  });
});
