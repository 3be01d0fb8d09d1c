// RCU callbacks a module queues and the barriers its exit path runs.
//
// call_rcu(head, func) queues func to run after a grace period; if the module is unloaded in
// between, func runs from freed module text. synchronize_rcu() only waits for a grace period to
// *start and end*, not for callbacks already queued to be invoked: only rcu_barrier() does
// (Documentation/RCU/rcubarrier.rst). SRCU callbacks are per srcu_struct: srcu_barrier(ssp).
import { functionsByName } from '../../c/functions.js';
import type { CallSite, FileFacts, FunctionFacts } from '../../c/types.js';
import { resourceIdentity } from '../../c/lex.js';
import type { IndexQuery } from '../types.js';
import { crossFileDefinition, pathCalls, type PathCall } from './lifecycle.js';

export interface RcuFlavour {
  /** The queuing call. */
  call: string;
  /** Argument index of the callback. */
  cbArg: number;
  /** Calls that wait for every queued callback of this flavour to have run. */
  barrier: string[];
  /** Per srcu_struct (argument 0): the barrier must name the same one. */
  perStruct?: boolean;
  flavourName: string;
}

export const RCU_FLAVOURS: readonly RcuFlavour[] = [
  { call: 'call_rcu', cbArg: 1, barrier: ['rcu_barrier'], flavourName: 'RCU' },
  { call: 'call_rcu_hurry', cbArg: 1, barrier: ['rcu_barrier'], flavourName: 'RCU' },
  { call: 'call_srcu', cbArg: 2, barrier: ['srcu_barrier'], perStruct: true, flavourName: 'SRCU' },
  { call: 'call_rcu_tasks', cbArg: 1, barrier: ['rcu_barrier_tasks'], flavourName: 'Tasks RCU' },
  { call: 'call_rcu_tasks_trace', cbArg: 1, barrier: ['rcu_barrier_tasks_trace'], flavourName: 'Tasks Trace RCU' },
];

/**
 * Waits that look like a barrier but are not one for call_rcu() callbacks: synchronize_rcu() is
 * not rcu_barrier() (rcubarrier.rst); kvfree_rcu_barrier() waits for kfree_rcu() only;
 * kmem_cache_destroy() runs rcu_barrier() only for SLAB_TYPESAFE_BY_RCU caches (mm/slab_common.c).
 */
export const NOT_A_BARRIER = new Set([
  'synchronize_rcu', 'synchronize_rcu_expedited', 'synchronize_net', 'synchronize_srcu', 'synchronize_srcu_expedited', 'kvfree_rcu_barrier', 'kmem_cache_destroy',
]);

/**
 * Kernel APIs that run rcu_barrier() themselves, below the level the index follows (checked in
 * Linux 6.12): unregister_pernet_{subsys,device}() via unregister_pernet_operations() in
 * net/core/net_namespace.c, and what calls them.
 */
export const BARRIER_APIS: Readonly<Record<string, string>> = {
  unregister_pernet_subsys: 'rcu_barrier',
  unregister_pernet_device: 'rcu_barrier',
  unregister_tcf_proto_ops: 'rcu_barrier',
  // net/sched/act_api.c: unregister_pernet_subsys() once the action was found (always, for a registered one).
  tcf_unregister_action: 'rcu_barrier',
  target_unregister_template: 'rcu_barrier',
  target_backend_unregister: 'rcu_barrier',
  elv_unregister: 'rcu_barrier',
};

export interface RcuCallback {
  flavour: RcuFlavour;
  site: CallSite;
  /** The function that queues it. */
  caller: string;
  /** The callback, a function of this file (module text). */
  cb: string;
  /** For SRCU: identity of the srcu_struct. */
  ssp?: string;
}

/** call_rcu()-family sites whose callback is a function defined in this file. */
export function moduleRcuCallbacks(facts: FileFacts): RcuCallback[] {
  const defined = new Set(facts.functions.map((f) => f.name));
  const out: RcuCallback[] = [];
  for (const fn of facts.functions) {
    for (const c of fn.calls) {
      const fl = RCU_FLAVOURS.find((x) => x.call === c.callee);
      if (!fl) continue;
      const cb = resourceIdentity(c.args[fl.cbArg] ?? '');
      if (!/^[A-Za-z_]\w*$/.test(cb) || !defined.has(cb)) continue;
      const r: RcuCallback = { flavour: fl, site: c, caller: fn.name, cb };
      if (fl.perStruct) r.ssp = resourceIdentity(c.args[0] ?? '');
      out.push(r);
    }
  }
  return out;
}

