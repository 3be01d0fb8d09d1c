// Lexical helpers over C text. Macro-level facts (module_init(x), EXPORT_SYMBOL(x),
// DEFINE_SHOW_ATTRIBUTE(x)) are read lexically because they sit at file scope where a grammar
// without the preprocessor may attach them to the wrong construct.
import { createHash } from 'node:crypto';
import { memoLast } from '../lru.js';

/** git's blob id of a text: `git hash-object`, the id `index` lines in patches name. */
export function gitBlobId(text: string): string {
  const body = Buffer.from(text, 'utf8');
  return createHash('sha1').update(`blob ${body.length}\0`).update(body).digest('hex');
}

/**
 * Overwrite comments and string/char literal contents with spaces (newlines kept), so regexes
 * over code never match inside them. Same length as the input. Several analyses ask for the same
 * image's code in one review: the last few answers are kept.
 */
export const blankCommentsAndStrings: (src: string) => string = memoLast(8, blankScan);

const NOT_NL = /[^\n]/g;

function blankScan(src: string): string {
  const parts: string[] = [];
  const n = src.length;
  let kept = 0;
  // Copy code as slices and replace each comment or literal body by blanks in one go.
  const blank = (from: number, to: number) => {
    const stop = Math.min(to, n);
    if (stop <= from) return;
    parts.push(src.slice(kept, from), src.slice(from, stop).replace(NOT_NL, ' '));
    kept = stop;
  };
  let i = 0;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 0x2f /* / */ && src.charCodeAt(i + 1) === 0x2a /* * */) {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      blank(i, stop);
      i = stop;
    } else if (c === 0x2f && src.charCodeAt(i + 1) === 0x2f) {
      let end = src.indexOf('\n', i);
      if (end < 0) end = n;
      blank(i, end);
      i = end;
    } else if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
      let j = i + 1;
      while (j < n) {
        const d = src.charCodeAt(j);
        if (d === c || d === 0x0a) break;
        j += d === 0x5c /* \\ */ ? 2 : 1;
      }
      blank(i + 1, j);
      i = j + 1;
    } else {
      i++;
    }
  }
  if (!parts.length) return src;
  parts.push(src.slice(kept));
  return parts.join('');
}

/** Offsets where each line starts (index 0: line 1). */
export function lineStarts(src: string): number[] {
  const out = [0];
  for (let i = src.indexOf('\n'); i >= 0; i = src.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

/** 1-based line number of each offset, via a precomputed table of line starts. */
export function lineIndex(src: string): (offset: number) => number {
  const starts = lineStarts(src);
  return (offset: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** Collapse runs of whitespace: texts of arguments and expressions compare stably. */
export function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** `&foo_driver`, `( & foo )`, `foo` → `foo`: the identity of a resource argument. */
export function resourceIdentity(arg: string): string {
  return squash(arg)
    .replace(POINTER_CAST, '')
    .replace(/^\(+|(?<!\))\)+$/g, '')
    .trim()
    .replace(/^&\s*/, '')
    .replace(/\s+/g, '');
}

/** First identifier of an identity (`foo_wq`, `priv` of `priv->wq`, `tbl` of `tbl[i].x`). */
export const baseName = (id: string): string => /^[A-Za-z_]\w*/.exec(id)?.[0] ?? '';

/** A call by callee and argument identities (`kfree(p)`, `register_x(foo_driver)`): a key for "the same call". */
export function callIdentity(c: { callee: string; args: readonly string[] }): string {
  return `${c.callee}(${c.args.map(resourceIdentity).join(',')})`;
}

/** `text` as a regular expression that matches it literally. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A leading pointer cast, `(struct acpi_table_header **)&erst_tab`: the object is what follows
 * it (acpi_put_table(erst_tab) releases it), and the cast's parenthesis is not the argument's.
 */
const POINTER_CAST = /^\(\s*(?:const\s+)?(?:(?:struct|union|enum)\s+)?\w+\s*\*+\s*\)\s*/;

/** The source text of a function (its lines in `source`). */
export function functionText(source: string, fn: { startLine: number; endLine: number }): string {
  return source
    .split('\n')
    .slice(fn.startLine - 1, fn.endLine)
    .join('\n');
}
