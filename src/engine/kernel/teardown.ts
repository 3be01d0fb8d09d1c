// Module teardown analysis: what module_init keeps (acquires still held when init returns 0)
// and whether module_exit gives each back, in an order that does not free something still in
// use. Uses the acquire→release pairs of resources.ts, shared with the init unwind analysis.
import { declaredNames, functionsByName } from '../../c/functions.js';
import type { CallSite, FileFacts, FunctionFacts } from '../../c/types.js';
import { flatten } from '../../c/walk.js';
import { splitTopLevel } from '../../c/cond.js';
import { baseName, resourceIdentity } from '../../c/lex.js';
import type { IndexQuery } from '../types.js';
import { pathCalls, type PathCall } from './lifecycle.js';
import { LOOKS_ONLY } from './pairs.js';
import { isRelease, pairFor, RESOURCE_PAIRS, type ResourcePair } from './resources.js';
import { initScope } from './unwind.js';

export interface Kept {
  pair: ResourcePair;
  at: PathCall;
  /** Names the resource goes by: the handle variable or resource argument, and later copies. */
  ids: string[];
  /** The handle stays in a local of the init path: exit cannot reach it. */
  local?: string;
}

/** The table's own acquires and releases: like LOOKS_ONLY's checks and logging, passing a handle there hands nothing over. */
const PAIR_CALLS = new Set(RESOURCE_PAIRS.flatMap((p) => [p.acquire, ...p.release]));

/** Acquires that hand the kernel no pointer into module text (no callbacks to outlive the module). */
const NO_CALLBACKS = new Set([
  'alloc_chrdev_region', 'register_chrdev_region', 'class_create', 'device_create', 'kmem_cache_create', 'kmem_cache_create_usercopy',
  'KMEM_CACHE', 'alloc_workqueue', 'alloc_ordered_workqueue', 'create_workqueue', 'create_singlethread_workqueue', 'create_freezable_workqueue',
  'alloc_percpu', 'mempool_create', 'mempool_create_slab_pool', 'mempool_create_kmalloc_pool', 'bioset_init', 'blk_mq_alloc_tag_set',
  'kobject_create_and_add', 'kset_create_and_add', 'debugfs_create_dir', 'proc_mkdir', 'idr_alloc', 'alloc_netdev', 'alloc_etherdev',
  'platform_device_alloc', 'platform_device_register_simple', 'platform_device_register_full', 'platform_device_register_data',
  'tty_alloc_driver', 'shrinker_alloc', 'fc_attach_transport', 'sas_attach_transport', 'spi_attach_transport',
]);

/** Does keeping this registered leave the kernel holding pointers into the module (ops, callbacks, a thread)? */
export function registersCallbacks(acquire: string): boolean {
  return !NO_CALLBACKS.has(acquire);
}

/**
 * Registrations whose callbacks can run right up to their unregistration without the module
 * reference protecting them (bus drivers bind/unbind, notifier chains, hotplug states, hooks):
 * what they use must be torn down after them.
 */
export function unprotectedCallbacks(acquire: string): boolean {
  return /(_driver_register|_register_driver|^driver_register$|^usb_register|_register_drivers$|_add_driver$|notifier|^cpuhp_setup_state|^register_pernet_|^nf_register_net_hook|^input_register_handler$|^register_k(ret)?probe$|^register_ftrace_function$|^phy_drivers?_register$)/.test(acquire);
}

/** Objects the module's callbacks use: destroying them while a callback may still run is a use after free. */
export const INFRA_RELEASES = new Set(['destroy_workqueue', 'kmem_cache_destroy', 'mempool_destroy', 'bioset_exit']);

/** Threads end in many ways (a flag, a completion, on their own): kthread_stop() is not the only one. */
const SELF_ENDING = new Set(['kthread_run', 'kthread_create']);

/** Objects whose ownership a later registration takes over: exit undoes the registration instead. */
const HANDED_TO: Readonly<Record<string, readonly string[]>> = {
  alloc_netdev: ['register_netdev', 'register_netdevice'],
  alloc_etherdev: ['register_netdev', 'register_netdevice'],
};

/** Releases that also undo an acquire on the exit path, beyond the pairs table (a leaked reference at worst). */
const ALSO_RELEASED_BY: Readonly<Record<string, readonly string[]>> = {
  device_create: ['device_del'],
};

/** Entries found again by name or parent (proc/debugfs): the handle is not needed to remove them. */
const NAMED = /^(proc_|debugfs_|device_create$)/;

