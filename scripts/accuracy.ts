// `npm run accuracy`: every rule's corpus (rules/<id>/accuracy.ts) turned into real patches against
// the Linux 6.12 tree and reviewed like any other submission, with only that case's rule enabled.
// Prints recall (flag cases flagged) and false-positive rate (clean cases flagged) per rule and
// overall; exits 1 under 90% recall or over 5% false positives, per rule or overall. Writes
// nothing but the index cache under the cache dir.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createTwoFilesPatch } from 'diff';
import { gitBlobId } from '../src/c/lex.js';
import { applyEdits, type AccuracyCase } from '../src/engine/accuracy.js';
import type { Finding, IndexQuery } from '../src/engine/types.js';
import { CORPUS_DIR, loadRealCorpus, splitOf } from '../src/engine/real-corpus.js';
import { fixOutcomes, fixTable, outcomeRows, realScore, realTable, runRealCase, type RealOutcome } from './real-corpus.js';

export const MIN_RECALL = 0.9;
export const MAX_FP_RATE = 0.05;

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * A git-style unified diff of one file (`diff --git`, an `index` line with the real blob ids,
 * three lines of context), as `git diff` would print it for the edit.
 */
export function gitDiff(path: string, before: string, after: string): string {
  const body = createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, { context: 3 });
  // The diff package opens with a "====" rule and its own ---/+++ lines: keep only the hunks.
  const hunks = body.slice(body.indexOf('\n@@') + 1);
  const blob = (t: string) => gitBlobId(t).slice(0, 12);
  return `diff --git a/${path} b/${path}\nindex ${blob(before)}..${blob(after)} 100644\n--- a/${path}\n+++ b/${path}\n${hunks}`;
}

/** The case as a patch against `tree`: the real file, the edits applied, a real diff. */
export function casePatch(tree: string, c: AccuracyCase): string {
  const before = readFileSync(join(tree, c.file), 'utf8');
  return gitDiff(c.file, before, applyEdits(before, c.edits));
}

export interface RuleCases {
  rule: string;
  cases: AccuracyCase[];
}

/** Every rules/<id>/accuracy.ts that exists, with its `cases`. */
export async function loadCorpus(rulesDir = join(ROOT, 'rules')): Promise<RuleCases[]> {
  const out: RuleCases[] = [];
  for (const id of readdirSync(rulesDir).sort()) {
    const file = join(rulesDir, id, 'accuracy.ts');
    if (!existsSync(file)) continue;
    const mod = (await import(pathToFileURL(file).href)) as { cases?: AccuracyCase[] };
    if (!Array.isArray(mod.cases)) throw new Error(`rules/${id}/accuracy.ts exports no \`cases\` array`);
    out.push({ rule: id, cases: mod.cases });
  }
  return out;
}

/** Index scope of a corpus: each case's indexPaths, else its file's directory. */
export function indexScope(corpus: readonly RuleCases[]): string[] {
  const paths = new Set<string>();
  for (const { cases } of corpus) for (const c of cases) for (const p of c.indexPaths ?? [posix.dirname(c.file)]) paths.add(p.replace(/(?<!\/)\/+$/, ''));
  // A directory already covered by a shorter one adds nothing to the walk.
  const sorted = [...paths].sort((a, b) => a.length - b.length);
  return sorted.filter((p, i) => !sorted.slice(0, i).some((q) => p.startsWith(`${q}/`)));
}

export interface CaseOutcome {
  rule: string;
  case: AccuracyCase;
  flagged: boolean;
  findings: Finding[];
  /** Set when the case could not be run (edit no longer applies, file missing). */
  error?: string;
  notes: string[];
}

/** Review one case's patch with only its rule on; a finding counts when it is on or caused by the change. */
export async function runCase(tree: string, rule: string, c: AccuracyCase, index: IndexQuery | undefined): Promise<CaseOutcome> {
  const [{ readSubmission }, { reviewSubmission, inFilter }, { treeImages }] = await Promise.all([
    import('../src/ingest/series.js'),
    import('../src/engine/review.js'),
    import('../src/lore/tree.js'),
  ]);
  let patch: string;
  try {
    patch = casePatch(tree, c);
  } catch (e) {
    return { rule, case: c, flagged: false, findings: [], error: e instanceof Error ? e.message : String(e), notes: [] };
  }
  const sub = await readSubmission(patch);
  const result = await reviewSubmission(sub, { images: treeImages(tree), ...(index ? { index } : {}), rules: [rule], filter: 'added' });
  const findings = result.findings.filter((f) => f.rule === rule && inFilter(f, 'added'));
  return { rule, case: c, flagged: findings.length > 0, findings, notes: result.notes };
}

