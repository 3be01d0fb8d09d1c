// The exit-side analyses on real Linux 6.12 files: what init keeps and exit gives back, the
// barriers an exit path runs, and when a function runs for the section check. Each file is
// parsed on its own (no tree index): these are the file-local answers the rules build on.
import { describe, expect, it } from 'vitest';
import { extractFacts } from '../../src/c/facts.js';
import { filesIndex } from '../../src/engine/overlay.js';
import { disabledLines, moduleEntryPoints, pathCalls } from '../../src/engine/kernel/lifecycle.js';
import { exitBarriers, inodeRcuCallbacks, moduleRcuCallbacks } from '../../src/engine/kernel/rcu.js';
import { runsIn, sectionMismatches } from '../../src/engine/kernel/sections.js';
import { exitPath, keptByInit, unreleased } from '../../src/engine/kernel/teardown.js';
import { kernelFile } from '../helpers/kernel.js';

const load = (path: string) => {
  const source = kernelFile(path);
  return { source, facts: extractFacts(path, source) };
};

describe('teardown (exit-missing-release)', () => {
  it('ext2: init keeps the inode cache and the filesystem; exit gives both back through its helper', () => {
    const { facts } = load('fs/ext2/super.c');
    const ep = moduleEntryPoints(facts);
    const kept = keptByInit(facts, ep.inits[0]!.fn);
    expect(kept.map((k) => k.at.call.callee).sort()).toEqual(['kmem_cache_create_usercopy', 'register_filesystem']);
    const path = exitPath(facts, ep.exit!.fn!, filesIndex([facts]));
    expect(unreleased(kept, path)).toEqual([]);
  });

  it('paes_s390: a helper called once per algorithm is expanded per call, its parameter bound', () => {
    const { facts } = load('arch/s390/crypto/paes_s390.c');
    const ep = moduleEntryPoints(facts);
    const path = pathCalls(facts, ep.exit!.fn!, { depth: 2 });
    const unregs = path.filter((p) => p.call.callee === 'crypto_unregister_skcipher').map((p) => p.call.args[0]);
    expect(unregs).toEqual(['ctr_paes_alg', 'xts_paes_alg', 'cbc_paes_alg', 'ecb_paes_alg']);
    expect(unreleased(keptByInit(facts, ep.inits[0]!.fn), path)).toEqual([]);
  });

  it('adbhid (as in 6.12): the notifier init registers is never unregistered', () => {
    const { facts } = load('drivers/macintosh/adbhid.c');
    const ep = moduleEntryPoints(facts);
    const left = unreleased(keptByInit(facts, ep.inits[0]!.fn), exitPath(facts, ep.exit!.fn!));
    expect(left.map((u) => `${u.reason}:${u.kept.at.call.callee}`)).toEqual(['missing:blocking_notifier_chain_register']);
  });

  it('#if 0 blocks are dead lines', () => {
    const { source } = load('drivers/mtd/maps/ck804xrom.c');
    const dead = disabledLines(source);
    const line = source.split('\n').findIndex((l) => l.includes('return pci_register_driver(&ck804xrom_driver);')) + 1;
    expect(dead.has(line)).toBe(true);
    expect(dead.has(line - 6)).toBe(false);
  });
});

describe('rcu (exit-missing-rcu-barrier)', () => {
  it('dax: ->free_inode is an RCU callback; the exit barriers through dax_fs_exit()', () => {
    const { facts } = load('drivers/dax/super.c');
    expect(inodeRcuCallbacks(facts).map((c) => c.cb)).toEqual(['dax_free_inode']);
    const ep = moduleEntryPoints(facts);
    const b = exitBarriers(facts, ep.exit!.fn!, filesIndex([facts]));
    expect(b.map((x) => `${x.barrier} via ${x.via.join('>')}`)).toEqual(['rcu_barrier via dax_core_exit>dax_fs_exit']);
  });

  it('nf_conncount (as in 6.12): a module call_rcu() callback and no barrier on the exit path', () => {
    const { facts } = load('net/netfilter/nf_conncount.c');
    expect(moduleRcuCallbacks(facts).map((c) => c.cb)).toEqual(['__tree_nodes_free']);
    const ep = moduleEntryPoints(facts);
    expect(exitBarriers(facts, ep.exit!.fn!, filesIndex([facts]))).toEqual([]);
  });
});

describe('sections (init-exit-section)', () => {
  it('vmx: `__init int f(void)` at column 0 is init code', () => {
    const { source, facts } = load('arch/x86/kvm/vmx/vmx.c');
    expect(runsIn(facts, source).get('vmx_hardware_setup')).toEqual(new Set(['init']));
    expect(sectionMismatches(facts, source).filter((u) => u.from === 'vmx_hardware_setup')).toEqual([]);
  });

  it('etherh (as in 6.12): the card probe calls the __init etherm_addr()', () => {
    const { source, facts } = load('drivers/net/ethernet/8390/etherh.c');
    expect(sectionMismatches(facts, source).map((u) => `${u.from}>${u.target}`)).toEqual(['etherh_probe>etherm_addr']);
  });
});
