// The real-patch half of `npm run accuracy`: every case of corpus/real/ (src/engine/real-corpus.ts)
// turned into the patch a user would review — a fix applied in reverse to Linux 6.12 (which puts
// the bug back), an ordinary patch as mailed — and reviewed exactly as `modreview review --tree`
// does: pre-image from the tree, the whole-tree index, every rule, the default `added` filter.
// A fix counts as caught when one of its rules reports; an ordinary patch is a false positive when
// anything is reported. Dev and test splits are scored apart; test-split cases are never listed
// one by one unless asked (--show-test), so a rule is not tuned to them.
import { gitDiff } from './accuracy.js';
import { applyToTree } from './corpus/apply.js';
import { caseDiff, splitOf, type RealCase, type Split } from '../src/engine/real-corpus.js';
import type { Finding, IndexQuery } from '../src/engine/types.js';
import type { FactsCache } from '../src/engine/api.js';

export interface RealOutcome {
  case: RealCase;
  split: Split;
  findings: Finding[];
  /** Fix: one of its rules reported. Ordinary: nothing reported. */
  ok: boolean;
  error?: string;
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
  try {
    patch = reviewedPatch(tree, dir, c);
  } catch (e) {
    return { case: c, split, findings: [], ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  const sub = await readSubmission(`Subject: ${c.subject.replace(/\s+/g, ' ')}\n\n${patch}`);
  const result = await reviewSubmission(sub, { images: treeImages(tree), ...(index ? { index } : {}), ...(facts ? { facts } : {}), filter: 'added' });
  const findings = result.findings.filter((f) => inFilter(f, 'added'));
  const ok = c.kind === 'fix' ? findings.some((f) => (c.rules ?? []).includes(f.rule)) : findings.length === 0;
  return { case: c, split, findings, ok };
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

