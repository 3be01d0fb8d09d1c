// `npm run fuzz [-- --inputs N] [--seed S] [--tree DIR | --no-tree] [--no-doc]`: structure-aware
// mutations of the example patches and the mail fixtures through the whole review path (see
// scripts/fuzz/run.ts), a table of what happened, also written into docs/RELIABILITY.md. Exits 1
// when an exception escaped or a contract was broken; the failing inputs are written to
// $TMPDIR/modreview-fuzz/ with how they were made.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from '../src/store/db.js';
import { treeImages } from '../src/lore/tree.js';
import { loadSeeds, mutatorTable, runFuzz, statsTable } from './fuzz/run.js';
import { MUTATORS } from './fuzz/mutate.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOC = join(ROOT, 'docs', 'RELIABILITY.md');
const BEGIN = '<!-- fuzz table: written by npm run fuzz -->';
const END = '<!-- end of fuzz table -->';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const inputs = Number(arg('--inputs') ?? 10_000);
  const seed = Number(arg('--seed') ?? 13);
  if (!Number.isSafeInteger(inputs) || inputs <= 0 || !Number.isSafeInteger(seed)) {
    process.stderr.write('usage: npm run fuzz -- [--inputs N] [--seed S] [--tree DIR | --no-tree] [--no-doc]\n');
    return 2;
  }
  const defaultTree = join(cacheDir(), 'linux-6.12');
  const tree = process.argv.includes('--no-tree') ? undefined : (arg('--tree') ?? (existsSync(defaultTree) ? defaultTree : undefined));
  const seeds = loadSeeds(ROOT);
  const failureDir = join(tmpdir(), 'modreview-fuzz');
  const started = new Date();
  process.stderr.write(`fuzz: ${inputs} inputs from ${seeds.length} seeds (seed ${seed}), pre-images ${tree ? `from ${tree}` : 'none (hunk-only)'}\n`);
  const stats = await runFuzz({
    inputs,
    seed,
    seeds,
    ...(tree ? { images: treeImages(tree) } : {}),
    failureDir,
    onProgress: (done, s) => {
      if (done % 1000 === 0) process.stderr.write(`fuzz: ${done} inputs, ${s.exceptions} exceptions, ${s.violations} violations, ${(s.totalMs / 1000).toFixed(0)} s\n`);
    },
  });
  const table = statsTable(stats);
  const perMutator = mutatorTable(stats);
  process.stdout.write(`${table}\n\n${perMutator}\n`);
  for (const f of stats.failures.slice(0, 10)) process.stdout.write(`\n${f.kind} on input #${f.input} (${f.how.join(' + ')} of ${f.seed}): ${f.what}\n`);
  if (stats.failures.length) process.stdout.write(`\nfailing inputs: ${failureDir}\n`);

  if (!process.argv.includes('--no-doc')) {
    const run = [
      BEGIN,
      '',
      `Last run: \`npm run fuzz -- --inputs ${inputs} --seed ${seed}\` on ${started.toISOString().slice(0, 10)}, ${tree ? 'pre-images from the cached Linux 6.12 tree' : 'no tree (hunk-only reviews)'}; ${seeds.length} seeds; Node ${process.version}, ${cpus().length} CPUs, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM (${(freemem() / 2 ** 30).toFixed(1)} GiB free at the end); ${(stats.totalMs / 1000).toFixed(0)} s in all.`,
      '',
      table,
      '',
      'Inputs by the mutations that made them (an input has one to three):',
      '',
      perMutator,
      '',
      END,
    ].join('\n');
    const doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '';
    const a = doc.indexOf(BEGIN);
    const b = doc.indexOf(END);
    if (a >= 0 && b > a) writeFileSync(DOC, doc.slice(0, a) + run + doc.slice(b + END.length));
    else process.stderr.write(`fuzz: ${DOC} has no fuzz table markers; table not written\n`);
  }
  process.stderr.write(`fuzz: ${MUTATORS.length} mutations; done\n`);
  return stats.exceptions + stats.violations > 0 ? 1 : 0;
}

process.exitCode = await main();
