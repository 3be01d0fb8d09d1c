// exit-missing-rcu-barrier: a module that queues RCU callbacks living in its own text must wait
// for them in module_exit with rcu_barrier() (srcu_barrier() on the same srcu_struct for SRCU).
// Otherwise a callback queued just before rmmod runs after the module's text is freed.
// synchronize_rcu() is not a substitute: it waits for a grace period, not for queued callbacks
// to have been invoked (Documentation/RCU/rcubarrier.rst).
import { functionsByName } from '../../src/c/functions.js';
import { createRule } from '../../src/engine/rule.js';
import { meta } from './meta.js';
import { declaresLicense, exitReaching, moduleEntryPoints, pathCalls, pathLines } from '../../src/engine/kernel/lifecycle.js';
import { BARRIER_APIS, cachesFreedBy, covers, exitBarriers, inodeRcuCallbacks, moduleRcuCallbacks, NOT_A_BARRIER, RCU_FLAVOURS, type Barrier } from '../../src/engine/kernel/rcu.js';
import type { RawFinding, RuleContext } from '../../src/engine/types.js';
import type { CallSite, FunctionFacts } from '../../src/c/types.js';
import { callIdentity, resourceIdentity } from '../../src/c/lex.js';
import { fix } from './fix.js';

/** Barriers an exit path may run: the RCU flavours' barriers and the kernel APIs that barrier. */
const BARRIER_CALLS = new Set([...RCU_FLAVOURS.flatMap((f) => f.barrier), ...Object.keys(BARRIER_APIS)]);

function droppedBarriers(ctx: RuleContext, exitFn: FunctionFacts, format: (id: 'dropped', data: Record<string, string | number>) => string): RawFinding[] {
  const preExit = moduleEntryPoints(ctx.before!.facts).exit?.fn;
  if (!preExit || preExit.name !== exitFn.name || preExit.hasError) return [];
  const was = exitBarriers(ctx.before!.facts, preExit, ctx.index).filter((b) => BARRIER_CALLS.has(b.call.callee) || RCU_FLAVOURS.some((f) => f.barrier.includes(b.barrier)));
  if (!was.length) return [];
  const now = exitBarriers(ctx.facts, exitFn, ctx.index);
  // An explicit rcu_barrier()/srcu_barrier() the author wrote, gone, while only an API that
  // barriers on its own (unregister_pernet_subsys()) stays: that one waits only for callbacks
  // queued before it runs, and the explicit one usually guards what comes after it (a
  // kmem_cache_destroy(), the end of exit). A maintainer should be asked; a warning, not an error.
  const explicit = (b: Barrier) => RCU_FLAVOURS.some((f) => f.barrier.includes(b.call.callee));
  // Counted per function that makes the call: another rcu_barrier() elsewhere on the exit path
  // (xfs: one per subsystem teardown) does not stand in for the one taken out of this helper.
  const where = (b: Barrier) => `${b.via[b.via.length - 1] ?? ''}:${b.call.callee}`;
  const count = (bs: Barrier[], k: string) => bs.filter((x) => where(x) === k).length;
  const dropped = was.filter(explicit).filter((b) => count(now, where(b)) < count(was, where(b)) && !now.some((n) => n.call.callee === b.call.callee && !was.some((w) => where(w) === where(n))));
  if (now.length && !dropped.length) return [];
  const b = now.length ? dropped[0]! : was[0]!;
  const covering = now.find((n) => !explicit(n));
  return [
    {
      key: `dropped:${b.barrier}`,
      line: exitFn.startLine,
      function: exitFn.name,
      ...(covering ? { severity: 'warning' as const } : {}),
      message:
        format('dropped', { exit: `${exitFn.name}()`, barrier: `${b.barrier}()`, was: b.call.line }) +
        (covering ? ` (${covering.call.callee}() at line ${covering.call.line} runs ${covering.barrier}() itself, but only for callbacks queued before it.)` : ''),
      evidence: [`before: ${b.via.join('() -> ')}() called ${b.call.callee}() at line ${b.call.line}`, covering ? `after: the exit path of ${exitFn.name}() calls no ${b.call.callee}() of its own` : `after: the exit path of ${exitFn.name}() runs no RCU barrier`],
      // The barrier is missing from its function: a change anywhere in the exit function or in
      // the helper that made the call (destroy_inodecache()) may be what removed it.
      causes: b.via.flatMap((name) => linesOf(ctx.facts.functions.find((f) => f.name === name))),
    },
  ];
}

const linesOf = (fn: FunctionFacts | undefined): number[] => (fn ? Array.from({ length: fn.endLine - fn.startLine + 1 }, (_, i) => fn.startLine + i) : []);

