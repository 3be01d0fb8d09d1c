// The differential review: for each patch of a series, each touched C file is analysed before
// and after the patch (patch k on top of 1..k-1), every rule runs on both images, and only what
// the patch introduces is kept — matched by rule, function and a stable key, never by line.
import { createHash } from 'node:crypto';
import type { FileFacts } from '../c/types.js';
import { ExtractionStopped, factsOfParsed, postImageFacts, seedMemo, sharedFunctionMemo } from '../c/facts.js';
import { gitBlobId } from '../c/lex.js';
import { errorCount, parseKernelC, type ParsedSource } from '../c/parse.js';
import { addedLines, applyHunks, hunkOnlyImages, lineShift, reverseApplies } from '../diff/apply.js';
import { fileNameProblem, printablePath } from '../diff/paths.js';
import { displayPath, type FileDiff } from '../diff/types.js';
import type { Patch, Submission } from '../ingest/types.js';
import { allRules } from '../../rules/index.js';
import type { ImageProvider, ReviewFn, ReviewOptions } from './api.js';
import { UsageError } from '../errors.js';
import { pathIgnored } from './tree-config.js';
import { FileBudget, sectionKey, sizeProblem, unanalysedNotes } from './limits.js';
import { overlayIndex } from './overlay.js';
import { MAX_FIXES_PER_FILE, verifiedFix } from './fix.js';
import { matchSuppression, parseSuppressions, suppressionRule, type Suppression } from './suppress.js';
import type { Finding, ImageNote, IndexQuery, RawFinding, ReviewResult, Rule, RuleContext, SkippedFile } from './types.js';
import { LruMap } from '../lru.js';

const C_FILE = /\.(c|h)$/;

/**
 * The rules a run uses: --rules/--ignore first (the command line wins), then the tree config's
 * `off`, with its severity overrides applied.
 */
export function selectRules(opts: Pick<ReviewOptions, 'rules' | 'ignore' | 'config'>, rules: readonly Rule[] = allRules): Rule[] {
  const known = new Set(rules.map((r) => r.id));
  for (const id of [...(opts.rules ?? []), ...(opts.ignore ?? [])]) {
    if (!known.has(id)) throw new RuleSelectionError(`unknown rule id '${id}' (see 'modreview rules')`);
  }
  const conf = opts.config?.rules ?? {};
  return rules
    .filter((r) => (opts.rules?.length ? opts.rules.includes(r.id) : conf[r.id] !== 'off') && !opts.ignore?.includes(r.id))
    .map((r) => {
      const sev = conf[r.id];
      if (sev !== 'error' && sev !== 'warning' && sev !== 'note') return r;
      // An operator's override replaces the per-finding severities a rule picks, too.
      return { ...r, severity: sev, check: (ctx: Parameters<Rule['check']>[0]) => r.check(ctx).map((f) => ({ ...f, severity: sev })) };
    });
}

/** A usage error (exit 2, one line, no "error:" prefix) so `--rules nosuch` reads as the typo it is. */
export class RuleSelectionError extends UsageError {}

export function fingerprintOf(rule: string, file: string, fn: string | undefined, key: string): string {
  return createHash('sha1').update(`${rule}\0${file}\0${fn ?? ''}\0${key}`).digest('hex').slice(0, 16);
}

/** One touched C file of one patch, with both images analysed. */
interface FileWork {
  diff: FileDiff;
  path: string;
  pre: { source: string; facts: FileFacts };
  post: { source: string; facts: FileFacts };
  /** Post-image lines the patch added, plus where it deleted lines. */
  touched: Set<number>;
  added: Set<number>;
  /** Images rebuilt from the hunks alone: not a base for later patches of the series. */
  hunkOnly: boolean;
  /** The file's time budget, spent on its facts and then on its rules. */
  budget: FileBudget;
  /** The pre-image's blob id, once asked. */
  preBlob?: string;
}

/** Post-image positions of deletions: the post line that now stands where removed lines were. */
function deletionSites(file: FileDiff): Set<number> {
  const out = new Set<number>();
  for (const h of file.hunks) {
    let nextNew = h.newStart;
    for (const l of h.lines) {
      if (l.kind === 'del') out.add(Math.max(1, nextNew));
      else if (l.newLine) nextNew = l.newLine + 1;
    }
  }
  return out;
}

export interface RuleRun {
  rule: Rule;
  raw: RawFinding;
}

