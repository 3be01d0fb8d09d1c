// A lookup's reference thrown away: `if (kset_find_obj(kset, name)) goto skip;` tests the
// object for being there and keeps nothing to put it with, so the reference kset_find_obj()
// took can never be dropped (hp-bioscfg before "fix reference leak"). Reported where the call
// is a statement of its own or the whole of a condition, and where a device-node lookup is
// handed straight to a call that neither puts nor takes it over (`syscon_node_to_regmap(
// of_get_parent(np))`, bcm53573 before "fix OF node leak in init"); `of_node_put(of_get_parent(np))`
// and `of_find_node_by_name(of_get_parent(np), ...)` (which puts its `from`) are fine.
// Any other lookup handed straight to a call that is not its own release leaks the same way:
// `debugfs_remove(debugfs_lookup(name, root))` removes the file and never dput()s the dentry
// the lookup took (the "fix memory leak with using debugfs_lookup()" series). Shared by
// init-error-unwind (init code) and exit-missing-release (the module's exit path).
import { walkStmts } from '../../c/walk.js';
import type { CallSite, FunctionFacts } from '../../c/types.js';
import { normCond } from '../../c/cond.js';
import type { PairBook } from './pairs.js';

export interface DiscardedRef {
  call: CallSite;
  release: string;
  /** The call the lookup was handed to, straight as an argument. */
  into?: string;
}

/**
 * Calls that take over a device node handed to them: of_find_*() put their `from` node,
 * of_get_next_*() their `prev`; the fwnode conversions hand the same reference on.
 */
function takesNodeOver(callee: string, arg: number): boolean {
  if (/^of_find_/.test(callee)) return arg === 0;
  if (/^of_get_next_/.test(callee)) return arg === 1;
  return /^(of_fwnode_handle|of_node_to_fwnode|to_of_node|of_node_get)$/.test(callee);
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
      // Handed straight to a call that neither drops nor takes over the node's reference
      // (`syscon_node_to_regmap(of_get_parent(np))`): nothing is left to put it with.
      const outer = own.calls.find((o) => o !== c && o.args.some((a) => a.trim().startsWith(`${c.callee}(`)));
      if (outer) {
        const at = outer.args.findIndex((a) => a.trim().startsWith(`${c.callee}(`));
        const ownRelease = pair.release.includes(outer.callee);
        if (/^of_/.test(c.callee) ? !book.isRelease(outer.callee) && !ownRelease && !takesNodeOver(outer.callee, at) : !ownRelease && book.isRelease(outer.callee)) out.push({ call: c, release: pair.release[0]!, into: outer.callee });
        continue;
      }
      // The whole condition or statement is this one call (nothing around it can keep the result).
      if (!whole(own.text, c.callee)) continue;
      if (own.calls.some((o) => o !== c && o.args.some((a) => a.includes(`${c.callee}(`)))) continue;
      out.push({ call: c, release: pair.release[0]! });
    }
  });
  return out;
}
