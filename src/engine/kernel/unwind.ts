// Error-path analysis of an init function over the statement IR: walk the body in order keeping
// what has been acquired and not yet released; at every failure exit (a `return -E...`, or a
// return/goto inside a failure check) follow the unwind path — for a goto, the statements from
// its label to the function's end, falling through later labels — and see what is still held.
import type { Assign, CallSite, FileFacts, FunctionFacts, Stmt } from '../../c/types.js';
import { baseName, resourceIdentity, squash, escapeRegExp } from '../../c/lex.js';
import { childLists, flatten, lastStmt, ownText, testAfter } from '../../c/walk.js';
import { logicalParts, looksLikeFailureTest, loopIndex, normCond, splitTopLevel, visitsBeforeIndexOnly } from '../../c/cond.js';
import { isManaged, managedByAllocator, REF_ITERATORS, releasesHandle, type AcquireKind } from './resources.js';
import { allocatorReleases, isAllocatorRelease, keptAllocation, kindAt, locallyReleased, filledName, filledThrough, LOOKS_ONLY, namesExisting, releaseByName, STATUS_NAMES, TABLE_BOOK, type BookPair, type PairBook } from './pairs.js';
import { declaredNames } from '../../c/functions.js';
import { callsWithContext } from './lifecycle.js';

export interface Held {
  pair: BookPair;
  call: CallSite;
  /** Identity text: the handle variable, or the resource argument. */
  id: string;
  /** Every name the resource goes by: the id, the variable a nid lands in, later copies (`x = wq`). */
  ids: string[];
  /** Acquired inside a same-file helper (`err = init_inodecache();`): the acquire in the helper. */
  via?: CallSite;
  /**
   * Acquired in one arm of an if/else whose other arm acquired something else
   * (`if (hv) rc = pci_register_driver(..); else rc = platform_driver_register(..);`): only one
   * of the group exists, and a failure test of one is a failure test of the group.
   */
  alt?: object;
  /**
   * Its failure was not acted on: the result was thrown away (`register_x(&a);`), or the failure
   * branch only logged and carried on. It may not be held; if init then returns 0, the module's
   * exit releases something that was never acquired.
   */
  unchecked?: 'discarded' | 'reported' | 'untested';
  /** Held on entry: the function releases it on another failure path (line), so its caller acquired it. */
  inherited?: number;
  /** What a failed acquire leaves behind (device_register() failed: put_device() is still due). */
  residue?: boolean;
  /** Acquired only on the success side of a test of this step (`if (ret < 0) log; else acquire;`): not held where it failed. */
  okOnly?: CallSite;
  /** Acquired on an earlier turn of the loop being walked again: a failure of this turn's call is not its failure. */
  earlierTurn?: boolean;
}

export interface Leak {
  held: Held;
  /** The statement that leaves: a return, or the goto whose path ends in one. */
  exitLine: number;
  exitKind: 'return' | 'goto';
  label?: string;
  /** The call whose failure is being handled, when the exit sits in a check of it. */
  failed?: CallSite;
  /** Line of the return the unwind path ends at. */
  returnLine: number;
  /** A lookup's reference left at a return that is not a failure. */
  success?: boolean;
  /** A lookup's reference lost where its only local is overwritten (exitLine is the assignment). */
  overwritten?: boolean;
}

/** A failure path that undoes init's work and then returns a variable that is 0: success. */
export interface ZeroReturn {
  variable: string;
  /** The goto that starts the path, its label, and the return it ends at. */
  gotoLine: number;
  label: string;
  returnLine: number;
  failed?: CallSite;
  /** A release the path makes on its way (what shows it is the failure path); none for a bare return. */
  release?: CallSite;
}

export interface Misorder {
  /** The release run on the unwind path for something not acquired yet. */
  release: CallSite;
  pair: BookPair;
  /** The release undoes the very step whose failure is being handled (it never happened). */
  failedStep?: boolean;
  gotoLine: number;
  label: string;
  failed?: CallSite;
}

/** An acquire whose failure init does not act on, before a success return. */
export interface Ignored {
  held: Held;
  /** The success return reached with the failure unhandled (or the line that overwrote its status). */
  returnLine: number;
  /** Its status was overwritten by a later step's before anything read it, at returnLine. */
  overwritten?: boolean;
  /** The exit path does not release it (an untested handle is reported all the same: its first use oopses). */
  unreleased?: boolean;
}

export interface UnwindReport {
  leaks: Leak[];
  /** Failure paths through a label that undo work and return 0 (only those: a bare `return ret;` may be deliberate). */
  zeroReturns: ZeroReturn[];
  misorders: Misorder[];
  ignored: Ignored[];
}

export interface UnwindOptions {
  book?: PairBook;
  /** Can a call of this function fail (return a negative errno)? Unknown functions: no. */
  fallible?: (callee: string) => boolean;
  /**
   * The function as it was before the patch. A local it allocated and freed itself is still
   * its own to free where the patch kept the allocation and took the free away
   * (bcm2835_timer_init()'s kzalloc()ed timer, its kfree() dropped with its label).
   */
  before?: FunctionFacts;
  /**
   * The file's text as written: locals declared `__free(...)` (scope-based cleanup,
   * include/linux/cleanup.h) are released when they go out of scope, which the preprocessed
   * facts no longer show.
   */
  source?: string;
  /** The file prepared once for several of its functions (prepareUnwind() with the same book, fallible and source). */
  file?: UnwindFile;
}

interface State {
  held: Held[];
  /** Unreachable: after a return or goto. */
  dead: boolean;
  /** Status variables and the call whose result they hold, while it may still be a failure (`ret = f();`). */
  status: Map<string, CallSite>;
  /** Variables known to hold 0 here (`ret = f(); if (ret) goto err;` falls through with ret 0). */
  zero: Set<string>;
}

interface Ctx {
  fn: FunctionFacts;
  /** The function as it was before the patch, where the patch keeps it (UnwindOptions.before). */
  before?: FunctionFacts;
  /** Lines of the source that open, switch or close a preprocessor conditional (`#if`, `#else`, `#endif`). */
  cppLines: number[];
  /** The source's lines (empty without the source). */
  sourceLines: string[];
  /** Locals declared `__free(...)`: released at scope exit, never held. */
  scoped: Set<string>;
  book: PairBook;
  fallible: (callee: string) => boolean;
  /** Conditions of the function, for how each acquire's result is tested. */
  conds: { line: number; cond: string }[];
  locals: Set<string>;
  /** Locals the function gives back itself (pairs.ts locallyReleased), by `line:callee` of the acquire. */
  localPairs: Map<string, BookPair>;
  /** The releases of those pairs. */
  localReleases: Set<string>;
  /** Top-level statement sequence, labels included, for goto paths. */
  top: Stmt[];
  /** Every acquire the function makes, to tell "released before acquired". */
  acquiredIds: Map<string, CallSite[]>;
  /**
   * File-scope objects the file gives back somewhere (`kmem_cache_destroy(extent_tree_slab)` in
   * f2fs_destroy_extent_cache()), with the releases used: whatever call fills one acquires it.
   */
  objectReleases: ReadonlyMap<string, readonly string[]>;
  /** Releases performed by same-file static helpers, one level deep. */
  helperReleases: Map<string, CallSite[]>;
  /** Those of helperReleases that name a file-scope object (see helperReleases()). */
  namedReleases: ReadonlySet<CallSite>;
  /** What same-file static helpers still hold when they return success, one level deep. */
  helperAcquires: Map<string, Held[]>;
  /** Set while analysing a helper: collects what is held at its successful returns. */
  kept?: Held[];
  /** Same-file helpers that succeed by returning non-zero (see truthHelpers()). */
  truthHelpers: ReadonlySet<string>;
  /** Labels whose paths are being followed: a backward goto (`goto retry;`) is not followed twice. */
  following: Set<string>;
  /** Where each variable is assigned a call's result, direct or through a pointer. */
  resultAssigns: Map<string, number[]>;
  /** Names a chained assignment gives one value (`dev = priv->n64joy_dev[i] = alloc()`), both ways. */
  sameValue: Map<string, string[]>;
  /**
   * States at forward gotos that are not failures (`goto found;` out of a search loop), by label:
   * the code after such a label, reached only by those gotos, is walked from them.
   */
  resumes: Map<string, State[]>;
  /** Loops the walk is inside of (a goto out of one may be a search's success). */
  loopDepth: number;
  /** Counting loops the walk is inside of (`for (i = 0; i < n; i++)`): lines and index. */
  openLoops: { line: number; end: number; index: string; counter?: string }[];
  /**
   * What `break` leaves each enclosing loop with (innermost last; null for a switch, whose
   * `break` leaves the switch only): an iterator's cursor stays held when the loop is left early.
   */
  breaks: (Set<Held> | null)[];
  /** Returns on a failure path of a variable known to hold 0 (`return retval;` after `if (retval) goto ...`). */
  zeroReturns: ZeroReturn[];
  leaks: Leak[];
  misorders: Misorder[];
  ignored: Ignored[];
}

// A handle tested in place and never stored (`if (!proc_create_seq("nr", ...))`) goes by its
// first argument, which is what its release names (`remove_proc_entry("nr", ...)`).
const idOf = (pair: BookPair, call: CallSite): string =>
  fixedId(pair, call) || (pair.kind === 'status' || !call.assignedTo ? resourceIdentity(call.args[pair.arg ?? 0] ?? '') : resourceIdentity(call.assignedTo));

/**
 * A fixed id (`cpuhp_setup_state(CPUHP_AP_FOO_STARTING, ...)`, a fixed major) is the resource:
 * the status variable the call returns 0 into is reused by the next step and names nothing.
 */
function fixedId(pair: BookPair, call: CallSite): string {
  const arg = pair.kind === 'nid' ? resourceIdentity(call.args[pair.arg ?? 0] ?? '') : '';
  return /^[A-Z][A-Z0-9_]*$/.test(arg) && !/_DYN$/.test(arg) ? arg : '';
}

function idsOf(pair: BookPair, call: CallSite): string[] {
  const fixed = fixedId(pair, call);
  if (fixed) return [fixed];
  const ids = [idOf(pair, call)];
  // register_chrdev(MAJOR, ...) and cpuhp_setup_state(CPUHP_FIXED, ...) are undone by the argument.
  if (pair.kind === 'nid' && call.args[pair.arg ?? 0]) ids.push(resourceIdentity(call.args[pair.arg ?? 0]!));
  return ids.filter((x) => x && !/^-?\d+$/.test(x));
}

function releaseMatches(h: Held, rel: CallSite, held: Held[], byKindOnly = false): boolean {
  if (!h.pair.release.includes(rel.callee)) return false;
  const args = rel.args.map(resourceIdentity);
  if (!byKindOnly && h.ids.length && args.length) {
    // (whole identifiers: `&pdev->dev` names `pdev`; `so_getorigdst6` does not name `so_getorigdst`)
    if (args.some((a) => h.ids.some((id) => a === id || namesWhole(a, id) || (a.length > 2 && namesWhole(id, a))))) return true;
    // An element of the same array whatever the index (`pdevs[i]` acquired in a loop, released
    // as `pdevs[--i]` by the unwinding loop).
    const anyIndex = (x: string) => (x.includes('[') ? x.replace(/\[[^[\]]*\]/g, '[]') : '');
    if (args.some((a) => anyIndex(a) && h.ids.some((id) => anyIndex(id) === anyIndex(a)))) return true;
    // Released by what it was made from (`device_destroy(&cls, devt)` for `dev =
    // device_create(&cls, NULL, devt, ...)`): every argument of the release is one of the acquire's.
    const made = h.call.args.map((a) => resourceIdentity(a).replace(/\s+/g, ''));
    return args.every((a) => a && made.includes(a.replace(/\s+/g, '')));
  }
  // Without a usable identity (or inside a cleanup helper, whose arguments are its own locals),
  // a release of the right kind releases the only such resource held.
  return byKindOnly || held.filter((x) => x.pair.release.includes(rel.callee)).length === 1;
}

/** Does `text` contain `name` as a whole identifier (or access path)? */
function namesWhole(text: string, name: string): boolean {
  const at = text.indexOf(name);
  if (at < 0) return false;
  const word = /\w/;
  for (let i = at; i >= 0; i = text.indexOf(name, i + 1)) {
    if (!word.test(text[i - 1] ?? '') && !word.test(text[i + name.length] ?? '')) return true;
  }
  return false;
}

/** The held resource a release undoes: an identity match first, then the only one of its kind. */
function releasedIndex(held: Held[], rel: CallSite, byKindOnly = false): number {
  // The release's first argument names what it gives back; later ones say where it hangs
  // (`remove_proc_entry("socket", llc_proc_dir)` removes the entry made under that name, not
  // the directory).
  const first = resourceIdentity(rel.args[0] ?? '');
  const names = (h: Held) => h.ids.includes(first) || h.call.args.some((a) => resourceIdentity(a) === first);
  const byFirst = first && !byKindOnly ? held.findIndex((h) => names(h) && releaseMatches(h, rel, held)) : -1;
  return byFirst >= 0 ? byFirst : held.findIndex((h) => releaseMatches(h, rel, held, byKindOnly));
}

