// Use after free on an init failure path: the unwind gives an object back and the next
// statements still read it — `kfree(iio_evgen); return PTR_ERR(iio_evgen->irq_sim_domain);`
// (iio_dummy_evgen_create()). The error code, the message or the next release is taken from
// memory that is no longer the module's. Only straight-line code is followed: the statements
// after the free in the same block, up to a label (another path joins there), a goto, or a
// new value for the object.
import { childLists, ownCalls, ownText, walkStmts } from '../../src/c/walk.js';
import type { CallSite, FunctionFacts, Stmt } from '../../src/c/types.js';
import { escapeRegExp, squash } from '../../src/c/lex.js';

/** Frees that give the object's memory back at once, and which argument names it. */
const FREES: Readonly<Record<string, number>> = { kfree: 0, kvfree: 0, vfree: 0, kfree_sensitive: 0, kzfree: 0, kmem_cache_free: 1 };

/** An object named as a plain access path (`p`, `priv->buf`, `dev.data`): what a later read can be matched against. */
const ACCESS_PATH = /^[A-Za-z_]\w*(?:(?:->|\.)[A-Za-z_]\w*)*$/;

export interface FreedUse {
  free: CallSite;
  object: string;
  useLine: number;
}

/** Reads of the object after it was freed, in the statements that follow the free in its block. */
export function usesAfterFree(fn: FunctionFacts): FreedUse[] {
  const out: FreedUse[] = [];
  const lists: (readonly Stmt[])[] = [fn.body];
  walkStmts(fn.body, (s) => lists.push(...childLists(s)));
  for (const list of lists) {
    list.forEach((s, i) => {
      if (s.k !== 'expr') return;
      for (const free of ownCalls(s)) {
        const at = FREES[free.callee];
        if (at === undefined) continue;
        const object = squash(free.args[at] ?? '').replace(/ ?(->|\.) ?/g, '$1');
        if (!ACCESS_PATH.test(object)) continue;
        // A read through the object: a member, an element, or the object passed on whole.
        const name = `(?<![\\w.>])${escapeRegExp(object).replace(/->|\\\./g, '\\s*$&\\s*')}\\s*`;
        const read = new RegExp(`${name}(?:->|\\.|\\[)`);
        const reassigned = new RegExp(`${name}=(?!=)`);
        for (const next of list.slice(i + 1)) {
          if (next.k === 'label' || next.k === 'goto') break;
          const text = ownText(next);
          if (text === undefined) {
            // A nested block: looked at as a whole only for the first statement it runs.
            break;
          }
          if (read.test(text)) {
            out.push({ free, object, useLine: next.line });
            break;
          }
          if (reassigned.test(text) || next.k === 'return' || next.k === 'if' || next.k === 'loop' || next.k === 'switch') break;
        }
      }
    });
  }
  return out;
}
