// Acquire → release pairs of module init code, as data. Every pair was seen together in real
// Linux 6.12 code (test/engine/resources.test.ts checks each against the tree). `kind` says how a
// failed acquire is told apart from a successful one:
//   status — returns 0 or -errno (`ret = register_x(&obj); if (ret) ...`); identity = first argument
//   handle — returns a pointer/handle (`p = kmem_cache_create(...); if (!p) ...`); identity = the variable
//   nid    — returns a non-negative id or -errno (`state = cpuhp_setup_state(...); if (state < 0)`)

export type AcquireKind = 'status' | 'handle' | 'nid';

export interface ResourcePair {
  acquire: string;
  release: string[];
  kind: AcquireKind;
  /** Which argument names the resource for `status` acquires (default 0). */
  arg?: number;
  /**
   * What must still be released when the acquire itself fails: device_register() has initialised
   * the device, so a failure still needs put_device() (its kernel-doc says so).
   */
  onFailure?: string[];
  /**
   * The onFailure residue only for an object the module allocated: a file-scope `static struct
   * platform_device` registered by address has no allocation to give back.
   */
  onFailureAllocatedOnly?: boolean;
  /**
   * A lookup that hands out a counted reference (of_find_node_by_name(), pci_get_device()): the
   * caller puts it when done, on every path, success included, unless it keeps the object.
   */
  lookup?: boolean;
  /**
   * Undone on init's failure paths, but a module may leave it in place for good when init
   * succeeds: a PCI device it enabled to read (the EDAC drivers' pci_enable_device() on devices
   * they do not own). Not asked of module_exit.
   */
  unwindOnly?: boolean;
  /** The acquire returns void (register_console(), inet_register_protosw()): it cannot fail. */
  returnsVoid?: boolean;
}

const P = (acquire: string, release: string | string[], kind: AcquireKind = 'status', arg?: number): ResourcePair => {
  const p: ResourcePair = { acquire, release: Array.isArray(release) ? release : [release], kind };
  if (arg !== undefined) p.arg = arg;
  return p;
};

/** An acquire that returns nothing and so cannot fail (see ResourcePair.returnsVoid). */
const V = (acquire: string, release: string | string[]): ResourcePair => ({ ...P(acquire, release), returnsVoid: true });

/** A lookup's reference (see ResourcePair.lookup). */
const L = (acquire: string, release: string | string[]): ResourcePair => ({ ...P(acquire, release, 'handle'), lookup: true });