/**
 * A release whose argument names the resource another way than its acquire did
 * (`sock_unregister(PF_SMC)` for `sock_register(&smc_sock_family_ops)`) undoes the only held
 * resource of its kind — unless the argument is what another acquire of this function is called.
 */
function renamedReleaseIndex(held: Held[], rel: CallSite, ctx: Ctx): number {
  const args = rel.args.map(resourceIdentity).filter(Boolean);
  const known = (ctx.acquiredIds.get(rel.callee) ?? []).flatMap((a) => idsOf(pairAt(a, ctx)!, a));
  // Whole-identifier containment: `init_net.proc_net` does not name a handle called `e`.
  const names = (a: string, k: string) => a === k || namesWhole(a, k);
  if (!args.length || args.some((a) => known.some((k) => names(a, k) || names(k, a)))) return -1;
  // A handle kept in a variable is released through that variable (or a copy of it, which
  // applyAliases() records): `kfree(f_ffs[0])` does not free `fi_ffs`.
  const same = held.filter((h) => h.pair.release.includes(rel.callee) && !(h.pair.kind === 'handle' && h.call.assignedTo));
  return same.length === 1 ? held.indexOf(same[0]!) : -1;
}

/**
 * A call that fills a file-scope object the file releases elsewhere (`extent_tree_slab =
 * f2fs_kmem_cache_create(...)`, a wrapper defined in a header, and `kmem_cache_destroy(
 * extent_tree_slab)` in the file's teardown): the fill acquires it, whatever the callee is named.
 */
function objectPair(c: CallSite, ctx: Ctx): BookPair | undefined {
  if (ctx.book.isRelease(c.callee) || releaseByName(c.callee) || namesExisting(c.callee) || NOT_A_MAKER.test(c.callee)) return undefined;
  // (or filled through its address by a maker whose result is a status: `err =
  // snd_device_alloc(&seq_dev, NULL)` ... `put_device(seq_dev)`, acquired as the status says)
  const filled = filledThrough(c);
  if (!filled && (!c.assignedTo || STATUS_NAMES.test(resourceIdentity(c.assignedTo)))) return undefined;
  const id = filledName(c);
  if (!/^[A-Za-z_]\w*$/.test(id) || ctx.locals.has(id) || ctx.fn.params.includes(id)) return undefined;
  const release = ctx.objectReleases.get(id);
  if (!release?.length) return undefined;
  return filled ? { acquire: c.callee, release: [...release], kind: 'status', arg: filled.arg, source: 'file' } : { acquire: c.callee, release: [...release], kind: 'handle', source: 'file' };
}

/**
 * Calls that say why nothing was made or hand out what already exists beyond the conversions
 * (`clk = ERR_PTR(-ENOENT)`, `nsmtd = nand_to_mtd(chip)`, `irq = platform_get_irq(pdev)`, lookups).
 */
const NOT_A_MAKER = /^(ERR_PTR|ERR_CAST|\w+_to_\w+|\w*get\w*|\w*find\w*|\w*lookup\w*|\w*probe\w*)$/;

/**
 * File-scope objects (not a local or parameter where released) and the releases the file's
 * functions call on them. Only releases that give back a handle or memory: what `free_irq(irq)`
 * or `mtd_device_unregister(mtd)` undoes is a registration made by another call, not the fill of
 * the object they name.
 */
function fileObjectReleases(facts: FileFacts, book: PairBook): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of facts.functions) {
    let locals: Set<string> | undefined;
    for (const c of f.calls) {
      if (!book.isRelease(c.callee) || !(releasesHandle(c.callee) || isAllocatorRelease(c.callee))) continue;
      const id = resourceIdentity(c.args[0] ?? '');
      if (!/^[A-Za-z_]\w*$/.test(id) || /^[A-Z_][A-Z0-9_]*$/.test(id) || f.params.includes(id)) continue;
      locals ??= declaredNames(f);
      if (locals.has(id)) continue;
      const rs = out.get(id) ?? [];
      if (!rs.includes(c.callee)) out.set(id, [...rs, c.callee]);
    }
  }
  return out;
}

/** The pair a call acquires, with how this call site tells failure (the table's kind, or as the code tests it). */
function pairAt(c: CallSite, ctx: Ctx): BookPair | undefined {
  // (a managed acquire is the driver core's to undo, whatever the file's own names pair it
  // with: `devm_kzalloc()` in a probe the patch touches, `dmam_alloc_coherent()`)
  if (isManaged(c.callee) || managedByAllocator(c.callee, ctx.fn.calls)) return undefined;
  const p = ctx.book.pairFor(c.callee) ?? keptAllocation(c, ctx.locals) ?? ctx.localPairs.get(`${c.line}:${c.callee}`) ?? objectPair(c, ctx);
  if (!p || p.source === 'table') return p;
  return { ...p, kind: kindAt(p, c, ctx.conds) };
}

/**
 * `err = register_x(&a);` and nothing reads err before it is given the next step's result (or
 * the function ends): the failure is as thrown away as a discarded result.
 */
function neverRead(c: CallSite, ctx: Ctx): boolean {
  const v = c.assignedTo ? resourceIdentity(c.assignedTo) : '';
  if (!/^[A-Za-z_]\w*$/.test(v) || !ctx.locals.has(v)) return false;
  const word = new RegExp(`(^|[^\\w>.])${v}(?!\\w)`);
  const lhs = new RegExp(`^\\s*${v}\\s*=(?!=)`);
  const assigned = new Set([...(ctx.resultAssigns.get(v) ?? []), ...ctx.fn.calls.filter((x) => x.assignedTo !== undefined && resourceIdentity(x.assignedTo) === v).map((x) => x.line)]);
  // What runs after the call on its own path: the rest of its statement list and of each list
  // around it, up to the next result v is given or the function's top-level return (a label
  // after that, `out: return err;`, is reached through gotos of earlier steps).
  for (const x of following(ctx.fn.body, c.line)) {
    // (the statement that assigns the next result may read v too: `err = err ?: f();`)
    if (word.test((ownText(x) ?? '').replace(lhs, ''))) return false;
    if (assigned.has(x.line) || (x.k === 'return' && ctx.fn.body.includes(x))) return true;
  }
  return true;
}

/**
 * `ret = class_register(&c); ret = bus_register(&b);` outside any failure path: the first step's
 * status is overwritten by the next one's before anything reads it, so where the later steps
 * work init returns 0 with the first one failed — and exit undoes it all the same (rpmsg_init()
 * with its class_register() check gone). Reported here, where the status is lost: the branches
 * that follow may release it on some paths and hide that it was never tested.
 */
function overwrittenUnread(calls: readonly CallSite[], st: State, ctx: Ctx): void {
  for (const c of calls) {
    const v = c.assignedTo ? resourceIdentity(c.assignedTo) : '';
    if (!v) continue;
    for (const h of st.held) {
      if (h.unchecked !== 'discarded' || (h.pair.kind !== 'status' && h.pair.kind !== 'nid') || h.via || h.call.line >= c.line) continue;
      if (!h.call.assignedTo || resourceIdentity(h.call.assignedTo) !== v || !(strong(h, ctx) || undoneHere(h, ctx) || testDropped(h.call, ctx))) continue;
      // (not across a preprocessor conditional: `#if LIME ret = platform_driver_register(); #endif
      // #if PCI ret = pci_register_driver(); #endif` are alternatives of one build, mb862xxfb_init())
      if (ctx.cppLines.some((l) => l > h.call.line && l < c.line)) continue;
      ctx.ignored.push({ held: h, returnLine: c.line, overwritten: true, ...(strong(h, ctx) ? {} : { unreleased: true }) });
    }
  }
}

/**
 * Handles a caller may leave untested: debugfs calls return an error pointer every other
 * debugfs call accepts ("debugfs: remove return value checks"); proc entries, sysctl tables and
 * s390 debug areas are optional and their users take NULL; a formatted name is only printed;
 * a SLAB_PANIC cache never returns NULL.
 */
function untestedByDesign(c: CallSite): boolean {
  return /^(debugfs_|proc_|register_sysctl|debug_register|kasprintf|kvasprintf|kstrdup|kstrndup|kmemdup)/.test(c.callee) || c.args.some((a) => /\bSLAB_PANIC\b/.test(a));
}

/**
 * An allocated handle (`wq = alloc_workqueue(...)`, `cachep = kmem_cache_create(...)`) whose
 * value nothing after the call tests: no `!wq`, `wq == NULL`, `IS_ERR(wq)`, `if (wq)`, no
 * return or copy of it. Read from the source text (a test may sit in a macro or a loop
 * condition the facts do not list), from the call's line to the function's end (or in the
 * whole file); false without the source.
 */
function neverTested(c: CallSite, ctx: Ctx, wholeFile = false, copies = true): boolean {
  const v = c.assignedTo ? resourceIdentity(c.assignedTo) : '';
  if (!v || !ctx.sourceLines.length || !/^[A-Za-z_][\w.>-]*$/.test(v)) return false;
  const text = (wholeFile ? ctx.sourceLines : ctx.sourceLines.slice(c.line - 1, ctx.fn.endLine)).join('\n');
  const x = `(?<![\\w>.])${escapeRegExp(v)}(?![\\w\\[(]|\\s*(?:->|\\.))`;
  const tests = [
    `!\\s*\\(?\\s*${x}`,
    `${x}\\s*(?:==|!=|\\?|&&|\\|\\|)`,
    `(?:==|!=|&&|\\|\\|)\\s*${x}`,
    `\\b(?:if|while|IS_ERR\\w*|PTR_ERR\\w*|ERR_CAST|WARN_ON\\w*|BUG_ON|unlikely|likely)\\s*\\(\\s*${x}\\s*\\)`,
    `\\breturn\\s+\\(?\\s*${x}`,
    // (a copy: the value may be tested under its other name)
    ...(copies ? [`(?<![=!<>])=\\s*\\(?\\s*${x}\\s*\\)?\\s*;`] : []),
  ];
  return !tests.some((t) => new RegExp(t).test(text));
}

/** Does `later` assign its result where `h`'s status went (`ret = a(); ... ret = b();`)? */
function overwrites(later: CallSite, h: Held): boolean {
  return !!later.assignedTo && !!h.call.assignedTo && resourceIdentity(later.assignedTo) === resourceIdentity(h.call.assignedTo);
}

/** 1-based lines of `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else`/`#endif` in the source. */
function conditionalLines(lines: readonly string[]): number[] {
  const out: number[] = [];
  lines.forEach((l, i) => {
    if (/^\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b/.test(l)) out.push(i + 1);
  });
  return out;
}

/** The statements that follow the one at `line` in its list and in every list around it, nested ones flattened, in order. */
function following(body: readonly Stmt[], line: number): Stmt[] {
  for (let i = 0; i < body.length; i++) {
    const s = body[i]!;
    const after = body.slice(i + 1);
    // (a condition at that line reads the result itself: `if ((err = f()))`)
    if (s.line === line) return s.k === 'expr' || s.k === 'decl' || s.k === 'return' ? flatten(after) : [s];
    for (const list of childLists(s)) {
      if (flatten(list).some((x) => x.line === line)) return [...following(list, line), ...flatten(after)];
    }
  }
  return [];
}

/** `register_x(&a);` as a statement of its own: the result is thrown away. */
function discarded(c: CallSite, text: string): boolean {
  return !c.assignedTo && new RegExp(`^\\s*${escapeRegExp(c.callee)}\\s*\\(`).test(text);
}

/**
 * A condition part that compares the resource's own value (`ret >= size`, `p == dflt`), or the
 * object holding it (`!atp_rfk || !atp_rfk->rfkill`: without the object there is no member).
 */
function readsItself(part: string, h: Held): boolean {
  const own = [...h.ids, ...(h.call.assignedTo ? [resourceIdentity(h.call.assignedTo)] : [])].filter(Boolean);
  // (not a member of the handle itself: `!dev || dev->hdr_type != PCI_HEADER_TYPE_BRIDGE` is
  // true with dev held, cpcihp_generic_init())
  const member = h.pair.kind === 'handle' ? '(?!\\s*(?:->|\\.))' : '';
  const reads = (n: string, tail: string) => new RegExp(`^[(\\s!]*${escapeRegExp(n)}\\b(?!\\s*\\()${tail}`).test(part.trim());
  return own.some((n) => reads(n, member)) || own.map(baseName).some((n) => !own.includes(n) && reads(n, ''));
}

/**
 * Does a failed acquire leave something to release (device_register(): put_device())? Not one a
 * helper made (`h.via`): a helper that fails has seen to its own residue, or its own analysis
 * reports that it did not.
 */
function leavesResidue(h: Held): boolean {
  return !h.via && !!h.pair.onFailure?.length && !(h.pair.onFailureAllocatedOnly && /^&\s*\w+$/.test(h.call.args[0] ?? ''));
}

