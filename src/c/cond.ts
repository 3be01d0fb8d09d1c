// The one set of helpers for conditions and expressions as the statement IR keeps them (source
// text): splitting at top-level operators and commas, stripping parentheses, the identifiers an
// expression names, and whether a condition reads as "something failed".
import { escapeRegExp } from './lex.js';

/** `(`/`[`/`{` nesting-aware split of `text` at top-level `sep` (argument lists, declarators). */
export function splitTopLevel(text: string, sep = ','): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === sep && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  const last = text.slice(start);
  if (last.trim() !== '' || parts.length) parts.push(last);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** `((x))` → `x` when the outer parentheses enclose the whole expression. */
export function stripParens(expr: string): string {
  let e = expr.trim();
  for (;;) {
    if (!e.startsWith('(') || !e.endsWith(')')) return e;
    let depth = 0;
    let whole = true;
    for (let i = 0; i < e.length; i++) {
      if (e[i] === '(') depth++;
      else if (e[i] === ')') depth--;
      if (depth === 0 && i < e.length - 1) {
        whole = false;
        break;
      }
    }
    if (!whole) return e;
    e = e.slice(1, -1).trim();
  }
}

/** Top-level `&&`/`||` parts of a condition and the operator joining them ('' for one part, '?' mixed). */
export function logicalParts(cond: string): { parts: string[]; op: '' | '&&' | '||' | '?' } {
  const c = stripParens(normCond(cond));
  const parts: string[] = [];
  let op: '' | '&&' | '||' | '?' = '';
  let depth = 0;
  let start = 0;
  for (let i = 0; i < c.length; i++) {
    const ch = c[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && (c.startsWith('&&', i) || c.startsWith('||', i))) {
      const o = c.slice(i, i + 2) as '&&' | '||';
      op = op && op !== o ? '?' : o;
      parts.push(c.slice(start, i));
      start = i + 2;
      i++;
    }
  }
  parts.push(c.slice(start));
  return { parts: parts.map(stripParens).filter(Boolean), op };
}

/** `a || b && (c || d)` split at top-level `op`, respecting parentheses. */
export function splitTop(expr: string, op: '||' | '&&'): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && expr.startsWith(op, i)) {
      out.push(expr.slice(start, i));
      start = i + op.length;
      i += op.length - 1;
    }
  }
  out.push(expr.slice(start));
  return out.map(stripParens);
}

/** A condition without `likely()`/`unlikely()` wrappers and without whitespace. */
export const normCond = (c: string): string => c.replace(/\b(unlikely|likely)\s*\(/g, '(').replace(/\s+/g, '');

/** Identifiers in an expression, string and character literals removed. */
export function identifiersOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/'(?:[^'\\]|\\.)*'/g, ' ')
    // Blanks next to `->` and `.` go: those before one, then those after one (one regex with a
    // blank run on both sides was tried from every blank of a run that precedes no member access).
    .replace(/(?<!\s)\s+(?=->|\.)/g, '')
    .replace(/(->|\.)\s+/g, '$1');
  // Member names (`.type`, `->name`) are not identifiers of their own.
  return [...bare.matchAll(/(?<![\w.]|->)\b([A-Za-z_]\w*)\b/g)].map((m) => m[1]!);
}

/** Conditions that read as "something failed" (the branch they guard is an error path). */
export function looksLikeFailureTest(cond: string): boolean {
  const { parts, op } = logicalParts(cond);
  // `ret < 0 && ret != -EACCES`, `IS_ERR(p) || !p->ops`: a part that tests an error code or pointer.
  if (parts.length > 1 && op !== '?') return parts.some((p) => failurePart(p, false));
  return failurePart(stripParens(normCond(cond)), true);
}

/** A status variable's failure (`ret`, `err < 0`, `rc != 0`), normalised; not its `!ret` success. */
const STATUS_FAILURE = /^\(*(ret|err|error|rc|r|rv|retval|status|result|res|rets)\)*(<0|!=0)?$/;

/** Does the condition test only a status variable's failure (`if (ret < 0)`, `if (err)`)? */
export function statusFailureTest(cond: string): boolean {
  return STATUS_FAILURE.test(stripParens(normCond(cond)));
}

function failurePart(c: string, alone: boolean): boolean {
  if (!alone && /^!\(*[\w.>-]+\)*$/.test(c)) return false;
  return (
    STATUS_FAILURE.test(c) ||
    /^!\(*[\w.>-]+\)*$/.test(c) ||
    (/IS_ERR(_OR_NULL)?\(/.test(c) && !c.startsWith('!')) ||
    /<0\)*$/.test(c) ||
    /==NULL\)*$/.test(c) ||
    /^WARN_ON(_ONCE)?\(/.test(c) ||
    /^ACPI_FAILURE\(/.test(c) ||
    // (a DMA mapping that failed: `if (dma_mapping_error(dev, addr))`)
    (/^(dma|pci_dma)_mapping_error\(|^IS_ERR_VALUE\(/.test(c) && alone) ||
    // (a call's result that is not 0: `if (register_tracer(&blk_tracer) != 0)`, init_blk_tracer())
    (/^\w+\(.*\)!=0$/.test(c) && alone)
  );
}

/**
 * The index a counting `for` loop steps (`for (i = 0; i < n; i++)` -> `i`), from the loop's
 * header as the statement IR keeps it (initializer; condition; update).
 */
export function loopIndex(header: string): string | undefined {
  const parts = header.split('; ');
  if (parts.length !== 3) return undefined;
  const m = /^(?:([A-Za-z_]\w*)\s*(?:\+\+|--|[+-]=)|(?:\+\+|--)\s*([A-Za-z_]\w*))/.exec(parts[2]!.trim());
  return m?.[1] ?? m?.[2];
}

/**
 * Does a cleanup loop's header visit only the turns before index `v`, never `v` itself?
 * `while (i--)`, `while (--i >= 0)`, `for (i--; i >= 0; i--)`, `for (j = i - 1; j >= 0; j--)` and
 * `for (j = 0; j < i; j++)` do; `for (; i >= 0; i--)` and `for (j = 0; j <= i; j++)` do not.
 */
export function visitsBeforeIndexOnly(header: string, v: string): boolean {
  const w = escapeRegExp(v);
  const dec = new RegExp(`\\b${w}\\s*--|--\\s*${w}\\b`);
  const parts = header.split('; ');
  if (parts.length === 1) return dec.test(header);
  if (parts.length !== 3) return false;
  const [init, cond] = [parts[0]!.trim(), parts[1]!.trim()];
  if (new RegExp(`^(?:${w}\\s*--|--\\s*${w}\\b)|=\\s*${w}\\s*-\\s*1\\b`).test(init) || dec.test(cond)) return true;
  return new RegExp(`^\\(*[A-Za-z_]\\w*\\s*<\\s*${w}\\)*$`).test(cond);
}
