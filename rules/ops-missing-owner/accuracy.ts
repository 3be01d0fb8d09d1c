// Accuracy corpus of ops-missing-owner (scripts/accuracy.ts): real Linux 6.12 ops structures of
// unloadable modules with `.owner = THIS_MODULE` removed (must flag) — static initialisers, an
// element of a designated array, the run-time reset controller of 13e8a05b9224 and the cdev of
// dea6e19f4ef7 — and edits the rule must stay silent on: the traps (proc_ops, driver structs,
// DEFINE_SHOW_ATTRIBUTE, macro-built initialisers, owner set at run time, filesystem inode fops,
// built-in code, x_tables built-ins) and benign edits of the same structures.
import type { AccuracyCase } from '../../src/engine/accuracy.js';

export const cases: AccuracyCase[] = [
  // ---------------------------------------------------------------- must flag
  {
    name: 'meson-audio-arb: the reset controller registered without rstc.owner',
    file: 'drivers/reset/reset-meson-audio-arb.c',
    edits: [{ find: '\tarb->rstc.owner = THIS_MODULE;\n', replace: '' }],
    expect: 'flag',
    why: 'the bug 13e8a05b9224 fixed, undone: run-time filled reset_controller_dev',
  },
  {
    name: 'tap_create_cdev sets up the caller\'s cdev without its owner',
    file: 'drivers/net/tap.c',
    edits: [{ find: '\ttap_cdev->owner = module;\n', replace: '' }],
    expect: 'flag',
    why: 'the bug dea6e19f4ef7 fixed, undone: the cdev belongs to macvtap/ipvtap',
  },
  {
    name: 'softdog_ops without .owner',
    file: 'drivers/watchdog/softdog.c',
    edits: [{ find: 'static const struct watchdog_ops softdog_ops = {\n\t.owner = THIS_MODULE,\n', replace: 'static const struct watchdog_ops softdog_ops = {\n' }],
    expect: 'flag',
  },
  {
    name: 'hw_random rng_chrdev_ops without .owner',
    file: 'drivers/char/hw_random/core.c',
    edits: [{ find: 'static const struct file_operations rng_chrdev_ops = {\n\t.owner\t\t= THIS_MODULE,\n', replace: 'static const struct file_operations rng_chrdev_ops = {\n' }],
    expect: 'flag',
  },
  {
    name: 'af_key pfkey_family_ops without .owner',
    file: 'net/key/af_key.c',
    edits: [{ find: '\t.create\t=\tpfkey_create,\n\t.owner\t=\tTHIS_MODULE,\n', replace: '\t.create\t=\tpfkey_create,\n' }],
    expect: 'flag',
  },
  {
    name: 'romfs_fs_type without .owner',
    file: 'fs/romfs/super.c',
    edits: [{ find: 'static struct file_system_type romfs_fs_type = {\n\t.owner\t\t= THIS_MODULE,\n', replace: 'static struct file_system_type romfs_fs_type = {\n' }],
    expect: 'flag',
    why: 'registered with register_filesystem() in the same file; get_fs_type() pins through .owner',
  },
  {
    name: 'tcp_vegas without .owner',
    file: 'net/ipv4/tcp_vegas.c',
    edits: [{ find: '\t.owner\t\t= THIS_MODULE,\n\t.name\t\t= "vegas",', replace: '\t.name\t\t= "vegas",' }],
    expect: 'flag',
  },
  {
    name: 'sch_prio prio_qdisc_ops without .owner',
    file: 'net/sched/sch_prio.c',
    edits: [{ find: '\t.dump\t\t=\tprio_dump,\n\t.owner\t\t=\tTHIS_MODULE,\n', replace: '\t.dump\t\t=\tprio_dump,\n' }],
    expect: 'flag',
  },
  {
    name: 'isl9305: one regulator_desc of the array loses .owner',
    file: 'drivers/regulator/isl9305.c',
    edits: [{ find: '\t\t.supply_name =\t"VINDCD2",\n\t\t.ops =\t\t&isl9305_ops,\n\t\t.owner =\tTHIS_MODULE,\n', replace: '\t\t.supply_name =\t"VINDCD2",\n\t\t.ops =\t\t&isl9305_ops,\n' }],
    expect: 'flag',
    why: 'an element of a designated array ([ISL9305_DCD2] = { ... })',
  },
  {
    name: 'a new misc-device fops without .owner in the hw_random core',
    file: 'drivers/char/hw_random/core.c',
    edits: [{ find: 'static const struct file_operations rng_chrdev_ops = {\n\t.owner\t\t= THIS_MODULE,\n\t.open\t\t= rng_dev_open,\n\t.read\t\t= rng_dev_read,\n\t.llseek\t\t= noop_llseek,\n};\n', replace: 'static const struct file_operations rng_chrdev_ops = {\n\t.owner\t\t= THIS_MODULE,\n\t.open\t\t= rng_dev_open,\n\t.read\t\t= rng_dev_read,\n\t.llseek\t\t= noop_llseek,\n};\n\nstatic const struct file_operations rng_chrdev_ro_ops = {\n\t.open\t\t= rng_dev_open,\n\t.read\t\t= rng_dev_read,\n\t.llseek\t\t= noop_llseek,\n};\n' }],
    expect: 'flag',
    why: 'an added structure, not a removed field',
  },
  // ---------------------------------------------------------------- must stay silent
  {
    name: 'meson-audio-arb: the platform driver renamed (driver structs are filled by the macro)',
    file: 'drivers/reset/reset-meson-audio-arb.c',
    edits: [{ find: '\t\t.name = "meson-audio-arb-reset",', replace: '\t\t.name = "meson-audio-arbiter-reset",' }],
    expect: 'clean',
  },
  {
    name: 'softdog_ops gains .ping',
    file: 'drivers/watchdog/softdog.c',
    edits: [{ find: '\t.start = softdog_ping,\n\t.stop = softdog_stop,\n', replace: '\t.start = softdog_ping,\n\t.ping = softdog_ping,\n\t.stop = softdog_stop,\n' }],
    expect: 'clean',
  },
  {
    name: 'libipw proc_ops edited (proc_ops has no owner)',
    file: 'drivers/net/wireless/intel/ipw2x00/libipw_module.c',
    edits: [{ find: 'static const struct proc_ops debug_level_proc_ops = {', replace: 'static const struct proc_ops debug_level_proc_ops = {\n\t.proc_lseek\t= seq_lseek,' }],
    expect: 'clean',
  },
  {
    name: 'bcm_kona_wdt: DEFINE_SHOW_ATTRIBUTE() moved (the macro sets .owner)',
    file: 'drivers/watchdog/bcm_kona_wdt.c',
    edits: [{ find: '\treturn 0;\n}\n\nDEFINE_SHOW_ATTRIBUTE(bcm_kona);\n', replace: '\treturn 0;\n}\nDEFINE_SHOW_ATTRIBUTE(bcm_kona);\n' }],
    expect: 'clean',
  },
  {
    name: 'pata_atiixp: scsi_host_template built by ATA_BASE_SHT() gains a field',
    file: 'drivers/ata/pata_atiixp.c',
    edits: [{ find: '\tATA_BASE_SHT(DRV_NAME),\n\t.sg_tablesize\t\t= LIBATA_DUMB_MAX_PRD,', replace: '\tATA_BASE_SHT(DRV_NAME),\n\t.sg_tablesize\t\t= LIBATA_DUMB_MAX_PRD,\n\t.max_sectors\t\t= 256,' }],
    expect: 'clean',
    why: 'the macro item sets .module = THIS_MODULE: the rule cannot see through it and stays silent',
  },
  {
    name: 'qcom_smd-regulator: a template regulator_desc edited (owner set at run time)',
    file: 'drivers/regulator/qcom_smd-regulator.c',
    edits: [{ find: 'static const struct regulator_desc pm8950_ult_nldo = {\n\t.linear_ranges = (struct linear_range[]) {\n\t\tREGULATOR_LINEAR_RANGE(375000, 0, 202, 12500),', replace: 'static const struct regulator_desc pm8950_ult_nldo = {\n\t.linear_ranges = (struct linear_range[]) {\n\t\tREGULATOR_LINEAR_RANGE(375000, 0, 202, 12600),' }],
    expect: 'clean',
    why: 'probe copies the template and sets vreg->desc.owner = THIS_MODULE',
  },
  {
    name: 'kvm_vm_fops edited (owner assigned in kvm_init())',
    file: 'virt/kvm/kvm_main.c',
    edits: [{ find: 'static struct file_operations kvm_vm_fops = {\n\t.release        = kvm_vm_release,\n', replace: 'static struct file_operations kvm_vm_fops = {\n\t.release\t= kvm_vm_release,\n' }],
    expect: 'clean',
    why: 'kvm_vm_fops.owner = module at run time',
  },
  {
    name: 'romfs: directory fops edited (inode fops of a filesystem module)',
    file: 'fs/romfs/super.c',
    edits: [{ find: 'static const struct file_operations romfs_dir_operations = {', replace: 'static const struct file_operations romfs_dir_operations = {\n\t.fsync\t\t= noop_fsync,' }],
    expect: 'clean',
    why: 'reached through i_fop: the mount pins the module via romfs_fs_type',
  },
  {
    name: 'arp_tables: a built-in target edited (owned by the table core)',
    file: 'net/ipv4/netfilter/arp_tables.c',
    edits: [{ find: '\t\t.name             = XT_STANDARD_TARGET,\n\t\t.targetsize       = sizeof(int),\n\t\t.family           = NFPROTO_ARP,', replace: '\t\t.name             = XT_STANDARD_TARGET,\n\t\t.targetsize       = sizeof(int),\n\t\t.family           = NFPROTO_ARP,\n\t\t.revision         = 0,' }],
    expect: 'clean',
  },
  {
    name: 'tap_create_cdev: the owner set through a local alias',
    file: 'drivers/net/tap.c',
    edits: [{ find: '\ttap_cdev->owner = module;\n', replace: '\ttap_cdev->owner = module;\t/* the caller\'s module owns the cdev */\n' }],
    expect: 'clean',
  },
  {
    name: 'isl9305: a regulator_desc field edited, .owner kept',
    file: 'drivers/regulator/isl9305.c',
    edits: [{ find: '\t\t.supply_name =\t"VINDCD2",', replace: '\t\t.supply_name =\t"vindcd2",' }],
    expect: 'clean',
  },
];
