// init-error-unwind's acquire → release table (src/engine/kernel/resources.ts) is data about the
// kernel: at least 60 pairs, and every one of them must be a pair real Linux 6.12 code uses —
// some .c file of the tree calls the acquire and (one of) its releases. A plain walk of the tree
// with a substring prefilter; it stops as soon as every pair has been seen.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isManaged, isRelease, pairFor, RESOURCE_PAIRS } from '../../src/engine/kernel/resources.js';
import { kernelTree } from '../helpers/kernel.js';

// Where the pairs' users live (the stragglers — templates, kprobes, module notifiers — are in
// kernel/ and crypto/, so those go first); the rest of the tree only if something is missing.
const DIRS = ['kernel', 'crypto', 'net', 'fs', 'sound', 'drivers', 'block', 'lib', 'mm', 'security', 'arch', 'virt', 'samples'];

function* cFiles(root: string, rel: string): Generator<string> {
  let entries;
  try {
    entries = readdirSync(join(root, rel), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = `${rel}/${e.name}`;
    if (e.isDirectory()) yield* cFiles(root, p);
    else if (e.name.endsWith('.c')) yield p;
  }
}

/** `name(` as a call or macro use, not as part of a longer identifier. */
function calls(text: string, name: string): boolean {
  for (let i = text.indexOf(name); i >= 0; i = text.indexOf(name, i + 1)) {
    const before = i > 0 ? text.charCodeAt(i - 1) : 32;
    if (/[A-Za-z0-9_]/.test(String.fromCharCode(before))) continue;
    let j = i + name.length;
    while (text[j] === ' ' || text[j] === '\t') j++;
    if (text[j] === '(') return true;
  }
  return false;
}

describe('RESOURCE_PAIRS', () => {
  it('has at least 60 pairs, one entry per acquire, none of them managed (devm_/pcim_)', () => {
    expect(RESOURCE_PAIRS.length).toBeGreaterThanOrEqual(60);
    expect(new Set(RESOURCE_PAIRS.map((p) => p.acquire)).size).toBe(RESOURCE_PAIRS.length);
    for (const p of RESOURCE_PAIRS) {
      expect(isManaged(p.acquire), p.acquire).toBe(false);
      expect(p.release.length).toBeGreaterThan(0);
      expect(pairFor(p.acquire)).toBe(p);
      for (const r of p.release) expect(isRelease(r)).toBe(true);
    }
    // devm_/pcim_ calls and module_*_driver() macros are not resources to unwind.
    expect(pairFor('devm_kzalloc')).toBeUndefined();
    expect(pairFor('pcim_enable_device')).toBeUndefined();
    expect(pairFor('module_platform_driver')).toBeUndefined();
  });

  it('every pair is used together in some Linux 6.12 .c file', () => {
    const tree = kernelTree();
    const missing = new Map(RESOURCE_PAIRS.map((p) => [p.acquire, p]));
    const seenIn = new Map<string, string>();
    for (const dir of DIRS) {
      for (const rel of cFiles(tree, dir)) {
        if (!missing.size) break;
        const text = readFileSync(join(tree, rel), 'latin1');
        for (const [acq, p] of missing) {
          if (!text.includes(acq) || !calls(text, acq)) continue;
          if (p.release.some((r) => text.includes(r) && calls(text, r))) {
            seenIn.set(acq, rel);
            missing.delete(acq);
          }
        }
      }
      if (!missing.size) break;
    }
    expect([...missing.keys()]).toEqual([]);
    // Spot checks that the walk found what it says (each names a file that really has both).
    expect(seenIn.get('misc_register')).toMatch(/\.c$/);
    const f = seenIn.get('alloc_workqueue')!;
    const t = readFileSync(join(tree, f), 'utf8');
    expect(calls(t, 'alloc_workqueue') && calls(t, 'destroy_workqueue')).toBe(true);
  }, 60_000);
});
