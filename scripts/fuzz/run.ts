// The fuzz driver (issue 13): structure-aware mutations of real patches and mails through the
// whole review path — readSubmission, reviewSubmission (with the kernel tree for pre-images when
// there is one), the CLI text / JSON / SARIF reports and the lore reply — checking that no
// exception escapes and that every result keeps its contract (scripts/fuzz/contract.ts).
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { readSubmission } from '../../src/ingest/series.js';
import { reviewSubmission } from '../../src/engine/review.js';
import type { ImageProvider } from '../../src/engine/api.js';
import { jsonReport, renderText } from '../../src/report/cli.js';
import { sarifReport } from '../../src/report/sarif.js';
import { allRules } from '../../rules/index.js';
import { diffViolations, replyViolations, resultViolations } from './contract.js';
import { mutate, prng } from './mutate.js';

export interface Seed {
  name: string;
  text: string;
}

/** The seeds: the example patches and series, and the mail fixtures. */
export function loadSeeds(root: string): Seed[] {
  const out: Seed[] = [];
  for (const [dir, re] of [
    ['examples', /\.(patch|mbox)$/],
    ['test/fixtures/mail', /\.(eml|mbox)$/],
  ] as const) {
    for (const f of readdirSync(join(root, dir)).filter((x) => re.test(x)).sort()) out.push({ name: `${dir}/${f}`, text: readFileSync(join(root, dir, f), 'latin1') });
  }
  return out;
}

export interface Failure {
  input: number;
  seed: string;
  how: string[];
  kind: 'exception' | 'violation';
  what: string;
  text: string;
}

export interface FuzzStats {
  inputs: number;
  /** Inputs readSubmission refused as not a patch, mail or mbox (InputError, the documented outcome). */
  rejected: number;
  exceptions: number;
  violations: number;
  slowest: { input: number; seed: string; how: string[]; ms: number; bytes: number };
  totalMs: number;
  peakRssMb: number;
  byMutator: Map<string, { inputs: number; failures: number }>;
  failures: Failure[];
}

export interface FuzzOptions {
  inputs: number;
  seed: number;
  seeds: Seed[];
  images?: ImageProvider;
  /** Where failing inputs are written (with how they were made); nowhere when undefined. */
  failureDir?: string;
  onProgress?: (done: number, stats: FuzzStats) => void;
}

const message = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).split('\n')[0]!.slice(0, 300);

export async function runFuzz(opts: FuzzOptions): Promise<FuzzStats> {
  const stats: FuzzStats = {
    inputs: 0,
    rejected: 0,
    exceptions: 0,
    violations: 0,
    slowest: { input: -1, seed: '', how: [], ms: 0, bytes: 0 },
    totalMs: 0,
    peakRssMb: 0,
    byMutator: new Map(),
    failures: [],
  };
  if (opts.failureDir) mkdirSync(opts.failureDir, { recursive: true });
  for (let i = 0; i < opts.inputs; i++) {
    const seed = opts.seeds[i % opts.seeds.length]!;
    const rng = prng(opts.seed * 1_000_003 + i);
    const { text, how } = mutate(seed.text, rng);
    const fail = (kind: Failure['kind'], what: string) => {
      if (kind === 'exception') stats.exceptions++;
      else stats.violations++;
      const f: Failure = { input: i, seed: seed.name, how, kind, what, text };
      if (stats.failures.length < 50) stats.failures.push(f);
      if (opts.failureDir) writeFileSync(join(opts.failureDir, `${kind}-${i}.txt`), `${JSON.stringify({ input: i, seed: seed.name, how, what })}\n${text}`);
    };
    stats.inputs++;
    const t0 = performance.now();
    let failed = false;
    try {
      const input = Buffer.from(text, 'utf8');
      let sub;
      try {
        sub = await readSubmission(input);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        stats.rejected++;
      }
      if (sub) {
        const problems = [...sub.patches.flatMap((p) => diffViolations(p.files))];
        const result = await reviewSubmission(sub, opts.images ? { images: opts.images } : {});
        problems.push(...resultViolations(sub, result), ...replyViolations(sub, result));
        renderText(sub, result, result.findings);
        JSON.stringify(jsonReport(sub, result, result.findings));
        JSON.stringify(sarifReport(result.findings, { rules: allRules }));
        if (problems.length) {
          failed = true;
          fail('violation', problems.slice(0, 3).join('; '));
        }
      }
    } catch (e) {
      failed = true;
      fail('exception', message(e));
    }
    const ms = performance.now() - t0;
    stats.totalMs += ms;
    if (ms > stats.slowest.ms) stats.slowest = { input: i, seed: seed.name, how, ms, bytes: Buffer.byteLength(text) };
    for (const m of new Set(how)) {
      const row = stats.byMutator.get(m) ?? { inputs: 0, failures: 0 };
      row.inputs++;
      if (failed) row.failures++;
      stats.byMutator.set(m, row);
    }
    if (i % 100 === 99) opts.onProgress?.(i + 1, stats);
  }
  stats.peakRssMb = process.resourceUsage().maxRSS / 1024;
  return stats;
}

export function statsTable(s: FuzzStats): string {
  const slow = s.slowest;
  return [
    '| inputs | not a patch (InputError) | exceptions | contract violations | slowest input | its time | mean time | peak RSS |',
    '|---:|---:|---:|---:|---|---:|---:|---:|',
    `| ${s.inputs.toLocaleString('en-US')} | ${s.rejected.toLocaleString('en-US')} | ${s.exceptions} | ${s.violations} | #${slow.input}: ${slow.how.join(' + ')} of ${slow.seed} (${slow.bytes.toLocaleString('en-US')} bytes) | ${(slow.ms / 1000).toFixed(2)} s | ${(s.totalMs / Math.max(1, s.inputs)).toFixed(1)} ms | ${Math.round(s.peakRssMb)} MB |`,
  ].join('\n');
}

export function mutatorTable(s: FuzzStats): string {
  const rows = [...s.byMutator].sort((a, b) => a[0].localeCompare(b[0]));
  return ['| mutation | inputs using it | failing inputs |', '|---|---:|---:|', ...rows.map(([m, r]) => `| ${m} | ${r.inputs.toLocaleString('en-US')} | ${r.failures} |`)].join('\n');
}
