// Error-path analysis of an init function over the statement IR: walk the body in order keeping
// what has been acquired and not yet released; at every failure exit (a `return -E...`, or a
// return/goto inside a failure check) follow the unwind path — for a goto, the statements from
// its label to the function's end, falling through later labels — and see what is still held.
import type { Assign, CallSite, FileFacts, FunctionFacts, Stmt } from '../../c/types.js';
import { resourceIdentity } from '../../c/lex.js';
import { isRelease, pairFor, type ResourcePair } from './resources.js';

export interface Held {
  pair: ResourcePair;
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
}

export interface Misorder {
  /** The release run on the unwind path for something not acquired yet. */
  release: CallSite;
  pair: ResourcePair;
  gotoLine: number;
  label: string;
  failed?: CallSite;
}

export interface UnwindReport {
  leaks: Leak[];
  misorders: Misorder[];
}

interface State {
  held: Held[];
  /** Unreachable: after a return or goto. */
  dead: boolean;
}

interface Ctx {
  fn: FunctionFacts;
  /** Top-level statement sequence, labels included, for goto paths. */
  top: Stmt[];
  /** Every acquire the function makes, to tell "released before acquired". */
  acquiredIds: Map<string, CallSite[]>;
  /** Releases performed by same-file static helpers, one level deep. */
  helperReleases: Map<string, CallSite[]>;
  /** What same-file static helpers still hold when they return success, one level deep. */
  helperAcquires: Map<string, Held[]>;
  /** Set while analysing a helper: collects what is held at its successful returns. */
  kept?: Held[];
  /** Labels whose paths are being followed: a backward goto (`goto retry;`) is not followed twice. */
  following: Set<string>;
  leaks: Leak[];
  misorders: Misorder[];
}

// A handle tested in place and never stored (`if (!proc_create_seq("nr", ...))`) goes by its
// first argument, which is what its release names (`remove_proc_entry("nr", ...)`).
const idOf = (pair: ResourcePair, call: CallSite): string =>
  pair.kind === 'status' || !call.assignedTo ? resourceIdentity(call.args[pair.arg ?? 0] ?? '') : resourceIdentity(call.assignedTo);

function idsOf(pair: ResourcePair, call: CallSite): string[] {
  const ids = [idOf(pair, call)];
  // register_chrdev(MAJOR, ...) and cpuhp_setup_state(CPUHP_FIXED, ...) are undone by the argument.
  if (pair.kind === 'nid' && call.args[pair.arg ?? 0]) ids.push(resourceIdentity(call.args[pair.arg ?? 0]!));
  return ids.filter((x) => x && !/^-?\d+$/.test(x));
}

function releaseMatches(h: Held, rel: CallSite, held: Held[], byKindOnly = false): boolean {
  if (!h.pair.release.includes(rel.callee)) return false;
  const args = rel.args.map(resourceIdentity);
  if (!byKindOnly && h.ids.length && args.length) {
    return args.some((a) => h.ids.some((id) => a === id || a.includes(id) || (a.length > 2 && id.includes(a))));
  }
  // Without a usable identity (or inside a cleanup helper, whose arguments are its own locals),
  // a release of the right kind releases the only such resource held.
  return byKindOnly || held.filter((x) => x.pair.release.includes(rel.callee)).length === 1;
}

/** The held resource a release undoes: an identity match first, then the only one of its kind. */
function releasedIndex(held: Held[], rel: CallSite, byKindOnly = false): number {
  return held.findIndex((h) => releaseMatches(h, rel, held, byKindOnly));
}

/**
 * A release whose argument names the resource another way than its acquire did
 * (`sock_unregister(PF_SMC)` for `sock_register(&smc_sock_family_ops)`) undoes the only held
 * resource of its kind — unless the argument is what another acquire of this function is called.
 */
function renamedReleaseIndex(held: Held[], rel: CallSite, ctx: Ctx): number {
  const args = rel.args.map(resourceIdentity).filter(Boolean);
  const known = (ctx.acquiredIds.get(rel.callee) ?? []).flatMap((a) => idsOf(pairFor(a.callee)!, a));
  // Whole-identifier containment: `init_net.proc_net` does not name a handle called `e`.
  const names = (a: string, k: string) => a === k || new RegExp(`(^|\\W)${k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|\\W)`).test(a);
  if (!args.length || args.some((a) => known.some((k) => names(a, k) || names(k, a)))) return -1;
  const same = held.filter((h) => h.pair.release.includes(rel.callee));
  return same.length === 1 ? held.indexOf(same[0]!) : -1;
}

