// Accuracy corpus of exit-missing-release (scripts/accuracy.ts): real Linux 6.12 modules with a
// release dropped from module_exit, the exit put in an order that frees something still in use,
// or the module_exit() taken away (must flag) — among them the two precedents undone,
// f126fbadce92 (mediatek-cpufreq platform device) and a7e8de822e0b (dax cache vs RCU) — and
// edits the rule must stay silent on: benign edits of the same init/exit pairs, real-style fixes
// (reverse-order teardown), releases moved into helpers, and new acquires released properly.
import type { AccuracyCase } from '../../src/engine/accuracy.js';

export const cases: AccuracyCase[] = [
  // ---------------------------------------------------------------- must flag
  {
    name: 'mediatek-cpufreq exit without platform_device_unregister()',
    file: 'drivers/cpufreq/mediatek-cpufreq.c',
    edits: [{ find: '\tplatform_device_unregister(cpufreq_pdev);\n\tplatform_driver_unregister(&mtk_cpufreq_platdrv);', replace: '\tplatform_driver_unregister(&mtk_cpufreq_platdrv);' }],
    expect: 'flag',
    why: 'f126fbadce92 undone: the platform device outlives the module',
  },
  {
    name: 'dax_fs_exit destroys the cache before rcu_barrier()',
    file: 'drivers/dax/super.c',
    edits: [{ find: '\tkern_unmount(dax_mnt);\n\trcu_barrier();\n\tkmem_cache_destroy(dax_cache);', replace: '\tkern_unmount(dax_mnt);\n\tkmem_cache_destroy(dax_cache);\n\trcu_barrier();' }],
    expect: 'flag',
    why: 'a7e8de822e0b: dax_free_inode() frees into dax_cache from an RCU callback',
  },
  {
    name: 'ext2 exit without unregister_filesystem()',
    file: 'fs/ext2/super.c',
    edits: [{ find: '\tunregister_filesystem(&ext2_fs_type);\n\tdestroy_inodecache();\n}', replace: '\tdestroy_inodecache();\n}' }],
    expect: 'flag',
  },
  {
    name: 'af_key exit without sock_unregister()',
    file: 'net/key/af_key.c',
    edits: [{ find: '\tsock_unregister(PF_KEY);\n\tunregister_pernet_subsys(&pfkey_net_ops);', replace: '\tunregister_pernet_subsys(&pfkey_net_ops);' }],
    expect: 'flag',
    why: 'PF_KEY family left registered: socket() calls pfkey_create() in freed text',
  },
  {
    name: 'toshiba exit without misc_deregister()',
    file: 'drivers/char/toshiba.c',
    edits: [{ find: '\tremove_proc_entry("toshiba", NULL);\n\tmisc_deregister(&tosh_device);', replace: '\tremove_proc_entry("toshiba", NULL);' }],
    expect: 'flag',
  },
  {
    name: 'acpi ec_sys exit without debugfs_remove_recursive()',
    file: 'drivers/acpi/ec_sys.c',
    edits: [{ find: '\tdebugfs_remove_recursive(acpi_ec_debugfs_dir);\n}', replace: '}' }],
    expect: 'flag',
    why: 'the debugfs files keep acpi_ec_io_ops of the unloaded module',
  },
  {
    name: 'nf_conncount exit leaks the rb cache',
    file: 'net/netfilter/nf_conncount.c',
    edits: [{ find: '\tkmem_cache_destroy(conncount_conn_cachep);\n\tkmem_cache_destroy(conncount_rb_cachep);\n}', replace: '\tkmem_cache_destroy(conncount_conn_cachep);\n}' }],
    expect: 'flag',
  },
  {
    name: 'ena exit destroys the workqueue before unregistering the PCI driver',
    file: 'drivers/net/ethernet/amazon/ena/ena_netdev.c',
    edits: [
      { find: '\tpci_unregister_driver(&ena_pci_driver);\n\n\tif (ena_wq) {\n\t\tdestroy_workqueue(ena_wq);\n\t\tena_wq = NULL;\n\t}\n', replace: '\tif (ena_wq) {\n\t\tdestroy_workqueue(ena_wq);\n\t\tena_wq = NULL;\n\t}\n\n\tpci_unregister_driver(&ena_pci_driver);\n' },
    ],
    expect: 'flag',
    why: 'bound devices may still queue reset work on ena_wq until the driver is gone',
  },
  {
    name: 'dsp56k exit unregisters the class before destroying its device',
    file: 'drivers/char/dsp56k.c',
    edits: [{ find: '\tdevice_destroy(&dsp56k_class, MKDEV(DSP56K_MAJOR, 0));\n\tclass_unregister(&dsp56k_class);', replace: '\tclass_unregister(&dsp56k_class);\n\tdevice_destroy(&dsp56k_class, MKDEV(DSP56K_MAJOR, 0));' }],
    expect: 'flag',
  },
  {
    name: 'toshiba without module_exit()',
    file: 'drivers/char/toshiba.c',
    edits: [{ find: 'module_exit(toshiba_exit);\n', replace: '' }],
    expect: 'flag',
    why: 'note: a module with registrations and no exit can never be unloaded',
  },
  {
    name: 'hix5hd2_i2c_remove no longer disables runtime PM',
    file: 'drivers/i2c/busses/i2c-hix5hd2.c',
    edits: [{ find: '\ti2c_del_adapter(&priv->adap);\n\tpm_runtime_disable(priv->dev);\n', replace: '\ti2c_del_adapter(&priv->adap);\n' }],
    expect: 'flag',
    why: "a driver's remove callback is the exit of what its probe enabled: every unbind leaves runtime PM enabled",
  },
  {
    name: 'hix5hd2_i2c_remove no longer deletes the adapter',
    file: 'drivers/i2c/busses/i2c-hix5hd2.c',
    edits: [{ find: '\ti2c_del_adapter(&priv->adap);\n\tpm_runtime_disable(priv->dev);\n', replace: '\tpm_runtime_disable(priv->dev);\n' }],
    expect: 'flag',
    why: 'the adapter outlives the unbound device and its freed private data',
  },
  {
    name: 'al3010_probe registers its iio device unmanaged and nothing unregisters it',
    file: 'drivers/iio/light/al3010.c',
    edits: [{ find: '\treturn devm_iio_device_register(&client->dev, indio_dev);', replace: '\treturn iio_device_register(indio_dev);' }],
    expect: 'flag',
    why: 'a managed acquire turned plain with no release in the file: every unbind leaves the iio device registered',
  },
  {
    name: 'hix5hd2_i2c_probe adds its adapter managed while remove still deletes it',
    file: 'drivers/i2c/busses/i2c-hix5hd2.c',
    edits: [{ find: '\tret = i2c_add_adapter(&priv->adap);', replace: '\tret = devm_i2c_add_adapter(&pdev->dev, &priv->adap);' }],
    expect: 'flag',
    why: 'a plain acquire turned managed while remove still releases it by hand: the adapter is deleted twice',
  },
  // ---------------------------------------------------------------- must stay clean
  {
    name: 'samsung_keypad_remove drops the input_unregister_device() of a devm-allocated input device',
    file: 'drivers/input/keyboard/samsung-keypad.c',
    edits: [{ find: '\tpm_runtime_disable(&pdev->dev);\n\n\tinput_unregister_device(keypad->input_dev);\n', replace: '\tpm_runtime_disable(&pdev->dev);\n' }],
    expect: 'clean',
    why: 'input_register_device() of a devm_input_allocate_device() object is undone by the driver core at unbind',
  },
  {
    name: 'hix5hd2_i2c_probe turns to devm_pm_runtime_enable() and remove drops pm_runtime_disable()',
    file: 'drivers/i2c/busses/i2c-hix5hd2.c',
    edits: [
      { find: '\tpm_runtime_enable(priv->dev);\n\n\tret = i2c_add_adapter(&priv->adap);\n\tif (ret < 0)\n\t\tgoto err_runtime;\n\n\treturn ret;\n\nerr_runtime:\n\tpm_runtime_disable(priv->dev);\n\tpm_runtime_set_suspended(priv->dev);\n', replace: '\tret = devm_pm_runtime_enable(priv->dev);\n\tif (ret)\n\t\treturn ret;\n\n\treturn i2c_add_adapter(&priv->adap);\n' },
      { find: '\ti2c_del_adapter(&priv->adap);\n\tpm_runtime_disable(priv->dev);\n\tpm_runtime_set_suspended(priv->dev);\n', replace: '\ti2c_del_adapter(&priv->adap);\n' },
    ],
    expect: 'clean',
    why: 'a devm_ conversion: the driver core disables runtime PM; the runtime PM callbacks still turn the clock on and off, which is no acquire remove must undo',
  },
  {
    name: 'mediatek-cpufreq: error message reworded',
    file: 'drivers/cpufreq/mediatek-cpufreq.c',
    edits: [{ find: 'pr_err("failed to register mtk-cpufreq platform device\\n");', replace: 'pr_err("failed to register mtk-cpufreq platform device: %ld\\n", PTR_ERR(cpufreq_pdev));' }],
    expect: 'clean',
  },
  {
    name: 'dax_fs_exit: comment before the barrier',
    file: 'drivers/dax/super.c',
    edits: [{ find: '\tkern_unmount(dax_mnt);\n\trcu_barrier();\n', replace: '\tkern_unmount(dax_mnt);\n\t/* inodes are freed by RCU callbacks into dax_cache */\n\trcu_barrier();\n' }],
    expect: 'clean',
  },
  {
    name: 'charger-manager: the fix, driver unregistered before the workqueue goes',
    file: 'drivers/power/supply/charger-manager.c',
    edits: [
      { find: '\tdestroy_workqueue(cm_wq);\n\tcm_wq = NULL;\n\n\tplatform_driver_unregister(&charger_manager_driver);\n', replace: '\tplatform_driver_unregister(&charger_manager_driver);\n\n\tdestroy_workqueue(cm_wq);\n\tcm_wq = NULL;\n' },
    ],
    expect: 'clean',
    why: 'real-style fix of a 6.12 site the rule reports',
  },
  {
    name: 'ext2: exit steps moved into a helper',
    file: 'fs/ext2/super.c',
    edits: [{ find: 'static void __exit exit_ext2_fs(void)\n{\n\tunregister_filesystem(&ext2_fs_type);\n\tdestroy_inodecache();\n}', replace: 'static void ext2_teardown(void)\n{\n\tunregister_filesystem(&ext2_fs_type);\n\tdestroy_inodecache();\n}\n\nstatic void __exit exit_ext2_fs(void)\n{\n\text2_teardown();\n}' }],
    expect: 'clean',
  },
  {
    name: 'af_key: exit in exact reverse order of init',
    file: 'net/key/af_key.c',
    edits: [{ find: '\txfrm_unregister_km(&pfkeyv2_mgr);\n\tsock_unregister(PF_KEY);\n\tunregister_pernet_subsys(&pfkey_net_ops);\n\tproto_unregister(&key_proto);', replace: '\txfrm_unregister_km(&pfkeyv2_mgr);\n\tsock_unregister(PF_KEY);\n\tunregister_pernet_subsys(&pfkey_net_ops);\n\tproto_unregister(&key_proto);\n\tpr_debug("PF_KEY unloaded\\n");' }],
    expect: 'clean',
  },
  {
    name: 'toshiba: a second proc entry, removed in exit',
    file: 'drivers/char/toshiba.c',
    edits: [
      { find: '\t\tpde = proc_create_single("toshiba", 0, NULL, proc_toshiba_show);\n', replace: '\t\tpde = proc_create_single("toshiba", 0, NULL, proc_toshiba_show);\n\t\tif (pde && !proc_create_single("toshiba_fn", 0, NULL, proc_toshiba_show))\n\t\t\tpr_warn("toshiba: no fn entry\\n");\n' },
      { find: '\tremove_proc_entry("toshiba", NULL);\n', replace: '\tremove_proc_entry("toshiba_fn", NULL);\n\tremove_proc_entry("toshiba", NULL);\n' },
    ],
    expect: 'clean',
  },
  {
    name: 'nf_conncount: a third cache, destroyed in exit',
    file: 'net/netfilter/nf_conncount.c',
    edits: [
      { find: '\tconncount_rb_cachep = KMEM_CACHE(nf_conncount_rb, 0);\n', replace: '\tconncount_extra_cachep = KMEM_CACHE(nf_conncount_extra, 0);\n\tif (!conncount_extra_cachep)\n\t\treturn -ENOMEM;\n\n\tconncount_rb_cachep = KMEM_CACHE(nf_conncount_rb, 0);\n' },
      { find: '\tkmem_cache_destroy(conncount_rb_cachep);\n}', replace: '\tkmem_cache_destroy(conncount_rb_cachep);\n\tkmem_cache_destroy(conncount_extra_cachep);\n}' },
    ],
    expect: 'clean',
  },
  {
    name: 'ena: workqueue destroyed unconditionally after the driver',
    file: 'drivers/net/ethernet/amazon/ena/ena_netdev.c',
    edits: [{ find: '\tif (ena_wq) {\n\t\tdestroy_workqueue(ena_wq);\n\t\tena_wq = NULL;\n\t}\n', replace: '\tdestroy_workqueue(ena_wq);\n\tena_wq = NULL;\n' }],
    expect: 'clean',
  },
  {
    name: 'dsp56k: banner through pr_info',
    file: 'drivers/char/dsp56k.c',
    edits: [{ find: '\tprintk(banner);\n', replace: '\tpr_info("%s", banner);\n' }],
    expect: 'clean',
  },
  {
    name: 'acpi ec_sys: debugfs file mode computed once',
    file: 'drivers/acpi/ec_sys.c',
    edits: [{ find: '\tif (write_support)\n\t\tmode = 0600;\n', replace: '\tmode = write_support ? 0600 : 0400;\n' }],
    expect: 'clean',
  },
];
