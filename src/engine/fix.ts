// Suggested fixes, verified before shown. A rule's fix builder (rules/<id>/fix.ts) proposes line
// edits of the post-image for one of its findings; the engine applies them, reviews the edited
// file again with that rule alone, and offers the fix only when the finding is gone (by key), no
// other finding of the rule appeared, and tree-sitter finds no more syntax errors than before.
// This module holds the edit model, the unified diff, the verdict, and the text helpers builders
// share (indentation, statement insertion). Pure: the re-review is a callback.
import { diffArrays, structuredPatch } from 'diff';
import type { FileFacts, FunctionFacts } from '../c/types.js';
import type { Finding, FindingFix, FixProposal, LineEdit, RawFinding, Rule, RuleContext } from './types.js';

/** Fixes verified per file: each costs a parse and a rule run; past this they are skipped and said so. */
export const MAX_FIXES_PER_FILE = 24;

/** Split a source into lines (without their end), keeping whether it ended in a newline. */
export function splitLines(source: string): { lines: string[]; finalNewline: boolean } {
  const finalNewline = source.endsWith('\n');
  const lines = (finalNewline ? source.slice(0, -1) : source).split('\n');
  return { lines: source === '' ? [] : lines, finalNewline };
}

/**
 * Apply line edits to a source. Edits must not overlap; they are applied from the bottom up so
 * every edit's line numbers refer to the unedited source. Throws on an edit outside the file.
 */
export function applyLineEdits(source: string, edits: readonly LineEdit[]): string {
  const { lines, finalNewline } = splitLines(source);
  const sorted = [...edits].sort((a, b) => b.line - a.line || b.deleteCount - a.deleteCount);
  let floor = Infinity;
  for (const e of sorted) {
    if (e.line < 1 || e.line + e.deleteCount - 1 > lines.length || e.line > lines.length + 1) throw new Error(`edit at line ${e.line} is outside the file`);
    if (e.line + e.deleteCount > floor) throw new Error(`edits overlap at line ${e.line}`);
    lines.splice(e.line - 1, e.deleteCount, ...e.insert);
    floor = e.line;
  }
  return lines.join('\n') + (finalNewline || source === '' ? '\n' : '');
}

/** A unified diff of one file (`--- a/path`, `+++ b/path`, hunks with three lines of context). */
export function unifiedDiff(path: string, before: string, after: string, context = 3): string {
  const p = structuredPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, { context });
  const out = [`--- a/${path}`, `+++ b/${path}`];
  const range = (start: number, n: number) => (n === 1 ? `${start}` : `${n === 0 ? start : start},${n}`);
  for (const h of p.hunks) {
    out.push(`@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`);
    out.push(...h.lines);
  }
  return `${out.join('\n')}\n`;
}

/** The post-image line range an edit touches (an insertion touches the line it goes before). */
export function editSpan(edits: readonly LineEdit[]): { first: number; last: number } {
  const first = Math.min(...edits.map((e) => e.line));
  const last = Math.max(...edits.map((e) => e.line + Math.max(e.deleteCount, 1) - 1));
  return { first, last };
}

// ---------------------------------------------------------------------------------------------
// Verification

export interface Rereview {
  /** The rule's findings (suppressions applied) on the edited file, or why it could not be read. */
  findings: RawFinding[];
  /** tree-sitter ERROR count of the edited file. */
  errors: number;
}

export interface FixInput {
  rule: Rule;
  raw: RawFinding;
  /** The post-image context the finding came from. */
  ctx: RuleContext;
  /** Every finding this rule made on the post-image (suppressions applied). */
  postFindings: readonly RawFinding[];
  /** Review the edited source again with this rule alone. */
  rereview: (source: string) => Rereview;
  /** tree-sitter ERROR count of the post-image. */
  postErrors: () => number;
}

const identity = (r: RawFinding) => `${r.function ?? ''}\0${r.key}`;

