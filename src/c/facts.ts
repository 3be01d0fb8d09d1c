// Per-file facts from kernel C: functions with a small statement IR, calls, returned errnos and
// propagated callee results, module_init/module_exit entries, struct initialisers, references.
// Output is plain JSON (see types.ts); no tree-sitter node escapes this module.
import { moduleEntriesOf } from './entries.js';
import { splitTopLevel } from './cond.js';
import { flatten, forEachChild } from './walk.js';
import type {
  Assign,
  CachedFacts,
  CallSite,
  FieldInit,
  FileFacts,
  FunctionFacts,
  GlobalRef,
  ModuleEntry,
  Propagation,
  Section,
  Stmt,
  StructInit,
  SwitchCase,
} from './types.js';
import { blankCommentsAndStrings, gitBlobId, lineIndex, lineStarts, squash } from './lex.js';
import { createHash } from 'node:crypto';
import { ExtractionStopped, parseKernelC, parsePreprocessed, type ParsedSource, type SyntaxNode } from './parse.js';
import { preprocessKernelSource } from './preprocess.js';

import { FACTS_VERSION } from './version.js';

export { FACTS_VERSION };

const line = (n: SyntaxNode): number => n.startPosition.row + 1;

// Module entries are read lexically (src/c/entries.ts), shared with the tree index's lexical pass.

function exportedNames(code: string): Set<string> {
  const out = new Set<string>();
  const re = /\bEXPORT_SYMBOL(?:_GPL|_NS|_NS_GPL|_GPL_FOR_MODULES)?\s*\(\s*([A-Za-z_]\w*)/g;
  for (let m = re.exec(code); m; m = re.exec(code)) out.add(m[1]!);
  return out;
}

const FILE_MACRO = /^[ \t]*(?:static[ \t]+)?(?:const[ \t]+)?(DEFINE_[A-Z0-9_]+|DECLARE_[A-Z0-9_]+|[A-Z0-9_]+_DECLARE(?:_[A-Z0-9_]+)?|[A-Z0-9_]*_ATTRIBUTE[A-Z0-9_]*|SIMPLE_DEV_PM_OPS|[A-Z_]+_PM_OPS|MODULE_ALIAS[A-Z_]*|MODULE_SOFTDEP)[ \t]*\(([^;{]*?)\)[ \t]*;?/gm;

function fileMacrosOf(code: string, original: string, lineOf: (o: number) => number): FileFacts['fileMacros'] {
  const out: FileFacts['fileMacros'] = [];
  for (let m = FILE_MACRO.exec(code); m; m = FILE_MACRO.exec(code)) {
    // Arguments are read from the original text: string arguments (MODULE_ALIAS("fs-foo")) matter.
    const argStart = m.index + m[0].indexOf('(', m[1]!.length) + 1;
    const argText = original.slice(argStart, argStart + m[2]!.length);
    out.push({ name: m[1]!, args: splitTopLevel(argText).map(squash), line: lineOf(m.index) });
  }
  return out;
}

/** Split on commas not nested in (), [], {}. */

// ---------------------------------------------------------------- sections

function sectionOf(header: string): Section {
  if (/\b__init\b|\b__initcall\b/.test(header)) return 'init';
  if (/\b__exit\b/.test(header)) return 'exit';
  // `__net_initdata` is `__initdata` in a kernel without CONFIG_NET_NS (include/net/net_namespace.h).
  if (/\b__initdata\b|\b__initdata_or_module\b|\b__net_initdata\b/.test(header)) return 'initdata';
  if (/\b__initconst\b|\b__net_initconst\b/.test(header)) return 'initconst';
  if (/\b__exitdata\b/.test(header)) return 'exitdata';
  return null;
}

// ---------------------------------------------------------------- calls and assignments

function calleeName(fn: SyntaxNode | null): string | undefined {
  if (!fn) return undefined;
  if (fn.type === 'identifier') return fn.text;
  if (fn.type === 'parenthesized_expression' && fn.namedChildren.length === 1) return calleeName(fn.namedChildren[0]!);
  if (fn.type === 'field_expression' || fn.type === 'pointer_expression') return squash(fn.text);
  return undefined;
}

/** Walk up through casts and parentheses: `x = (int)f()` still lands f's result in x. */
function assignmentTarget(call: SyntaxNode): string | undefined {
  let cur: SyntaxNode = call;
  let p = cur.parent;
  while (p && (p.type === 'parenthesized_expression' || p.type === 'cast_expression')) {
    cur = p;
    p = p.parent;
  }
  if (!p) return undefined;
  if (p.type === 'assignment_expression' && p.childForFieldName('right')?.id === cur.id) {
    return squash(p.childForFieldName('left')?.text ?? '');
  }
  if (p.type === 'init_declarator' && p.childForFieldName('value')?.id === cur.id) {
    return declaratorName(p.childForFieldName('declarator'));
  }
  return undefined;
}

// ---------------------------------------------------------------- one walk per function

/**
 * The nodes of the kinds the facts read (calls, assignments, initialised declarators,
 * identifiers, comments), gathered by one native walk of a function body. Every statement then
 * takes its share by position instead of walking its own subtree again: the body's calls, each
 * statement's calls and each condition's calls were three walks of the same nodes, and crossing
 * into the binding per node is what a facts walk spends most of its time on.
 */
const COLLECTED = ['call_expression', 'assignment_expression', 'init_declarator', 'identifier', 'comment'] as const;
type CollectedType = (typeof COLLECTED)[number];

interface Collected {
  nodes: SyntaxNode[];
  starts: number[];
  ends: number[];
}

class FunctionNodes {
  private readonly byType = new Map<string, Collected>();
  /** Call sites by node id: a call is described once, however many statements contain it. */
  readonly sites = new Map<number, CallSite | null>();

  /**
   * `original`: the file's text before preprocessing (iterator macros are still named there);
   * `parsed`: the text tree-sitter parsed, when known (a collected node's text is read from it by
   * the offsets already gathered, as `node.text` would: see textOf).
   */
  constructor(root: SyntaxNode, readonly original = '', private readonly parsed?: string) {
    for (const t of COLLECTED) this.byType.set(t, { nodes: [], starts: [], ends: [] });
    for (const n of root.descendantsOfType([...COLLECTED])) {
      const c = this.byType.get(n.type)!;
      c.nodes.push(n);
      c.starts.push(n.startIndex);
      c.ends.push(n.endIndex);
    }
  }

  /** What `n.descendantsOfType(type)` answers (n itself included, document order). */
  within(n: SyntaxNode, type: CollectedType): SyntaxNode[] {
    const c = this.byType.get(type)!;
    const s = n.startIndex;
    const e = n.endIndex;
    let lo = 0;
    let hi = c.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c.starts[mid]! < s) lo = mid + 1;
      else hi = mid;
    }
    const out: SyntaxNode[] = [];
    for (let i = lo; i < c.nodes.length && c.starts[i]! <= e; i++) {
      if (c.ends[i]! > e) continue;
      // Nested ranges are descendants; one that touches an edge may be an ancestor of the same
      // span or an empty node of a neighbour: ask the tree.
      if ((c.starts[i] === s || c.ends[i] === e) && !isInside(c.nodes[i]!, n.id, s, e)) continue;
      out.push(c.nodes[i]!);
    }
    return out;
  }

  all(type: CollectedType): SyntaxNode[] {
    return this.byType.get(type)!.nodes;
  }

  /** `all(type)[i].text`, without asking the tree for the node's offsets again. */
  textOf(type: CollectedType, i: number): string {
    const c = this.byType.get(type)!;
    return this.parsed === undefined ? c.nodes[i]!.text : this.parsed.substring(c.starts[i]!, c.ends[i]!);
  }
}

