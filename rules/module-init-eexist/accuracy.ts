// Accuracy corpus of module-init-eexist (scripts/accuracy.ts): real Linux 6.12 code where
// -EEXIST is made to reach a module_init return — the registration fixes 6.12 carries turned back
// (b13ef361d47f, 54416fd76770), direct returns, a local through a goto ladder, a same-file helper —
// and edits that must stay silent: message text, comments, a renamed local, -EEXIST where no
// module_init sees it, and a fix of a site 6.12 still has.
import type { AccuracyCase } from '../../src/engine/accuracy.js';

export const cases: AccuracyCase[] = [
  // ---------------------------------------------------------------- must flag
  {
    name: 'dm_dirty_log_type_register returns -EEXIST again',
    file: 'drivers/md/dm-log.c',
    edits: [{ find: '\telse\n\t\tr = -EBUSY;\n\tspin_unlock(&_lock);\n\n\treturn r;\n}\nEXPORT_SYMBOL(dm_dirty_log_type_register);', replace: '\telse\n\t\tr = -EEXIST;\n\tspin_unlock(&_lock);\n\n\treturn r;\n}\nEXPORT_SYMBOL(dm_dirty_log_type_register);' }],
    expect: 'flag',
    why: 'b13ef361d47f undone; reaches module_init in this file and in dm-log-userspace-base.c',
  },
  {
    name: 'dm_register_target returns -EEXIST again',
    file: 'drivers/md/dm-target.c',
    edits: [{ find: '\t\trv = -EBUSY;', replace: '\t\trv = -EEXIST;' }],
    expect: 'flag',
    why: 'the seed-000 case: dozens of target modules return dm_register_target() from module_init',
  },
  {
    name: 'dm_register_path_selector returns -EEXIST again',
    file: 'drivers/md/dm-path-selector.c',
    edits: [{ find: '\t\tkfree(psi);\n\t\tr = -EBUSY;', replace: '\t\tkfree(psi);\n\t\tr = -EEXIST;' }],
    expect: 'flag',
  },
  {
    name: 'dm_exception_store_type_register returns -EEXIST again',
    file: 'drivers/md/dm-exception-store.c',
    edits: [{ find: '\telse\n\t\tr = -EBUSY;\n\tspin_unlock(&_lock);\n\n\treturn r;\n}\nEXPORT_SYMBOL(dm_exception_store_type_register);', replace: '\telse\n\t\tr = -EEXIST;\n\tspin_unlock(&_lock);\n\n\treturn r;\n}\nEXPORT_SYMBOL(dm_exception_store_type_register);' }],
    expect: 'flag',
    why: 'reached through dm_exception_store_init() -> dm_snapshot_init(), two files away',
  },
  {
    name: 'nf_conntrack_helper_register returns -EEXIST again',
    file: 'net/netfilter/nf_conntrack_helper.c',
    edits: [{ find: '\t\t\t    cur->tuple.dst.protonum == me->tuple.dst.protonum) {\n\t\t\t\tret = -EBUSY;', replace: '\t\t\t    cur->tuple.dst.protonum == me->tuple.dst.protonum) {\n\t\t\t\tret = -EEXIST;' }],
    expect: 'flag',
    indexPaths: ['net/netfilter'],
    why: 'the fix 54416fd76770 undone: conntrack helper modules return the registration from module_init',
  },
  {
    name: 'dm_mirror_init returns -EEXIST directly',
    file: 'drivers/md/dm-raid1.c',
    edits: [{ find: '\t\tDMERR("Failed to alloc workqueue");\n\t\treturn -ENOMEM;', replace: '\t\tDMERR("Failed to alloc workqueue");\n\t\treturn -EEXIST;' }],
    expect: 'flag',
  },
  {
    name: 'dm_snapshot_init carries -EEXIST in its local through the ladder',
    file: 'drivers/md/dm-snap.c',
    edits: [{ find: '\t\tDMERR("Couldn\'t create exception cache.");\n\t\tr = -ENOMEM;', replace: '\t\tDMERR("Couldn\'t create exception cache.");\n\t\tr = -EEXIST;' }],
    expect: 'flag',
    why: 'a local assigned on a failure path, returned after the goto ladder',
  },
  {
    name: 'init_ext2_fs gets -EEXIST from its static helper',
    file: 'fs/ext2/super.c',
    edits: [{ find: '\tif (ext2_inode_cachep == NULL)\n\t\treturn -ENOMEM;\n\treturn 0;', replace: '\tif (ext2_inode_cachep == NULL)\n\t\treturn -EEXIST;\n\treturn 0;' }],
    expect: 'flag',
    why: 'init_inodecache() returns it, init_ext2_fs() passes it on',
  },
  {
    name: 'dm_linear_init (called from dm_init) would return -EEXIST',
    file: 'drivers/md/dm-linear.c',
    edits: [{ find: '\tint r = dm_register_target(&linear_target);\n\n\tif (r < 0)\n\t\tDMERR("register failed %d", r);\n\n\treturn r;', replace: '\tint r = dm_register_target(&linear_target);\n\n\tif (r < 0) {\n\t\tDMERR("register failed %d", r);\n\t\treturn -EEXIST;\n\t}\n\n\treturn r;' }],
    expect: 'flag',
    why: 'an exported __init function in one file, reached from module_init(dm_init) in dm.c through the _inits table',
  },
  {
    name: 'nf_conntrack_helper_register: the auto-assign clash returns -EEXIST',
    file: 'net/netfilter/nf_conntrack_helper.c',
    edits: [{ find: '\t\t\t\t\t\t     &mask)) {\n\t\t\t\tret = -EBUSY;', replace: '\t\t\t\t\t\t     &mask)) {\n\t\t\t\tret = -EEXIST;' }],
    expect: 'flag',
    indexPaths: ['net/netfilter'],
    why: 'the second duplicate check of the same function, a goto out away from the return',
  },
  {
    name: 'userspace_dirty_log_init returns -EEXIST after its own cleanup',
    file: 'drivers/md/dm-log-userspace-base.c',
    edits: [{ find: '\t\tdm_ulog_tfr_exit();\n\t\tkmem_cache_destroy(_flush_entry_cache);\n\t\treturn r;', replace: '\t\tdm_ulog_tfr_exit();\n\t\tkmem_cache_destroy(_flush_entry_cache);\n\t\treturn -EEXIST;' }],
    expect: 'flag',
    why: 'a module_init whose failure branch rewrites the registration error as -EEXIST',
  },
  // ---------------------------------------------------------------- must stay silent
  {
    name: 'dm-log.c: comment and message text (examples/dm-log-comment.patch style)',
    file: 'drivers/md/dm-log.c',
    edits: [{ find: '\t\tDMWARN("couldn\'t register disk type");', replace: '\t\tDMWARN("could not register the disk log type");' }],
    expect: 'clean',
  },
  {
    name: 'dm_register_target: DMERR text',
    file: 'drivers/md/dm-target.c',
    edits: [{ find: '\t\tDMERR("%s: \'%s\' target already registered",', replace: '\t\tDMERR("%s: target \'%s\' is already registered",' }],
    expect: 'clean',
  },
  {
    name: 'dm_register_target: local renamed rv -> ret',
    file: 'drivers/md/dm-target.c',
    edits: [
      { find: 'int dm_register_target(struct target_type *tt)\n{\n\tint rv = 0;', replace: 'int dm_register_target(struct target_type *tt)\n{\n\tint ret = 0;' },
      { find: '\t\trv = -EBUSY;', replace: '\t\tret = -EBUSY;' },
      { find: '\tup_write(&_lock);\n\n\treturn rv;\n}\nEXPORT_SYMBOL(dm_register_target);', replace: '\tup_write(&_lock);\n\n\treturn ret;\n}\nEXPORT_SYMBOL(dm_register_target);' },
    ],
    expect: 'clean',
  },
  {
    name: 'nf_conntrack_helper_register: comment',
    file: 'net/netfilter/nf_conntrack_helper.c',
    edits: [{ find: '\t/* avoid unpredictable behaviour for auto_assign_helper */', replace: '\t/* avoid unpredictable behaviour for auto_assign_helper: one helper per tuple */' }],
    expect: 'clean',
    indexPaths: ['net/netfilter'],
  },
  {
    name: 'linear_ctr returns -EEXIST: a table constructor, not on any module_init path',
    file: 'drivers/md/dm-linear.c',
    edits: [{ find: '\tif (argc != 2) {\n\t\tti->error = "Invalid argument count";\n\t\treturn -EINVAL;', replace: '\tif (argc != 2) {\n\t\tti->error = "Invalid argument count";\n\t\treturn -EEXIST;' }],
    expect: 'clean',
    why: 'reached through the target_type ops table at table load, never from module_init',
  },
  {
    name: 'dm_exception_store_type_register: comment',
    file: 'drivers/md/dm-exception-store.c',
    edits: [{ find: 'int dm_exception_store_type_register(struct dm_exception_store_type *type)\n{', replace: '/* A duplicate name is -EBUSY: -EEXIST from module_init means "already loaded" to kmod. */\nint dm_exception_store_type_register(struct dm_exception_store_type *type)\n{' }],
    expect: 'clean',
  },
  {
    name: 'register_key_type: -EEXIST replaced by -EBUSY (fixes a 6.12 site)',
    file: 'security/keys/key.c',
    edits: [{ find: '\tmemset(&ktype->lock_class, 0, sizeof(ktype->lock_class));\n\n\tret = -EEXIST;', replace: '\tmemset(&ktype->lock_class, 0, sizeof(ktype->lock_class));\n\n\tret = -EBUSY;' }],
    expect: 'clean',
    indexPaths: ['security/keys', 'net/rxrpc', 'net/dns_resolver', 'fs/smb'],
    why: 'a patch removing a finding introduces none',
  },
  {
    name: 'dm_mirror_init: message text',
    file: 'drivers/md/dm-raid1.c',
    edits: [{ find: '\t\tDMERR("Failed to alloc workqueue");\n\t\treturn -ENOMEM;', replace: '\t\tDMERR("Failed to allocate the dm_raid1 workqueue");\n\t\treturn -ENOMEM;' }],
    expect: 'clean',
  },
  {
    name: 'init_ext2_fs: comment above the helper call',
    file: 'fs/ext2/super.c',
    edits: [{ find: '\terr = init_inodecache();\n\tif (err)\n\t\treturn err;', replace: '\t/* the inode cache first: register_filesystem() makes it usable */\n\terr = init_inodecache();\n\tif (err)\n\t\treturn err;' }],
    expect: 'clean',
  },
];
