// exit-missing-release on a driver's remove callback: the exit of what its probe set up. Real
// Linux 6.12 drivers/i2c/busses/i2c-hix5hd2.c, the rule's own mutation cases, reviewed as real
// patches: a release remove stops making is reported while probe still acquires it, and a devm_
// conversion that leaves only the runtime PM callbacks turning the clock on and off stays silent.
import { describe, expect, it } from 'vitest';
import { cases } from '../../rules/exit-missing-release/accuracy.js';
import { runCase } from '../../scripts/accuracy.js';
import { kernelTree } from '../helpers/kernel.js';

const RULE = 'exit-missing-release';
const mine = cases.filter((c) => /^hix5hd2_i2c_/.test(c.name));
/** What each flagged case's finding names: the release remove dropped and the acquire probe still makes. */
const SAYS: Record<string, string[]> = {
  'hix5hd2_i2c_remove no longer disables runtime PM': ['no longer calls pm_runtime_disable(priv->dev)', 'every unbind of the device'],
  'hix5hd2_i2c_remove no longer deletes the adapter': ['no longer calls i2c_del_adapter(&priv->adap)', 'i2c_add_adapter() is still called'],
};

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
      const hit = out.findings.filter((f) => f.function === 'hix5hd2_i2c_remove');
      expect(hit.length, msgs.join('\n')).toBe(1);
      for (const s of SAYS[name]!) expect(hit[0]!.message).toContain(s);
    }
  });
});
