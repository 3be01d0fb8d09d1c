// The one walker over the statement IR (src/c/types.ts): every analysis that visits statements
// (the facts extractor's own passes, the kernel analyses, the rules) goes through these, so
// "the statements nested in an if/loop/switch/block" is written once.
import { escapeRegExp, resourceIdentity } from './lex.js';
import type { CallSite, FunctionFacts, Stmt } from './types.js';

/** The statement lists nested directly in `s`. */
export function childLists(s: Stmt): Stmt[][] {
  switch (s.k) {
    case 'block':
    case 'loop':
      return [s.body];
    case 'if':
      return s.else ? [s.then, s.else] : [s.then];
    case 'switch':
      return s.cases.map((c) => c.body);
    default:
      return [];
  }
}

/** Each statement nested directly in `s`, in source order. */
export function forEachChild(s: Stmt, fn: (c: Stmt) => void): void {
  for (const list of childLists(s)) list.forEach(fn);
}

/** Every statement, depth first, with the chain of enclosing statements (outermost first). */
export function walkStmts(stmts: readonly Stmt[], visit: (s: Stmt, outer: readonly Stmt[]) => void, outer: Stmt[] = []): void {
  for (const s of stmts) {
    visit(s, outer);
    const inner = [...outer, s];
    for (const child of childLists(s)) walkStmts(child, visit, inner);
  }
}

/** Every statement of a body, depth first, in source order. */
export function flatten(body: readonly Stmt[]): Stmt[] {
  const out: Stmt[] = [];
  const visit = (s: Stmt) => {
    out.push(s);
    forEachChild(s, visit);
  };
  body.forEach(visit);
  return out;
}

/** Calls a statement makes itself (its own text or condition), not those of nested statements. */
export function ownCalls(s: Stmt): CallSite[] {
  switch (s.k) {
    case 'expr':
    case 'decl':
    case 'return':
      return s.calls;
    case 'if':
    case 'loop':
      return s.condCalls;
    default:
      return [];
  }
}

/** The text a statement reads itself (its expression or condition), not that of nested statements. */
export function ownText(s: Stmt): string | undefined {
  switch (s.k) {
    case 'expr':
    case 'decl':
      return s.text;
    case 'return':
      return s.expr ?? undefined;
    case 'if':
    case 'loop':
    case 'switch':
      return s.cond;
    default:
      return undefined;
  }
}

/** Every call in these statements, nested ones included. */
export function callsIn(stmts: readonly Stmt[]): CallSite[] {
  const out: CallSite[] = [];
  walkStmts(stmts, (s) => out.push(...ownCalls(s)));
  return out;
}

/** The last statement of a list, looking through blocks. */
export function lastStmt(stmts: readonly Stmt[]): Stmt | undefined {
  const last = stmts[stmts.length - 1];
  if (last?.k === 'block') return lastStmt(last.body) ?? last;
  return last;
}

/** A branch that never falls through: it ends in a return or a goto. */
export function exits(stmts: readonly Stmt[]): boolean {
  const last = lastStmt(stmts);
  return last?.k === 'return' || last?.k === 'goto';
}

/**
 * The test of a call's result made right where the call is: the `if` whose condition holds the
 * call itself (`if (f(...))`), or, for `x = f(...);`, the first `if` within three lines after it
 * whose condition reads `x` (a member path or an element too: `priv->regs[i]`).
 */
export function testAfter(fn: FunctionFacts, c: CallSite): Extract<Stmt, { k: 'if' }> | undefined {
  const v = c.assignedTo ? resourceIdentity(c.assignedTo) : '';
  const word = v && /^[A-Za-z_][\w.>[\]-]*$/.test(v) ? new RegExp(`(^|[^\\w>.])${escapeRegExp(v)}(?![\\w\\[(]|\\s*(?:->|\\.))`) : undefined;
  return flatten(fn.body).find(
    (st): st is Extract<Stmt, { k: 'if' }> =>
      st.k === 'if' && (st.condCalls.includes(c) || st.condCalls.some((x) => x.line === c.line && x.callee === c.callee) || (!!word && st.line > c.line && st.line <= c.line + 3 && word.test(st.cond))),
  );
}
