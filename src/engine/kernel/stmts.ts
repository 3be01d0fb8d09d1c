// Small walkers over the statement IR (src/c/types.ts) shared by the notifier and kmod analyses.
import type { CallSite, FunctionFacts, Stmt } from '../../c/types.js';

/** Every statement, depth first, with the chain of enclosing statements (outermost first). */
export function walkStmts(stmts: readonly Stmt[], visit: (s: Stmt, outer: readonly Stmt[]) => void, outer: Stmt[] = []): void {
  for (const s of stmts) {
    visit(s, outer);
    const inner = [...outer, s];
    for (const child of childLists(s)) walkStmts(child, visit, inner);
  }
}

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

/** The source text of a function (its lines in `source`). */
export function functionText(source: string, fn: Pick<FunctionFacts, 'startLine' | 'endLine'>): string {
  return source
    .split('\n')
    .slice(fn.startLine - 1, fn.endLine)
    .join('\n');
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

/** Identifiers in an expression, string and character literals removed. */
export function identifiersOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/'(?:[^'\\]|\\.)*'/g, ' ')
    .replace(/\s*(->|\.)\s*/g, '$1');
  // Member names (`.type`, `->name`) are not identifiers of their own.
  return [...bare.matchAll(/(?<![\w.]|->)\b([A-Za-z_]\w*)\b/g)].map((m) => m[1]!);
}
