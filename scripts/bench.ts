// `npm run bench`: modreview's speed on the cached Linux 6.12 tree, in one run, written to
// docs/PERFORMANCE.md (and printed as a table):
//  1. index cold (a fresh temporary SQLite file) and warm (nothing changed), files/s; one changed
//     file (in-process, and through `--path`); peak RSS of the cold build;
//  2. per-patch review latency (in-process reviewSubmission against the warm index) over >= 200
//     patches made from real 6.12 files (1 to 2,000 changed lines), with
//     `perl scripts/checkpatch.pl --no-tree -q` on the same patches, run from the tree root;
//  3. `modreview scan` of the whole tree with every rule.
//  4. `modreview review` as a new process per patch beside checkpatch.pl on the same patch files
//     (scripts/bench-process.ts), written to its own section of the doc.
// Not part of `npm test`; the tests assert behaviour only. Options: --patches N (default 220),
// --no-scan, --no-checkpatch, --no-process, --out FILE (default docs/PERFORMANCE.md), --seed N.
// `--only process [--db FILE] [--process-patches N] [--issue-runs N]`: only the per-process rows,
// against the store FILE (default: the store `modreview review` uses), refreshed first; only that
// section of the doc is rewritten.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIndex, type IndexStats } from '../src/index/build.js';
import { makePatch, makePatches, rng, type BenchPatch } from './bench-patches.js';
import { extractFacts, FACTS_VERSION, postImageFallbacks } from '../src/c/facts.js';
import type { ReviewOptions } from '../src/engine/api.js';
import type { ScanJson } from '../src/report/scan.js';
import { SqliteFactsCache } from '../src/store/facts-cache.js';
import { DEFAULT_SKIP_DIRS } from '../src/index/filter.js';
import { TreeIndex } from '../src/index/query.js';
import { defaultStorePath, openStore } from '../src/store/db.js';
import { processRows, type ProcessFigures, type ProcessRow } from './bench-process.js';

const argv = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : def;
};
const flag = (name: string) => argv.includes(`--${name}`);
const PATCHES = Number(opt('patches', '220'));
const SEED = Number(opt('seed', '20241117'));
/** --scan-paths a,b (development only): scan these tree paths instead of the whole tree. */
const SCAN_PATHS = opt('scan-paths', '').split(',').filter(Boolean);
const repo = fileURLToPath(new URL('..', import.meta.url));
const OUT = opt('out', join(repo, 'docs', 'PERFORMANCE.md'));

