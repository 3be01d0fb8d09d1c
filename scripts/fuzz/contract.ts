// What every stage of a review promises, whatever the input (issue 13, fuzzing): the checks the
// property tests (test/fuzz) and `npm run fuzz` (scripts/fuzz.ts) apply to each result. A
// violation is a string saying what is wrong; an empty list means the contract holds.
import type { FileFacts } from '../../src/c/types.js';
import type { FileDiff } from '../../src/diff/types.js';
import { MAX_HUNK_LINE } from '../../src/diff/parse.js';
import type { Submission } from '../../src/ingest/types.js';
import type { ReviewResult } from '../../src/engine/types.js';
import { allRules } from '../../rules/index.js';
import { suppressionRule } from '../../src/engine/suppress.js';
import { renderReply, toRaw } from '../../src/report/email.js';

const RULE_IDS = new Set([...allRules.map((r) => r.id), suppressionRule.id]);
const LINE_BREAK = /[\r\n]/;
const natural = (n: unknown, min = 0): boolean => typeof n === 'number' && Number.isSafeInteger(n) && n >= min;
const show = (v: unknown): string => JSON.stringify(v)?.slice(0, 120) ?? String(v);

/** The diff reader's model: hunk numbers within bounds and consistent with the lines. */
export function diffViolations(files: readonly FileDiff[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    const name = f.newPath ?? f.oldPath ?? '(unknown)';
    for (const p of [f.oldPath, f.newPath]) if (p !== null && typeof p !== 'string') out.push(`${name}: path is ${show(p)}`);
    if (!Array.isArray(f.problems) || f.problems.some((p) => typeof p !== 'string')) out.push(`${name}: problems not strings`);
    for (const h of f.hunks) {
      for (const k of ['oldStart', 'oldLines', 'newStart', 'newLines'] as const) {
        if (!natural(h[k]) || h[k] > MAX_HUNK_LINE) out.push(`${name}: hunk ${k} ${show(h[k])}`);
      }
      for (const l of h.lines) {
        if (l.kind !== 'add' && l.kind !== 'del' && l.kind !== 'context') out.push(`${name}: line kind ${show(l.kind)}`);
        if (typeof l.text !== 'string' || l.text.includes('\n')) out.push(`${name}: hunk line holds a line break: ${show(l.text)}`);
        if (l.oldLine !== undefined && !natural(l.oldLine, 1)) out.push(`${name}: oldLine ${show(l.oldLine)}`);
        if (l.newLine !== undefined && !natural(l.newLine, 1)) out.push(`${name}: newLine ${show(l.newLine)}`);
        if (l.kind === 'add' && l.oldLine !== undefined) out.push(`${name}: added line with an old line number`);
        if (l.kind === 'del' && l.newLine !== undefined) out.push(`${name}: removed line with a new line number`);
      }
    }
  }
  return out;
}