function isInside(node: SyntaxNode, id: number, s: number, e: number): boolean {
  for (let cur: SyntaxNode | null = node; cur; cur = cur.parent) {
    if (cur.id === id) return true;
    if (cur.startIndex < s || cur.endIndex > e) return false;
  }
  return false;
}

/** The function being walked (facts are extracted synchronously, one function at a time). */
let current: FunctionNodes | null = null;

function descendants(node: SyntaxNode, type: CollectedType): SyntaxNode[] {
  return current ? current.within(node, type) : node.descendantsOfType(type);
}

function callSite(c: SyntaxNode): CallSite | null {
  const known = current?.sites.get(c.id);
  if (known !== undefined) return known;
  let site: CallSite | null = null;
  const callee = calleeName(c.childForFieldName('function'));
  if (callee) {
    const argList = c.childForFieldName('arguments');
    const args = argList ? argList.namedChildren.filter((a) => a.type !== 'comment').map((a) => squash(a.text)) : [];
    site = { callee, args, line: line(c) };
    const target = assignmentTarget(c);
    if (target) site.assignedTo = target;
  }
  current?.sites.set(c.id, site);
  return site;
}

function callsIn(node: SyntaxNode | null): CallSite[] {
  if (!node) return [];
  const found = descendants(node, 'call_expression');
  const nodes = node.type === 'call_expression' ? [node, ...found] : found;
  const out: CallSite[] = [];
  for (const c of nodes) {
    const site = callSite(c);
    if (site) out.push({ ...site, args: [...site.args] });
  }
  return out;
}

function assignsIn(node: SyntaxNode): Assign[] {
  const out: Assign[] = [];
  const list = node.type === 'assignment_expression' ? [node] : [];
  list.push(...descendants(node, 'assignment_expression'));
  for (const a of list) {
    const lhs = a.childForFieldName('left');
    const rhs = a.childForFieldName('right');
    const op = a.childForFieldName('operator')?.text ?? '=';
    if (lhs && rhs) out.push({ lhs: squash(lhs.text), rhs: squash(rhs.text), op });
  }
  for (const d of node.type === 'init_declarator' ? [node] : descendants(node, 'init_declarator')) {
    const name = declaratorName(d.childForFieldName('declarator'));
    const value = d.childForFieldName('value');
    if (name && value && value.type !== 'initializer_list') out.push({ lhs: name, rhs: squash(value.text), op: '=' });
  }
  return out;
}

function declaratorName(d: SyntaxNode | null): string | undefined {
  let cur = d;
  for (let i = 0; cur && i < 8; i++) {
    if (cur.type === 'identifier' || cur.type === 'field_identifier' || cur.type === 'type_identifier') return cur.text;
    cur = cur.childForFieldName('declarator') ?? cur.namedChildren.find((c) => c.type.endsWith('declarator') || c.type === 'identifier') ?? null;
  }
  return undefined;
}

// ---------------------------------------------------------------- statement IR