function kernelTree(): string {
  const out = spawnSync(process.execPath, [join(repo, 'scripts', 'fetch-kernel.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = out.stdout.trim().split('\n');
  return lines[lines.length - 1]!;
}

const rss = () => process.resourceUsage().maxRSS / 1024;
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};
const ms = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
const gc = (globalThis as { gc?: () => void }).gc;

/** Figures the analysis paragraph of the doc quotes. */
const fig: Record<string, number> = {};

// ---------------------------------------------------------------------------------------- run

interface Row {
  what: string;
  value: string;
  target?: string;
  met?: boolean;
}

/** What the numbers say about the targets (written from this run's figures). */
function analysis(): string {
  const out: string[] = [];
  if (fig.coldWall !== undefined) {
    out.push(
      `- Cold index: ${fig.coldWall.toFixed(1)} s wall for ${fig.coldCpu!.toFixed(1)} s of CPU over all threads. The work splits over two workers and the writing thread, so on two otherwise idle cores the wall time is about half the CPU time; with other sessions on the cores it is closer to the CPU time.`,
    );
  }
  if (fig.reviewP95 !== undefined) {
    out.push(
      `- Review, first patch to a file: p50 ${ms(fig.reviewP50!)} ms, p95 ${ms(fig.reviewP95!)} ms. Nothing of the file is known yet: its pre-image is parsed and walked whole (src/c/facts.ts, ${fig.msPerKb!.toFixed(2)} ms per KB here; p50 ${ms(fig.extractP50!)} ms, p95 ${ms(fig.extractP95!)} ms), and that alone is the p95 target or more for the large files the tail is made of. The post-image costs much less: postImageFacts keeps the facts of every function the patch did not touch and parses the rest with them blanked.`,
      `- Review, second patch to the same file: p50 ${ms(fig.secondP50!)} ms, p95 ${ms(fig.secondP95!)} ms. The pre-image's facts come from the facts cache (by blob id) and its rule runs from the first review (same file, same blob, same index generation: src/engine/review.ts preImageRuns), so the review pays for the post-image: its facts (the functions the patch touches, the file-scope declarations, the whole file when the shortcut declines) and the rules on it. What is left in the tail is patches that rewrite large functions (a 3-line edit inside a 600 KB function re-extracts all of it) and data files whose file-scope tables are parsed again; without module-init-eexist the second round is p50 ${ms(fig.noEexistP50!)} / p95 ${ms(fig.noEexistP95!)} ms.`,
      ...(fig.afterScanP95 !== undefined
        ? [`- After \`modreview scan\` (which keeps the facts of every file it scans in the same cache), first patches to other files: p50 ${ms(fig.afterScanP50!)} ms, p95 ${ms(fig.afterScanP95)} ms; files the scan skips (no module code) are still extracted on first sight.`]
        : []),
      '- What would close the rest of the gap: a faster facts walk (about three quarters of a whole-file extraction is the walk over tree-sitter nodes, most of it calls into the node binding; the parse is a fifth), facts per statement rather than per function (re-walk only the statements a hunk touches), reuse of unchanged file-scope declarations as functions are reused now, and rules that reuse their per-function analyses across the two images. Filling the facts cache for the whole tree ahead of the first review is no shortcut: the whole-tree scan keeps 258 MB of compressed facts for the 18,819 files it reads, after minutes of CPU.',
    );
  }
  if (fig.scanSecs !== undefined) {
    out.push(
      `- Scan: ${fig.scanSecs.toFixed(0)} s for the whole tree with every rule (each candidate file parsed whole, its facts kept in the facts cache); ${fig.rescanSecs!.toFixed(0)} s again with nothing changed (facts from the cache: what is left is the rules and their index queries).`,
    );
  }
  if (fig.ratioMedian !== undefined) {
    out.push(`- Against checkpatch.pl (p50 ${ms(fig.checkP50!)} ms per patch, one perl process per patch as a maintainer runs it): per patch, checkpatch takes ${fig.ratioMedian.toFixed(1)}× as long as modreview at the median for first patches, ${fig.ratioSecond!.toFixed(1)}× for second patches.`);
  }
  return out.join('\n');
}

const PROCESS_BEGIN = '<!-- bench:process -->';
const PROCESS_END = '<!-- /bench:process -->';

/** The per-process section of the doc (between its markers). */
function processSection(rows: ProcessRow[], fig: ProcessFigures, meta: { started: Date; load0: number[]; load1: number[]; command: string; count: number; issueRuns: number; node: string }): string {
  const table = ['| measure | result | target |', '|---|---|---|', ...rows.map((r) => `| ${r.what} | ${r.value} | ${r.target ? `${r.target} ${r.met ? '(met)' : '(**not met**)'}` : ''} |`)].join('\n');
  return `${PROCESS_BEGIN}
## Review as a new process per patch (issue 14)

Measured by \`${meta.command}\`, ${meta.started.toISOString().slice(0, 16).replace('T', ' ')} UTC, Node ${meta.node}, load average (1/5/15 min) ${meta.load0.map((x) => x.toFixed(2)).join(' / ')} at the start, ${meta.load1.map((x) => x.toFixed(2)).join(' / ')} at the end (other sessions share the 2 cores: wall times include waiting for a core; the CPU figures are the work itself).

${table}

How the figures are taken (scripts/bench-process.ts): \`npx tsc -p tsconfig.build.json\`, then per patch file, back to back in a rotating order, \`node bin/modreview.js review --tree TREE --db DB --format json --fail-on never FILE\` (the quick index check, src/index/fresh.ts), the same with \`--index-check full\` (every file stat'ed, as every review did before), the same with \`--server SOCKET\` (a new client process handing the review to one \`node bin/modreview.js review-server --socket SOCKET\` started before the runs and kept for all of them: the warm path; its stdout is compared byte for byte with the first command's), and \`perl scripts/checkpatch.pl --no-tree -q FILE\` from the tree root. DB holds a whole-tree index of the tree, refreshed once before the runs; one warm-up round is not counted. Wall: spawn to exit; CPU: user + system of the child (\`/usr/bin/time\`). Patches: the first is ${'`'}makePatch(tree, 'drivers/md/dm-snap.c', 8)${'`'} (16 changed lines, the size of the issue's example), run ${meta.issueRuns} times; then ${meta.count - 1} generated as for the in-process rows (1..2,000 changed lines, seed ${SEED}).

Reading: through the warm server a review costs ${ms(fig.warmP50)} ms wall at the median (p95 ${ms(fig.warmP95)} ms) for the client process${fig.serverCpuPerReview !== undefined ? ` plus ${ms(fig.serverCpuPerReview)} ms of the server's CPU per review` : ''}; checkpatch.pl takes ${fig.warmRatioMedian.toFixed(1)}× as long at the median of the per-patch ratios (p5 ${fig.warmRatioP5.toFixed(1)}×), ${fig.warmRatioMedian >= 10 ? 'the 10× target met' : 'short of the 10× target'}. The client is a Node process that loads no commander, tree-sitter, SQLite or engine (src/review-server/client.ts): most of its time is Node's own start (\`node -e 0\`). The quick check saves ${ms(fig.fullP50 - fig.quickP50)} ms at the median against the whole-tree stat walk; a review process still costs ${(fig.quickP50 / fig.checkP50).toFixed(1)}× a checkpatch.pl process at the median (${ms(fig.quickP50)} against ${ms(fig.checkP50)} ms). What is left is Node's start and module loading (tree-sitter, better-sqlite3, the engine and the rules: ~145 modules of modreview's own), parsing the touched file, and the rules running on cold (not yet optimised) code: see "What a review process spends" below.
${PROCESS_END}`;
}

/** `doc` with its per-process section replaced (or added before the start-up section, or at the end). */
function spliceProcess(doc: string, section: string): string {
  const a = doc.indexOf(PROCESS_BEGIN);
  const b = doc.indexOf(PROCESS_END);
  if (a >= 0 && b > a) return doc.slice(0, a) + section + doc.slice(b + PROCESS_END.length);
  const at = doc.indexOf('## Start-up (issue 14)');
  return at >= 0 ? `${doc.slice(0, at)}${section}\n\n${doc.slice(at)}` : `${doc.trimEnd()}\n\n${section}\n`;
}

async function onlyProcess(tree: string): Promise<void> {
  const started = new Date();
  const load0 = loadavg();
  const dbPath = opt('db', defaultStorePath());
  const db = openStore(dbPath);
  const warm = await buildIndex(tree, { db });
  db.close();
  console.error(`bench: index ${dbPath} refreshed (${warm.seen} files, ${warm.lexed} read) in ${warm.seconds.toFixed(1)} s`);
  const tmp = mkdtempSync(join(tmpdir(), 'modreview-bench-'));
  const count = Number(opt('process-patches', '25'));
  const issueRuns = Number(opt('issue-runs', '7'));
  try {
    const { rows, fig } = processRows({ repo, tree, db: dbPath, dir: tmp, count, seed: SEED, issueRuns });
    console.log(rows.map((r) => `| ${r.what} | ${r.value} |`).join('\n'));
    const doc = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '# Performance\n';
    const command = `npm run bench -- --only process --process-patches ${count} --issue-runs ${issueRuns}`;
    writeFileSync(OUT, spliceProcess(doc, processSection(rows, fig, { started, load0, load1: loadavg(), command, count, issueRuns, node: process.version })));
    console.error(`bench: wrote the per-process section of ${OUT}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const tree = kernelTree();
  if (opt('only', '') === 'process') return onlyProcess(tree);
  const tmp = mkdtempSync(join(tmpdir(), 'modreview-bench-'));
  const rows: Row[] = [];
  let processDoc: string | undefined;
  const started = new Date();
  const load0 = loadavg();
  const facts = {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memGiB: (totalmem() / 2 ** 30).toFixed(1),
    freeGiB: (freemem() / 2 ** 30).toFixed(1),
    node: process.version,
  };
  console.error(`bench: tree ${tree}, temp ${tmp}, ${facts.nproc} cpus, load ${load0.map((x) => x.toFixed(2)).join(' ')}`);
  try {
    // 1. The index.
    const reuse = opt('reuse-db', '');
    const dbPath = reuse || join(tmp, 'index.sqlite');
    const db = openStore(dbPath);
    const rss0 = rss();
    // --reuse-db FILE (development only): an existing index; the "cold" row is then a warm one.
    const cold: IndexStats = await buildIndex(tree, { db });
    const coldRss = rss();
    fig.coldWall = cold.seconds;
    fig.coldCpu = Object.values(cold.cpu).reduce((a, b) => a + b, 0);
    rows.push({ what: 'index cold: wall', value: `${cold.seconds.toFixed(1)} s (${cold.seen} files, ${(cold.seen / cold.seconds).toFixed(0)} files/s)`, target: '< 60 s', met: cold.seconds < 60 });
    rows.push({
      what: 'index cold: CPU (all threads)',
      value: `${Object.values(cold.cpu).reduce((a, b) => a + b, 0).toFixed(1)} s (walk ${cold.cpu.walk.toFixed(1)}, lex ${cold.cpu.lex.toFixed(1)}, select ${cold.cpu.select.toFixed(1)}, parse ${cold.cpu.parse.toFixed(1)})`,
    });
    rows.push({
      what: 'index cold: work',
      value: `${cold.lexed} files read lexically, ${cold.parsed} parsed (${cold.partial} in part, ${(cold.parsedBytes / 1e6).toFixed(1)} MB to tree-sitter), ${cold.filtered} never parsed`,
    });
    rows.push({ what: 'index cold: peak RSS (process, workers included)', value: `${coldRss.toFixed(0)} MB (before: ${rss0.toFixed(0)} MB)`, target: '< 1.5 GB', met: coldRss < 1536 });
    const warm = await buildIndex(tree, { db });
    rows.push({ what: 'index warm (nothing changed)', value: `${warm.seconds.toFixed(2)} s (${(warm.seen / warm.seconds).toFixed(0)} files/s, walk+stat ${warm.phases.walk.toFixed(2)} s)`, target: '< 5 s', met: warm.seconds < 5 });
    // One changed file: the index cannot tell a cleared blob id from new content, so clearing it
    // makes the build read, lex, select and parse the file again, as after an edit.
    const changedFile = 'drivers/target/target_core_hba.c';
    const forget = () => db.prepare('UPDATE idx_files SET hash = NULL, mtime = 0 WHERE path = ?').run(changedFile);
    const one: number[] = [];
    for (let i = 0; i < 5; i++) {
      forget();
      one.push((await buildIndex(tree, { db, paths: [changedFile] })).seconds * 1000);
    }
    rows.push({ what: `index, one changed file (--path ${changedFile}, in-process)`, value: `median ${ms(q(one, 50))} ms, max ${ms(Math.max(...one))} ms`, target: '< 100 ms', met: q(one, 50) < 100 });
    forget();
    const oneTree = await buildIndex(tree, { db });
    rows.push({ what: 'index, one changed file, whole-tree refresh', value: `${(oneTree.seconds * 1000).toFixed(0)} ms (walk+stat ${(oneTree.phases.walk * 1000).toFixed(0)} ms)` });
    const t0 = performance.now();
    const cli = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', "const { main } = await import('./src/cli.ts'); process.exitCode = await main(['node', 'modreview', ...process.argv.slice(1)]);", 'index', '--tree', tree, '--db', dbPath],
      { encoding: 'utf8', cwd: repo },
    );
    const cliMs = performance.now() - t0;
    if (cli.status === 0) rows.push({ what: '`modreview index` warm, as a new process (tsx)', value: `${(cliMs / 1000).toFixed(2)} s in all: ${cli.stdout.trim().replace(/^indexed [^:]+: /, '')}` });

    // 2. Per-patch review.
    const [{ readSubmission }, { reviewSubmission }, { treeImages }] = await Promise.all([
      import('../src/ingest/series.js'),
      import('../src/engine/review.js'),
      import('../src/lore/tree.js'),
    ]);
    const index = await TreeIndex.open(db, tree);
    const images = treeImages(tree);
    {
      const names = (db.prepare('SELECT f.path, x.name FROM idx_functions x JOIN idx_files f ON f.id = x.file ORDER BY x.rowid LIMIT 200000').all() as { path: string; name: string }[]).filter((_, i) => i % 1000 === 0);
      const t = performance.now();
      for (const n of names) {
        index.functionsNamed(n.name);
        index.callersOf(n.name);
        index.pathToModuleInit(n.name, n.path, 'EEXIST');
      }
      fig.queryUs = ((performance.now() - t) * 1000) / names.length;
      rows.push({ what: `index queries (${names.length} functions: functionsNamed + callersOf + pathToModuleInit)`, value: `${fig.queryUs.toFixed(0)} µs per function` });
    }
    const patches = makePatches(tree, PATCHES, SEED);
    // The same files again, other lines: a v2 of each patch, or the next patch to a busy file.
    const again = (() => {
      const r = rng(SEED + 1);
      return patches.map((p) => makePatch(tree, p.file, p.changed, r) ?? p);
    })();
    const pdir = join(tmp, 'patches');
    spawnSync('mkdir', ['-p', pdir]);
    patches.forEach((p, i) => writeFileSync(join(pdir, `${String(i).padStart(4, '0')}.patch`), p.text));
    // The facts cache a deployment keeps in its store (src/store/facts-cache.ts), empty at first.
    const facts = new SqliteFactsCache(openStore(join(tmp, 'facts.sqlite')), String(FACTS_VERSION));
    const opts = { images, index, facts };
    // Warm-up on other files: module loading and JIT are not what a reviewer waits for on a
    // running bot (and the measured files must not be in the cache yet).
    for (const p of makePatches(tree, 5, SEED + 2)) await reviewSubmission(await readSubmission(Buffer.from(p.text)), opts);
    const timeReviews = async (list: BenchPatch[], extra: Partial<ReviewOptions> = {}) => {
      const times: number[] = [];
      let found = 0;
      for (const p of list) {
        gc?.();
        const t = performance.now();
        const res = await reviewSubmission(await readSubmission(Buffer.from(p.text)), { ...opts, ...extra });
        times.push(performance.now() - t);
        found += res.findings.length;
      }
      return { times, found };
    };
    postImageFallbacks.clear();
    const first = await timeReviews(patches);
    const ours = first.times;
    const declined = [...postImageFallbacks].map(([why, n]) => `${n} ${why}`).join(', ') || 'none';
    const second = await timeReviews(again);
    // Where the time goes: a whole-file extraction of the pre-image (what a cache hit saves), and
    // the second round without module-init-eexist (its chain searches ask the index most).
    const extract: number[] = [];
    for (const p of patches) {
      const pre = readFileSync(join(tree, p.file), 'utf8');
      const t = performance.now();
      extractFacts(p.file, pre);
      extract.push(performance.now() - t);
    }
    const noEexist = (await timeReviews(again, { ignore: ['module-init-eexist'] })).times;
    fig.msPerKb = extract.reduce((a, b) => a + b, 0) / patches.reduce((a, p) => a + Buffer.byteLength(readFileSync(join(tree, p.file))) / 1024, 0);
    fig.reviewP50 = q(ours, 50);
    fig.reviewP95 = q(ours, 95);
    fig.secondP50 = q(second.times, 50);
    fig.secondP95 = q(second.times, 95);
    fig.extractP50 = q(extract, 50);
    fig.extractP95 = q(extract, 95);
    fig.noEexistP50 = q(noEexist, 50);
    fig.noEexistP95 = q(noEexist, 95);
    const fileKb = patches.map((p) => Buffer.byteLength(readFileSync(join(tree, p.file))) / 1024);
    const sizes = patches.map((p) => p.changed);
    rows.push({
      what: `review per patch, first patch to its file (${patches.length} patches, ${Math.min(...sizes)}..${Math.max(...sizes)} changed lines, median ${q(sizes, 50)}; files p50 ${q(fileKb, 50).toFixed(0)} KB, p95 ${q(fileKb, 95).toFixed(0)} KB)`,
      value: `p50 ${ms(q(ours, 50))} ms, p95 ${ms(q(ours, 95))} ms, max ${ms(Math.max(...ours))} ms (${first.found} findings)`,
      target: 'p95 < 50 ms',
      met: q(ours, 95) < 50,
    });
    rows.push({ what: '  post-image shortcut (postImageFacts) declined', value: `${declined} (of ${patches.length})` });
    rows.push({
      what: 'review per patch, second patch to the same file (pre-image facts from the cache)',
      value: `p50 ${ms(q(second.times, 50))} ms, p95 ${ms(q(second.times, 95))} ms, max ${ms(Math.max(...second.times))} ms (${second.found} findings)`,
      target: 'p95 < 50 ms',
      met: q(second.times, 95) < 50,
    });
    rows.push({ what: '  of which the cache saves: whole-file extraction of the pre-image', value: `p50 ${ms(q(extract, 50))} ms, p95 ${ms(q(extract, 95))} ms (${fig.msPerKb.toFixed(2)} ms per KB)` });
    rows.push({ what: '  second patch, without module-init-eexist', value: `p50 ${ms(q(noEexist, 50))} ms, p95 ${ms(q(noEexist, 95))} ms` });
    if (!flag('no-checkpatch')) {
      const theirs: number[] = [];
      for (let i = 0; i < patches.length; i++) {
        const f = join(pdir, `${String(i).padStart(4, '0')}.patch`);
        const t = performance.now();
        spawnSync('perl', ['scripts/checkpatch.pl', '--no-tree', '-q', f], { cwd: tree, stdio: 'ignore' });
        theirs.push(performance.now() - t);
      }
      const ratios = ours.map((o, i) => theirs[i]! / o);
      fig.checkP50 = q(theirs, 50);
      fig.ratioMedian = q(ratios, 50);
      fig.ratioSecond = q(
        second.times.map((o, i) => theirs[i]! / o),
        50,
      );
      rows.push({ what: 'checkpatch.pl --no-tree -q per patch (the first patches)', value: `p50 ${ms(q(theirs, 50))} ms, p95 ${ms(q(theirs, 95))} ms, max ${ms(Math.max(...theirs))} ms` });
      rows.push({
        what: 'checkpatch time / modreview time, per patch (first patches)',
        value: `median ${q(ratios, 50).toFixed(1)}×, p5 ${q(ratios, 5).toFixed(1)}×, worst ${Math.min(...ratios).toFixed(1)}×; p50/p50 ${(q(theirs, 50) / q(ours, 50)).toFixed(1)}×, p95/p95 ${(q(theirs, 95) / q(ours, 95)).toFixed(1)}×`,
        target: '>= 10×',
        met: q(ratios, 50) >= 10,
      });
      rows.push({ what: '  against the second patches (same sizes, same files)', value: `median ${fig.ratioSecond.toFixed(1)}×` });
    }
    rows.push({ what: 'peak RSS so far (process)', value: `${rss().toFixed(0)} MB` });

    // 4. Whole review processes beside checkpatch.pl (its own section of the doc).
    if (!flag('no-process') && !flag('no-checkpatch')) {
      const count = Number(opt('process-patches', '25'));
      const issueRuns = Number(opt('issue-runs', '7'));
      const t = new Date();
      const l0 = loadavg();
      const r = processRows({ repo, tree, db: dbPath, dir: tmp, count, seed: SEED, issueRuns });
      processDoc = processSection(r.rows, r.fig, { started: t, load0: l0, load1: loadavg(), command: 'npm run bench', count, issueRuns, node: process.version });
    }

    // 3. Scan of the whole tree, every rule.
    if (!flag('no-scan')) {
      const { runScan } = await import('../src/commands/scan.js');
      let report = '';
      const t = performance.now();
      await runScan(SCAN_PATHS, { tree, db: dbPath, format: 'json', failOn: 'never', index: true }, (s) => (report += s), () => {});
      const secs = (performance.now() - t) / 1000;
      fig.scanSecs = secs;
      const j = JSON.parse(report) as ScanJson;
      const counts = new Map<string, number>();
      for (const f of j.findings) counts.set(f.rule, (counts.get(f.rule) ?? 0) + 1);
      const per = [...counts].map(([rule, n]) => `${rule} ${n}`).join(', ');
      rows.push({ what: 'scan, whole tree, all rules', value: `${secs.toFixed(1)} s: ${j.summary.scanned} files scanned, ${j.summary.skipped} skipped; ${j.summary.findings} findings (${per})` });
      // The -EEXIST sites the seed series went after, as the issue names them.
      const eexist = j.findings.filter((f) => f.rule === 'module-init-eexist');
      for (const [file, fn] of [
        ['drivers/target/target_core_hba.c', 'transport_backend_register'],
        ['drivers/scsi/fcoe/fcoe_transport.c', 'fcoe_transport_attach'],
        ['security/keys/key.c', 'register_key_type'],
      ] as const) {
        const f = eexist.find((x) => x.file === file && x.function === fn);
        rows.push({ what: `  scan: ${fn}() in ${file}`, value: f ? `${f.severity}, ${f.evidence.length} evidence chain(s), e.g. ${f.evidence[0]}` : 'not reported' });
      }
      // Again, nothing changed: every scanned file's facts are in the facts cache now.
      let report2 = '';
      const t2 = performance.now();
      await runScan(SCAN_PATHS, { tree, db: dbPath, format: 'json', failOn: 'never', index: true }, (s) => (report2 += s), () => {});
      const secs2 = (performance.now() - t2) / 1000;
      fig.rescanSecs = secs2;
      const same = JSON.stringify((JSON.parse(report2) as ScanJson).findings) === JSON.stringify(j.findings);
      rows.push({ what: 'scan again, nothing changed (facts from the cache)', value: `${secs2.toFixed(1)} s (${same ? 'same findings' : '**findings differ**'})` });
      // Reviews of patches to files not seen by any review yet, with the cache the scan filled.
      const third = makePatches(tree, PATCHES, SEED + 3);
      const scanned = new SqliteFactsCache(openStore(dbPath), String(FACTS_VERSION));
      const after = await timeReviews(third, { facts: scanned });
      rows.push({
        what: 'review per patch, first patch to a file, after the scan filled the facts cache (other files, same sizes)',
        value: `p50 ${ms(q(after.times, 50))} ms, p95 ${ms(q(after.times, 95))} ms, max ${ms(Math.max(...after.times))} ms (${after.found} findings)`,
        target: 'p95 < 50 ms',
        met: q(after.times, 95) < 50,
      });
      fig.afterScanP50 = q(after.times, 50);
      fig.afterScanP95 = q(after.times, 95);
      rows.push({ what: 'peak RSS at the end (process)', value: `${rss().toFixed(0)} MB` });
    }
    db.close();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const load1 = loadavg();
  const table = [
    '| measure | result | target |',
    '|---|---|---|',
    ...rows.map((r) => `| ${r.what} | ${r.value} | ${r.target ? `${r.target} ${r.met ? '(met)' : '(**not met**)'}` : ''} |`),
  ].join('\n');
  console.log(table);
  const doc = `# Performance

Measured by \`npm run bench\` (\`node --expose-gc --import tsx scripts/bench.ts\`), ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, on the cached Linux 6.12 tree (\`${relative(repo, tree).startsWith('..') ? tree : relative(repo, tree)}\`). The benchmark builds its index in a fresh temporary SQLite file, reviews ${PATCHES} generated patches in-process against it, runs \`perl scripts/checkpatch.pl --no-tree -q\` on the same patch files from the tree root, then scans the whole tree with every rule. What the index parses and what it skips: [INDEX.md](INDEX.md).

Machine: ${facts.nproc} × ${facts.cpu}, ${facts.memGiB} GiB RAM (${facts.freeGiB} GiB free at the start), Node ${facts.node}. Load average (1/5/15 min) ${load0.map((x) => x.toFixed(2)).join(' / ')} at the start, ${load1.map((x) => x.toFixed(2)).join(' / ')} at the end (the benchmark's own worker threads load both cores in the index build and the scans; the reviews run on one). On this shared virtual machine the review latencies of the same code moved by up to ±20% from run to run during development; the CPU line of the cold build is the work itself.

${table}

How the figures are taken:
- *cold*: \`buildIndex\` of the whole tree (${DEFAULT_SKIP_DIRS.join(', ')} left out) into an empty store, one worker thread per core; *warm*: the same call again (a stat walk, nothing read); *one changed file*: the file's stored blob id is cleared, so the build reads, lexes, re-selects and parses it as after an edit (\`--path\` restricts the walk to it; the process is already warm).
- *review*: \`readSubmission\` + \`reviewSubmission\` per patch (the engine's differential review, pre- and post-image of the touched file, every rule, cross-file questions against the warm index); 5 warm-up reviews of other files first; patch sizes are log-uniform over 1..2,000 changed lines (each a \`-\`/\`+\` pair, the file left valid C), files drawn at random from the tree (seed ${SEED}). *Second patch*: the same files and sizes, other lines, reviewed after the first ones (the pre-image facts are in the facts cache). *After the scan*: ${PATCHES} patches to other files (seed ${SEED + 3}), with the facts cache the scan filled.
- *checkpatch*: one \`perl\` process per patch, as a maintainer runs it; *ratio*: checkpatch time over modreview time for each patch.
- *RSS*: \`process.resourceUsage().maxRSS\`, the peak of the whole process (worker threads included).

## Reading the figures

${analysis()}
`;
  // Hand-written sections after the generated part (everything after the per-process section,
  // or from "## Start-up (issue 14)" on) are kept; the per-process section is this run's when it
  // ran, else the previous one.
  const old = existsSync(OUT) ? readFileSync(OUT, 'utf8') : '';
  const a = old.indexOf(PROCESS_BEGIN);
  const b = old.indexOf(PROCESS_END);
  const keptProcess = a >= 0 && b > a ? old.slice(a, b + PROCESS_END.length) : undefined;
  const afterProcess = keptProcess ? old.slice(b + PROCESS_END.length).search(/\S/) : -1;
  const tailAt = afterProcess >= 0 ? b + PROCESS_END.length + afterProcess : old.indexOf('## Start-up (issue 14)');
  const section = processDoc ?? keptProcess;
  let full = doc;
  if (section) full = `${full.trimEnd()}\n\n${section}\n`;
  if (tailAt >= 0) full = `${full.trimEnd()}\n\n${old.slice(tailAt)}`;
  writeFileSync(OUT, full);
  console.error(`bench: wrote ${OUT}`);
}

await main();
