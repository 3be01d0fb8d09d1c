// init-error-unwind on init code of every kind (boot hooks, built-in initcalls, module_init): real
// Linux 6.12 functions with one release taken off a failure branch, the shapes the `inline`
// deletion probe (scripts/corpus/deletion-probe.ts) found missed, each reviewed as a real patch;
// the same deletions in device set-up code (probe); and edits next to code that looked like a
// leak to an earlier cut of the same analysis.
import { describe, expect, it } from 'vitest';
import { cases } from '../../rules/init-error-unwind/accuracy.js';
import { runCase } from '../../scripts/accuracy.js';
import { kernelTree } from '../helpers/kernel.js';

/** Case → the function and the start of the message: the resource as the code names it. */
const FLAG: Record<string, { fn: string; resource: string; release: string; says?: string }> = {
  'mmp3_of_init keeps its second mapping when mmp_init_bases() fails': { fn: 'mmp3_of_init', resource: 'of_iomap(mmp_icu2_base)', release: 'iounmap' },
  'pika_dtm_start keeps dtm_fpga mapped when kthread_run() fails': { fn: 'pika_dtm_start', resource: 'of_iomap(dtm_fpga)', release: 'iounmap' },
  'spiderpci_pci_setup_chip keeps the dummy page when its DMA mapping fails': { fn: 'spiderpci_pci_setup_chip', resource: 'kmalloc(dummy_page_va)', release: 'kfree' },
  'virtual_eisa_root_init keeps eisa_root_dev registered when eisa_root_register() fails': { fn: 'virtual_eisa_root_init', resource: 'platform_device_register(eisa_root_dev)', release: 'platform_device_unregister' },
  'snd_hrtimer_init drops snd_timer_global_free() when registering fails': { fn: 'snd_hrtimer_init', resource: 'snd_timer_global_new(', release: 'snd_timer_global_free' },
  'rda8810_intc_init keeps its registers mapped when the irq domain cannot be created': { fn: 'rda8810_intc_init', resource: 'of_io_request_and_map(rda_intc_base)', release: 'iounmap' },
  'applicom_init leaves the PCI device enabled when ioremap() fails': { fn: 'applicom_init', resource: 'pci_enable_device(dev)', release: 'pci_disable_device' },
  'llc_sysctl_init keeps whichever sysctl table registered when the other did not': { fn: 'llc_sysctl_init', resource: 'register_net_sysctl(llc2_timeout_header)', release: 'unregister_net_sysctl_table' },
  'cpcihp_generic_init keeps the bridge device when it is not a bridge': { fn: 'cpcihp_generic_init', resource: 'pci_get_domain_bus_and_slot(dev)', release: 'pci_dev_put' },
  'pktsched_init carries on when register_pernet_subsys() fails': { fn: 'pktsched_init', resource: 'register_pernet_subsys(psched_net_ops)', release: 'unregister_pernet_subsys', says: 'tested its result before this patch' },
  'kbd_init carries on when input_register_handler() fails': { fn: 'kbd_init', resource: 'input_register_handler(kbd_handler)', release: 'input_unregister_handler', says: 'tested its result before this patch' },
  'xtfpga_i2s_probe leaves runtime PM enabled when the resume fails': { fn: 'xtfpga_i2s_probe', resource: 'pm_runtime_enable(', release: 'pm_runtime_disable' },
  'hip04_mac_probe carries on with a NULL net_device': { fn: 'hip04_mac_probe', resource: 'alloc_etherdev(ndev)', release: 'free_netdev', says: 'nothing tests its result' },
  'kaweth_probe carries on without its interrupt urb': { fn: 'kaweth_probe', resource: 'usb_alloc_urb(kaweth->irq_urb)', release: 'usb_free_urb', says: 'nothing tests its result' },
  'serial_pxa_init overwrites the uart_register_driver() status': { fn: 'serial_pxa_init', resource: 'uart_register_driver(serial_pxa_reg)', release: 'uart_unregister_driver', says: 'overwritten at line' },
};
const CLEAN = ['haltpoll_init: cpuhp state name changed', 'isapnp_next_rdp: region name changed', 'atm_init: out_atmpvc_exit calls atmpvc_exit(), not atmsvc_exit() a second time'];

describe('init-error-unwind on failure branches of real 6.12 init code', () => {
  const tree = kernelTree();
  const byName = new Map(cases.map((c) => [c.name, c]));

  it.each(Object.entries(FLAG))('%s', async (name, want) => {
    const c = byName.get(name);
    expect(c?.expect).toBe('flag');
    const out = await runCase(tree, 'init-error-unwind', c!, undefined);
    expect(out.error).toBeUndefined();
    const mine = out.findings.filter((f) => f.function === want.fn && f.message.startsWith(want.resource));
    expect(mine.length, out.findings.map((f) => f.message).join('\n')).toBeGreaterThan(0);
    if (want.says) expect(mine[0]!.message).toContain(want.says);
    else expect(mine[0]!.message).toContain(`${want.release}()`);
  });

  it.each(CLEAN)('%s stays silent', async (name) => {
    const c = byName.get(name);
    expect(c?.expect).toBe('clean');
    const out = await runCase(tree, 'init-error-unwind', c!, undefined);
    expect(out.error).toBeUndefined();
    expect(out.findings.map((f) => f.message)).toEqual([]);
  });
});
