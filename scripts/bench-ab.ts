// Before/after of the in-process review rows (docs/PERFORMANCE.md, "Warm in-process review"): two
// checkouts of modreview loaded into one process, each bench patch reviewed by both in turn (which
// goes first alternates), so the load of other sessions weighs on both alike; the review results
// are compared too. Development only, not part of `npm run bench`:
//   git worktree add --detach /tmp/before <commit> && ln -s $PWD/node_modules /tmp/before/
//   node --expose-gc --import tsx scripts/bench-ab.ts --before /tmp/before --db INDEX.sqlite [--after DIR] [--patches N]
// INDEX.sqlite: a store holding the index of the tree (`modreview index --tree TREE --db ...`).
import { mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const argv = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : def;
};
const repo = fileURLToPath(new URL('..', import.meta.url));
const BEFORE = resolve(opt('before', ''));
const AFTER = resolve(opt('after', repo));
const DB = opt('db', '');
if (!opt('before', '') || !DB) throw new Error('usage: bench-ab.ts --before DIR --db INDEX.sqlite [--after DIR] [--patches N] [--seed N]');
const N = Number(opt('patches', '220'));
const SEED = Number(opt('seed', '20241117'));
const tree = (() => {
  const out = spawnSync(process.execPath, [join(repo, 'scripts', 'fetch-kernel.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.stdout.trim().split('\n').pop()!;
})();
const tmp = mkdtempSync(join(tmpdir(), 'modreview-ab-'));
async function load(WT: string): Promise<(text: string) => Promise<{ ms: number; res: unknown }>> {
  const { FACTS_VERSION } = await import(`${WT}/src/c/facts.ts`);
  const { SqliteFactsCache } = await import(`${WT}/src/store/facts-cache.ts`);
  const { TreeIndex } = await import(`${WT}/src/index/query.ts`);
  const { openStore } = await import(`${WT}/src/store/db.ts`);
  const { readSubmission } = await import(`${WT}/src/ingest/series.ts`);
  const { reviewSubmission } = await import(`${WT}/src/engine/review.ts`);
  const { treeImages } = await import(`${WT}/src/lore/tree.ts`);
  const db = openStore(DB);
  const index = await TreeIndex.open(db, tree);
  const facts = new SqliteFactsCache(openStore(join(tmp, `facts-${WT === BEFORE ? 'before' : 'after'}.sqlite`)), String(FACTS_VERSION));
  const opts = { images: treeImages(tree), index, facts };
  return async (text: string) => {
    const t = performance.now();
    const res = await reviewSubmission(await readSubmission(Buffer.from(text)), opts);
    return { ms: performance.now() - t, res };
  };
}
const A = await load(BEFORE);
const B = await load(AFTER);
const { makePatch, makePatches, rng } = (await import(`${AFTER}/scripts/bench-patches.ts`)) as typeof import('./bench-patches.js');
const patches = makePatches(tree, N, SEED);
const r = rng(SEED + 1);
// The same files again, other lines (the bench's second round).
const again = patches.map((p) => makePatch(tree, p.file, p.changed, r) ?? p);
for (const p of makePatches(tree, 5, SEED + 2)) {
  await A(p.text);
  await B(p.text);
}
const gc = (globalThis as { gc?: () => void }).gc;
const q = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
let differ = 0;
for (const [name, list] of [
  ['first', patches],
  ['second', again],
] as const) {
  const ta: number[] = [];
  const tb: number[] = [];
  for (const [i, p] of list.entries()) {
    // Which version goes first alternates.
    gc?.();
    const x = i % 2 ? await A(p.text) : await B(p.text);
    gc?.();
    const y = i % 2 ? await B(p.text) : await A(p.text);
    const [a, b] = i % 2 ? [x, y] : [y, x];
    ta.push(a.ms);
    tb.push(b.ms);
    if (JSON.stringify(a.res) !== JSON.stringify(b.res)) {
      differ++;
      console.log('results differ', name, p.file);
    }
  }
  const ratio = ta.map((a, i) => a / tb[i]!);
  console.log(`${name} patch: before p50 ${q(ta, 50).toFixed(1)} p95 ${q(ta, 95).toFixed(1)} | after p50 ${q(tb, 50).toFixed(1)} p95 ${q(tb, 95).toFixed(1)} | before/after per patch median ${q(ratio, 50).toFixed(2)}`);
}
console.log(`results differ on ${differ} of ${2 * N} patches; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
rmSync(tmp, { recursive: true, force: true });
