// Accuracy corpus of exit-missing-rcu-barrier (scripts/accuracy.ts): real Linux 6.12 modules
// whose exit path waits for their RCU callbacks, with the rcu_barrier() removed or replaced by
// synchronize_rcu() (must flag) — filesystems whose ->free_inode the VFS calls from call_rcu(),
// the dax case of a7e8de822e0b, and modules with call_rcu() callbacks of their own — and edits
// the rule must stay silent on: benign edits of the same exits, the barrier moved or supplied by
// a helper, and the fix (rcu_barrier() added) where 6.12 still lacks it.
import type { AccuracyCase } from '../../src/engine/accuracy.js';

const dropBarrier = (cache: string) => ({ find: `\trcu_barrier();\n\tkmem_cache_destroy(${cache});`, replace: `\tkmem_cache_destroy(${cache});` });

export const cases: AccuracyCase[] = [
  // ---------------------------------------------------------------- must flag
  {
    name: 'xfs_destroy_caches loses its rcu_barrier() (XFS writes its functions `STATIC`)',
    file: 'fs/xfs/xfs_super.c',
    edits: [{ find: '\t */\n\trcu_barrier();\n\tkmem_cache_destroy(xfs_parent_args_cache);', replace: '\t */\n\tkmem_cache_destroy(xfs_parent_args_cache);' }],
    expect: 'flag',
    why: 'inodes are freed through call_rcu() in xfs_icache.c into xfs_inode_cache, destroyed right after',
  },
  {
    name: 'dax_fs_exit without rcu_barrier()',
    file: 'drivers/dax/super.c',
    edits: [{ find: '\tkern_unmount(dax_mnt);\n\trcu_barrier();\n', replace: '\tkern_unmount(dax_mnt);\n' }],
    expect: 'flag',
    why: 'a7e8de822e0b undone: dax_free_inode() runs from the VFS RCU callback after the module is gone',
  },
  { name: 'ext2 destroy_inodecache without rcu_barrier()', file: 'fs/ext2/super.c', edits: [dropBarrier('ext2_inode_cachep')], expect: 'flag', why: 'barrier in a helper of the exit, removed' },
  { name: 'adfs destroy_inodecache without rcu_barrier()', file: 'fs/adfs/super.c', edits: [dropBarrier('adfs_inode_cachep')], expect: 'flag' },
  { name: 'affs destroy_inodecache without rcu_barrier()', file: 'fs/affs/super.c', edits: [dropBarrier('affs_inode_cachep')], expect: 'flag' },
  { name: 'hpfs destroy_inodecache without rcu_barrier()', file: 'fs/hpfs/super.c', edits: [dropBarrier('hpfs_inode_cachep')], expect: 'flag' },
  { name: 'minix destroy_inodecache without rcu_barrier()', file: 'fs/minix/inode.c', edits: [dropBarrier('minix_inode_cachep')], expect: 'flag' },
  { name: 'squashfs destroy_inodecache without rcu_barrier()', file: 'fs/squashfs/super.c', edits: [dropBarrier('squashfs_inode_cachep')], expect: 'flag' },
  {
    name: 'ufs destroy_inodecache with synchronize_rcu() instead of rcu_barrier()',
    file: 'fs/ufs/super.c',
    edits: [{ find: '\trcu_barrier();\n\tkmem_cache_destroy(ufs_inode_cachep);', replace: '\tsynchronize_rcu();\n\tkmem_cache_destroy(ufs_inode_cachep);' }],
    expect: 'flag',
    why: 'synchronize_rcu() waits for a grace period, not for queued callbacks (rcubarrier.rst)',
  },
  {
    name: 'macsec_exit without rcu_barrier()',
    file: 'drivers/net/macsec.c',
    edits: [{ find: '\tunregister_netdevice_notifier(&macsec_notifier);\n\trcu_barrier();\n}', replace: '\tunregister_netdevice_notifier(&macsec_notifier);\n}' }],
    expect: 'flag',
    why: 'free_rx_sc_rcu/free_rxsa/free_txsa are call_rcu() callbacks in module text',
  },
  {
    name: 'ip_vs_mh_cleanup without rcu_barrier()',
    file: 'net/netfilter/ipvs/ip_vs_mh.c',
    edits: [{ find: '\tunregister_ip_vs_scheduler(&ip_vs_mh_scheduler);\n\trcu_barrier();\n', replace: '\tunregister_ip_vs_scheduler(&ip_vs_mh_scheduler);\n' }],
    expect: 'flag',
    why: 'ip_vs_mh_state_free() queued by call_rcu()',
  },
  // The barrier sits in a helper another file's exit calls (or deeper than the exit path is read).
  {
    name: 'coda_destroy_inodecache (called from psdev.c exit_coda) without rcu_barrier()',
    file: 'fs/coda/inode.c',
    edits: [dropBarrier('coda_inode_cachep')],
    expect: 'flag',
    why: 'exit_coda() in fs/coda/psdev.c reaches it; coda_free_inode() runs from the VFS RCU callback',
    indexPaths: ['fs/coda'],
  },
  {
    name: 'sysv_destroy_icache (called from super.c exit_sysv_fs) without rcu_barrier()',
    file: 'fs/sysv/inode.c',
    edits: [dropBarrier('sysv_inode_cachep')],
    expect: 'flag',
    indexPaths: ['fs/sysv'],
  },
  {
    name: 'ext4_exit_mballoc (called from super.c ext4_exit_fs) without rcu_barrier()',
    file: 'fs/ext4/mballoc.c',
    edits: [dropBarrier('ext4_pspace_cachep')],
    expect: 'flag',
    why: 'ext4_mb_pa_callback() frees into ext4_pspace_cachep from call_rcu()',
    indexPaths: ['fs/ext4'],
  },
  // ---------------------------------------------------------------- must stay clean
  {
    name: 'dax_fs_exit: comment on the barrier',
    file: 'drivers/dax/super.c',
    edits: [{ find: '\tkern_unmount(dax_mnt);\n\trcu_barrier();\n', replace: '\tkern_unmount(dax_mnt);\n\t/* dax_free_inode() runs from an RCU callback */\n\trcu_barrier();\n' }],
    expect: 'clean',
  },
  {
    name: 'ext2: exit reordered, barrier kept in the helper',
    file: 'fs/ext2/super.c',
    edits: [{ find: '\tunregister_filesystem(&ext2_fs_type);\n\tdestroy_inodecache();\n}', replace: '\tunregister_filesystem(&ext2_fs_type);\n\tpr_debug("ext2: unloading\\n");\n\tdestroy_inodecache();\n}' }],
    expect: 'clean',
  },
  {
    name: 'adfs: barrier moved from the helper into the exit function',
    file: 'fs/adfs/super.c',
    edits: [
      { find: '\trcu_barrier();\n\tkmem_cache_destroy(adfs_inode_cachep);', replace: '\tkmem_cache_destroy(adfs_inode_cachep);' },
      { find: '\tunregister_filesystem(&adfs_fs_type);\n', replace: '\tunregister_filesystem(&adfs_fs_type);\n\trcu_barrier();\n' },
    ],
    expect: 'clean',
    why: 'the barrier is still on the exit path, before the cache goes',
  },
  {
    name: 'macsec_exit: barrier first comment',
    file: 'drivers/net/macsec.c',
    edits: [{ find: '\tunregister_netdevice_notifier(&macsec_notifier);\n\trcu_barrier();\n}', replace: '\tunregister_netdevice_notifier(&macsec_notifier);\n\t/* wait for free_rx_sc_rcu() and friends */\n\trcu_barrier();\n}' }],
    expect: 'clean',
  },
  {
    name: 'ip_vs_mh: scheduler name message',
    file: 'net/netfilter/ipvs/ip_vs_mh.c',
    edits: [{ find: '\tunregister_ip_vs_scheduler(&ip_vs_mh_scheduler);\n\trcu_barrier();\n', replace: '\tunregister_ip_vs_scheduler(&ip_vs_mh_scheduler);\n\t/* Wait for ip_vs_mh_state_free() */\n\trcu_barrier();\n' }],
    expect: 'clean',
  },
  {
    name: 'nf_conncount: the fix, rcu_barrier() before the caches go',
    file: 'net/netfilter/nf_conncount.c',
    edits: [{ find: '{\n\tkmem_cache_destroy(conncount_conn_cachep);\n\tkmem_cache_destroy(conncount_rb_cachep);\n}', replace: '{\n\trcu_barrier();\n\tkmem_cache_destroy(conncount_conn_cachep);\n\tkmem_cache_destroy(conncount_rb_cachep);\n}' }],
    expect: 'clean',
    why: 'the real-style fix of a 6.12 site the rule reports',
  },
  {
    name: 'hostfs: the fix, rcu_barrier() after unregister_filesystem()',
    file: 'fs/hostfs/hostfs_kern.c',
    edits: [{ find: '\tunregister_filesystem(&hostfs_type);\n\tkmem_cache_destroy(hostfs_inode_cache);', replace: '\tunregister_filesystem(&hostfs_type);\n\trcu_barrier();\n\tkmem_cache_destroy(hostfs_inode_cache);' }],
    expect: 'clean',
  },
  {
    name: 'can-gw: the comment-only change next to the barrier',
    file: 'net/can/gw.c',
    edits: [{ find: '\trcu_barrier(); /* Wait for completion of call_rcu()\'s */\n', replace: '\t/* Wait for completion of call_rcu()\'s */\n\trcu_barrier();\n' }],
    expect: 'clean',
  },
  {
    name: 'sit: the callback queued before clearing the counter',
    file: 'net/ipv6/sit.c',
    edits: [{ find: '\t\t\tt->prl_count = 0;\n\t\t\tcall_rcu(&x->rcu_head, prl_list_destroy_rcu);\n', replace: '\t\t\tcall_rcu(&x->rcu_head, prl_list_destroy_rcu);\n\t\t\tt->prl_count = 0;\n' }],
    expect: 'clean',
  },
  {
    name: 'coda_destroy_inodecache: comment on the barrier reworded',
    file: 'fs/coda/inode.c',
    edits: [{ find: '\t * Make sure all delayed rcu free inodes are flushed before we\n\t * destroy cache.\n\t */\n\trcu_barrier();\n\tkmem_cache_destroy(coda_inode_cachep);', replace: '\t * Wait for the inodes freed by RCU callbacks before destroying the cache.\n\t */\n\trcu_barrier();\n\tkmem_cache_destroy(coda_inode_cachep);' }],
    expect: 'clean',
    indexPaths: ['fs/coda'],
  },
];
