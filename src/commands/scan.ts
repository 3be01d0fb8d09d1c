// `modreview scan --tree DIR [--rules ...] [--format text|json|sarif] [PATH...]`: every current
// module-lifecycle violation in the tree (or under PATHs), not only what a patch introduces,
// grouped by rule and file. The tree index is refreshed first (cross-file questions); then each
// candidate file is parsed whole, the rules run on it, and its facts are dropped (workers, one
// per core; nothing of a file outlives its task). Exit 0 when nothing reaches --fail-on, 1 when
// something does, 2 for usage errors. Files that cannot be read are reported and skipped.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { Option, type Command } from 'commander';
import type { CommandRegistrar } from '../cli.js';
import type { FactsCache, FileFacts } from '../c/types.js';
import { gitBlobId } from '../c/lex.js';
import { FACTS_VERSION } from '../c/version.js';
import { UsageError } from '../errors.js';
import type { TreeConfig } from '../engine/config.js';
import type { Finding, IndexQuery, Rule } from '../engine/types.js';
import { defaultStorePath, openStore, type DB } from '../store/db.js';
import { exitCodeFor, idList, loadTreeConfig, type FailOn } from './review.js';

export interface ScanCliOptions {
  tree: string;
  db: string;
  format: 'text' | 'json' | 'sarif';
  failOn: FailOn;
  rules?: string[];
  ignore?: string[];
  config?: string;
  workers?: number;
  /** Scope of the implicit index refresh (default: the whole tree). */
  indexPath?: string[];
  /** Build/refresh and use the tree index (default true). */
  index: boolean;
  /** Scan every `.c` file, not only those with a module-lifecycle word. */
  allFiles?: boolean;
}

/**
 * Words without which a file cannot hold a finding of the current rules: module entry points and
 * tags, section annotations (init-exit-section), the module-reference and module-loader APIs,
 * THIS_MODULE (ops-missing-owner). A file the index selected (it defines a function on a
 * module_init return chain) is scanned whatever its words (module-init-eexist origins).
 * `--all-files` scans everything.
 */
const CANDIDATE =
  /\b(?:module_\w+|\w*initcall\w*|MODULE_\w+|__init\w*|__exit\w*|__meminit\w*|__ref\w*|request_module\w*|try_module_get|__module_get|module_put|register_module_notifier|symbol_(?:get|put|request)\w*|THIS_MODULE)\b/;

export function isScanCandidate(text: string): boolean {
  return CANDIDATE.test(text);
}

/** A Linux tree has these at its top; anything else still gets scanned, with a warning. */
export function looksLikeKernelTree(root: string): boolean {
  return existsSync(join(root, 'Kconfig')) && existsSync(join(root, 'Makefile')) && existsSync(join(root, 'include', 'linux'));
}

// ---------------------------------------------------------------------------- the task runner

export interface ScanTaskData {
  root: string;
  dbPath?: string;
  rules?: string[];
  ignore?: string[];
  config?: TreeConfig;
  allFiles?: boolean;
}

export interface ScanTask {
  id: number;
  rel: string;
  abs: string;
  /** The index parsed functions of this file (it is on a module_init chain). */
  selected: boolean;
}

export type ScanResult =
  | { kind: 'scanned'; id: number; findings: Finding[]; notes: string[] }
  | { kind: 'skipped'; id: number }
  | { kind: 'problem'; id: number; problem: string };

