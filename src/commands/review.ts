// `modreview review [options] <file|->`: one patch mail, an mbox series or a bare diff in; the
// module-lifecycle findings the patch introduces out (text, JSON or SARIF). Exit 0 when nothing
// reaches --fail-on, 1 when something does, 2 for bad input or usage.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import type { CliIo, CommandRegistrar } from '../cli.js';
import { InputError, UsageError } from '../errors.js';
import type { ReviewOptions } from '../engine/api.js';
import { DEFAULT_TREE_CONFIG, readConfigFile, TREE_CONFIG_FILE, type TreeConfig } from '../engine/tree-config.js';
import { SEVERITY_RANK, type Finding, type FindingFilter, type IndexQuery, type Severity } from '../engine/types.js';
import { readSubmission } from '../ingest/series.js';
import { safeTreePath, treeImages } from '../lore/tree.js';
import { FACTS_VERSION } from '../c/version.js';
import { defaultStorePath, openStore, type DB } from '../store/db.js';
import { factsCacheOf } from '../store/facts-cache.js';
import type { FreshnessReport, IndexCheck } from '../index/fresh.js';
import type { TreeIndex } from '../index/query.js';
import type { Submission } from '../ingest/types.js';

export type FailOn = Severity | 'never';

export interface ReviewCliOptions {
  tree?: string;
  format: 'text' | 'json' | 'sarif';
  failOn: FailOn;
  rules?: string[];
  ignore?: string[];
  filter: FindingFilter;
  db: string;
  index: boolean;
  /** Files or directories of the tree the implicit index refresh walks (default: the whole tree). */
  indexPath?: string[];
  /** How the index's freshness is checked before the review (src/index/fresh.ts); default quick. */
  indexCheck?: IndexCheck;
  config?: string;
  /** Per-file limits (src/engine/limits.ts). */
  maxFileBytes?: number;
  fileTimeout?: number;
  /** The review server's socket (src/review-server/): src/cli.ts asks it before this command runs. */
  server?: string;
}

/** A positive whole number for an option, or a usage error naming it. */
function positiveInt(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${flag}: not a positive whole number: ${v}`);
    return n;
  };
}

export function exitCodeFor(findings: readonly Pick<Finding, 'severity'>[], failOn: FailOn): 0 | 1 {
  if (failOn === 'never') return 0;
  return findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[failOn]) ? 1 : 0;
}

export function idList(v: string, prev: string[] = []): string[] {
  return [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];
}

async function readInput(file: string, io?: CliIo): Promise<Buffer> {
  // Already read (by the review-server client, or sent to the server with the request).
  if (io?.input && io.input.file === file) return io.input.bytes;
  if (io?.inServer) throw new InputError(`cannot read ${file}: not the patch the request carries`);
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new UsageError(`${file} is a directory, not a patch, mail or mbox`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new InputError(`cannot read ${file}: no such file`);
  }
  try {
    return readFileSync(file);
  } catch (e) {
    throw new InputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'read error'}`);
  }
}

/**
 * The config for a run: --config FILE (must exist), else `.modreview.yml` in the tree if present.
 * The YAML parser and the schema (src/engine/config.ts) are loaded only when there is a file.
 */