function condText(n: SyntaxNode | null): string {
  if (!n) return '';
  const t = squash(n.text);
  if (n.type !== 'parenthesized_expression') return t;
  const inner = t.replace(/^\(\s*/, '');
  return inner.endsWith(')') ? inner.slice(0, -1).trimEnd() : inner;
}

/** `list_for_each_entry(pos, head, member) {` parses as a call missing its `;` followed by a block. */
function isIteratorMacro(n: SyntaxNode): boolean {
  if (n.type !== 'expression_statement') return false;
  const last = n.lastChild;
  const missingSemi = !last || last.type !== ';' || last.isMissing || last.text === '';
  const expr = n.firstNamedChild;
  return missingSemi && !!expr && expr.type === 'call_expression';
}

/**
 * How deep the statement IR of one function may nest (each block, branch, loop body, case and
 * each `else` of an else-if chain is a level). Every pass over the IR recurses, in this module,
 * the kernel analyses and the rules: ~3,000 nested braces overflowed the stack and aborted the
 * whole review. Linux 6.12's deepest function nests 32 levels (intel_init_cdclk_hooks, an
 * else-if chain); a function past the bound is skipped with a reason (FileFacts.unanalysed).
 * The same bound holds for the value expressions a return is traced through and for nested
 * initialisers of a file-scope object.
 */
export const MAX_NESTING = 200;

/** Thrown while reading a construct nested deeper than MAX_NESTING. */
export class NestingTooDeep extends Error {
  constructor(what: 'statements' | 'expressions' | 'initialisers') {
    super(`its ${what} nest deeper than ${MAX_NESTING} levels`);
  }
}

/** `depth`: how many IR statements enclose these nodes (0 for a function body's own statements). */
function stmtsOf(nodes: SyntaxNode[], depth: number): Stmt[] {
  const out: Stmt[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (isIteratorMacro(n) && nodes[i + 1]) {
      const body = nodes[i + 1]!;
      const callee = n.firstNamedChild?.childForFieldName('function')?.text;
      const loop: Stmt = { k: 'loop', line: line(n), cond: squash(n.text), condCalls: callsIn(n), body: toStmts(body, depth + 1) };
      if (callee && /^[A-Za-z_]\w*$/.test(callee)) loop.macro = callee;
      out.push(loop);
      i++;
      continue;
    }
    out.push(...toStmts(n, depth));
  }
  return out;
}

function childStatements(n: SyntaxNode): SyntaxNode[] {
  return n.namedChildren.filter((c) => c.type !== 'comment');
}

function toStmts(n: SyntaxNode | null, depth: number): Stmt[] {
  if (!n) return [];
  if (depth > MAX_NESTING) throw new NestingTooDeep('statements');
  const ln = line(n);
  switch (n.type) {
    case 'compound_statement':
      return [{ k: 'block', line: ln, body: stmtsOf(childStatements(n), depth + 1) }];
    case 'declaration':
      return [{ k: 'decl', line: ln, text: squash(n.text), calls: callsIn(n), assigns: assignsIn(n) }];
    case 'expression_statement':
      return [{ k: 'expr', line: ln, text: squash(n.text), calls: callsIn(n), assigns: assignsIn(n) }];
    case 'if_statement': {
      const cond = n.childForFieldName('condition');
      const alt = n.childForFieldName('alternative');
      const elseNode = alt?.type === 'else_clause' ? alt.namedChildren.find((c) => c.type !== 'comment') ?? null : alt;
      const s: Stmt = { k: 'if', line: ln, cond: condText(cond), condCalls: callsIn(cond), then: toStmts(n.childForFieldName('consequence'), depth + 1) };
      if (elseNode) s.else = toStmts(elseNode, depth + 1);
      return [s];
    }
    case 'for_statement': {
      const parts = ['initializer', 'condition', 'update'].map((f) => n.childForFieldName(f)).filter((x): x is SyntaxNode => !!x);
      const condCalls = parts.flatMap((p) => callsIn(p));
      return [{ k: 'loop', line: ln, cond: parts.map((p) => squash(p.text)).join('; '), condCalls, body: toStmts(n.childForFieldName('body'), depth + 1) }];
    }
    case 'while_statement':
    case 'do_statement': {
      const cond = n.childForFieldName('condition');
      const s: Stmt = { k: 'loop', line: ln, cond: condText(cond), condCalls: callsIn(cond), body: toStmts(n.childForFieldName('body'), depth + 1) };
      // preprocess.ts wrote `while` over an iterator macro's name; the original text keeps it.
      const word = /^[A-Za-z_]\w*/.exec(current?.original.slice(n.startIndex, n.startIndex + 64) ?? '')?.[0];
      if (word && word !== 'while' && word !== 'do') s.macro = word;
      return [s];
    }
    case 'return_statement': {
      const e = n.namedChildren.find((c) => c.type !== 'comment') ?? null;
      return [{ k: 'return', line: ln, expr: e ? squash(e.text) : null, calls: callsIn(e) }];
    }
    case 'goto_statement':
      return [{ k: 'goto', line: ln, label: n.childForFieldName('label')?.text ?? squash(n.text).replace(/^goto\s+|;$/g, '') }];
    case 'labeled_statement': {
      const label = n.childForFieldName('label')?.text ?? n.firstNamedChild?.text ?? '';
      const rest = childStatements(n).filter((c) => c.type !== 'statement_identifier');
      // (A label is a level too: its statement is read by recursion, and chains of labels nest.)
      return [{ k: 'label', line: ln, name: label }, ...stmtsOf(rest, depth + 1)];
    }
    case 'switch_statement': {
      const body = n.childForFieldName('body');
      const cases: SwitchCase[] = [];
      for (const c of body ? childStatements(body) : []) {
        if (c.type !== 'case_statement') continue;
        const value = c.childForFieldName('value');
        const stmts = childStatements(c).filter((x) => x.id !== value?.id);
        cases.push({ line: line(c), labels: value ? [squash(value.text)] : [], body: stmtsOf(stmts, depth + 1) });
      }
      return [{ k: 'switch', line: ln, cond: condText(n.childForFieldName('condition')), cases }];
    }
    case 'break_statement':
      return [{ k: 'break', line: ln }];
    case 'continue_statement':
      return [{ k: 'continue', line: ln }];
    case 'preproc_if':
    case 'preproc_ifdef':
    case 'preproc_elif':
    case 'preproc_elifdef': {
      // Conditionally compiled code is one branch or the other, never both: model it as an if.
      const alt = n.childForFieldName('alternative');
      const skip = new Set([n.childForFieldName('condition')?.id, n.childForFieldName('name')?.id, alt?.id]);
      const inner = childStatements(n).filter((c) => !skip.has(c.id) && c.type !== 'preproc_arg');
      const header = squash(n.text.split('\n')[0] ?? '');
      const s: Stmt = { k: 'if', line: ln, cond: header, condCalls: [], then: stmtsOf(inner, depth + 1) };
      if (alt) s.else = toStmts(alt, depth + 1);
      return [s];
    }
    case 'preproc_else':
      return stmtsOf(childStatements(n), depth);
    case 'preproc_call':
    case 'preproc_def':
    case 'preproc_function_def':
    case 'preproc_include':
    case ';':
      return [];
    default: {
      // ERROR nodes and anything unexpected: keep the calls and assignments they contain.
      const calls = callsIn(n);
      const assigns = assignsIn(n);
      if (!calls.length && !assigns.length && !/\breturn\b/.test(n.text)) return [];
      return [{ k: 'expr', line: ln, text: squash(n.text), calls, assigns }];
    }
  }
}

// ---------------------------------------------------------------- returns: errnos and propagation

/** Value wrappers whose result is (a form of) their argument. */
const PASS_THROUGH = new Set(['PTR_ERR', 'ERR_PTR', 'ERR_CAST', 'PTR_ERR_OR_ZERO', 'unlikely', 'likely', 'READ_ONCE']);
/** Calls whose result is not an error code of their arguments' making. */
const NOT_VALUE = new Set(['IS_ERR', 'IS_ERR_OR_NULL', 'WARN_ON', 'WARN_ON_ONCE', 'sizeof', 'BIT', 'min', 'max', 'min_t', 'max_t']);

interface Origins {
  errnos: { code: string; line: number }[];
  callees: { callee: string; line: number; via?: string }[];
}

function stripParens(e: string): string {
  let t = e.trim();
  for (;;) {
    const cast = /^\(\s*(?:const\s+)?(?:unsigned\s+|signed\s+)?(?:struct\s+)?[A-Za-z_]\w*\s*(?:\*+\s*)?\)\s*(?=[-(\w])/.exec(t);
    if (cast && !/^\(\s*-?E[A-Z0-9]+\s*\)/.test(t)) {
      t = t.slice(cast[0].length).trim();
      continue;
    }
    if (t.startsWith('(') && matchingParen(t, 0) === t.length - 1) {
      t = t.slice(1, -1).trim();
      continue;
    }
    return t;
  }
}

function matchingParen(t: string, open: number): number {
  let depth = 0;
  for (let i = open; i < t.length; i++) {
    if (t[i] === '(') depth++;
    else if (t[i] === ')' && --depth === 0) return i;
  }
  return -1;
}

/** Split `c ? a : b` at top level; null when not a conditional. */
function splitTernary(t: string): [string, string, string] | null {
  let depth = 0;
  let q = -1;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0 && c === '?' && q < 0) q = i;
    else if (depth === 0 && c === ':' && q >= 0) {
      // `x ?: y` (GNU): the condition is the value.
      const cond = t.slice(0, q);
      const a = t.slice(q + 1, i).trim() || cond;
      return [cond, a, t.slice(i + 1)];
    }
  }
  return null;
}

