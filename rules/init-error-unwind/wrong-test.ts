// A failure test that cannot see the failure: `if (!base)` after devm_platform_ioremap_resource(),
// which returns an ERR_PTR() and never NULL, or `if (IS_ERR(base))` after devm_ioremap(), which
// returns NULL and never an error pointer. Either way the step's failure goes untested and set-up
// carries on with a bad pointer (the many "Fix return value check in foo_probe()" fixes, reversed).
// Only callees whose convention the kernel documents are judged; IS_ERR_OR_NULL() sees both.
import { escapeRegExp, resourceIdentity } from '../../src/c/lex.js';
import type { CallSite, FunctionFacts } from '../../src/c/types.js';
import { testAfter } from '../../src/c/walk.js';

/** Return NULL on failure, never an error pointer. */
const RETURNS_NULL =
  /^(ioremap|ioremap_wc|ioremap_uc|ioremap_cache|ioremap_np|devm_ioremap|devm_ioremap_wc|devm_ioremap_uc|of_iomap|devm_kzalloc|devm_kmalloc|devm_kcalloc|devm_kmalloc_array|devm_kmemdup|devm_kstrdup|devm_kasprintf|kzalloc|kmalloc|kcalloc|kmalloc_array|kmemdup|kstrdup|vmalloc|vzalloc|kvzalloc|kvmalloc|alloc_etherdev|alloc_etherdev_mq|alloc_candev|mmc_alloc_host|iio_device_alloc|devm_iio_device_alloc|input_allocate_device|devm_input_allocate_device|platform_get_resource|platform_get_resource_byname|usb_alloc_urb|dma_alloc_coherent|dmam_alloc_coherent|alloc_workqueue|alloc_ordered_workqueue|create_singlethread_workqueue|create_workqueue|kmem_cache_create|spi_alloc_host|spi_alloc_master|devm_spi_alloc_host|devm_spi_alloc_master|scsi_host_alloc|framebuffer_alloc|irq_domain_add_linear|irq_domain_create_linear|irq_domain_add_legacy|irq_domain_create_hierarchy|of_find_node_by_name|of_find_compatible_node|of_get_child_by_name|of_parse_phandle)$/;
/** Return an ERR_PTR() on failure, never NULL. */
const RETURNS_ERR =
  /^(devm_ioremap_resource|devm_ioremap_resource_wc|devm_platform_ioremap_resource|devm_platform_ioremap_resource_byname|devm_platform_get_and_ioremap_resource|devm_of_iomap|clk_get|devm_clk_get|devm_clk_get_enabled|devm_clk_get_prepared|of_clk_get|of_clk_get_by_name|clk_register|clk_hw_register_\w+|regulator_get|devm_regulator_get|devm_regulator_get_exclusive|reset_control_get\w*|devm_reset_control_get\w*|gpiod_get|gpiod_get_index|devm_gpiod_get|devm_gpiod_get_index|kthread_run|kthread_create|class_create|device_create|regmap_init\w*|devm_regmap_init\w*|syscon_node_to_regmap|device_node_to_regmap|syscon_regmap_lookup_by_compatible|syscon_regmap_lookup_by_phandle|dma_request_chan|devm_pinctrl_get|pinctrl_lookup_state|devm_phy_get|devm_phy_create|devm_of_phy_get|phy_get|devm_usb_get_phy|devm_usb_get_phy_by_phandle|devm_pwm_get|pwm_get|mbox_request_channel|devm_mux_control_get|devm_extcon_dev_allocate|power_supply_register|devm_power_supply_register|hwmon_device_register_with_info|devm_hwmon_device_register_with_info|devm_hwmon_device_register_with_groups|devm_rtc_allocate_device|devm_rtc_device_register|rtc_device_register|backlight_device_register|devm_backlight_device_register|thermal_zone_device_register\w*|devm_thermal_of_zone_register|platform_device_register_full|platform_device_register_simple|platform_device_register_data|platform_device_register_resndata|crypto_alloc_\w+|devm_nvmem_cell_get|nvmem_cell_get|devm_nvmem_register|devm_memremap|filp_open|kern_mount|anon_inode_getfile|devm_iio_channel_get|iio_channel_get|devm_iio_trigger_alloc)$/;

export interface WrongTest {
  call: CallSite;
  /** What the test looks for, and what the callee returns on failure. */
  tests: 'null' | 'err';
  testLine: number;
}

/** Calls whose result is tested, right where it is made (testAfter()), for the failure value the callee never returns. */
export function wrongFailureTests(fn: FunctionFacts): WrongTest[] {
  const out: WrongTest[] = [];
  for (const c of fn.calls) {
    const returnsNull = RETURNS_NULL.test(c.callee);
    if (!c.assignedTo || (!returnsNull && !RETURNS_ERR.test(c.callee))) continue;
    const test = testAfter(fn, c);
    if (!test) continue;
    const x = escapeRegExp(resourceIdentity(c.assignedTo));
    const cond = test.cond.replace(/\s+/g, '');
    if (/IS_ERR_OR_NULL/.test(cond)) continue;
    const isErr = new RegExp(`IS_ERR\\(${x}\\)`).test(cond);
    const isNull = new RegExp(`^!${x}$|^${x}==NULL$|^NULL==${x}$|^\\(!${x}\\)$`).test(cond);
    if (returnsNull && isErr && !isNull) out.push({ call: c, tests: 'err', testLine: test.line });
    else if (!returnsNull && isNull) out.push({ call: c, tests: 'null', testLine: test.line });
  }
  return out;
}