export interface Score {
  rule: string;
  flagCases: number;
  caught: number;
  cleanCases: number;
  falsePositives: number;
  errors: number;
}

export function score(rule: string, outcomes: readonly CaseOutcome[]): Score {
  const mine = outcomes.filter((o) => o.rule === rule || rule === 'overall');
  const flag = mine.filter((o) => o.case.expect === 'flag');
  const clean = mine.filter((o) => o.case.expect === 'clean');
  return {
    rule,
    flagCases: flag.length,
    caught: flag.filter((o) => o.flagged).length,
    cleanCases: clean.length,
    falsePositives: clean.filter((o) => o.flagged).length,
    errors: mine.filter((o) => o.error).length,
  };
}

export const recall = (s: Score): number => (s.flagCases ? s.caught / s.flagCases : 1);
export const fpRate = (s: Score): number => (s.cleanCases ? s.falsePositives / s.cleanCases : 0);
/** A rule passes with enough recall, few enough false positives and every case runnable. */
export const passes = (s: Score): boolean => recall(s) >= MIN_RECALL && fpRate(s) <= MAX_FP_RATE && s.errors === 0;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function scoreTable(scores: readonly Score[]): string {
  const rows = scores.map((s) => [s.rule, `${s.caught}/${s.flagCases}`, pct(recall(s)), `${s.falsePositives}/${s.cleanCases}`, pct(fpRate(s)), String(s.errors), passes(s) ? 'ok' : 'FAIL']);
  const head = ['rule', 'caught', 'recall', 'false pos.', 'FP rate', 'errors', ''];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

interface Args {
  only?: 'real' | 'mutations';
  showTest: boolean;
  /** Score the dev split only (while working on a rule: the test split stays unseen). */
  devOnly: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { showTest: false, devOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--show-test') a.showTest = true;
    else if (v === '--dev') a.devOnly = true;
    else if (v === '--only' && (argv[i + 1] === 'real' || argv[i + 1] === 'mutations')) a.only = argv[++i] as Args['only'];
    else throw new Error(`unknown argument ${v} (--only real|mutations, --dev, --show-test)`);
  }
  return a;
}

async function mutationCorpus(tree: string): Promise<boolean> {
  const [{ buildIndex }, { TreeIndex }, { cacheDir, openStore }] = await Promise.all([
    import('../src/index/build.js'),
    import('../src/index/query.js'),
    import('../src/store/db.js'),
  ]);
  const corpus = await loadCorpus();
  if (!corpus.length) throw new Error('no rules/*/accuracy.ts found');
  const scope = indexScope(corpus);
  const db = openStore(join(cacheDir(), 'accuracy.sqlite'));
  try {
    const t0 = performance.now();
    const stats = await buildIndex(tree, { db, paths: scope });
    process.stdout.write(`## Mutation corpus (rules/*/accuracy.ts)\nindex: ${scope.length} paths, ${stats.seen} files (${stats.parsed} parsed now) in ${stats.seconds.toFixed(1)} s\n`);
    const index = await TreeIndex.open(db, tree);
    const outcomes: CaseOutcome[] = [];
    for (const { rule, cases } of corpus) {
      for (const c of cases) {
        const o = await runCase(tree, rule, c, index);
        outcomes.push(o);
        const wrong = o.error || (o.case.expect === 'flag') !== o.flagged;
        if (wrong) {
          const what = o.error ? `error: ${o.error}` : o.case.expect === 'flag' ? 'missed' : `false positive: ${o.findings[0]?.message ?? ''}`;
          process.stdout.write(`  ${rule}: ${c.name} (${c.file}): ${what}\n`);
        }
      }
    }
    const scores = [...corpus.map(({ rule }) => score(rule, outcomes)), score('overall', outcomes)];
    process.stdout.write(`${scoreTable(scores)}\n`);
    process.stdout.write(`thresholds: recall >= ${pct(MIN_RECALL)}, FP rate <= ${pct(MAX_FP_RATE)}; ${outcomes.length} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s\n\n`);
    return scores.every(passes);
  } finally {
    db.close();
  }
}

/** Recall and FP thresholds on the real test split: overall and for every family with >= 6 fixes. */
export function realPasses(outs: readonly RealOutcome[]): boolean {
  const overall = realScore('overall', outs);
  if (overall.errors) return false;
  if (overall.fixes && overall.caught / overall.fixes < MIN_RECALL) return false;
  if (overall.ordinary && overall.falsePositives / overall.ordinary > MAX_FP_RATE) return false;
  const families = new Set(outs.filter((o) => o.case.kind === 'fix').map((o) => o.case.rules?.[0]));
  for (const f of families) {
    const s = realScore(String(f), outs.filter((o) => o.case.kind === 'fix' && o.case.rules?.[0] === f));
    if (s.fixes >= 6 && s.caught / s.fixes < MIN_RECALL) return false;
  }
  return true;
}

async function realCorpus(tree: string, showTest: boolean, devOnly: boolean): Promise<boolean> {
  const [{ buildIndex }, { TreeIndex }, { cacheDir, openStore }, { factsCacheOf }, { FACTS_VERSION }] = await Promise.all([
    import('../src/index/build.js'),
    import('../src/index/query.js'),
    import('../src/store/db.js'),
    import('../src/store/facts-cache.js'),
    import('../src/c/version.js'),
  ]);
  const dir = join(ROOT, CORPUS_DIR);
  const cases = loadRealCorpus(dir);
  const db = openStore(join(cacheDir(), 'accuracy-tree.sqlite'));
  try {
    const t0 = performance.now();
    const stats = await buildIndex(tree, { db });
    process.stdout.write(`## Real patches (corpus/real: ${cases.length} cases from list mail)\nindex: whole tree, ${stats.seen} files (${stats.parsed} parsed now) in ${stats.seconds.toFixed(1)} s\n`);
    const index = await TreeIndex.open(db, tree);
    const facts = factsCacheOf(db, String(FACTS_VERSION));
    const outs: RealOutcome[] = [];
    for (const c of cases) if (!devOnly || splitOf(c.messageId) === 'dev') outs.push(await runRealCase(tree, dir, c, index, facts));
    for (const split of devOnly ? (['dev'] as const) : (['dev', 'test'] as const)) {
      const mine = outs.filter((o) => o.split === split);
      const fixes = mine.filter((o) => o.case.kind === 'fix').length;
      process.stdout.write(`\n### ${split} split (${fixes} fixes, ${mine.length - fixes} ordinary)\n${realTable(mine)}\n`);
      if (split === 'dev' || showTest) for (const row of outcomeRows(mine)) process.stdout.write(`${row}\n`);
    }
    // Suggested fixes of the true findings (a finding of a fix case's own rules), against the
    // upstream fix: 6.12's file is the pre-image of the reversal (docs/ACCURACY.md, "Suggested fixes").
    const fixes = await fixOutcomes(outs);
    for (const split of devOnly ? (['dev'] as const) : (['dev', 'test'] as const)) {
      process.stdout.write(`\n### Suggested fixes, ${split} split\n${fixTable(fixes.filter((f) => f.split === split))}\n`);
    }
    process.stdout.write(`\n### Suggested fixes, both splits\n${fixTable(fixes)}\n`);
    if (devOnly) return realPasses(outs);
    const test = outs.filter((o) => o.split === 'test');
    const ok = realPasses(test);
    process.stdout.write(`\nthresholds on the test split: recall >= ${pct(MIN_RECALL)} (overall and each family with >= 6 fixes), FP rate <= ${pct(MAX_FP_RATE)}: ${ok ? 'met' : 'NOT met'}; ${outs.length} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    return ok;
  } finally {
    db.close();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  // The same tree the tests use: fetched once by scripts/fetch-kernel.mjs (a no-op when cached).
  const fetched = execFileSync(process.execPath, [join(ROOT, 'scripts', 'fetch-kernel.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const tree = fetched.trim().split('\n').pop()!;
  let ok = true;
  if (args.only !== 'real') ok = (await mutationCorpus(tree)) && ok;
  if (args.only !== 'mutations') ok = (await realCorpus(tree, args.showTest, args.devOnly)) && ok;
  return ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`accuracy: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
