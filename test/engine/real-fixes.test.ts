// Real upstream fixes from list mail (corpus/real, dev split only), each applied in reverse to
// Linux 6.12 so that the patch re-introduces the bug it fixed, reviewed exactly as `modreview
// review --tree` does. One case per shape the analyses were widened for; and real ordinary
// patches of the same code that must stay silent. The held-out test split is not used here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_DIR, loadRealCorpus, splitOf, type RealCase } from '../../src/engine/real-corpus.js';
import type { IndexQuery } from '../../src/engine/types.js';
import { buildIndex } from '../../src/index/build.js';
import { TreeIndex } from '../../src/index/query.js';
import { openStore, type DB } from '../../src/store/db.js';
import { patchPaths } from '../../scripts/corpus/apply.js';
import { caseDiff } from '../../src/engine/real-corpus.js';
import { runRealCase } from '../../scripts/real-corpus.js';
import { kernelTree } from '../helpers/kernel.js';

const dir = fileURLToPath(new URL(`../../${CORPUS_DIR}`, import.meta.url));
const all = loadRealCorpus(dir);

/** Case id prefix → what the finding must say (rule and a piece of its message). */
const FIXES: Record<string, { rule: string; says: string }> = {
  'acpi-ipmi-remove-address-space-handler': { rule: 'init-error-unwind', says: 'acpi_install_address_space_handler' },
  'serial-txx9-add-missing-platform-driver-unregister': { rule: 'init-error-unwind', says: 'platform_driver_register(serial_txx9_plat_driver)' },
  'rbd-fix-possible-memory-leak-in-rbd-sysfs-init': { rule: 'init-error-unwind', says: 'put_device' },
  'iio-trigger-sysfs-fix-possible-memory-leak': { rule: 'init-error-unwind', says: 'device_initialize(iio_sysfs_trig_dev)' },
  'wifi-cfg80211-fix-not-unregister-reg-pdev': { rule: 'init-error-unwind', says: 'reg_pdev is released on the failure path' },
  'usb-misc-usb3503-fix-logic-in-usb3503-init': { rule: 'init-error-unwind', says: 'does not act on its failure' },
  'iommu-exynos-fix-error-handling-in-exynos-iommu-init': { rule: 'init-error-unwind', says: 'undoing the very step that just failed' },
  'net-defxx-fix-missing-err-handling-in-dfx-init': { rule: 'init-error-unwind', says: 'eisa_driver_register(dfx_eisa_driver)' },
  's390-dasd-fix-potential-memleak-in-dasd-eckd-init': { rule: 'init-error-unwind', says: 'kmalloc(dasd_reserve_req)' },
  'applicom-fix-pci-device-refcount-leak': { rule: 'init-error-unwind', says: 'pci_dev_put' },
  'netdevsim-set-nsim-dev-health-break-fops-owner': { rule: 'ops-missing-owner', says: 'no longer sets .owner = THIS_MODULE' },
  'asoc-imx-card-set-card-owner': { rule: 'ops-missing-owner', says: 'data->card.owner' },
  'netfilter-nft-chain-nat-inet-family-is-missing-module-owners': { rule: 'ops-missing-owner', says: 'nft_chain_type' },
  'tty-serial-owl-fix-the-link-time-qualifier': { rule: 'init-exit-section', says: 'module_exit(owl_uart_exit)' },
  'clk-mediatek-clk-apmixed-remove-unneeded-init-annotation': { rule: 'init-exit-section', says: 'is now __init' },
  'parport-amiga-mark-driver-struct-with-refdata': { rule: 'init-exit-section', says: 'mark amiga_parallel_driver __refdata' },
  'media-i2c-et8ek8-dont-strip-remove-function': { rule: 'init-exit-section', says: 'can still be unbound' },
  'vdpa-fix-idr-memory-leak-in-vduse-module-exit': { rule: 'exit-missing-release', says: 'idr_destroy' },
  'bluetooth-call-iso-exit-on-module-unload': { rule: 'exit-missing-release', says: 'iso_init() is still called' },
  'netfilter-nf-tables-drop-module-reference-after-updating': { rule: 'module-ref-leak', says: 'no longer calls module_put' },
  'acpi-apei-put-the-error-record-serialization-table-for-error': { rule: 'init-error-unwind', says: 'without acpi_put_table()' },
  'cpufreq-armada-37xx-fix-module-unloading': { rule: 'exit-missing-release', says: 'removes module_exit(armada37xx_cpufreq_driver_exit)' },
  'elevator-do-not-request-module-if-elevator-exists': { rule: 'request-module-unsafe', says: 'without the check it had' },
  'acpi-s2idle-fix-section-mismatch-warning': { rule: 'init-exit-section', says: 'acpi_s2idle_setup() (line 655 in drivers/acpi/x86/s2idle.c)' },
  'crypto-rng-free-default-rng-on-module-exit': { rule: 'exit-missing-release', says: 'removes module_exit(rng_exit), which called crypto_del_default_rng()' },
  'scsi-snic-fix-memory-leak-with-using-debugfs-lookup': { rule: 'exit-missing-release', says: 'handed straight to debugfs_remove()' },
  'hwmon-xgene-drop-bogus-refdata-annotation': { rule: 'init-exit-section', says: 'xgene_hwmon_driver is marked __refdata, but nothing it refers to' },
  // the bus helper that stored its caller's THIS_MODULE, reversed to one that does not (and renamed)
  // a direct return in the failure branch of a step tested inline, with ret 0 from the last check
  'gpiolib-fix-error-return-code-in-gpiolib-dev-init': { rule: 'init-error-unwind', says: 'handles the failure of driver_register() but returns ret' },
  // exit order of register_x()/unregister_x() helpers another file's init and exit call
  'sunrpc-destroy-rpc-inode-cachep-after-unregister-filesystem': { rule: 'exit-missing-release', says: 'unregister_rpc_pipefs() now calls kmem_cache_destroy() before unregister_filesystem()' },
  // device set-up outside module_init: a probe-time init whose ladder the reversal takes away,
  // a bind callback's inline release, a PCI probe's ladder
  'wifi-rtw88-add-missing-destroy-workqueue-on-error-path-in-rt': { rule: 'init-error-unwind', says: 'alloc_workqueue(rtwdev->tx_wq) at line 2108 is not undone when rtw_load_firmware() fails' },
  'power-supply-ab8500-add-missing-destroy-workqueue-in-ab8500': { rule: 'init-error-unwind', says: 'alloc_ordered_workqueue(di->charger_wq)' },
  'scsi-stex-fix-reboot-notifier-leak-in-probe-error-path': { rule: 'init-error-unwind', says: 'register_reboot_notifier(stex_notifier)' },
  // a failure branch of a non-allocating call returning the positive IRQ number an earlier check left
  'firmware-tegra-fix-error-return-code-in-tegra210-bpmp-init': { rule: 'init-error-unwind', says: 'handles the failure of irq_get_irq_data() but returns err' },
  'amba-store-owner-from-modules-with-amba-driver-register': { rule: 'ops-missing-owner', says: 'amba_driver_register() no longer stores the module its caller registers from in drv->drv.owner' },
  // a release a driver's remove callback stops making (through its helper), probe still acquiring it
  // a failure test that cannot see the failure (NULL for an ERR_PTR() callee, IS_ERR() for a NULL one)
  'watchdog-jz4740-fix-return-value-check-in-jz4740-wdt-probe': { rule: 'init-error-unwind', says: 'device_node_to_regmap() returns an ERR_PTR() on failure and never NULL' },
  'serial-mvebu-uart-fix-return-value-check-in-mvebu-uart-clock': { rule: 'init-error-unwind', says: 'devm_ioremap() returns NULL on failure and never an error pointer' },
  // a probe whose only unwind was an iterator's put, judged in scope by its pre-image
  'gpio-sim-add-missing-fwnode-handle-put-in-gpio-sim-probe': { rule: 'init-error-unwind', says: 'device_for_each_child_node(swnode) at line 526 is not undone when gpio_sim_add_bank() fails' },
  // pm_runtime_get_sync()'s failure path that does not drop the usage count
  'crypto-sun8i-ce-fix-pm-reference-leak-in-sun8i-ce-probe': { rule: 'init-error-unwind', says: 'pm_runtime_get_sync(ce->dev) at line' },
  // a remove callback that returns early on a failed resume and skips its teardown
  'spi-imx-don-t-skip-cleanup-in-remove-s-error-path': { rule: 'exit-missing-release', says: 'spi_imx_remove() returns early at line' },
  // a probe's acquire turned managed while remove still releases it by hand
  'iio-light-tsl2583-fix-module-unloading': { rule: 'exit-missing-release', says: 'tsl2583_remove() still calls iio_device_unregister() by hand' },
  'thermal-intel-int340x-free-msi-irq-vectors-on-module-exit': { rule: 'exit-missing-release', says: 'proc_thermal_pci_remove() no longer calls pci_free_irq_vectors(pdev)' },
};
/** Ordinary patches (forward fixes and clean-ups of the same functions) that must stay silent. */
const SILENT = [
  'scsi-scsi-transport-spi-fix-page-fault',
  'scsi-scsi-transport-spi-fix-unhandled-errors',
  'scsi-fcoe-replace-eexist-with-ebusy',
  'platform-x86-msi-laptop-add-msi-scm-model-exit-helper',
  // module_led_trigger() written out by hand returns what the macro's init returned
  'leds-trigger-netdev-use-module-led-trigger-macro',
  // class_register() renamed to class_create(): the unwind ladder's labels are as they were
  'oradax-make-cl-a-static-const-structure',
  // the unwind label renamed: the steps that jump there are as they were
  'tee-amdtee-rename-err-label-to-err-device-unregister',
  // gc.owner moved with gpio_chip into gpio_generic_chip: the same owner, one member deeper
  'gpio-loongson1-use-new-generic-gpio-chip-api',
];

