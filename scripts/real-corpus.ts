// The real-patch half of `npm run accuracy`: every case of corpus/real/ (src/engine/real-corpus.ts)
// turned into the patch a user would review — a fix applied in reverse to Linux 6.12 (which puts
// the bug back), an ordinary patch as mailed — and reviewed exactly as `modreview review --tree`
// does: pre-image from the tree, the whole-tree index, every rule, the default `added` filter.
// A fix counts as caught when one of its rules reports; an ordinary patch is a false positive when
// anything is reported. Dev and test splits are scored apart; test-split cases are never listed
// one by one unless asked (--show-test), so a rule is not tuned to them.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitDiff } from './accuracy.js';
import { applyToTree } from './corpus/apply.js';
import { caseDiff, splitOf, type RealCase, type Split } from '../src/engine/real-corpus.js';
import type { Finding, IndexQuery } from '../src/engine/types.js';
import type { FactsCache } from '../src/engine/api.js';
import type { FileFacts } from '../src/c/types.js';

export interface RealOutcome {
  case: RealCase;
  split: Split;
  findings: Finding[];
  /** Fix: one of its rules reported. Ordinary: nothing reported. */
  ok: boolean;
  error?: string;
  /** Each reviewed file before and after the patch: for a reversed fix, `before` is the upstream fix. */
  files?: { path: string; before: string; after: string }[];
}

/** The patch a user would review for this case: unified diffs of each touched file, real blob ids. */
export function reviewedPatch(tree: string, dir: string, c: RealCase): string {
  const files = applyToTree(tree, caseDiff(dir, c), c.applies === 'reverse');
  return files
    .filter((f) => f.before !== f.after)
    .map((f) => gitDiff(f.path, f.before, f.after))
    .join('');
}

