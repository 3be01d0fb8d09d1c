// `modreview fix <patch> --tree DIR [-o FILE]`: review the patch as `review` does and write the
// verified fixes of its findings as a follow-up patch (git format-patch form) that applies with
// `git am` on top of it. Exit 0 when a patch was written, 1 when no finding has a verified fix
// (what was found and why no fix is said on standard error), 2 for bad input or usage.
import { readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CommandRegistrar } from '../cli.js';
import { InputError, UsageError } from '../errors.js';
import type { ReviewOptions } from '../engine/api.js';
import type { Finding } from '../engine/types.js';
import { displayPath } from '../diff/types.js';
import { applyHunks } from '../diff/apply.js';
import type { Submission } from '../ingest/types.js';
import type { ImageProvider } from '../engine/api.js';
import { FACTS_VERSION } from '../c/version.js';
import { defaultStorePath, openStore, type DB } from '../store/db.js';
import { factsCacheOf } from '../store/facts-cache.js';
import { idList, loadTreeConfig, openTreeIndex, toolVersion, touchedPaths } from './review.js';


interface FixCliOptions {
  tree: string;
  output?: string;
  rules?: string[];
  db: string;
  index: boolean;
}

/**
 * Each file as the whole series leaves it, and the patch that last touched it: the follow-up
 * patch edits that text, so only fixes found on that patch apply to it.
 */
async function postImages(sub: Submission, images: ImageProvider): Promise<Map<string, { text: string; patch: number }>> {
  const out = new Map<string, { text: string; patch: number }>();
  for (const [i, patch] of sub.patches.entries()) {
    const n = patch.tags.index || i + 1;
    for (const file of patch.files) {
      if (file.binary || file.status === 'deleted') continue;
      const path = displayPath(file);
      const old = file.oldPath ?? path;
      const pre = out.get(old)?.text ?? (file.status === 'added' ? '' : (await images.preImage(file, patch))?.text);
      if (pre === undefined) continue;
      const r = applyHunks(pre, file);
      if (r.ok) out.set(path, { text: r.post, patch: n });
    }
  }
  return out;
}

export async function runFix(file: string, o: FixCliOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let input: Buffer;
  try {
    if (statSync(file).isDirectory()) throw new UsageError(`${file} is a directory, not a patch, mail or mbox`);
    input = readFileSync(file);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new InputError(`cannot read ${file}: no such file`);
  }
  let tree: string;
  try {
    if (!statSync(o.tree).isDirectory()) throw new Error();
    tree = realpathSync(o.tree);
  } catch {
    throw new UsageError(`--tree: not a directory: ${o.tree}`);
  }
  const [{ readSubmission }, { reviewSubmission, inFilter }, { allRules }, { treeImages }, { renderFixPatch }] = await Promise.all([
    import('../ingest/series.js'),
    import('../engine/review.js'),
    import('../../rules/index.js'),
    import('../lore/tree.js'),
    import('../report/fix-patch.js'),
  ]);
  const submission = await readSubmission(input);
  if (!submission.patches.length) throw new InputError('no patch with a diff in the input');
  const config = await loadTreeConfig({ tree }, allRules.map((r) => r.id));
  const images = treeImages(tree, submission.series.baseCommit);
  const options: ReviewOptions = { filter: 'added', config, images };
  if (o.rules?.length) options.rules = o.rules;
  let db: DB | undefined;
  try {
    const notes: string[] = [];
    if (o.index) {
      db = openStore(o.db);
      options.facts = factsCacheOf(db, String(FACTS_VERSION));
      const opened = await openTreeIndex(db, tree, notes, { touched: touchedPaths(submission) });
      if (opened) options.index = opened.index;
    }
    const result = await reviewSubmission(submission, options);
    for (const n of [...notes, ...result.notes]) err(`modreview: note: ${n}\n`);
    const findings = result.findings.filter((f) => inFilter(f, 'added'));
    const posts = await postImages(submission, images);
    const byFile = new Map<string, Finding[]>();
    for (const f of findings) {
      const why = !f.fix ? (f.fixSkipped ?? 'the rule has no fix') : !f.fix.verified ? `withheld: ${f.fix.reason}` : posts.get(f.file)?.patch !== f.patch ? 'a later patch of the series changes the file again' : undefined;
      if (why) {
        err(`modreview: no fix for ${f.rule} at ${f.file}:${f.line}: ${why}\n`);
        continue;
      }
      byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
    }
    if (!byFile.size) {
      err(`modreview: ${findings.length ? 'no finding has a verified fix' : 'no findings'}; no patch written\n`);
      return 1;
    }
    const last = submission.patches[submission.patches.length - 1]!;
    const version = toolVersion();
    const patch = renderFixPatch({
      subject: last.subject || 'modreview fixes',
      files: [...byFile].map(([path, fs]) => ({ path, post: posts.get(path)!.text, findings: fs.sort((a, b) => a.line - b.line) })),
      from: last.author ?? { name: 'modreview', address: 'modreview@localhost' },
      date: new Date(),
      ...(version ? { version } : {}),
    });
    for (const l of patch.left) err(`modreview: fix for ${l.finding.rule} at ${l.finding.file}:${l.finding.line} left out: ${l.reason}\n`);
    if (o.output) {
      writeFileSync(o.output, patch.text);
      err(`modreview: wrote ${o.output} (${patch.taken.length} fix${patch.taken.length === 1 ? '' : 'es'})\n`);
    } else out(patch.text);
    return 0;
  } finally {
    db?.close();
  }
}

export const register: CommandRegistrar = (program: Command, setExit) => {
  program
    .command('fix')
    .description('review a patch and write the verified fixes of its findings as a follow-up patch (git am applies it on top)')
    .argument('<patch>', 'patch, mbox or diff')
    .requiredOption('--tree <dir>', 'kernel source tree the patch applies to')
    .option('-o, --output <file>', 'write the follow-up patch here (default: standard output)')
    .option('--rules <ids>', 'only these rules (comma-separated)', idList)
    .option('--db <file>', 'SQLite store holding the tree index', defaultStorePath())
    .option('--no-index', 'do not build or use the tree index (cross-file questions see only the patch)')
    .action(async (file: string, o: FixCliOptions) => {
      setExit(await runFix(file, o, (s) => process.stdout.write(s), (s) => process.stderr.write(s)));
    });
};
