// request_module() and friends (include/linux/kmod.h, kernel/module/kmod.c): what module name a
// call asks modprobe for, where that name comes from, and the context the call runs in.
//
//   request_module(fmt, ...)              __request_module(true, ...): waits for modprobe
//   request_module_nowait(fmt, ...)       __request_module(false, ...): only starts it
//   try_then_request_module(x, fmt, ...)  x ?: (request_module(fmt, ...), x): asks only when x fails
//
// modprobe resolves the name as a module name or an alias. A name taken from a caller or from
// userspace without a fixed part lets whoever controls it load any module (CVE-2011-1019:
// 8909c9ad8ff0 made dev_load() ask for "netdev-%s" unless the caller has CAP_SYS_MODULE); hence
// the alias namespaces "netdev-", "fs-", "crypto-", "char-major-", ...
import { escapeRegExp } from '../../c/lex.js';
import type { CallSite, FileFacts, FunctionFacts, Stmt } from '../../c/types.js';
import { identifiersOf } from '../../c/cond.js';
import { walkStmts } from '../../c/walk.js';

export interface RequestCall {
  call: CallSite;
  /** Waits for modprobe to finish (request_module, try_then_request_module, __request_module(true)). */
  wait: boolean;
  /** Index of the format argument. */
  fmt: number;
  /** The enclosing statements, outermost first. */
  outer: readonly Stmt[];
  /** The statement the call is part of (absent for calls only fn.calls holds). */
  stmt?: Stmt;
}

/** The request_module-family calls of a function, in source order. */
export function requestCalls(fn: FunctionFacts): RequestCall[] {
  const out: RequestCall[] = [];
  const seen = new Set<string>();
  const take = (call: CallSite, outer: readonly Stmt[], stmt?: Stmt) => {
    const id = `${call.line}\0${call.callee}\0${call.args.join('\0')}`;
    if (seen.has(id)) return;
    const r = classifyRequest(call);
    if (!r) return;
    seen.add(id);
    out.push(stmt ? { call, ...r, outer, stmt } : { call, ...r, outer });
  };
  walkStmts(fn.body, (s, outer) => {
    const own = s.k === 'expr' || s.k === 'decl' || s.k === 'return' ? s.calls : s.k === 'if' || s.k === 'loop' ? s.condCalls : [];
    // A loop's own condition runs on every iteration: count it as inside the loop.
    for (const c of own) take(c, s.k === 'loop' ? [...outer, s] : outer, s);
  });
  // Calls the IR holds only in fn.calls (macro arguments, initialisers the statement walk missed).
  for (const c of fn.calls) take(c, []);
  return out.sort((a, b) => a.call.line - b.call.line);
}

function classifyRequest(call: CallSite): { wait: boolean; fmt: number } | null {
  switch (call.callee) {
    case 'request_module':
      return { wait: true, fmt: 0 };
    case 'request_module_nowait':
      return { wait: false, fmt: 0 };
    case 'try_then_request_module':
      return { wait: true, fmt: 1 };
    case '__request_module': {
      const w = (call.args[0] ?? '').trim();
      return { wait: !(w === 'false' || w === '0'), fmt: 1 };
    }
    default:
      return null;
  }
}

// --------------------------------------------------------------------------- the module name

export type NameShape =
  /** Starts with fixed text: a literal, a macro, a number. */
  | { kind: 'fixed'; text: string }
  /** Starts with the value of `expr` (a %s argument, or the format itself). */
  | { kind: 'lead'; expr: string; format: boolean }
  | { kind: 'unknown' };

const STRING = /^"((?:[^"\\]|\\.)*)"/;
const MACRO = /^[A-Z][A-Z0-9_]*\b/;

/** `"a" MACRO "b"` → its pieces, or null when the text is not literals and macros alone. */
export function literalPieces(text: string): { lit?: string; macro?: string }[] | null {
  const out: { lit?: string; macro?: string }[] = [];
  let rest = text.trim();
  while (rest.length) {
    const s = STRING.exec(rest);
    if (s) {
      out.push({ lit: s[1]! });
      rest = rest.slice(s[0].length).trim();
      continue;
    }
    const m = MACRO.exec(rest);
    if (m) {
      out.push({ macro: m[0] });
      rest = rest.slice(m[0].length).trim();
      continue;
    }
    return null;
  }
  return out.length ? out : null;
}

