// The lexical pre-pass of the tree index: what every `.c` file defines, calls and registers,
// read without a parser, at a few hundred MB/s. It decides what tree-sitter must parse (see
// docs/INDEX.md) and supplies the rows of the files it does not parse.
//
// It works on bytes (a Buffer read latin1, one char per byte), so offsets are byte offsets and
// lines are the file's lines whatever its encoding.
//
// Everything it returns is a superset where a superset is safe: `cands` (the callees a function
// may return the result of) holds every call in a `return` statement or on the right of a plain
// `=`, where the extractor (src/c/facts.ts) records only the calls whose value reaches a return.
// A function the pre-pass cannot see is the one loss (a definition hidden by macros); such
// functions are missing from the index exactly as they would be if tree-sitter misread them.
import { moduleEntriesOf } from '../c/entries.js';

/** A function definition as read lexically. */
export interface LexFunction {
  name: string;
  /** 1-based lines of the header start and the closing brace. */
  line: number;
  endLine: number;
  isStatic: boolean;
  section: 'init' | 'exit' | null;
  /** Byte range of the whole definition (header start to closing brace, inclusive). */
  start: number;
  end: number;
  /** Distinct names called by identifier (`foo(`), in order of first call. */
  calls: string[];
  /** Line of the first call of each name in `calls`. */
  callLines: number[];
  /** Names whose result the function may return (superset, see above). */
  cands: string[];
}

export interface LexEntry {
  kind: 'init' | 'exit';
  fn: string;
  line: number;
  macro: string;
  driver?: string;
}

export interface LexFile {
  functions: LexFunction[];
  entries: LexEntry[];
  exports: string[];
  /** The file is part of a module (what FileFacts.modular means). */
  modular: boolean;
  /** Calls `register_module_notifier(`: its notifier_block initialisers matter (parsed whole). */
  notifier: boolean;
  /** Byte ranges at file scope that are not functions and hold braces (initialisers, type bodies). */
  braces: [number, number][];
  /** File-scope objects defined in init memory (`__initdata`, `__initconst`). */
  initData: LexInitData[];
}

/** `unsigned int smp_max_threads __initdata = UINT_MAX;` */
export interface LexInitData {
  name: string;
  line: number;
  isStatic: boolean;
}

const SP = 0x20;
const NL = 0x0a;

/**
 * Blank comments and string/char literal contents to spaces, newlines kept; the same rules as
 * blankCommentsAndStrings in src/c/lex.ts (strings stop at a newline), on bytes. With `pre`,
 * preprocessor lines (and their `\` continuations) are blanked too.
 */
export function blankBytes(src: Buffer, pre: boolean): Buffer {
  const out = Buffer.from(src);
  const n = src.length;
  // Jump from one `/`, `"` or `'` to the next with memchr (Buffer.indexOf) instead of a byte loop.
  let nSlash = src.indexOf(0x2f);
  let nDq = src.indexOf(0x22);
  let nSq = src.indexOf(0x27);
  let i = 0;
  for (;;) {
    if (nSlash >= 0 && nSlash < i) nSlash = src.indexOf(0x2f, i);
    if (nDq >= 0 && nDq < i) nDq = src.indexOf(0x22, i);
    if (nSq >= 0 && nSq < i) nSq = src.indexOf(0x27, i);
    let at = n;
    if (nSlash >= 0) at = nSlash;
    if (nDq >= 0 && nDq < at) at = nDq;
    if (nSq >= 0 && nSq < at) at = nSq;
    if (at >= n) break;
    i = at;
    const c = src[i]!;
    if (c === 0x2f /* / */) {
      const d = src[i + 1];
      if (d === 0x2a /* * */) {
        const e = src.indexOf('*/', i + 2, 'latin1');
        const stop = e < 0 ? n : e + 2;
        blankRange(src, out, i, stop);
        i = stop;
      } else if (d === 0x2f) {
        let e = src.indexOf(NL, i);
        if (e < 0) e = n;
        out.fill(SP, i, e);
        i = e;
      } else i++;
      continue;
    }
    // A string or char literal: its contents, up to the closing quote or the end of the line.
    let j = i + 1;
    while (j < n && src[j] !== c && src[j] !== NL) j += src[j] === 0x5c /* \ */ ? 2 : 1;
    if (j > n) j = n;
    blankRange(src, out, i + 1, j);
    i = j + 1;
  }
  if (pre) blankDirectives(src, out);
  return out;
}

