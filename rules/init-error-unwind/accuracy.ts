// Accuracy corpus of init-error-unwind (scripts/accuracy.ts): real Linux 6.12 init functions,
// mutated to drop an unwind step, skip a rung of the goto ladder or return early past an acquire
// (must flag), and benign edits / correct reworks of the same functions (must stay silent).
import type { AccuracyCase } from '../../src/engine/accuracy.js';

export const cases: AccuracyCase[] = [
  // ---------------------------------------------------------------- must flag
  {
    name: 'ena_init returns pci_register_driver() with the workqueue held',
    file: 'drivers/net/ethernet/amazon/ena/ena_netdev.c',
    edits: [{ find: '\tret = pci_register_driver(&ena_pci_driver);\n\tif (ret)\n\t\tdestroy_workqueue(ena_wq);\n\n\treturn ret;', replace: '\treturn pci_register_driver(&ena_pci_driver);' }],
    expect: 'flag',
    why: 'the bug d349e9be5a2c fixed, undone: `return acquire()` as the last step leaks what came before',
  },
  {
    name: 'ena_init drops destroy_workqueue() on pci_register_driver() failure',
    file: 'drivers/net/ethernet/amazon/ena/ena_netdev.c',
    edits: [{ find: '\tif (ret)\n\t\tdestroy_workqueue(ena_wq);\n\n\treturn ret;', replace: '\n\treturn ret;' }],
    expect: 'flag',
    why: '`ret = acquire(); return ret;` with no check in between',
  },
  {
    name: 'mtk_cpufreq_driver_init forgets platform_driver_unregister()',
    file: 'drivers/cpufreq/mediatek-cpufreq.c',
    edits: [{ find: '\t\tplatform_driver_unregister(&mtk_cpufreq_platdrv);\n\t\treturn PTR_ERR(cpufreq_pdev);', replace: '\t\treturn PTR_ERR(cpufreq_pdev);' }],
    expect: 'flag',
    why: 'the bug 2f05c19d9ef4 fixed, undone: IS_ERR() failure of a handle acquire returns with a driver registered',
  },
  {
    name: 'panel_simple_init returns on mipi_dsi_driver_register() failure',
    file: 'drivers/gpu/drm/panel/panel-simple.c',
    edits: [{ find: '\t\t\tgoto err_did_platform_register;', replace: '\t\t\treturn err;' }],
    expect: 'flag',
    why: 'the bug f2e66f212a9d fixed, undone: early return inside an IS_ENABLED() block',
  },
  {
    name: 'dm_snapshot_init ladder loses dm_unregister_target(&origin_target)',
    file: 'drivers/md/dm-snap.c',
    edits: [{ find: '\tdm_unregister_target(&origin_target);\nbad_register_origin_target:', replace: 'bad_register_origin_target:' }],
    expect: 'flag',
    why: 'a rung removed from a seven-step goto ladder',
  },
  {
    name: 'dm_multipath_init jumps one rung too far',
    file: 'drivers/md/dm-mpath.c',
    edits: [{ find: '\t\tDMERR("failed to create workqueue dm_mpath_wq");\n\t\tgoto bad_alloc_dm_mpath_wq;', replace: '\t\tDMERR("failed to create workqueue dm_mpath_wq");\n\t\tgoto bad_alloc_kmpath_handlerd;' }],
    expect: 'flag',
    why: 'goto to the wrong label skips destroy_workqueue(kmpath_handlerd)',
  },
  {
    name: 'dm_thin_init returns past the thin target registration',
    file: 'drivers/md/dm-thin.c',
    edits: [{ find: '\tr = dm_register_target(&pool_target);\n\tif (r)\n\t\tgoto bad_thin_target;', replace: '\tr = dm_register_target(&pool_target);\n\tif (r)\n\t\treturn r;' }],
    expect: 'flag',
    why: 'early return past a registration and a kmem_cache',
  },
  {
    name: 'dm_mirror_init keeps the workqueue when registration fails',
    file: 'drivers/md/dm-raid1.c',
    edits: [{ find: '\tif (r < 0) {\n\t\tdestroy_workqueue(dm_raid1_wq);\n\t\treturn r;\n\t}', replace: '\tif (r < 0)\n\t\treturn r;' }],
    expect: 'flag',
    why: 'release dropped from an inline failure block',
  },
  {
    name: 'loop_init skips misc_deregister()',
    file: 'drivers/block/loop.c',
    edits: [{ find: '\t\terr = -EIO;\n\t\tgoto misc_out;', replace: '\t\terr = -EIO;\n\t\tgoto err_out;' }],
    expect: 'flag',
    why: 'a failure test that is not `if (ret)` (`if (__register_blkdev(...))`) jumping past a release',
  },
  {
    name: 'br_init skips unregister_netdevice_notifier()',
    file: 'net/bridge/br.c',
    edits: [{ find: '\terr = register_switchdev_notifier(&br_switchdev_notifier);\n\tif (err)\n\t\tgoto err_out4;', replace: '\terr = register_switchdev_notifier(&br_switchdev_notifier);\n\tif (err)\n\t\tgoto err_out3;' }],
    expect: 'flag',
    why: 'a long ladder in networking; the skipped rung is a netdevice notifier',
  },
  {
    name: 'init_nfs_fs loses unregister_pernet_subsys()',
    file: 'fs/nfs/inode.c',
    edits: [{ find: 'out7:\n\tunregister_pernet_subsys(&nfs_net_ops);\n', replace: 'out7:\n' }],
    expect: 'flag',
    why: 'filesystem init ladder with many helper steps; the dropped rung is a table pair',
  },
  {
    name: 'init_ext2_fs returns without destroying the inode cache',
    file: 'fs/ext2/super.c',
    edits: [{ find: '\terr = register_filesystem(&ext2_fs_type);\n\tif (err)\n\t\tgoto out;\n\treturn 0;', replace: '\treturn register_filesystem(&ext2_fs_type);' }],
    expect: 'flag',
    why: 'the cache is made by a same-file helper (init_inodecache()): the acquire is one call level down',
  },
  // Shapes the `inline` deletion probe (scripts/corpus/deletion-probe.ts) found missed in init
  // code of any kind (boot hooks and built-in initcalls as well as module_init).
  {
    name: 'mmp3_of_init keeps its second mapping when mmp_init_bases() fails',
    file: 'drivers/irqchip/irq-mmp.c',
    edits: [{ find: '\tif (ret < 0) {\n\t\tiounmap(mmp_icu2_base);\n\t\treturn ret;', replace: '\tif (ret < 0) {\n\t\treturn ret;' }],
    expect: 'flag',
    why: "the helper's own failure path unmaps its own global (mmp_icu_base), not the caller's mmp_icu2_base",
  },
  {
    name: 'pika_dtm_start keeps dtm_fpga mapped when kthread_run() fails',
    file: 'arch/powerpc/platforms/44x/warp.c',
    edits: [{ find: '\tif (IS_ERR(dtm_thread)) {\n\t\tiounmap(dtm_fpga);\n', replace: '\tif (IS_ERR(dtm_thread)) {\n' }],
    expect: 'flag',
    why: 'warp_post_info() maps and unmaps a local of its own: no release of what its caller mapped',
  },
  {
    name: 'spiderpci_pci_setup_chip keeps the dummy page when its DMA mapping fails',
    file: 'arch/powerpc/platforms/cell/spider-pci.c',
    edits: [{ find: '\t\tpr_err("SPIDER-IOWA:Map dummy page filed.\\n");\n\t\tkfree(dummy_page_va);\n', replace: '\t\tpr_err("SPIDER-IOWA:Map dummy page filed.\\n");\n' }],
    expect: 'flag',
    why: '`if (dma_mapping_error(...)) return -1;` is a failure exit',
  },
  {
    name: 'virtual_eisa_root_init keeps eisa_root_dev registered when eisa_root_register() fails',
    file: 'drivers/eisa/virtual_root.c',
    edits: [{ find: '\t\tplatform_device_unregister (&eisa_root_dev);\n\t\treturn -1;', replace: '\t\treturn -1;' }],
    expect: 'flag',
    why: '`return -1;` is an init failure, whatever the test before it',
  },
  {
    name: 'snd_hrtimer_init drops snd_timer_global_free() when registering fails',
    file: 'sound/core/hrtimer.c',
    edits: [{ find: '\tif (err < 0) {\n\t\tsnd_timer_global_free(timer);\n\t\treturn err;', replace: '\tif (err < 0) {\n\t\treturn err;' }],
    expect: 'flag',
    why: "snd_timer_global_new()'s counterpart is named by the pre-image: the patch took away its only call",
  },
  {
    name: 'rda8810_intc_init keeps its registers mapped when the irq domain cannot be created',
    file: 'drivers/irqchip/irq-rda-intc.c',
    edits: [{ find: '\tif (!rda_irq_domain) {\n\t\tiounmap(rda_intc_base);\n', replace: '\tif (!rda_irq_domain) {\n' }],
    expect: 'flag',
    why: 'of_io_request_and_map() maps (and requests) a region: iounmap() undoes it',
  },
  {
    name: 'applicom_init leaves the PCI device enabled when ioremap() fails',
    file: 'drivers/char/applicom.c',
    edits: [{ find: '\t\t\t\t(unsigned long long)pci_resource_start(dev, 0));\n\t\t\tpci_disable_device(dev);\n', replace: '\t\t\t\t(unsigned long long)pci_resource_start(dev, 0));\n' }],
    expect: 'flag',
    why: 'pci_enable_device() by hand (not pcim_) is undone by pci_disable_device()',
  },
  {
    name: 'llc_sysctl_init keeps whichever sysctl table registered when the other did not',
    file: 'net/llc/sysctl_net_llc.c',
    edits: [{ find: '\tif (!llc2_timeout_header || !llc_station_header) {\n\t\tllc_sysctl_exit();\n', replace: '\tif (!llc2_timeout_header || !llc_station_header) {\n' }],
    expect: 'flag',
    why: 'register_net_sysctl() hands back a header that unregister_net_sysctl_table() takes down',
  },
  // ---------------------------------------------------------------- must stay silent
  {
    name: 'haltpoll_init: cpuhp state name changed',
    file: 'drivers/cpuidle/cpuidle-haltpoll.c',
    edits: [{ find: '"cpuidle/haltpoll:online"', replace: '"cpuidle/haltpoll:on"' }],
    expect: 'clean',
    why: 'haltpoll_uninit() unregisters &haltpoll_driver, which the local drv points at',
  },
  {
    name: 'isapnp_next_rdp: region name changed',
    file: 'drivers/pnp/isapnp/core.c',
    edits: [{ find: 'request_region(rdp, 1, "ISAPnP")', replace: 'request_region(rdp, 1, "isapnp")' }],
    expect: 'clean',
    why: '`if (range && request_region(...)) return 0;`: past the if, nothing was requested',
  },
  {
    name: 'ena_init: message text',
    file: 'drivers/net/ethernet/amazon/ena/ena_netdev.c',
    edits: [{ find: '\t\tpr_err("Failed to create workqueue\\n");\n\t\treturn -ENOMEM;', replace: '\t\tpr_err("Failed to allocate the ena workqueue\\n");\n\t\treturn -ENOMEM;' }],
    expect: 'clean',
  },
  {
    name: 'ena_init: reworked into a goto ladder, still correct',
    file: 'drivers/net/ethernet/amazon/ena/ena_netdev.c',
    edits: [
      {
        find: '\tret = pci_register_driver(&ena_pci_driver);\n\tif (ret)\n\t\tdestroy_workqueue(ena_wq);\n\n\treturn ret;',
        replace: '\tret = pci_register_driver(&ena_pci_driver);\n\tif (ret)\n\t\tgoto err_destroy_wq;\n\n\treturn 0;\n\nerr_destroy_wq:\n\tdestroy_workqueue(ena_wq);\n\treturn ret;',
      },
    ],
    expect: 'clean',
  },
  {
    name: 'mtk_cpufreq_driver_init: comment reworded',
    file: 'drivers/cpufreq/mediatek-cpufreq.c',
    edits: [{ find: '\t * probing.\n\t */\n\tcpufreq_pdev', replace: '\t * probing (the device is created here, not from DT).\n\t */\n\tcpufreq_pdev' }],
    expect: 'clean',
  },
  {
    name: 'panel_simple_init: label renamed',
    file: 'drivers/gpu/drm/panel/panel-simple.c',
    edits: [
      { find: '\t\t\tgoto err_did_platform_register;', replace: '\t\t\tgoto err_unregister_platform;' },
      { find: 'err_did_platform_register:\n', replace: 'err_unregister_platform:\n' },
    ],
    expect: 'clean',
  },
  {
    name: 'dm_snapshot_init: DMERR text',
    file: 'drivers/md/dm-snap.c',
    edits: [{ find: '\t\tDMERR("Couldn\'t create pending cache.");', replace: '\t\tDMERR("Couldn\'t create the pending exception cache.");' }],
    expect: 'clean',
  },
  {
    name: 'dm_mirror_init: local renamed r -> ret',
    file: 'drivers/md/dm-raid1.c',
    edits: [
      {
        find: '\tint r;\n\n\tdm_raid1_wq = alloc_workqueue("dm_raid1_wq", 0, 0);\n\tif (!dm_raid1_wq) {\n\t\tDMERR("Failed to alloc workqueue");\n\t\treturn -ENOMEM;\n\t}\n\n\tr = dm_register_target(&mirror_target);\n\tif (r < 0) {\n\t\tdestroy_workqueue(dm_raid1_wq);\n\t\treturn r;\n\t}',
        replace: '\tint ret;\n\n\tdm_raid1_wq = alloc_workqueue("dm_raid1_wq", 0, 0);\n\tif (!dm_raid1_wq) {\n\t\tDMERR("Failed to alloc workqueue");\n\t\treturn -ENOMEM;\n\t}\n\n\tret = dm_register_target(&mirror_target);\n\tif (ret < 0) {\n\t\tdestroy_workqueue(dm_raid1_wq);\n\t\treturn ret;\n\t}',
      },
    ],
    expect: 'clean',
  },
  {
    name: 'dm_cache_init: braces dropped around a goto',
    file: 'drivers/md/dm-cache-target.c',
    edits: [{ find: '\tr = dm_register_target(&cache_target);\n\tif (r) {\n\t\tgoto err;\n\t}', replace: '\tr = dm_register_target(&cache_target);\n\tif (r)\n\t\tgoto err;' }],
    expect: 'clean',
    why: 'one label destroying both caches (kmem_cache_destroy(NULL) is a no-op) is correct',
  },
  {
    name: 'dm_thin_init: a new workqueue with its own rung',
    file: 'drivers/md/dm-thin.c',
    edits: [
      {
        find: '\t_new_mapping_cache = KMEM_CACHE(dm_thin_new_mapping, 0);\n\tif (!_new_mapping_cache)\n\t\treturn r;\n\n\tr = dm_register_target(&thin_target);\n\tif (r)\n\t\tgoto bad_new_mapping_cache;',
        replace: '\t_new_mapping_cache = KMEM_CACHE(dm_thin_new_mapping, 0);\n\tif (!_new_mapping_cache)\n\t\treturn r;\n\n\tthin_wq = alloc_workqueue("dm-thin", WQ_MEM_RECLAIM, 0);\n\tif (!thin_wq)\n\t\tgoto bad_new_mapping_cache;\n\n\tr = dm_register_target(&thin_target);\n\tif (r)\n\t\tgoto bad_thin_wq;',
      },
      { find: 'bad_new_mapping_cache:\n\tkmem_cache_destroy(_new_mapping_cache);', replace: 'bad_thin_wq:\n\tdestroy_workqueue(thin_wq);\nbad_new_mapping_cache:\n\tkmem_cache_destroy(_new_mapping_cache);' },
    ],
    expect: 'clean',
    why: 'a real-style extension: new acquire with the matching release in ladder order',
  },
  {
    name: 'loop_init: printk converted to pr_info',
    file: 'drivers/block/loop.c',
    edits: [{ find: '\tprintk(KERN_INFO "loop: module loaded\\n");', replace: '\tpr_info("loop: module loaded\\n");' }],
    expect: 'clean',
  },
  {
    name: 'br_init: error message text',
    file: 'net/bridge/br.c',
    edits: [{ find: '\t\tpr_err("bridge: can\'t register sap for STP\\n");', replace: '\t\tpr_err("bridge: cannot register the STP SAP\\n");' }],
    expect: 'clean',
  },
  {
    name: 'init_nfs_fs: comment added above a rung',
    file: 'fs/nfs/inode.c',
    edits: [{ find: 'out7:\n\tunregister_pernet_subsys(&nfs_net_ops);\n', replace: 'out7:\n\t/* undo register_pernet_subsys() */\n\tunregister_pernet_subsys(&nfs_net_ops);\n' }],
    expect: 'clean',
  },
  {
    name: 'dm_multipath_init: workqueue name changed',
    file: 'drivers/md/dm-mpath.c',
    edits: [{ find: '\tdm_mpath_wq = alloc_workqueue("dm_mpath_wq", 0, 0);', replace: '\tdm_mpath_wq = alloc_workqueue("dm_mpath_wq", WQ_MEM_RECLAIM, 0);' }],
    expect: 'clean',
  },
];
