// Deletion probe: a recall estimate over the whole tree rather than over the shapes a rule was
// written for. From a seeded random sample of the tree's module_init files it deletes one release
// call — from an init function's failure labels (`ladder`: init-error-unwind should report) or
// from the module's exit function (`exit`: exit-missing-release should report) — and reviews the
// deletion as a patch, exactly as the real-patch corpus does. Most real fixes of these families
// add exactly such a line, so the misses, grouped by callee, show which pairs and shapes the
// analysis does not know. A development aid, run by hand; nothing in it is a test.
//
//   node --import tsx scripts/corpus/deletion-probe.ts ladder|exit [N=150] [SEED=1]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTwoFilesPatch } from 'diff';
import { extractFacts } from '../../src/c/facts.js';
import type { RealCase } from '../../src/engine/real-corpus.js';
import { moduleEntryPoints } from '../../src/engine/kernel/lifecycle.js';
import { moduleBook, releaseByName } from '../../src/engine/kernel/pairs.js';
import { runRealCase } from '../real-corpus.js';

const [mode = 'ladder', nArg = '150', seedArg = '1'] = process.argv.slice(2);
if (mode !== 'ladder' && mode !== 'exit') throw new Error('usage: deletion-probe.ts ladder|exit [N] [SEED]');
const want = mode === 'ladder' ? 'init-error-unwind' : 'exit-missing-release';
const root = fileURLToPath(new URL('../../', import.meta.url));
const tree = execFileSync(process.execPath, [join(root, 'scripts/fetch-kernel.mjs')], { encoding: 'utf8' }).trim().split('\n').pop()!;
const { openStore, cacheDir } = await import('../../src/store/db.js');
const { TreeIndex } = await import('../../src/index/query.js');
const db = openStore(join(cacheDir(), 'accuracy-tree.sqlite'));
const index = await TreeIndex.open(db, tree);

/** mulberry32: a seeded shuffle, so a run can be repeated. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(Number(seedArg));
const files = execFileSync('grep', ['-rlE', '--include=*.c', '^(module_init|module_exit)\\(', '.'], { cwd: tree, encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').map((f) => f.replace(/^\.\//, '')).sort();
for (let i = files.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [files[i], files[j]] = [files[j]!, files[i]!];
}

const dir = mkdtempSync(join(tmpdir(), 'modreview-probe-'));
mkdirSync(join(dir, 'diffs'));
const NOT_RELEASES = /^(pr_|dev_|printk|WARN|BUG|kfree_skb$|mutex_unlock|spin_unlock|rcu_read_unlock|up_|local_irq)/;
let n = 0;
let caught = 0;
const missed = new Map<string, string[]>();
for (const path of files) {
  if (n >= Number(nArg)) break;
  const text = readFileSync(join(tree, path), 'utf8');
  const facts = extractFacts(path, text);
  const ep = moduleEntryPoints(facts);
  const book = moduleBook(facts, index);
  const fns = mode === 'ladder' ? ep.inits.map((i) => i.fn) : ep.exit?.fn ? [ep.exit.fn] : [];
  const lines = text.split('\n');
  const cands: { line: number; callee: string }[] = [];
  for (const fn of fns) {
    if (fn.hasError) continue;
    const firstLabel = fn.body.find((s) => s.k === 'label')?.line ?? Infinity;
    for (const c of fn.calls) {
      if (mode === 'ladder' && c.line <= firstLabel) continue;
      if (NOT_RELEASES.test(c.callee) || !(book.isRelease(c.callee) || releaseByName(c.callee))) continue;
      // Only a call that is its own statement on one line: deleting the line deletes the call.
      const l = lines[c.line - 1] ?? '';
      // (escaped: a call through a pointer is named `*hook`)
      if (!new RegExp(`^\\s*${c.callee.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\(.*\\);\\s*$`).test(l)) continue;
      cands.push({ line: c.line, callee: c.callee });
    }
  }
  if (!cands.length) continue;
  const pick = cands[Math.floor(rand() * cands.length)]!;
  const after = lines.filter((_, i) => i !== pick.line - 1).join('\n');
  const diff = createTwoFilesPatch(`a/${path}`, `b/${path}`, text, after, '', '', { context: 3 }).replace(/^=+\n/m, '').replace(/^Index:.*\n/m, '');
  const id = `probe-${n}`;
  writeFileSync(join(dir, 'diffs', `${id}.diff`), `diff --git a/${path} b/${path}\n${diff.replace(/^[^-]*(?=---)/, '')}`);
  const c: RealCase = { id, kind: 'fix', rules: [want], subject: `[PATCH] probe: drop ${pick.callee}() in ${path}`, messageId: `${id}@probe`, list: 'probe', date: '2026-01-01', applies: 'forward' };
  const o = await runRealCase(tree, dir, c, index);
  n++;
  if (o.error) {
    console.log(`error ${path}:${pick.line} ${o.error}`);
    continue;
  }
  if (o.ok) caught++;
  else {
    const k = pick.callee;
    missed.set(k, [...(missed.get(k) ?? []), `${path}:${pick.line}`]);
  }
}
console.log(`${mode}: ${caught}/${n} deletions reported by ${want}`);
for (const [k, v] of [...missed].sort((a, b) => b[1].length - a[1].length)) console.log(`  missed ${k}() x${v.length}: ${v.slice(0, 4).join(' ')}`);