/** Spaces over [from, to) of `out`, newlines of `src` kept. */
function blankRange(src: Buffer, out: Buffer, from: number, to: number): void {
  if (to <= from) return;
  out.fill(SP, from, to);
  for (let p = src.indexOf(NL, from); p >= 0 && p < to; p = src.indexOf(NL, p + 1)) out[p] = NL;
}

/**
 * Blank preprocessor lines (a `#` first on its line, with `\` continuations) in `out`, whose
 * comments and strings are blanked already; continuations are read from the original.
 */
function blankDirectives(src: Buffer, out: Buffer): void {
  const n = out.length;
  for (let p = out.indexOf(0x23); p >= 0 && p < n; p = out.indexOf(0x23, p + 1)) {
    let b = p - 1;
    while (b >= 0 && (out[b] === SP || out[b] === 0x09)) b--;
    if (b >= 0 && out[b] !== NL) continue;
    let j = p;
    while (j < n) {
      if (out[j] === NL) {
        let e = j - 1;
        while (e > p && (src[e] === SP || src[e] === 0x09 || src[e] === 0x0d)) e--;
        if (src[e] !== 0x5c) break;
      } else out[j] = SP;
      j++;
    }
    p = j;
  }
}

/** Offsets of line starts: line of an offset by binary search. */
export function lineStarts(buf: Buffer): Int32Array {
  let count = 1;
  for (let p = buf.indexOf(NL); p >= 0; p = buf.indexOf(NL, p + 1)) count++;
  const out = new Int32Array(count);
  let k = 1;
  for (let p = buf.indexOf(NL); p >= 0; p = buf.indexOf(NL, p + 1)) out[k++] = p + 1;
  return out;
}