/** The facts builder's output: lines inside the file, names present, plain JSON. */
export function factsViolations(source: string, facts: FileFacts): string[] {
  const out: string[] = [];
  const lines = source.split('\n').length;
  const inFile = (n: unknown) => natural(n, 1) && (n as number) <= lines;
  for (const f of facts.functions) {
    if (!f.name) out.push('function without a name');
    if (!inFile(f.startLine) || !inFile(f.endLine) || f.endLine < f.startLine) out.push(`${f.name}: lines ${f.startLine}..${f.endLine} of ${lines}`);
    for (const c of f.calls) if (!inFile(c.line) || !c.callee) out.push(`${f.name}: call ${show(c)}`);
  }
  for (const e of facts.moduleEntries) if (!inFile(e.line)) out.push(`module entry ${show(e)}`);
  for (const u of facts.unanalysed ?? []) if (!inFile(u.line) || !u.reason) out.push(`unanalysed ${show(u)}`);
  try {
    if (JSON.stringify(JSON.parse(JSON.stringify(facts))) !== JSON.stringify(facts)) out.push('facts do not survive JSON');
  } catch (e) {
    out.push(`facts are not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return out;
}

/** A review result: known rules, lines, severities; skipped files with a reason; one-line notes. */
export function resultViolations(sub: Submission, result: ReviewResult): string[] {
  const out: string[] = [];
  const patches = new Set(sub.patches.map((p, i) => p.tags.index || i + 1));
  for (const f of result.findings) {
    const at = `${f.rule} ${show(f.file)}:${f.line}`;
    if (!RULE_IDS.has(f.rule)) out.push(`finding of unknown rule ${at}`);
    if (!['error', 'warning', 'note'].includes(f.severity)) out.push(`severity ${show(f.severity)} (${at})`);
    if (!['added', 'context', 'outside'].includes(f.where)) out.push(`where ${show(f.where)} (${at})`);
    if (!f.file || LINE_BREAK.test(f.file)) out.push(`finding file ${show(f.file)}`);
    if (!natural(f.line, 1)) out.push(`finding line ${show(f.line)} (${at})`);
    if (!f.message) out.push(`finding without a message (${at})`);
    if (!/^[0-9a-f]{16}$/.test(f.fingerprint)) out.push(`fingerprint ${show(f.fingerprint)}`);
    if (!patches.has(f.patch)) out.push(`finding of patch ${f.patch}, not in the submission (${at})`);
  }
  for (const s of result.skipped) {
    if (!s.file || LINE_BREAK.test(s.file)) out.push(`skipped file ${show(s.file)}`);
    if (!s.reason || LINE_BREAK.test(s.reason)) out.push(`skipped reason ${show(s.reason)}`);
  }
  for (const n of result.notes) if (typeof n !== 'string' || !n || LINE_BREAK.test(n)) out.push(`note ${show(n)}`);
  for (const i of result.images) if (!i.file || LINE_BREAK.test(i.file) || !patches.has(i.patch)) out.push(`image note ${show(i)}`);
  return out;
}

export const BOT = { name: 'modreview', address: 'bot@example.net' };

/**
 * The reply the lore responder would send for each patch: rendered and serialised without an
 * exception, every header one logical line of a known name, the header section closed by the
 * first blank line.
 */
export function replyViolations(sub: Submission, result: ReviewResult): string[] {
  const out: string[] = [];
  for (const [i, patch] of sub.patches.entries()) {
    const n = patch.tags.index || i + 1;
    const findings = result.findings.filter((f) => f.patch === n);
    const people = { to: [...(patch.author ? [patch.author] : []), ...patch.to], cc: patch.cc };
    const reply = renderReply({ patch, findings, notes: result.notes, bot: BOT, messageId: `modreview-${n}@example.net`, date: new Date(0), ...people, docsUrl: 'https://example.net/rules/' });
    const raw = toRaw(reply, { ...people, from: BOT }).toString('utf8');
    const end = raw.indexOf('\r\n\r\n');
    if (end < 0) {
      out.push(`reply ${n}: no end of headers`);
      continue;
    }
    const head = raw.slice(0, end);
    if (/\r(?!\n)|(?<!\r)\n/.test(head)) out.push(`reply ${n}: a bare CR or LF in the headers`);
    const logical = head.split('\r\n').reduce<string[]>((acc, l) => (/^[ \t]/.test(l) && acc.length ? [...acc.slice(0, -1), `${acc[acc.length - 1]}${l}`] : [...acc, l]), []);
    for (const h of logical) {
      if (!/^[!-9;-~]+: [^\r\n]*$/.test(h)) out.push(`reply ${n}: header ${show(h)}`);
      else if (!REPLY_HEADERS.has(h.slice(0, h.indexOf(':')).toLowerCase())) out.push(`reply ${n}: unexpected header ${show(h)}`);
    }
  }
  return out;
}

const REPLY_HEADERS = new Set(['from', 'to', 'cc', 'subject', 'date', 'message-id', 'in-reply-to', 'references', 'auto-submitted', 'x-mailer', 'mime-version', 'content-type', 'content-transfer-encoding']);