function applyCalls(calls: CallSite[], st: State, ctx: Ctx, text = ''): void {
  for (const c of calls) {
    if (c.assignedTo) st.zero.delete(resourceIdentity(c.assignedTo));
    // (a call handed `&ret` may set it)
    for (const a of c.args) {
      const m = /^&\s*(\w+)$/.exec(a.trim());
      if (m) st.zero.delete(m[1]!);
    }
    if (ctx.book.isRelease(c.callee) || ctx.localReleases.has(c.callee)) {
      let i = releasedIndex(st.held, c);
      if (i < 0) i = renamedReleaseIndex(st.held, c, ctx);
      // A cleanup that names nothing (`orangefs_debugfs_cleanup()`, `Isdnl1_cleanup()`) undoes the
      // module-wide state every step it pairs with set up, not one of them.
      if (i < 0 && !c.args.length) st.held = st.held.filter((x) => !x.pair.release.includes(c.callee));
      if (i >= 0) {
        const h = st.held[i]!;
        // One release undoes every step taken on the same object (`platform_device_alloc(p)` +
        // `platform_device_add(p)`, both undone by `platform_device_unregister(p)`).
        // The put a failed registration still needs (put_device(), platform_device_put()) ends in
        // the object's release callback, which frees the allocation too.
        // So does that put on an embedded device (`put_device(&host->dev)` after a failed
        // device_register()): the callback frees the container `host` was allocated as.
        const container = (x: Held) => h.residue === true && x.id !== '' && (h.id.startsWith(`${x.id}->`) || h.id.startsWith(`${x.id}.`));
        st.held = st.held.filter((x, j) => j !== i && !(h.id && ((x.id === h.id && (h.residue || x.pair.release.includes(c.callee))) || container(x))));
      }
    }
    // `remove_proc_subtree("atalk", ...)`, `debugfs_remove_recursive(dir)`: the entries made
    // under the removed one go with it (atalk_proc_init(), srm_env_init()).
    const subtree = SUBTREE_RELEASES[c.callee];
    if (subtree) st.held = st.held.filter((h) => !subtree.test(h.pair.acquire));
    // `devm_add_action_or_reset(dev, action, x)`: devres now undoes x (the action runs at
    // unbind, and at once if adding it fails), so nothing of x is the function's to release.
    if (/^devm_add_action(_or_reset)?$/.test(c.callee) && c.args[2]) {
      const x = resourceIdentity(c.args[2]);
      st.held = st.held.filter((h) => !h.ids.includes(x));
    }
    for (const rel of ctx.helperReleases.get(c.callee) ?? []) {
      // A helper's release that names a held resource (iounmap_macfb()'s
      // `iounmap(civic_cmap_regs)`) undoes that one, and every copy of it: the same global mapped
      // on each arm of a switch is held once per arm after the merge. Otherwise (the helper's
      // own parameter or local) it undoes one resource of its kind.
      const i = releasedIndex(st.held, rel);
      if (i >= 0) {
        const h = st.held[i]!;
        st.held = st.held.filter((x, j) => j !== i && !(h.id && x.id === h.id && x.pair.release.includes(rel.callee)));
        continue;
      }
      // (not a release of another file-scope object: `iounmap(mmp_icu_base)` on mmp_init_bases()'s
      // own failure path gives back the helper's mapping, not its caller's `mmp_icu2_base`; a
      // local may still point at it, `drv = &haltpoll_driver`)
      const k = releasedIndex(st.held, rel, true);
      if (k >= 0 && !(ctx.namedReleases.has(rel) && fileScopeName(st.held[k]!.id, ctx))) st.held.splice(k, 1);
    }
    const pair = pairAt(c, ctx);
    // A lookup whose result is not stored (only tested, or handed straight to another call)
    // holds nothing the walk can name: init-error-unwind reports a thrown-away reference itself.
    // Nor does a `__free()` local hold anything: its cleanup runs on every way out of its scope.
    if (pair && !(pair.lookup && !c.assignedTo) && !(c.assignedTo && ctx.scoped.has(resourceIdentity(c.assignedTo)))) {
      const ids = idsOf(pair, c);
      for (const id of [...ids]) for (const other of ctx.sameValue.get(id) ?? []) if (!ids.includes(other)) ids.push(other);
      const h: Held = { pair, call: c, id: idOf(pair, c), ids };
      // (a step the function tested before the patch can fail, by its author's word, whatever
      // the index knows of the callee: scsi_add_host() is an inline wrapper)
      if ((pair.kind === 'status' || pair.kind === 'nid') && (discarded(c, text) || neverRead(c, ctx)) && (ctx.fallible(c.callee) || testDropped(c, ctx))) h.unchecked = 'discarded';
      else if (pair.kind === 'handle' && pair.source === 'table' && ctx.book.pairFor(c.callee)?.kind === 'handle' && !pair.lookup && !untestedByDesign(c) && neverTested(c, ctx)) h.unchecked = 'untested';
      st.held.push(h);
    }
    // The helper's result says whether it succeeded: its resources are held like a status acquire.
    // (a helper that returns what it found, `return 4;` or 0, says success by a true result:
    // `if (!speedstep_detect_chipset())` is its failure test; others report failure by non-zero)
    const helperKind: AcquireKind = ctx.truthHelpers.has(c.callee) ? 'handle' : 'status';
    for (const k of ctx.helperAcquires.get(c.callee) ?? []) st.held.push({ pair: { ...k.pair, acquire: c.callee, kind: helperKind }, call: c, id: k.id, ids: k.ids, via: k.call });
    if (c.assignedTo) st.status.set(resourceIdentity(c.assignedTo), c);
  }
}

/** `x = wq;` — the resource now also goes by x (it may be released through x). `ret = 0;` — no failure pending in ret. */
function applyAliases(assigns: Assign[] | undefined, st: State, ctx?: Ctx, stmt?: { line: number; calls: CallSite[] }): void {
  for (const a of assigns ?? []) {
    if (ctx && stmt && a.op === '=') overwrittenRefs(a, st, ctx, stmt);
    // (what is known to be 0: `ret = 0;`, `int ret = 0;`; any other write forgets it)
    if (a.op === '=' && /^\(?0\)?$/.test(a.rhs.trim())) st.zero.add(resourceIdentity(a.lhs));
    else st.zero.delete(resourceIdentity(a.lhs));
    if (a.op !== '=') continue;
    const rhs = resourceIdentity(a.rhs);
    const lhs = resourceIdentity(a.lhs);
    if (!/\w\s*\(/.test(a.rhs)) st.status.delete(lhs);
    for (const h of st.held) {
      if (h.ids.includes(rhs)) {
        // Copy-on-write: states share Held objects across branches.
        const i = st.held.indexOf(h);
        st.held[i] = { ...h, ids: [...h.ids, lhs] };
      }
    }
  }
}

/**
 * A lookup's reference whose only holder, a local, is assigned something else before the
 * reference is put (`np = of_find_compatible_node(...); base = of_iomap(np, 0); ... np =
 * ccm_node;` in imx6q_clocks_init()): nothing can put it any more. Not when the new value is
 * computed from the old one (`np = of_get_next_parent(np)`, `np = of_find_node_by_name(np, ...)`
 * drop the old reference themselves), nor for a reference taken on this very line.
 */
function overwrittenRefs(a: Assign, st: State, ctx: Ctx, stmt: { line: number; calls: CallSite[] }): void {
  const line = stmt.line;
  const lhs = resourceIdentity(a.lhs);
  if (!/^[A-Za-z_]\w*$/.test(lhs) || !ctx.locals.has(lhs) || namesWhole(a.rhs, lhs)) return;
  for (const h of [...st.held]) {
    if (!h.pair.lookup || h.residue || stmt.calls.some((c) => c.line === h.call.line && c.callee === h.call.callee) || !h.ids.includes(lhs)) continue;
    const rest = h.ids.filter((id) => id !== lhs);
    const i = st.held.indexOf(h);
    if (rest.length) {
      st.held[i] = { ...h, ids: rest, id: h.id === lhs ? rest[0]! : h.id };
      continue;
    }
    if (!ctx.kept) ctx.leaks.push({ held: h, exitLine: line, exitKind: 'return', returnLine: line, success: true, overwritten: true });
    st.held.splice(i, 1);
  }
}

/** Is `cond` a failure test of `h` (true branch = failed)? Returns 'then', 'else' or null. */
function testsFailureOf(cond: string, condCalls: CallSite[], h: Held): 'then' | 'else' | null {
  const c = cond.replace(/\b(unlikely|likely)\s*\(/g, '(').replace(/\s+/g, '');
  if (condCalls.some((x) => x.line === h.call.line && x.callee === h.call.callee)) {
    // `if (register_x(&a))`, `if ((ret = register_x(&a)) < 0)`, `if (!p = f())`-style.
    // A handle's acquire tested for success, alone or as a part of `&&`
    // (`if (rdp < 0x280 && request_region(rdp, 1, "ISAPnP"))`): the else side has nothing.
    if (h.pair.kind === 'handle') {
      const { parts, op } = logicalParts(cond);
      const own = new RegExp(`^\\(*${escapeRegExp(h.call.callee)}\\(`);
      if ((parts.length === 1 || op === '&&') && parts.some((p) => own.test(p.replace(/\s+/g, '')) && /\)$/.test(p.trim()) && !/[=<>!]/.test(p.replace(/\([^()]*\)/g, '')))) return 'else';
    }
    return /^!\(?\w+\(/.test(c) && h.pair.kind === 'handle' ? 'then' : c.startsWith('!') && h.pair.kind === 'status' ? 'else' : 'then';
  }
  const v = h.pair.kind === 'status' || (h.pair.kind === 'nid' && h.call.assignedTo) ? (h.call.assignedTo ?? '') : h.id;
  if (!v) return null;
  const e = resourceIdentity(v).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (h.pair.kind === 'status') {
    // `<=0`: register_blkdev(0, ...) and friends return the allocated major on success.
    // (ACPICA calls return an acpi_status: AE_OK is 0, ACPI_FAILURE() tests the rest.)
    // (a subsystem's own success code: `err < VMCI_SUCCESS`, `rc != H_SUCCESS`)
    if (new RegExp(`^\\(*${e}\\)*$|^\\(*${e}(<0|!=0|<=0|<[A-Z][A-Z0-9]*_SUCCESS|!=[A-Z][A-Z0-9]*_SUCCESS)\\)*$|^\\(*${e}&&|^ACPI_FAILURE\\(${e}\\)$`).test(c)) return 'then';
    if (new RegExp(`^!\\(*${e}\\)*$|^\\(*${e}==0\\)*$|^ACPI_SUCCESS\\(${e}\\)$`).test(c)) return 'else';
    // `status == AE_NOT_FOUND`, `ret == -ENODEV`: one particular failure.
    if (new RegExp(`^\\(*${e}==(AE_(?!OK\\b)\\w+|-E[A-Z0-9]+)\\)*$`).test(c)) return 'then';
    return null;
  }
  if (h.pair.kind === 'nid') {
    // Dynamic states/ids are >= 0 on success; fixed ones return 0, so `if (ret)` is a failure test too.
    if (new RegExp(`^\\(*${e}(<0|!=0)?\\)*$|^\\(*${e}\\)*<0$|^IS_ERR_VALUE\\(${e}\\)$`).test(c)) return 'then';
    return null;
  }
  if (new RegExp(`^!\\(*${e}\\)*$|^\\(*${e}==NULL\\)*$|^NULL==${e}$|^IS_ERR(_OR_NULL)?\\(${e}\\)|^\\(*IS_ERR(_OR_NULL)?\\(${e}\\)\\)*$`).test(c)) return 'then';
  if (new RegExp(`^\\(*${e}\\)*$|^\\(*${e}!=NULL\\)*$|^!IS_ERR(_OR_NULL)?\\(${e}\\)$`).test(c)) return 'else';
  return null;
}

/**
 * `err = register_a(); ... err = helper_b(); if (err)`: the variable now holds a later call's
 * result, so the test is about helper_b, not register_a (which stays held on the failure path).
 */
function statusOverwritten(h: Held, ifLine: number, ctx: Ctx): boolean {
  const v = h.pair.kind === 'handle' ? undefined : h.call.assignedTo;
  if (!v) return false;
  if (ctx.fn.calls.some((c) => c.assignedTo === v && c.line > h.call.line && c.line < ifLine)) return true;
  // A call through a pointer (`r = reg_funcs[i]();`, `err = ops->init();`) is no CallSite, but
  // its result overwrites the variable all the same.
  return (ctx.resultAssigns.get(resourceIdentity(v)) ?? []).some((l) => l > h.call.line && l < ifLine);
}

/** Lines where a variable is assigned a call's result (`x = f(...)`, `x = tbl[i]()`), by variable. */
function resultAssigns(fn: FunctionFacts): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const s of flatten(fn.body)) {
    if (s.k !== 'expr' && s.k !== 'decl') continue;
    for (const a of s.assigns ?? []) {
      if (a.op !== '=' || !/\)\s*$/.test(a.rhs) || !/[\w\]\)]\s*\(/.test(a.rhs)) continue;
      const v = resourceIdentity(a.lhs);
      out.set(v, [...(out.get(v) ?? []), s.line]);
    }
  }
  return out;
}