// (A width never starts with 0: a leading 0 is a flag. Said so, the flags and the width cannot trade zeros.)
const CONVERSION = /^%([-+ #0]*)([1-9]\d*|\*)?(?:\.(\d+|\*))?(hh|h|ll|l|z|j|t|L)?([a-zA-Z])/;

/** Offset just past the last printf conversion of a format (0 when it has none). */
function lastConversionEnd(text: string): number {
  let end = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '%') continue;
    if (text[i + 1] === '%') {
      i++;
      continue;
    }
    const m = CONVERSION.exec(text.slice(i));
    if (m) {
      end = i + m[0].length;
      i = end - 1;
    }
  }
  return end;
}

/** What the module name `args[fmt], args[fmt+1], ...` starts with. */
export function nameShape(args: readonly string[], fmt: number): NameShape {
  const f = args[fmt];
  if (f === undefined) return { kind: 'unknown' };
  const pieces = literalPieces(f);
  if (!pieces) return { kind: 'lead', expr: f.trim(), format: true };
  if (pieces[0]!.macro) return { kind: 'fixed', text: pieces[0]!.macro };
  const text = pieces.map((p) => p.lit ?? '').join('');
  const lead = /^(?:[^%]|%%)+/.exec(text)?.[0];
  if (lead) return { kind: 'fixed', text: lead };
  const m = CONVERSION.exec(text);
  if (!m) return { kind: 'unknown' };
  let argAt = fmt + 1;
  if (m[2] === '*') argAt++;
  if (m[3] === '*') argAt++;
  const conv = m[5]!;
  if (/[diuxXoc]/.test(conv)) return { kind: 'fixed', text: `%${conv}` };
  // A fixed suffix narrows the name as a prefix does: "%s-iosched" can only name *-iosched.
  const suffix = text.slice(lastConversionEnd(text)).replace(/%%/g, '%');
  if (suffix.length >= 2) return { kind: 'fixed', text: `...${suffix}` };
  if (conv !== 's') return { kind: 'unknown' };
  const a = args[argAt];
  if (a === undefined) return { kind: 'unknown' };
  const ap = literalPieces(a);
  if (ap) return { kind: 'fixed', text: ap.map((p) => p.lit ?? p.macro ?? '').join('') };
  return { kind: 'lead', expr: a.trim(), format: false };
}

// --------------------------------------------------------------------------- where it comes from

export type Source =
  | { kind: 'constant'; why: string }
  /** A parameter of the function (directly or through a local copy). */
  | { kind: 'param'; param: string; index: number; why: string }
  /** Copied from userspace or a netlink attribute. */
  | { kind: 'user'; why: string }
  | { kind: 'unknown' };

/** Functions that write a string into their first argument, and where that string comes from. */
const COPIES: Record<string, number> = { strscpy: 1, strscpy_pad: 1, strcpy: 1, strncpy: 1, strlcpy: 1, memcpy: 1, strcat: 1, strlcat: 1 };
const PRINTS: Record<string, number> = { snprintf: 2, scnprintf: 2, sprintf: 1, vsnprintf: 2, vscnprintf: 2 };
const FROM_USER = new Set(['copy_from_user', '__copy_from_user', 'strncpy_from_user', 'nla_strscpy', 'nla_strlcpy', 'nla_memcpy']);
const USER_RESULTS = new Set(['memdup_user', 'memdup_user_nul', 'strndup_user', 'nla_data', 'nla_strdup', 'nla_get_string']);
const DUPS = new Set(['kstrdup', 'kstrndup', 'kmemdup', 'kstrdup_const', 'devm_kstrdup']);