function applyCalls(calls: CallSite[], st: State, ctx: Ctx): void {
  for (const c of calls) {
    if (isRelease(c.callee)) {
      let i = releasedIndex(st.held, c);
      if (i < 0) i = renamedReleaseIndex(st.held, c, ctx);
      if (i >= 0) {
        const h = st.held[i]!;
        // One release undoes every step taken on the same object (`platform_device_alloc(p)` +
        // `platform_device_add(p)`, both undone by `platform_device_unregister(p)`).
        st.held = st.held.filter((x, j) => j !== i && !(h.id && x.id === h.id && x.pair.release.includes(c.callee)));
      }
    }
    for (const rel of ctx.helperReleases.get(c.callee) ?? []) {
      const i = releasedIndex(st.held, rel, true);
      if (i >= 0) st.held.splice(i, 1);
    }
    const pair = pairFor(c.callee);
    if (pair) st.held.push({ pair, call: c, id: idOf(pair, c), ids: idsOf(pair, c) });
    // The helper's result says whether it succeeded: its resources are held like a status acquire.
    for (const k of ctx.helperAcquires.get(c.callee) ?? []) st.held.push({ pair: { ...k.pair, acquire: c.callee, kind: 'status' }, call: c, id: k.id, ids: k.ids, via: k.call });
  }
}

/** `x = wq;` — the resource now also goes by x (it may be released through x). */
function applyAliases(assigns: Assign[] | undefined, st: State): void {
  for (const a of assigns ?? []) {
    if (a.op !== '=') continue;
    const rhs = resourceIdentity(a.rhs);
    for (const h of st.held) {
      if (h.ids.includes(rhs)) {
        // Copy-on-write: states share Held objects across branches.
        const i = st.held.indexOf(h);
        st.held[i] = { ...h, ids: [...h.ids, resourceIdentity(a.lhs)] };
      }
    }
  }
}