/** Does any statement of `body` write `v` (`v = ...`, `v |= ...`), or hand `&v` to a call? */
function assignsTo(body: Stmt[], v: string): boolean {
  return flatten(body).some((x) => ('assigns' in x && (x.assigns ?? []).some((a) => resourceIdentity(a.lhs) === v)) || ('calls' in x && x.calls.some((c) => c.assignedTo !== undefined && resourceIdentity(c.assignedTo) === v || c.args.some((a) => a.replace(/\s+/g, '') === `&${v}`))));
}

/** The status variable a condition tests (`ret`, `ret < 0`, `err != 0`, `!ret`, `ret == 0`), if that is all it tests. */
/**
 * `ret = PTR_ERR_OR_ZERO(x); if (ret < 0)`: a test of the status a handle's error value was put in
 * is a test of the handle's acquire (usbip's vhci_hcd_init()).
 */
function viaErrorValue(cond: string, st: State): { tested: Held; side: 'then' | 'else' } | undefined {
  const v = testedStatusVar(cond);
  const via = v ? st.status.get(v) : undefined;
  if (!via || !/^PTR_ERR(_OR_ZERO)?$/.test(via.callee)) return undefined;
  const x = resourceIdentity(via.args[0] ?? '');
  const tested = [...st.held].reverse().find((h) => h.pair.kind === 'handle' && h.id === x);
  if (!tested) return undefined;
  return { tested, side: /^!|==0\)*$/.test(normCond(cond)) ? 'else' : 'then' };
}

function testedStatusVar(cond: string): string | undefined {
  const c = cond.replace(/\b(unlikely|likely)\s*\(/g, '(').replace(/\s+/g, '');
  return /^!?\(*([A-Za-z_]\w*)(?:\)*(?:<0|!=0|==0))?\)*$/.exec(c)?.[1];
}