/** `name`, `info->type`, `*types`, `buf[0]`: the variable at the root of an lvalue-ish expression. */
function rootOf(expr: string): string | undefined {
  const e = expr.trim().replace(/^[&*(\s]+/, '');
  return /^([A-Za-z_]\w*)/.exec(e)?.[1];
}

const sameLvalue = (a: string, b: string) => a.replace(/[\s&()]/g, '') === b.replace(/[\s&()]/g, '');

interface Writes {
  assigns: string[];
  calls: CallSite[];
}

/** Everything the function writes into `root` (or into `expr`, a member of it). */
function writesTo(fn: FunctionFacts, root: string, expr: string): Writes {
  const w: Writes = { assigns: [], calls: [] };
  const member = !sameLvalue(expr.replace(/^\s*\*/, ''), root) && !new RegExp(`^\\*?\\s*${root}\\s*\\[`).test(expr.trim());
  walkStmts(fn.body, (s) => {
    if ((s.k === 'expr' || s.k === 'decl') && s.assigns) {
      // For a member (`cfg->name`), only writes to that member tell where the string is from:
      // the pointer's own assignments do not.
      for (const a of s.assigns) if (a.op === '=' && (member ? sameLvalue(a.lhs, expr) : a.lhs.trim() === root)) w.assigns.push(a.rhs);
    }
  });
  for (const c of fn.calls) {
    const dst = c.args[0];
    if (dst === undefined) continue;
    if (!(c.callee in COPIES) && !(c.callee in PRINTS) && !FROM_USER.has(c.callee)) continue;
    if (rootOf(dst) === root && (sameLvalue(dst, expr) || (!member && sameLvalue(dst, root)))) w.calls.push(c);
  }
  return w;
}

/**
 * Where the string `expr` used in `fn` comes from. Follows local copies and the string functions
 * that fill a buffer (snprintf, strscpy, copy_from_user, ...) a few steps; anything else is
 * `unknown`, and rules stay silent on it.
 */
export type ArgsOf = (call: CallSite) => string[];

export function nameSource(expr: string, fn: FunctionFacts, facts: FileFacts, argsOf: ArgsOf = (c) => [...c.args], depth = 0): Source {
  const e = expr.trim();
  if (STRING.test(e) || literalPieces(e)) return { kind: 'constant', why: `${e} is a literal` };
  const root = rootOf(e);
  if (!root || depth > 3) return { kind: 'unknown' };
  const call = /^([A-Za-z_]\w*)\s*\(/.exec(e);
  if (call) return resultSource(call[1]!, e, fn, facts, argsOf, depth);
  const pi = fn.params.indexOf(root);
  if (pi >= 0) {
    // The parameter is the string (`name`, `*types`, `names[i]`). A member of a parameter
    // (`info->type`, `cm->lst[i]`) comes from a structure the caller filled, in practice a board
    // or device table: not followed.
    const direct = new RegExp(`^(\\*\\s*)?\\(?\\s*${root}\\s*\\)?(\\s*\\[[^\\]]*\\])?$`).test(e);
    return direct ? { kind: 'param', param: root, index: pi, why: `${e} comes from ${fn.name}()'s parameter ${root}` } : { kind: 'unknown' };
  }
  const w = writesTo(fn, root, e);
  if (!w.assigns.length && !w.calls.length) {
    // A file-scope table or variable (`rds_trans_modules[t_type]`, `xt_prefix[af]`): names fixed
    // by the module itself, not by whoever calls it.
    if (/\[/.test(e) && isFileScopeTable(root, fn)) return { kind: 'constant', why: `${e} is taken from the table ${root}[]` };
    return { kind: 'unknown' };
  }
  const found: Source[] = [];
  for (const rhs of w.assigns) found.push(nameSource(rhs, fn, facts, argsOf, depth + 1));
  for (const c of w.calls) {
    if (FROM_USER.has(c.callee)) found.push({ kind: 'user', why: `${root} is filled by ${c.callee}() at line ${c.line}` });
    else if (c.callee in PRINTS) {
      const shape = nameShape(argsOf(c), PRINTS[c.callee]!);
      if (shape.kind === 'fixed') found.push({ kind: 'constant', why: `${root} is printed by ${c.callee}() with the fixed start "${shape.text}"` });
      else if (shape.kind === 'lead') found.push(nameSource(shape.expr, fn, facts, argsOf, depth + 1));
      else found.push({ kind: 'unknown' });
    } else found.push(nameSource(argsOf(c)[COPIES[c.callee]!] ?? '', fn, facts, argsOf, depth + 1));
  }
  return worst(found);
}

function resultSource(callee: string, e: string, fn: FunctionFacts, facts: FileFacts, argsOf: ArgsOf, depth: number): Source {
  if (USER_RESULTS.has(callee)) return { kind: 'user', why: `${e} is userspace data` };
  if (DUPS.has(callee)) {
    const inner = /\(\s*([^,)]+)/.exec(e)?.[1];
    return inner ? nameSource(inner, fn, facts, argsOf, depth + 1) : { kind: 'unknown' };
  }
  return { kind: 'unknown' };
}

/** user > param > unknown > constant: the most dangerous source any write gives. */
function worst(xs: Source[]): Source {
  const rank = { user: 3, param: 2, unknown: 1, constant: 0 } as const;
  let best: Source | undefined;
  for (const x of xs) if (!best || rank[x.kind] > rank[best.kind]) best = x;
  return best ?? { kind: 'unknown' };
}

/** `name` is not a local of `fn`: a file-scope (or extern) object. */
function isFileScopeTable(name: string, fn: FunctionFacts): boolean {
  const declared = new RegExp(`(^|[\\s*,])${name}\\s*(\\[|=|;|,)`);
  let local = false;
  walkStmts(fn.body, (s) => {
    if (s.k === 'decl' && declared.test(s.text)) local = true;
  });
  return !local;
}

/** The function checks CAP_SYS_MODULE: whoever passes that check may load any module by name. */
export function checksSysModule(fn: FunctionFacts): boolean {
  return fn.calls.some((c) => /^(ns_)?capable|has_capability|capable_wrt_inode_uidgid|file_ns_capable$/.test(c.callee) && c.args.some((a) => a.includes('CAP_SYS_MODULE')));
}

/** The caller looks at what the request returned. */
export function resultUsed(r: RequestCall): boolean {
  if (r.call.assignedTo) return true;
  const s = r.stmt;
  if (!s) return true;
  if (s.k === 'if' || s.k === 'loop' || s.k === 'return') return true;
  if (s.k === 'expr') return !new RegExp(`^(\\(void\\)\\s*)?${escapeRegExp(r.call.callee)}\\s*\\(`).test(s.text.trim());
  return true;
}

/** Identifiers a name depends on, macros (upper case) left out. */
export function nameInputs(r: RequestCall): string[] {
  return r.call.args
    .slice(r.fmt)
    .flatMap((a) => identifiersOf(a))
    .filter((id) => !/^[A-Z][A-Z0-9_]*$/.test(id));
}

/** A fixed module name, when the whole name is literal text: `"foo"`, `"%s", "foo"`. */
export function constantName(r: RequestCall): string | undefined {
  const f = literalPieces(r.call.args[r.fmt] ?? '');
  if (!f || f.some((p) => p.macro)) return undefined;
  const text = f.map((p) => p.lit).join('');
  const rest = r.call.args.slice(r.fmt + 1);
  if (!rest.length) return /%/.test(text.replace(/%%/g, '')) ? undefined : text;
  if (text === '%s' && rest.length === 1) {
    const a = literalPieces(rest[0]!);
    if (a && !a.some((p) => p.macro)) return a.map((p) => p.lit).join('');
  }
  return undefined;
}

// ------------------------------------------------------------------- arguments as written

/**
 * The call's arguments as the source writes them. The facts extractor blanks macros pasted into
 * string literals (`NET_SCH_ALIAS_PREFIX "%s"` reaches the IR as `"%s"`), which is exactly the
 * prefix this analysis is about; so the arguments are re-read from the source line. Falls back to
 * the IR's arguments when the call cannot be found there.
 */
export function writtenArgs(source: string, call: CallSite, lines = source.split('\n')): string[] {
  const text = lines.slice(call.line - 1, call.line + 12).join('\n');
  const re = new RegExp(`\\b${escapeRegExp(call.callee)}\\s*\\(`, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const args = splitArgs(text, m.index + m[0].length);
    if (args && args.length === call.args.length) return args;
  }
  return [...call.args];
}

/** Top-level comma-separated arguments from just after `(` to the matching `)`, or null. */
function splitArgs(text: string, start: number): string[] | null {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = start; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== ch) j += text[j] === '\\' ? 2 : 1;
      cur += text.slice(i, j + 1);
      i = j;
      continue;
    }
    if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) return null;
      i = end + 1;
      cur += ' ';
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') {
      if (depth === 0) {
        if (cur.trim() || out.length) out.push(cur);
        return out.map((a) => a.replace(/\s+/g, ' ').trim());
      }
      depth--;
    } else if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  return null;
}
