// Issue 3's acceptance for init-error-unwind: real Linux 6.12 module init functions, mutated to
// drop an unwind step or return early past what they acquired, each reviewed as a real patch
// (the real file as pre-image, a unified diff of the edit) and flagged naming the resource and
// the release that is missing. The mutations are the flag cases of the rule's accuracy corpus.
import { describe, expect, it } from 'vitest';
import { cases } from '../../rules/init-error-unwind/accuracy.js';
import { casePatch, runCase } from '../../scripts/accuracy.js';
import { kernelTree } from '../helpers/kernel.js';

/** Corpus case → what the finding must name: the resource (as the code names it) and its release. */
const EXPECT: Record<string, { resource: string; release: string; fn: string }> = {
  'ena_init returns pci_register_driver() with the workqueue held': { resource: 'create_singlethread_workqueue(ena_wq)', release: 'destroy_workqueue', fn: 'ena_init' },
  'mtk_cpufreq_driver_init forgets platform_driver_unregister()': { resource: 'platform_driver_register(mtk_cpufreq_platdrv)', release: 'platform_driver_unregister', fn: 'mtk_cpufreq_driver_init' },
  'panel_simple_init returns on mipi_dsi_driver_register() failure': { resource: 'platform_driver_register(panel_simple_platform_driver)', release: 'platform_driver_unregister', fn: 'panel_simple_init' },
  'dm_snapshot_init ladder loses dm_unregister_target(&origin_target)': { resource: 'dm_register_target(origin_target)', release: 'dm_unregister_target', fn: 'dm_snapshot_init' },
  'dm_multipath_init jumps one rung too far': { resource: 'alloc_ordered_workqueue(kmpath_handlerd)', release: 'destroy_workqueue', fn: 'dm_multipath_init' },
  'br_init skips unregister_netdevice_notifier()': { resource: 'register_netdevice_notifier(br_device_notifier)', release: 'unregister_netdevice_notifier', fn: 'br_init' },
  'init_nfs_fs loses unregister_pernet_subsys()': { resource: 'register_pernet_subsys(nfs_net_ops)', release: 'unregister_pernet_subsys', fn: 'init_nfs_fs' },
  'init_ext2_fs returns without destroying the inode cache': { resource: 'kmem_cache_create_usercopy(ext2_inode_cachep) in init_inodecache()', release: 'kmem_cache_destroy', fn: 'init_ext2_fs' },
};

describe('init-error-unwind on mutated Linux 6.12 init functions', () => {
  const tree = kernelTree();
  const named = cases.filter((c) => c.name in EXPECT);
  it('covers at least five real init functions in different subsystems', () => {
    expect(named.length).toBe(Object.keys(EXPECT).length);
    expect(new Set(named.map((c) => c.file.split('/')[0] + '/' + c.file.split('/')[1])).size).toBeGreaterThanOrEqual(5);
  });

  it.each(named.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const want = EXPECT[c.name]!;
    // A real unified diff against the real file: it applies, and changes only the init function.
    const patch = casePatch(tree, c);
    expect(patch).toMatch(new RegExp(`^diff --git a/${c.file} b/${c.file}\\nindex [0-9a-f]{12}\\.\\.[0-9a-f]{12} 100644\\n`));
    const out = await runCase(tree, 'init-error-unwind', c, undefined);
    expect(out.error).toBeUndefined();
    expect(out.notes).toEqual([]);
    const mine = out.findings.filter((f) => f.function === want.fn && f.message.startsWith(want.resource));
    expect(mine.length, out.findings.map((f) => f.message).join('\n')).toBeGreaterThan(0);
    for (const f of mine) {
      expect(f).toMatchObject({ rule: 'init-error-unwind', severity: 'error', file: c.file, where: 'added' });
      expect(f.message).toContain(`${want.release}()`);
    }
  });
});
