// Functions of a file by name. A name can be defined more than once in one file: the real body
// under `#ifdef CONFIG_MODULES` and a stub under `#else` (kernel/static_call_inline.c), arch or
// config variants. A plain Map keeps the last definition, which is usually the stub, so the call
// graph and pre/post comparisons saw an empty function. The definition with the most calls (the
// first on a tie) stands for the name.
import type { FunctionFacts } from './types.js';

export function functionsByName(fns: readonly FunctionFacts[]): Map<string, FunctionFacts> {
  const out = new Map<string, FunctionFacts>();
  for (const f of fns) {
    const had = out.get(f.name);
    if (!had || f.calls.length > had.calls.length) out.set(f.name, f);
  }
  return out;
}