function valueOrigins(
  expr: string,
  ln: number,
  assigns: Map<string, { rhs: string; line: number }[]>,
  seen: Set<string>,
  out: Origins,
  via?: string,
  depth = 0,
): void {
  if (depth > MAX_NESTING) throw new NestingTooDeep('expressions');
  const t = stripParens(expr);
  if (!t) return;
  const tern = splitTernary(t);
  if (tern) {
    valueOrigins(tern[1], ln, assigns, seen, out, via, depth + 1);
    valueOrigins(tern[2], ln, assigns, seen, out, via, depth + 1);
    return;
  }
  const neg = /^-\s*(E[A-Z][A-Z0-9]*)$/.exec(t);
  if (neg) {
    out.errnos.push({ code: neg[1]!, line: ln });
    return;
  }
  const call = /^([A-Za-z_]\w*)\s*\(/.exec(t);
  if (call && matchingParen(t, call[0].length - 1) === t.length - 1) {
    const name = call[1]!;
    if (PASS_THROUGH.has(name)) {
      const inner = t.slice(call[0].length, -1);
      valueOrigins(splitTopLevel(inner)[0] ?? '', ln, assigns, seen, out, via, depth + 1);
    } else if (!NOT_VALUE.has(name)) {
      const site: Origins['callees'][number] = { callee: name, line: ln };
      if (via) site.via = via;
      out.callees.push(site);
    }
    return;
  }
  if (/^[A-Za-z_]\w*$/.test(t) && !/^[A-Z][A-Z0-9_]*$/.test(t)) {
    if (seen.has(t)) return;
    seen.add(t);
    for (const a of assigns.get(t) ?? []) valueOrigins(a.rhs, a.line, assigns, seen, out, via ?? t, depth + 1);
  }
}

function collectAssigns(body: Stmt[], into = new Map<string, { rhs: string; line: number }[]>()): Map<string, { rhs: string; line: number }[]> {
  const visit = (s: Stmt) => {
    if ((s.k === 'expr' || s.k === 'decl') && s.assigns) {
      for (const a of s.assigns) {
        if (a.op !== '=') continue;
        const list = into.get(a.lhs) ?? [];
        list.push({ rhs: a.rhs, line: s.line });
        into.set(a.lhs, list);
      }
    }
    forEachChild(s, visit);
  };
  body.forEach(visit);
  return into;
}



/** Error codes a variable is compared with (`ret == -EEXIST`, `err != -EEXIST`): the function handles them. */
function comparedCodes(body: Stmt[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (v: string, code: string) => {
    const set = out.get(v) ?? new Set<string>();
    set.add(code);
    out.set(v, set);
  };
  const scan = (text: string) => {
    // `v == -ECODE`: v is the run of name characters before the test, from its first letter. The
    // regex starts at a run's beginning only (from every character of a long run it was quadratic).
    const test = /(?<![\w.>-])([\w.>-]+)\s*[!=]=\s*-\s*(E[A-Z0-9]+)/g;
    for (let m = test.exec(text); m; m = test.exec(text)) {
      const name = m[1]!.slice(m[1]!.search(/[A-Za-z_]|$/));
      if (name) add(name, m[2]!);
      // No letter in the run: the test may still hold for a later run (`0 == -EINVAL == -ENOMEM`).
      else test.lastIndex = m.index + m[1]!.length;
    }
    for (const m of text.matchAll(/-\s*(E[A-Z0-9]+)\s*[!=]=\s*([A-Za-z_][\w.>-]*)/g)) add(m[2]!, m[1]!);
  };
  for (const s of flatten(body)) {
    if (s.k === 'if' || s.k === 'loop' || s.k === 'switch') scan(s.cond);
    if (s.k === 'switch') for (const c of s.cases) for (const l of c.labels) if (/^-\s*E[A-Z0-9]+$/.test(l)) add(s.cond, l.replace(/^-\s*/, ''));
    if (s.k === 'expr' || s.k === 'decl' || s.k === 'return') scan(s.k === 'return' ? s.expr ?? '' : s.text);
  }
  return out;
}

function returnFacts(body: Stmt[]): { returnsErrno: FunctionFacts['returnsErrno']; propagates: Propagation[] } {
  const assigns = collectAssigns(body);
  const compared = comparedCodes(body);
  const errnos = new Map<string, { code: string; line: number }>();
  const props = new Map<string, Propagation>();
  for (const s of flatten(body)) {
    if (s.k !== 'return' || !s.expr) continue;
    const o: Origins = { errnos: [], callees: [] };
    valueOrigins(s.expr, s.line, assigns, new Set(), o);
    for (const e of o.errnos) errnos.set(`${e.code}:${e.line}`, e);
    for (const c of o.callees) {
      const masks = [...(c.via ? compared.get(c.via) ?? [] : [])].sort();
      const key = `${c.callee}:${c.line}`;
      if (!props.has(key)) props.set(key, { callee: c.callee, line: c.line, masks });
    }
  }
  return { returnsErrno: [...errnos.values()], propagates: [...props.values()] };
}

// ---------------------------------------------------------------- functions

function functionName(def: SyntaxNode): string | undefined {
  let d = def.childForFieldName('declarator');
  for (let i = 0; d && i < 8; i++) {
    if (d.type === 'function_declarator') return declaratorName(d.childForFieldName('declarator'));
    d = d.childForFieldName('declarator');
  }
  return undefined;
}

function paramsOf(def: SyntaxNode, body: SyntaxNode): string[] {
  // The first function_declarator in document order, not looking into the body.
  let fd: SyntaxNode | undefined;
  for (const c of def.children) {
    if (c.id === body.id) break;
    fd = c.type === 'function_declarator' ? c : c.descendantsOfType('function_declarator')[0];
    if (fd) break;
  }
  const list = fd?.childForFieldName('parameters');
  if (!list) return [];
  return list.namedChildren
    .filter((p) => p.type === 'parameter_declaration')
    .map((p) => declaratorName(p.childForFieldName('declarator')))
    .filter((x): x is string => !!x);
}

const KEYWORDS = new Set(['if', 'else', 'return', 'sizeof', 'NULL', 'true', 'false', 'struct', 'int', 'void', 'unsigned', 'long', 'char', 'const', 'static']);

function functionFacts(def: SyntaxNode, original: string, exported: Set<string>, parsedText?: string): FunctionFacts | undefined {
  const name = functionName(def);
  const bodyNode = def.childForFieldName('body');
  if (!name || !bodyNode) return undefined;
  const header = original.slice(def.startIndex, bodyNode.startIndex);
  const specifiers = def.namedChildren.filter((c) => c.type === 'storage_class_specifier').map((c) => c.text);
  const outer = current;
  current = new FunctionNodes(bodyNode, original, parsedText);
  try {
    return functionFactsIn(def, bodyNode, name, header, specifiers, exported);
  } finally {
    current = outer;
  }
}

function functionFactsIn(def: SyntaxNode, bodyNode: SyntaxNode, name: string, header: string, specifiers: string[], exported: Set<string>): FunctionFacts {
  const nodes = current!;
  const body = stmtsOf(childStatements(bodyNode), 0);
  const calls = callsIn(bodyNode);
  const callNames = new Set(calls.map((c) => c.callee));
  const refs = new Set<string>();
  const ids = nodes.all('identifier');
  for (let i = 0; i < ids.length; i++) {
    const t = nodes.textOf('identifier', i);
    if (callNames.has(t) && ids[i]!.parent?.type === 'call_expression') continue;
    if (!KEYWORDS.has(t) && !/^[A-Z0-9_]+$/.test(t)) refs.add(t);
  }
  const { returnsErrno, propagates } = returnFacts(body);
  return {
    name,
    startLine: line(def),
    endLine: def.endPosition.row + 1,
    isStatic: specifiers.includes('static') || /\bstatic\b/.test(header),
    isInline: specifiers.includes('inline') || /\b(inline|__always_inline)\b/.test(header),
    section: sectionOf(header),
    exported: exported.has(name),
    params: paramsOf(def, bodyNode),
    hasError: def.hasError,
    calls,
    body,
    returnsErrno,
    propagates,
    refs: [...refs],
    comments: nodes.all('comment').map((c, i) => ({ line: line(c), text: nodes.textOf('comment', i) })),
  };
}

// ---------------------------------------------------------------- struct initialisers and references

function flattenInitializer(list: SyntaxNode, prefix: string, out: FieldInit[], depth = 0): void {
  if (depth > MAX_NESTING) throw new NestingTooDeep('initialisers');
  // A table of positional entries (`{ foo_init, foo_exit, "name" }`) still hands its functions
  // over: field `#i` by position, so they are known as referred to from the object.
  const positional = !list.namedChildren.some((c) => c.type === 'initializer_pair');
  if (positional) list.namedChildren.filter((c) => c.type !== 'comment').forEach((item, i) => {
    if (item.type === 'initializer_list') flattenInitializer(item, `${prefix}#${i}.`, out, depth + 1);
    else if (item.type === 'identifier' || item.type === 'pointer_expression' || item.type === 'cast_expression') out.push({ field: `${prefix}#${i}`, value: squash(item.text), line: line(item) });
  });
  for (const item of list.namedChildren) {
    if (item.type !== 'initializer_pair') continue;
    const designators = item.namedChildren.filter((c) => c.type === 'field_designator' || c.type === 'subscript_designator');
    const value = item.childForFieldName('value') ?? item.namedChildren[item.namedChildren.length - 1];
    if (!value || !designators.length) continue;
    const field = prefix + designators.map((d) => squash(d.text).replace(/^\./, '')).join('.');
    if (value.type === 'initializer_list') flattenInitializer(value, `${field}.`, out, depth + 1);
    else out.push({ field, value: squash(value.text), line: line(item) });
  }
}

const IDENT = /\b[A-Za-z_]\w*\b/g;

function structInitsOf(decl: SyntaxNode, original: string): { inits: StructInit[]; refs: GlobalRef[]; sectionObjs: FileFacts['sectionObjects'] } {
  const inits: StructInit[] = [];
  const refs: GlobalRef[] = [];
  const sectionObjs: FileFacts['sectionObjects'] = [];
  const typeNode = decl.childForFieldName('type');
  const typeName = typeNode?.type === 'struct_specifier' ? typeNode.childForFieldName('name')?.text : undefined;
  const isStatic = decl.namedChildren.some((c) => c.type === 'storage_class_specifier' && c.text === 'static');
  const section = sectionOf(original.slice(decl.startIndex, decl.endIndex).split('=')[0] ?? '');
  for (const d of decl.namedChildren) {
    if (d.type !== 'init_declarator') {
      if (section && (d.type.endsWith('declarator') || d.type === 'identifier')) {
        const nm = declaratorName(d);
        if (nm) sectionObjs.push({ name: nm, section, line: line(d), ...(isStatic ? { isStatic: true as const } : {}) });
      }
      continue;
    }
    const name = declaratorName(d.childForFieldName('declarator'));
    const value = d.childForFieldName('value');
    if (!name || !value) continue;
    if (section) sectionObjs.push({ name, section, line: line(d), ...(isStatic ? { isStatic: true as const } : {}) });
    const lists: { list: SyntaxNode; name: string }[] = [];
    if (value.type === 'initializer_list') {
      const hasPairs = value.namedChildren.some((c) => c.type === 'initializer_pair');
      if (hasPairs) lists.push({ list: value, name });
      else value.namedChildren.forEach((c, i) => c.type === 'initializer_list' && lists.push({ list: c, name: `${name}[${i}]` }));
    }
    for (const { list, name: objName } of lists) {
      const fields: FieldInit[] = [];
      flattenInitializer(list, '', fields);
      if (typeName) inits.push({ type: typeName, name: objName, line: line(d), isStatic, section, fields });
      for (const f of fields) {
        for (const m of f.value.matchAll(IDENT)) {
          const id = m[0];
          if (KEYWORDS.has(id) || /^[A-Z0-9_]+$/.test(id)) continue;
          const ref: GlobalRef = { name: id, line: f.line, inObject: objName, field: f.field };
          if (typeName) ref.inType = typeName;
          refs.push(ref);
        }
      }
    }
    if (value.type !== 'initializer_list') {
      for (const m of squash(value.text).matchAll(IDENT)) {
        if (!KEYWORDS.has(m[0]) && !/^[A-Z0-9_]+$/.test(m[0])) refs.push({ name: m[0], line: line(d), inObject: name });
      }
    }
  }
  return { inits, refs, sectionObjs };
}

// ---------------------------------------------------------------- the file

/** Top-level constructs, looking through preprocessor conditionals and `extern "C"`-like wrappers. */
function topLevel(root: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  // A stack of child lists rather than recursion (#if can nest thousands deep), in document order.
  const stack: { nodes: SyntaxNode[]; next: number }[] = [{ nodes: root.namedChildren, next: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const c = top.nodes[top.next++];
    if (!c) stack.pop();
    else if (c.type.startsWith('preproc_if') || c.type === 'preproc_else' || c.type === 'preproc_elif' || c.type === 'linkage_specification' || c.type === 'declaration_list') stack.push({ nodes: c.namedChildren, next: 0 });
    else out.push(c);
  }
  return out;
}

// ---------------------------------------------------------------- reuse across images

/**
 * Facts of functions by their text, so a function a patch did not touch is not walked again in
 * the post-image (nor in the next review of the same file). The key holds everything a
 * function's facts are made of: its text as written and as tree-sitter saw it (the kernel-macro
 * rewrite can depend on what surrounds it), whether it parsed with errors, whether the file
 * exports it. Lines are stored relative to the function's first line.
 */
export class FunctionMemo {
  private readonly map = new Map<string, FunctionFacts>();
  constructor(private readonly max = 20_000) {}
  get size(): number {
    return this.map.size;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  get(key: string, startLine: number): FunctionFacts | undefined {
    const f = this.map.get(key);
    if (!f) return undefined;
    // Least recently used goes first: re-insert on a hit.
    this.map.delete(key);
    this.map.set(key, f);
    return shiftLines(f, startLine - 1);
  }
  set(key: string, f: FunctionFacts): void {
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, shiftLines(f, 1 - f.startLine));
  }
}

/** The memo reviews share in one process (a bot reviews the same hot files again and again). */
export const sharedFunctionMemo = new FunctionMemo();

const LINE_KEYS = new Set(['line', 'startLine', 'endLine']);

/** A deep copy with every line number moved by `delta` (every `line`, `startLine`, `endLine`). */
function shiftLines<T>(v: T, delta: number): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const out: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = shiftLines(v[i] as unknown, delta);
    return out as T;
  }
  const src = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(src)) {
    const x = src[k];
    out[k] = typeof x === 'number' ? (LINE_KEYS.has(k) ? x + delta : x) : x === null || typeof x !== 'object' ? x : shiftLines(x, delta);
  }
  return out as T;
}

