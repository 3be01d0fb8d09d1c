// The per-process rows of `npm run bench` (issue 14): whole `modreview review` processes, one
// per patch, as a maintainer runs a checker, beside `perl scripts/checkpatch.pl --no-tree -q` on
// the same patch files in the same run. For each patch the four commands run back to back in a
// rotating order (quick index check, --index-check full, through a warm `modreview review-server`
// as a new client process, checkpatch), so load from other work on the machine falls on all four
// alike. Wall time from spawn to exit; CPU time (user + system of the child) from /usr/bin/time
// when it is there; the review server's own CPU from /proc/PID/stat.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
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
  warmP50: number;
  warmP95: number;
  checkP50: number;
  ratioMedian: number;
  warmRatioMedian: number;
  warmRatioP5: number;
  /** The server's CPU per warm review (ms), when /proc tells it. */
  serverCpuPerReview: number | undefined;
  issue: { quick: number; full: number; warm: number; check: number };
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** user + system CPU of a process so far (ms), from /proc/PID/stat (clock ticks of 10 ms). */
function procCpu(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return undefined;
  }
}

/**
 * `count` patches (the first: 16 changed lines of drivers/md/dm-snap.c, the issue's example,
 * run `issueRuns` times; then generated ones of 1..2,000 changed lines), each reviewed by
 * `node bin/modreview.js review` against `db` (a whole-tree index already built) with the quick
 * check, with --index-check full and through a warm review server (--server), and checked by
 * checkpatch.pl.
 */