export function lineAt(starts: Int32Array, offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

// ----------------------------------------------------------------- module entries and exports
// The same regexes as src/c/facts.ts (moduleEntriesOf, exportedNames), over the same text
// (comments and strings blanked, preprocessor lines kept), so the lexical entries of a file the
// index does not parse are the entries the extractor would give.

const EXPORT = /\bEXPORT_SYMBOL(?:_GPL|_NS|_NS_GPL|_GPL_FOR_MODULES)?\s*\(\s*([A-Za-z_]\w*)/g;

/** Module entries and modularity exactly as the facts extractor reads them (src/c/facts.ts). */
export function entriesOf(code: string, starts: Int32Array): { entries: LexEntry[]; modular: boolean } {
  // Most files have neither: skip the scan (the extractor's regex would find nothing).
  if (!code.includes('module_') && !code.includes('initcall')) return { entries: [], modular: code.includes('MODULE_') && /\bMODULE_(LICENSE|AUTHOR|DESCRIPTION)\s*\(/.test(code) };
  return moduleEntriesOf(code, (o) => lineAt(starts, o));
}

function exportsOf(code: string): string[] {
  if (!code.includes('EXPORT_SYMBOL')) return [];
  const out = new Set<string>();
  EXPORT.lastIndex = 0;
  for (let m = EXPORT.exec(code); m; m = EXPORT.exec(code)) out.add(m[1]!);
  return [...out];
}

// --------------------------------------------------------------------------------- functions

/** Words followed by `(` that are not calls. */
const NOT_CALLS = new Set([
  'if', 'for', 'while', 'switch', 'return', 'sizeof', 'typeof', '__typeof__', '__typeof', 'typeof_unqual', 'alignof', '__alignof__',
  '_Alignof', '_Static_assert', 'static_assert', '_Generic', 'asm', '__asm__', '__asm', 'volatile', '__volatile__', 'defined',
  'case', 'do', 'else', 'goto', '__attribute__', '__attribute', 'int', 'long', 'char', 'void', 'unsigned', 'signed', 'short',
]);

const isIdStart = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
const isId = (c: number) => isIdStart(c) || (c >= 0x30 && c <= 0x39);
const isSpace = (c: number) => c === SP || c === NL || c === 0x09 || c === 0x0d || c === 0x0c || c === 0x0b;

/** Attribute-like words that may stand between a parameter list and the body. */
const TRAILING_ATTR = /^(?:__\w+|[A-Z_][A-Z0-9_]*)$/;

const SECTION_INIT = /\b__init\b|\b__initcall\b/;
const SECTION_EXIT = /\b__exit\b/;
const STATIC = /\bstatic\b/;

/** `(` matching the `)` at `close`, scanning back; -1 when unbalanced. */
function openParen(code: string, close: number, floor: number): number {
  let depth = 0;
  for (let i = close; i >= floor; i--) {
    const c = code.charCodeAt(i);
    if (c === 0x29) depth++;
    else if (c === 0x28 && --depth === 0) return i;
  }
  return -1;
}

function skipSpace(code: string, i: number, limit: number): number {
  while (i < limit && isSpace(code.charCodeAt(i))) i++;
  return i;
}

/** `)` matching the `(` at `open`, scanning forward; -1 when unbalanced before `limit`. */
function closeParen(code: string, open: number, limit: number): number {
  let depth = 0;
  for (let i = open; i < limit; i++) {
    const c = code.charCodeAt(i);
    if (c === 0x28) depth++;
    else if (c === 0x29 && --depth === 0) return i;
  }
  return -1;
}

const LEADING_MACRO = /^[A-Za-z_]\w*[ \t]*\(/;

function prevNonSpace(code: string, i: number, floor: number): number {
  while (i >= floor && isSpace(code.charCodeAt(i))) i--;
  return i;
}

/** The identifier ending at `end` (inclusive), or '' — and its start offset. */
function identBefore(code: string, end: number, floor: number): [string, number] {
  const e = prevNonSpace(code, end, floor);
  let s = e;
  while (s >= floor && isId(code.charCodeAt(s))) s--;
  if (s === e || !isIdStart(code.charCodeAt(s + 1))) return ['', e];
  return [code.slice(s + 1, e + 1), s + 1];
}

/**
 * The function a `{` at file scope opens, if the text before it (from `from`) is a function
 * header: `... name(params) [attributes] {`. Returns its name and where the name's `(` is.
 */
function headerName(code: string, brace: number, from: number): { name: string; paren: number } | null {
  let j = prevNonSpace(code, brace - 1, from);
  for (let guard = 0; guard < 4; guard++) {
    if (j < from) return null;
    const c = code.charCodeAt(j);
    if (c === 0x29) {
      const open = openParen(code, j, from);
      if (open < 0) return null;
      const [name, at] = identBefore(code, open - 1, from);
      if (!name) return null;
      // `) __acquires(x) {`: an annotation after the parameter list; the header is before it.
      const before = prevNonSpace(code, at - 1, from);
      if (TRAILING_ATTR.test(name) && before >= from && code.charCodeAt(before) === 0x29) {
        j = before;
        continue;
      }
      if (/^[A-Z_][A-Z0-9_]*$/.test(name) && name.length >= 3 && prevNonSpace(code, at - 1, from) < from) {
        // `SYSCALL_DEFINE3(open, ...) {`, `BPF_CALL_2(x, ...)` opening the statement: the
        // extractor (preprocess.ts, file-scope rule c) names the function after the first argument.
        const m = /^\(\s*([A-Za-z_]\w*)\s*[,)]/.exec(code.slice(open, Math.min(open + 200, j + 1)));
        return m ? { name: m[1]!, paren: open } : null;
      }
      if (NOT_CALLS.has(name)) return null;
      return { name, paren: open };
    }
    if (isId(c)) {
      // `) __releases(x) __must_hold(y)`-free case: a bare attribute word (`) __cold {`).
      const [word, at] = identBefore(code, j, from);
      if (!TRAILING_ATTR.test(word)) return null;
      j = prevNonSpace(code, at - 1, from);
      continue;
    }
    return null;
  }
  return null;
}

/**
 * Calls and return candidates of a body. One pass finds the calls, the `return` expressions and
 * the plain assignments `v = ...` (statements split at `;`, `{`, `}`); then the candidates are
 * the calls in return expressions, plus the calls on the right of an assignment to a name that a
 * return expression (or such an assignment, transitively) mentions. That is a superset of the
 * extractor's propagation (valueOrigins in src/c/facts.ts follows returned locals through their
 * `=` assignments), without counting `p = kmalloc(...)` that never reaches a return.
 */
function bodyCalls(code: string, open: number, starts: Int32Array, fn: LexFunction): number {
  const calls = new Map<string, number>();
  const n = code.length;
  let depth = 1;
  let end = n - 1;
  /** Return expressions and assignment right-hand sides: [from, to) once their statement ends. */
  const returns: number[] = [];
  const assigns = new Map<string, number[]>();
  // Open in the current statement: where each starts, and the assigned name ('' for a return).
  const openAt: number[] = [];
  const openLhs: string[] = [];
  const closeSegment = (at: number) => {
    if (!openAt.length) return;
    for (let k = 0; k < openAt.length; k++) {
      const lhs = openLhs[k]!;
      if (lhs === '') returns.push(openAt[k]!, at);
      else {
        const l = assigns.get(lhs);
        if (l) l.push(openAt[k]!, at);
        else assigns.set(lhs, [openAt[k]!, at]);
      }
    }
    openAt.length = 0;
    openLhs.length = 0;
  };
  let i = open + 1;
  while (i < n) {
    const c = code.charCodeAt(i);
    if (isIdStart(c)) {
      const s = i;
      i++;
      while (isId(code.charCodeAt(i))) i++;
      if (i - s === 6 && code.startsWith('return', s)) {
        openAt.push(i);
        openLhs.push('');
        continue;
      }
      let j = i;
      while (isSpace(code.charCodeAt(j))) j++;
      if (code.charCodeAt(j) === 0x28 /* ( */) {
        const name = code.slice(s, i);
        if (NOT_CALLS.has(name) || isMember(code, s)) continue;
        if (!calls.has(name)) calls.set(name, s);
      }
      continue;
    }
    if (c >= 0x30 && c <= 0x39) {
      // A number (`0x1f`, `10UL`): not an identifier.
      i++;
      while (isId(code.charCodeAt(i))) i++;
      continue;
    }
    if (c === 0x3b) closeSegment(i);
    else if (c === 0x7b) {
      closeSegment(i);
      depth++;
    } else if (c === 0x7d) {
      closeSegment(i);
      // Kernel style closes every function with a `}` in column 0: resynchronise there in case
      // `#if` branches left the braces unbalanced.
      if (--depth <= 0 || code.charCodeAt(i - 1) === NL) {
        end = i;
        break;
      }
    } else if (c === 0x3d /* = */) {
      const next = code.charCodeAt(i + 1);
      if (next === 0x3d) {
        i += 2;
        continue;
      }
      const prev = code.charCodeAt(i - 1);
      // `==`, `!=`, `<=`, `>=` and compound assignments are not a plain `=`.
      if (!(prev === 0x21 || prev === 0x3c || prev === 0x3e || prev === 0x2b || prev === 0x2d || prev === 0x2a || prev === 0x2f || prev === 0x25 || prev === 0x26 || prev === 0x7c || prev === 0x5e)) {
        const [lhs, at] = identBefore(code, i - 1, open);
        // `s->x = ...`, `a.b = ...` and `a[i] = ...` are not locals a return can name.
        if (lhs && !isMember(code, at)) {
          openAt.push(i + 1);
          openLhs.push(lhs);
        }
      }
    }
    i++;
  }
  closeSegment(end);
  for (const [name, at] of calls) {
    fn.calls.push(name);
    fn.callLines.push(lineAt(starts, at));
  }
  if (!returns.length) return end;
  const cands = new Set<string>();
  const named = new Set<string>();
  const todo: string[] = [];
  const scan = (from: number, to: number) => {
    let k = from;
    while (k < to) {
      const ch = code.charCodeAt(k);
      if (isIdStart(ch)) {
        const s0 = k;
        k++;
        while (isId(code.charCodeAt(k))) k++;
        if (isMember(code, s0)) continue;
        const name = code.slice(s0, k);
        let j = k;
        while (isSpace(code.charCodeAt(j))) j++;
        if (code.charCodeAt(j) === 0x28) {
          if (!NOT_CALLS.has(name)) cands.add(name);
        } else if (!named.has(name)) {
          named.add(name);
          todo.push(name);
        }
        continue;
      }
      if (ch >= 0x30 && ch <= 0x39) {
        k++;
        while (isId(code.charCodeAt(k))) k++;
        continue;
      }
      k++;
    }
  };
  for (let r = 0; r < returns.length; r += 2) scan(returns[r]!, returns[r + 1]!);
  while (todo.length) {
    const v = todo.pop()!;
    const ranges = assigns.get(v);
    if (ranges) for (let r = 0; r < ranges.length; r += 2) scan(ranges[r]!, ranges[r + 1]!);
  }
  fn.cands = [...cands];
  return end;
}

/** The identifier at `s` follows `.` or `->`: a member, not a function or a local. */
function isMember(code: string, s: number): boolean {
  let b = s - 1;
  while (b > 0 && (code.charCodeAt(b) === SP || code.charCodeAt(b) === 0x09)) b--;
  const ch = code.charCodeAt(b);
  return ch === 0x2e || (ch === 0x3e && code.charCodeAt(b - 1) === 0x2d);
}

/** The `}` closing the `{` at `open` (or a `}` in column 0). */
function braceEnd(code: string, open: number): number {
  let depth = 0;
  for (let k = open; k < code.length; k++) {
    const d = code.charCodeAt(k);
    if (d === 0x7b) depth++;
    else if (d === 0x7d && (--depth <= 0 || code.charCodeAt(k - 1) === NL)) return k;
  }
  return code.length - 1;
}

/** Function definitions at file scope, and the other brace constructs there. */
export function functionsOf(code: string, starts: Int32Array): { functions: LexFunction[]; braces: [number, number][] } {
  const functions: LexFunction[] = [];
  const braces: [number, number][] = [];
  const n = code.length;
  let stmtStart = 0;
  let i = 0;
  while (i < n) {
    const c = code.charCodeAt(i);
    if (c === 0x3b /* ; */) {
      stmtStart = i + 1;
      i++;
      continue;
    }
    if (c !== 0x7b /* { */) {
      i++;
      continue;
    }
    const h = headerName(code, i, stmtStart);
    let header: string | undefined;
    let s = stmtStart;
    if (h) {
      // The header starts at the first non-space after the previous statement.
      s = skipSpace(code, stmtStart, h.paren);
      // `__printf(4, 0)` or `DEFINE_FREE(...)` / `module_exit(x)` written without `;` on lines of
      // their own before the header: not part of it (the extractor blanks or closes them).
      for (let m = LEADING_MACRO.exec(code.slice(s, h.paren)); m; m = LEADING_MACRO.exec(code.slice(s, h.paren))) {
        const close = closeParen(code, s + m[0].length - 1, h.paren);
        if (close < 0) break;
        const next = skipSpace(code, close + 1, h.paren);
        if (next >= h.paren || !code.slice(close + 1, next).includes('\n')) break;
        s = next;
      }
      header = code.slice(s, h.paren);
      if (header.includes('=')) header = undefined;
    }
    if (h && header !== undefined) {
      const fn: LexFunction = {
        name: h.name,
        line: lineAt(starts, s),
        endLine: 0,
        isStatic: STATIC.test(header),
        section: SECTION_INIT.test(header) ? 'init' : SECTION_EXIT.test(header) ? 'exit' : null,
        start: s,
        end: 0,
        calls: [],
        callLines: [],
        cands: [],
      };
      fn.end = bodyCalls(code, i, starts, fn);
      fn.endLine = lineAt(starts, fn.end);
      functions.push(fn);
      i = fn.end + 1;
      stmtStart = i;
    } else {
      // An initialiser or a type body: to its end; `x = { ... };` runs on to its `;`.
      const end = braceEnd(code, i);
      braces.push([stmtStart, end]);
      i = end + 1;
    }
  }
  return { functions, braces };
}

const NOTIFIER = /\bregister_module_notifier\s*\(/;

/** The lexical summary of one file. */
export function lexFile(src: Buffer): LexFile {
  return lexFileWithCode(src).lex;
}

/** The summary and the text with comments and strings blanked (reducedSource takes both). */
export function lexFileWithCode(src: Buffer): { lex: LexFile; code: Buffer } {
  const starts = lineStarts(src);
  const blanked = blankBytes(src, false);
  const codeBuf = Buffer.from(blanked);
  const code = blanked.toString('latin1');
  const { entries, modular } = entriesOf(code, starts);
  const exports = exportsOf(code);
  blankDirectives(src, blanked);
  const bare = blanked.toString('latin1');
  const { functions, braces } = functionsOf(bare, starts);
  const initData = initDataOf(bare, starts, functions);
  return { lex: { functions, entries, exports, modular, notifier: code.includes('register_module_notifier') && NOTIFIER.test(code), braces, initData }, code: codeBuf };
}

// ------------------------------------------------------------------------ init-memory objects

const INIT_DATA = /\b__init(?:data|const)\b/g;
/** Attributes and macro words a declarator name is never: `__aligned(8)`, `__maybe_unused`, `__initdata`. */
const NOT_NAME =
  /^(?:__init(?:data|const)|__(?:maybe_|always_)?unused|__used|__aligned|__read_mostly|__ro_after_init|__section|__attribute__|__weak|__visible|__packed|_*cacheline_aligned\w*|__page_aligned\w*|__refdata|__percpu|__iomem|static|const|volatile|unsigned|signed|int|char|long|short|bool|struct|union|enum|extern)$/;

/**
 * File-scope objects placed in init memory, defined here (not `extern`): what a function of
 * another file must not read once init is over (the section mismatch modpost reports as a
 * reference to `.init.data`). The declarator's name is the last identifier before `=`/`;` once
 * array bounds and parenthesised attribute arguments are dropped.
 */
export function initDataOf(code: string, starts: Int32Array, functions: readonly LexFunction[]): LexInitData[] {
  if (!code.includes('__init')) return [];
  const out: LexInitData[] = [];
  const ends = new Set(functions.map((f) => f.end));
  let fi = 0;
  for (const m of code.matchAll(INIT_DATA)) {
    const at = m.index;
    while (fi < functions.length && functions[fi]!.end < at) fi++;
    if (fi < functions.length && functions[fi]!.start <= at) continue;
    // The declaration: from the end of the previous statement to its `=` or `;`.
    let from = at;
    for (;;) {
      while (from > 0 && !';}{'.includes(code[from - 1]!)) from--;
      // (a function's closing brace ends a statement; only a type body's runs on into its name)
      if (code[from - 1] !== '}' || ends.has(from - 1)) break;
      // `static struct { ... } bad_clone_list[] __initdata = {`: the type body is part of it.
      let depth = 0;
      let k = from - 1;
      for (; k >= 0; k--) {
        if (code[k] === '}') depth++;
        else if (code[k] === '{' && --depth === 0) break;
      }
      if (k <= 0) break;
      from = k;
    }
    let to = at;
    while (to < code.length && !'=;{'.includes(code[to]!)) to++;
    const decl = code.slice(from, to);
    if (/\bextern\b/.test(decl) || decl.slice(decl.lastIndexOf('}') + 1).includes(',')) continue;
    // `static __initdata DECLARE_COMPLETION(kthreadd_done);`: the macro's first argument.
    const isStatic = /\bstatic\b/.test(decl);
    const viaMacro = /\b(?:DECLARE|DEFINE)_\w+\s*\(\s*([A-Za-z_]\w*)/.exec(decl);
    if (viaMacro) {
      out.push({ name: viaMacro[1]!, line: lineAt(starts, from + viaMacro.index + viaMacro[0].length - viaMacro[1]!.length), isStatic });
      continue;
    }
    // `static int (*dss_output_drv_reg_funcs[])(void) __initdata`: a pointer declarator's name.
    const fnPointer = /\(\s*\*\s*([A-Za-z_]\w*)/.exec(decl.slice(decl.lastIndexOf('}') + 1));
    let bare = fnPointer ? fnPointer[1]! : decl.slice(decl.lastIndexOf('}') + 1).replace(/\[[^\][]*\]/g, ' ');
    for (let prev = ''; prev !== bare; ) {
      prev = bare;
      bare = bare.replace(/\([^()]*\)/g, ' ');
    }
    const words = bare.match(/[A-Za-z_]\w*/g) ?? [];
    const name = [...words].reverse().find((w) => !NOT_NAME.test(w));
    if (!name || (words.length < 2 && !fnPointer && !decl.includes('}')) || /^[A-Z_][A-Z0-9_]*$/.test(name)) continue;
    // (the line of the name, as the extractor gives it)
    let pos = -1;
    for (const w of decl.matchAll(new RegExp(`\\b${name}\\b`, 'g'))) pos = w.index;
    out.push({ name, line: lineAt(starts, from + Math.max(pos, 0)), isStatic });
  }
  return out;
}

// ------------------------------------------------------------------------ lifecycle reach

/** Same-file helper levels followed from init/exit functions (the rules follow two). */
export const LIFECYCLE_DEPTH = 3;

/**
 * What a file's module_init/module_exit (and initcall) paths reach by any call, lexically: the
 * functions of the same file (helpers, up to LIFECYCLE_DEPTH levels) and the names they call that
 * the file does not define (resolved to other files' definitions by the selection step). The
 * rules read exactly these functions across files (lifecycle.ts pathCalls, crossFileDefinition).
 */
export function lifecycleReach(lex: Pick<LexFile, 'functions' | 'entries'>): { local: string[]; remote: string[] } {
  if (!lex.entries.length) return { local: [], remote: [] };
  const byName = new Map<string, LexFunction[]>();
  for (const f of lex.functions) {
    const l = byName.get(f.name);
    if (l) l.push(f);
    else byName.set(f.name, [f]);
  }
  const depthOf = new Map<string, number>();
  const remote = new Set<string>();
  let frontier = [...new Set(lex.entries.map((e) => e.fn))].filter((n) => byName.has(n));
  for (const n of frontier) depthOf.set(n, LIFECYCLE_DEPTH);
  for (let d = LIFECYCLE_DEPTH; d >= 0 && frontier.length; d--) {
    const next: string[] = [];
    for (const name of frontier) {
      for (const f of byName.get(name)!) {
        for (const c of f.calls) {
          if (!byName.has(c)) remote.add(c);
          else if (d > 0 && !depthOf.has(c)) {
            depthOf.set(c, d - 1);
            next.push(c);
          }
        }
      }
    }
    frontier = next;
  }
  return { local: [...depthOf.keys()], remote: [...remote] };
}

// ------------------------------------------------------------------------- reduced source

/**
 * The source with only `keep` functions (by name) left: what the extractor needs to give those
 * functions' facts, and no more. The kept functions are copied as written (comments included:
 * the facts record them); everything else — other functions, declarations, initialisers,
 * comments and directives at file scope — is replaced by its newlines alone, so each line keeps
 * its number. (The file-scope facts a partial parse would lose — module entries, exports,
 * `modular` — are read lexically from the whole file instead; see tasks.ts.) Returns null when
 * every function is kept and the file has no other brace construct: parse the whole file.
 */
export function reducedSource(src: Buffer, lex: Pick<LexFile, 'functions' | 'braces'>, keep: ReadonlySet<string>): Buffer | null {
  const kept = lex.functions.filter((f) => keep.has(f.name));
  if (kept.length === lex.functions.length && lex.braces.length === 0) return null;
  kept.sort((a, b) => a.start - b.start);
  const parts: Buffer[] = [];
  let pos = 0;
  const newlines = (a: number, b: number) => {
    let nl = 0;
    for (let p = src.indexOf(NL, a); p >= 0 && p < b; p = src.indexOf(NL, p + 1)) nl++;
    if (nl) parts.push(Buffer.alloc(nl, NL));
  };
  for (const f of kept) {
    if (f.start < pos) continue;
    // From the start of the header's line, so the function's columns are as written.
    const lineStart = src.lastIndexOf(NL, f.start) + 1;
    const from = Math.max(pos, lineStart);
    newlines(pos, from);
    parts.push(src.subarray(from, f.end + 1));
    pos = f.end + 1;
  }
  newlines(pos, src.length);
  return Buffer.concat(parts);
}

/** reducedSource from the byte ranges of the kept functions (as the lexical pass stored them). */
export function reducedFromRanges(src: Buffer, ranges: readonly (readonly [number, number])[]): Buffer {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const parts: Buffer[] = [];
  let pos = 0;
  const newlines = (a: number, b: number) => {
    let nl = 0;
    for (let p = src.indexOf(NL, a); p >= 0 && p < b; p = src.indexOf(NL, p + 1)) nl++;
    if (nl) parts.push(Buffer.alloc(nl, NL));
  };
  for (const [start, end] of sorted) {
    if (start < pos || end >= src.length) continue;
    const from = Math.max(pos, src.lastIndexOf(NL, start) + 1);
    newlines(pos, from);
    parts.push(src.subarray(from, end + 1));
    pos = end + 1;
  }
  newlines(pos, src.length);
  return Buffer.concat(parts);
}