/**
 * A function's memo key: the whole lines it spans (`from`..`to`, 1-based), as written and as
 * tree-sitter saw them, and its flags. Whole lines, so the key can be computed from a line range
 * alone (postImageFacts checks a moved function with it, without parsing it).
 */
function lineKey(original: string, text: string, starts: readonly number[], from: number, to: number, hasError: boolean, exported: boolean): string {
  const a = starts[from - 1] ?? original.length;
  const b = to < starts.length ? starts[to]! - 1 : original.length;
  return createHash('sha1')
    .update(original.slice(a, b))
    .update('\0')
    .update(text.slice(a, b))
    .update(`\0${hasError ? 1 : 0}${exported ? 1 : 0}${FACTS_VERSION}`)
    .digest('base64');
}

export interface ExtractOptions {
  /** Reuse the facts of functions seen before (and remember new ones). */
  memo?: FunctionMemo;
  /** Receives the memo key of each function, in the order of `functions` (for a facts cache entry). */
  keys?: string[];
  /**
   * The whole file, when `parsed` is a reduced copy of it (functions blanked): file-level facts
   * read lexically (module entries, exports, file-scope macros, the blob id) come from here.
   */
  whole?: string;
  /**
   * Asked before each function (and by postImageFacts' parse as it goes): true stops the
   * extraction with ExtractionStopped (a review's time budget for the file is used up). No
   * partial facts come out of a stopped extraction.
   */
  stop?: () => boolean;
}

