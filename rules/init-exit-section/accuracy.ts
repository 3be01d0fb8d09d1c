// Accuracy corpus of init-exit-section (scripts/accuracy.ts): real Linux 6.12 functions and
// objects given a section annotation that does not fit how they are used (must flag) — __exit on
// cleanup helpers that init's error path calls, __init on probe routines and runtime helpers,
// __initdata on an object a registered device keeps — and the annotations that do fit (must stay
// clean): __init on helpers only init calls, __initconst on tables only init reads, benign edits.
import type { AccuracyCase } from '../../src/engine/accuracy.js';

export const cases: AccuracyCase[] = [
  // ---------------------------------------------------------------- must flag
  {
    name: 'gfs2_init_gl_aspace_once marked __init: kmem_cache_create() keeps it as the slab constructor',
    file: 'fs/gfs2/main.c',
    edits: [{ find: 'static void gfs2_init_gl_aspace_once(void *foo)', replace: 'static void __init gfs2_init_gl_aspace_once(void *foo)' }],
    expect: 'flag',
    why: 'a constructor runs for every new slab object, long after the module\'s init text is freed',
  },
  {
    name: 'madera_ldo1_probe marked __init: its driver sits in the table platform_register_drivers() takes',
    file: 'drivers/regulator/arizona-ldo1.c',
    edits: [{ find: 'static int madera_ldo1_probe(struct platform_device *pdev)', replace: 'static int __init madera_ldo1_probe(struct platform_device *pdev)' }],
    expect: 'flag',
    why: 'probe runs whenever a device binds; the driver is reached through madera_ldo1_drivers[]',
  },
  {
    name: 'paes_s390_fini marked __exit, but init\'s error path calls it',
    file: 'arch/s390/crypto/paes_s390.c',
    edits: [{ find: 'static void paes_s390_fini(void)', replace: 'static void __exit paes_s390_fini(void)' }],
    expect: 'flag',
    why: 'built in, .exit.text is discarded: the init error path calls nothing',
  },
  {
    name: 'dax_fs_exit marked __exit, but dax_core_init() unwinds with it',
    file: 'drivers/dax/super.c',
    edits: [{ find: 'static void dax_fs_exit(void)', replace: 'static void __exit dax_fs_exit(void)' }],
    expect: 'flag',
  },
  {
    name: 'uv_hubs_exit marked __exit, but uv_sysfs_init() unwinds with it',
    file: 'drivers/platform/x86/uv_sysfs.c',
    edits: [{ find: 'static void uv_hubs_exit(void)', replace: 'static void __exit uv_hubs_exit(void)' }],
    expect: 'flag',
  },
  {
    name: 'ext2 destroy_inodecache marked __exit, but init\'s error path calls it',
    file: 'fs/ext2/super.c',
    edits: [{ find: 'static void destroy_inodecache(void)', replace: 'static void __exit destroy_inodecache(void)' }],
    expect: 'flag',
  },
  {
    name: 'ena_probe marked __init: the PCI core probes whenever a device appears',
    file: 'drivers/net/ethernet/amazon/ena/ena_netdev.c',
    edits: [{ find: 'static int ena_probe(struct pci_dev *pdev, const struct pci_device_id *ent)', replace: 'static int __init ena_probe(struct pci_dev *pdev, const struct pci_device_id *ent)' }],
    expect: 'flag',
  },
  {
    name: 'mtk_cpufreq_probe marked __init: deferred probing runs it after init',
    file: 'drivers/cpufreq/mediatek-cpufreq.c',
    edits: [{ find: 'static int mtk_cpufreq_probe(struct platform_device *pdev)', replace: 'static int __init mtk_cpufreq_probe(struct platform_device *pdev)' }],
    expect: 'flag',
  },
  {
    name: 'ext2_fill_super marked __init: every mount calls it',
    file: 'fs/ext2/super.c',
    edits: [{ find: 'static int ext2_fill_super(struct super_block *sb, void *data, int silent)', replace: 'static int __init ext2_fill_super(struct super_block *sb, void *data, int silent)' }],
    expect: 'flag',
  },
  {
    name: 'softdog_info marked __initdata: the registered watchdog keeps a pointer to it',
    file: 'drivers/watchdog/softdog.c',
    edits: [{ find: 'static struct watchdog_info softdog_info = {', replace: 'static struct watchdog_info softdog_info __initdata = {' }],
    expect: 'flag',
  },
  {
    name: 'uv_ports_exit marked __exit, but uv_sysfs_init() unwinds with it',
    file: 'drivers/platform/x86/uv_sysfs.c',
    edits: [{ find: 'static void uv_ports_exit(void)', replace: 'static void __exit uv_ports_exit(void)' }],
    expect: 'flag',
  },
  // ---------------------------------------------------------------- must stay clean
  {
    name: 'tcic try_irq: an __init IRQ probe handler requested and freed within init (name changed)',
    file: 'drivers/pcmcia/tcic.c',
    edits: [{ find: '"irq scan", tcic_irq_count) != 0)', replace: '"tcic irq scan", tcic_irq_count) != 0)' }],
    expect: 'clean',
    why: 'free_irq(irq, tcic_irq_count) in the same function: the handler is not kept',
  },
  {
    name: 'acpi_ec_add_debugfs marked __init: only init calls it',
    file: 'drivers/acpi/ec_sys.c',
    edits: [{ find: 'static void acpi_ec_add_debugfs(struct acpi_ec *ec, unsigned int ec_device_count)', replace: 'static void __init acpi_ec_add_debugfs(struct acpi_ec *ec, unsigned int ec_device_count)' }],
    expect: 'clean',
  },
  {
    name: 'dax_fs_init marked __init: only dax_core_init() calls it',
    file: 'drivers/dax/super.c',
    edits: [{ find: 'static int dax_fs_init(void)', replace: 'static int __init dax_fs_init(void)' }],
    expect: 'clean',
  },
  {
    name: 'uv_hubs_init marked __init: only uv_sysfs_init() calls it',
    file: 'drivers/platform/x86/uv_sysfs.c',
    edits: [{ find: 'static int uv_hubs_init(void)', replace: 'static int __init uv_hubs_init(void)' }],
    expect: 'clean',
  },
  {
    name: 'mtk_cpufreq_machines: __initconst table without __maybe_unused (only init matches it)',
    file: 'drivers/cpufreq/mediatek-cpufreq.c',
    edits: [{ find: 'static const struct of_device_id mtk_cpufreq_machines[] __initconst __maybe_unused = {', replace: 'static const struct of_device_id mtk_cpufreq_machines[] __initconst = {' }],
    expect: 'clean',
  },
  {
    name: 'ext2: exit body moved into an __exit helper only exit calls',
    file: 'fs/ext2/super.c',
    edits: [{ find: 'static void __exit exit_ext2_fs(void)\n{\n\tunregister_filesystem(&ext2_fs_type);\n\tdestroy_inodecache();\n}', replace: 'static void __exit ext2_teardown(void)\n{\n\tunregister_filesystem(&ext2_fs_type);\n\tdestroy_inodecache();\n}\n\nstatic void __exit exit_ext2_fs(void)\n{\n\text2_teardown();\n}' }],
    expect: 'clean',
  },
  {
    name: 'softdog: init-time message',
    file: 'drivers/watchdog/softdog.c',
    edits: [{ find: '\tif (soft_active_on_boot)\n\t\tsoftdog_ping(&softdog_dev);\n', replace: '\tif (soft_active_on_boot) {\n\t\tpr_info("softdog: active on boot\\n");\n\t\tsoftdog_ping(&softdog_dev);\n\t}\n' }],
    expect: 'clean',
  },
  {
    name: 'ena: a pr_info in the __init function',
    file: 'drivers/net/ethernet/amazon/ena/ena_netdev.c',
    edits: [{ find: '\tret = pci_register_driver(&ena_pci_driver);\n\tif (ret)\n\t\tdestroy_workqueue(ena_wq);\n', replace: '\tret = pci_register_driver(&ena_pci_driver);\n\tif (ret) {\n\t\tpr_err("ena: driver registration failed: %d\\n", ret);\n\t\tdestroy_workqueue(ena_wq);\n\t}\n' }],
    expect: 'clean',
  },
  {
    name: 'paes: __init kept on init, fini left unannotated (it is an unwind helper)',
    file: 'arch/s390/crypto/paes_s390.c',
    edits: [{ find: 'static void paes_s390_fini(void)\n{', replace: 'static void paes_s390_fini(void)\n{\n\t/* also the unwind path of paes_s390_init(): no __exit */' }],
    expect: 'clean',
  },
  {
    name: 'uv_sysfs: pci_topology_init marked __init (only init calls it)',
    file: 'drivers/platform/x86/uv_sysfs.c',
    edits: [{ find: 'static int pci_topology_init(void)', replace: 'static int __init pci_topology_init(void)' }],
    expect: 'clean',
  },
];