/** Families whose removal takes the whole subtree, and the argument naming the parent of a new entry. */
const RECURSIVE: readonly { acquire: RegExp; parentArg: Record<string, number>; release: readonly string[] }[] = [
  { acquire: /^proc_/, parentArg: { proc_mkdir: 1, proc_create: 2, proc_create_seq: 2, proc_create_single: 2 }, release: ['remove_proc_subtree', 'proc_remove'] },
  { acquire: /^debugfs_/, parentArg: { debugfs_create_dir: 1 }, release: ['debugfs_remove', 'debugfs_remove_recursive'] },
];




const lastMember = (x: string): string => x.split(/->|\./).pop() ?? x;

/** Do two identity texts name the same object? Exact, or the same member of a struct. */
export function sameObject(a: string, b: string): boolean {
  if (!a || !b) return false;
  if (a === b) return true;
  const member = /->|\./.test(a) || /->|\./.test(b);
  return member && lastMember(a) === lastMember(b) && lastMember(a).length > 2;
}

/** Is `inner` (a container argument, `&pdev->dev.kobj`) part of `outer` (`pdev`)? */
function within(inner: string, outer: string): boolean {
  return !!outer && (inner === outer || inner.startsWith(`${outer}->`) || inner.startsWith(`${outer}.`));
}

function identityOf(pair: ResourcePair, call: CallSite): string[] {
  const ids: string[] = [];
  if (pair.kind === 'status') ids.push(resourceIdentity(call.args[pair.arg ?? 0] ?? ''));
  else {
    ids.push(resourceIdentity(call.assignedTo ?? ''));
    if (pair.kind === 'nid' && call.args[pair.arg ?? 0]) ids.push(resourceIdentity(call.args[pair.arg ?? 0]!));
  }
  return ids.filter((x) => x && !/^-?\d+$/.test(x) && x !== 'NULL');
}

/** `x = wq;` and `int x = wq;` after the acquire: the resource also goes by x. */
function withAliases(fn: FunctionFacts | undefined, ids: string[], after: number): string[] {
  if (!fn) return ids;
  const out = [...ids];
  const assigns = flatten(fn.body).flatMap((s) => ((s.k === 'expr' || s.k === 'decl') && s.line >= after ? (s.assigns ?? []) : []));
  for (let grew = true; grew; ) {
    grew = false;
    for (const a of assigns) {
      if (a.op !== '=') continue;
      const rhs = resourceIdentity(a.rhs);
      const lhs = resourceIdentity(a.lhs);
      if (out.includes(rhs) && !out.includes(lhs)) {
        out.push(lhs);
        grew = true;
      }
    }
  }
  return out;
}

/** Is the handle in `name` handed to someone (stored outside, passed on, returned)? */
function handedOver(fn: FunctionFacts, name: string, ids: string[], locals: Set<string>, pair: ResourcePair): boolean {
  if (ids.some((id) => id !== name && !locals.has(id.split(/->|\./)[0]!))) return true;
  for (const c of fn.calls) {
    if (LOOKS_ONLY.test(c.callee) || PAIR_CALLS.has(c.callee) || pair.release.includes(c.callee)) continue;
    if (c.args.some((a) => within(resourceIdentity(a), name))) return true;
  }
  return flatten(fn.body).some((s) => s.k === 'return' && s.expr !== null && within(resourceIdentity(s.expr), name));
}

/** Does the function return this call's result (directly, or through the variable it landed in)? */
function returnsHandle(fn: FunctionFacts, call: CallSite, ids: string[]): boolean {
  return flatten(fn.body).some(
    (st) => st.k === 'return' && (st.calls.some((c) => c.line === call.line && c.callee === call.callee) || (st.expr !== null && ids.includes(resourceIdentity(st.expr)))),
  );
}

