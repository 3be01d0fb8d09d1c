// Functions of a file by name. A name can be defined more than once in one file: the real body
// under `#ifdef CONFIG_MODULES` and a stub under `#else` (kernel/static_call_inline.c), arch or
// config variants. A plain Map keeps the last definition, which is usually the stub, so the call
// graph and pre/post comparisons saw an empty function. The definition with the most calls (the
// first on a tie) stands for the name.
import type { FunctionFacts } from './types.js';
import { splitTopLevel } from './cond.js';
import { flatten } from './walk.js';

export function functionsByName(fns: readonly FunctionFacts[]): Map<string, FunctionFacts> {
  const out = new Map<string, FunctionFacts>();
  for (const f of fns) {
    const had = out.get(f.name);
    if (!had || f.calls.length > had.calls.length) out.set(f.name, f);
  }
  return out;
}

/** `s` without its `[...]` parts, each `[` to the first `]` after it (a regex was quadratic on `[` without `]`). */
function withoutBrackets(s: string): string {
  let out = '';
  let from = 0;
  for (let i = s.indexOf('['); i >= 0; i = s.indexOf('[', from)) {
    const j = s.indexOf(']', i + 1);
    if (j < 0) break;
    out += s.slice(from, i);
    from = j + 1;
  }
  return out + s.slice(from);
}

/** Names declared in a function: parameters and locals. */
export function declaredNames(fn: FunctionFacts): Set<string> {
  const out = new Set(fn.params);
  for (const s of flatten(fn.body)) {
    if (s.k !== 'decl') continue;
    const text = s.text.replace(/;\s*$/, '');
    for (const part of splitTopLevel(text)) {
      const lhs = withoutBrackets(part.split('=')[0]!).trim();
      const m = /(?<!\w)\d*([A-Za-z_]\w*)$/.exec(lhs);
      if (m) out.add(m[1]!);
    }
  }
  return out;
}