/**
 * `.free_inode = foo_free_inode` in a super_operations of this file: the VFS frees inodes with
 * call_rcu(&inode->i_rcu, i_callback), which calls ->free_inode — module text, after a grace
 * period (fs/inode.c). The dax precedent a7e8de822e0b is this case.
 */
export function inodeRcuCallbacks(facts: FileFacts): { cb: string; line: number; ops: string }[] {
  const defined = new Set(facts.functions.map((f) => f.name));
  const out: { cb: string; line: number; ops: string }[] = [];
  for (const s of facts.structInits) {
    if (s.type !== 'super_operations') continue;
    for (const f of s.fields) if (f.field === 'free_inode' && defined.has(f.value)) out.push({ cb: f.value, line: f.line, ops: s.name });
  }
  return out;
}

/** Caches a callback frees into (kmem_cache_free(cache, ...)), following same-file helpers one level. */
export function cachesFreedBy(facts: FileFacts, cb: string): string[] {
  const fn = facts.functions.find((f) => f.name === cb);
  if (!fn) return [];
  const calls = pathCalls(facts, fn, { depth: 1 });
  return [...new Set(calls.filter((c) => c.call.callee === 'kmem_cache_free').map((c) => resourceIdentity(c.call.args[0] ?? '')))];
}

export interface Barrier {
  /** The barrier call (or the API known to run it). */
  call: CallSite;
  /** The entry function down to the function that makes it. */
  via: string[];
  /** Barrier name actually run (rcu_barrier, srcu_barrier(...)). */
  barrier: string;
  /** For srcu_barrier: the srcu_struct it names, when known at this level. */
  ssp?: string;
  /** Order on the path (index in the path's call list). */
  pos: number;
}

/**
 * Barriers an exit path runs: in the exit function and same-file helpers (two levels), and one
 * level into functions of other files the index knows call the barrier directly, plus the
 * kernel APIs known to barrier (BARRIER_APIS).
 */
export function exitBarriers(facts: FileFacts, exit: FunctionFacts, index: IndexQuery, path?: PathCall[]): Barrier[] {
  const calls = path ?? pathCalls(facts, exit, { depth: 2 });
  const barrierNames = new Set(RCU_FLAVOURS.flatMap((f) => f.barrier));
  const out: Barrier[] = [];
  const remote = new Map<string, string | null>();
  const remoteBarrier = (name: string): string | null => {
    if (remote.has(name)) return remote.get(name)!;
    let found: string | null = Object.hasOwn(BARRIER_APIS, name) ? BARRIER_APIS[name]! : null;
    if (!found && !facts.functions.some((f) => f.name === name)) {
      const def = crossFileDefinition(index, name, facts.path);
      const b = def?.fn.calls.find((c) => barrierNames.has(c.callee));
      if (b) found = b.callee === 'srcu_barrier' ? `srcu_barrier:${resourceIdentity(b.args[0] ?? '')}` : b.callee;
    }
    remote.set(name, found);
    return found;
  };
  // `.cb_barrier = rcu_barrier` in an ops table of this file: an exit calling `ops->cb_barrier()`
  // runs one of the barriers the tables name (rcutorture's cur_ops): each counts.
  const viaField = new Map<string, { barrier: string; ssp?: string }[]>();
  const local = functionsByName(facts.functions);
  const add = (field: string, b: { barrier: string; ssp?: string }) => viaField.set(field, [...(viaField.get(field) ?? []), b]);
  for (const st of facts.structInits) {
    for (const f of st.fields) {
      const name = f.field.split('.').pop()!;
      if (barrierNames.has(f.value)) add(name, { barrier: f.value });
      for (const c of local.get(f.value)?.calls ?? []) {
        if (barrierNames.has(c.callee)) add(name, c.callee === 'srcu_barrier' ? { barrier: c.callee, ssp: resourceIdentity(c.args[0] ?? '') } : { barrier: c.callee });
      }
    }
  }
  // Functions init or exit hand over by address (a rollback table run at exit, as
  // module_subinit()-style helpers do): their barriers may run at exit, out of the path's sight.
  const entryFns = [exit.name, ...facts.moduleEntries.filter((e) => e.kind === 'init').map((e) => e.fn)];
  const handed = new Set(facts.functions.filter((f) => entryFns.includes(f.name)).flatMap((f) => f.refs));
  for (const name of handed) {
    const f = local.get(name);
    const b = f?.calls.find((c) => barrierNames.has(c.callee));
    if (b) out.push({ call: b, via: [exit.name, name], barrier: b.callee, pos: calls.length, ...(b.callee === 'srcu_barrier' ? { ssp: resourceIdentity(b.args[0] ?? '') } : {}) });
  }
  calls.forEach((pc, pos) => {
    const c = pc.call;
    if (pc.crossFile) return;
    const field = /(?:->|\.)\s*(\w+)\)?$/.exec(c.callee)?.[1];
    if (field && viaField.has(field)) {
      for (const v of viaField.get(field)!) out.push({ call: c, via: [...pc.via, c.callee], ...v, pos });
      return;
    }
    if (barrierNames.has(c.callee)) {
      const b: Barrier = { call: c, via: [...pc.via], barrier: c.callee, pos };
      if (c.callee === 'srcu_barrier') b.ssp = resourceIdentity(c.args[0] ?? '');
      out.push(b);
      return;
    }
    if (NOT_A_BARRIER.has(c.callee)) return;
    const r = remoteBarrier(c.callee);
    if (r) {
      const [name, ssp] = r.split(':');
      const b: Barrier = { call: c, via: [...pc.via, c.callee], barrier: name!, pos };
      if (ssp) b.ssp = ssp;
      out.push(b);
    }
  });
  return out;
}