/** Run by each scan worker (src/index/worker.ts with `taskModule`), or in-process for few files. */
export async function createTaskRunner(raw: unknown): Promise<{ run(t: ScanTask): ScanResult }> {
  const data = raw as ScanTaskData;
  const [{ extractFacts }, { selectRules }, { scanFile }, { allRules }] = await Promise.all([
    import('../c/facts.js'),
    import('../engine/review.js'),
    import('../engine/scan.js'),
    import('../../rules/index.js'),
  ]);
  const rules: Rule[] = selectRules({ rules: data.rules, ignore: data.ignore, config: data.config }, allRules);
  let index: IndexQuery | undefined;
  let cache: FactsCache | undefined;
  if (data.dbPath) {
    const [{ TreeIndex }, { SqliteFactsCache }] = await Promise.all([import('../index/query.js'), import('../store/facts-cache.js')]);
    const db = openStore(data.dbPath);
    index = new TreeIndex(db, data.root, { extract: extractFacts as (p: string, s: string) => FileFacts });
    // The facts of every file scanned go to the review's facts cache (and come from it when the
    // file has not changed): a scanned tree's pre-images are known to the reviews that follow.
    cache = new SqliteFactsCache(db, String(FACTS_VERSION), { hot: 0 });
  }
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  return {
    run(t: ScanTask): ScanResult {
      let buf: Buffer;
      try {
        buf = readFileSync(t.abs);
      } catch (e) {
        return { kind: 'problem', id: t.id, problem: `unreadable (${(e as NodeJS.ErrnoException).code ?? String(e)}); skipped` };
      }
      let text: string;
      try {
        text = utf8.decode(buf);
      } catch {
        return { kind: 'problem', id: t.id, problem: 'invalid UTF-8; skipped' };
      }
      if (!data.allFiles && !t.selected && !isScanCandidate(text)) return { kind: 'skipped', id: t.id };
      let facts: FileFacts;
      const blob = cache ? gitBlobId(text) : '';
      const hit = cache?.get(blob);
      if (hit) facts = { ...hit.facts, path: t.rel };
      else {
        const keys: string[] = [];
        facts = extractFacts(t.rel, text, { keys });
        cache?.put(blob, { facts, keys });
      }
      const r = scanFile(rules, { path: t.rel, source: text, facts }, index);
      return { kind: 'scanned', id: t.id, findings: r.findings, notes: r.notes };
    },
  };
}

// ------------------------------------------------------------------------------------- the run

function treeRoot(tree: string): string {
  try {
    if (!statSync(tree).isDirectory()) throw new Error();
  } catch {
    throw new UsageError(`--tree: not a directory: ${tree}`);
  }
  return realpathSync(tree);
}

/** PATHs as tree-relative paths; ones that are missing or outside the tree are reported. */
function scanPaths(root: string, paths: string[], err: (s: string) => void): string[] | undefined {
  if (!paths.length) return undefined;
  const out: string[] = [];
  for (const p of paths) {
    const abs = isAbsolute(p) ? p : join(root, p);
    const rel = relative(root, abs);
    if (rel.startsWith('..') || isAbsolute(rel)) err(`modreview: ${p}: not inside the tree ${root}; skipped\n`);
    else if (!existsSync(abs)) err(`modreview: ${p}: no such file or directory in the tree; skipped\n`);
    else out.push(rel);
  }
  if (!out.length) throw new UsageError('no PATH to scan (see the messages above)');
  return out;
}

const INLINE_MAX = 12;