export async function runRealCase(tree: string, dir: string, c: RealCase, index: IndexQuery | undefined, facts?: FactsCache): Promise<RealOutcome> {
  const [{ readSubmission }, { reviewSubmission, inFilter }, { treeImages }] = await Promise.all([
    import('../src/ingest/series.js'),
    import('../src/engine/review.js'),
    import('../src/lore/tree.js'),
  ]);
  const split = splitOf(c.messageId);
  let patch: string;
  let files: RealOutcome['files'];
  try {
    files = applyToTree(tree, caseDiff(dir, c), c.applies === 'reverse').filter((f) => f.before !== f.after);
    patch = files.map((f) => gitDiff(f.path, f.before, f.after)).join('');
  } catch (e) {
    return { case: c, split, findings: [], ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  const sub = await readSubmission(`Subject: ${c.subject.replace(/\s+/g, ' ')}\n\n${patch}`);
  const result = await reviewSubmission(sub, { images: treeImages(tree), ...(index ? { index } : {}), ...(facts ? { facts } : {}), filter: 'added' });
  const findings = result.findings.filter((f) => inFilter(f, 'added'));
  const ok = c.kind === 'fix' ? findings.some((f) => (c.rules ?? []).includes(f.rule)) : findings.length === 0;
  return { case: c, split, findings, ok, files };
}

export interface RealScore {
  label: string;
  fixes: number;
  caught: number;
  ordinary: number;
  falsePositives: number;
  errors: number;
}

export function realScore(label: string, outs: readonly RealOutcome[]): RealScore {
  const fixes = outs.filter((o) => o.case.kind === 'fix');
  const ord = outs.filter((o) => o.case.kind === 'ordinary');
  return {
    label,
    fixes: fixes.length,
    caught: fixes.filter((o) => o.ok).length,
    ordinary: ord.length,
    falsePositives: ord.filter((o) => !o.ok && !o.error).length,
    errors: outs.filter((o) => o.error).length,
  };
}

const pct = (n: number, d: number) => (d ? `${((n / d) * 100).toFixed(1)}%` : '-');

/** Per family (the first rule of each fix) and overall, for one split. */
export function realTable(outs: readonly RealOutcome[]): string {
  const families = [...new Set(outs.filter((o) => o.case.kind === 'fix').map((o) => o.case.rules?.[0] ?? '?'))].sort();
  const rows = families.map((f) => realScore(f, outs.filter((o) => o.case.kind === 'fix' && o.case.rules?.[0] === f)));
  rows.push(realScore('overall', outs));
  const cells = rows.map((s) => [s.label, `${s.caught}/${s.fixes}`, pct(s.caught, s.fixes), s.ordinary ? `${s.falsePositives}/${s.ordinary}` : '', s.ordinary ? pct(s.falsePositives, s.ordinary) : '', String(s.errors)]);
  const head = ['family', 'caught', 'recall', 'false pos.', 'FP rate', 'errors'];
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ').trimEnd();
  return [line(head), ...cells.map(line)].join('\n');
}

export function describeOutcome(o: RealOutcome): string {
  const c = o.case;
  if (o.error) return `  error   ${c.id}: ${o.error}`;
  if (c.kind === 'fix') {
    const got = [...new Set(o.findings.map((f) => f.rule))];
    return `  missed  ${c.id} [${(c.rules ?? []).join('|')}]${got.length ? ` (reported: ${got.join(', ')})` : ''}`;
  }
  const f = o.findings[0]!;
  return `  FP      ${c.id}: ${f.rule} ${f.file}:${f.line} ${f.message.slice(0, 140)}`;
}

export function outcomeRows(outs: readonly RealOutcome[]): string[] {
  return outs.filter((o) => !o.ok).map(describeOutcome);
}


// ---------------------------------------------------------------------------------------------
// Suggested fixes measured against the upstream fix

/** What became of one true finding's suggested fix (a finding of the case's own rules on a reversed fix). */
export interface FixOutcome {
  rule: string;
  split: Split;
  caseId: string;
  verified: boolean;
  /** The fixed file equals upstream's (6.12's) file, white space ignored. */
  identical: boolean;
  /** Not identical, but each function makes the same calls in the same order (see callsOf). */
  equivalent: boolean;
  reason?: string;
}

const squash = (s: string) => s.replace(/\s+/g, '');

/**
 * The parts of a file a fix touched, by name: the functions and static initialisers holding the
 * changed lines (a line outside all of them is the file's own, `@file`). A fix answers one
 * finding; upstream's commit may fix several at once, so a fix is compared with upstream on the
 * parts it touched only.
 */
function touchedParts(facts: FileFacts, source: string, lines: readonly number[]): Map<string, string> {
  const text = source.split('\n');
  const out = new Map<string, string>();
  for (const n of lines) {
    const fn = facts.functions.find((f) => n >= f.startLine && n <= f.endLine);
    if (fn) {
      out.set(`fn:${fn.name}`, text.slice(fn.startLine - 1, fn.endLine).join('\n'));
      continue;
    }
    const init = [...facts.structInits].filter((x) => x.line <= n).sort((a, b) => b.line - a.line)[0];
    const end = init ? Math.max(init.line, ...init.fields.map((f) => f.line)) + 1 : 0;
    if (init && n <= end) out.set(`init:${init.name.split('[')[0]}`, text.slice(init.line - 1, end).join('\n'));
    else out.set('@file', source);
  }
  return out;
}

/**
 * The approximation of "the same fix" when the text differs: for a function, the calls it makes
 * (callee and arguments, white space ignored) in source order; for a static initialiser, its
 * fields in any order. Two parts that agree on these make the same calls in the same order, up to
 * how the branches around them are written (`if (ret) { undo(); return ret; } return 0;` and
 * `if (ret) undo(); return ret;` agree), label names and layout. Which path a call sits on is not
 * compared: the fix was verified, and upstream's file is the reference for the calls only.
 */
export function actionsOf(facts: FileFacts, source: string, part: string): string {
  if (part.startsWith('init:')) {
    const name = part.slice(5);
    return facts.structInits
      .filter((x) => x.name.split('[')[0] === name)
      .map((x) => `${x.type} ${x.name} = { ${x.fields.map((f) => `${f.field}=${squash(f.value)}`).sort().join(', ')} }`)
      .join('; ');
  }
  const fn = facts.functions.find((f) => `fn:${f.name}` === part);
  if (!fn) return part === '@file' ? squash(source) : '';
  return [...fn.calls].sort((a, b) => a.line - b.line).map((c) => `${c.callee}(${c.args.map(squash).join(',')})`).join(' ');
}

/** Score each true finding's fix of the fix cases against the upstream file. */
export async function fixOutcomes(outs: readonly RealOutcome[]): Promise<FixOutcome[]> {
  const [{ applyLineEdits }, { extractFacts }, { structuredPatch }] = await Promise.all([import('../src/engine/fix.js'), import('../src/c/facts.js'), import('diff')]);
  const out: FixOutcome[] = [];
  for (const o of outs) {
    if (o.case.kind !== 'fix' || o.error) continue;
    for (const f of o.findings) {
      if (!(o.case.rules ?? []).includes(f.rule)) continue;
      const base = { rule: f.rule, split: o.split, caseId: o.case.id };
      if (!f.fix?.verified) {
        out.push({ ...base, verified: false, identical: false, equivalent: false, reason: f.fix && !f.fix.verified ? f.fix.reason : (f.fixSkipped ?? 'no fix builder') });
        continue;
      }
      const file = o.files?.find((x) => x.path === f.file);
      if (!file) {
        out.push({ ...base, verified: true, identical: false, equivalent: false, reason: 'reviewed file not found' });
        continue;
      }
      const fixed = applyLineEdits(file.after, f.fix.edits);
      const changed: number[] = [];
      for (const h of structuredPatch('a', 'b', file.after, fixed, '', '', { context: 0 }).hunks) {
        for (let n = h.newStart; n < h.newStart + Math.max(1, h.newLines); n++) changed.push(n);
      }
      const fixedFacts = extractFacts(f.file, fixed);
      const upFacts = extractFacts(f.file, file.before);
      const parts = touchedParts(fixedFacts, fixed, changed);
      const upText = (part: string) => {
        if (part === '@file') return file.before;
        const fn = upFacts.functions.find((x) => `fn:${x.name}` === part);
        if (fn) return file.before.split('\n').slice(fn.startLine - 1, fn.endLine).join('\n');
        const init = upFacts.structInits.find((x) => `init:${x.name.split('[')[0]}` === part);
        return init ? file.before.split('\n').slice(init.line - 1, Math.max(init.line, ...init.fields.map((x) => x.line)) + 1).join('\n') : undefined;
      };
      const identical = [...parts].every(([part, text]) => {
        const up = upText(part);
        return up !== undefined && squash(up) === squash(text);
      });
      const equivalent = !identical && [...parts.keys()].every((part) => upText(part) !== undefined && actionsOf(fixedFacts, fixed, part) === actionsOf(upFacts, file.before, part));
      out.push({ ...base, verified: true, identical, equivalent });
    }
  }
  return out;
}

/** Per rule and overall: true findings, with a verified fix, identical to upstream, equivalent. */
export function fixTable(fixes: readonly FixOutcome[]): string {
  const rules = [...new Set(fixes.map((f) => f.rule))].sort();
  const row = (label: string, fs: readonly FixOutcome[]) => {
    const v = fs.filter((f) => f.verified).length;
    const i = fs.filter((f) => f.identical).length;
    const e = fs.filter((f) => f.equivalent).length;
    return [label, String(fs.length), `${v}`, pct(v, fs.length), `${i}`, `${e}`, pct(i + e, fs.length), pct(i + e, v)];
  };
  const cells = [...rules.map((r) => row(r, fixes.filter((f) => f.rule === r))), row('overall', fixes)];
  const head = ['rule', 'true findings', 'verified', 'share', 'identical', 'equivalent', 'same as upstream', 'of verified'];
  const w = head.map((h, k) => Math.max(h.length, ...cells.map((r) => r[k]!.length)));
  const line = (r: string[]) => r.map((c, k) => (k === 0 ? c.padEnd(w[k]!) : c.padStart(w[k]!))).join('  ').trimEnd();
  return [line(head), ...cells.map(line)].join('\n');
}

/**
 * The Linux 6.12 tree (fetched once, scripts/fetch-kernel.mjs) and its whole-tree index in the
 * accuracy harness' store, for the corpus-building scripts that review patches as it does.
 */
export async function openAccuracyIndex(): Promise<{ tree: string; index: IndexQuery; close(): void }> {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const tree = execFileSync(process.execPath, [join(root, 'scripts/fetch-kernel.mjs')], { encoding: 'utf8' }).trim().split('\n').pop()!;
  const [{ openStore, cacheDir }, { TreeIndex }] = await Promise.all([import('../src/store/db.js'), import('../src/index/query.js')]);
  const db = openStore(join(cacheDir(), 'accuracy-tree.sqlite'));
  const index = await TreeIndex.open(db, tree);
  return { tree, index, close: () => db.close() };
}