function isErrorReturn(expr: string | null, inFailure: boolean): boolean {
  // (a bare `return;` of a void function inside a failure test gives up: hi3620_mmc_clk_init()'s
  // `if (!clk_data->clks) return;` leaves what came before it allocated)
  if (!expr) return inFailure;
  const e = expr.replace(/\s+/g, '');
  if (/^\(?0\)?$|^true$/.test(e)) return false;
  // `return NULL;` / `return false;` from a pointer or bool function fails only inside a failure
  // test (`if (pci_enable_device(pdev) < 0) return NULL;`); elsewhere it may mean "none found".
  if (/^(false|NULL)$/.test(e)) return inFailure;
  // (`return -1;` too: an init function's failure, as virtual_eisa_root_init() returns it)
  if (/^-E[A-Z0-9]+$|^\(-E[A-Z0-9]+\)$|^\(?-[1-9]\d*\)?$|PTR_ERR\(|ERR_PTR\(|ERR_CAST\(/.test(e)) return true;
  return inFailure;
}

/**
 * The call whose failure a return hands back: `return register_x(&a);`, or `return ret;` while
 * `ret` still holds a fallible call's result that nothing has shown to be 0 (`ret = f(); if (ret)
 * pr_err(...); return ret;`). When that call fails, everything held before it leaks
 * (d349e9be5a2c: `return pci_register_driver(...)` after alloc_workqueue()).
 */
function returnedFailure(s: Extract<Stmt, { k: 'return' }>, st: State, ctx: Ctx): CallSite | undefined {
  const e = (s.expr ?? '').replace(/\s+/g, '').replace(/^\((.*)\)$/, '$1');
  const fallible = (c: CallSite) => {
    const p = pairAt(c, ctx);
    return p ? p.kind === 'status' || p.kind === 'nid' || ctx.fallible(c.callee) : ctx.fallible(c.callee);
  };
  const direct = /^(\w+)\(/.exec(e)?.[1];
  if (direct) return s.calls.find((c) => c.callee === direct && fallible(c));
  if (/^\w+$/.test(e)) {
    const c = st.status.get(e);
    return c && fallible(c) ? c : undefined;
  }
  return undefined;
}

/**
 * A helper's success return that says only "it worked" (`return;`, `return 0;`, `return ret;`):
 * its callers test that status. A helper returning a pointer or handle (`return pdev;`) is not
 * taken as acquiring on its callers' behalf — they hold the handle under another name.
 */
function statusSuccess(expr: string | null): boolean {
  const e = (expr ?? '').replace(/\s+/g, '');
  return e === '' || /^\(?0\)?$/.test(e) || /^(ret|err|error|rc|r|rv|retval|status|result|res)$/.test(e);
}

/** What the exit path undoes on its own: the table's own pairs and what the module's exit releases. */
function strong(h: Held, ctx: Ctx): boolean {
  return h.pair.release.some((r) => ctx.book.exitReleases(r));
}

/**
 * The function undoes the step itself on a later failure path (`ret = platform_driver_register();
 * if (ret) uart_unregister_driver(&reg);`): what it acquired matters to it even where no exit
 * path releases it (built-in initcalls, sub-inits whose teardown is another function).
 */
function undoneHere(h: Held, ctx: Ctx): boolean {
  return ctx.fn.calls.some((c) => c.line > h.call.line && releaseMatches(h, c, [h]));
}

/**
 * The patch took away the test of this very step (same callee, same arguments): before it, the
 * function acted on the step's failure; now it carries on. What "add missing check" fixes add,
 * reversed, and rarely what a cleanup means, where no exit path tells how much the step matters
 * (built-in initcalls: pktsched_init()'s register_pernet_subsys()).
 */
function testDropped(call: CallSite, ctx: Ctx): boolean {
  const pre = ctx.before;
  // ("debugfs: remove return value checks" cleanups take such tests away on purpose)
  if (!pre || untestedByDesign(call)) return false;
  const args = call.args.join(',');
  return pre.calls.some((c) => c.callee === call.callee && c.args.join(',') === args && !!testAfter(pre, c));
}

const clone = (x: State): State => ({ dead: x.dead, held: [...x.held], status: new Map(x.status), zero: new Set(x.zero) });

/**
 * The call whose success `cond` tests (`!IS_ERR(clk)`): the
 * latest call before the test that assigned the variable tested.
 */
function successTestOf(cond: string, ctx: Ctx, line: number): CallSite | undefined {
  const c = cond.replace(/\s+/g, '');
  // (only a handle's test: `!x` and `x` say nothing alone, and a status compared with 0 is as
  // often a self-test's expected outcome as a step's success, imr_selftest's adds)
  const v = /^!IS_ERR(?:_OR_NULL)?\((\w+)\)$/.exec(c)?.[1];
  if (!v) return undefined;
  let best: CallSite | undefined;
  for (const k of ctx.fn.calls) if (k.line < line && k.assignedTo?.trim() === v && (!best || k.line >= best.line)) best = k;
  return best;
}

/**
 * The branch sets the status to 0 itself before leaving (`err = 0; goto exit;` after a read
 * error nandbiterrs counts as a result, not a failure): the success is meant.
 */
function zeroedOnPurpose(z: ZeroReturn, ctx: Ctx): boolean {
  const from = z.failed?.line ?? z.gotoLine;
  const to = z.label ? z.gotoLine : z.returnLine;
  const re = new RegExp(`(^|[^\\w>.])${escapeRegExp(z.variable)}\\s*=\\s*0\\s*;`);
  return ctx.sourceLines.slice(from, to).some((l) => re.test(l));
}

/**
 * `failed` handed back something the branch finds missing: a handle of the book (an allocation,
 * a mapping, a created object) or any other call's result that is not a search's or a status.
 */
function handleFailure(failed: CallSite, ctx: Ctx): boolean {
  // (debugfs and the other optional handles: giving up on them is no failure of init)
  if (untestedByDesign(failed)) return false;
  // (a status step's failure leaves its error in the variable tested: nothing handed back)
  if (!failed.assignedTo || STATUS_NAMES.test(resourceIdentity(failed.assignedTo))) return false;
  const pair = pairAt(failed, ctx);
  if (pair) return pair.kind === 'handle' && !pair.lookup;
  // (any other call whose result the branch finds missing, `irq_get_irq_data(irq)` in
  // tegra210_bpmp_init(), except a search: not finding something may be no failure)
  return allocatorReleases(failed.callee).length > 0 || (!LOOKS_ONLY.test(failed.callee) && !/find|lookup|search|match|first|next/.test(failed.callee));
}

/** No return statement of the function returns a value. */
function returnsVoid(fn: FunctionFacts): boolean {
  return flatten(fn.body).every((x) => x.k !== 'return' || !(x.expr ?? '').trim());
}

function walk(body: Stmt[], st: State, ctx: Ctx, failureIn: { on: boolean; failed?: CallSite }): State {
  let failure = failureIn;
  // `ret = -EINVAL;` earlier in this block: a goto after it leaves with an error, whatever test
  // (a validation: `if (slcr->flags != 3)`, `if (count > MAX)`) led here.
  let errnoSet = false;
  for (const s of body) {
    if (st.dead) {
      // Code after a return or goto is reached only through a label: goto paths handle it.
      if (s.k !== 'label') continue;
      // A label only success gotos reach (`found:` after a search loop) carries on from their state.
      const from = ctx.resumes.get(s.name);
      if (!from?.length) return st;
      ctx.resumes.delete(s.name);
      st = from.reduce((a, b) => merge(a, b));
      continue;
    }
    switch (s.k) {
      case 'expr':
      case 'decl':
        if (!failure.on) overwrittenUnread(s.calls, st, ctx);
        applyCalls(s.calls, st, ctx, s.text);
        applyAliases(s.assigns, st, ctx, s);
        if (s.k === 'expr' && s.assigns?.some((a) => /^\(?-E[A-Z0-9]+\)?$/.test(a.rhs.replace(/\s+/g, '')))) errnoSet = true;
        break;
      case 'return': {
        const before = st.status;
        applyCalls(s.calls, st, ctx);
        st.status = before;
        const rv = (s.expr ?? '').replace(/\s+/g, '');
        // (a variable known to be 0 returns success, whatever path it is on)
        const error = isErrorReturn(s.expr, failure.on) && !st.zero.has(rv);
        // (a status variable: `return found;` with found 0 means "none", not success)
        if (failure.on && st.zero.has(rv) && /^(ret|err|error|rc|rv|retval|status|result|res|\w+_ret|\w+_err|\w+_rc)$/.test(rv)) ctx.zeroReturns.push({ variable: rv, gotoLine: s.line, label: '', returnLine: s.line, ...(failure.failed ? { failed: failure.failed } : {}) });
        // (nor a failure: a status variable 0 for certain, `out: return rc;` after the last
        // step's `if (rc) goto out_proc;`, a test that left on the failure and cleared the status;
        // one that only logged it, `if (ret) pr_info(...); return ret;`, returns that failure)
        const checked = st.zero.has(rv) && !st.status.has(rv);
        const last = error || checked ? undefined : returnedFailure(s, st, ctx);
        if (!error) {
          // A lookup's reference held only in a local is dropped on no path once this returns
          // (valkyriefb_init(): `dp = of_find_node_by_name(...)`, never of_node_put()) — also
          // when it returns a last step's status (`return platform_driver_register(&drv);`), unless
          // that step is handed the reference (`return ams_pmu_init(np);` may keep it).
          const handed = (h: Held) => s.calls.some((c) => c.args.some((a) => h.ids.includes(resourceIdentity(a))));
          for (const h of st.held) if (droppedLocalRef(h, s.expr, ctx) && !(last && handed(h))) ctx.leaks.push({ held: h, exitLine: s.line, exitKind: 'return', returnLine: s.line, ...(failure.failed ? { failed: failure.failed } : {}), success: true });
        }
        if (!error && !last && (statusSuccess(s.expr) || (ctx.truthHelpers.has(ctx.fn.name) && /^\(?([1-9]\d*|true)\)?$/.test(rv)))) {
          ctx.kept?.push(...st.held);
          if (/^\(?0\)?$|^$/.test(rv) || checked) {
            // (an untested handle whatever exit does: built-in init code that carries on with a
            // NULL workqueue, cache or mapping oopses at its first use, "add missing check for
            // ioremap()" fixes; a status only when exit undoes it, a plain `foo_register()` left
            // unchecked may be optional)
            for (const h of st.held) {
              if (h.unchecked && strong(h, ctx)) ctx.ignored.push({ held: h, returnLine: s.line });
              // (and where the patch took the step's test away, whatever exit does)
              else if (h.unchecked === 'discarded' && testDropped(h.call, ctx)) ctx.ignored.push({ held: h, returnLine: s.line, unreleased: !strong(h, ctx) });
              // (and only where no code of the file tests it either: `if (civic_cmap_regs)` at
              // its uses makes the mapping optional, macfb_init())
              else if (h.unchecked === 'untested' && neverTested(h.call, ctx, true)) ctx.ignored.push({ held: h, returnLine: s.line, unreleased: true });
              // (a handle whose NULL or error test the patch took away, a derived pair's too:
              // `dev = alloc_candev(...); if (!dev) return -ENOMEM;` gone, probe carries on with NULL)
              else if ((!h.unchecked || h.unchecked === 'untested') && h.pair.kind === 'handle' && !h.pair.lookup && !untestedByDesign(h.call) && neverTested(h.call, ctx, false, false) && testDropped(h.call, ctx)) ctx.ignored.push({ held: { ...h, unchecked: 'untested' }, returnLine: s.line, unreleased: true });
            }
          }
        }
        if (error || last) {
          // `return rc;` of a step's own status (`if (rc || !enabled) return rc;`): where the
          // step failed it holds nothing, and where it is held rc is 0, a success return.
          const own = /^\w+$/.test(rv) ? st.status.get(rv) : undefined;
          for (const h of st.held) {
            // (not what the loop's earlier turns of that step acquired: those are held for certain)
            if (own && !h.residue && !h.earlierTurn && h.pair.kind === 'status' && h.call.callee === own.callee && h.call.line === own.line && !(last && last === own)) continue;
            // (by callee and line: the IR may list a returned call twice)
            if (last && !h.residue && h.call.callee === last.callee && h.call.line === last.line) {
              // `ret = kset_register(&k); return ret;`: where it failed, what a failed
              // registration leaves (the name, the device reference) still needs its put.
              // (unless an `if` on the way tested that failure: its branch saw to the residue)
              const tested = flatten(ctx.fn.body).some((x) => x.k === 'if' && x.line > h.call.line && x.line < s.line && testsFailureOf(x.cond, x.condCalls, h));
              if (!tested && leavesResidue(h)) {
                ctx.leaks.push({ held: { ...h, pair: { ...h.pair, release: h.pair.onFailure!, onFailure: [] }, residue: true }, exitLine: s.line, exitKind: 'return', returnLine: s.line, failed: last });
              }
              continue;
            }
            if (last && h.okOnly?.line === last.line && h.okOnly.callee === last.callee) continue;
            const failed = last ?? failure.failed;
            // (a status the failed step overwrote unread across a preprocessor conditional: the
            // two steps are alternatives of one build, mb862xxfb_init())
            if (h.unchecked === 'discarded' && failed && overwrites(failed, h) && ctx.cppLines.some((l) => l > h.call.line && l < failed.line)) continue;
            const leak: Leak = { held: h, exitLine: s.line, exitKind: 'return', returnLine: s.line };
            if (failed) leak.failed = failed;
            ctx.leaks.push(leak);
          }
        }
        st.dead = true;
        break;
      }
      case 'goto':
        if (failure.on) followGoto(s.label, s.line, st, ctx, failure.failed);
        else if ((errnoSet || labelFails(ctx, s.label)) && forwardLabel(ctx, s.label, s.line)) followGoto(s.label, s.line, st, ctx);
        // Only a jump out of a loop (`goto found;` from a search) is taken as success; elsewhere a
        // goto this analysis cannot place (`if (torture_init_error(err)) goto unwind;`) proves nothing.
        else if (ctx.loopDepth > 0) ctx.resumes.set(s.label, [...(ctx.resumes.get(s.label) ?? []), clone(st)]);
        st.dead = true;
        break;
      case 'label':
        break;
      case 'block':
        st = walk(s.body, st, ctx, failure);
        break;
      case 'if': {
        applyCalls(s.condCalls, st, ctx);
        // Which held resource (if any) does this condition test the failure of? The latest one.
        let tested: Held | undefined;
        let side: 'then' | 'else' | null = null;
        for (let i = st.held.length - 1; i >= 0 && !side; i--) {
          if (statusOverwritten(st.held[i]!, s.line, ctx)) continue;
          side = testsFailureOf(s.cond, s.condCalls, st.held[i]!);
          if (side) tested = st.held[i];
        }
        if (!side) {
          const via = viaErrorValue(s.cond, st);
          if (via) ({ tested, side } = via);
        }
        // `if (a_ret < 0 && b_ret < 0)` / `||`: every resource whose failure a part tests may be absent.
        const parts = logicalParts(s.cond).parts;
        const alsoTested = parts.length > 1 ? st.held.filter((h) => !statusOverwritten(h, s.line, ctx) && parts.some((p) => testsFailureOf(p, s.condCalls, h) === 'then')) : [];
        if (!side && alsoTested.length) {
          side = 'then';
          tested = alsoTested[alsoTested.length - 1];
        }
        // A helper's resources all came from one call: its failure means none of them is held.
        const calls = new Set([tested, ...alsoTested].map((h) => h?.call));
        const alts = new Set([tested, ...alsoTested].map((h) => h?.alt).filter(Boolean));
        const absent = new Set(st.held.filter((h) => (calls.has(h.call) && (!h.earlierTurn || h === tested)) || (h.alt && alts.has(h.alt))));
        // `if (!np || !of_device_is_available(np))`: the branch also runs with np held (the other
        // part true), so np may still be there to put (psci_dt_init()). Only a part that tests the
        // resource's own value (`ret < 0 || ret >= n`) leaves it absent.
        const maybeHeld = side === 'then' && parts.length > 1 && logicalParts(s.cond).op === '||' ? [...absent].filter((h) => parts.some((p) => !testsFailureOf(p, s.condCalls, h) && !readsItself(p, h))) : [];
        for (const h of maybeHeld) absent.delete(h);
        // A failed acquire may leave something to release (device_register(): put_device()).
        const residues = [...absent].filter(leavesResidue).map((h): Held => ({ ...h, pair: { ...h.pair, release: h.pair.onFailure!, onFailure: [] }, residue: true }));
        const without = (x: State): State => ({ dead: x.dead, held: [...x.held.filter((h) => !absent.has(h)), ...residues], status: new Map(x.status), zero: new Set(x.zero) });
        const generic = !side && looksLikeFailureTest(s.cond);
        const lastCall = [...s.condCalls].pop() ?? lastCallBefore(ctx, s.line);
        const thenFail = side === 'then' ? { on: true, failed: tested!.call } : generic ? withFailed(lastCall) : failure;
        const elseFail = side === 'else' ? { on: true, failed: tested!.call } : failure;
        const thenIn = side === 'then' ? without(st) : clone(st);
        const elseIn = side === 'else' ? without(st) : clone(st);
        const v = testedStatusVar(s.cond);
        // `if (ret)`, `if (ret != 0)`, `if (ret < 0)`: the test is true exactly when ret holds an error.
        const errorTest = (): boolean => v !== undefined && new RegExp(`^\\(*${v}(!=0|<0)?\\)*$`).test(s.cond.replace(/\s+/g, ''));
        // (inside such a branch ret is not 0, whatever an earlier check left: ring_buffer's
        // `out_free: ... if (ret) { ring_buffer_free(buffer); return ret; }`)
        if (errorTest()) thenIn.zero.delete(v!);
        const t = walk(s.then, thenIn, ctx, thenFail);
        const e = s.else ? walk(s.else, elseIn, ctx, elseFail) : elseIn;
        // What only the success side of a tested step acquired (`if (result < 0) printk(...);
        // else led_trigger_register_simple(...); return result;`) is held only where that step
        // worked: its failure, returned further down, does not leave it held.
        const okSide = !tested || t.dead || e.dead ? undefined : side === 'then' ? e : side === 'else' ? t : undefined;
        if (okSide) okSide.held = okSide.held.map((h) => (st.held.includes(h) || h.okOnly ? h : { ...h, okOnly: tested!.call }));
        const merged = mergeBranches(st, t, e);
        if (side && !t.dead && !e.dead && tested!.pair.kind === 'handle') {
          // `if (node) match = of_match_node(..., node);`, `if (!p) {...} else {...}`: where the
          // test failed there was nothing to hold; where it passed the handle is still held after
          // the if, unless that branch released it.
          const kept = (side === 'then' ? e : t).held.find((x) => x.call === tested!.call);
          if (kept && !merged.held.includes(kept)) merged.held.push(kept);
        } else if (side === 'then' && !t.dead && !e.dead) {
          // The failure branch only logged (`if (err) pr_err(...);`): the step may or may not
          // have happened, and its failure is still in the status variable.
          for (const h of [tested!, ...alsoTested]) if (!merged.held.some((x) => x.call === h.call)) merged.held.push({ ...h, unchecked: 'reported' });
        } else if ((side === 'then' || generic) && t.dead && v) {
          merged.status.delete(v);
          // `if (ret)` / `if (ret != 0)` / `if (ret < 0)` that leaves: from here on ret holds no
          // error (0, or a count), so a later failure that returns it says the function worked.
          if (errorTest()) merged.zero.add(v);
        } else if ((side === 'then' || generic) && !t.dead && v && errorTest() && !assignsTo(s.then, v) && !assignsTo(s.else ?? [], v) && !failure.on) {
          // A failure put up with (`if (ret < 0) { pr_warn(...); x = default; }`): the step was
          // optional, and what ret holds after it is no error of any later step (xilinx_intc_of_init()
          // returned it from the irq_domain failure: 0 on every board that has the property).
          // Not on an unwind path, where `if (ret) samsung_sabi_exit(samsung);` is cleanup, nor
          // where the other side sets it (`if (err) ...; else err = -EINVAL;`).
          merged.zero.add(v);
        }
        // `if (!IS_ERR(clk)) { ...register it... }` closing a void function (xgene_pllclk_init()):
        // where the step failed, the function ends right there with the rest still held.
        if (!s.else && !t.dead && s === ctx.fn.body[ctx.fn.body.length - 1] && returnsVoid(ctx.fn)) {
          const step = side === 'else' && !tested!.pair.lookup ? tested!.call : !side ? successTestOf(s.cond, ctx, s.line) : undefined;
          if (step) for (const h of elseIn.held) if (h.call !== step && !h.unchecked) ctx.leaks.push({ held: h, exitLine: ctx.fn.endLine, exitKind: 'return', returnLine: ctx.fn.endLine, failed: step });
        }
        if (side === 'else' && t.dead && !s.else && !tested!.pair.lookup) {
          // `if (ret == 0) goto out;` then the unwind ladder: what follows runs only on failure.
          // (Not after a lookup: `if (dup) { kobject_put(dup); goto skip; }` leaves on finding
          // the object, and not finding it is no failure.)
          failure = { on: true, failed: tested!.call };
        }
        const chained = side === 'else' && !s.else && !t.dead && v !== undefined && t.status.get(v) !== undefined && t.status.get(v) !== st.status.get(v);
        // `if (!ret) ret = register_b();`: the chain idiom. Where the earlier step failed nothing
        // more happens and its error is returned with nothing new held, so the path worth
        // following is the one where it succeeded and the next step was tried.
        st = chained ? t : merged;
        break;
      }
      case 'loop': {
        // A cleanup loop on a failure path that gives back the turns before the index only
        // (`fail: while (--i >= 0) input_unregister_device(dev[i]);`) leaves what the failing
        // turn itself took: that must be released before the jump.
        const spared = failure.on ? currentTurn(s, st, ctx) : [];
        if (spared.length) st = { ...st, held: st.held.filter((h) => !spared.includes(h)) };
        const before = new Set(st.held);
        applyCalls(s.condCalls, st, ctx);
        // `while ((dev = pci_get_device(..., dev)))`: an iterator that hands out a reference in
        // the condition drops it on the next turn and ends on NULL, so it is held in the body
        // (an early return there leaks it) but not after the loop.
        const iterator = new Set(st.held.filter((h) => !before.has(h)));
        const cursor = iteratorCursor(s, ctx);
        if (cursor) {
          st.held.push(cursor);
          iterator.add(cursor);
        }
        ctx.loopDepth++;
        const counter = bodyCounter(s.body);
        const index = loopIndex(s.cond) ?? counter;
        if (index) ctx.openLoops.push({ line: s.line, end: lastLine(s.body), index, ...(counter && counter !== index ? { counter } : {}) });
        const broke = new Set<Held>();
        ctx.breaks.push(broke);
        const out = walk(s.body, clone(st), ctx, failure);
        if (!out.dead && out.held.some((h) => !st.held.includes(h))) secondTurn(s, out, iterator, ctx, failure);
        ctx.breaks.pop();
        if (index) ctx.openLoops.pop();
        ctx.loopDepth--;
        // The body is taken to run: a cleanup loop (`while (i--) unregister(&d[i]);`) releases
        // what it names, an acquiring loop holds what it acquired. A body that always leaves
        // (return/goto) changes nothing for the code after the loop.
        const after = out.dead ? st : { dead: false, held: [...out.held], status: out.status, zero: out.zero };
        // A cursor is NULL when its loop runs out, but a `break` leaves the loop with the cursor's
        // reference still held (for_each_matching_node(np, ...) { ... break; }): the code after
        // the loop must put it (the many "add of_node_put() before break" fixes).
        st = { ...after, held: [...after.held.filter((h) => !iterator.has(h)), ...(cursor && broke.has(cursor) ? [cursor] : []), ...spared] };
        break;
      }
      case 'break': {
        const loop = ctx.breaks[ctx.breaks.length - 1];
        if (loop) for (const h of st.held) loop.add(h);
        break;
      }
      case 'switch': {
        ctx.breaks.push(null);
        const outs = s.cases.map((c) => walk(c.body, clone(st), ctx, failure));
        ctx.breaks.pop();
        st = outs.reduce((a, b) => merge(a, b), st);
        break;
      }
      default:
        break;
    }
  }
  return st;
}

/**
 * What the current turn of an enclosing counting loop took (`for (i = 0; ...; i++) { dev[i] =
 * alloc(); ... }`), when `cleanup` gives back only the turns before that loop's index. Not what an
 * earlier turn took (secondTurn() marks those), nor anything when the cleanup loop is that loop.
 */
function currentTurn(cleanup: Extract<Stmt, { k: 'loop' }>, st: State, ctx: Ctx): Held[] {
  for (let i = ctx.openLoops.length - 1; i >= 0; i--) {
    const open = ctx.openLoops[i]!;
    if (open.line === cleanup.line || ![open.index, open.counter].some((v) => v && visitsBefore(cleanup, v))) continue;
    return st.held.filter((h) => !h.earlierTurn && h.call.line > open.line && h.call.line <= open.end);
  }
  return [];
}

/**
 * The index a loop that is no counting `for` still steps once a turn, as the last statement of
 * its body: `i = 0; for_each_child_of_node(np, node) { pcaps[i].x = alloc(); ...; i++; }`.
 */
function bodyCounter(body: readonly Stmt[]): string | undefined {
  const list = body.length === 1 && body[0]!.k === 'block' ? body[0]!.body : body;
  const last = list[list.length - 1];
  if (last?.k !== 'expr') return undefined;
  const m = /^(?:([A-Za-z_]\w*)\s*(?:\+\+|\+=\s*1)|\+\+\s*([A-Za-z_]\w*))\s*;?$/.exec(last.text.trim());
  return m?.[1] ?? m?.[2];
}

/**
 * Does a cleanup loop give back only the turns before `v`? By its header (visitsBeforeIndexOnly()),
 * or counting down to 1 while it indexes one lower: `for (; n > 0; n--) put(x[n - 1]);` (hp-wmi's
 * rfkill2_count, which the acquiring loop counts up with a trailing `rfkill2_count++;`).
 */
function visitsBefore(cleanup: Extract<Stmt, { k: 'loop' }>, v: string): boolean {
  if (visitsBeforeIndexOnly(cleanup.cond, v)) return true;
  const w = escapeRegExp(v);
  // (the header's test: `init; test; step`, or `test; step` where the facts drop an empty part)
  const cond = cleanup.cond.split('; ').find((p) => /[<>]/.test(p)) ?? '';
  return new RegExp(`^\\(*${w}\\s*>\\s*0\\)*$`).test(cond.trim()) && flatten(cleanup.body).some((x) => new RegExp(`\\[\\s*${w}\\s*-\\s*1\\s*\\]`).test(ownText(x) ?? ''));
}

/** The last line a statement list reaches (its last statement's, nested bodies included). */
function lastLine(body: readonly Stmt[]): number {
  return flatten(body).reduce((m, s) => Math.max(m, s.line), 0);
}

/**
 * A loop that acquires (`for (i...) { x[i] = register(...); if (IS_ERR(x[i])) goto failed; }`)
 * fails on a later turn holding what the earlier turns acquired: walk the body once more from
 * the state the first turn left, for the failure exits only (what follows the loop is judged
 * from one turn, so one release after it still undoes "the" acquire).
 */
function secondTurn(s: Extract<Stmt, { k: 'loop' }>, first: State, iterator: ReadonlySet<Held>, ctx: Ctx, failure: { on: boolean; failed?: CallSite }): void {
  // The condition's iterator reference of the first turn is dropped when the next is taken.
  const again: State = { ...clone(first), held: first.held.filter((h) => !iterator.has(h)).map((h) => (h.earlierTurn || !(h.call.line >= s.line) ? h : { ...h, earlierTurn: true })) };
  applyCalls(s.condCalls, again, ctx);
  walk(s.body, again, ctx, failure);
}

/**
 * The reference an iterator macro holds on its cursor in the body (`for_each_child_of_node(np,
 * child)`: `child` until the next turn), as a held handle the body's early returns must give back.
 */
function iteratorCursor(s: Extract<Stmt, { k: 'loop' }>, ctx: Ctx): Held | undefined {
  const it = s.macro && Object.hasOwn(REF_ITERATORS, s.macro) ? REF_ITERATORS[s.macro] : undefined;
  if (!it) return undefined;
  const arg = splitTopLevel(s.cond)[it.cursor]?.trim();
  const id = arg ? resourceIdentity(arg) : '';
  if (!/^[A-Za-z_]\w*$/.test(id)) return undefined;
  for (const r of it.release) ctx.localReleases.add(r);
  const call: CallSite = { callee: s.macro!, args: splitTopLevel(s.cond).map((a) => a.trim()), line: s.line, assignedTo: id };
  // (a counted reference like a lookup's: put on every way out that does not keep it, success too)
  return { pair: { acquire: s.macro!, release: [...it.release], kind: 'handle', source: 'table', lookup: true }, call, id, ids: [id] };
}

/**
 * A lookup's counted reference (ResourcePair.lookup) that only locals hold, not handed back by
 * the return: nothing can put it after the function returns.
 */
function droppedLocalRef(h: Held, expr: string | null, ctx: Ctx): boolean {
  if (!h.pair.lookup || h.residue || ctx.kept) return false;
  if (!h.ids.length || !h.ids.every((id) => /^[A-Za-z_]\w*$/.test(id) && ctx.locals.has(id))) return false;
  const returned = resourceIdentity(expr ?? '');
  return !h.ids.includes(returned);
}

function withFailed(c: CallSite | undefined): { on: boolean; failed?: CallSite } {
  return c ? { on: true, failed: c } : { on: true };
}

/** The last call made on a line before `line`: what a bare `if (ret)` is checking. */
function lastCallBefore(ctx: Ctx, line: number): CallSite | undefined {
  let best: CallSite | undefined;
  for (const c of ctx.fn.calls) if (c.line < line && c.assignedTo && (!best || c.line >= best.line)) best = c;
  // A later result of a call through a pointer (`r = reg_funcs[i]();`) is what is checked: unnamed.
  const indirect = [...ctx.resultAssigns.values()].flat().some((l) => l < line && best && l > best.line);
  return indirect ? undefined : best;
}

/** Status variables after two paths join: a failure pending on either is pending. */
/** Known to be 0 after two paths join: on both. */
const bothZero = (a: State, b: State): Set<string> => new Set([...a.zero].filter((v) => b.zero.has(v)));

function mergeStatus(a: State, b: State): Map<string, CallSite> {
  const out = new Map(a.status);
  for (const [k, v] of b.status) if (!out.has(k)) out.set(k, v);
  return out;
}

/**
 * After an if: a resource held before it stays held only if neither branch released it (a
 * conditional release, `if (major >= 0) unregister_chrdev(...)`, counts as a release); one
 * acquired inside a branch is held after it.
 */
function mergeBranches(before: State, a: State, b: State): State {
  if (a.dead) return { dead: b.dead, held: [...b.held], status: new Map(b.status), zero: new Set(b.zero) };
  if (b.dead) return { dead: false, held: [...a.held], status: new Map(a.status), zero: new Set(a.zero) };
  const had = new Set(before.held.map((h) => h.call));
  const inA = new Set(a.held.map((h) => h.call));
  const inB = new Set(b.held.map((h) => h.call));
  const newInA = a.held.filter((h) => !had.has(h.call) && !inB.has(h.call));
  const newInB = b.held.filter((h) => !had.has(h.call) && !inA.has(h.call));
  const alt = newInA.length && newInB.length ? {} : undefined;
  const held: Held[] = [];
  for (const h of [...a.held, ...b.held]) {
    if (held.some((x) => x.call === h.call)) continue;
    if (had.has(h.call) && !(inA.has(h.call) && inB.has(h.call))) continue;
    // Copy-on-write: states share Held objects across branches.
    held.push(alt && (newInA.includes(h) || newInB.includes(h)) ? { ...h, alt } : h);
  }
  return { dead: false, held, status: mergeStatus(a, b), zero: bothZero(a, b) };
}


/** Union of what may be held on either branch; dead only if both are. */
function merge(a: State, b: State): State {
  if (a.dead) return { dead: b.dead, held: [...b.held], status: new Map(b.status), zero: new Set(b.zero) };
  if (b.dead) return { dead: false, held: [...a.held], status: new Map(a.status), zero: new Set(a.zero) };
  const held = [...a.held];
  for (const h of b.held) if (!held.includes(h)) held.push(h);
  return { dead: false, held, status: mergeStatus(a, b), zero: bothZero(a, b) };
}

/**
 * The statements a jump to `label` runs: from the label down. A label may also stand one level
 * inside a top-level block (`#if IS_ENABLED(CONFIG_IPV6)` around `cleanup_sockopt:`, which the
 * preprocessing keeps as `if (IS_ENABLED(...)) { ... }`): the rest of that block, then what
 * follows it.
 */
export function labelPath(top: readonly Stmt[], label: string): { path: Stmt[]; line: number } | undefined {
  const isLabel = (s: Stmt) => s.k === 'label' && s.name === label;
  const at = top.findIndex(isLabel);
  if (at >= 0) return { path: top.slice(at + 1), line: top[at]!.line };
  for (const [i, s] of top.entries()) {
    for (const list of s.k === 'if' || s.k === 'block' ? childLists(s) : []) {
      const j = list.findIndex(isLabel);
      if (j >= 0) return { path: [...list.slice(j + 1), ...top.slice(i + 1)], line: list[j]!.line };
    }
  }
  return undefined;
}

/** The label's path ends in a literal error (`np_err: of_node_put(np); return -EINVAL;`). */
function labelFails(ctx: Ctx, label: string): boolean {
  const target = labelPath(ctx.top, label);
  const ret = target?.path.find((x) => x.k === 'return' || x.k === 'goto' || x.k === 'label' || x.k === 'if' || x.k === 'loop' || x.k === 'switch');
  return ret?.k === 'return' && !!ret.expr && /^\(?-E[A-Z0-9]+\)?$|^ERR_PTR\(-E[A-Z0-9]+\)$/.test(ret.expr.replace(/\s+/g, ''));
}

/** Releases that take a whole tree of entries, and the acquires of that family. */
const SUBTREE_RELEASES: Readonly<Record<string, RegExp>> = {
  remove_proc_subtree: /^proc_(mkdir|create)/,
  debugfs_remove_recursive: /^debugfs_create/,
};

/** A label below the goto (not a `retry:` above it). */
function forwardLabel(ctx: Ctx, label: string, gotoLine: number): boolean {
  const target = labelPath(ctx.top, label);
  return !!target && target.line > gotoLine;
}

function followGoto(label: string, gotoLine: number, st: State, ctx: Ctx, failed?: CallSite): void {
  const target = labelPath(ctx.top, label);
  if (!target || ctx.following.has(label)) return;
  ctx.following.add(label);
  try {
    followPath(target.path, target.line, label, gotoLine, st, ctx, failed);
  } finally {
    ctx.following.delete(label);
  }
}

function followPath(path: Stmt[], labelLine: number, label: string, gotoLine: number, st: State, ctx: Ctx, failed?: CallSite): void {
  const before = [...st.held];
  // (its own resumes: a goto path neither takes nor leaves the main walk's success gotos)
  const local: Ctx = { ...ctx, leaks: [], misorders: [], resumes: new Map(), zeroReturns: [] };
  const failedPair = failed ? pairAt(failed, ctx) : undefined;
  const failedHeld: Held | undefined = failed && failedPair ? { pair: failedPair, call: failed, id: idOf(failedPair, failed), ids: idsOf(failedPair, failed) } : undefined;
  // Releases on the path of things not acquired at the goto: a misordered or wrong label.
  for (const s of flattenPath(path)) {
    for (const c of s.calls) {
      if (!ctx.book.isRelease(c.callee)) continue;
      const heldNow = before.some((h) => releaseMatches(h, c, before));
      if (heldNow) continue;
      // The release undoes the step that just failed (`err_reg: platform_driver_unregister(&drv)`
      // after platform_driver_register(&drv) failed): the label is one rung too high.
      // Without arguments on either side, the pair's names are the identity (`bfad_im_module_init()`
      // failed, `bfad_im_module_exit()` on its path).
      const bare = !!failedHeld && !failedHeld.ids.length && !failed?.args.length && !c.args.length && failedPair!.release.includes(c.callee);
      if (failedHeld && failedPair?.kind === 'status' && !s.countdown && !s.guarded && (bare || (failedHeld.ids.length && releaseMatches(failedHeld, c, [failedHeld])))) {
        ctx.misorders.push({ release: c, pair: failedPair, gotoLine, label, failedStep: true, ...(failed ? { failed } : {}) });
        continue;
      }
      // (not one a loop around the goto acquires: its earlier turns did, and the unwind gives
      // those back)
      const earlierTurns = (a: CallSite) => ctx.openLoops.some((o) => o.line < gotoLine && a.line <= o.end);
      const acquiredLater = (ctx.acquiredIds.get(c.callee) ?? []).some((a) => a.line > gotoLine && a.line < endOf(ctx) && !earlierTurns(a));
      if (acquiredLater) {
        const pair = pairAt((ctx.acquiredIds.get(c.callee) ?? [])[0]!, ctx)!;
        if (pair.kind === 'status') {
          const m: Misorder = { release: c, pair, gotoLine, label };
          if (failed) m.failed = failed;
          ctx.misorders.push(m);
        }
      }
    }
  }
  const out = walk(path, clone(st), local, { on: true, ...(failed ? { failed } : {}) });
  // A zero returned after the path released something: init undid its work and says it worked.
  for (const z of local.zeroReturns) {
    const release = ctx.fn.calls.find((c) => c.line > labelLine && c.line < z.returnLine && ctx.book.isRelease(c.callee));
    if (release) ctx.zeroReturns.push({ ...z, gotoLine, label, release, ...(failed ? { failed } : {}) });
    else if (failed && handleFailure(failed, ctx)) ctx.zeroReturns.push({ ...z, gotoLine, label, failed });
  }
  // Leaks found inside the path (at its returns) are this goto's leaks.
  for (const l of local.leaks) {
    const leak: Leak = { held: l.held, exitLine: gotoLine, exitKind: 'goto', label, returnLine: l.returnLine, ...(l.success ? { success: true } : {}) };
    if (failed) leak.failed = failed;
    ctx.leaks.push(leak);
  }
  if (!out.dead) {
    // Fell off the end of the function (void init helper): still leaves with what it holds.
    for (const h of out.held) {
      const leak: Leak = { held: h, exitLine: gotoLine, exitKind: 'goto', label, returnLine: ctx.fn.endLine };
      if (failed) leak.failed = failed;
      ctx.leaks.push(leak);
    }
  }
}

function endOf(ctx: Ctx): number {
  return ctx.fn.endLine;
}

/** Statements on a straight-line path with their calls (if/loop bodies included: conditional releases count). */
function flattenPath(path: Stmt[]): { calls: CallSite[]; countdown?: boolean; guarded?: boolean }[] {
  const out: { calls: CallSite[]; countdown?: boolean; guarded?: boolean }[] = [];
  let countdown = 0;
  let guarded = 0;
  const visit = (s: Stmt): boolean => {
    switch (s.k) {
      case 'expr':
      case 'decl':
        out.push({ calls: s.calls, ...(countdown ? { countdown: true } : {}), ...(guarded ? { guarded: true } : {}) });
        return true;
      case 'return':
        out.push({ calls: s.calls });
        return false;
      case 'if': {
        out.push({ calls: s.condCalls });
        // `if (mute_led_registered) led_classdev_unregister(...)`: a release under a run-time
        // test (a flag set once the step succeeded) is not run for the step that failed.
        // A configuration test (`#if IS_ENABLED(CONFIG_IPV6)`) guards nothing at run time.
        const runtime = !/^\(*(?:!\(*)?(IS_ENABLED|IS_BUILTIN|IS_MODULE|IS_REACHABLE|defined)\(/.test(normCond(s.cond));
        if (runtime) guarded++;
        s.then.forEach(visit);
        s.else?.forEach(visit);
        if (runtime) guarded--;
        return true;
      }
      case 'loop': {
        out.push({ calls: s.condCalls });
        // `while (--i >= 0) release(i);`, `while (i--)`: a count-down loop on an unwind path
        // gives back the turns that succeeded, never the one that just failed.
        const down = s.cond.includes('--');
        if (down) countdown++;
        s.body.forEach(visit);
        if (down) countdown--;
        return true;
      }
      case 'block':
        return s.body.every(visit);
      default:
        return true;
    }
  };
  for (const s of path) if (!visit(s)) break;
  return out;
}

/** Conditions of a function, for how its acquires are tested. */
function conditionsOf(fn: FunctionFacts): { line: number; cond: string }[] {
  return flatten(fn.body).flatMap((s) => (s.k === 'if' || s.k === 'loop' ? [{ line: s.line, cond: s.cond }] : []));
}

/** `a = b = f()`: a and b hold one value from then on (a release through either undoes it). */
function chainedNames(fn: FunctionFacts): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const link = (x: string, y: string) => out.set(x, [...(out.get(x) ?? []), y]);
  for (const s of flatten(fn.body)) {
    if (s.k !== 'expr' && s.k !== 'decl') continue;
    for (const a of s.assigns ?? []) {
      const inner = /^\s*([A-Za-z_][\w.\->\[\]]*?)\s*=(?!=)/.exec(squash(a.rhs).replace(/ ?(->|\.) ?/g, '$1'));
      if (a.op !== '=' || !inner) continue;
      const x = resourceIdentity(a.lhs);
      const y = resourceIdentity(inner[1]!);
      if (x && y && x !== y) {
        link(x, y);
        link(y, x);
      }
    }
  }
  return out;
}

/** A `__free(...)` declaration of the file: the local's name and its line. */
export interface ScopedDecl {
  name: string;
  line: number;
}

/** The file's `__free(...)` declarations, read once from the written text (`*np __free(device_node)`). */
function scopedDecls(source: string | undefined): ScopedDecl[] {
  if (!source || !source.includes('__free')) return [];
  const out: ScopedDecl[] = [];
  let line = 1;
  let at = 0;
  for (const m of source.matchAll(/(?<!\w)([A-Za-z_]\w*)\s+__free\s*\(/g)) {
    for (let i = source.indexOf('\n', at); i >= 0 && i < m.index; i = source.indexOf('\n', i + 1)) line++;
    at = m.index;
    out.push({ name: m[1]!, line });
  }
  return out;
}

function newCtx(fn: FunctionFacts, book: PairBook, fallible: (c: string) => boolean, extra: Partial<Ctx> = {}, scoped: readonly ScopedDecl[] = []): Ctx {
  const locals = declaredNames(fn);
  const localPairs = locallyReleased(fn, locals);
  return {
    fn,
    scoped: new Set(scoped.filter((d) => d.line >= fn.startLine && d.line <= fn.endLine).map((d) => d.name)),
    book,
    fallible,
    conds: conditionsOf(fn),
    locals,
    localPairs,
    localReleases: new Set([...localPairs.values()].flatMap((p) => p.release)),
    objectReleases: new Map(),
    truthHelpers: new Set(),
    top: fn.body,
    acquiredIds: new Map(),
    helperReleases: new Map(),
    namedReleases: new Set(),
    helperAcquires: new Map(),
    following: new Set(),
    cppLines: [],
    sourceLines: [],
    resultAssigns: resultAssigns(fn),
    sameValue: chainedNames(fn),
    resumes: new Map(),
    loopDepth: 0,
    openLoops: [],
    breaks: [],
    zeroReturns: [],
    leaks: [],
    misorders: [],
    ignored: [],
    ...extra,
  };
}

/**
 * Resources a same-file static helper acquires and still holds when it returns success (or falls
 * off its end): `static int __init init_inodecache(void) { cachep = kmem_cache_create(...);
 * if (!cachep) return -ENOMEM; return 0; }`. One level deep: a helper's own helpers are not followed.
 */
function helperAcquires(facts: FileFacts, book: PairBook, fallible: (c: string) => boolean, scoped: readonly ScopedDecl[], truth: ReadonlySet<string>): Map<string, Held[]> {
  const out = new Map<string, Held[]>();
  for (const f of facts.functions) {
    if (!f.isStatic || f.hasError || !f.calls.some((c) => book.pairFor(c.callee))) continue;
    const kept: Held[] = [];
    const ctx = newCtx(f, book, fallible, { kept, truthHelpers: truth }, scoped);
    const end = walk(f.body, { dead: false, held: [], status: new Map(), zero: new Set() }, ctx, { on: false });
    if (!end.dead) kept.push(...end.held);
    // A lookup the helper keeps only in its own locals and does not return is its own leak, not
    // something its caller holds and could put (of_unittest_printf()'s node).
    const returned = new Set(flatten(f.body).flatMap((st) => (st.k === 'return' && st.expr ? [resourceIdentity(st.expr)] : [])));
    // Nor is memory the helper allocated into a local and freed itself only on its failure path:
    // on success it was handed on (cpg_mssr_register_mod_clk()'s `clock`, registered as a clk).
    const ownLeak = (h: Held) => (h.pair.lookup === true || (ctx.localPairs.has(`${h.call.line}:${h.call.callee}`) && !ctx.book.pairFor(h.call.callee))) && h.ids.every((id) => ctx.locals.has(id) && !returned.has(id));
    const unique = kept.filter((h, i) => kept.findIndex((x) => x.call === h.call) === i && !ownLeak(h));
    if (unique.length) out.set(f.name, unique);
  }
  return out;
}

/**
 * Functions that return only non-negative literals, some of them non-zero (`return 4;`, a chipset
 * number, or `return 0;` when nothing was found): they report what they found, so non-zero is success.
 */
function truthHelpers(facts: FileFacts): Set<string> {
  const out = new Set<string>();
  for (const f of facts.functions) {
    if (!f.isStatic || f.returnsErrno.length || f.propagates.length) continue;
    const rets = flatten(f.body).flatMap((st) => (st.k === 'return' ? [(st.expr ?? '').replace(/\s+/g, '')] : []));
    if (rets.length > 1 && rets.every((e) => /^\(?(\d+|true|false)\)?$/.test(e)) && rets.some((e) => /^\(?([1-9]\d*|true)\)?$/.test(e))) out.add(f.name);
  }
  return out;
}

/** Releases a same-file static helper performs (a cleanup function called on the unwind path). */
function helperReleases(facts: FileFacts, book: PairBook): { releases: Map<string, CallSite[]>; named: Set<CallSite> } {
  // `#ifdef CONFIG_X ... #else` stubs: one name, several definitions; any of them may be built.
  const byName = new Map<string, FunctionFacts[]>();
  for (const f of facts.functions) byName.set(f.name, [...(byName.get(f.name) ?? []), f]);
  const out = new Map<string, CallSite[]>();
  // Releases whose argument is a file-scope object (neither a parameter nor a local of the
  // function making them): they give back that object, not one of its kind.
  const named = new Set<CallSite>();
  const markNamed = (f: FunctionFacts, c: CallSite) => {
    const base = plainBase(c.args[0] ?? '');
    if (base && !/^[A-Z_][A-Z0-9_]*$/.test(base) && !ownedLocals(f).locals.has(base)) named.add(c);
  };
  // Cleanup helpers call further helpers (drbd_cleanup() -> drbd_destroy_mempools()): follow
  // same-file calls to any depth, each function once, through same-file releases too
  // (fadump_free_elfcorehdr_buf() frees `fw_dump.elfcorehdr_addr` with fadump_free_buffer()).
  const collect = (name: string, seen: Set<string>): CallSite[] => {
    const defs = byName.get(name);
    if (!defs || seen.has(name)) return [];
    seen.add(name);
    // (a release of its own parameter that the helper makes only when it fails itself —
    // find_nx_device_tree()'s `if (ret) of_node_put(dn);` — is no release for a caller whose
    // call succeeded)
    // (or of what it filled through one: pcrypt_init_padata()'s `padata_free(*pinst)`)
    const ownFailure = (f: FunctionFacts, x: { call: CallSite; onFailure: boolean }) => x.onFailure && f.params.includes(resourceIdentity(x.call.args[0] ?? '').replace(/^\*+/, ''));
    // (nor is the put of what the helper looked up into a structure of its own frame:
    // pll6_bypassed()'s `of_node_put(clkspec.np)`, clkspec a local `struct of_phandle_args`,
    // gives back its own lookup, not its caller's node; a local pointer may point anywhere)
    // Likewise a put of a local the helper itself assigned from a lookup or another acquire
    // (create_sysclk()'s `sysclk = of_get_child_by_name(...)` ... `of_node_put(sysclk)`).
    const ownLocal = (f: FunctionFacts, x: { call: CallSite }) => {
      const own = ownedLocals(f);
      const arg = x.call.args[0] ?? '';
      const member = /^\s*([A-Za-z_]\w*)\./.exec(arg)?.[1];
      return (member !== undefined && own.structs.has(member)) || own.lookups.has(resourceIdentity(arg));
    };
    return defs.flatMap((f) =>
      callsWithContext(f)
        .filter((x) => !ownFailure(f, x) && !(book.isRelease(x.call.callee) && ownLocal(f, x)))
        .flatMap(({ call: c }) => {
          if (!book.isRelease(c.callee)) return collect(c.callee, seen);
          markNamed(f, c);
          return [c, ...collect(c.callee, seen)];
        }),
    );
  };
  // (once per function: collect() visits a helper once per caller)
  const owned = new Map<FunctionFacts, { locals: Set<string>; structs: Set<string>; lookups: Set<string> }>();
  const ownedLocals = (f: FunctionFacts) => {
    let o = owned.get(f);
    if (!o) {
      const locals = declaredNames(f);
      const structs = new Set<string>();
      for (const st of flatten(f.body)) {
        if (st.k !== 'decl') continue;
        // `struct of_phandle_args clkspec;`, `struct foo a, b = {...};`: the names after the type
        const m = /^(?:const )?struct \w+ ([^*;=()]+)[;=]/.exec(st.text.trim().replace(/\s+/g, ' '));
        for (const name of m?.[1]?.split(',') ?? []) if (/^[A-Za-z_]\w*$/.test(name.trim()) && !f.params.includes(name.trim())) structs.add(name.trim());
      }
      // (any acquire of its own: warp_post_info() maps `fpga`, reads it and unmaps it; or
      // allocation: nxcop_get_capabilities() kmallocs `hv_caps`, queries into it and kfrees it)
      const lookups = new Set(f.calls.filter((c) => c.assignedTo !== undefined && (book.pairFor(c.callee) !== undefined || allocatorReleases(c.callee).length > 0)).map((c) => resourceIdentity(c.assignedTo!)).filter((v) => locals.has(v) && !f.params.includes(v)));
      o = { locals, structs, lookups };
      owned.set(f, o);
    }
    return o;
  };
  for (const f of facts.functions) {
    const rel = collect(f.name, new Set());
    if (rel.length) out.set(f.name, rel);
  }
  return { releases: out, named };
}

/**
 * The variable a plain name or a member of one stands for (`&a.b` -> `a`); none for a call
 * (`kvm_nvhe_sym(base)[cpu]`) or an element (`pcluster_pool[i].slab`), which name one of several.
 */
function plainBase(text: string): string | undefined {
  return /^&?\s*([A-Za-z_]\w*)(?:\s*(?:\.|->)\s*\w+)*\s*$/.exec(text)?.[1];
}

/** A plain name that is neither a local nor a parameter of the function walked: a file-scope object. */
function fileScopeName(id: string, ctx: Ctx): boolean {
  const base = plainBase(id);
  return base !== undefined && !ctx.locals.has(base) && !ctx.fn.params.includes(base);
}

/**
 * What the function holds on entry: file-scope objects it releases on a failure path without
 * having acquired them (`if (err) { platform_device_unregister(reg_pdev); return err; }`) — its
 * caller made them, and every other failure path after them must give them back as well.
 */
function inheritedHeld(fn: FunctionFacts, ctx: Ctx): Held[] {
  const out: Held[] = [];
  const visit = (stmts: readonly Stmt[], onFailure: boolean) => {
    for (const s of stmts) {
      if (s.k === 'if') {
        const leaves = (b: Stmt[]) => {
          const last = lastStmt(b);
          // (a bare `return;` leaves too, but says nothing of what the caller made: not a sign)
          return last?.k === 'return' && !!last.expr && isErrorReturn(last.expr, true) && !/^\(?0\)?$/.test(last.expr.replace(/\s+/g, ''));
        };
        visit(s.then, onFailure || leaves(s.then));
        if (s.else) visit(s.else, onFailure);
        continue;
      }
      if (s.k === 'block') visit(s.body, onFailure);
      if (!onFailure || (s.k !== 'expr' && s.k !== 'decl')) continue;
      for (const c of s.calls) {
        if (!ctx.book.isRelease(c.callee) || !c.args[0]) continue;
        const id = resourceIdentity(c.args[0]);
        if (!/^[A-Za-z_]\w*$/.test(id) || ctx.locals.has(id) || fn.params.includes(id)) continue;
        if ((ctx.acquiredIds.get(c.callee) ?? []).length || out.some((h) => h.id === id)) continue;
        // (nor what a helper this function calls acquires: speedstep_detect_chipset()'s device)
        if (fn.calls.some((x) => (ctx.helperAcquires.get(x.callee) ?? []).some((k) => k.ids.includes(id)))) continue;
        const pair: BookPair = { acquire: '(on entry)', release: [c.callee], kind: 'handle', source: 'file' };
        out.push({ pair, call: { callee: '(on entry)', args: [id], line: fn.startLine }, id, ids: [id], inherited: c.line });
      }
    }
  };
  visit(fn.body, false);
  return out;
}

/** Adds the pre-image's locally freed allocations to the post-image's, matched by callee and variable. */
function ownedBefore(before: FunctionFacts, ctx: Ctx): void {
  const preCalls = new Map(before.calls.map((c) => [`${c.line}:${c.callee}`, c]));
  for (const [key, pair] of locallyReleased(before, declaredNames(before))) {
    const pre = preCalls.get(key);
    const v = pre && filledName(pre);
    if (!v) continue;
    for (const c of ctx.fn.calls) {
      const k = `${c.line}:${c.callee}`;
      if (c.callee !== pre.callee || filledName(c) !== v || ctx.localPairs.has(k) || !ctx.locals.has(v)) continue;
      ctx.localPairs.set(k, pair);
      for (const r of pair.release) ctx.localReleases.add(r);
    }
  }
}

/**
 * What the unwind analysis knows of a file as a whole (its helpers' acquires and releases, its
 * scope-based locals, its lines): the same for every function of the file analysed with the same
 * book, so a caller analysing several functions prepares it once (`UnwindOptions.file`).
 */
export interface UnwindFile {
  facts: FileFacts;
  book: PairBook;
  fallible: (callee: string) => boolean;
  scoped: readonly ScopedDecl[];
  helperReleases: Map<string, CallSite[]>;
  namedReleases: Set<CallSite>;
  helperAcquires: Map<string, Held[]>;
  objectReleases: Ctx['objectReleases'];
  truthHelpers: Set<string>;
  sourceLines: string[];
  cppLines: number[];
}

export function prepareUnwind(facts: FileFacts, opts: Omit<UnwindOptions, 'before' | 'file'> = {}): UnwindFile {
  const book = opts.book ?? TABLE_BOOK;
  const fallible = opts.fallible ?? ((c: string) => book.pairFor(c)?.kind === 'status');
  const scoped = scopedDecls(opts.source);
  const { releases, named } = helperReleases(facts, book);
  const truth = truthHelpers(facts);
  const sourceLines = opts.source?.split('\n') ?? [];
  return {
    facts,
    book,
    fallible,
    scoped,
    helperReleases: releases,
    namedReleases: named,
    helperAcquires: helperAcquires(facts, book, fallible, scoped, truth),
    objectReleases: fileObjectReleases(facts, book),
    truthHelpers: truth,
    sourceLines,
    cppLines: conditionalLines(sourceLines),
  };
}

export function analyseUnwind(fn: FunctionFacts, facts: FileFacts, opts: UnwindOptions = {}): UnwindReport {
  const file = opts.file?.facts === facts ? opts.file : prepareUnwind(facts, opts);
  const { book, fallible, scoped } = file;
  const ctx = newCtx(fn, book, fallible, { helperReleases: file.helperReleases, namedReleases: file.namedReleases, helperAcquires: file.helperAcquires, objectReleases: file.objectReleases, truthHelpers: file.truthHelpers }, scoped);
  ctx.sourceLines = file.sourceLines;
  ctx.cppLines = file.cppLines;
  if (opts.before) {
    ctx.before = opts.before;
    ownedBefore(opts.before, ctx);
  }
  for (const c of fn.calls) {
    const pair = pairAt(c, ctx);
    if (!pair) continue;
    for (const r of pair.release) ctx.acquiredIds.set(r, [...(ctx.acquiredIds.get(r) ?? []), c]);
  }
  const end = walk(fn.body, { dead: false, held: inheritedHeld(fn, ctx), status: new Map(), zero: new Set() }, ctx, { on: false });
  // Falling off the end of a void function is a return too: a lookup's reference still held
  // only by a local there is never put (axp_clk_init(): `cgnp = of_find_compatible_node(...)`
  // used and not put).
  if (!end.dead) for (const h of end.held) if (droppedLocalRef(h, null, ctx)) ctx.leaks.push({ held: h, exitLine: fn.endLine, exitKind: 'return', returnLine: fn.endLine, success: true });
  const ignored = ctx.ignored.filter((x, i) => ctx.ignored.findIndex((y) => y.held.call === x.held.call) === i);
  // (a loop body is walked twice: once per turn it is taken to run)
  const misorders = ctx.misorders.filter((m, i) => ctx.misorders.findIndex((x) => x.release === m.release && x.gotoLine === m.gotoLine && x.failedStep === m.failedStep) === i);
  // (with nothing released on the way, only where the branch tests what a call handed back:
  // `if (!fpga) { pr_err(...); goto out; }` returning the 0 of the last check is "fix error
  // code in *_init()"; a bare `return ret;` after a search or another kind of test may be a
  // deliberate "not present, carry on", and `err = 0;` in the branch says so)
  // A direct return in the failure branch counts like a jump when the branch undid something on
  // its way (`if (driver_register(&drv) < 0) { bus_unregister(&bus); return ret; }`,
  // gpiolib_dev_init()).
  const undone = (z: ZeroReturn) => (z.label || !z.failed ? z.release : fn.calls.find((c) => c.line > z.failed!.line && c.line < z.returnLine && ctx.book.isRelease(c.callee)));
  const zeroReturns = ctx.zeroReturns
    .map((z) => {
      const release = undone(z);
      return release ? { ...z, release } : z;
    })
    .filter((z, i, all) => (z.release ? !!z.label || (!!z.failed && !LOOKS_ONLY.test(z.failed.callee)) : !!z.failed && handleFailure(z.failed, ctx) && !zeroedOnPurpose(z, ctx)) && all.findIndex((y) => y.gotoLine === z.gotoLine) === i);
  return { leaks: dedupeLeaks(ctx.leaks), misorders, ignored, zeroReturns };
}

function dedupeLeaks(leaks: Leak[]): Leak[] {
  const seen = new Set<string>();
  return leaks.filter((l) => {
    const k = `${l.held.call.line}:${l.held.id}:${l.exitLine}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Functions whose error paths the init rules inspect: module_init targets, `__init` functions of
 * modular files, and static functions called only from those (one file). `builtIn`: every
 * `__init` function too (an initcall, a TIMER_OF_DECLARE hook, arch setup): nothing unloads
 * it, but what its failure path leaks stays leaked for the life of the kernel, and upstream
 * fixes those (bcm2835_timer_init(), aspeed_socinfo_init(), kvm_timer_hyp_init()). `shared`:
 * static helpers that init calls directly but runtime code calls too (init and a sysfs store
 * both adding a host).
 */
export function initScope(facts: FileFacts, partOfModule = false, builtIn = false, shared = false): FunctionFacts[] {
  const initNames = new Set(facts.moduleEntries.filter((e) => e.kind === 'init').map((e) => e.fn));
  const inScope = new Set<string>();
  // (`partOfModule`: kbuild links this file into a loadable module whose module_init is in
  // another file — fs/ubifs/sysfs.c's ubifs_sysfs_init() runs in ubifs' init)
  for (const f of facts.functions) {
    if (initNames.has(f.name) && (facts.modular || f.section === 'init')) inScope.add(f.name);
    else if (f.section === 'init' && (facts.modular || partOfModule || builtIn)) inScope.add(f.name);
  }
  // Boot hooks the OF/ACPI tables run (`CLK_OF_DECLARE(..., bcm53573_ilp_init)`,
  // IRQCHIP_DECLARE, TIMER_OF_DECLARE) are init code whether or not they carry __init, and so is
  // an ops table's `.init` hook (pernet operations' per-namespace init, an ADB driver's init
  // that the ADB core's init calls): set-up code whose failure must undo what it took, as its
  // fixes say ("add missing iounmap on error in macio_init()").
  if (builtIn) {
    const defined = new Set(facts.functions.map((f) => f.name));
    const hooks = [
      ...facts.structInits.flatMap((s) => s.fields.filter((fld) => fld.field === 'init').map((fld) => fld.value.trim())),
      ...facts.fileMacros.filter((m) => /_DECLARE/.test(m.name) && !/^DECLARE_/.test(m.name)).map((m) => m.args[m.args.length - 1]?.trim() ?? ''),
    ];
    for (const hook of hooks) if (defined.has(hook)) inScope.add(hook);
  }
  // Static helpers called only from in-scope functions join the scope (to a fixpoint).
  const callers = new Map<string, Set<string>>();
  for (const f of facts.functions) for (const c of f.calls) callers.set(c.callee, (callers.get(c.callee) ?? new Set()).add(f.name));
  for (const r of facts.globalRefs) callers.set(r.name, (callers.get(r.name) ?? new Set()).add(`<ref:${r.inObject ?? ''}>`));
  let grew = true;
  while (grew) {
    grew = false;
    for (const f of facts.functions) {
      if (inScope.has(f.name) || !f.isStatic) continue;
      const cs = callers.get(f.name);
      if (cs && cs.size && [...cs].every((c) => inScope.has(c))) {
        inScope.add(f.name);
        grew = true;
      }
    }
  }
  // One step only: a helper init calls itself, not whatever runtime code that helper reaches
  // (a page-table walker under a helper of a helper is no part of init's unwind).
  if (shared) {
    const step = facts.functions.filter((f) => f.isStatic && !inScope.has(f.name) && [...(callers.get(f.name) ?? [])].some((c) => inScope.has(c)));
    for (const f of step) inScope.add(f.name);
  }
  return facts.functions.filter((f) => inScope.has(f.name));
}