export { ExtractionStopped };

/** Put the functions of cached facts back into a memo (what extracting them again would do). */
export function seedMemo(memo: FunctionMemo, cached: CachedFacts): void {
  cached.facts.functions.forEach((f, i) => {
    const key = cached.keys[i];
    if (key && !memo.has(key)) memo.set(key, f);
  });
}

export function extractFacts(path: string, source: string, opts: ExtractOptions = {}): FileFacts {
  return factsOfParsed(path, parseKernelC(source), opts);
}

/** Facts of an already parsed source (a post-image parsed incrementally from its pre-image). */
export function factsOfParsed(path: string, parsed: ParsedSource, opts: ExtractOptions = {}): FileFacts {
  const source = parsed.original;
  const whole = opts.whole ?? source;
  const code = blankCommentsAndStrings(whole);
  const lineOf = lineIndex(whole);
  const exported = exportedNames(code);
  const { entries, modular } = moduleEntriesOf(code, lineOf);
  const functions: FunctionFacts[] = [];
  const structInits: StructInit[] = [];
  const globalRefs: GlobalRef[] = [];
  const sectionObjects: FileFacts['sectionObjects'] = [];
  const unanalysed: NonNullable<FileFacts['unanalysed']> = [];
  /** `read()`, or undefined with the construct recorded in `unanalysed` when it is too deep to read. */
  const guarded = <T>(what: () => string, at: SyntaxNode, read: () => T): T | undefined => {
    try {
      return read();
    } catch (err) {
      const reason = skipReason(err);
      if (!reason) throw err;
      unanalysed.push({ what: what(), line: line(at), reason });
      return undefined;
    }
  };
  const root = parsed.tree.rootNode;
  const memo = opts.memo;
  let starts: number[] | undefined;
  const factsOf = (def: SyntaxNode, inError: boolean): FunctionFacts | undefined => {
    if (opts.stop?.()) throw new ExtractionStopped();
    return guarded(() => `function ${functionName(def) ?? '(unnamed)'}()`, def, () => memoFactsOf(def, inError));
  };
  const memoFactsOf = (def: SyntaxNode, inError: boolean): FunctionFacts | undefined => {
    if (!memo && !opts.keys) return functionFacts(def, source, exported, parsed.text);
    starts ??= lineStarts(source);
    const key = lineKey(source, parsed.text, starts, def.startPosition.row + 1, def.endPosition.row + 1, def.hasError || inError, exported.has(functionName(def) ?? ''));
    if (!memo) {
      const f = functionFacts(def, source, exported, parsed.text);
      if (f) opts.keys!.push(key);
      return f;
    }
    const hit = memo.get(key, line(def));
    if (hit) {
      opts.keys?.push(key);
      return hit;
    }
    const f = functionFacts(def, source, exported, parsed.text);
    if (f) {
      memo.set(key, inError ? { ...f, hasError: true } : f);
      opts.keys?.push(key);
    }
    return f;
  };
  for (const n of topLevel(root)) {
    if (n.type === 'function_definition') {
      const f = factsOf(n, false);
      if (f) functions.push(f);
    } else if (n.type === 'declaration') {
      const r = guarded(() => 'a declaration', n, () => structInitsOf(n, source));
      if (!r) continue;
      structInits.push(...r.inits);
      globalRefs.push(...r.refs);
      sectionObjects.push(...r.sectionObjs);
    } else if (n.type === 'ERROR') {
      // A construct tree-sitter could not close may still hold whole functions.
      for (const def of n.descendantsOfType('function_definition')) {
        const f = factsOf(def, true);
        if (f) functions.push({ ...f, hasError: true });
      }
    }
  }
  return {
    path,
    hash: gitBlobId(whole),
    functions,
    moduleEntries: entries,
    structInits,
    globalRefs,
    sectionObjects,
    fileMacros: fileMacrosOf(code, whole, lineOf),
    modular,
    ...(unanalysed.length ? { unanalysed } : {}),
  };
}

