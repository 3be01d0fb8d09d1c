// `modreview index --tree DIR [--db FILE] [--workers N] [--path P]...`: build or refresh the tree
// index (SQLite cache) the cross-file rules query (what it reads and parses: docs/INDEX.md). A
// progress bar on a TTY, quiet otherwise; always one summary line.
import { statSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { CommandRegistrar } from '../cli.js';
import { UsageError } from '../errors.js';
import { buildIndex, type IndexStats } from '../index/build.js';
import { progressReporter } from './progress.js';
import { defaultStorePath, openStore } from '../store/db.js';

export function summaryLine(s: IndexStats): string {
  const detail = [s.partial ? `${s.partial} in part` : '', s.closure ? `${s.closure} by closure` : ''].filter(Boolean).join(', ');
  return (
    `indexed ${s.tree}: ${s.seen} files seen, ${s.lexed} read, ${s.parsed} parsed` +
    (detail ? ` (${detail})` : '') +
    (s.reused ? `, ${s.reused} reused` : '') +
    `, ${s.unchanged} skipped unchanged, ${s.filtered} never parsed` +
    (s.removed ? `, ${s.removed} removed` : '') +
    `, ${s.problems.length} problems, ${s.seconds.toFixed(1)} s`
  );
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--workers: expected a positive integer, got "${v}"`);
  return n;
}

export const register: CommandRegistrar = (program: Command) => {
  program
    .command('index')
    .description('build or refresh the kernel tree index (parses only what changed)')
    .requiredOption('--tree <dir>', 'kernel source tree')
    .option('--db <file>', 'SQLite store', defaultStorePath())
    .addOption(new Option('--workers <n>', 'parse workers (default: one per core)').argParser(positiveInt))
    .option('--path <path...>', 'index only these files or directories of the tree')
    .option('--full-selection', 'recompute the selection of functions to parse over the whole tree')
    .option('--verbose', 'list files that could not be indexed')
    .action(async (o: { tree: string; db: string; workers?: number; path?: string[]; verbose?: boolean; fullSelection?: boolean }) => {
      try {
        if (!statSync(o.tree).isDirectory()) throw new Error();
      } catch {
        throw new UsageError(`--tree: not a directory: ${o.tree}`);
      }
      const db = openStore(o.db);
      const progress = progressReporter();
      try {
        const stats = await buildIndex(o.tree, { db, workers: o.workers, paths: o.path, onProgress: progress.onProgress, fullSelection: o.fullSelection });
        progress.stop();
        process.stdout.write(`${summaryLine(stats)}\n`);
        if (o.verbose) for (const p of stats.problems) process.stdout.write(`  ${p.path}: ${p.problem}\n`);
      } finally {
        progress.stop();
        db.close();
      }
    });
};
