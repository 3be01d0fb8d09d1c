// module-ref-leak and ops-missing-owner on whole real Linux 6.12 files: functions that take and
// drop module references correctly stay silent, and the sites the 6.12 scan reports (see the rules'
// READMEs) are still reported.
import { describe, expect, it } from 'vitest';
import { extractFacts } from '../../src/c/facts.js';
import { filesIndex } from '../../src/engine/overlay.js';
import { obsoleteUseCount } from '../../src/engine/kernel/modref.js';
import moduleRefLeak from '../../rules/module-ref-leak/index.js';
import opsMissingOwner from '../../rules/ops-missing-owner/index.js';
import type { Rule } from '../../src/engine/types.js';
import { kernelFile } from '../helpers/kernel.js';

function scan(rule: Rule, path: string) {
  const source = kernelFile(path);
  const facts = extractFacts(path, source);
  return rule.check({ path, image: 'post', source, facts, index: filesIndex([facts]) });
}

describe('module-ref-leak on Linux 6.12', () => {
  it.each([
    'drivers/dma/dmaengine.c',
    'sound/core/control.c',
    'net/socket.c',
    'drivers/net/phy/phy_device.c',
    'drivers/tty/tty_io.c',
    'arch/s390/appldata/appldata_base.c',
    'drivers/char/misc.c',
    'fs/filesystems.c',
    'drivers/mmc/core/pwrseq.c',
    'drivers/md/bcache/super.c',
  ])('%s: correct get/put paths stay silent', (path) => {
    expect(scan(moduleRefLeak, path).map((f) => f.message)).toEqual([]);
  });

  it('reports the power_up_sst() failure in sst_media_open()', () => {
    const found = scan(moduleRefLeak, 'sound/soc/intel/atom/sst-mfld-platform-pcm.c');
    expect(found.map((f) => f.function)).toEqual(['sst_media_open']);
    expect(found[0]!.message).toContain('goto out_power_up');
  });

  it('reports the num_ops == 0 exit of ebt_register_table()', () => {
    const found = scan(moduleRefLeak, 'net/bridge/netfilter/ebtables.c');
    expect(found.map((f) => f.function)).toEqual(['ebt_register_table']);
  });

  it('finds MOD_INC_USE_COUNT in code, not in comments', () => {
    const src = 'int open_foo(void)\n{\n\tMOD_INC_USE_COUNT; /* must be first */\n\t/* MOD_DEC_USE_COUNT on failure */\n\treturn 0;\n}\n';
    expect(obsoleteUseCount(src)).toEqual([{ macro: 'MOD_INC_USE_COUNT', line: 3 }]);
    // drivers/usb/mon/mon_main.c mentions it in a comment only.
    expect(obsoleteUseCount(kernelFile('drivers/usb/mon/mon_main.c'))).toEqual([]);
  });
});

describe('ops-missing-owner on Linux 6.12', () => {
  it.each([
    'drivers/watchdog/softdog.c',
    'drivers/cpuidle/cpuidle-haltpoll.c',
    'drivers/dax/super.c',
    'fs/romfs/super.c',
    'drivers/regulator/qcom_smd-regulator.c',
    'drivers/regulator/max14577-regulator.c',
    'net/ipv4/netfilter/arp_tables.c',
    'crypto/algif_hash.c',
    'drivers/ata/sata_mv.c',
  ])('%s stays silent', (path) => {
    expect(scan(opsMissingOwner, path).map((f) => f.message)).toEqual([]);
  });

  it('reports ebc_c384_wdt_ops, the one watchdog_ops of a module_init module without .owner', () => {
    const found = scan(opsMissingOwner, 'drivers/watchdog/ebc-c384_wdt.c');
    expect(found.map((f) => f.key)).toEqual(['static:watchdog_ops:ebc_c384_wdt_ops']);
  });

  it('reports the reset controller meson-aoclk registers without an owner', () => {
    const found = scan(opsMissingOwner, 'drivers/clk/meson/meson-aoclk.c');
    expect(found.map((f) => f.key)).toEqual(['runtime:reset_controller_dev:devm_reset_controller_register(rstc->reset)']);
  });
});
