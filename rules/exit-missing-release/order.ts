// Exit order the patch breaks: a teardown that used to undo init's steps last-first now gives
// back something init set up early while what was set up after it is still live. uvesafb's
// exit removing its connector callback before the driver whose remove() still talks through it;
// inet_frags_fini() moved ahead of the pernet and sysctl teardown that still use the frag
// queues. Judged per init/exit pair of the file (module_init/module_exit, and same-file
// `foo_init()`/`foo_exit()`, `register_foo()`/`unregister_foo()` helpers of another file's
// init), only for releases the pre-image's
// exit made as well (a move, not an addition), and only for orders the patch introduces: an
// order the subsystem wants otherwise (x_tables unregisters its templates first) stands in the
// pre-image and is not reported.
import { functionsByName } from '../../src/c/functions.js';
import type { CallSite, FileFacts, FunctionFacts } from '../../src/c/types.js';
import { callIdentity, resourceIdentity } from '../../src/c/lex.js';
import { moduleEntryPoints } from '../../src/engine/kernel/lifecycle.js';
import { acquireNamesFor, type PairBook } from '../../src/engine/kernel/pairs.js';

export interface Inversion {
  init: FunctionFacts;
  exit: FunctionFacts;
  /** Released first now, though acquired first. */
  early: { acquire: CallSite; release: CallSite };
  /** Acquired after it, released after it now. */
  late: { acquire: CallSite; release: CallSite };
}

/**
 * A teardown's name and the set-up it undoes: `foo_exit()`/`foo_init()`, and the register words
 * of helpers another file's init calls (`unregister_rpc_pipefs()`/`register_rpc_pipefs()`,
 * `foo_unregister()`/`foo_register()`, `foo_teardown()`/`foo_setup()`).
 */
const COUNTERPART_NAMES: readonly [RegExp, string][] = [
  [/^(.+)_(?:exit|fini|cleanup|uninit|deinit)$/, '$1_init'],
  [/^unregister_(.+)$/, 'register_$1'],
  [/^(.+)_unregister$/, '$1_register'],
  [/^(.+)_teardown$/, '$1_setup'],
];
const keyOf = callIdentity;

/** The file's init/exit pairs: the module's entry points, then `x_init()`/`x_exit()` by name. */
function lifecyclePairs(facts: FileFacts): { init: FunctionFacts; exit: FunctionFacts }[] {
  const byName = functionsByName(facts.functions);
  const out: { init: FunctionFacts; exit: FunctionFacts }[] = [];
  const ep = moduleEntryPoints(facts);
  if (ep.exit?.fn && ep.inits.length === 1) out.push({ init: ep.inits[0]!.fn, exit: ep.exit.fn });
  for (const f of facts.functions) {
    const rule = COUNTERPART_NAMES.find(([re]) => re.test(f.name));
    const init = rule ? byName.get(f.name.replace(rule[0], rule[1])) : undefined;
    if (init && init !== f && !out.some((p) => p.exit === f)) out.push({ init, exit: f });
  }
  return out.filter((p) => !p.init.hasError && !p.exit.hasError);
}

/** Init's acquire that a release of exit undoes: by the book or the name, then by the object. */
function acquireOf(rel: CallSite, init: FunctionFacts, book: PairBook): CallSite | undefined {
  const names = new Set(acquireNamesFor(rel.callee));
  const cands = init.calls.filter((a) => book.pairFor(a.callee)?.release.includes(rel.callee) || names.has(a.callee));
  if (cands.length <= 1) return cands[0];
  const ids = rel.args.map(resourceIdentity).filter((x) => x && x !== 'NULL');
  const same = cands.filter((a) => ids.some((id) => (a.assignedTo && resourceIdentity(a.assignedTo) === id) || a.args.some((x) => resourceIdentity(x) === id)));
  return same.length === 1 ? same[0] : undefined;
}

/** Pairs released in the same order they were acquired (the first set up, the first given back). */
function inversions(init: FunctionFacts, exit: FunctionFacts, book: PairBook): Map<string, Omit<Inversion, 'init' | 'exit'>> {
  const steps: { acquire: CallSite; release: CallSite }[] = [];
  for (const r of exit.calls) {
    const a = acquireOf(r, init, book);
    if (a && !steps.some((s) => s.acquire === a)) steps.push({ acquire: a, release: r });
  }
  const out = new Map<string, Omit<Inversion, 'init' | 'exit'>>();
  steps.forEach((early, i) => {
    for (const late of steps.slice(i + 1)) {
      if (early.acquire.line < late.acquire.line) out.set(`${keyOf(early.release)}<${keyOf(late.release)}`, { early, late });
    }
  });
  return out;
}

/**
 * `bookOf`: the pairs book of an image, asked for only when an exit's calls changed order (most
 * patches leave every exit as it was, and a book costs an exit-path walk).
 */
export function introducedInversions(pre: FileFacts, post: FileFacts, bookOf: (facts: FileFacts) => PairBook): Inversion[] {
  const prePairs = new Map(lifecyclePairs(pre).map((p) => [p.exit.name, p]));
  const out: Inversion[] = [];
  let books: [PairBook, PairBook] | undefined;
  for (const { init, exit } of lifecyclePairs(post)) {
    const was = prePairs.get(exit.name);
    if (!was || was.init.name !== init.name) continue;
    if (was.exit.calls.map(keyOf).join('\n') === exit.calls.map(keyOf).join('\n')) continue;
    books ??= [bookOf(pre), bookOf(post)];
    const before = inversions(was.init, was.exit, books[0]);
    const preReleases = new Set(was.exit.calls.map(keyOf));
    for (const [key, inv] of inversions(init, exit, books[1])) {
      if (before.has(key) || !preReleases.has(keyOf(inv.early.release)) || !preReleases.has(keyOf(inv.late.release))) continue;
      // One finding per release moved ahead: the first later step it now precedes.
      if (out.some((o) => o.exit === exit && o.early.release === inv.early.release)) continue;
      out.push({ init, exit, ...inv });
    }
  }
  return out;
}
