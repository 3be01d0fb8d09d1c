// CLI reports: text (per patch and file, read like checkpatch's output) and JSON (version 1, the
// shape other tools key on). Pure: data in, string out.
import { displayPath } from '../diff/types.js';
import type { Submission } from '../ingest/types.js';
import type { Finding, ReviewResult } from '../engine/types.js';

export const JSON_REPORT_VERSION = 1;

const LABEL: Record<Finding['severity'], string> = { error: 'ERROR', warning: 'WARNING', note: 'NOTE' };

export function precedentText(p: { commit: string; subject: string }): string {
  return `${p.commit} ("${p.subject}")`;
}

function patchTitle(sub: Submission, n: number): string {
  const p = sub.patches.find((x, i) => (x.tags.index || i + 1) === n);
  if (!p) return `patch ${n}`;
  // A mailed subject carries its own "[PATCH v2 1/2]"; only a subject-less diff needs the n/m.
  const total = sub.patches.length > 1 && !p.rawSubject ? `${n}/${p.tags.total || sub.patches.length} ` : '';
  return `${total}${p.rawSubject || p.subject || '(bare diff)'}`;
}

/** Counts in checkpatch's manner: "total: 1 errors, 0 warnings, 0 notes". */
export function totals(findings: readonly Finding[]): string {
  const n = (s: Finding['severity']) => findings.filter((f) => f.severity === s).length;
  return `total: ${n('error')} errors, ${n('warning')} warnings, ${n('note')} notes`;
}

/** The suggested fix under a finding: the verified diff, indented; a withheld one only says why. */
export function fixText(f: Finding): string[] {
  if (f.fix?.verified) return [`  suggested fix (verified: the finding is gone from the fixed file): ${f.fix.title}`, ...f.fix.diff.replace(/\n$/, '').split('\n').map((l) => `    ${l}`)];
  if (f.fix) return [`  fix withheld: ${f.fix.title}: ${f.fix.reason}`];
  return [];
}

export function renderText(sub: Submission, result: ReviewResult, findings: readonly Finding[]): string {
  const out: string[] = [];
  const byPatch = new Map<number, Finding[]>();
  for (const f of findings) byPatch.set(f.patch, [...(byPatch.get(f.patch) ?? []), f]);
  for (const [n, fs] of [...byPatch.entries()].sort((a, b) => a[0] - b[0])) {
    out.push(`--- ${patchTitle(sub, n)}`);
    for (const f of [...fs].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line)) {
      out.push(`${LABEL[f.severity]}: ${f.rule}: ${f.message}`);
      out.push(`#${f.line}: FILE: ${f.file}:${f.line}${f.function ? ` in ${f.function}()` : ''}`);
      for (const e of f.evidence) out.push(`  evidence: ${e}`);
      for (const p of f.precedents) out.push(`  precedent: ${precedentText(p)}`);
      if (f.commit) out.push(`  commit: ${f.commit.slice(0, 12)}`);
      out.push(...fixText(f));
      out.push('');
    }
  }
  const notes = [...sub.problems, ...sub.patches.flatMap((p) => p.problems.map((x) => `${p.rawSubject || 'patch'}: ${x}`)), ...result.notes];
  const hunkOnly = result.images.filter((i) => i.mode === 'hunk-only');
  if (hunkOnly.length) notes.push(...hunkOnly.map((i) => `${i.file}: hunk-only review (${i.detail ?? 'no pre-image'}); cross-file questions see only the patch`));
  for (const n of notes) out.push(`note: ${n}`);
  for (const s of result.skipped) out.push(`skipped: ${s.file}: ${s.reason}`);
  const files = new Set(sub.patches.flatMap((p) => p.files.map(displayPath)));
  out.push(`${totals(findings)}; ${sub.patches.length} patch${sub.patches.length === 1 ? '' : 'es'}, ${files.size} file${files.size === 1 ? '' : 's'} (${result.skipped.length} skipped)`);
  return `${out.join('\n')}\n`;
}

export interface JsonReport {
  version: number;
  patches: { subject: string; messageId: string | null; files: string[] }[];
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
    patch: number;
    where: Finding['where'];
    commit?: string;
    /** A verified fix (its diff), or why the one proposed is withheld. */
    fix?: { verified: true; title: string; diff: string } | { verified: false; title: string; reason: string };
    /** Why no fix was proposed, for a rule that has fixes. */
    fixSkipped?: string;
  }[];
  skipped: { file: string; reason: string; patch?: number }[];
  images: ReviewResult['images'];
  notes: string[];
}

export function jsonReport(sub: Submission, result: ReviewResult, findings: readonly Finding[]): JsonReport {
  return {
    version: JSON_REPORT_VERSION,
    patches: sub.patches.map((p) => ({ subject: p.rawSubject || p.subject, messageId: p.messageId ?? null, files: p.files.map(displayPath) })),
    findings: findings.map((f) => ({
      rule: f.rule,
      severity: f.severity,
      file: f.file,
      line: f.line,
      function: f.function ?? null,
      message: f.message,
      evidence: f.evidence,
      precedents: f.precedents.map((p) => ({ commit: p.commit, subject: p.subject })),
      fingerprint: f.fingerprint,
      patch: f.patch,
      where: f.where,
      ...(f.commit ? { commit: f.commit } : {}),
      ...(f.fix ? { fix: f.fix.verified ? { verified: true as const, title: f.fix.title, diff: f.fix.diff } : { verified: false as const, title: f.fix.title, reason: f.fix.reason } } : {}),
      ...(f.fixSkipped ? { fixSkipped: f.fixSkipped } : {}),
    })),
    skipped: result.skipped,
    images: result.images,
    notes: [...sub.problems, ...sub.patches.flatMap((p) => p.problems), ...result.notes],
  };
}
