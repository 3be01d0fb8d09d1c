import { describe, expect, it } from 'vitest';
import type { FileFacts } from '../../src/c/types.js';
import { openStore } from '../../src/store/db.js';
import { factsWrites, IndexCache, type FileWrite } from '../../src/store/index-cache.js';
import { MemoryIndex, QueryBase, TreeIndex } from '../../src/index/query.js';
import { exit, file, fn, init } from './facts-fixtures.js';

function sqliteIndex(files: FileFacts[]): TreeIndex {
  const db = openStore(':memory:');
  const cache = new IndexCache(db, '/fake/tree', 'test');
  cache.writeBatch(files.flatMap((f) => factsWrites(f)));
  return new TreeIndex(db, '/fake/tree');
}

const backends: [string, (files: FileFacts[]) => QueryBase][] = [
  ['MemoryIndex', (files) => new MemoryIndex(files)],
  ['TreeIndex (SQLite)', sqliteIndex],
];

const names = (r: { chain: { name: string; file: string }[] } | null) => r?.chain.map((f) => `${f.name}@${f.file}`) ?? null;

describe.each(backends)('%s', (_label, make) => {
  // dm-like: a registration function in one file, module_init targets elsewhere.
  const target = file('drivers/md/dm-target.c', [fn({ name: 'dm_register_target', line: 83, exported: true, errno: ['EEXIST'] })]);
  const mirror = file(
    'drivers/md/dm-raid1.c',
    [
      fn({ name: 'dm_mirror_init', line: 1498, isStatic: true, section: 'init', props: ['dm_register_target'], calls: ['alloc_workqueue'] }),
      fn({ name: 'dm_mirror_exit', line: 1517, isStatic: true, section: 'exit', calls: ['dm_unregister_target'] }),
    ],
    { entries: [init('dm_mirror_init', 'module_init', 1524), exit('dm_mirror_exit', 1525)] },
  );

  it('finds the shortest chain to a module_init target in another file', () => {
    const ix = make([target, mirror]);
    expect(names(ix.pathToModuleInit('dm_register_target', 'drivers/md/dm-target.c', 'EEXIST'))).toEqual([
      'dm_register_target@drivers/md/dm-target.c',
      'dm_mirror_init@drivers/md/dm-raid1.c',
    ]);
    const chain = ix.pathToModuleInit('dm_register_target', 'drivers/md/dm-target.c')!.chain;
    expect(chain[1]).toEqual({ name: 'dm_mirror_init', file: 'drivers/md/dm-raid1.c', line: 1498, isStatic: true, section: 'init' });
    expect(ix.initFunctions()).toEqual([{ fn: 'dm_mirror_init', file: 'drivers/md/dm-raid1.c', line: 1524, macro: 'module_init' }]);
    expect(ix.functionsNamed('dm_register_target')).toEqual([
      { name: 'dm_register_target', file: 'drivers/md/dm-target.c', line: 83, isStatic: false, section: null },
    ]);
    expect(ix.fileFacts('drivers/md/dm-raid1.c')?.functions.map((f) => f.name)).toEqual(['dm_mirror_init', 'dm_mirror_exit']);
    expect(ix.fileFacts('drivers/md/nope.c')).toBeUndefined();
  });

  it('goes through several levels and prefers the shortest chain', () => {
    const reg = file('lib/reg.c', [fn({ name: 'reg', exported: true })]);
    const mid = file('lib/mid.c', [fn({ name: 'mid1', props: ['reg'] }), fn({ name: 'mid2', props: ['mid1'] })]);
    const far = file('drivers/far.c', [fn({ name: 'far_init', isStatic: true, props: ['mid2'] })], { entries: [init('far_init', 'late_initcall')] });
    const near = file('drivers/near.c', [fn({ name: 'near_init', isStatic: true, props: ['mid1'] })], { entries: [init('near_init', 'subsys_initcall')] });
    const ix = make([reg, mid, far, near]);
    expect(names(ix.pathToModuleInit('reg', 'lib/reg.c'))).toEqual(['reg@lib/reg.c', 'mid1@lib/mid.c', 'near_init@drivers/near.c']);
    const ix2 = make([reg, mid, far]);
    expect(names(ix2.pathToModuleInit('reg', 'lib/reg.c'))).toEqual(['reg@lib/reg.c', 'mid1@lib/mid.c', 'mid2@lib/mid.c', 'far_init@drivers/far.c']);
  });

  it('binds calls to a file-local static function before a non-static one of the same name', () => {
    const a = file('a.c', [fn({ name: 'foo', isStatic: true, line: 5 }), fn({ name: 'a_init', isStatic: true, props: ['foo'], calls: ['foo'] })], {
      entries: [init('a_init')],
    });
    const b = file('b.c', [fn({ name: 'foo', line: 7, exported: true })]);
    const c = file('c.c', [fn({ name: 'c_init', isStatic: true, props: ['foo'] })], { entries: [init('c_init')] });
    const ix = make([a, b, c]);
    expect(names(ix.pathToModuleInit('foo', 'b.c'))).toEqual(['foo@b.c', 'c_init@c.c']);
    expect(names(ix.pathToModuleInit('foo', 'a.c'))).toEqual(['foo@a.c', 'a_init@a.c']);
    // Without c.c, b.c's foo reaches no init: a.c's call binds to its own static foo.
    expect(make([a, b]).pathToModuleInit('foo', 'b.c')).toBeNull();
    expect(ix.callersOf('foo', 'b.c').map((c) => c.file)).toEqual(['c.c']);
    expect(ix.callersOf('foo', 'a.c').map((c) => c.file)).toEqual(['a.c', 'a.c']);
    expect(ix.callersOf('foo').map((c) => c.file)).toEqual(['a.c', 'a.c', 'c.c']);
    expect(ix.functionsNamed('foo').map((f) => `${f.file}:${f.isStatic}`)).toEqual(['a.c:true', 'b.c:false']);
  });

  it('stops the flow at a caller that masks the code', () => {
    const reg = file('r.c', [fn({ name: 'reg', errno: ['EEXIST'] })]);
    const masking = file('m.c', [fn({ name: 'm_init', isStatic: true, props: [['reg', ['EEXIST']]] })], { entries: [init('m_init')] });
    const ix = make([reg, masking]);
    expect(ix.pathToModuleInit('reg', 'r.c', 'EEXIST')).toBeNull();
    expect(ix.pathToModuleInit('reg', 'r.c', '-EEXIST')).toBeNull();
    expect(names(ix.pathToModuleInit('reg', 'r.c', 'ENOMEM'))).toEqual(['reg@r.c', 'm_init@m.c']);
    expect(names(ix.pathToModuleInit('reg', 'r.c'))).toEqual(['reg@r.c', 'm_init@m.c']);
    const callers = ix.callersOf('reg');
    expect(callers).toHaveLength(1);
    expect(callers[0]).toMatchObject({ caller: 'm_init', file: 'm.c', propagates: true, masks: ['EEXIST'] });
    // An unmasked second path still reaches an init.
    const other = file('o.c', [fn({ name: 'o_init', isStatic: true, props: ['reg'] })], { entries: [init('o_init')] });
    expect(names(make([reg, masking, other]).pathToModuleInit('reg', 'r.c', 'EEXIST'))).toEqual(['reg@r.c', 'o_init@o.c']);
  });

  it('calls that do not propagate are callers but not a path', () => {
    const reg = file('r.c', [fn({ name: 'reg' })]);
    const user = file('u.c', [fn({ name: 'u_init', isStatic: true, calls: ['reg'] })], { entries: [init('u_init')] });
    const ix = make([reg, user]);
    expect(ix.pathToModuleInit('reg', 'r.c')).toBeNull();
    expect(ix.callersOf('reg')).toEqual([{ caller: 'u_init', file: 'u.c', line: 11, propagates: false, masks: [] }]);
  });

  it('does not loop on cycles', () => {
    const cyc = file('cyc.c', [fn({ name: 'ping', props: ['pong'] }), fn({ name: 'pong', props: ['ping'] }), fn({ name: 'self', props: ['self', 'ping'] })]);
    const ix = make([cyc]);
    expect(ix.pathToModuleInit('ping', 'cyc.c')).toBeNull();
    const withInit = file('i.c', [fn({ name: 'i_init', isStatic: true, props: ['self'] })], { entries: [init('i_init', 'device_initcall')] });
    expect(names(make([cyc, withInit]).pathToModuleInit('pong', 'cyc.c'))).toEqual(['pong@cyc.c', 'ping@cyc.c', 'self@cyc.c', 'i_init@i.c']);
  });

  it('a module_init target is its own chain', () => {
    const ix = make([target, mirror]);
    expect(names(ix.pathToModuleInit('dm_mirror_init', 'drivers/md/dm-raid1.c'))).toEqual(['dm_mirror_init@drivers/md/dm-raid1.c']);
    expect(ix.exitFunctions('drivers/md/dm-raid1.c')).toEqual([{ fn: 'dm_mirror_exit', line: 1525, macro: 'module_exit' }]);
  });

  it('lists init targets of the initcall family and driver macros', () => {
    const drv = file('drivers/foo.c', [fn({ name: 'foo_probe', isStatic: true })], {
      entries: [
        { kind: 'init', fn: 'foo_driver_init', line: 50, macro: 'module_platform_driver', driver: 'foo_driver' },
        { kind: 'exit', fn: 'foo_driver_exit', line: 50, macro: 'module_platform_driver', driver: 'foo_driver' },
      ],
    });
    const core = file('kernel/core.c', [fn({ name: 'core_setup', isStatic: true })], { entries: [init('core_setup', 'core_initcall', 9)] });
    const ix = make([drv, core]);
    expect(ix.initFunctions().map((e) => `${e.fn}:${e.macro}`)).toEqual(['foo_driver_init:module_platform_driver', 'core_setup:core_initcall']);
  });

  it('finds module notifiers from register_module_notifier(&nb) and the nb initialiser', () => {
    const f = file(
      'kernel/trace/foo.c',
      [
        fn({ name: 'foo_module_notify', isStatic: true, line: 20 }),
        fn({ name: 'foo_init', isStatic: true, line: 40, props: [['register_module_notifier', []]], calls: [['register_module_notifier', ['&foo_module_nb']]] }),
      ],
      {
        entries: [init('foo_init', 'late_initcall')],
        structs: [
          { type: 'struct notifier_block', name: 'foo_module_nb', line: 30, isStatic: true, section: null, fields: [{ field: 'notifier_call', value: 'foo_module_notify', line: 31 }] },
        ],
      },
    );
    expect(make([f]).moduleNotifiers()).toEqual([{ callback: 'foo_module_notify', file: 'kernel/trace/foo.c', line: 41 }]);
  });

  it('overlay replaces a file, and leaves the base alone', () => {
    const base = make([target, mirror]);
    // The patch makes dm_mirror_init remap -EEXIST.
    const post = file(
      'drivers/md/dm-raid1.c',
      [fn({ name: 'dm_mirror_init', line: 1500, isStatic: true, section: 'init', props: [['dm_register_target', ['EEXIST']]] })],
      { entries: [init('dm_mirror_init', 'module_init', 1530)] },
    );
    const view = base.overlay([post]);
    expect(view.pathToModuleInit('dm_register_target', 'drivers/md/dm-target.c', 'EEXIST')).toBeNull();
    expect(view.initFunctions()).toEqual([{ fn: 'dm_mirror_init', file: 'drivers/md/dm-raid1.c', line: 1530, macro: 'module_init' }]);
    expect(view.functionsNamed('dm_mirror_exit')).toEqual([]);
    expect(view.fileFacts('drivers/md/dm-raid1.c')).toBe(post);
    expect(view.fileFacts('drivers/md/dm-target.c')?.functions[0]?.name).toBe('dm_register_target');
    // The base still answers as before.
    expect(base.pathToModuleInit('dm_register_target', 'drivers/md/dm-target.c', 'EEXIST')).not.toBeNull();
    expect(base.functionsNamed('dm_mirror_exit')).toHaveLength(1);
    // A new file can join, a removed one disappears; overlays compose.
    const extra = file('drivers/md/new.c', [fn({ name: 'new_init', isStatic: true, props: ['dm_register_target'] })], { entries: [init('new_init')] });
    expect(names(view.overlay([extra]).pathToModuleInit('dm_register_target', 'drivers/md/dm-target.c', 'EEXIST'))).toEqual([
      'dm_register_target@drivers/md/dm-target.c',
      'new_init@drivers/md/new.c',
    ]);
    const gone = base.overlay([], ['drivers/md/dm-raid1.c']);
    expect(gone.initFunctions()).toEqual([]);
    expect(gone.fileFacts('drivers/md/dm-raid1.c')).toBeUndefined();
  });

  it('overlay of the changed function itself (pre-image vs post-image)', () => {
    const base = make([target, mirror]);
    const post = file('drivers/md/dm-target.c', [fn({ name: 'dm_register_target', line: 90, isStatic: true })]);
    // Made static: other files can no longer reach it.
    expect(base.overlay([post]).pathToModuleInit('dm_register_target', 'drivers/md/dm-target.c')).toBeNull();
    expect(base.overlay([target]).pathToModuleInit('dm_register_target', 'drivers/md/dm-target.c')).not.toBeNull();
  });

  it('errno returns by function', () => {
    const ix = make([target, mirror]);
    expect(ix.errnoReturns('dm_register_target')).toEqual([{ fn: 'dm_register_target', file: 'drivers/md/dm-target.c', code: 'EEXIST', line: 93 }]);
  });
});

