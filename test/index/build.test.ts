// The index builder against the real extractor: a synthetic tree (filter, closure, problems,
// unchanged/changed/removed files) and real Linux 6.12 subsystems (dm), including a kill -9
// of a build in the middle and a rerun.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type DB } from '../../src/store/db.js';
import { buildIndex, type IndexStats } from '../../src/index/build.js';
import { TreeIndex } from '../../src/index/query.js';
import { kernelTree } from '../helpers/kernel.js';

const tmp = mkdtempSync(join(tmpdir(), 'modreview-index-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every row of the index of one tree, by path: for comparing two databases. */
function dump(db: DB): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  out.files = db
    .prepare('SELECT path, hash, version, problem, notifier, life_local, life_remote, pending, sel_key, reason FROM idx_files ORDER BY path')
    .all();
  for (const [t, cols] of [
    ['idx_functions', 'name, line, end_line, static, section, exported, cands'],
    ['idx_calls', 'callee, callers'],
    ['idx_pcalls', 'caller, callee, line'],
    ['idx_props', 'caller, callee, line, masks'],
    ['idx_errno', 'fn, code, line'],
    ['idx_modentries', 'kind, fn, macro, line, driver'],
    ['idx_structs', 'type, name, line, fields'],
    ['idx_notifiers', 'callback, block, line'],
  ] as const) {
    const names = cols.split(', ');
    // Ordered by every column: rows of one file may come in any order from either database.
    const order = [...names.keys(), names.length].map((i) => i + 1).join(', ');
    out[t] = db.prepare(`SELECT f.path, ${names.map((c) => `x.${c}`).join(', ')} FROM ${t} x JOIN idx_files f ON f.id = x.file ORDER BY ${order}`).all();
  }
  out.facts = db.prepare('SELECT f.path, x.raw_size, x.complete FROM idx_facts x JOIN idx_files f ON f.id = x.file ORDER BY 1').all();
  out.sel = db.prepare('SELECT f.path, x.name, x.why FROM idx_sel x JOIN idx_files f ON f.id = x.file ORDER BY 1, 2').all();
  out.wants = db.prepare('SELECT f.path, x.caller, x.callee, x.kind FROM idx_wants x JOIN idx_files f ON f.id = x.file ORDER BY 1, 2, 3, 4').all();
  return out;
}

describe('buildIndex on a synthetic tree', () => {
  const tree = join(tmp, 'tree');
  const put = (rel: string, text: string | Buffer) => {
    mkdirSync(join(tree, rel, '..'), { recursive: true });
    writeFileSync(join(tree, rel), text);
  };
  beforeAll(() => {
    put(
      'drivers/foo/foo_main.c',
      `#include <linux/module.h>
static int __init foo_init(void)
{
\treturn foo_core_register(1);
}
static void __exit foo_exit(void)
{
}
module_init(foo_init);
module_exit(foo_exit);
MODULE_LICENSE("GPL");
`,
    );
    // No lifecycle word: indexed only through the closure (foo_init returns its result).
    put(
      'drivers/foo/foo_core.c',
      `int foo_core_register(int x)
{
\tif (x)
\t\treturn -EEXIST;
\treturn foo_core_helper(x);
}
`,
    );
    // Reached from foo_core_register: the second closure round.
    put('drivers/foo/foo_helper.c', 'int foo_core_helper(int x)\n{\n\treturn x;\n}\n');
    // Nothing reaches it and it says nothing about modules: left out.
    put('drivers/foo/unrelated.c', 'static int quiet(void)\n{\n\treturn 0;\n}\nint loud(void)\n{\n\tkfree(NULL);\n\treturn quiet();\n}\n');
    put('drivers/foo/latin1.c', Buffer.from('/* Jos\xe9 */\nint x(void) { return 0; }\nEXPORT_SYMBOL(x);\n', 'latin1'));
    put('tools/perf/skip.c', 'static int __init t_init(void) { return 0; }\nmodule_init(t_init);\n');
    put('drivers/foo/notes.txt', 'module_init(nothing)\n');
  });

  let db: DB;
  let first: IndexStats;
  it('indexes what the filter and the closure select, and reports bad files', async () => {
    db = openStore(join(tmp, 'synthetic.sqlite'));
    first = await buildIndex(tree, { db, workers: 2 });
    expect(first).toMatchObject({ seen: 5, parsed: 3, closure: 2, closureRounds: 2, unchanged: 0, filtered: 1, removed: 0 });
    expect(first.problems).toEqual([{ path: 'drivers/foo/latin1.c', problem: 'invalid UTF-8' }]);
    const ix = new TreeIndex(db, first.tree);
    expect(ix.pathToModuleInit('foo_core_register', 'drivers/foo/foo_core.c', 'EEXIST')?.chain.map((f) => f.name)).toEqual([
      'foo_core_register',
      'foo_init',
    ]);
    expect(ix.pathToModuleInit('foo_core_helper', 'drivers/foo/foo_helper.c')?.chain.map((f) => f.name)).toEqual([
      'foo_core_helper',
      'foo_core_register',
      'foo_init',
    ]);
    // Every file has lexical function rows, the unparsed ones too: the definition is known.
    expect(ix.functionsNamed('loud')).toEqual([{ name: 'loud', file: 'drivers/foo/unrelated.c', line: 5, isStatic: false, section: null }]);
    // ... and its calls, lexically (to other files' functions: a static callee's callers are all
    // in its own file).
    expect(ix.callersOf('kfree')).toEqual([{ caller: 'loud', file: 'drivers/foo/unrelated.c', line: 7, propagates: false, masks: [] }]);
    expect(ix.callersOf('quiet')).toEqual([]);
    expect(ix.fileFacts('drivers/foo/foo_core.c')?.functions.map((f) => f.name)).toEqual(['foo_core_register']);
    expect(ix.initFunctions().map((e) => e.file)).toEqual(['drivers/foo/foo_main.c']);
    // A file the filter left out: no facts stored, extracted on demand by TreeIndex.open.
    expect(ix.fileFacts('drivers/foo/unrelated.c')).toBeUndefined();
    const lazy = await TreeIndex.open(db, tree);
    expect(lazy.fileFacts('drivers/foo/unrelated.c')?.functions.map((f) => f.name)).toEqual(['quiet', 'loud']);
  });

  it('`modreview index` prints a one-line summary (quiet without a TTY)', async () => {
    const { Command } = await import('commander');
    const { register } = await import('../../src/commands/index.js');
    const program = new Command().exitOverride();
    register(program, () => {});
    const written: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stdout.write;
    try {
      await program.parseAsync(['node', 'modreview', 'index', '--tree', tree, '--db', join(tmp, 'cli.sqlite'), '--workers', '1']);
    } finally {
      process.stdout.write = orig;
    }
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^indexed .*: 5 files seen, 4 read, 3 parsed \(3 in part, 2 by closure\), 0 skipped unchanged, 1 never parsed, 1 problems, [\d.]+ s\n$/);
  });

  it('skips unchanged files, reparses changed ones, forgets removed ones', async () => {
    const again = await buildIndex(tree, { db, workers: 2 });
    expect(again).toMatchObject({ seen: 5, parsed: 0, unchanged: 5, closure: 0 });
    expect(again.problems).toHaveLength(1);
    // Touched but identical: read and hashed, not parsed.
    const t = new Date(Date.now() + 5000);
    utimesSync(join(tree, 'drivers/foo/foo_core.c'), t, t);
    expect(await buildIndex(tree, { db, workers: 1 })).toMatchObject({ parsed: 0, unchanged: 5 });
    // Changed: the closure file is parsed again even though it has no lifecycle word.
    put('drivers/foo/foo_core.c', readFileSync(join(tree, 'drivers/foo/foo_core.c'), 'utf8').replace('-EEXIST', '-EBUSY'));
    const changed = await buildIndex(tree, { db, workers: 1 });
    expect(changed).toMatchObject({ parsed: 1, unchanged: 4 });
    const ix = new TreeIndex(db, changed.tree);
    expect(ix.errnoReturns('foo_core_register').map((e) => e.code)).toEqual(['EBUSY']);
    unlinkSync(join(tree, 'drivers/foo/foo_helper.c'));
    const removed = await buildIndex(tree, { db, workers: 1 });
    expect(removed).toMatchObject({ removed: 1, seen: 4, parsed: 0 });
    expect(ix.functionsNamed('foo_core_helper')).toEqual([]);
    db.close();
  });
});