/** Acquires of the init path (init function and init-only helpers, two levels) that init keeps. */
export function keptByInit(facts: FileFacts, init: FunctionFacts, disabled: Set<number> = new Set()): Kept[] {
  const scope = new Set(initScope(facts).map((f) => f.name));
  const byName = functionsByName(facts.functions);
  const path = pathCalls(facts, init, { depth: 2, follow: (h) => scope.has(h.name), stop: (c) => PAIR_CALLS.has(c) });
  const out: Kept[] = [];
  path.forEach((pc, pos) => {
    const pair = pairFor(pc.call.callee);
    if (!pair || pc.onFailure || SELF_ENDING.has(pair.acquire) || disabled.has(pc.call.line)) return;
    const fn = byName.get(pc.fn);
    const ids = withAliases(fn, identityOf(pair, pc.call), pc.call.line);
    // A helper that returns what it created hands it to its caller (`c = zfcp_cache_hw_align()`),
    // where the name it is kept under is not visible here: stay silent.
    if (fn && pc.fn !== init.name && pair.kind !== 'status' && returnsHandle(fn, pc.call, ids)) return;
    // Ownership handed to a later registration (alloc_netdev() then register_netdev()).
    const takers = HANDED_TO[pair.acquire];
    if (takers && path.slice(pos + 1).some((x) => takers.includes(x.call.callee) && x.call.args.some((a) => ids.includes(resourceIdentity(a))))) return;
    // Files in a device's or object's own kobject (a local or parameter) go away with it.
    const container = pair.kind === 'status' && (pair.arg ?? 0) > 0 ? resourceIdentity(pc.call.args[0] ?? '') : '';
    if (container && fn && declaredNames(fn).has(baseName(container))) return;
    // Released again on init's own success path (a temporary): not kept.
    const later = path.slice(pos + 1).filter((x) => !x.onFailure && pair.release.includes(x.call.callee));
    if (later.some((x) => !ids.length || x.call.args.some((a) => ids.some((id) => sameObject(resourceIdentity(a), id))))) return;
    // Registered twice on one path (the same object) is one resource.
    // (Also the either/or of `if (major) register_chrdev_region(); else alloc_chrdev_region();`.)
    if (out.some((k) => k.ids.length && k.ids[0] === ids[0] && k.pair.release.join() === pair.release.join())) return;
    const k: Kept = { pair, at: pc, ids };
    if (fn && pair.kind !== 'status' && pc.call.assignedTo && !pc.inLoop && !NAMED.test(pair.acquire)) {
      const name = resourceIdentity(pc.call.assignedTo);
      const locals = declaredNames(fn);
      if (locals.has(name) && !handedOver(fn, name, ids, locals, pair)) k.local = name;
    }
    out.push(k);
  });
  return out;
}

export interface Unreleased {
  kept: Kept;
  /** Why: never released on the exit path, or kept where exit cannot reach it. */
  reason: 'missing' | 'local';
}

/** The release calls of an exit path (exit function, same-file helpers two levels, other files one level). */
export function exitPath(facts: FileFacts, exit: FunctionFacts, index?: IndexQuery): PathCall[] {
  const opts: Parameters<typeof pathCalls>[2] = { depth: 2, stop: (c) => isRelease(c) || PAIR_CALLS.has(c) };
  if (index) opts.index = index;
  return pathCalls(facts, exit, opts);
}

/** Which kept resources the exit path never gives back. */
/** The release names that undo a kept acquire on the exit path. */
const releasesFor = (k: Kept): readonly string[] => [...k.pair.release, ...(ALSO_RELEASED_BY[k.pair.acquire] ?? [])];

/** The arguments of a release that name the resource (the first, or the acquire's resource position). */
function resourceArgs(k: Kept, r: PathCall): string[] {
  const at = new Set([0, k.pair.kind === 'status' ? (k.pair.arg ?? 0) : 0]);
  return [...at].map((i) => r.call.args[i]).filter((a): a is string => a !== undefined).map(resourceIdentity);
}

/** A proc/debugfs entry below a parent (or a path-named one) goes with a recursive removal. */
function removedWithSubtree(k: Kept, rels: PathCall[]): boolean {
  const fam = RECURSIVE.find((f) => f.acquire.test(k.pair.acquire));
  if (!fam || !rels.some((r) => fam.release.includes(r.call.callee))) return false;
  const parent = fam.parentArg[k.pair.acquire];
  const p = parent === undefined ? '' : resourceIdentity(k.at.call.args[parent] ?? '');
  return (p !== '' && p !== 'NULL') || /^"[^"/]*\/[^"]*"$/.test(k.at.call.args[0] ?? '');
}