export function processRows(o: { repo: string; tree: string; db: string; dir: string; count: number; seed: number; issueRuns: number }): { rows: ProcessRow[]; fig: ProcessFigures } {
  const bin = join(o.repo, 'bin', 'modreview.js');
  // The launcher runs dist/: build it from this checkout first.
  const build = spawnSync(process.execPath, [join(o.repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: o.repo, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('tsc -p tsconfig.build.json failed');
  // The warm path: one `modreview review-server` for the whole run, each review a new client process.
  const socket = join(o.dir, 'review.sock');
  const serverLog = openSync(join(o.dir, 'review-server.log'), 'w');
  const server = spawn(process.execPath, [bin, 'review-server', '--socket', socket], { cwd: o.repo, stdio: ['ignore', 'ignore', serverLog] });
  closeSync(serverLog);
  for (let waited = 0; !existsSync(socket); waited += 100) {
    if (waited > 300_000 || /^modreview: /m.test(readFileSync(join(o.dir, 'review-server.log'), 'utf8'))) throw new Error(`review-server did not start: ${readFileSync(join(o.dir, 'review-server.log'), 'utf8')}`);
    sleep(100);
  }
  try {
    return measure(o, bin, socket, server.pid!);
  } finally {
    server.kill('SIGTERM');
  }
}

function measure(o: { repo: string; tree: string; db: string; dir: string; count: number; seed: number; issueRuns: number }, bin: string, socket: string, serverPid: number): { rows: ProcessRow[]; fig: ProcessFigures } {
  const issue = makePatch(o.tree, 'drivers/md/dm-snap.c', 8, rng(o.seed))!;
  const patches: BenchPatch[] = [issue, ...makePatches(o.tree, Math.max(0, o.count - 1), o.seed)];
  const files = patches.map((p, i) => {
    const f = join(o.dir, `process-${String(i).padStart(3, '0')}.patch`);
    writeFileSync(f, p.text);
    return f;
  });
  const review = (f: string, extra: string[]) => timed(process.execPath, [bin, 'review', '--tree', o.tree, '--db', o.db, '--format', 'json', '--fail-on', 'never', ...extra, f], o.repo);
  let serverCpu = 0;
  let serverCpuKnown = true;
  const kinds = {
    quick: (f: string) => review(f, []),
    full: (f: string) => review(f, ['--index-check', 'full']),
    warm: (f: string) => {
      const before = procCpu(serverPid);
      const r = review(f, ['--server', socket]);
      const after = procCpu(serverPid);
      if (before === undefined || after === undefined) serverCpuKnown = false;
      else serverCpu += after - before;
      return r;
    },
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
  serverCpu = 0;
  const issueRuns = Array.from({ length: o.issueRuns }, (_, k) => runAll(files[0]!, k));
  const per = files.map((f, k) => runAll(f, k));
  const warmRuns = issueRuns.length + files.length;
  let same = 0;
  let sameWarm = 0;
  let found = 0;
  const findings = (r: Run) => JSON.stringify((JSON.parse(r.stdout) as { findings: unknown[] }).findings);
  for (const r of per) {
    if (r.quick.status === 0 && r.full.status === 0 && findings(r.quick) === findings(r.full)) same++;
    if (r.warm.status === r.quick.status && r.warm.stdout === r.quick.stdout) sameWarm++;
    else {
      // Say where they part (the first line that differs), to tell a real difference from a
      // change of the tree or the store between the two runs.
      const [x, y] = [r.quick.stdout.split('\n'), r.warm.stdout.split('\n')];
      const at = x.findIndex((l, i) => l !== y[i]);
      console.error(`bench: warm-server stdout differs from the review's own (exit ${r.quick.status} vs ${r.warm.status}) at line ${at + 1}:\n  own:  ${x[at]?.slice(0, 300)}\n  warm: ${y[at]?.slice(0, 300)}`);
    }
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
  const warmRatios = per.map((r) => r.check.wall / r.warm.wall);
  const serverCpuPerReview = serverCpuKnown ? serverCpu / warmRuns : undefined;
  const med = (kind: keyof typeof kinds) => q(col(kind, issueRuns), 50);
  const medCpu = (kind: keyof typeof kinds) => (cpu(kind, issueRuns).length ? `, CPU ${ms(q(cpu(kind, issueRuns), 50))} ms` : '');
  const sizes = patches.map((p) => p.changed);
  // Start-up (issue 14): the commands that load no review, as new processes, interleaved with a
  // bare `node -e 0`, 11 runs each.
  const starts = { help: [] as number[], rules: [] as number[], node: [] as number[] };
  for (let k = 0; k < 11; k++) {
    starts.node.push(timed(process.execPath, ['-e', '0'], o.repo).wall);
    starts.help.push(timed(process.execPath, [bin, '--help'], o.repo).wall);
    starts.rules.push(timed(process.execPath, [bin, 'rules'], o.repo).wall);
  }
  const rows: ProcessRow[] = [
    {
      what: 'start-up: `modreview --help` / `modreview rules` as new processes, median of 11 runs (beside `node -e 0`)',
      value: `${ms(q(starts.help, 50))} ms / ${ms(q(starts.rules, 50))} ms (node -e 0: ${ms(q(starts.node, 50))} ms)`,
      target: '< 150 ms each',
      met: q(starts.help, 50) < 150 && q(starts.rules, 50) < 150,
    },
    {
      what: `the issue's patch size: ${issue.changed} changed lines (-/+ pairs, ${issue.changed * 2} diff lines) of drivers/md/dm-snap.c, median of ${o.issueRuns} interleaved runs each`,
      value: `\`modreview review\` ${ms(med('quick'))} ms${medCpu('quick')}; with --index-check full ${ms(med('full'))} ms${medCpu('full')}; through the warm server ${ms(med('warm'))} ms${medCpu('warm')} (client); checkpatch.pl ${ms(med('check'))} ms${medCpu('check')}`,
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
      target: '>= 2×',
      met: q(ratios, 50) >= 2,
    },
    {
      what: '`modreview review` through a warm `modreview review-server` (--server SOCKET), a new client process per patch',
      value: `${desc('warm')}${serverCpuPerReview !== undefined ? `; the server's CPU ${ms(serverCpuPerReview)} ms per review (mean)` : ''}; stdout and exit code identical to the review in its own process on ${sameWarm} of ${per.length} patches`,
    },
    {
      what: '  checkpatch time / warm-server client time, per patch',
      value: `median ${q(warmRatios, 50).toFixed(2)}×, p5 ${q(warmRatios, 5).toFixed(2)}×, p95 ${q(warmRatios, 95).toFixed(2)}×; p50/p50 ${(q(col('check'), 50) / q(col('warm'), 50)).toFixed(2)}×, p95/p95 ${(q(col('check'), 95) / q(col('warm'), 95)).toFixed(2)}×`,
      target: '>= 10×',
      met: q(warmRatios, 50) >= 10,
    },
  ];
  return {
    rows,
    fig: {
      quickP50: q(col('quick'), 50),
      fullP50: q(col('full'), 50),
      warmP50: q(col('warm'), 50),
      warmP95: q(col('warm'), 95),
      checkP50: q(col('check'), 50),
      ratioMedian: q(ratios, 50),
      warmRatioMedian: q(warmRatios, 50),
      warmRatioP5: q(warmRatios, 5),
      serverCpuPerReview,
      issue: { quick: med('quick'), full: med('full'), warm: med('warm'), check: med('check') },
    },
  };
}