const EXPLICIT = new Set(RCU_FLAVOURS.flatMap((f) => f.barrier));
const barrierKey = callIdentity;

/**
 * A barrier the patch takes out of a helper that some module's exit reaches from another file, or
 * from further down than the exit path is followed (fs/coda/inode.c's
 * coda_destroy_inodecache() runs `rcu_barrier(); kmem_cache_destroy(...)` for psdev.c's exit):
 * whoever wrote it knew of callbacks still pending at unload.
 */
function droppedHelperBarriers(ctx: RuleContext, skip: ReadonlySet<string>, format: (id: 'droppedHelper', data: Record<string, string | number>) => string): RawFinding[] {
  if (ctx.index.buildKind?.(ctx.path) === 'builtin') return [];
  const pre = functionsByName(ctx.before!.facts.functions);
  const out: RawFinding[] = [];
  for (const fn of ctx.facts.functions) {
    const was = pre.get(fn.name);
    if (!was || skip.has(fn.name)) continue;
    const count = (f: FunctionFacts, k: string) => f.calls.filter((c) => barrierKey(c) === k).length;
    const gone = was.calls.find((c) => EXPLICIT.has(c.callee) && count(fn, barrierKey(c)) < count(was, barrierKey(c)));
    if (!gone) continue;
    // Moved, not dropped: another barrier of the same kind now in the function.
    if (fn.calls.some((c) => c.callee === gone.callee && !was.calls.some((w) => barrierKey(w) === barrierKey(c)))) continue;
    const reach = exitReaching(ctx.index, ctx.path, fn, ctx.facts);
    if (!reach || ctx.index.buildKind?.(reach.file) === 'builtin') continue;
    const barrier = `${gone.callee}(${gone.args.join(', ')})`;
    out.push({
      key: `dropped:${gone.callee}`,
      line: fn.startLine,
      function: fn.name,
      message: format('droppedHelper', { fn: fn.name, barrier, was: gone.line, exit: reach.exit, file: reach.file }),
      evidence: [`before: ${fn.name}() called ${barrier} at line ${gone.line}`, `${reach.chain.join('() -> ')}() on module unload (${reach.file})`, `after: ${fn.name}() calls no ${gone.callee}()`],
      causes: Array.from({ length: fn.endLine - fn.startLine + 1 }, (_, i) => fn.startLine + i),
    });
  }
  return out;
}