/** Does a barrier in `bs` cover callbacks of this flavour (and srcu_struct)? */
export function covers(bs: Barrier[], fl: RcuFlavour, ssp: string | undefined, sspCount: number): Barrier | undefined {
  return bs.find((b) => {
    if (!fl.barrier.includes(b.barrier)) return false;
    if (!fl.perStruct || !b.ssp || b.ssp === ssp) return true;
    // In a helper the argument may be the helper's own parameter: with one srcu_struct in the
    // module it can only be that one.
    return sspCount === 1 && b.via.length > 1;
  });
}

export interface DestroyBeforeBarrier {
  destroy: PathCall;
  cache: string;
  barrier: PathCall;
  /** Module callbacks run after a grace period that free into the cache. */
  callbacks: string[];
}

/**
 * kmem_cache_destroy() on the exit path before its first rcu_barrier(), while RCU callbacks of
 * this module (call_rcu() callbacks, ->free_inode) free into that cache.
 */
export function destroyBeforeBarrier(facts: FileFacts, exit: FunctionFacts, index: IndexQuery, path: PathCall[]): DestroyBeforeBarrier[] {
  const cbs = [...new Set([...moduleRcuCallbacks(facts).filter((c) => c.flavour.barrier.includes('rcu_barrier')).map((c) => c.cb), ...inodeRcuCallbacks(facts).map((c) => c.cb)])];
  if (!cbs.length) return [];
  const barriers = exitBarriers(facts, exit, index, path).filter((b) => b.barrier === 'rcu_barrier');
  if (!barriers.length) return [];
  const first = Math.min(...barriers.map((b) => b.pos));
  const freed = new Map(cbs.map((cb) => [cb, cachesFreedBy(facts, cb)]));
  const out: DestroyBeforeBarrier[] = [];
  path.forEach((p, pos) => {
    if (p.call.callee !== 'kmem_cache_destroy' || pos > first || p.onFailure) return;
    const cache = resourceIdentity(p.call.args[0] ?? '');
    const callbacks = cbs.filter((cb) => freed.get(cb)!.some((c) => c === cache || lastMember(c) === lastMember(cache)));
    if (callbacks.length) out.push({ destroy: p, cache, barrier: path[first]!, callbacks });
  });
  return out;
}

const lastMember = (x: string): string => x.split(/->|\./).pop() ?? x;