describe('IndexCache', () => {
  it('replaces a batch of files in one transaction: a failing batch keeps the previous state', () => {
    const db = openStore(':memory:');
    const cache = new IndexCache(db, '/t', 'v1');
    const a1 = file('a.c', [fn({ name: 'a_one' })]);
    const b1 = file('b.c', [fn({ name: 'b_one' })]);
    const w = (f: FileFacts) => factsWrites(f);
    cache.writeBatch([...w(a1), ...w(b1)]);
    const a2 = w(file('a.c', [fn({ name: 'a_two' })]));
    const broken = w(file('b.c', [fn({ name: 'b_two' })]));
    // A NOT NULL violation on the second file aborts the whole batch.
    const lexed = broken[0] as Extract<FileWrite, { kind: 'lexed' }>;
    lexed.rows.functions.push([null as unknown as string, 1, 2, 0, null, 0, '', 0, 0]);
    expect(() => cache.writeBatch([...a2, ...broken])).toThrow();
    const ix = new TreeIndex(db, '/t');
    expect(ix.functionsNamed('a_one')).toHaveLength(1);
    expect(ix.functionsNamed('a_two')).toHaveLength(0);
    expect(ix.functionsNamed('b_one')).toHaveLength(1);
    cache.writeBatch(a2);
    expect(ix.functionsNamed('a_one')).toHaveLength(0);
    expect(ix.functionsNamed('a_two')).toHaveLength(1);
    expect(db.prepare('SELECT count(*) AS n FROM idx_functions').get()).toEqual({ n: 2 });
  });

  it('TreeIndex refuses a tree that was never indexed', () => {
    const db = openStore(':memory:');
    expect(() => new TreeIndex(db, '/never')).toThrow(/no index for tree/);
  });
});
