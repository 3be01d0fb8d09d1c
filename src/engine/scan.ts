// Scan mode: every current violation in a file, not only what a patch introduces. The rules run
// once on the file as it is (the "post" image), with the tree index for cross-file questions and
// the file's own facts overlaid on it (the index may hold only part of a file's functions). In-
// source suppressions are honoured. Pure: facts and index in, findings out.
import type { FileFacts } from '../c/types.js';
import { overlayIndex } from './overlay.js';
import { findingOf, runRules } from './review.js';
import { matchSuppression, parseSuppressions } from './suppress.js';
import type { Finding, IndexQuery, Rule } from './types.js';

export interface ScanInput {
  path: string;
  source: string;
  facts: FileFacts;
}

export interface ScanFileResult {
  findings: Finding[];
  /** Rule failures and the like, for the report's notes. */
  notes: string[];
}

/** Run `rules` on one file. Findings carry patch 0 and `where: 'outside'` (no patch is involved). */
export function scanFile(rules: readonly Rule[], input: ScanInput, index: IndexQuery | undefined): ScanFileResult {
  const notes: string[] = [];
  // As the review does: the file's own facts replace the index's rows for it.
  const view = overlayIndex(index, [input.facts]);
  const sups = parseSuppressions(input.source);
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const run of runRules(rules, input.path, 'post', input.source, input.facts, view, notes, { scan: true })) {
    if (matchSuppression(sups, run.rule.id, run.raw.line)) continue;
    const f = findingOf(run.rule, run.raw, input.path, 0, 'outside');
    if (seen.has(f.fingerprint)) continue;
    seen.add(f.fingerprint);
    findings.push(f);
  }
  return { findings, notes };
}

/** At most this many other places are listed under the one finding of a group. */
const GROUP_EVIDENCE = 12;

/**
 * One finding per group (RawFinding.group): the one at the group's origin when the scan found
 * it (`fn@file` is how groups are named), else the first; the other places become evidence.
 * 218 warnings of one -EEXIST origin become one finding listing where it flows.
 */
export function byOrigin(findings: readonly Finding[]): Finding[] {
  const groups = new Map<string, Finding[]>();
  const out: Finding[] = [];
  for (const f of findings) {
    if (!f.group) {
      out.push(f);
      continue;
    }
    const g = groups.get(f.group);
    if (g) g.push(f);
    else groups.set(f.group, [f]);
  }
  for (const [name, members] of groups) {
    const at = name.slice(name.indexOf('@') + 1);
    const head = members.find((m) => `${m.file}:${m.function ?? ''}` === at) ?? members[0]!;
    // In path order: workers finish files in any order, the report must not depend on it.
    const others = members.filter((m) => m !== head).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
    const listed = others.slice(0, GROUP_EVIDENCE).map((m) => `also flows through ${m.function ?? '?'}() (${m.file}:${m.line})`);
    if (others.length > GROUP_EVIDENCE) listed.push(`... and ${others.length - GROUP_EVIDENCE} more function(s)`);
    out.push(others.length ? { ...head, evidence: [...head.evidence, ...listed] } : head);
  }
  return out;
}

export interface FindingGroup {
  rule: string;
  files: { file: string; findings: Finding[] }[];
}

/** Findings grouped by rule (catalogue order), then by file (path order), then by line. */
export function groupFindings(findings: readonly Finding[], ruleOrder: readonly string[]): FindingGroup[] {
  const byRule = new Map<string, Map<string, Finding[]>>();
  for (const f of findings) {
    let files = byRule.get(f.rule);
    if (!files) byRule.set(f.rule, (files = new Map()));
    const l = files.get(f.file);
    if (l) l.push(f);
    else files.set(f.file, [f]);
  }
  const rank = (id: string) => {
    const i = ruleOrder.indexOf(id);
    return i < 0 ? ruleOrder.length : i;
  };
  return [...byRule.entries()]
    .sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]))
    .map(([rule, files]) => ({
      rule,
      files: [...files.entries()]
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
        .map(([file, fs]) => ({ file, findings: fs.sort((a, b) => a.line - b.line || a.key.localeCompare(b.key)) })),
    }));
}