/** Run rules on one image of one file. Rule exceptions never abort a review; they become notes. */
export function runRules(
  rules: readonly Rule[],
  path: string,
  image: 'pre' | 'post',
  source: string,
  facts: FileFacts,
  index: IndexQuery,
  notes: string[],
  more: Pick<RuleContext, 'before' | 'scan'> = {},
): RuleRun[] {
  const out: RuleRun[] = [];
  for (const rule of rules) {
    try {
      for (const raw of rule.check({ path, image, source, facts, index, ...more })) out.push({ rule, raw });
    } catch (err) {
      notes.push(`rule ${rule.id} failed on ${path} (${image}): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return out;
}

/**
 * An index whose database answers stay the same while its generation does (TreeIndex), that
 * can record what a run asked of it and ask the rest again (the answers read from the tree's
 * files), and whose database answers are shared by every index of the same scope.
 */
interface GenerationalIndex {
  answersGeneration(): string;
  answersScope(): object;
  recordAnswers<T>(fn: () => T): { value: T; log: unknown };
  replayAnswers(log: unknown): boolean;
}

function generational(index: IndexQuery | undefined): (IndexQuery & GenerationalIndex) | undefined {
  const g = index as Partial<GenerationalIndex> | undefined;
  return typeof g?.answersGeneration === 'function' && typeof g.answersScope === 'function' && typeof g.recordAnswers === 'function' && typeof g.replayAnswers === 'function'
    ? (index as IndexQuery & GenerationalIndex)
    : undefined;
}

interface KeptRuns {
  rule: Rule;
  runs: RuleRun[];
  notes: string[];
  /** What the run asked of the tree index (its own record): replayed on reuse. */
  log: unknown;
}

/**
 * Pre-image rule runs kept per tree index scope (one database and tree: every TreeIndex opened
 * on the same connection, so a long-running process keeps them from review to review), by file
 * (image and view) and rule: a file's next patch starts from the same pre-image.
 */
const preRunCache = new WeakMap<object, LruMap<string, Map<string, KeptRuns>>>();
/** Files whose pre-image runs are kept, per tree index (the least recently reviewed go first). */
const PRE_FILES_KEPT = 256;

/**
 * A rule's runs on a file's pre-image: a rule is a function of its context, so a run on the same
 * pre-image (path and content), over the same "before" view (the same files replaced, by
 * content, in a tree index of the same generation, whose answers read from the tree's files —
 * kbuild, facts extracted on demand — are asked again and found the same) answers as the last
 * one did. The files its answers used are marked consulted again (the freshness check after the
 * review stats them). Without a tree index that can say its generation, every run is fresh.
 */
function preImageRuns(rule: Rule, w: FileWork, before: IndexQuery, index: IndexQuery | undefined, beforeKey: string, notes: string[]): RuleRun[] {
  const base = generational(index);
  if (!base) return runRules([rule], w.path, 'pre', w.pre.source, w.pre.facts, before, notes);
  const gen = base.answersGeneration();
  const scope = base.answersScope();
  let files = preRunCache.get(scope);
  if (!files) preRunCache.set(scope, (files = new LruMap(PRE_FILES_KEPT)));
  w.preBlob ??= gitBlobId(w.pre.source);
  const key = `${gen}\0${w.path}\0${w.preBlob}\0${beforeKey}`;
  let kept = files.get(key);
  const hit = kept?.get(rule.id);
  if (hit && hit.rule === rule && base.replayAnswers(hit.log)) {
    notes.push(...hit.notes);
    return hit.runs;
  }
  const mine: string[] = [];
  const { value: runs, log } = base.recordAnswers<RuleRun[]>(() => runRules([rule], w.path, 'pre', w.pre.source, w.pre.facts, before, mine));
  notes.push(...mine);
  // Only while nothing was written meanwhile (a rule asking the index may extract and store).
  if (base.answersGeneration() === gen) {
    if (!kept) files.set(key, (kept = new Map()));
    kept.set(rule.id, { rule, runs, notes: mine, log });
  }
  return runs;
}

export function findingOf(rule: Rule, raw: RawFinding, file: string, patch: number, where: Finding['where'], commit?: string): Finding {
  const f: Finding = {
    rule: rule.id,
    severity: raw.severity ?? rule.severity,
    confidence: rule.confidence,
    file,
    line: raw.line,
    message: raw.message,
    evidence: raw.evidence,
    precedents: rule.precedents,
    fingerprint: fingerprintOf(rule.id, file, raw.function, raw.key),
    key: raw.key,
    patch,
    where,
  };
  if (raw.function) f.function = raw.function;
  if (raw.group) f.group = raw.group;
  if (commit) f.commit = commit;
  return f;
}

function identity(run: RuleRun): string {
  return `${run.rule.id}\0${run.raw.function ?? ''}\0${run.raw.key}`;
}

/** Every identity of a finding: its key's and its aliases'. */
function identities(run: RuleRun): string[] {
  return [identity(run), ...(run.raw.aliases ?? []).map((k) => `${run.rule.id}\0${run.raw.function ?? ''}\0${k}`)];
}

/**
 * The post-image findings the pre-image did not have. Identities are counted, not just looked
 * up: a patch that adds a second instance of a pattern the function already has once (another
 * early return after the same get, another request of the same name) introduces one. The
 * instances on lines the patch touched are the ones left over after the pre-image's are used
 * up. A post finding matches a pre finding that shares any identity (key or alias) with it.
 */
export function introducedRuns<T extends RuleRun>(preRuns: readonly RuleRun[], postRuns: readonly T[], onChange: (run: T) => boolean): Set<T> {
  const left = preRuns.map((r) => new Set(identities(r)));
  const byId = new Map<string, number[]>();
  left.forEach((ids, i) => {
    for (const id of ids) byId.set(id, [...(byId.get(id) ?? []), i]);
  });
  const used = new Set<number>();
  const ordered = [...postRuns].sort((a, b) => Number(onChange(a)) - Number(onChange(b)));
  const fresh = new Set<T>();
  for (const run of ordered) {
    // (its own key first: an alias only stands in where the key has no partner left)
    const ids = identities(run);
    let hit: number | undefined;
    for (const id of ids) {
      hit = (byId.get(id) ?? []).find((i) => !used.has(i));
      if (hit !== undefined) break;
    }
    if (hit === undefined) fresh.add(run);
    else used.add(hit);
  }
  return fresh;
}

async function imagesFor(
  file: FileDiff,
  patch: Patch,
  patchNo: number,
  series: Map<string, string>,
  provider: ImageProvider | undefined,
  images: ImageNote[],
  notes: string[],
): Promise<{ pre: string; post: string; hunkOnly?: boolean; offsets?: number[] } | null> {
  const path = displayPath(file);
  const hunkOnly = (detail: string) => {
    images.push({ patch: patchNo, file: path, mode: 'hunk-only', detail });
    return { ...hunkOnlyImages(file), hunkOnly: true };
  };
  if (file.status === 'added') {
    images.push({ patch: patchNo, file: path, mode: 'new-file' });
    const r = applyHunks('', file);
    return r.ok ? { pre: '', post: r.post } : { ...hunkOnlyImages(file), hunkOnly: true };
  }
  const oldPath = file.oldPath ?? path;
  let pre: string | null = null;
  let mode: ImageNote['mode'] = 'series';
  let detail: string | undefined;
  if (series.has(oldPath)) {
    pre = series.get(oldPath)!;
  } else if (provider) {
    const got = await provider.preImage(file, patch);
    if (got) {
      pre = got.text;
      mode = got.mode;
      detail = got.detail;
    }
  }
  if (pre === null) return hunkOnly(provider ? 'pre-image not found in the tree' : 'no tree given');
  const applied = applyHunks(pre, file);
  if (!applied.ok) {
    if (reverseApplies(pre, file)) {
      notes.push(`${path}: the patch is already applied in the tree (its post-image is there); reviewed from the hunks alone`);
      return hunkOnly('already applied in the tree');
    }
    notes.push(`${path}: the patch does not apply to the tree's version of this file (${applied.reason}); reviewed from the hunks alone`);
    return hunkOnly('pre-image does not match the tree');
  }
  const note: ImageNote = { patch: patchNo, file: path, mode };
  if (detail) note.detail = detail;
  images.push(note);
  return { pre, post: applied.post, offsets: applied.offsets };
}

/**
 * Facts of a pre-image: from the facts cache when this content was seen before (its functions go
 * back into the memo, so the post-image reuses them), else extracted and remembered.
 */
function preImageFacts(path: string, source: string, cache: ReviewOptions['facts'], stop?: () => boolean): { preFacts: FileFacts; preParsed?: ParsedSource; keys: string[] } {
  const blob = cache ? gitBlobId(source) : '';
  const hit = cache?.get(blob);
  if (hit) {
    seedMemo(sharedFunctionMemo, hit);
    return { preFacts: { ...hit.facts, path }, keys: hit.keys };
  }
  const preParsed = parseKernelC(source, undefined, stop);
  const keys: string[] = [];
  const preFacts = factsOfParsed(path, preParsed, { memo: sharedFunctionMemo, keys, ...(stop ? { stop } : {}) });
  cache?.put(blob, { facts: preFacts, keys });
  return { preFacts, preParsed, keys };
}

export const reviewSubmission: ReviewFn = async (submission: Submission, options: ReviewOptions): Promise<ReviewResult> => {
  const rules = selectRules(options);
  const ignored = pathIgnored(options.config ?? { paths_ignore: [] });
  const findings: Finding[] = [];
  const skipped: SkippedFile[] = [];
  const images: ImageNote[] = [];
  const notes: string[] = [];
  /** Post-images of files earlier patches of the series touched. */
  const seriesText = new Map<string, string>();
  const seriesFacts = new Map<string, FileFacts>();

  for (const [i, patch] of submission.patches.entries()) {
    const patchNo = patch.tags.index || i + 1;
    const work: FileWork[] = [];
    /** Post-images of files skipped by a limit: still the base for later patches. */
    const carried = new Map<string, string>();
    const sections = new Map<string, { path: string; count: number }>();
    for (const file of patch.files) {
      const path = displayPath(file);
      // A repeated identical section is the same change: reviewed once, said once below.
      const sectionId = sectionKey(file);
      const seen = sections.get(sectionId);
      if (seen) {
        seen.count++;
        continue;
      }
      sections.set(sectionId, { path, count: 1 });
      // First: a name outside the tree (or one that cannot be printed) is neither read nor reported.
      const badName = fileNameProblem(file);
      if (badName) {
        skipped.push({ file: printablePath(path), reason: badName, patch: patchNo });
        continue;
      }
      if (file.binary) {
        skipped.push({ file: path, reason: 'binary diff', patch: patchNo });
        continue;
      }
      if (file.status === 'mode-only') {
        skipped.push({ file: path, reason: 'mode change only', patch: patchNo });
        continue;
      }
      if (ignored(path)) {
        skipped.push({ file: path, reason: 'ignored by paths_ignore in the configuration', patch: patchNo });
        continue;
      }
      if (!C_FILE.test(path)) {
        skipped.push({ file: path, reason: 'not a C source file', patch: patchNo });
        continue;
      }
      if (file.status === 'deleted') {
        skipped.push({ file: path, reason: 'file deleted', patch: patchNo });
        seriesText.delete(path);
        seriesFacts.delete(path);
        continue;
      }
      if (!file.hunks.length) {
        skipped.push({ file: path, reason: file.problems.length ? `no readable hunk (${file.problems[0]})` : 'no hunks', patch: patchNo });
        continue;
      }
      const imgs = await imagesFor(file, patch, patchNo, seriesText, options.images, images, notes);
      if (!imgs) continue;
      const limitSkip = (reason: string) => {
        skipped.push({ file: path, reason, patch: patchNo });
        if (!imgs.hunkOnly) carried.set(path, imgs.post);
      };
      const tooLarge = sizeProblem(options.limits, imgs.pre, imgs.post);
      if (tooLarge) {
        limitSkip(tooLarge);
        continue;
      }
      const oldPath = file.oldPath ?? path;
      const budget = new FileBudget(options.limits);
      const memo = { memo: sharedFunctionMemo, stop: budget.spent };
      let facts: { preFacts: FileFacts; postFacts: FileFacts };
      try {
        facts = budget.run(() => {
          const { preFacts, preParsed, keys } = seriesFacts.has(oldPath) ? { preFacts: seriesFacts.get(oldPath)!, preParsed: undefined, keys: undefined } : preImageFacts(oldPath, imgs.pre, options.facts, budget.spent);
          // Functions the patch left alone keep their facts, moved (postImageFacts parses only the
          // rest); when that cannot be trusted, the post-image is parsed whole — from the pre-image's
          // tree when there is one (tree-sitter re-parses around the change).
          const postFacts =
            (keys && imgs.offsets ? postImageFacts(path, { source: imgs.pre, facts: preFacts, keys }, imgs.post, lineShift(file, imgs.offsets), memo) : null) ??
            factsOfParsed(path, parseKernelC(imgs.post, preParsed, budget.spent), memo);
          return { preFacts, postFacts };
        });
      } catch (err) {
        if (!(err instanceof ExtractionStopped)) throw err;
        limitSkip(budget.reason('while parsing it or reading its functions; not analysed'));
        continue;
      }
      const { preFacts, postFacts } = facts;
      notes.push(...unanalysedNotes(path, preFacts, postFacts));
      const added = addedLines(file);
      const touched = new Set([...added, ...deletionSites(file)]);
      work.push({ diff: file, path, pre: { source: imgs.pre, facts: { ...preFacts, path } }, post: { source: imgs.post, facts: postFacts }, touched, added, hunkOnly: !!imgs.hunkOnly, budget });
    }
    for (const { path, count } of sections.values()) {
      if (count > 1) notes.push(`${printablePath(path)}: the same file section appears ${count} times in patch ${patchNo}; reviewed once`);
    }
    for (const [path, post] of carried) {
      seriesText.set(path, post);
      seriesFacts.delete(path);
    }
    if (!work.length) continue;

    const before = overlayIndex(options.index, [...seriesFacts.values(), ...work.map((w) => w.pre.facts)]);
    const after = overlayIndex(options.index, [...seriesFacts.values(), ...work.map((w) => w.post.facts)]);
    // The files the "before" view replaces, by content: with the rule, the file and the index's
    // generation, what a pre-image rule run depends on (see preImageRuns).
    const beforeKey = [...seriesFacts.values(), ...work.map((w) => w.pre.facts)].map((f) => `${f.path}\0${f.hash}`).join('\0');
    for (const w of work) {
      const preSups = parseSuppressions(w.pre.source);
      const postSups = parseSuppressions(w.post.source);
      const used = new Set<Suppression>();
      // Rule by rule on both images, so a used-up time budget cuts both at the same rule (a
      // rule run on one image only would turn all its findings into differences).
      const preAll: RuleRun[] = [];
      const postAll: RuleRun[] = [];
      let ran = rules;
      w.budget.run(() => {
        for (const [k, rule] of rules.entries()) {
          if (w.budget.spent()) {
            const rest = rules.slice(k).map((r) => r.id);
            skipped.push({ file: w.path, reason: w.budget.reason(`after ${k} of ${rules.length} rules; not run: ${rest.join(', ')}`), patch: patchNo });
            ran = rules.slice(0, k);
            break;
          }
          preAll.push(...preImageRuns(rule, w, before, options.index, beforeKey, notes));
          postAll.push(...runRules([rule], w.path, 'post', w.post.source, w.post.facts, after, notes, w.hunkOnly ? {} : { before: { source: w.pre.source, facts: w.pre.facts } }));
        }
      });
      const preRuns = preAll.filter((r) => !matchSuppression(preSups, r.rule.id, r.raw.line));
      const postRuns = postAll.filter((r) => {
        const s = matchSuppression(postSups, r.rule.id, r.raw.line);
        if (s) used.add(s);
        return !s;
      });
      const onChange = (run: RuleRun) => [run.raw.line, ...(run.raw.causes ?? [])].some((l) => w.touched.has(l));
      const fresh = introducedRuns(preRuns, postRuns, onChange);
      const fixOf = fileFixer(w, postRuns, (facts) => overlayIndex(options.index, [...seriesFacts.values(), ...work.map((x) => (x === w ? facts : x.post.facts))]));
      for (const run of postRuns) if (fresh.has(run)) findings.push({ ...findingOf(run.rule, run.raw, w.path, patchNo, classify(run.raw, w), patch.commit), ...fixOf(run) });
      // (A suppression for a rule the budget cut cannot be judged unused.)
      findings.push(...suppressionFindings(postSups, used, ran, w, patchNo, patch.commit));
    }
    for (const w of work) {
      if (w.hunkOnly) continue;
      seriesText.set(w.path, w.post.source);
      seriesFacts.set(w.path, w.post.facts);
    }
  }
  return { findings: dedupe(findings), skipped, images, notes };
};

/**
 * Suggested fixes for the findings of one file (src/engine/fix.ts): each proposal is applied to
 * the post-image and the file reviewed again with that finding's rule alone, the rest of the
 * series' files as they were.
 */
function fileFixer(w: FileWork, postRuns: readonly RuleRun[], indexWith: (facts: FileFacts) => IndexQuery): (run: RuleRun) => Pick<Finding, 'fix' | 'fixSkipped'> {
  let tried = 0;
  let postErrors: number | undefined;
  const before = w.hunkOnly ? undefined : { source: w.pre.source, facts: w.pre.facts };
  return (run) => {
    if (!run.rule.fix) return {};
    if (w.hunkOnly) return { fixSkipped: 'reviewed from the hunks alone: there is no whole file to edit' };
    if (w.budget.spent()) return { fixSkipped: w.budget.reason('no time left to verify a fix') };
    if (++tried > MAX_FIXES_PER_FILE) return { fixSkipped: `more than ${MAX_FIXES_PER_FILE} findings with fixes in this file; the rest are not verified` };
    const index = indexWith(w.post.facts);
    const ctx: RuleContext = { path: w.path, image: 'post', source: w.post.source, facts: w.post.facts, index, ...(before ? { before } : {}) };
    const postFindings = postRuns.filter((r) => r.rule === run.rule).map((r) => r.raw);
    // The verification is spent from the file's time budget, as its rules were.
    return w.budget.run(() => verifiedFix({
      rule: run.rule,
      raw: run.raw,
      ctx,
      postFindings,
      postErrors: () => (postErrors ??= errorCount(parseKernelC(w.post.source))),
      rereview: (source) => {
        const parsed = parseKernelC(source);
        const facts = factsOfParsed(w.path, parsed, { memo: sharedFunctionMemo });
        const notes: string[] = [];
        const runs = runRules([run.rule], w.path, 'post', source, facts, indexWith(facts), notes, before ? { before } : {});
        if (notes.length) throw new Error(notes[0]);
        const sups = parseSuppressions(source);
        return { findings: runs.filter((r) => !matchSuppression(sups, r.rule.id, r.raw.line)).map((r) => r.raw), errors: errorCount(parsed) };
      },
    }));
  };
}

/** Suppressions this patch adds that name an unknown rule or hide nothing. */
function suppressionFindings(sups: Suppression[], used: Set<Suppression>, rules: readonly Rule[], w: FileWork, patchNo: number, commit?: string): Finding[] {
  const known = new Set(allRules.map((r) => r.id));
  const active = new Set(rules.map((r) => r.id));
  const out: Finding[] = [];
  for (const s of sups) {
    if (!w.added.has(s.line)) continue;
    const unknown = s.rules.filter((r) => !known.has(r));
    for (const rule of unknown) {
      const raw: RawFinding = { key: `unknown:${rule}@${s.reason ?? ''}`, line: s.line, message: suppressionRule.messages.unknown.replace('{rule}', rule), evidence: [], severity: 'warning' };
      out.push(findingOf(suppressionRule, raw, w.path, patchNo, 'added', commit));
    }
    // A suppression for a rule switched off in this run cannot be judged unused.
    if (!used.has(s) && !unknown.length && s.rules.every((r) => active.has(r))) {
      const raw: RawFinding = { key: `unused:${s.rules.join(',')}@${s.reason ?? ''}`, line: s.line, message: suppressionRule.messages.unused.replace('{rules}', s.rules.join(', ')), evidence: [] };
      out.push(findingOf(suppressionRule, raw, w.path, patchNo, 'added', commit));
    }
  }
  return out;
}

/** `added` when on or caused by a changed line, or inside a function the patch changed. */
function classify(raw: RawFinding, w: FileWork): Finding['where'] {
  const lines = [raw.line, ...(raw.causes ?? [])];
  if (lines.some((l) => w.touched.has(l))) return 'added';
  const fn = raw.function ? w.post.facts.functions.find((f) => f.name === raw.function) : undefined;
  if (fn && [...w.touched].some((l) => l >= fn.startLine && l <= fn.endLine)) return 'added';
  if (w.diff.hunks.some((h) => raw.line >= h.newStart && raw.line < h.newStart + h.newLines)) return 'context';
  return 'outside';
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const k = `${f.patch}\0${f.fingerprint}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Filter as reviewdog does: what the chosen filter keeps. */
export function inFilter(f: Finding, filter: ReviewOptions['filter'] = 'added'): boolean {
  switch (filter) {
    case 'added':
      return f.where === 'added';
    case 'diff_context':
      return f.where !== 'outside';
    default:
      return true;
  }
}