function counts(raws: readonly RawFinding[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of raws) m.set(identity(r), (m.get(identity(r)) ?? 0) + 1);
  return m;
}

/**
 * The verdict on a proposal: why it is withheld, or undefined when it holds. The finding must be
 * gone (one instance fewer of its identity), no identity may gain an instance (a fix that trades
 * one finding for another is no fix), and the file must parse no worse.
 */
export function verdict(before: readonly RawFinding[], after: Rereview, finding: RawFinding, postErrors: number): string | undefined {
  const was = counts(before);
  const now = counts(after.findings);
  const id = identity(finding);
  if ((now.get(id) ?? 0) >= (was.get(id) ?? 0)) return 'the finding is still reported on the fixed file';
  for (const [k, n] of now) {
    if (n > (was.get(k) ?? 0)) {
      const r = after.findings.find((x) => identity(x) === k)!;
      return `the fixed file has a new finding (${r.key}${r.function ? ` in ${r.function}()` : ''}, line ${r.line})`;
    }
  }
  if (after.errors > postErrors) return `the fixed file does not parse as well (${after.errors} syntax errors, ${postErrors} before)`;
  return undefined;
}

/** Propose, apply and verify the rule's fix for one finding: what goes on the Finding. */
export function verifiedFix(input: FixInput): Pick<Finding, 'fix' | 'fixSkipped'> {
  const { rule, raw, ctx } = input;
  if (!rule.fix) return {};
  let proposal: FixProposal | { none: string };
  try {
    proposal = rule.fix(ctx, raw);
  } catch (err) {
    return { fixSkipped: `the fix builder failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  if ('none' in proposal) return { fixSkipped: proposal.none };
  // A title quotes code (`.owner\t\t= THIS_MODULE`): one line, single spaces.
  proposal = { ...proposal, title: proposal.title.replace(/\s+/g, ' ').trim() };
  if (!proposal.edits.length) return { fixSkipped: 'no edit' };
  let fixed: string;
  try {
    fixed = applyLineEdits(ctx.source, proposal.edits);
  } catch (err) {
    return { fix: { verified: false, title: proposal.title, reason: `the edit does not apply: ${err instanceof Error ? err.message : String(err)}` } };
  }
  if (fixed === ctx.source) return { fixSkipped: 'the edit changes nothing' };
  let again: Rereview;
  try {
    again = input.rereview(fixed);
  } catch (err) {
    return { fix: { verified: false, title: proposal.title, reason: `the fixed file could not be reviewed: ${err instanceof Error ? err.message : String(err)}` } };
  }
  const why = verdict(input.postFindings, again, raw, input.postErrors());
  if (why) return { fix: { verified: false, title: proposal.title, reason: why } };
  const fix: FindingFix = { verified: true, title: proposal.title, diff: unifiedDiff(ctx.path, ctx.source, fixed), edits: proposal.edits };
  return { fix };
}

// ---------------------------------------------------------------------------------------------
// Text helpers for fix builders

/**
 * A line without its comments (block comments closed on the line, `//` to its end) and with string
 * and character literals emptied: what braces and semicolons of the code are read from. A scan,
 * not a regex (patches are hostile input: no backtracking).
 */
export function codeOf(line: string): string {
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '/' && line[i + 1] === '/') break;
    if (c === '/' && line[i + 1] === '*') {
      const end = line.indexOf('*/', i + 2);
      if (end < 0) break;
      i = end + 1;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < line.length && line[j] !== c) j += line[j] === '\\' ? 2 : 1;
      out += `${c}${c}`;
      i = j;
      continue;
    }
    out += c;
  }
  return out;
}

/** Line `n` (1-based) of a source, '' past the end. */
export function lineAt(source: string, n: number): string {
  return splitLines(source).lines[n - 1] ?? '';
}

export function indentOf(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}

/**
 * One indentation step as the file writes it: a tab in kernel style, else the most common
 * difference between a line and the next more indented one.
 */