export async function runScan(paths: string[], o: ScanCliOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const t0 = performance.now();
  const root = treeRoot(o.tree);
  const { allRules } = await import('../../rules/index.js');
  const config = await loadTreeConfig({ tree: root, file: o.config }, allRules.map((r) => r.id));
  const { selectRules } = await import('../engine/review.js');
  // Unknown rule ids are a usage error before any work starts.
  const rules = selectRules({ rules: o.rules, ignore: o.ignore, config }, allRules);
  const notes: string[] = [];
  if (!looksLikeKernelTree(root)) {
    const msg = `${root} does not look like a Linux kernel tree (no Kconfig, Makefile and include/linux/ at its top); scanning its .c files anyway`;
    err(`modreview: ${msg}\n`);
    notes.push(msg);
  }
  const scope = scanPaths(root, paths, err);
  const [{ buildIndex, walk }, { DEFAULT_SKIP_DIRS }, { progressReporter }, { pathIgnored }] = await Promise.all([
    import('../index/build.js'),
    import('../index/filter.js'),
    import('./progress.js'),
    import('../engine/config.js'),
  ]);
  let db: DB | undefined;
  const selected = new Set<string>();
  try {
    if (o.index) {
      db = openStore(o.db);
      const progress = progressReporter();
      try {
        const stats = await buildIndex(root, { db, workers: o.workers, onProgress: progress.onProgress, ...(o.indexPath?.length ? { paths: o.indexPath } : {}) });
        progress.stop();
        if (stats.lexed || stats.parsed) err(`modreview: indexed ${stats.lexed} changed files of ${root} (${stats.parsed} parsed) in ${stats.seconds.toFixed(1)} s\n`);
        for (const p of stats.problems) notes.push(`index: ${p.path}: ${p.problem}`);
      } finally {
        progress.stop();
      }
      const tree = db.prepare('SELECT id FROM idx_trees WHERE root = ?').get(root) as { id: number };
      for (const r of db.prepare("SELECT path FROM idx_files WHERE tree = ? AND sel_key != ''").all(tree.id) as { path: string }[]) selected.add(r.path);
    } else notes.push('tree index disabled (--no-index): cross-file questions see only the file scanned');

    const ignored = pathIgnored(config);
    const { files } = walk(root, scope, DEFAULT_SKIP_DIRS);
    files.sort((a, b) => a.size - b.size);
    let skipped = 0;
    const tasks: ScanTask[] = [];
    for (const f of files) {
      if (ignored(f.rel)) skipped++;
      else tasks.push({ id: tasks.length, rel: f.rel, abs: f.abs, selected: selected.has(f.rel) });
    }
    const data: ScanTaskData = { root, rules: o.rules, ignore: o.ignore, config, allFiles: o.allFiles };
    if (db && db.name !== ':memory:') data.dbPath = db.name;

    const findings: Finding[] = [];
    const problems: { file: string; problem: string }[] = [];
    let scanned = 0;
    const onResult = (t: ScanTask, r: ScanResult) => {
      if (r.kind === 'scanned') {
        scanned++;
        findings.push(...r.findings);
        notes.push(...r.notes);
      } else if (r.kind === 'skipped') skipped++;
      else {
        problems.push({ file: t.rel, problem: r.problem });
        err(`modreview: ${t.rel}: ${r.problem}\n`);
      }
    };
    if (tasks.length <= INLINE_MAX) {
      const runner = await createTaskRunner(data);
      for (const t of tasks) onResult(t, runner.run(t));
    } else {
      const { Pool } = await import('../index/pool.js');
      const self = import.meta.url;
      const pool = new Pool<ScanTask, ScanResult>(Math.max(1, Math.min(o.workers ?? availableParallelism(), tasks.length)), {
        factsModule: '',
        version: '',
        taskModule: self,
        taskData: data,
      });
      try {
        await pool.run(tasks, onResult);
      } finally {
        await pool.close();
      }
    }
    const summary = { tree: root, scanned, skipped, problems, notes, seconds: (performance.now() - t0) / 1000 };
    const { byOrigin } = await import('../engine/scan.js');
    const ordered = byOrigin(findings).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
    if (o.format === 'json') {
      const { scanJson } = await import('../report/scan.js');
      out(`${JSON.stringify(scanJson(ordered, rules, summary), null, 2)}\n`);
    } else if (o.format === 'sarif') {
      const { sarifReport } = await import('../report/sarif.js');
      out(`${JSON.stringify(sarifReport(ordered, { rules }), null, 2)}\n`);
    } else {
      const { renderScanText } = await import('../report/scan.js');
      out(renderScanText(ordered, rules, summary));
    }
    return exitCodeFor(ordered, o.failOn);
  } finally {
    db?.close();
  }
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--workers: expected a positive integer, got "${v}"`);
  return n;
}

export const register: CommandRegistrar = (program: Command, setExit) => {
  program
    .command('scan')
    .description('report every current module-lifecycle violation in a kernel tree (or under PATHs), grouped by rule and file')
    .argument('[path...]', 'files or directories of the tree to scan (default: the whole tree)')
    .requiredOption('--tree <dir>', 'kernel source tree')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at least this severe').choices(['error', 'warning', 'note', 'never']).default('warning'))
    .option('--rules <ids>', 'only these rules (comma-separated)', idList)
    .option('--ignore <ids>', 'never these rules (comma-separated)', idList)
    .option('--config <file>', 'configuration file (default: .modreview.yml at the top of --tree)')
    .option('--db <file>', 'SQLite store holding the tree index', defaultStorePath())
    .option('--index-path <path>', 'refresh the index only under this path of the tree (repeatable, comma-separated)', idList)
    .option('--no-index', 'do not build or use the tree index (cross-file questions see only the scanned file)')
    .option('--all-files', 'scan every .c file, not only those naming a module-lifecycle word')
    .addOption(new Option('--workers <n>', 'scan workers (default: one per core)').argParser(positiveInt))
    .action(async (paths: string[], o: ScanCliOptions) => {
      setExit(await runScan(paths, o, (s) => process.stdout.write(s), (s) => process.stderr.write(s)));
    });
};