export async function loadTreeConfig(
  where: { tree?: string | undefined; file?: string | undefined },
  knownRules: readonly string[],
  err: (s: string) => void = (s) => void process.stderr.write(s),
): Promise<TreeConfig> {
  const path = where.file ?? (where.tree ? join(where.tree, TREE_CONFIG_FILE) : undefined);
  if (!path) return DEFAULT_TREE_CONFIG;
  let text: string;
  try {
    text = readConfigFile(path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (where.file) throw new UsageError(`--config: cannot read ${where.file}`);
    return DEFAULT_TREE_CONFIG;
  }
  const { parseTreeConfig } = await import('../engine/config.js');
  return parseTreeConfig(text, knownRules, path, (w) => err(`modreview: warning: ${w.replace(/[\r\n]+/g, ' ')}\n`));
}

/** modreview's own version, from the package.json above this module (src/ or dist/src/). */
export function toolVersion(): string | undefined {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'modreview') return pkg.version;
    } catch {
      // no package.json here: keep walking up
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** --index-path entries must name something inside the tree (a typo would index nothing, silently). */
function checkIndexPaths(tree: string, paths: readonly string[] | undefined): void {
  for (const p of paths ?? []) {
    if (!safeTreePath(tree, p)) throw new UsageError(`--index-path: not a file or directory inside ${tree}: ${p}`);
  }
}

function checkTree(tree: string): string {
  try {
    if (!statSync(tree).isDirectory()) throw new Error();
  } catch {
    throw new UsageError(`--tree: not a directory: ${tree}`);
  }
  return realpathSync(tree);
}

/** The tree paths a submission's patches read directly (their pre-images). */
export function touchedPaths(submission: Submission): string[] {
  const out = new Set<string>();
  for (const p of submission.patches) for (const f of p.files) for (const x of [f.oldPath, f.newPath]) if (x) out.add(x);
  return [...out];
}

/** One line for the report: how fresh the index was made, and what that check cannot see. */
export function freshnessNote(r: FreshnessReport): string | undefined {
  const b = r.build;
  const did = b && (b.lexed || b.removed) ? `; ${b.lexed} file${b.lexed === 1 ? '' : 's'} read again${b.removed ? `, ${b.removed} removed` : ''}` : '';
  if (r.mode === 'paths') return `tree index refreshed only under --index-path${did}; changes elsewhere in the tree are not seen`;
  if (r.mode === 'full') return undefined;
  const at = r.fullAt !== undefined ? new Date(r.fullAt).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : 'the last whole-tree walk';
  return (
    `tree index checked quickly: ${r.dirs} directories (${r.changedDirs} changed), ${r.files} file${r.files === 1 ? '' : 's'} in them or in the patch${did}; ` +
    `files edited in place since ${at} are seen only if this review read them (run \`modreview index\` or --index-check full to stat every file)`
  );
}

/**
 * The tree index, refreshed first (src/index/fresh.ts: a quick check of the tree's directories
 * and the patch's files; an unchanged file is never read twice). A tree that cannot be indexed
 * still gets a review: cross-file questions then see only the patched files, and the report says so.
 */
export async function openTreeIndex(
  db: DB,
  tree: string,
  notes: string[],
  o: { paths?: string[] | undefined; check?: IndexCheck | undefined; touched?: readonly string[]; err?: (s: string) => void } = {},
): Promise<{ index: TreeIndex; fresh: FreshnessReport } | undefined> {
  const [{ refreshForReview }, { TreeIndex }, { progressReporter }] = await Promise.all([
    import('../index/fresh.js'),
    import('../index/query.js'),
    import('./progress.js'),
  ]);
  const progress = progressReporter();
  try {
    const fresh = await refreshForReview(tree, {
      db,
      check: o.check ?? 'quick',
      ...(o.paths?.length ? { paths: o.paths } : {}),
      ...(o.touched ? { touched: o.touched } : {}),
      onProgress: progress.onProgress,
    });
    const stats = fresh.build;
    if (stats && stats.parsed > 0) (o.err ?? ((s: string) => void process.stderr.write(s)))(`modreview: indexed ${stats.parsed} changed files of ${tree} in ${stats.seconds.toFixed(1)} s\n`);
    return { index: await TreeIndex.open(db, tree), fresh };
  } catch (e) {
    notes.push(`tree index unavailable (${e instanceof Error ? e.message : String(e)}); cross-file questions see only the patched files`);
    return undefined;
  } finally {
    progress.stop();
  }
}

export async function runReview(file: string, o: ReviewCliOptions, out: (s: string) => void, io?: CliIo): Promise<number> {
  const input = await readInput(file, io);
  const err = io?.err ?? ((s: string) => void process.stderr.write(s));
  const submission = await readSubmission(input);
  if (!submission.patches.length) throw new InputError('no patch with a diff in the input');
  const { reviewSubmission, inFilter } = await import('../engine/review.js');
  const { allRules } = await import('../../rules/index.js');
  const tree = o.tree ? checkTree(o.tree) : undefined;
  const config = await loadTreeConfig({ tree, file: o.config }, allRules.map((r) => r.id), err);
  const options: ReviewOptions = { filter: o.filter, config };
  if (o.rules?.length) options.rules = o.rules;
  if (o.ignore?.length) options.ignore = o.ignore;
  if (o.maxFileBytes !== undefined || o.fileTimeout !== undefined) {
    options.limits = { ...(o.maxFileBytes !== undefined ? { maxFileBytes: o.maxFileBytes } : {}), ...(o.fileTimeout !== undefined ? { fileTimeoutMs: o.fileTimeout } : {}) };
  }
  const preNotes: string[] = [];
  let db: DB | undefined;
  try {
    let opened: Awaited<ReturnType<typeof openTreeIndex>>;
    if (tree) {
      options.images = treeImages(tree, submission.series.baseCommit);
      if (o.index) {
        checkIndexPaths(tree, o.indexPath);
        // The review server keeps its stores open from review to review; a process opens its own.
        db = io?.stores ? io.stores.open(o.db) : openStore(o.db);
        options.facts = factsCacheOf(db, String(FACTS_VERSION));
        opened = await openTreeIndex(db, tree, preNotes, { paths: o.indexPath, check: o.indexCheck, touched: touchedPaths(submission), err });
        if (opened) options.index = opened.index;
      } else preNotes.push('tree index disabled (--no-index): cross-file questions see only the patched files');
    } else preNotes.push('no --tree given: hunk-only review, cross-file questions see only the patch');
    let result = await reviewSubmission(submission, options);
    if (tree && db && opened && opened.fresh.mode === 'quick') {
      // Files whose rows the review's answers used and that changed since they were indexed
      // (edited in place, so the directory check could not see it): read them again, review again.
      const { staleFiles, refreshForReview } = await import('../index/fresh.js');
      const stale = staleFiles(db, tree, opened.index.consulted);
      if (stale.length) {
        const again = await refreshForReview(tree, { db, touched: stale });
        const { TreeIndex } = await import('../index/query.js');
        opened = { index: await TreeIndex.open(db, tree), fresh: { ...opened.fresh, files: opened.fresh.files + again.files } };
        options.index = opened.index;
        result = await reviewSubmission(submission, options);
        preNotes.push(`tree index: ${stale.length} file${stale.length === 1 ? '' : 's'} this review read had changed since indexed (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', ...' : ''}); read again and reviewed again`);
      }
    }
    if (opened) {
      const note = freshnessNote(opened.fresh);
      if (note) preNotes.push(note);
    }
    result.notes.unshift(...preNotes);
    const shown = result.findings.filter((f) => inFilter(f, o.filter));
    const { renderText, jsonReport } = await import('../report/cli.js');
    if (o.format === 'json') out(`${JSON.stringify(jsonReport(submission, result, shown), null, 2)}\n`);
    else if (o.format === 'sarif') {
      const [{ sarifReport }, { suppressionRule }] = await Promise.all([import('../report/sarif.js'), import('../engine/suppress.js')]);
      // Every rule that can produce a result is described, the engine's own suppression check too.
      const version = toolVersion();
      out(`${JSON.stringify(sarifReport(shown, { rules: [...allRules, suppressionRule], ...(version ? { version } : {}) }), null, 2)}\n`);
    } else out(renderText(submission, result, shown));
    return exitCodeFor(shown, o.failOn);
  } finally {
    if (!io?.stores) db?.close();
  }
}

export const register: CommandRegistrar = (program: Command, setExit, io) => {
  program
    .command('review')
    .description('review a patch mail, an mbox series or a bare diff for module-lifecycle bugs it introduces')
    .argument('<file>', 'patch, mbox or diff; - for standard input')
    .option('--tree <dir>', 'kernel source tree (plain directory or git checkout) for pre-images and the tree index')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at least this severe').choices(['error', 'warning', 'note', 'never']).default('warning'))
    .option('--rules <ids>', 'only these rules (comma-separated)', idList)
    .option('--ignore <ids>', 'never these rules (comma-separated)', idList)
    .addOption(new Option('--filter <filter>', 'which findings to show').choices(['added', 'diff_context', 'file', 'nofilter']).default('added'))
    .option('--config <file>', 'configuration file (default: .modreview.yml at the top of --tree)')
    .option('--db <file>', 'SQLite store holding the tree index', defaultStorePath())
    // Repeatable and comma-separated rather than variadic, so it never swallows the <file> argument.
    .option('--index-path <paths>', 'refresh the tree index only under these files or directories of the tree (comma-separated, repeatable; default: the whole tree)', idList)
    .addOption(
      new Option('--index-check <how>', 'before the review, check the tree index against the tree: quick (its directories and the patched files; see docs/INDEX.md) or full (stat every file)')
        .choices(['quick', 'full'])
        .default('quick'),
    )
    .option('--no-index', 'do not build or use the tree index (cross-file questions see only the patch)')
    .option('--max-file-bytes <n>', 'skip (and report) a C file larger than this (default 2 MiB)', positiveInt('--max-file-bytes'))
    .option('--file-timeout <ms>', 'time one file may take; what is left when it runs out is skipped and reported (default 20000)', positiveInt('--file-timeout'))
    .option('--server <socket>', 'hand the review to a running `modreview review-server` on this socket (default: $MODREVIEW_SOCKET); in this process when it does not answer')
    .action(async (file: string, o: ReviewCliOptions) => {
      const to = io ?? { out: (s: string) => void process.stdout.write(s), err: (s: string) => void process.stderr.write(s) };
      setExit(await runReview(file, o, (s) => to.out(s), to));
    });
};