const pick = (prefix: string): RealCase => {
  const c = all.filter((x) => x.id.startsWith(prefix));
  expect(c, prefix).toHaveLength(1);
  return c[0]!;
};

const tmp = mkdtempSync(join(tmpdir(), 'modreview-realfix-'));
let db: DB;
let index: IndexQuery;
let tree: string;

beforeAll(async () => {
  tree = kernelTree();
  // Cross-file questions (another file of the module still calls iso_init(), callers of an
  // __init function) need the index over the cases' directories.
  const cases = [...Object.keys(FIXES), ...SILENT].map(pick);
  const paths = [...new Set(cases.flatMap((c) => patchPaths(caseDiff(dir, c)).map((p) => posix.dirname(p))))];
  db = openStore(join(tmp, 'index.sqlite'));
  await buildIndex(tree, { db, paths });
  index = await TreeIndex.open(db, tree);
}, 600_000);

afterAll(() => {
  db?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('real fixes, reversed onto Linux 6.12', () => {
  it.each(Object.entries(FIXES))('%s', async (prefix, want) => {
    const c = pick(prefix);
    expect(splitOf(c.messageId)).toBe('dev');
    const out = await runRealCase(tree, dir, c, index);
    expect(out.error).toBeUndefined();
    const mine = out.findings.filter((f) => f.rule === want.rule);
    expect(mine.map((f) => f.message).join('\n'), out.findings.map((f) => `${f.rule}: ${f.message}`).join('\n')).toContain(want.says);
    expect(c.rules).toContain(want.rule);
  });

  it.each(SILENT)('%s stays silent', async (prefix) => {
    const c = pick(prefix);
    expect(splitOf(c.messageId)).toBe('dev');
    expect(c.kind).toBe('ordinary');
    const out = await runRealCase(tree, dir, c, index);
    expect(out.error).toBeUndefined();
    expect(out.findings.map((f) => `${f.rule}: ${f.message}`)).toEqual([]);
  });
});
