// The per-process rows of `npm run bench` (issue 14): whole `modreview review` processes, one
// per patch, as a maintainer runs a checker, beside `perl scripts/checkpatch.pl --no-tree -q` on
// the same patch files in the same run. For each patch the three commands run back to back in a
// rotating order (quick index check, --index-check full, checkpatch), so load from other work on
// the machine falls on all three alike. Wall time from spawn to exit; CPU time (user + system of
// the child) from /usr/bin/time when it is there.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePatch, makePatches, rng, type BenchPatch } from './bench-patches.js';

export interface ProcessRow {
  what: string;
  value: string;
  target?: string;
  met?: boolean;
}

interface Run {
  wall: number;
  cpu: number | undefined;
  stdout: string;
  status: number | null;
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

function timed(cmd: string, args: string[], cwd: string): Run {
  const t = performance.now();
  const r = TIME
    ? spawnSync(TIME, ['-f', '\n%U %S', cmd, ...args], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 })
    : spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  const wall = performance.now() - t;
  const m = TIME ? /\n([\d.]+) ([\d.]+)\s*$/.exec(r.stderr) : null;
  return { wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : undefined, stdout: r.stdout, status: r.status };
}

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const ms = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));

export interface ProcessFigures {
  quickP50: number;
  fullP50: number;
  checkP50: number;
  ratioMedian: number;
  issue: { quick: number; full: number; check: number };
}

/**
 * `count` patches (the first: 16 changed lines of drivers/md/dm-snap.c, the issue's example,
 * run `issueRuns` times; then generated ones of 1..2,000 changed lines), each reviewed by
 * `node bin/modreview.js review` against `db` (a whole-tree index already built) with the quick
 * check and with --index-check full, and checked by checkpatch.pl.
 */
export function processRows(o: { repo: string; tree: string; db: string; dir: string; count: number; seed: number; issueRuns: number }): { rows: ProcessRow[]; fig: ProcessFigures } {
  const bin = join(o.repo, 'bin', 'modreview.js');
  // The launcher runs dist/: build it from this checkout first.
  const build = spawnSync(process.execPath, [join(o.repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: o.repo, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('tsc -p tsconfig.build.json failed');
  const issue = makePatch(o.tree, 'drivers/md/dm-snap.c', 8, rng(o.seed))!;
  const patches: BenchPatch[] = [issue, ...makePatches(o.tree, Math.max(0, o.count - 1), o.seed)];
  const files = patches.map((p, i) => {
    const f = join(o.dir, `process-${String(i).padStart(3, '0')}.patch`);
    writeFileSync(f, p.text);
    return f;
  });
  const review = (f: string, extra: string[]) => timed(process.execPath, [bin, 'review', '--tree', o.tree, '--db', o.db, '--format', 'json', '--fail-on', 'never', ...extra, f], o.repo);
  const kinds = {
    quick: (f: string) => review(f, []),
    full: (f: string) => review(f, ['--index-check', 'full']),
    check: (f: string) => timed('perl', ['scripts/checkpatch.pl', '--no-tree', '-q', f], o.tree),
  };
  const order = Object.keys(kinds) as (keyof typeof kinds)[];
  const runAll = (f: string, k: number) => {
    const out = {} as Record<keyof typeof kinds, Run>;
    for (let j = 0; j < order.length; j++) {
      const kind = order[(j + k) % order.length]!;
      out[kind] = kinds[kind](f);
    }
    return out;
  };
  // Warm-up: the page cache, and a first review that finds the index up to date.
  runAll(files[0]!, 0);
  const issueRuns = Array.from({ length: o.issueRuns }, (_, k) => runAll(files[0]!, k));
  const per = files.map((f, k) => runAll(f, k));
  let same = 0;
  let found = 0;
  const findings = (r: Run) => JSON.stringify((JSON.parse(r.stdout) as { findings: unknown[] }).findings);
  for (const r of per) {
    if (r.quick.status === 0 && r.full.status === 0 && findings(r.quick) === findings(r.full)) same++;
    found += (JSON.parse(r.quick.stdout) as { findings: unknown[] }).findings.length;
  }
  const col = (kind: keyof typeof kinds, list = per) => list.map((r) => r[kind].wall);
  const cpu = (kind: keyof typeof kinds, list = per) => list.map((r) => r[kind].cpu).filter((x): x is number => x !== undefined);
  const desc = (kind: keyof typeof kinds, list = per) => {
    const w = col(kind, list);
    const c = cpu(kind, list);
    return `wall p50 ${ms(q(w, 50))} ms, p95 ${ms(q(w, 95))} ms, max ${ms(Math.max(...w))} ms${c.length ? `; CPU p50 ${ms(q(c, 50))} ms` : ''}`;
  };
  const ratios = per.map((r) => r.check.wall / r.quick.wall);
  const fullRatios = per.map((r) => r.check.wall / r.full.wall);
  const med = (kind: keyof typeof kinds) => q(col(kind, issueRuns), 50);
  const medCpu = (kind: keyof typeof kinds) => (cpu(kind, issueRuns).length ? `, CPU ${ms(q(cpu(kind, issueRuns), 50))} ms` : '');
  const sizes = patches.map((p) => p.changed);
  const rows: ProcessRow[] = [
    {
      what: `the issue's patch size: ${issue.changed} changed lines (-/+ pairs, ${issue.changed * 2} diff lines) of drivers/md/dm-snap.c, median of ${o.issueRuns} interleaved runs each`,
      value: `\`modreview review\` ${ms(med('quick'))} ms${medCpu('quick')}; with --index-check full ${ms(med('full'))} ms${medCpu('full')}; checkpatch.pl ${ms(med('check'))} ms${medCpu('check')}`,
      target: 'faster than checkpatch.pl',
      met: med('quick') < med('check'),
    },
    {
      what: `\`modreview review\` as a new process per patch (${per.length} patches, ${Math.min(...sizes)}..${Math.max(...sizes)} changed lines, median ${q(sizes, 50)}; quick index check)`,
      value: `${desc('quick')} (${found} findings)`,
    },
    { what: '  the same with --index-check full (every file stat\'ed: what every review did before)', value: `${desc('full')}; findings identical to the quick check on ${same} of ${per.length} patches` },
    { what: '  checkpatch.pl --no-tree -q, the same patch files, interleaved', value: desc('check') },
    {
      what: '  checkpatch time / modreview time, per patch (quick check)',
      value: `median ${q(ratios, 50).toFixed(2)}×, p5 ${q(ratios, 5).toFixed(2)}×, best ${Math.max(...ratios).toFixed(2)}×; p50/p50 ${(q(col('check'), 50) / q(col('quick'), 50)).toFixed(2)}× (with --index-check full: median ${q(fullRatios, 50).toFixed(2)}×)`,
      target: '>= 1× (faster than checkpatch)',
      met: q(ratios, 50) >= 1,
    },
  ];
  return {
    rows,
    fig: { quickP50: q(col('quick'), 50), fullP50: q(col('full'), 50), checkP50: q(col('check'), 50), ratioMedian: q(ratios, 50), issue: { quick: med('quick'), full: med('full'), check: med('check') } },
  };
}