export const RESOURCE_PAIRS: readonly ResourcePair[] = [
  // character devices, classes, devices
  P('register_chrdev', ['unregister_chrdev', '__unregister_chrdev'], 'nid'),
  P('__register_chrdev', ['__unregister_chrdev', 'unregister_chrdev'], 'nid'),
  P('register_chrdev_region', 'unregister_chrdev_region'),
  P('alloc_chrdev_region', 'unregister_chrdev_region'),
  P('cdev_add', 'cdev_del'),
  P('class_create', 'class_destroy', 'handle'),
  P('class_register', ['class_unregister', 'class_destroy']),
  P('device_create', ['device_destroy', 'device_unregister'], 'handle'),
  { ...P('device_register', ['device_unregister', 'put_device']), onFailure: ['put_device'] },
  // device_initialize() takes the reference device_add() builds on: undone by put_device() even when device_add() fails.
  V('device_initialize', ['put_device', 'device_unregister']),
  P('device_add', ['device_del', 'device_unregister']),
  { ...P('kobject_init_and_add', 'kobject_put'), onFailure: ['kobject_put'] },
  // A kset named with kobject_set_name() before kset_register(): the name is freed by the final
  // kset_put(), also when registration failed (fs/ubifs/sysfs.c, drivers/base/bus.c).
  { ...P('kset_register', ['kset_unregister', 'kset_put']), onFailure: ['kset_put'] },
  P('device_add_disk', ['del_gendisk', 'put_disk'], 'status', 1),
  P('add_disk', ['del_gendisk', 'put_disk']),
  P('blk_mq_alloc_disk', 'put_disk', 'handle'),
  // PCI device lookups hand out a reference (pci_dev_put() drops it; iterating passes it on).
  L('pci_get_device', 'pci_dev_put'),
  L('pci_get_class', 'pci_dev_put'),
  L('pci_get_subsys', 'pci_dev_put'),
  L('pci_get_domain_bus_and_slot', 'pci_dev_put'),
  P('blk_alloc_disk', 'put_disk', 'handle'),
  // Device-tree and driver-core lookups: each returns its node or device with a reference taken
  // (drivers/of/base.c, drivers/base/core.c kernel-doc: "Call of_node_put() / put_device() when done").
  // drivers/net/phy/mdio_bus.c: "The embedded struct device will have its reference count
  // incremented, and this must be put_deviced'ed once the bus is finished with."
  L('mdio_find_bus', 'put_device'),
  L('of_mdio_find_bus', 'put_device'),
  L('of_find_node_by_name', 'of_node_put'),
  L('of_find_node_by_path', 'of_node_put'),
  L('of_find_node_opts_by_path', 'of_node_put'),
  L('of_find_node_by_type', 'of_node_put'),
  L('of_find_compatible_node', 'of_node_put'),
  L('of_find_matching_node', 'of_node_put'),
  L('of_find_matching_node_and_match', 'of_node_put'),
  L('of_find_node_by_phandle', 'of_node_put'),
  L('of_find_node_with_property', 'of_node_put'),
  L('of_get_parent', 'of_node_put'),
  L('of_get_child_by_name', 'of_node_put'),
  L('of_get_compatible_child', 'of_node_put'),
  L('of_parse_phandle', 'of_node_put'),
  L('of_get_cpu_node', 'of_node_put'),
  L('of_cpu_device_node_get', 'of_node_put'),
  L('of_find_device_by_node', 'put_device'),
  // ACPI tables are mapped and counted: acpi_get_table() hands the header out through its third
  // argument and returns a status; acpi_put_table() gives it back once read (arm_sdei,
  // "put the SDEI table after using it").
  { ...P('acpi_get_table', 'acpi_put_table', 'status', 2), lookup: true },
  L('bus_find_device', 'put_device'),
  L('bus_find_device_by_name', 'put_device'),
  L('class_find_device', 'put_device'),
  // lib/kobject.c: "If matching object is found take a reference and return the object."
  L('kset_find_obj', 'kobject_put'),
  // (the dentry comes back with dget(); debugfs_remove() removes the file but drops only its own reference)
  L('debugfs_lookup', 'dput'),
  L('driver_find_device', 'put_device'),
  P('bus_register', 'bus_unregister'),
  P('driver_register', 'driver_unregister'),
  P('misc_register', 'misc_deregister'),
  // platform, bus drivers
  P('platform_driver_register', 'platform_driver_unregister'),
  P('__platform_driver_register', 'platform_driver_unregister'),
  P('platform_register_drivers', 'platform_unregister_drivers'),
  // A failed platform_device_register() still holds the reference device_initialize() took: the
  // caller must platform_device_put(), never kfree() (drivers/base/platform.c says so).
  { ...P('platform_device_register', ['platform_device_unregister', 'platform_device_put']), onFailure: ['platform_device_put'], onFailureAllocatedOnly: true },
  P('platform_device_register_simple', 'platform_device_unregister', 'handle'),
  P('platform_device_register_full', 'platform_device_unregister', 'handle'),
  P('platform_device_register_data', 'platform_device_unregister', 'handle'),
  P('platform_device_alloc', ['platform_device_put', 'platform_device_unregister'], 'handle'),
  P('platform_device_add', ['platform_device_del', 'platform_device_unregister']),
  P('platform_create_bundle', ['platform_device_unregister', 'platform_driver_unregister'], 'handle'),
  // platform_driver_probe() registers the driver (and keeps it registered when a device bound).
  P('platform_driver_probe', 'platform_driver_unregister'),
  P('__platform_driver_probe', 'platform_driver_unregister'),
  P('pci_register_driver', 'pci_unregister_driver'),
  P('usb_register', 'usb_deregister'),
  P('usb_register_driver', 'usb_deregister'),
  P('usb_serial_register_drivers', 'usb_serial_deregister_drivers'),
  P('i2c_add_driver', 'i2c_del_driver'),
  P('i2c_register_driver', 'i2c_del_driver', 'status', 1),
  P('spi_register_driver', 'spi_unregister_driver'),
  P('__spi_register_driver', 'spi_unregister_driver', 'status', 1),
  P('register_virtio_driver', 'unregister_virtio_driver'),
  P('hid_register_driver', 'hid_unregister_driver'),
  P('serio_register_driver', 'serio_unregister_driver'),
  P('acpi_bus_register_driver', 'acpi_bus_unregister_driver'),
  P('auxiliary_driver_register', 'auxiliary_driver_unregister'),
  P('mdio_driver_register', 'mdio_driver_unregister'),
  P('phy_drivers_register', 'phy_drivers_unregister'),
  P('phy_driver_register', 'phy_driver_unregister'),
  P('input_register_device', 'input_unregister_device'),
  // input_unregister_device() / rc_unregister_device() drop the last reference of a device the
  // driver allocated (drivers/input/input.c, drivers/media/rc/rc-main.c): no free after them.
  P('input_allocate_device', ['input_free_device', 'input_unregister_device'], 'handle'),
  P('rc_allocate_device', ['rc_free_device', 'rc_unregister_device'], 'handle'),
  P('tty_register_driver', 'tty_unregister_driver'),
  P('tty_alloc_driver', 'tty_driver_kref_put', 'handle'),
  P('uart_register_driver', 'uart_unregister_driver'),
  P('register_framebuffer', 'unregister_framebuffer'),
  P('scsi_register_driver', ['scsi_unregister_driver', 'driver_unregister']),
  // block
  P('register_blkdev', 'unregister_blkdev'),
  P('__register_blkdev', 'unregister_blkdev'),
  P('blk_mq_alloc_tag_set', 'blk_mq_free_tag_set'),
  P('bioset_init', 'bioset_exit'),
  // Pools and counters embedded in the module's own structures: set up with *_init(), undone
  // with the embedded form's exit (mempool_destroy() is for a pool mempool_create() allocated:
  // cifs' "fix warning when destroy 'cifs_io_request_pool'").
  P('mempool_init', 'mempool_exit'),
  P('mempool_init_slab_pool', 'mempool_exit'),
  P('mempool_init_kmalloc_pool', 'mempool_exit'),
  P('percpu_counter_init', 'percpu_counter_destroy'),
  P('percpu_ref_init', 'percpu_ref_exit'),
  P('rhashtable_init', 'rhashtable_destroy'),
  P('mempool_create', 'mempool_destroy', 'handle'),
  P('mempool_create_slab_pool', 'mempool_destroy', 'handle'),
  P('mempool_create_kmalloc_pool', 'mempool_destroy', 'handle'),
  P('dm_register_target', 'dm_unregister_target'),
  P('dm_dirty_log_type_register', 'dm_dirty_log_type_unregister'),
  // I/O port and memory regions: a struct resource * (NULL when busy), usually tested in place
  // (`if (!request_region(base, 8, name))`), released by its start (`release_region(base, 8)`).
  P('request_region', 'release_region', 'handle'),
  P('request_muxed_region', 'release_region', 'handle'),
  P('request_mem_region', 'release_mem_region', 'handle'),
  // MMIO mappings and clocks taken by hand (the devm_ forms are managed): boot-time timer and
  // irqchip init maps registers and gets its clock before anything can fail, and "add missing
  // iounmap()/clk_put() on error" fixes are the commonest unwind fix there is.
  P('ioremap', 'iounmap', 'handle'),
  P('ioremap_wc', 'iounmap', 'handle'),
  P('of_iomap', 'iounmap', 'handle'),
  // (requests the region and maps it: iounmap() and release_mem_region() undo it, usually both)
  P('of_io_request_and_map', ['iounmap', 'release_mem_region'], 'handle'),
  P('clk_get', 'clk_put', 'handle'),
  P('of_clk_get', 'clk_put', 'handle'),
  P('of_clk_get_by_name', 'clk_put', 'handle'),
  // A clock a timer or irqchip turns on before the steps that can fail: each failure after it
  // turns it off again ("add missing clk_disable_unprepare() on error" in cadence-ttc, orion).
  P('clk_prepare_enable', 'clk_disable_unprepare'),
  P('clk_prepare', 'clk_unprepare'),
  P('clk_enable', 'clk_disable'),
  P('clk_bulk_prepare_enable', 'clk_bulk_disable_unprepare', 'status', 1),
  // Runtime PM a probe turns on before the steps that can fail: every later failure turns it off
  // again ("add missing pm_runtime_disable() in probe error path" is among the commonest probe
  // fixes); devm_pm_runtime_enable() is managed.
  V('pm_runtime_enable', 'pm_runtime_disable'),
  // Regulators and PCI devices taken by hand in init code (the devm_/pcim_ forms are managed):
  // "add missing regulator_disable()/pci_disable_device() on error" fixes.
  P('regulator_get', 'regulator_put', 'handle'),
  P('regulator_get_exclusive', 'regulator_put', 'handle'),
  P('regulator_enable', 'regulator_disable'),
  { ...P('pci_enable_device', 'pci_disable_device'), unwindOnly: true },
  { ...P('pci_enable_device_mem', 'pci_disable_device'), unwindOnly: true },
  // memory and work
  P('kmem_cache_create', 'kmem_cache_destroy', 'handle'),
  P('kmem_cache_create_usercopy', 'kmem_cache_destroy', 'handle'),
  P('KMEM_CACHE', 'kmem_cache_destroy', 'handle'),
  P('alloc_workqueue', 'destroy_workqueue', 'handle'),
  P('alloc_ordered_workqueue', 'destroy_workqueue', 'handle'),
  P('create_workqueue', 'destroy_workqueue', 'handle'),
  P('create_singlethread_workqueue', 'destroy_workqueue', 'handle'),
  P('create_freezable_workqueue', 'destroy_workqueue', 'handle'),
  P('alloc_percpu', 'free_percpu', 'handle'),
  P('kthread_run', 'kthread_stop', 'handle'),
  P('kthread_create', 'kthread_stop', 'handle'),
  P('shrinker_alloc', 'shrinker_free', 'handle'),
  P('kobject_create_and_add', 'kobject_put', 'handle'),
  P('sysfs_create_group', 'sysfs_remove_group', 'status', 1),
  P('sysfs_create_file', 'sysfs_remove_file', 'status', 1),
  P('debugfs_create_dir', ['debugfs_remove', 'debugfs_remove_recursive'], 'handle'),
  P('proc_mkdir', ['remove_proc_entry', 'proc_remove', 'remove_proc_subtree'], 'handle'),
  P('proc_create', ['remove_proc_entry', 'proc_remove'], 'handle'),
  P('proc_create_seq', ['remove_proc_entry', 'proc_remove'], 'handle'),
  P('proc_create_single', ['remove_proc_entry', 'proc_remove'], 'handle'),
  P('register_sysctl', 'unregister_sysctl_table', 'handle'),
  P('register_sysctl_sz', 'unregister_sysctl_table', 'handle'),
  P('register_net_sysctl', 'unregister_net_sysctl_table', 'handle'),
  P('register_net_sysctl_sz', 'unregister_net_sysctl_table', 'handle'),
  P('cpuhp_setup_state', ['cpuhp_remove_state', 'cpuhp_remove_state_nocalls'], 'nid', 0),
  P('cpuhp_setup_state_nocalls', ['cpuhp_remove_state_nocalls', 'cpuhp_remove_state'], 'nid', 0),
  P('cpuhp_setup_state_multi', 'cpuhp_remove_multi_state', 'nid', 0),
  // notifiers
  P('register_reboot_notifier', 'unregister_reboot_notifier'),
  P('register_module_notifier', 'unregister_module_notifier'),
  P('register_pm_notifier', 'unregister_pm_notifier'),
  P('register_netdevice_notifier', 'unregister_netdevice_notifier'),
  P('register_inetaddr_notifier', 'unregister_inetaddr_notifier'),
  P('register_inet6addr_notifier', 'unregister_inet6addr_notifier'),
  P('register_die_notifier', 'unregister_die_notifier'),
  P('register_keyboard_notifier', 'unregister_keyboard_notifier'),
  P('atomic_notifier_chain_register', 'atomic_notifier_chain_unregister', 'status', 1),
  P('blocking_notifier_chain_register', 'blocking_notifier_chain_unregister', 'status', 1),
  // networking
  P('register_netdev', 'unregister_netdev'),
  P('register_pernet_subsys', 'unregister_pernet_subsys'),
  P('register_pernet_device', 'unregister_pernet_device'),
  P('sock_register', 'sock_unregister'),
  P('proto_register', 'proto_unregister'),
  V('inet_register_protosw', 'inet_unregister_protosw'),
  P('inet_add_protocol', 'inet_del_protocol'),
  P('inet6_add_protocol', 'inet6_del_protocol'),
  P('rtnl_link_register', 'rtnl_link_unregister'),
  P('genl_register_family', 'genl_unregister_family'),
  P('register_qdisc', 'unregister_qdisc'),
  P('register_tcf_proto_ops', 'unregister_tcf_proto_ops'),
  P('tcf_register_action', 'tcf_unregister_action'),
  P('nf_register_net_hooks', 'nf_unregister_net_hooks', 'status', 1),
  P('nf_register_net_hook', 'nf_unregister_net_hook', 'status', 1),
  P('nf_conntrack_helpers_register', 'nf_conntrack_helpers_unregister'),
  P('nf_conntrack_helper_register', 'nf_conntrack_helper_unregister'),
  P('nf_log_register', 'nf_log_unregister', 'status', 1),
  P('nfnetlink_subsys_register', 'nfnetlink_subsys_unregister'),
  P('nft_register_expr', 'nft_unregister_expr'),
  V('nft_register_chain_type', 'nft_unregister_chain_type'),
  P('nft_register_obj', 'nft_unregister_obj'),
  P('xt_register_target', 'xt_unregister_target'),
  P('xt_register_targets', 'xt_unregister_targets'),
  P('xt_register_match', 'xt_unregister_match'),
  P('xt_register_matches', 'xt_unregister_matches'),
  P('register_ip_vs_scheduler', 'unregister_ip_vs_scheduler'),
  P('alloc_netdev', 'free_netdev', 'handle'),
  P('alloc_etherdev', 'free_netdev', 'handle'),
  // crypto, keys, filesystems, storage transports
  P('crypto_register_alg', 'crypto_unregister_alg'),
  P('crypto_register_algs', 'crypto_unregister_algs'),
  P('crypto_register_shash', 'crypto_unregister_shash'),
  P('crypto_register_shashes', 'crypto_unregister_shashes'),
  P('crypto_register_ahash', 'crypto_unregister_ahash'),
  P('crypto_register_skcipher', 'crypto_unregister_skcipher'),
  P('crypto_register_skciphers', 'crypto_unregister_skciphers'),
  P('crypto_register_aead', 'crypto_unregister_aead'),
  P('crypto_register_aeads', 'crypto_unregister_aeads'),
  P('crypto_register_template', 'crypto_unregister_template'),
  P('crypto_register_templates', 'crypto_unregister_templates'),
  P('crypto_register_akcipher', 'crypto_unregister_akcipher'),
  P('crypto_register_kpp', 'crypto_unregister_kpp'),
  P('register_key_type', 'unregister_key_type'),
  P('register_filesystem', 'unregister_filesystem'),
  P('transport_backend_register', 'target_backend_unregister'),
  P('target_register_template', 'target_unregister_template'),
  P('fcoe_transport_attach', 'fcoe_transport_detach'),
  P('fc_attach_transport', 'fc_release_transport', 'handle'),
  P('sas_attach_transport', 'sas_release_transport', 'handle'),
  P('spi_attach_transport', 'spi_release_transport', 'handle'),
  P('iscsi_register_transport', 'iscsi_unregister_transport', 'handle'),
  P('register_kprobe', 'unregister_kprobe'),
  P('register_kretprobe', 'unregister_kretprobe'),
  P('register_ftrace_function', 'unregister_ftrace_function'),
  V('register_console', 'unregister_console'),
  P('input_register_handler', 'input_unregister_handler'),
  P('register_trace_event', 'unregister_trace_event', 'nid'),
  P('cpufreq_register_driver', 'cpufreq_unregister_driver'),
  P('cpufreq_register_notifier', 'cpufreq_unregister_notifier'),
  P('mipi_dsi_driver_register', 'mipi_dsi_driver_unregister'),
  P('mipi_dsi_driver_register_full', 'mipi_dsi_driver_unregister'),
  P('drm_dp_aux_register', 'drm_dp_aux_unregister'),
  P('led_trigger_register', 'led_trigger_unregister'),
  P('register_netdevice_notifier_net', 'unregister_netdevice_notifier_net', 'status', 1),
  P('register_sound_special', 'unregister_sound_special', 'nid'),
  P('kset_create_and_add', 'kset_unregister', 'handle'),
  P('idr_alloc', 'idr_remove', 'nid', 0),
  // irqchip and clock set-up of built-in init code (IRQCHIP_DECLARE, CLK_OF_DECLARE hooks)
  P('irq_domain_add_linear', 'irq_domain_remove', 'handle'),
  P('irq_domain_add_tree', 'irq_domain_remove', 'handle'),
  P('irq_domain_add_legacy', 'irq_domain_remove', 'handle'),
  P('irq_domain_add_simple', 'irq_domain_remove', 'handle'),
  P('irq_domain_add_hierarchy', 'irq_domain_remove', 'handle'),
  P('irq_domain_create_linear', 'irq_domain_remove', 'handle'),
  P('irq_domain_create_tree', 'irq_domain_remove', 'handle'),
  P('irq_domain_create_hierarchy', 'irq_domain_remove', 'handle'),
  P('irq_domain_create_simple', 'irq_domain_remove', 'handle'),
  P('irq_alloc_descs', 'irq_free_descs', 'nid'),
  P('request_irq', 'free_irq'),
  P('request_threaded_irq', 'free_irq'),
  P('gpiochip_add_data', 'gpiochip_remove'),
  P('clk_hw_register', 'clk_hw_unregister', 'status', 1),
  P('of_clk_add_provider', 'of_clk_del_provider'),
  P('of_clk_add_hw_provider', 'of_clk_del_provider'),
  // mappings and pools
  P('ioremap_cache', 'iounmap', 'handle'),
  P('memremap', 'memunmap', 'handle'),
  P('early_memremap', 'early_memunmap', 'handle'),
  P('acpi_os_map_memory', 'acpi_os_unmap_memory', 'handle'),
  P('acpi_os_map_iomem', 'acpi_os_unmap_iomem', 'handle'),
  P('pci_iomap', 'pci_iounmap', 'handle'),
  P('pci_request_regions', 'pci_release_regions'),
  P('dma_alloc_coherent', 'dma_free_coherent', 'handle'),
  P('gen_pool_create', 'gen_pool_destroy', 'handle'),
  P('dma_pool_create', 'dma_pool_destroy', 'handle'),
  P('ida_alloc', 'ida_free', 'nid'),
  P('kthread_create_on_node', 'kthread_stop', 'handle'),
  // class devices and subsystems a driver's init registers with
  P('iio_device_register', 'iio_device_unregister'),
  P('video_register_device', 'video_unregister_device'),
  P('v4l2_device_register', 'v4l2_device_unregister', 'status', 1),
  P('led_classdev_register', 'led_classdev_unregister', 'status', 1),
  P('backlight_device_register', 'backlight_device_unregister', 'handle'),
  P('thermal_zone_device_register_with_trips', 'thermal_zone_device_unregister', 'handle'),
  P('thermal_cooling_device_register', 'thermal_cooling_device_unregister', 'handle'),
  P('power_supply_register', 'power_supply_unregister', 'handle'),
  P('watchdog_register_device', 'watchdog_unregister_device'),
  P('mtd_device_register', 'mtd_device_unregister'),
  P('dma_async_device_register', 'dma_async_device_unregister'),
  P('rfkill_alloc', 'rfkill_destroy', 'handle'),
  P('rfkill_register', 'rfkill_unregister'),
  P('snd_soc_register_component', 'snd_soc_unregister_component'),
  P('register_sound_dsp', 'unregister_sound_dsp', 'nid'),
  P('register_sound_mixer', 'unregister_sound_mixer', 'nid'),
  P('tcp_register_congestion_control', 'tcp_unregister_congestion_control'),
  P('nf_register_sockopt', 'nf_unregister_sockopt'),
  P('tracepoint_probe_register', 'tracepoint_probe_unregister'),
  P('register_kprobes', 'unregister_kprobes'),
];