/** Why a function's facts could not be built, for an error that means "skip this function"; undefined for a bug. */
function skipReason(err: unknown): string | undefined {
  if (err instanceof NestingTooDeep) return err.message;
  // Another recursion (an expression nested thousands deep) ran out of stack: the same case.
  if (err instanceof RangeError && /call stack/i.test(err.message)) return 'it nests too deeply to analyse (stack exhausted)';
  return undefined;
}

// ---------------------------------------------------------------- the post-image from the pre-image

/** A pre-image and its facts, for postImageFacts. */
export interface ImageFacts {
  source: string;
  facts: FileFacts;
  /** The memo key of each function (CachedFacts.keys, or ExtractOptions.keys of its extraction). */
  keys: readonly string[];
}

/** Whether sorted `lines` holds a value strictly between `lo` and `hi`. */
function anyBetween(lines: Float64Array, lo: number, hi: number): boolean {
  let a = 0;
  let b = lines.length;
  while (a < b) {
    const mid = (a + b) >> 1;
    if (lines[mid]! <= lo) a = mid + 1;
    else b = mid;
  }
  return a < lines.length && lines[a]! < hi;
}

/** The braces of `code` between the offsets close as they open (comments and strings blanked). */
function bracesBalanced(code: string, from: number, to: number): boolean {
  let depth = 0;
  for (let i = from; i < to; i++) {
    const ch = code.charCodeAt(i);
    if (ch === 0x7b) depth++;
    else if (ch === 0x7d && --depth < 0) return false;
  }
  return depth === 0;
}

const SPACES = ' '.repeat(4096);

/** `n` spaces. */
function spaces(n: number): string {
  return n <= SPACES.length ? SPACES.slice(0, n) : ' '.repeat(n);
}

/** Why postImageFacts last declined (for the benchmark's account of the shortcut). */
export const postImageFallbacks = new Map<string, number>();
function fallback(why: string): null {
  postImageFallbacks.set(why, (postImageFallbacks.get(why) ?? 0) + 1);
  return null;
}