export function unreleased(kept: Kept[], path: PathCall[]): Unreleased[] {
  const rels = path.filter((p) => isRelease(p.call.callee) || p.call.callee === 'device_del');
  const usedById = new Set<PathCall>();
  const open: Kept[] = [];
  const out: Unreleased[] = [];
  for (const k of kept) {
    const byId = rels.filter((r) => releasesFor(k).includes(r.call.callee) && !r.crossFile && resourceArgs(k, r).some((a) => k.ids.some((id) => sameObject(a, id))));
    if (byId.length) {
      byId.forEach((r) => usedById.add(r));
      continue;
    }
    if (k.local) {
      out.push({ kept: k, reason: 'local' });
      continue;
    }
    open.push(k);
  }
  const consumed = new Set<PathCall>();
  for (const k of open) {
    // Anything created inside an object the exit path releases goes with it (sysfs groups of a kobject).
    const container = k.pair.kind === 'status' && (k.pair.arg ?? 0) > 0 ? resourceIdentity(k.at.call.args[0] ?? '') : '';
    if (container && rels.some((r) => r.call.args.some((a) => within(container, resourceIdentity(a)) || sameObject(container, resourceIdentity(a))))) continue;
    if (removedWithSubtree(k, rels)) continue;
    const free = rels.find((r) => releasesFor(k).includes(r.call.callee) && !usedById.has(r) && (!consumed.has(r) || r.inLoop));
    if (free) {
      consumed.add(free);
      continue;
    }
    // A loop release covers every acquire of its kind.
    if (rels.some((r) => releasesFor(k).includes(r.call.callee) && r.inLoop)) continue;
    out.push({ kept: k, reason: 'missing' });
  }
  return out;
}

/** Kept acquires matched to the release on the exit path that undoes them (for ordering checks). */
export function releaseOf(k: Kept, path: PathCall[]): { rel: PathCall; pos: number } | undefined {
  let best: { rel: PathCall; pos: number } | undefined;
  path.forEach((p, pos) => {
    if (best || !k.pair.release.includes(p.call.callee)) return;
    if (p.call.args.some((a) => k.ids.some((id) => sameObject(resourceIdentity(a), id)))) best = { rel: p, pos };
  });
  return best;
}


export interface InUse {
  infra: Kept;
  infraRel: { rel: PathCall; pos: number };
  user: Kept;
  userRel: { rel: PathCall; pos: number };
}

/**
 * Exit destroys an object (workqueue, cache, mempool) before it unregisters something whose
 * callbacks use it: init created the object first and registered the user after, runtime code
 * of the file refers to the object, and exit releases them in the same order instead of the
 * reverse one.
 */
export function destroyedInUse(facts: FileFacts, kept: Kept[], path: PathCall[], initFns: Set<string>): InUse[] {
  const exitFns = new Set(path.map((p) => p.fn));
  const runtimeRefs = new Set(facts.functions.filter((f) => !initFns.has(f.name) && !exitFns.has(f.name)).flatMap((f) => f.refs));
  const out: InUse[] = [];
  kept.forEach((infra, i) => {
    if (!infra.pair.release.some((r) => INFRA_RELEASES.has(r))) return;
    const name = baseName(infra.ids[0] ?? '');
    if (!name || !runtimeRefs.has(name)) return;
    const infraRel = releaseOf(infra, path);
    if (!infraRel || infraRel.rel.onFailure) return;
    for (const user of kept.slice(i + 1)) {
      if (!unprotectedCallbacks(user.pair.acquire)) continue;
      const userRel = releaseOf(user, path);
      if (!userRel || userRel.rel.onFailure || userRel.pos < infraRel.pos) continue;
      out.push({ infra, infraRel, user, userRel });
      return;
    }
  });
  return out;
}

/** Releases that free the object itself: using it afterwards is a use after free. */
const FREES_OBJECT = new Set([
  'kmem_cache_destroy', 'destroy_workqueue', 'class_destroy', 'mempool_destroy', 'free_percpu', 'free_netdev', 'kset_unregister',
  'debugfs_remove', 'debugfs_remove_recursive', 'proc_remove', 'tty_driver_kref_put', 'kobject_put', 'class_unregister',
]);

export interface UseAfterRelease {
  release: PathCall;
  use: PathCall;
  id: string;
}

/** A later call on the exit path passes an object an earlier release already freed. */
export function usedAfterRelease(path: PathCall[]): UseAfterRelease[] {
  const out: UseAfterRelease[] = [];
  path.forEach((p, pos) => {
    if (p.crossFile || !FREES_OBJECT.has(p.call.callee)) return;
    const id = resourceIdentity(p.call.args[0] ?? '');
    if (!/^[A-Za-z_][\w.>-]*$/.test(id) || id === 'NULL') return;
    const use = path.slice(pos + 1).find((q) => !q.crossFile && q.fn === p.fn && q.call.callee !== p.call.callee && q.call.line > p.call.line && q.call.args.some((a) => within(resourceIdentity(a), id)));
    if (use) out.push({ release: p, use, id });
  });
  return out;
}