const byAcquire = new Map(RESOURCE_PAIRS.map((p) => [p.acquire, p]));
const releaseNames = new Set(RESOURCE_PAIRS.flatMap((p) => p.release));

/** Managed resources are released by the driver core; module_*_driver() macros are not calls here. */
export function isManaged(callee: string): boolean {
  return /^(devm_|dmam_|pcim_|drmm_|devres_)/.test(callee);
}

/**
 * Registrations the driver core undoes by itself when the object came from a managed allocator:
 * an input device from devm_input_allocate_device() is unregistered at unbind
 * (input_register_device() adds the devres action, drivers/input/input.c), so neither remove nor
 * a later failure path of probe calls input_unregister_device() for it.
 */
const MANAGED_BY_ALLOCATOR: Readonly<Record<string, readonly string[]>> = {
  input_register_device: ['devm_input_allocate_device'],
};

/** Is `acquire` managed here, given the calls of the code that made its object? */
export function managedByAllocator(acquire: string, calls: readonly { callee: string }[]): boolean {
  if (!Object.hasOwn(MANAGED_BY_ALLOCATOR, acquire)) return false;
  const by = MANAGED_BY_ALLOCATOR[acquire]!;
  return calls.some((c) => by.includes(c.callee));
}

export function pairFor(callee: string): ResourcePair | undefined {
  return isManaged(callee) ? undefined : byAcquire.get(callee);
}