describe('buildIndex on Linux 6.12 drivers/md', () => {
  const kernel = process.env.MODREVIEW_TEST_KERNEL ?? kernelTree();
  const paths = ['drivers/md'];
  let clean: DB;
  let cleanStats: IndexStats;

  beforeAll(async () => {
    clean = openStore(join(tmp, 'clean.sqlite'));
    cleanStats = await buildIndex(kernel, { db: clean, paths });
  });

  it('finds a module_init function of another file from dm_register_target', () => {
    expect(cleanStats.problems).toEqual([]);
    expect(cleanStats.parsed).toBeGreaterThan(30);
    // Most files are parsed in part (their init/exit paths and closure functions only)...
    expect(cleanStats.partial).toBeGreaterThan(10);
    // ... and files with nothing on a lifecycle path not at all.
    expect(cleanStats.filtered).toBeGreaterThan(0);
    expect(cleanStats.parsed + cleanStats.filtered).toBe(cleanStats.seen);
    const ix = new TreeIndex(clean, cleanStats.tree);
    const r = ix.pathToModuleInit('dm_register_target', 'drivers/md/dm-target.c', 'EEXIST');
    expect(r).not.toBeNull();
    const chain = r!.chain;
    expect(chain[0]).toMatchObject({ name: 'dm_register_target', file: 'drivers/md/dm-target.c', isStatic: false });
    const last = chain[chain.length - 1]!;
    expect(last.file).not.toBe('drivers/md/dm-target.c');
    expect(ix.initFunctions()).toContainEqual(expect.objectContaining({ fn: last.name, file: last.file, macro: 'module_init' }));
    // The dm-raid1 target reaches module_init through dm_register_target...
    const callers = ix.callersOf('dm_register_target', 'drivers/md/dm-target.c');
    expect(callers).toContainEqual(expect.objectContaining({ caller: 'dm_mirror_init', file: 'drivers/md/dm-raid1.c', propagates: true }));
    // ... and the dirty-log types through dm_dirty_log_type_register.
    const log = ix.pathToModuleInit('dm_dirty_log_type_register', 'drivers/md/dm-log.c', 'EEXIST');
    expect(log?.chain[0]?.name).toBe('dm_dirty_log_type_register');
    expect(ix.initFunctions().map((e) => e.fn)).toContain(log!.chain[log!.chain.length - 1]!.name);
    expect(ix.fileFacts('drivers/md/dm-raid1.c')?.moduleEntries).toContainEqual(expect.objectContaining({ kind: 'init', fn: 'dm_mirror_init' }));
  });

  it('a rerun skips every file', async () => {
    const again = await buildIndex(kernel, { db: clean, paths });
    expect(again).toMatchObject({ parsed: 0, reused: 0, closure: 0, unchanged: cleanStats.seen, seen: cleanStats.seen });
  });

  it('a build killed with SIGKILL mid-index is completed by a rerun, identical to a clean build', async () => {
    const dbPath = join(tmp, 'killed.sqlite');
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./build-child.ts', import.meta.url)), kernel, dbPath, '5', ...paths], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const killedAt = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const lines = out.trim().split('\n');
        const lastLine = lines[lines.length - 1]!;
        const lm = /^progress scan (\d+) (\d+)$/.exec(lastLine);
        if (lm && Number(lm[1]) >= Number(lm[2]) / 3 && child.exitCode === null && !child.killed) {
          child.kill('SIGKILL');
          resolve(Number(lm[1]));
        }
      });
      child.on('exit', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`child ended before the kill: ${code} ${out.slice(-300)}`));
      });
    });
    await new Promise((r) => child.once('close', r));
    expect(killedAt).toBeGreaterThan(0);
    const killed = openStore(dbPath);
    const partial = killed.prepare('SELECT count(*) AS n FROM idx_files').get() as { n: number };
    // Some batches were committed, not all of them.
    expect(partial.n).toBeLessThan(cleanStats.seen);
    const rerun = await buildIndex(kernel, { db: killed, paths });
    expect(rerun.unchanged).toBe(partial.n);
    expect(rerun.parsed).toBeGreaterThan(0);
    expect(dump(killed)).toEqual(dump(clean));
    killed.close();
  });

  it('two builds of the same tree into one database at once both finish, identical to a clean build', async () => {
    // Two reviews (or a review and `modreview index`) started together: each batch's read of a
    // file's row and its write happen in one write transaction, so neither fails with
    // SQLITE_BUSY when the other commits in between.
    const dbPath = join(tmp, 'together.sqlite');
    openStore(dbPath).close();
    const run = () =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./build-child.ts', import.meta.url)), kernel, dbPath, '3', ...paths], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('close', (code) => resolve({ code, out }));
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.code, a.out.slice(-500)).toBe(0);
    expect(b.code, b.out.slice(-500)).toBe(0);
    const together = openStore(dbPath);
    expect(dump(together)).toEqual(dump(clean));
    together.close();
  });
});
