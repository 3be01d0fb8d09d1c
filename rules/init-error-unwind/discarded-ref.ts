// A lookup's reference thrown away: `if (kset_find_obj(kset, name)) goto skip;` tests the
// object for being there and keeps nothing to put it with, so the reference kset_find_obj()
// took can never be dropped (hp-bioscfg before "fix reference leak"). Reported where the call
// is a statement of its own or the whole of a condition; a lookup handed straight to another
// call (`of_node_put(of_find_node_by_name(...))`, `foo(of_get_parent(np))`) is not thrown away.
import { walkStmts } from '../../src/c/walk.js';
import type { CallSite, FunctionFacts } from '../../src/c/types.js';
import { normCond } from '../../src/c/cond.js';
import type { PairBook } from '../../src/engine/kernel/pairs.js';

export interface DiscardedRef {
  call: CallSite;
  release: string;
}

export function discardedLookupRefs(fn: FunctionFacts, book: PairBook): DiscardedRef[] {
  const out: DiscardedRef[] = [];
  const whole = (text: string, callee: string) => new RegExp(`^!?\\(*${callee}\\(.*\\)\\)*;?$`).test(normCond(text));
  walkStmts(fn.body, (s) => {
    const own = s.k === 'if' || s.k === 'loop' ? { text: s.cond, calls: s.condCalls } : s.k === 'expr' ? { text: s.text, calls: s.calls } : undefined;
    if (!own) return;
    for (const c of own.calls) {
      const pair = book.pairFor(c.callee);
      // (a lookup that hands its object out through an argument, acpi_get_table(sig, 0, &t),
      // returns only a status: testing or dropping that keeps the reference in `t` all the same)
      if (!pair?.lookup || c.assignedTo || pair.kind === 'status') continue;
      // The whole condition or statement is this one call (nothing around it can keep the result).
      if (!whole(own.text, c.callee)) continue;
      if (own.calls.some((o) => o !== c && o.args.some((a) => a.includes(`${c.callee}(`)))) continue;
      out.push({ call: c, release: pair.release[0]! });
    }
  });
  return out;
}