export function isRelease(callee: string): boolean {
  return releaseNames.has(callee);
}

const handleReleases = new Set(RESOURCE_PAIRS.filter((p) => p.kind === 'handle').flatMap((p) => p.release));

/** Does `callee` give back a handle (`kmem_cache_destroy`, `debugfs_remove`), not a registration or a number? */
export function releasesHandle(callee: string): boolean {
  return handleReleases.has(callee);
}

/**
 * Iterator macros that hold a reference on their cursor for the body of each turn: the next turn
 * (or the loop's end) drops it, so a body left early by `return` keeps it — the many "add missing
 * of_node_put()" fixes. `cursor`: which argument is the cursor; `release`: what gives it back.
 * The `_scoped` variants release on their own and are not listed.
 */
export const REF_ITERATORS: Readonly<Record<string, { cursor: number; release: readonly string[] }>> = {
  for_each_pci_dev: { cursor: 0, release: ['pci_dev_put'] },
  for_each_child_of_node: { cursor: 1, release: ['of_node_put'] },
  for_each_available_child_of_node: { cursor: 1, release: ['of_node_put'] },
  for_each_node_by_name: { cursor: 0, release: ['of_node_put'] },
  for_each_node_by_type: { cursor: 0, release: ['of_node_put'] },
  for_each_compatible_node: { cursor: 0, release: ['of_node_put'] },
  for_each_matching_node: { cursor: 0, release: ['of_node_put'] },
  for_each_matching_node_and_match: { cursor: 0, release: ['of_node_put'] },
  for_each_node_with_property: { cursor: 0, release: ['of_node_put'] },
  for_each_of_cpu_node: { cursor: 0, release: ['of_node_put'] },
  for_each_endpoint_of_node: { cursor: 1, release: ['of_node_put'] },
  for_each_reserved_child_of_node: { cursor: 1, release: ['of_node_put'] },
  for_each_of_graph_port: { cursor: 1, release: ['of_node_put'] },
  for_each_of_graph_port_endpoint: { cursor: 1, release: ['of_node_put'] },
  fwnode_for_each_parent_node: { cursor: 1, release: ['fwnode_handle_put'] },
  fwnode_graph_for_each_endpoint: { cursor: 1, release: ['fwnode_handle_put'] },
  device_for_each_child_node: { cursor: 1, release: ['fwnode_handle_put'] },
  fwnode_for_each_child_node: { cursor: 1, release: ['fwnode_handle_put'] },
  fwnode_for_each_available_child_node: { cursor: 1, release: ['fwnode_handle_put'] },
};