/** Is `cond` a failure test of `h` (true branch = failed)? Returns 'then', 'else' or null. */
function testsFailureOf(cond: string, condCalls: CallSite[], h: Held): 'then' | 'else' | null {
  const c = cond.replace(/\b(unlikely|likely)\s*\(/g, '(').replace(/\s+/g, '');
  if (condCalls.some((x) => x.line === h.call.line && x.callee === h.call.callee)) {
    // `if (register_x(&a))`, `if ((ret = register_x(&a)) < 0)`, `if (!p = f())`-style.
    return /^!\(?\w+\(/.test(c) && h.pair.kind === 'handle' ? 'then' : c.startsWith('!') && h.pair.kind === 'status' ? 'else' : 'then';
  }
  const v = h.pair.kind === 'status' ? (h.call.assignedTo ?? '') : h.id;
  if (!v) return null;
  const e = v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '');
  if (h.pair.kind === 'status') {
    // `<=0`: register_blkdev(0, ...) and friends return the allocated major on success.
    if (new RegExp(`^\\(*${e}\\)*$|^\\(*${e}(<0|!=0|<=0)\\)*$|^\\(*${e}&&`).test(c)) return 'then';
    if (new RegExp(`^!\\(*${e}\\)*$|^\\(*${e}==0\\)*$`).test(c)) return 'else';
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
  return !!v && ctx.fn.calls.some((c) => c.assignedTo === v && c.line > h.call.line && c.line < ifLine);
}

/** Conditions that read as "something failed" even when no tracked acquire is involved. */
function looksLikeFailureTest(cond: string): boolean {
  const c = cond.replace(/\b(unlikely|likely)\s*\(/g, '(').replace(/\s+/g, '');
  return /^\(*!?\(*(ret|err|error|rc|r|rv|retval|status|result|res)\)*(<0|!=0)?\)*$/.test(c) && !c.startsWith('!')
    || /^!\(*[\w.>-]+\)*$/.test(c)
    || /IS_ERR(_OR_NULL)?\(/.test(c) && !c.startsWith('!')
    || /<0\)*$/.test(c)
    || /==NULL\)*$/.test(c);
}

function isErrorReturn(expr: string | null, inFailure: boolean): boolean {
  if (!expr) return false;
  const e = expr.replace(/\s+/g, '');
  if (/^\(?0\)?$|^(true|false|NULL)$/.test(e)) return false;
  if (/^-E[A-Z0-9]+$|^\(-E[A-Z0-9]+\)$|PTR_ERR\(|ERR_PTR\(|ERR_CAST\(/.test(e)) return true;
  return inFailure;
}

/**
 * `return register_x(&a);`, or `ret = register_x(&a);` right before `return ret;`: the function
 * ends with an acquire whose failure is its own result, so when it fails everything held before
 * it leaks (d349e9be5a2c: `return pci_register_driver(...)` after alloc_workqueue()).
 */
function returnedAcquire(s: Extract<Stmt, { k: 'return' }>, prev: Stmt | undefined): CallSite | undefined {
  const e = (s.expr ?? '').replace(/\s+/g, '').replace(/^\((.*)\)$/, '$1');
  const fallible = (c: CallSite) => pairFor(c.callee)?.kind === 'status';
  const direct = /^(\w+)\(/.exec(e)?.[1];
  if (direct) return s.calls.find((c) => c.callee === direct && fallible(c));
  if (/^\w+$/.test(e) && (prev?.k === 'expr' || prev?.k === 'decl')) return prev.calls.find((c) => c.assignedTo === e && fallible(c));
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

function walk(body: Stmt[], st: State, ctx: Ctx, failure: { on: boolean; failed?: CallSite }): State {
  for (const [i, s] of body.entries()) {
    if (st.dead) {
      // Code after a return or goto is reached only through a label: goto paths handle it.
      if (s.k !== 'label') continue;
      return st;
    }
    switch (s.k) {
      case 'expr':
      case 'decl':
        applyCalls(s.calls, st, ctx);
        applyAliases(s.assigns, st);
        break;
      case 'return': {
        applyCalls(s.calls, st, ctx);
        const error = isErrorReturn(s.expr, failure.on);
        const last = error ? undefined : returnedAcquire(s, body[i - 1]);
        if (!error && !last && statusSuccess(s.expr)) ctx.kept?.push(...st.held);
        if (error || last) {
          for (const h of st.held) {
            // (by callee and line: the IR may list a returned call twice)
            if (last && h.call.callee === last.callee && h.call.line === last.line) continue;
            const leak: Leak = { held: h, exitLine: s.line, exitKind: 'return', returnLine: s.line };
            const failed = last ?? failure.failed;
            if (failed) leak.failed = failed;
            ctx.leaks.push(leak);
          }
        }
        st.dead = true;
        break;
      }
      case 'goto':
        if (failure.on) followGoto(s.label, s.line, st, ctx, failure.failed);
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
        // `if (a_ret < 0 && b_ret < 0)` / `||`: every resource whose failure a part tests may be absent.
        const parts = splitLogical(s.cond);
        const alsoTested = parts.length > 1 ? st.held.filter((h) => !statusOverwritten(h, s.line, ctx) && parts.some((p) => testsFailureOf(p, s.condCalls, h) === 'then')) : [];
        if (!side && alsoTested.length) {
          side = 'then';
          tested = alsoTested[alsoTested.length - 1];
        }
        // A helper's resources all came from one call: its failure means none of them is held.
        const calls = new Set([tested, ...alsoTested].map((h) => h?.call));
        const alts = new Set([tested, ...alsoTested].map((h) => h?.alt).filter(Boolean));
        const absent = new Set(st.held.filter((h) => calls.has(h.call) || (h.alt && alts.has(h.alt))));
        const without = (x: State): State => ({ dead: x.dead, held: x.held.filter((h) => !absent.has(h)) });
        const clone = (x: State): State => ({ dead: x.dead, held: [...x.held] });
        const generic = !side && looksLikeFailureTest(s.cond);
        const lastCall = [...s.condCalls].pop() ?? lastCallBefore(ctx, s.line);
        const thenFail = side === 'then' ? { on: true, failed: tested!.call } : generic ? withFailed(lastCall) : failure;
        const elseFail = side === 'else' ? { on: true, failed: tested!.call } : failure;
        const thenIn = side === 'then' ? without(st) : clone(st);
        const elseIn = side === 'else' ? without(st) : clone(st);
        const t = walk(s.then, thenIn, ctx, thenFail);
        const e = s.else ? walk(s.else, elseIn, ctx, elseFail) : elseIn;
        st = mergeBranches(st, t, e);
        break;
      }
      case 'loop': {
        applyCalls(s.condCalls, st, ctx);
        const out = walk(s.body, { dead: false, held: [...st.held] }, ctx, failure);
        // The body is taken to run: a cleanup loop (`while (i--) unregister(&d[i]);`) releases
        // what it names, an acquiring loop holds what it acquired. A body that always leaves
        // (return/goto) changes nothing for the code after the loop.
        st = out.dead ? st : { dead: false, held: [...out.held] };
        break;
      }
      case 'switch': {
        const outs = s.cases.map((c) => walk(c.body, { dead: false, held: [...st.held] }, ctx, failure));
        st = outs.reduce((a, b) => merge(a, b), st);
        break;
      }
      default:
        break;
    }
  }
  return st;
}

function withFailed(c: CallSite | undefined): { on: boolean; failed?: CallSite } {
  return c ? { on: true, failed: c } : { on: true };
}

/** The last call made on a line before `line`: what a bare `if (ret)` is checking. */
function lastCallBefore(ctx: Ctx, line: number): CallSite | undefined {
  let best: CallSite | undefined;
  for (const c of ctx.fn.calls) if (c.line < line && c.assignedTo && (!best || c.line >= best.line)) best = c;
  return best;
}

/**
 * After an if: a resource held before it stays held only if neither branch released it (a
 * conditional release, `if (major >= 0) unregister_chrdev(...)`, counts as a release); one
 * acquired inside a branch is held after it.
 */
function mergeBranches(before: State, a: State, b: State): State {
  if (a.dead) return { dead: b.dead, held: [...b.held] };
  if (b.dead) return { dead: false, held: [...a.held] };
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
  return { dead: false, held };
}

/** Split on top-level && and ||. */
function splitLogical(cond: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < cond.length; i++) {
    const c = cond[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && (cond.startsWith('&&', i) || cond.startsWith('||', i))) {
      out.push(cond.slice(start, i));
      start = i + 2;
      i++;
    }
  }
  out.push(cond.slice(start));
  return out.map((x) => x.trim()).filter(Boolean);
}

/** Union of what may be held on either branch; dead only if both are. */
function merge(a: State, b: State): State {
  if (a.dead) return { dead: b.dead, held: [...b.held] };
  if (b.dead) return { dead: false, held: [...a.held] };
  const held = [...a.held];
  for (const h of b.held) if (!held.includes(h)) held.push(h);
  return { dead: false, held };
}

function followGoto(label: string, gotoLine: number, st: State, ctx: Ctx, failed?: CallSite): void {
  const at = ctx.top.findIndex((s) => s.k === 'label' && s.name === label);
  if (at < 0 || ctx.following.has(label)) return;
  ctx.following.add(label);
  try {
    followPath(at, label, gotoLine, st, ctx, failed);
  } finally {
    ctx.following.delete(label);
  }
}

function followPath(at: number, label: string, gotoLine: number, st: State, ctx: Ctx, failed?: CallSite): void {
  const path = ctx.top.slice(at + 1);
  const before = [...st.held];
  const local: Ctx = { ...ctx, leaks: [], misorders: [] };
  // Releases on the path of things not acquired at the goto: a misordered or wrong label.
  for (const s of flattenPath(path)) {
    for (const c of s.calls) {
      if (!isRelease(c.callee)) continue;
      const heldNow = before.some((h) => releaseMatches(h, c, before));
      const acquiredLater = (ctx.acquiredIds.get(c.callee) ?? []).some((a) => a.line > gotoLine && a.line < endOf(ctx));
      if (!heldNow && acquiredLater) {
        const pair = pairFor((ctx.acquiredIds.get(c.callee) ?? [])[0]!.callee)!;
        if (pair.kind === 'status') {
          const m: Misorder = { release: c, pair, gotoLine, label };
          if (failed) m.failed = failed;
          ctx.misorders.push(m);
        }
      }
    }
  }
  const out = walk(path, { dead: false, held: [...st.held] }, local, { on: true, ...(failed ? { failed } : {}) });
  // Leaks found inside the path (at its returns) are this goto's leaks.
  for (const l of local.leaks) {
    const leak: Leak = { held: l.held, exitLine: gotoLine, exitKind: 'goto', label, returnLine: l.returnLine };
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
function flattenPath(path: Stmt[]): { calls: CallSite[] }[] {
  const out: { calls: CallSite[] }[] = [];
  const visit = (s: Stmt): boolean => {
    switch (s.k) {
      case 'expr':
      case 'decl':
        out.push({ calls: s.calls });
        return true;
      case 'return':
        out.push({ calls: s.calls });
        return false;
      case 'if':
        out.push({ calls: s.condCalls });
        s.then.forEach(visit);
        s.else?.forEach(visit);
        return true;
      case 'loop':
        out.push({ calls: s.condCalls });
        s.body.forEach(visit);
        return true;
      case 'block':
        return s.body.every(visit);
      default:
        return true;
    }
  };
  for (const s of path) if (!visit(s)) break;
  return out;
}

/**
 * Resources a same-file static helper acquires and still holds when it returns success (or falls
 * off its end): `static int __init init_inodecache(void) { cachep = kmem_cache_create(...);
 * if (!cachep) return -ENOMEM; return 0; }`. One level deep: a helper's own helpers are not followed.
 */
function helperAcquires(facts: FileFacts): Map<string, Held[]> {
  const out = new Map<string, Held[]>();
  for (const f of facts.functions) {
    if (!f.isStatic || f.hasError || !f.calls.some((c) => pairFor(c.callee))) continue;
    const kept: Held[] = [];
    const ctx: Ctx = { fn: f, top: f.body, acquiredIds: new Map(), helperReleases: new Map(), helperAcquires: new Map(), kept, following: new Set(), leaks: [], misorders: [] };
    const end = walk(f.body, { dead: false, held: [] }, ctx, { on: false });
    if (!end.dead) kept.push(...end.held);
    const unique = kept.filter((h, i) => kept.findIndex((x) => x.call === h.call) === i);
    if (unique.length) out.set(f.name, unique);
  }
  return out;
}

/** Releases a same-file static helper performs (a cleanup function called on the unwind path). */
function helperReleases(facts: FileFacts): Map<string, CallSite[]> {
  // `#ifdef CONFIG_X ... #else` stubs: one name, several definitions; any of them may be built.
  const byName = new Map<string, FunctionFacts[]>();
  for (const f of facts.functions) byName.set(f.name, [...(byName.get(f.name) ?? []), f]);
  const out = new Map<string, CallSite[]>();
  // Cleanup helpers call further helpers (drbd_cleanup() -> drbd_destroy_mempools()): follow
  // same-file calls to any depth, each function once.
  const collect = (name: string, seen: Set<string>): CallSite[] => {
    const defs = byName.get(name);
    if (!defs || seen.has(name)) return [];
    seen.add(name);
    return defs.flatMap((f) => f.calls.flatMap((c) => (isRelease(c.callee) ? [c] : collect(c.callee, seen))));
  };
  for (const f of facts.functions) {
    const rel = collect(f.name, new Set());
    if (rel.length) out.set(f.name, rel);
  }
  return out;
}

export function analyseUnwind(fn: FunctionFacts, facts: FileFacts): UnwindReport {
  const acquiredIds = new Map<string, CallSite[]>();
  for (const c of fn.calls) {
    const pair = pairFor(c.callee);
    if (!pair) continue;
    for (const r of pair.release) acquiredIds.set(r, [...(acquiredIds.get(r) ?? []), c]);
  }
  const ctx: Ctx = { fn, top: fn.body, acquiredIds, helperReleases: helperReleases(facts), helperAcquires: helperAcquires(facts), following: new Set(), leaks: [], misorders: [] };
  walk(fn.body, { dead: false, held: [] }, ctx, { on: false });
  return { leaks: dedupeLeaks(ctx.leaks), misorders: ctx.misorders };
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
 * modular files, and static functions called only from those (one file).
 */
export function initScope(facts: FileFacts): FunctionFacts[] {
  const initNames = new Set(facts.moduleEntries.filter((e) => e.kind === 'init').map((e) => e.fn));
  const inScope = new Set<string>();
  for (const f of facts.functions) {
    if (initNames.has(f.name) && (facts.modular || f.section === 'init')) inScope.add(f.name);
    else if (f.section === 'init' && facts.modular) inScope.add(f.name);
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
  return facts.functions.filter((f) => inScope.has(f.name));
}
