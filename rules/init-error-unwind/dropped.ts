// The module's exit as an oracle for init's unwind: a release that the module's exit path makes
// is something init holds when it succeeds. When a patch takes that very call off one of init's
// failure paths (`err_deinit: padata_free(pencrypt);` deleted, `padata_free(pencrypt)` still in
// module_exit), a later step's failure now returns with it held — whether or not the pairs book
// knows its acquire (`siw_create_tx_threads()` / `siw_stop_tx_threads()`, a list filled by a
// callback and emptied by `cleanup_entry_list()`).
import { functionsByName } from '../../src/c/functions.js';
import type { CallSite, FileFacts, FunctionFacts } from '../../src/c/types.js';
import { callIdentity, resourceIdentity } from '../../src/c/lex.js';
import { callsWithContext, moduleEntryPoints } from '../../src/engine/kernel/lifecycle.js';
import { acquireNamesFor, fallibility, moduleBook, releaseByName, type PairBook } from '../../src/engine/kernel/pairs.js';
import { exitPath } from '../../src/engine/kernel/teardown.js';
import { analyseUnwind, initScope } from '../../src/engine/kernel/unwind.js';
import type { IndexQuery } from '../../src/engine/types.js';

export interface DroppedUnwind {
  /** The release as the pre-image made it, on a failure path of `fn`. */
  call: CallSite;
  fn: FunctionFacts;
  /** The exit path's call of the same release. */
  exitFn: string;
}

const keyOf = callIdentity;

/** Calls a function makes itself and through same-file helpers (each helper once, a few levels down). */
function reachedCalls(facts: FileFacts, fn: FunctionFacts, depth = 3): CallSite[] {
  const byName = functionsByName(facts.functions);
  const seen = new Set([fn.name]);
  const out: CallSite[] = [];
  const visit = (f: FunctionFacts, d: number) => {
    for (const c of f.calls) {
      out.push(c);
      const h = byName.get(c.callee);
      if (h && d > 0 && !seen.has(h.name)) {
        seen.add(h.name);
        visit(h, d - 1);
      }
    }
  };
  visit(fn, depth);
  return out;
}

const count = (calls: readonly CallSite[], key: string): number => calls.filter((c) => keyOf(c) === key).length;

/**
 * The pre-image already got this release wrong (run for a step that failed, or before its
 * acquire) and the patch took the wrong call away: taking it off the path is the fix, not a leak.
 * By key, not line (which of two `atmsvc_exit()` calls the patch removed a count cannot tell:
 * atm_init()'s second one, under out_atmpvc_exit, was the wrong one), and only where the post-image
 * runs the release wrongly fewer times than the pre-image did: otherwise the right call went.
 */
function wrongCallRemoved(before: FunctionFacts, pre: FileFacts, after: FunctionFacts, post: FileFacts, book: PairBook, fallible: (c: string) => boolean, key: string): boolean {
  const wrong = (fn: FunctionFacts, facts: FileFacts) => analyseUnwind(fn, facts, { book, fallible }).misorders.filter((m) => keyOf(m.release) === key).length;
  const was = wrong(before, pre);
  return was > 0 && wrong(after, post) < was;
}

/**
 * Releases the patch removed from an init function's failure paths while the module's exit path
 * still makes the same call (same callee, same arguments). Not reported when the release moved
 * into a helper the function still calls, when another release of the same object took its
 * place, when what it undoes is no longer acquired there, or when the pre-image ran it wrongly.
 */
export function droppedUnwindReleases(pre: FileFacts, post: FileFacts, index?: IndexQuery): DroppedUnwind[] {
  const exitFn = moduleEntryPoints(post).exit?.fn;
  if (!exitFn || exitFn.hasError) return [];
  // The pre-image's own book: the calls weighed here are the pre-image's.
  const book = moduleBook(pre, index);
  const fallible = fallibility(pre, book, index);
  const exitKeys = new Set(exitPath(post, exitFn, index).map((p) => keyOf(p.call)));
  const preScope = functionsByName(initScope(pre));
  const out: DroppedUnwind[] = [];
  for (const fn of initScope(post)) {
    const before = preScope.get(fn.name);
    if (!before || before.hasError || fn.hasError) continue;
    const preReach = reachedCalls(pre, before);
    const postReach = reachedCalls(post, fn);
    const preKeys = new Set(preReach.map(keyOf));
    const postCallees = new Set(postReach.map((c) => c.callee));
    const seen = new Set<string>();
    for (const { call, onFailure } of callsWithContext(before)) {
      const key = keyOf(call);
      if (!onFailure || seen.has(key) || !exitKeys.has(key)) continue;
      if (!(book.isRelease(call.callee) || releaseByName(call.callee))) continue;
      if (count(postReach, key) >= count(preReach, key)) continue;
      seen.add(key);
      // Replaced by another release of the same object (`kfree(x)` -> `kvfree(x)`).
      const id = resourceIdentity(call.args[0] ?? '');
      if (id && postReach.some((c) => !preKeys.has(keyOf(c)) && resourceIdentity(c.args[0] ?? '') === id && (book.isRelease(c.callee) || releaseByName(c.callee)))) continue;
      // What it undoes went too: an acquire named like its counterpart, or the book's, no longer called here.
      const acquires = [...acquireNamesFor(call.callee), ...before.calls.filter((c) => book.pairFor(c.callee)?.release.includes(call.callee)).map((c) => c.callee)];
      if (acquires.some((a) => preReach.some((c) => c.callee === a) && !postCallees.has(a))) continue;
      if (wrongCallRemoved(before, pre, fn, post, book, fallible, key)) continue;
      out.push({ call, fn, exitFn: exitFn.name });
    }
  }
  return out;
}