export function indentUnit(source: string): string {
  const { lines } = splitLines(source);
  let tabs = 0;
  let spaces = 0;
  for (const l of lines) {
    if (l.startsWith('\t')) tabs++;
    else if (l.startsWith('    ')) spaces++;
  }
  if (tabs >= spaces) return '\t';
  const widths = new Map<number, number>();
  for (let i = 1; i < lines.length; i++) {
    const d = indentOf(lines[i]!).length - indentOf(lines[i - 1]!).length;
    if (d > 0 && d <= 8) widths.set(d, (widths.get(d) ?? 0) + 1);
  }
  const best = [...widths].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 8;
  return ' '.repeat(best);
}

/** The indentation of the statements directly in a function's body. */
export function bodyIndent(source: string, fn: FunctionFacts): string {
  const { lines } = splitLines(source);
  for (let n = fn.startLine + 1; n < fn.endLine; n++) {
    const l = lines[n - 1] ?? '';
    if (!l.trim() || /^\s*[{}]\s*$/.test(l) || /^\w+:/.test(l) || /^\s*(\/\*|\*|\/\/|#)/.test(l)) continue;
    return indentOf(l);
  }
  return indentUnit(source);
}

/** The line of a function's closing brace. */
export function closingBraceLine(source: string, fn: FunctionFacts): number | undefined {
  const { lines } = splitLines(source);
  for (let n = fn.endLine; n >= fn.startLine; n--) if (/}\s*$/.test(codeOf(lines[n - 1] ?? ''))) return n;
  return undefined;
}

/**
 * The line where a statement that must run last in a function goes: before a final `return`
 * (and the labels/blank lines just above it belong to what precedes), else before the closing brace.
 */
export function endOfBody(source: string, fn: FunctionFacts): number | undefined {
  const { lines } = splitLines(source);
  const close = closingBraceLine(source, fn);
  if (!close) return undefined;
  const prev = close - 1;
  if (prev > fn.startLine && /^\s*return\b[^;]*;\s*$/.test(lines[prev - 1] ?? '') && !/^\s*return\s*;/.test(lines[prev - 1] ?? '')) return prev;
  return close;
}

/** The function of a file by name. */
export function functionNamed(facts: FileFacts, name: string | undefined): FunctionFacts | undefined {
  return name ? facts.functions.find((f) => f.name === name && !f.hasError) : undefined;
}

/** The first line of the statement holding a call site (a call may continue lines below where it starts). */
export function statementStart(source: string, line: number): number {
  const { lines } = splitLines(source);
  let n = line;
  // A call written on the line after `ret =` or inside a wrapped condition: walk up while the
  // previous line does not end a statement or open a block.
  while (n > 1) {
    const prev = codeOf(lines[n - 2] ?? '').trimEnd();
    if (!prev || /[;{}:]$/.test(prev) || /^\s*#/.test(prev)) break;
    n--;
  }
  return n;
}

/** The last line of the statement starting at `line` (up to its `;`). */
export function statementEnd(source: string, line: number): number {
  const { lines } = splitLines(source);
  let depth = 0;
  for (let n = line; n <= lines.length; n++) {
    const l = codeOf(lines[n - 1] ?? '');
    for (const ch of l) {
      if (ch === '(') depth++;
      else if (ch === ')') depth--;
    }
    if (depth <= 0 && /;\s*$/.test(l)) return n;
  }
  return line;
}

/** An insertion of statements before `line`, each indented like `indent`. */
export function insertStatements(line: number, indent: string, stmts: readonly string[]): LineEdit {
  return { line, deleteCount: 0, insert: stmts.map((s) => `${indent}${s}`) };
}

/**
 * Where line `n` of the pre-image would stand in the post-image: the post line it would go
 * before, by aligning the two images line by line (the patch's own change). Undefined when line
 * `n` is still there, or when the patch put other lines in its place (a rewrite, not a removal:
 * putting the old line back among the new ones would mix two versions of the code).
 */
export function postPositionOf(before: string, after: string, n: number): number | undefined {
  const a = splitLines(before).lines;
  const b = splitLines(after).lines;
  let oldIdx = 0;
  let newIdx = 0;
  const parts = diffArrays(a, b);
  for (const [i, part] of parts.entries()) {
    const len = part.count ?? part.value.length;
    if (part.added) newIdx += len;
    else if (part.removed) {
      if (n - 1 >= oldIdx && n - 1 < oldIdx + len) return parts[i - 1]?.added || parts[i + 1]?.added ? undefined : newIdx + 1;
      oldIdx += len;
    } else {
      if (n - 1 >= oldIdx && n - 1 < oldIdx + len) return undefined;
      oldIdx += len;
      newIdx += len;
    }
  }
  return undefined;
}

/** Put pre-image lines `from..to` the patch removed back where they stood, as they were written. */
export function restoreLines(before: string, after: string, from: number, to = from): LineEdit | undefined {
  const at = postPositionOf(before, after, from);
  if (at === undefined) return undefined;
  const pre = splitLines(before).lines;
  // It must go back into the same block nesting: a release that sat in a braced failure branch
  // whose braces the patch dropped would otherwise land after a lone `if`, run unconditionally.
  if (braceDepth(pre, from) !== braceDepth(splitLines(after).lines, at)) return undefined;
  return { line: at, deleteCount: 0, insert: pre.slice(from - 1, to) };
}

/** Braces open before line `n` (comments and literals on a line not counted). */
function braceDepth(lines: readonly string[], n: number): number {
  let depth = 0;
  for (let i = 0; i < n - 1 && i < lines.length; i++) {
    for (const ch of codeOf(lines[i]!)) {
      if (ch === '{') depth++;
      else if (ch === '}') depth--;
    }
  }
  return depth;
}

/** Status variables init code keeps an errno in. */
const STATUS = ['ret', 'err', 'error', 'rc', 'retval', 'status', 'result', 'res', 'rv', 'r'];

/** The status variable a function declares (`int ret;`, `int i, err = 0;`), if any. */
function statusVariable(lines: readonly string[]): string | undefined {
  for (const l of lines) {
    const m = /^\s*(?:int|long)\s([^;]*);/.exec(codeOf(l));
    if (!m) continue;
    for (const part of m[1]!.split(',')) {
      const name = part.split('=')[0]!.replace(/[\s*]/g, '');
      if (STATUS.includes(name)) return name;
    }
  }
  return undefined;
}

/** The line holding the `{` that opens the block around `line` (comments and strings not counted). */
function enclosingOpen(lines: readonly string[], line: number, floor: number): number {
  let depth = 0;
  for (let n = line - 1; n >= floor; n--) {
    const l = codeOf(lines[n - 1] ?? '');
    for (let i = l.length - 1; i >= 0; i--) {
      if (l[i] === '}') depth++;
      else if (l[i] === '{') {
        if (depth === 0) return n;
        depth--;
      }
    }
  }
  return floor;
}

/**
 * Before a failure `return`: inline when it sits in a failure branch (braces added around a lone
 * `if (...) return ...;`). A return at the function's own level is also its success path: the
 * release goes into a new `if (status)` branch, the status taken from the call it returned.
 */
export function releaseBeforeReturn(source: string, fn: FunctionFacts, ret: number, stmt: string): LineEdit[] | undefined {
  const { lines } = splitLines(source);
  const text = lines[ret - 1] ?? '';
  if (!/^\s*return\b/.test(text)) return undefined;
  const end = statementEnd(source, ret);
  const ind = indentOf(text);
  const unit = indentUnit(source);
  // The line above: a brace-less `if (...)` / `else` owning just this return?
  let up = ret - 1;
  while (up > 0 && !(lines[up - 1] ?? '').trim()) up--;
  const above = codeOf(lines[up - 1] ?? '').trimEnd();
  if (above && !/[;{}:]$/.test(above)) {
    const head = statementStart(source, up);
    const headText = lines[head - 1] ?? '';
    if (!/^\s*(\}\s*)?(if\b|else\b)/.test(headText) || !/\)\s*$|else\s*$/.test(above)) return undefined;
    return [
      { line: up, deleteCount: 1, insert: [`${lines[up - 1]!.trimEnd()} {`] },
      { line: ret, deleteCount: end - ret + 1, insert: [`${ind}${stmt}`, ...lines.slice(ret - 1, end), `${indentOf(headText)}}`] },
    ];
  }
  // The body's own brace: the first `{` from the definition's first line (`static int __init\nfoo(void)\n{`).
  const bodyOpen = lines.slice(fn.startLine - 1, fn.endLine).findIndex((l) => codeOf(l).includes('{')) + fn.startLine;
  const open = enclosingOpen(lines, ret, fn.startLine);
  const expr = lines.slice(ret - 1, end).join('\n').replace(/^\s*return\s*/, '').replace(/;\s*$/, '').trim();
  if (open > bodyOpen) {
    // Inside a block: only a failure branch (`if (...) {`, `} else {`, or `{` under an `if (...)`) takes the release inline.
    const head = codeOf(lines[open - 1] ?? '');
    const under = /^\s*\{\s*$/.test(head) ? codeOf(lines[open - 2] ?? '') : '';
    const branch = /^\s*(\}\s*)?(if|else)\b/.test(head) || /^\s*(\}\s*)?(if|else)\b/.test(under);
    return branch ? [{ line: ret, deleteCount: 0, insert: [`${ind}${stmt}`] }] : undefined;
  }
  // At the function's own level: only an errno constant is a failure return and nothing else.
  if (/^-\s*E[A-Z0-9]+$/.test(expr)) return [{ line: ret, deleteCount: 0, insert: [`${ind}${stmt}`] }];
  const body = lines.slice(fn.startLine - 1, fn.endLine).join('\n');
  let v: string;
  let assign: string[] = [];
  if (/^[A-Za-z_]\w*$/.test(expr)) v = expr;
  else if (/^[A-Za-z_]\w*\s*\(/.test(expr)) {
    const st = statusVariable(lines.slice(fn.startLine - 1, fn.endLine));
    v = st ?? 'ret';
    const call = lines.slice(ret - 1, end);
    call[0] = call[0]!.replace(/^(\s*)return\s+/, `$1${v} = `);
    assign = call;
    if (!st) {
      // No status variable yet: declared first in the body, with the blank line kernel style
      // puts after declarations (none when the body opens with declarations already).
      if (/\bret\b/.test(body)) return undefined;
      const open = lines.slice(fn.startLine - 1, fn.endLine).findIndex((l) => /\{\s*$/.test(l)) + fn.startLine;
      const first = codeOf(lines[open] ?? '');
      const decl = /^\s*(?:static|const|unsigned|struct|int|long|char|bool|u8|u16|u32|u64|size_t)\b/.test(first) && !first.includes('(') && first.trimEnd().endsWith(';');
      return [
        { line: open + 1, deleteCount: 0, insert: decl ? [`${ind}int ${v};`] : [`${ind}int ${v};`, ''] },
        { line: ret, deleteCount: end - ret + 1, insert: [...assign, `${ind}if (${v}) {`, `${ind}${unit}${stmt}`, `${ind}${unit}return ${v};`, `${ind}}`, '', `${ind}return 0;`] },
      ];
    }
  } else return undefined;
  return [
    {
      line: ret,
      deleteCount: end - ret + 1,
      insert: [...assign, `${ind}if (${v}) {`, `${ind}${unit}${stmt}`, `${ind}${unit}return ${v};`, `${ind}}`, '', `${ind}return 0;`],
    },
  ];
}

