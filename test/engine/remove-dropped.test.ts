// exit-missing-release on a driver's remove callback: the exit of what its probe set up. Real
// (also a probe that turns an acquire from managed to plain with no release, or the other way
// round while remove still releases it by hand.)
// Linux 6.12 drivers/i2c/busses/i2c-hix5hd2.c, the rule's own mutation cases, reviewed as real
// patches: a release remove stops making is reported while probe still acquires it, and a devm_
// conversion that leaves only the runtime PM callbacks turning the clock on and off stays silent.
import { describe, expect, it } from 'vitest';
import { cases } from '../../rules/exit-missing-release/accuracy.js';
import { runCase } from '../../scripts/accuracy.js';
import { kernelTree } from '../helpers/kernel.js';

const RULE = 'exit-missing-release';
const mine = cases.filter((c) => /^(hix5hd2_i2c_|al3010_probe|samsung_keypad_remove)/.test(c.name));
/** What each flagged case's finding names: the release remove dropped and the acquire probe still makes. */
const SAYS: Record<string, string[]> = {
  'hix5hd2_i2c_remove no longer disables runtime PM': ['no longer calls pm_runtime_disable(priv->dev)', 'every unbind of the device'],
  'hix5hd2_i2c_remove no longer deletes the adapter': ['no longer calls i2c_del_adapter(&priv->adap)', 'i2c_add_adapter() is still called'],
  'al3010_probe registers its iio device unmanaged and nothing unregisters it': ['now calls iio_device_register() at line', 'nothing in this file calls iio_device_unregister()'],
  'hix5hd2_i2c_probe adds its adapter managed while remove still deletes it': ['now calls devm_i2c_add_adapter()', 'hix5hd2_i2c_remove() still calls i2c_del_adapter() by hand'],
};
/** The function each flagged case's finding is reported in. */
const IN = (name: string) => (name.startsWith('al3010') ? 'al3010_probe' : name.startsWith('hix5hd2_i2c_probe') ? 'hix5hd2_i2c_probe' : 'hix5hd2_i2c_remove');

describe("a release dropped from a driver's remove callback", () => {
  it('has flag and clean cases', () => {
    expect(mine.filter((c) => c.expect === 'flag').map((c) => c.name).sort()).toEqual(Object.keys(SAYS).sort());
    expect(mine.some((c) => c.expect === 'clean')).toBe(true);
  });

  it.each(mine.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const out = await runCase(kernelTree(), RULE, c, undefined);
    expect(out.error).toBeUndefined();
    const msgs = out.findings.map((f) => f.message);
    if (c.expect === 'clean') expect(msgs).toEqual([]);
    else {
      const hit = out.findings.filter((f) => f.function === IN(name));
      expect(hit.length, msgs.join('\n')).toBe(1);
      for (const s of SAYS[name]!) expect(hit[0]!.message).toContain(s);
    }
  });
});