/**
 * The post-image's facts without parsing the functions a patch did not touch: every pre-image
 * function whose lines reappear unchanged where `shift` puts them keeps its facts (moved); the
 * rest of the file — the functions the patch touched, declarations, initialisers — is parsed with
 * those functions blanked out. A function's facts are made of its own text (see FunctionMemo), so
 * this is what a fresh extraction gives, provided the rest parses as it would in the whole file.
 * Returns null when that cannot be trusted, and the caller extracts the post-image whole:
 *  - the rest does not parse cleanly (tree-sitter's recovery may have used the blanked text);
 *  - a construct of the rest reaches into a blanked function;
 *  - a reused function shares a line with another construct, or nothing can be reused.
 */
export function postImageFacts(path: string, pre: ImageFacts, post: string, shift: (preLine: number) => number | null, opts: ExtractOptions = {}): FileFacts | null {
  const preLines = pre.source.split('\n');
  const postLines = post.split('\n');
  // Pre-image lines holding a file-scope construct other than a function: a function sharing a
  // line with one is not blanked (the construct would go with it).
  const shared = new Map<number, number>();
  const mark = (l: number) => shared.set(l, (shared.get(l) ?? 0) + 1);
  for (const f of pre.facts.functions) {
    mark(f.startLine);
    if (f.endLine !== f.startLine) mark(f.endLine);
  }
  for (const s of pre.facts.structInits) mark(s.line);
  for (const g of pre.facts.globalRefs) mark(g.line);
  for (const o of pre.facts.sectionObjects) mark(o.line);
  // The whole post-image as tree-sitter sees it: conditionals are resolved in their real context.
  const text = preprocessKernelSource(post);
  const starts = lineStarts(post);
  const exported = exportedNames(blankCommentsAndStrings(post));
  const reused: { f: FunctionFacts; from: number; to: number }[] = [];
  // Lines of the pre-image's struct initialisers, sorted: one inside a function keeps it (binary
  // search per function, not a pass over every initialiser: data files have thousands of each).
  const initLines = Float64Array.from(pre.facts.structInits, (s) => s.line).sort();
  // The pre-image's blanked text and line starts are read only for a function with a parse
  // error (bracesBalanced below): a second patch's pre-image comes from the facts cache, and
  // lexing the whole of it for nothing cost a whole-file pass per review.
  let preCode: string | undefined;
  let preStarts: number[] | undefined;
  for (const [i, f] of pre.facts.functions.entries()) {
    const key = pre.keys[i];
    if (!key) continue;
    const from = shift(f.startLine);
    const to = shift(f.endLine);
    const n = f.endLine - f.startLine;
    if (from === null || to === null || to - from !== n) continue;
    const alone = (shared.get(f.startLine) ?? 0) === 1 && (n === 0 || (shared.get(f.endLine) ?? 0) === 1) && !anyBetween(initLines, f.startLine, f.endLine);
    if (!alone) continue;
    // A function with a parse error is reused when its braces close it as written: then its
    // extent is its own, not where tree-sitter's recovery happened to stop.
    if (f.hasError) {
      preCode ??= blankCommentsAndStrings(pre.source);
      preStarts ??= lineStarts(pre.source);
      if (!bracesBalanced(preCode, preStarts[f.startLine - 1]!, f.endLine < preStarts.length ? preStarts[f.endLine]! : preCode.length)) continue;
    }
    let same = true;
    for (let k = 0; k <= n && same; k++) same = preLines[f.startLine - 1 + k] === postLines[from - 1 + k];
    // Same lines as written, and the same as tree-sitter sees them here (an #if the patch
    // opened or closed changes that), and the same export: the facts are the function's.
    if (same && lineKey(post, text, starts, from, to, f.hasError, exported.has(f.name)) === key) reused.push({ f, from, to });
  }
  if (!reused.length) return fallback('nothing reused');
  const blanked = new Uint8Array(postLines.length + 2);
  for (const r of reused) for (let l = r.from; l <= r.to; l++) blanked[l] = 1;
  // Blank the reused lines in both texts (same length, so offsets stay valid): every UTF-16 unit
  // but the newlines becomes a space.
  const blankRun = (s: string, a: number, b: number): string => {
    const parts: string[] = [];
    for (let at = a; ; ) {
      const nl = s.indexOf('\n', at);
      if (nl < 0 || nl >= b) {
        parts.push(spaces(b - at));
        break;
      }
      parts.push(spaces(nl - at));
      at = nl + 1;
    }
    return parts.join('\n');
  };
  const blankLines = (s: string) => {
    const parts: string[] = [];
    let pos = 0;
    // In document order: pre-image order, and the shift keeps it.
    for (const r of reused) {
      const a = starts[r.from - 1]!;
      const b = r.to < starts.length ? starts[r.to]! - 1 : s.length;
      if (a < pos) continue;
      parts.push(s.slice(pos, a), blankRun(s, a, b));
      pos = b;
    }
    parts.push(s.slice(pos));
    return parts.join('');
  };
  const parsed = parsePreprocessed(blankLines(post), blankLines(text), opts.stop);
  // Any error, and the extents of the rest are not to be trusted: an #if left open takes what
  // follows, and tree-sitter's recovery from a broken function depends on what follows it (on
  // random edits of real files, trusting errors inside functions gave 3 in 1,100 different facts).
  if (parsed.tree.rootNode.hasError) return fallback('error');
  for (const n of topLevel(parsed.tree.rootNode)) {
    for (let l = n.startPosition.row + 1; l <= n.endPosition.row + 1; l++) if (blanked[l]) return fallback('overlap');
  }
  const rest = factsOfParsed(path, parsed, { ...opts, whole: post });
  const moved = reused.map(({ f, from }) => ({ ...shiftLines(f, from - f.startLine), exported: exported.has(f.name) }));
  // Document order, as a whole-file extraction lists them (the sort is stable).
  rest.functions = [...moved, ...rest.functions].sort((a, b) => a.startLine - b.startLine);
  return rest;
}
