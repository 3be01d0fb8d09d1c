// Reports of `modreview scan`: text grouped by rule, then file (a maintainer reads one
// convention at a time), and JSON (version 2) with the flat findings array `review` gives. SARIF reuses sarif.ts.
// Pure: data in, string out.
import { groupFindings } from '../engine/scan.js';
import type { Finding, RuleMeta } from '../engine/types.js';
import { precedentText, totals } from './cli.js';

export const SCAN_JSON_VERSION = 2;

const LABEL: Record<Finding['severity'], string> = { error: 'ERROR', warning: 'WARNING', note: 'NOTE' };

export interface ScanSummary {
  tree: string;
  /** Files the rules ran on. */
  scanned: number;
  /** Files left out by the pre-filter (no module-lifecycle word), or by `paths_ignore`. */
  skipped: number;
  /** Files that could not be scanned, with why (unreadable, invalid UTF-8, ...). */
  problems: { file: string; problem: string }[];
  notes: string[];
  seconds: number;
}

export function renderScanText(findings: readonly Finding[], rules: readonly RuleMeta[], s: ScanSummary): string {
  const out: string[] = [];
  const meta = new Map(rules.map((r) => [r.id, r]));
  for (const g of groupFindings(findings, rules.map((r) => r.id))) {
    const r = meta.get(g.rule);
    const n = g.files.reduce((a, f) => a + f.findings.length, 0);
    out.push(`=== ${g.rule}: ${n} finding${n === 1 ? '' : 's'} in ${g.files.length} file${g.files.length === 1 ? '' : 's'}${r ? ` (${r.title})` : ''}`);
    for (const p of r?.precedents ?? []) out.push(`  precedent: ${precedentText(p)}`);
    for (const file of g.files) {
      out.push(`--- ${file.file}`);
      for (const f of file.findings) {
        out.push(`${LABEL[f.severity]}: ${f.file}:${f.line}${f.function ? ` in ${f.function}()` : ''}: ${f.message}`);
        for (const e of f.evidence) out.push(`  evidence: ${e}`);
      }
    }
    out.push('');
  }
  for (const n of s.notes) out.push(`note: ${n}`);
  for (const p of s.problems) out.push(`problem: ${p.file}: ${p.problem}`);
  out.push(`${totals([...findings])}; ${s.scanned} files scanned, ${s.skipped} skipped, ${s.problems.length} not readable, ${s.seconds.toFixed(1)} s`);
  return `${out.join('\n')}\n`;
}

export interface ScanJson {
  version: number;
  tree: string;
  summary: { findings: number; scanned: number; skipped: number; seconds: number };
  /** Flat, as `review --format json` gives them: one consumer reads both. */
  findings: {
    rule: string;
    severity: Finding['severity'];
    file: string;
    line: number;
    function: string | null;
    message: string;
    evidence: string[];
    precedents: { commit: string; subject: string }[];
    fingerprint: string;
  }[];
  problems: ScanSummary['problems'];
  notes: string[];
}

export function scanJson(findings: readonly Finding[], rules: readonly RuleMeta[], s: ScanSummary): ScanJson {
  // Rule (catalogue order), then file, then line: the text report's order, flattened.
  const ordered = groupFindings(findings, rules.map((r) => r.id)).flatMap((g) => g.files.flatMap((f) => f.findings));
  return {
    version: SCAN_JSON_VERSION,
    tree: s.tree,
    summary: { findings: findings.length, scanned: s.scanned, skipped: s.skipped, seconds: Number(s.seconds.toFixed(2)) },
    findings: ordered.map((x) => ({
      rule: x.rule,
      severity: x.severity,
      file: x.file,
      line: x.line,
      function: x.function ?? null,
      message: x.message,
      evidence: x.evidence,
      precedents: x.precedents.map((p) => ({ commit: p.commit, subject: p.subject })),
      fingerprint: x.fingerprint,
    })),
    problems: s.problems,
    notes: s.notes,
  };
}