export default createRule({
  ...meta,
  rationale:
    'call_rcu()/call_srcu() callbacks run after a grace period. If the module is unloaded in between, the callback runs from freed module text (or frees into a kmem_cache the exit just destroyed): an oops long after rmmod. Only rcu_barrier() (srcu_barrier() for SRCU) waits for callbacks already queued; synchronize_rcu() does not.',
  precedents: [{ commit: 'a7e8de822e0b', subject: 'dax: make sure inodes are flushed before destroy cache' }],
  references: ['Documentation/RCU/rcubarrier.rst', 'fs/inode.c', 'mm/slab_common.c'],
  messages: {
    droppedHelper:
      '{fn}() no longer calls {barrier} (it did at line {was} before this patch), and module unload reaches it from {exit}() ({file}): RCU callbacks still pending then run from freed module text or free into a destroyed cache. Keep the barrier.',
    dropped:
      '{exit} no longer calls {barrier} (it did at line {was} before this patch): RCU callbacks of the module still pending at rmmod (its own, or ones it queued through other files of the module) then run from freed module text or free into a destroyed cache. Keep the barrier before the module\'s memory goes away.',
    missing:
      '{call}(..., {cb}) in {fn}() queues a callback that lives in this module, but {exit} never calls {barrier}: a callback still pending at rmmod runs from freed module text{cache}. Call {barrier} in {exitName}() after the last {call}() can happen{sync}.',
    inode:
      '{ops}.free_inode = {cb}: the VFS calls it from an RCU callback (call_rcu() in fs/inode.c), but {exit} never calls rcu_barrier(): inodes evicted just before rmmod are freed through unloaded module text{cache}. Call rcu_barrier() in {exitName}() after unregister_filesystem(){sync}.',
  },
  fix,
  check(ctx, format) {
    const facts = ctx.facts;
    const ep = moduleEntryPoints(facts);
    // Without module_exit the module cannot be unloaded: its callbacks cannot outlive it.
    // Built-in-only code may keep a module_exit() that never runs; since the 6.x clean-ups only
    // modular code declares MODULE_LICENSE().
    if (!ep.exit || !declaresLicense(ctx.source)) {
      // A helper of another file's module_exit lost its barrier.
      return ctx.image === 'post' && ctx.before ? droppedHelperBarriers(ctx, new Set(), format) : [];
    }
    const exitFn = ep.exit.fn;
    // module_exit() names a function this file does not define: its path is elsewhere.
    if (!exitFn && !ep.exit.entry.driver) return [];
    if (exitFn?.hasError) return [];
    // A barrier the patch takes off the exit path: whoever wrote it knew of callbacks pending at
    // unload (often queued from other files of the module, out of this file's sight).
    const out0 = exitFn && ctx.image === 'post' && ctx.before ? droppedBarriers(ctx, exitFn, format) : [];
    // Helpers further down (or reached from another file's exit) that lost their barrier; those on
    // this exit's own path are droppedBarriers()'s.
    if (ctx.image === 'post' && ctx.before && !out0.length) {
      const onPath = new Set(exitFn ? [exitFn.name, ...pathCalls(facts, exitFn, { depth: 2 }).flatMap((p) => p.via)] : []);
      out0.push(...droppedHelperBarriers(ctx, onPath, format));
    }
    const cbs = moduleRcuCallbacks(facts);
    const inodes = inodeRcuCallbacks(facts);
    if (!cbs.length && !inodes.length) return out0;
    // A module_*_driver() macro's exit only unregisters the driver: no barrier.
    const path = exitFn ? pathCalls(facts, exitFn, { depth: 2 }) : [];
    const barriers: Barrier[] = exitFn ? exitBarriers(facts, exitFn, ctx.index, path) : [];
    const exitName = exitFn?.name ?? ep.exit.entry.fn;
    const exit = exitFn ? `${exitFn.name}()` : `the exit that ${ep.exit.entry.macro}(${ep.exit.entry.driver}) generates`;
    const exitLines = exitFn ? pathLines(facts, exitFn, path) : [ep.exit.entry.line];
    const syncs = path.filter((p) => NOT_A_BARRIER.has(p.call.callee) && p.call.callee.startsWith('synchronize_'));
    const sync = syncs.length ? ` (${syncs[0]!.call.callee}() at line ${syncs[0]!.call.line} is not a substitute)` : '';
    const destroyed = new Set(path.filter((p) => p.call.callee === 'kmem_cache_destroy').map((p) => (p.call.args[0] ?? '').replace(/\s+/g, '')));
    const cacheNote = (cb: string): string => {
      const c = cachesFreedBy(facts, cb).find((x) => destroyed.has(x));
      return c ? `, and it frees into ${c}, which ${exitName}() destroys` : '';
    };
    const exitEvidence = barriers.length
      ? `${exitName}() path barriers: ${barriers.map((b) => `${b.barrier}${b.ssp ? `(${b.ssp})` : '()'} via ${b.via.join(' -> ')}`).join('; ')}`
      : `${exitName}() and the helpers it calls (two levels in this file, one level elsewhere) call no rcu_barrier()/srcu_barrier()`;
    const sspCount = new Set(cbs.filter((c) => c.ssp).map((c) => c.ssp)).size;
    const out: RawFinding[] = [...out0];
    const seen = new Set<string>();
    for (const c of cbs) {
      const key = `${c.flavour.call}:${c.ssp ? `${c.ssp}:` : ''}${c.cb}`;
      if (seen.has(key) || covers(barriers, c.flavour, c.ssp, sspCount)) continue;
      seen.add(key);
      const barrier = c.flavour.perStruct ? `srcu_barrier(${c.ssp?.startsWith('&') ? c.ssp : `&${c.ssp}`})` : `${c.flavour.barrier[0]}()`;
      out.push({
        key,
        line: c.site.line,
        function: c.caller,
        message: format('missing', { call: c.flavour.call, cb: c.cb, fn: c.caller, exit, barrier, exitName, cache: cacheNote(c.cb), sync }),
        evidence: [`${c.caller}(): ${c.flavour.call}(${c.site.args.join(', ')}) at line ${c.site.line}; ${c.cb}() is defined in ${ctx.path}`, exitEvidence],
        causes: [c.site.line, ...exitLines],
      });
    }
    const rcu = RCU_FLAVOURS[0]!;
    for (const i of inodes) {
      const key = `free_inode:${i.cb}`;
      if (seen.has(key) || covers(barriers, rcu, undefined, 0)) continue;
      seen.add(key);
      out.push({
        key,
        line: i.line,
        function: i.cb,
        message: format('inode', { ops: i.ops, cb: i.cb, exit, exitName, cache: cacheNote(i.cb), sync }),
        evidence: [`${i.ops}.free_inode = ${i.cb} (line ${i.line}): fs/inode.c destroy_inode() -> call_rcu(&inode->i_rcu, i_callback) -> ->free_inode`, exitEvidence],
        causes: [i.line, ...exitLines],
      });
    }
    return out;
  },
});
