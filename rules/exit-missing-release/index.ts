// exit-missing-release: what module_init keeps must be given back by module_exit, and in an
// order that does not free something still in use. A registration left behind after rmmod keeps
// pointers into freed module text (ops, callbacks, a thread); an object destroyed before the
// thing that uses it is unregistered is a use after free in the window between the two.
import { functionsByName } from '../../src/c/functions.js';
import { createRule } from '../../src/engine/rule.js';
import { meta } from './meta.js';
import { callsWithContext, declaresLicense, disabledLines, driverCallbacks, moduleEntryPoints, pathLines, type DriverCallbacks, type PathCall } from '../../src/engine/kernel/lifecycle.js';
import { destroyBeforeBarrier } from '../../src/engine/kernel/rcu.js';
import { declaredNames } from '../../src/c/functions.js';
import { destroyedInUse, exitPath, keptByInit, registersCallbacks, unreleased, usedAfterRelease, type Kept } from '../../src/engine/kernel/teardown.js';
import { initScope } from '../../src/engine/kernel/unwind.js';
import type { RawFinding, RuleContext } from '../../src/engine/types.js';
import type { CallSite, FileFacts, FunctionFacts } from '../../src/c/types.js';
import { callIdentity, resourceIdentity } from '../../src/c/lex.js';
import { statusFailureTest } from '../../src/c/cond.js';
import { acquireNamesFor, allocatorReleases, moduleBook, releaseByName } from '../../src/engine/kernel/pairs.js';
import { isManaged, isRelease, managedByAllocator, RESOURCE_PAIRS } from '../../src/engine/kernel/resources.js';
import { fix } from './fix.js';
import { discardedLookupRefs } from '../../src/engine/kernel/lookups.js';
import type { PairBook } from '../../src/engine/kernel/pairs.js';
import { introducedInversions } from './order.js';

const where = (p: PathCall): string => (p.via.length > 1 ? `${p.fn}() (called from ${p.via.slice(0, -1).join('() -> ')}())` : `${p.fn}()`);
const label = (k: Kept): string => `${k.at.call.callee}(${k.ids[0] ?? k.at.call.args.join(', ')})`;
/** The file says the module is meant to stay loaded ("no module_exit, intentional", "can not be unloaded"). */
const saysPermanent = (source: string): boolean => {
  // Each place the phrase starts, then whether a comment opener stands before it on its line
  // (one regex with `[^\n]*` between the two was tried from every opener to the end of its line).
  const phrase = /no\s+(?:module_)?exit|exit\s+(?:routine|function)\s+not\s+defined|can\s*not\s+be\s+(?:unloaded|removed)|cannot\s+be\s+(?:unloaded|removed)|never\s+(?:be\s+)?unload/gi;
  let pos = 0;
  let opener = false;
  for (let m = phrase.exec(source); m; m = phrase.exec(source)) {
    for (; pos < m.index; pos++) {
      const c = source[pos];
      if (c === '\n') opener = false;
      else if (c === '/' && (source[pos + 1] === '*' || source[pos + 1] === '/')) opener = true;
    }
    if (opener) return true;
    phrase.lastIndex = m.index + 1;
  }
  return false;
};

/**
 * A release the patch takes off the exit path while what it undoes is still there: something named
 * like its acquire is still called in the file (`iso_exit()` dropped, `iso_init()` still called),
 * or the object it releases is still used outside the exit path (`idr_destroy(&vduse_idr)` dropped,
 * `idr_alloc(&vduse_idr, ...)` still made). A release that moved elsewhere on the path, or whose
 * object went with it, is not reported.
 */
function droppedReleases(ctx: RuleContext, exitFn: FunctionFacts, format: (id: 'dropped' | 'droppedRemove', data: Record<string, string | number>) => string, probe?: FunctionFacts): RawFinding[] {
  const pre = ctx.before!;
  const preExit = functionsByName(pre.facts.functions).get(exitFn.name);
  if (!preExit || preExit.hasError || (!probe && !isExitCode(pre.facts, preExit))) return [];
  const book = moduleBook(ctx.facts, ctx.index);
  // The argument that names the resource: the table's position for the acquire this undoes (a
  // sysfs group, not the kobject it hangs on), else the first one that is not NULL.
  const argOf = (callee: string) => RESOURCE_PAIRS.find((r) => r.release.includes(callee) && r.kind === 'status')?.arg ?? -1;
  const idOf = (c: CallSite) => resourceIdentity((argOf(c.callee) >= 0 ? c.args[argOf(c.callee)] : c.args.find((a) => !/^(NULL|0)$/.test(a.trim()))) ?? '');
  const keyOf = callIdentity;
  const preAll = exitPath(pre.facts, preExit, ctx.index);
  const prePath = preAll.filter((p) => !p.crossFile);
  const postPath = exitPath(ctx.facts, exitFn, ctx.index);
  const postKeys = new Set(postPath.map((p) => keyOf(p.call)));
  // A replacement is a release the pre-image's path did not make: a teardown helper of the same
  // object that was there all along (`i82875p_remove_one(mci_pdev)`) replaces nothing.
  const preKeys = new Set(preAll.map((p) => keyOf(p.call)));
  const postIds = new Set(postPath.filter((p) => !preKeys.has(keyOf(p.call)) && (book.isRelease(p.call.callee) || releaseByName(p.call.callee))).map((p) => idOf(p.call)).filter(Boolean));
  const exitNames = new Set([exitFn.name, ...postPath.map((p) => p.fn)]);
  const elsewhere = ctx.facts.functions.filter((f) => !exitNames.has(f.name));
  // (for a remove callback, only what its probe path acquires: a resume callback that turns the
  // clock back on is no acquire remove must undo, and after a devm_ conversion it is all that is left)
  const acquirers = probe ? probePath(ctx.facts, probe, exitNames) : elsewhere;
  const calledElsewhere = new Set(acquirers.flatMap((f) => f.calls.map((c) => c.callee)));
  const referenced = new Set([...ctx.facts.functions.flatMap((f) => f.refs), ...ctx.facts.globalRefs.map((r) => r.name)]);
  // ... and what those call in this file (unregister_ext() -> unregister_as_ext3()), a few levels.
  const byName = functionsByName(ctx.facts.functions);
  const reach = new Set([...referenced].filter((n) => byName.has(n)));
  for (let depth = 0; depth < 3; depth++) for (const n of [...reach]) for (const c of byName.get(n)!.calls) if (byName.has(c.callee)) reach.add(c.callee);
  const byPointer = [...reach].map((n) => byName.get(n)!);
  // ... counting only calls the patch adds there: a callback that made the same call all along
  // (an ib_client's remove() deleting each controller) is not where exit's call went.
  const preByName = functionsByName(pre.facts.functions);
  const countIn = (fns: (FunctionFacts | undefined)[], key: string) => fns.reduce((n, f) => n + (f?.calls.filter((x) => keyOf(x) === key).length ?? 0), 0);
  const movedToPointer = (key: string) => countIn(byPointer, key) > countIn(byPointer.map((f) => preByName.get(f.name)), key);
  // Init's own failure paths make the very call (`err_release_inode_hash:
  // ksmbd_release_inode_hash();`): what init undoes when a later step fails is held when it
  // succeeds, so exit must undo it too, whatever it is called.
  const onUnwind = new Map<string, number>();
  for (const fn of probe ? [probe] : initScope(ctx.facts)) for (const { call, onFailure } of callsWithContext(fn)) if (onFailure && !onUnwind.has(keyOf(call))) onUnwind.set(keyOf(call), call.line);
  const out: RawFinding[] = [];
  const seen = new Set<string>();
  for (const p of prePath) {
    const c = p.call;
    const id = idOf(c);
    const key = keyOf(c);
    if (seen.has(key) || postKeys.has(key) || !(book.isRelease(c.callee) || releaseByName(c.callee))) continue;
    seen.add(key);
    // Replaced by another release of the same object (unregister -> unregister_and_put).
    if (id && postIds.has(id)) continue;
    // Moved into a function the module hands over by address (a rollback table, an ops
    // callback): it may well run at exit, out of this analysis' sight.
    if (movedToPointer(key)) continue;
    // What undoes it is still done: in this file, or by another file of the same module (kbuild
    // links them into one object: net/bluetooth's iso.c calls iso_init() for af_bluetooth.c).
    const mod = ctx.index.moduleOf?.(ctx.path);
    const names = acquireNamesFor(c.callee);
    const acquirer =
      names.find((a) => calledElsewhere.has(a)) ??
      // (a variant of the acquire named by a suffix: v4l2_async_register_subdev_sensor() for
      // v4l2_async_unregister_subdev())
      [...calledElsewhere].find((n) => !isManaged(n) && names.some((a) => n.startsWith(`${a}_`))) ??
      [...calledElsewhere].find((n) => book.pairFor(n)?.release.includes(c.callee)) ??
      // An allocation still stored in the object (`s4985_adapter = kcalloc(...)` for `kfree(s4985_adapter)`).
      acquirers.flatMap((f) => f.calls).find((x) => x.assignedTo && resourceIdentity(x.assignedTo) === id && allocatorReleases(x.callee).includes(c.callee))?.callee ??
      (mod && !probe ? names.find((a) => ctx.index.callersOf(a).some((x) => x.file !== ctx.path && ctx.index.moduleOf?.(x.file) === mod)) : undefined);
    const base = /^[A-Za-z_]\w*/.exec(id)?.[0] ?? '';
    // (A managed acquire — devm_request_region() after the clean-up — is released by the driver core.)
    const objectStill = base && !preExit.params.includes(base) && elsewhere.some((f) => f.calls.some((x) => x.callee !== c.callee && !isManaged(x.callee) && x.args.some((a) => resourceIdentity(a) === id || resourceIdentity(a).startsWith(`${id}.`) || resourceIdentity(a).startsWith(`${id}->`))));
    const unwound = onUnwind.get(key);
    // A teardown helper of the module's own, called without arguments (`btrfs_cleanup_fs_uuids()`),
    // that still exists and still releases something: what it tears down is built at runtime.
    const helper = !c.args.length && !acquirer && !objectStill && unwound === undefined ? ownTeardown(ctx, c.callee) : undefined;
    // An object of another file of the module (`timer_shutdown_sync(&fscache_cookie_lru_timer)`,
    // the timer defined and armed in fscache_cookie.c): this patch does not take it away.
    const foreign = !helper && !acquirer && !objectStill && unwound === undefined && base && base === id && !declaredNames(preExit).has(base) && !definedHere(ctx.source, ctx.facts, base) && ctx.index.moduleOf?.(ctx.path) !== undefined;
    if (!acquirer && unwound === undefined && (probe || (!objectStill && !helper && !foreign))) continue;
    // (an input device from devm_input_allocate_device() is unregistered by the driver core)
    if (probe && acquirer && managedByAllocator(acquirer, acquirers.flatMap((f) => f.calls))) continue;
    out.push({
      key: `dropped:${key}`,
      line: exitFn.startLine,
      function: exitFn.name,
      message: format(probe ? 'droppedRemove' : 'dropped', { exit: exitFn.name, call: `${c.callee}(${c.args.join(', ')})`, was: c.line, still: acquirer ? `${acquirer}() is still called` : unwound !== undefined ? `${probe ? `${probe.name}()` : 'init'} still calls it on its failure path (line ${unwound}), so it is held when ${probe ? 'probe' : 'init'} succeeds` : helper ? `${c.callee}() (${helper}) still exists and nothing else on the exit path calls it` : foreign ? `${id} is defined outside this file and still exists` : `${id} is still used outside the exit path` }),
      evidence: [`before: ${p.fn}() called ${c.callee}(${c.args.join(', ')}) at line ${c.line}`, `after: the exit path of ${exitFn.name}() has no ${c.callee}(${id})`, acquirer ? `${acquirer}() is still called in ${ctx.path}` : unwound !== undefined ? `init calls ${c.callee}() on its failure path at line ${unwound}` : helper ? `${c.callee}() is defined in ${helper} and releases what it holds` : foreign ? `${id} is not defined in ${ctx.path}` : `${id} is still used in ${ctx.path}`],
      causes: Array.from({ length: exitFn.endLine - exitFn.startLine + 1 }, (_, i) => exitFn.startLine + i),
    });
  }
  return out;
}

export default createRule({
  ...meta,
  rationale:
    'module_exit runs right before the module text and data are freed. Anything init registered and exit does not unregister keeps pointers into the freed module (driver, notifier and ops callbacks, threads, sysfs/proc/debugfs files), and the next access oopses or the next load fails with -EBUSY/-EEXIST. Exit must also tear down in the reverse order of init: destroying a cache or workqueue before the driver, notifier or RCU callbacks that use it are gone is a use after free.',
  precedents: [
    { commit: 'f126fbadce92', subject: 'cpufreq: mediatek: Unregister platform device on exit' },
    { commit: 'a7e8de822e0b', subject: 'dax: make sure inodes are flushed before destroy cache' },
    { commit: '5422145d0b74', subject: 'dmaengine: ioatdma: Fix missing kmem_cache_destroy()' },
    { commit: 'd9ea58b5dc6b', subject: 'vdpa: Fix IDR memory leak in VDUSE module exit' },
  ],
  references: ['Documentation/RCU/rcubarrier.rst', 'include/linux/module.h', 'kernel/module/main.c'],
  messages: {
    missing:
      '{acquire} in {where} is kept when init succeeds, but {exit}() never calls {release}(): after rmmod it still {what} the unloaded module. Undo it in {exit}(), in reverse order of init.',
    local:
      '{acquire}() in {where} keeps its result only in the local variable \'{local}\', so {exit}() cannot {release}() it and it outlives the module. Keep it in a file-scope variable and release it in {exit}().',
    noExit:
      '{init}() registers {list} but the module has no module_exit(): it can never be unloaded (delete_module() refuses without an exit function). Add an exit function that undoes them, or say why the module must stay loaded.',
    exitDiscardedArg:
      '{what} at line {line} takes a reference and is handed straight to {into}(), which does not drop it: every unload ({exit}()) leaks it. Keep the result and call {release}() after {into}(), or use the helper that does both (debugfs_lookup_and_remove()).',
    exitRemovedNoInit:
      'The patch removes module_exit({exit}), which called {list}: the module has no init function, so it still unloads, and what that exit gave back is now left behind on every rmmod. Keep the exit function.',
    exitRemoved:
      'The patch removes module_exit({exit}) while {init}() still initialises the module: it can no longer be unloaded (delete_module() refuses without an exit function), and nothing undoes {list} any more. Keep an exit function, or say why the module must stay loaded.',
    rcuOrder:
      '{exit}() calls kmem_cache_destroy({cache}) before rcu_barrier(): RCU callbacks of this module ({cbs}) still pending at that point free into the destroyed cache. Call rcu_barrier() before kmem_cache_destroy().',
    inUse:
      '{exit}() calls {release}({id}) before {userRelease}({user}): until then the callbacks registered by {userAcquire}() may still use {id} (init created it first). Tear down in reverse order of init: {userRelease}() first.',
    useAfter: '{fn}() passes {id} to {use}() after {release}({id}) freed it (line {relLine}).',
    order:
      '{exit}() now calls {early}() before {late}(), though {init}() set up {earlyAcq}() first: what {lateAcq}() set up after it may still use it until {late}() runs. Keep the teardown in reverse order of init: {late}() first.',
    dropped:
      '{exit}() no longer calls {call} (it did at line {was} before this patch), but {still}: after rmmod that is left behind. Keep the call in {exit}().',
    unmanaged:
      '{fn}() now calls {acquire}() at line {line} where it called {managed}(), but nothing in this file calls {release}(): the driver core no longer undoes it, so every unbind of the device (and every failure later in probe) leaves it behind, pointing into freed driver data. Keep {managed}(), or call {release}() on remove and on the failure paths.',
    managedTwice:
      '{fn}() now calls {managed}() at line {line} where it called {acquire}(), but {where}() still calls {release}() by hand: the driver core calls it again when the device goes away, after remove has run, and releases the same thing twice (or out of order, while what remove tore down is still in use). Drop the explicit {release}(), or keep {acquire}().',
    removeEarly:
      '{fn}() returns early at line {line} and then skips {list}: the driver core unbinds the device and frees what probe allocated with devm_ whatever remove returns, so what those calls undo stays behind. Carry on with the teardown on that path (warn and skip only the hardware access).',
    droppedRemove:
      '{exit}() no longer calls {call} (it did at line {was} before this patch), but {still}: every unbind of the device (rmmod, sysfs unbind) leaves that behind. Keep the call in {exit}().',
  },
  fix,
  check(ctx, format) {
    const facts = ctx.facts;
    const ep = moduleEntryPoints(facts);
    const exitFn = ep.exit?.fn;
    const dropped = [...droppedFromExits(ctx, exitFn, format), ...reordered(ctx, format), ...lookupsDiscardedOnExit(ctx.facts, exitFn, moduleBookOnce(ctx), format)];
    if (facts.modular && !ep.inits.length && !ep.exit) return [...dropped, ...exitRemovedWithoutInit(ctx, format)];
    if (!facts.modular || !ep.inits.length) return dropped;
    const out: RawFinding[] = [...dropped];
    const initFns = new Set(initScope(facts).map((f) => f.name));
    const seen = new Set<string>();
    const disabled = disabledLines(ctx.source);
    const lineCount = ctx.source.split('\n').length;
    for (const { entry, fn: init } of ep.inits) {
      // `#ifdef MODULE module_init(x) #else device_initcall(x)`: one init function.
      if (init.hasError || seen.has(init.name)) continue;
      seen.add(init.name);
      const kept = keptByInit(facts, init, disabled);
      if (!ep.exit) {
        // Built-in-only code keeps module_init() without an exit: only a module (MODULE_LICENSE)
        // initialised by module_init() itself is one that users expect to unload.
        // (Any initcall of a file kbuild can build as a module becomes its module_init.)
        const modularInit = entry.macro === 'module_init' || ctx.index.buildKind?.(ctx.path) === 'module';
        if (!modularInit || ep.driverMacro || !declaresLicense(ctx.source) || saysPermanent(ctx.source)) continue;
        // kbuild can only build it in: no exit is needed, it never unloads.
        if (ctx.index.buildKind?.(ctx.path) === 'builtin') continue;
        // The patch deletes the module's exit: the module can no longer be unloaded at all, and
        // whatever the old exit undid is now undone by nobody (a regression whatever init keeps).
        const preExit = ctx.image === 'post' && ctx.before ? moduleEntryPoints(ctx.before.facts).exit : undefined;
        if (preExit && !preExit.entry.driver) {
          // (one book for the file, not one per callee: building it reads the whole file)
          const undone = preExit.fn ? releasesOfDeletedExit(ctx, preExit.fn, moduleBook(ctx.facts, ctx.index)) : [];
          out.push({
            key: 'exit-removed',
            line: entry.line,
            function: init.name,
            severity: 'warning',
            message: format('exitRemoved', { init: init.name, exit: preExit.entry.fn, list: undone.length ? callList(undone) : 'what init set up' }),
            evidence: [`before: module_exit(${preExit.entry.fn}) in ${ctx.path}`, `after: module_init(${init.name}) at line ${entry.line} and no module_exit()`],
            causes: [entry.line, ...Array.from({ length: Math.max(0, lineCount - init.endLine) }, (_, i) => init.endLine + 1 + i)],
          });
          continue;
        }
        const cbs = kept.filter((k) => registersCallbacks(k.pair.acquire));
        if (!cbs.length) continue;
        out.push({
          key: 'no-exit',
          line: entry.line,
          function: init.name,
          severity: 'note',
          message: format('noExit', { init: init.name, list: cbs.slice(0, 4).map(label).join(', ') + (cbs.length > 4 ? ', ...' : '') }),
          evidence: [`module_init(${init.name}) at line ${entry.line}, no module_exit() in ${ctx.path}`, ...cbs.map((k) => `${where(k.at)}: ${label(k)} at line ${k.at.call.line}`)],
          // The exit is missing from where it would stand (after init, by convention to the end
          // of the file): a patch that deletes it there causes this.
          causes: [entry.line, ...cbs.map((k) => k.at.call.line), ...Array.from({ length: Math.max(0, lineCount - init.endLine) }, (_, i) => init.endLine + 1 + i)],
        });
        continue;
      }
      // module_exit() names a function of another file, or a driver macro generates it.
      if (!exitFn || exitFn.hasError) continue;
      const path = exitPath(facts, exitFn, ctx.index);
      const exitLines = pathLines(facts, exitFn, path);
      for (const u of unreleased(kept, path)) {
        const k = u.kept;
        // A lookup's reference held in a local of init (`node = of_find_matching_node(...)`) is
        // to be put in init once used, not kept for exit: init-error-unwind reports it there.
        if (k.pair.lookup && lookupInLocal(facts, k)) continue;
        if (k.pair.unwindOnly) continue;
        const release = k.pair.release[0]!;
        const common = { acquire: label(k), where: where(k.at), exit: exitFn.name, release };
        const message =
          u.reason === 'local'
            ? format('local', { ...common, acquire: k.at.call.callee, local: k.local ?? '' })
            : format('missing', { ...common, what: k.pair.kind === 'handle' ? 'holds an object created for' : 'holds a registration that points into' });
        out.push({
          key: `${u.reason}:${k.at.call.callee}(${k.ids[0] ?? ''})`,
          line: k.at.call.line,
          function: k.at.fn,
          message,
          evidence: [
            `${where(k.at)}: ${k.at.call.callee}(${k.at.call.args.join(', ')}) at line ${k.at.call.line}, kept on success`,
            u.reason === 'local' ? `'${k.local}' is a local of ${k.at.fn}() and is not stored anywhere else` : `${exitFn.name}() (line ${exitFn.startLine}) and its helpers call no ${k.pair.release.join('/')}() for it`,
          ],
          causes: [k.at.call.line, ...exitLines],
        });
      }
      for (const m of destroyBeforeBarrier(facts, exitFn, ctx.index, path)) {
        out.push({
          key: `rcu-order:kmem_cache_destroy(${m.cache})`,
          line: m.destroy.call.line,
          function: exitFn.name,
          message: format('rcuOrder', { exit: exitFn.name, cache: m.cache, cbs: m.callbacks.map((c) => `${c}()`).join(', ') }),
          evidence: [
            `${where(m.destroy)}: kmem_cache_destroy(${m.cache}) at line ${m.destroy.call.line}`,
            `${where(m.barrier)}: ${m.barrier.call.callee}() at line ${m.barrier.call.line}, after it`,
            ...m.callbacks.map((cb) => `${cb}() runs after a grace period and calls kmem_cache_free(${m.cache}, ...)`),
          ],
          causes: [m.destroy.call.line, m.barrier.call.line],
        });
      }
      for (const m of destroyedInUse(facts, kept, path, initFns)) {
        const id = m.infra.ids[0]!;
        out.push({
          key: `in-use:${m.infraRel.rel.call.callee}(${id})`,
          line: m.infraRel.rel.call.line,
          function: exitFn.name,
          severity: 'warning',
          message: format('inUse', {
            exit: exitFn.name,
            release: m.infraRel.rel.call.callee,
            id,
            userRelease: m.userRel.rel.call.callee,
            user: m.user.ids[0] ?? '',
            userAcquire: m.user.at.call.callee,
          }),
          evidence: [
            `init: ${label(m.infra)} (line ${m.infra.at.call.line}) before ${label(m.user)} (line ${m.user.at.call.line})`,
            `exit: ${m.infraRel.rel.call.callee}() (line ${m.infraRel.rel.call.line}) before ${m.userRel.rel.call.callee}() (line ${m.userRel.rel.call.line})`,
          ],
          causes: [m.infraRel.rel.call.line, m.userRel.rel.call.line],
        });
      }
      for (const u of usedAfterRelease(path)) {
        out.push({
          key: `use-after:${u.release.call.callee}(${u.id})>${u.use.call.callee}`,
          line: u.use.call.line,
          function: u.use.fn,
          message: format('useAfter', { fn: u.use.fn, id: u.id, use: u.use.call.callee, release: u.release.call.callee, relLine: u.release.call.line }),
          evidence: [`${u.release.call.callee}(${u.id}) at line ${u.release.call.line}`, `${u.use.call.callee}(${u.use.call.args.join(', ')}) at line ${u.use.call.line}`],
          causes: [u.release.call.line, u.use.call.line],
        });
      }
    }
    // One finding per identity: a helper called twice on the path yields the same acquire twice.
    const keys = new Set<string>();
    return out.filter((f) => {
      const k = `${f.function ?? ''}\0${f.key}`;
      if (keys.has(k)) return false;
      keys.add(k);
      return true;
    });
  },
});

/**
 * Releases dropped from the module's exit code: the module_exit function and, in a file of a
 * module, every `__exit` function (fs/netfs/fscache_main.c's fscache_exit(), which netfs_exit()
 * calls from another file) not already on module_exit's path.
 */
function droppedFromExits(ctx: RuleContext, exitFn: FunctionFacts | undefined, format: (id: 'dropped' | 'droppedRemove' | 'unmanaged' | 'managedTwice' | 'removeEarly', data: Record<string, string | number>) => string): RawFinding[] {
  if (ctx.image !== 'post' || !ctx.before) return [];
  const fns: FunctionFacts[] = [];
  if (ctx.facts.modular && exitFn && !exitFn.hasError) fns.push(exitFn);
  if (ctx.facts.modular || ctx.index.buildKind?.(ctx.path) === 'module') {
    const onPath = new Set(exitFn && !exitFn.hasError ? exitPath(ctx.facts, exitFn, ctx.index).map((p) => p.fn) : []);
    for (const f of ctx.facts.functions) if (f.section === 'exit' && !f.hasError && f !== exitFn && !onPath.has(f.name)) fns.push(f);
  }
  const exits = fns.flatMap((f) => droppedReleases(ctx, f, format));
  // A driver's remove callback is the exit of what its probe set up: a release it stops making
  // is left behind on every unbind (rmmod, sysfs unbind), the "add missing X in remove()" fixes.
  const removes = removeCallbacks(ctx.facts).filter((r) => !fns.includes(r.remove));
  return [...exits, ...removes.flatMap((r) => droppedReleases(ctx, r.remove, format, r.probe)), ...unmanagedNow(ctx, format), ...earlyRemoveReturns(ctx, format)];
}

/** The probe and the same-file functions it calls, a few levels deep (not the remove path's). */
function probePath(facts: FileFacts, probe: FunctionFacts, skip: ReadonlySet<string>): FunctionFacts[] {
  const byName = functionsByName(facts.functions);
  const out = [probe];
  for (let i = 0; i < out.length && out.length < 24; i++)
    for (const c of out[i]!.calls) {
      const f = byName.get(c.callee);
      if (f && !f.hasError && !skip.has(f.name) && !out.includes(f)) out.push(f);
    }
  return out;
}

/**
 * A probe path that the patch turns from a managed acquire to its plain form (`devm_iio_device_register()`
 * -> `iio_device_register()`) while nothing in the file calls the plain form's release: the driver
 * core no longer undoes it, so every unbind (and every later failure of probe) leaves it behind.
 * What "use devm_X() to fix the missing X_unregister() on remove" fixes undo.
 */
function unmanagedNow(ctx: RuleContext, format: (id: 'unmanaged' | 'managedTwice', data: Record<string, string | number>) => string): RawFinding[] {
  if (ctx.image !== 'post' || !ctx.before) return [];
  const preByName = functionsByName(ctx.before.facts.functions);
  const fileCalls = new Set(ctx.facts.functions.flatMap((f) => f.calls.map((c) => c.callee)));
  const count = (fn: FunctionFacts, callee: string) => fn.calls.filter((c) => c.callee === callee).length;
  const out: RawFinding[] = [];
  let book: PairBook | undefined;
  let preBook: PairBook | undefined;
  for (const probe of new Set(driverCallbacks(ctx.facts).map((d) => d.probe))) {
    if (probe.hasError) continue;
    const pre = preByName.get(probe.name);
    if (!pre || pre.hasError) continue;
    // The other way round: a plain acquire turned managed while remove (or a failure path) still
    // releases it by hand: the driver core releases it a second time after remove returns
    // (iio_device_register() -> devm_iio_device_register() with iio_device_unregister() in remove).
    for (const c of probe.calls) {
      if (!c.callee.startsWith('devm_')) continue;
      const plain = c.callee.slice('devm_'.length);
      if (count(pre, plain) <= count(probe, plain) || count(probe, c.callee) <= count(pre, c.callee)) continue;
      // (the pre-image's book: the plain acquire may no longer be called anywhere in the file)
      preBook ??= moduleBook(ctx.before.facts, ctx.index);
      const pair = preBook.pairFor(plain);
      // (released by hand on the object the plain acquire named, not on another of its kind: a
      // driver with two interrupts converting one of them)
      const names = new Set(pre.calls.filter((x) => x.callee === plain).flatMap((x) => x.args.map(resourceIdentity)).filter((a) => a && !/^(&?\w+->dev|dev|NULL|0)$/.test(a)));
      const byHand = (x: CallSite) => (pair?.release ?? []).includes(x.callee) && x.args.some((a) => names.has(resourceIdentity(a)));
      const where = ctx.facts.functions.find((f) => f.calls.some(byHand));
      if (!where) continue;
      const release = [where.calls.find(byHand)!.callee];
      out.push({
        key: `managed:${plain}`,
        line: c.line,
        function: probe.name,
        message: format('managedTwice', { fn: probe.name, acquire: plain, managed: c.callee, line: c.line, release: release[0]!, where: where.name }),
        evidence: [`before: ${probe.name}() called ${plain}()`, `after: ${probe.name}() calls ${c.callee}() at line ${c.line}`, `${where.name}() still calls ${release[0]}()`],
      });
    }
    for (const c of probe.calls) {
      const managed = `devm_${c.callee}`;
      if (isManaged(c.callee) || count(pre, managed) <= count(probe, managed) || count(probe, c.callee) <= count(pre, c.callee)) continue;
      book ??= moduleBook(ctx.facts, ctx.index);
      const release = book.pairFor(c.callee)?.release ?? [];
      if (!release.length || release.some((r) => fileCalls.has(r))) continue;
      out.push({
        key: `unmanaged:${c.callee}`,
        line: c.line,
        function: probe.name,
        message: format('unmanaged', { fn: probe.name, acquire: c.callee, managed, line: c.line, release: release[0]! }),
        evidence: [`before: ${probe.name}() called ${managed}()`, `after: ${probe.name}() calls ${c.callee}() at line ${c.line}`, `nothing in ${ctx.path} calls ${release.map((r) => `${r}()`).join(' or ')}`],
      });
    }
  }
  return out;
}

/**
 * A remove callback that returns early on a failure (`if (ret < 0) return ret;` after a resume
 * that failed) and so skips the releases after it: the driver core unbinds the device whatever
 * remove returns (which is why remove callbacks now return void), so what those releases undo
 * stays behind, pointing into freed driver data (spi-imx's "Don't skip cleanup in remove's error
 * path", reversed). Releases are those the pairs book or the name says undo something.
 */
function earlyRemoveReturns(ctx: RuleContext, format: (id: 'removeEarly', data: Record<string, string | number>) => string): RawFinding[] {
  if (ctx.image !== 'post' || !ctx.before) return [];
  const out: RawFinding[] = [];
  let book: PairBook | undefined;
  for (const { remove } of removeCallbacks(ctx.facts)) {
    const body = remove.body;
    for (let i = 0; i < body.length; i++) {
      const st = body[i]!;
      // (a status's failure only: `if (!priv) return;` finds nothing set up to tear down)
      if (st.k !== 'if' || st.else || !statusFailureTest(st.cond)) continue;
      const last = st.then[st.then.length - 1];
      const leaves = last?.k === 'return' || (last?.k === 'block' && last.body[last.body.length - 1]?.k === 'return');
      if (!leaves) continue;
      book ??= moduleBook(ctx.facts, ctx.index);
      const skipped = body.slice(i + 1).flatMap((x) => ('calls' in x ? x.calls : [])).filter((c) => !isManaged(c.callee) && (book!.isRelease(c.callee) || releaseByName(c.callee)));
      if (!skipped.length) continue;
      const names = [...new Set(skipped.map((c) => c.callee))];
      out.push({
        key: `removeearly:${st.cond.replace(/\s+/g, '')}|${names.join(',')}`,
        line: st.line,
        function: remove.name,
        message: format('removeEarly', { fn: remove.name, line: st.line, list: names.slice(0, 4).map((n) => `${n}()`).join(', ') + (names.length > 4 ? ', ...' : '') }),
        evidence: [`${remove.name}() leaves at line ${st.line} when \`${st.cond.trim()}\` holds`, `after it: ${skipped.map((c) => `${c.callee}() at line ${c.line}`).join(', ')}`],
      });
    }
  }
  return out;
}

/** Remove callbacks (once each) with the probe of their driver structure, neither unparsed. */
function removeCallbacks(facts: FileFacts): Required<DriverCallbacks>[] {
  return driverCallbacks(facts)
    .filter((d): d is Required<DriverCallbacks> => !!d.remove && !d.remove.hasError && !d.probe.hasError)
    .filter((d, i, all) => all.findIndex((x) => x.remove === d.remove) === i);
}

/** The file's pairs book, built only when asked for (it reads the whole file). */
function moduleBookOnce(ctx: RuleContext): () => PairBook {
  let book: PairBook | undefined;
  return () => (book ??= moduleBook(ctx.facts, ctx.index));
}

/** Teardown by its name (`snic_trc_debugfs_term()`, called from another file's module_exit). */
const TEARDOWN_NAME = /_(exit|fini|cleanup|term|deinit|uninit|teardown|unregister|remove|destroy|shutdown)$/;

/**
 * A lookup's reference thrown away on the way out: `debugfs_remove(debugfs_lookup(name, root))`
 * in the exit, a helper it calls or a function named as teardown removes the file and never
 * drops the dentry the lookup took, on every unload (the "fix memory leak with using
 * debugfs_lookup()" series).
 */
function lookupsDiscardedOnExit(facts: FileFacts, exitFn: FunctionFacts | undefined, bookOf: () => PairBook, format: (id: 'exitDiscardedArg', data: Record<string, string | number>) => string): RawFinding[] {
  // (cheap first: only a call with a call for an argument can hand a lookup straight on)
  if (!facts.functions.some((f) => f.calls.some((c) => c.args.some((a) => /^\s*\w+\s*\(/.test(a))))) return [];
  const byName = functionsByName(facts.functions);
  const fns: FunctionFacts[] = [...(exitFn && !exitFn.hasError ? [exitFn] : []), ...facts.functions.filter((f) => f !== exitFn && !f.hasError && TEARDOWN_NAME.test(f.name))];
  for (let i = 0; i < fns.length && fns.length < 16; i++) {
    for (const c of fns[i]!.calls) {
      const f = byName.get(c.callee);
      if (f && !f.hasError && !fns.includes(f)) fns.push(f);
    }
  }
  const book = bookOf();
  return fns.flatMap((fn) =>
    discardedLookupRefs(fn, book)
      .filter((d) => d.into)
      .map((d) => ({
        key: `discarded:${callIdentity(d.call)}`,
        line: d.call.line,
        function: fn.name,
        message: format('exitDiscardedArg', { what: `${d.call.callee}(${d.call.args.join(', ')})`, line: d.call.line, into: d.into!, release: d.release, exit: exitFn?.name ?? fn.name }),
        evidence: [`${fn.name}()${fn === exitFn || !exitFn ? '' : ` (reached from ${exitFn.name}())`}: ${d.call.callee}() at line ${d.call.line} handed straight to ${d.into}()`, `${d.call.callee}() returns its object with a reference taken; ${d.release}() drops it`],
      })),
  );
}

/** The releases (by callee, once each) the pre-image's exit path made in this file: what a deleted exit no longer undoes. */
function releasesOfDeletedExit(ctx: RuleContext, preExit: FunctionFacts, book: PairBook): string[] {
  return [...new Set(exitPath(ctx.before!.facts, preExit, ctx.index).filter((p) => !p.crossFile).map((p) => p.call.callee).filter((c) => book.isRelease(c) || releaseByName(c)))];
}

/** `a(), b(), c(), d(), ...`: the first four. */
const callList = (callees: readonly string[]): string => callees.slice(0, 4).map((c) => `${c}()`).join(', ') + (callees.length > 4 ? ', ...' : '');

/**
 * A module with no init of its own (crypto/rng.c: the default RNG is made on first use) that
 * loses its exit: it still unloads, now with nothing giving back what the old exit released.
 */
function exitRemovedWithoutInit(ctx: RuleContext, format: (id: 'exitRemovedNoInit', data: Record<string, string | number>) => string): RawFinding[] {
  const preExit = ctx.image === 'post' && ctx.before ? moduleEntryPoints(ctx.before.facts).exit : undefined;
  if (!preExit?.fn || preExit.entry.driver || moduleEntryPoints(ctx.before!.facts).inits.length) return [];
  const undone = releasesOfDeletedExit(ctx, preExit.fn, moduleBook(ctx.before!.facts, ctx.index));
  if (!undone.length) return [];
  return [
    {
      key: 'exit-removed',
      // (where the exit stood)
      line: Math.min(preExit.fn.startLine, ctx.source.split('\n').length),
      severity: 'warning',
      message: format('exitRemovedNoInit', { exit: preExit.entry.fn, list: callList(undone) }),
      evidence: [`before: module_exit(${preExit.entry.fn}) in ${ctx.path}, calling ${undone.map((c) => `${c}()`).join(', ')}`, 'after: no module_init() and no module_exit()'],
    },
  ];
}

/** Teardown orders the patch turns around (order.ts). */
function reordered(ctx: RuleContext, format: (id: 'order', data: Record<string, string | number>) => string): RawFinding[] {
  if (ctx.image !== 'post' || !ctx.before) return [];
  return introducedInversions(ctx.before.facts, ctx.facts, (facts) => moduleBook(facts, ctx.index)).map((v) => ({
    key: `order:${callIdentity(v.early.release)}`,
    line: v.early.release.line,
    function: v.exit.name,
    severity: 'warning' as const,
    message: format('order', { exit: v.exit.name, init: v.init.name, early: v.early.release.callee, late: v.late.release.callee, earlyAcq: v.early.acquire.callee, lateAcq: v.late.acquire.callee }),
    evidence: [
      `${v.init.name}(): ${v.early.acquire.callee}() at line ${v.early.acquire.line}, then ${v.late.acquire.callee}() at line ${v.late.acquire.line}`,
      `${v.exit.name}(): ${v.early.release.callee}() at line ${v.early.release.line}, then ${v.late.release.callee}() at line ${v.late.release.line}`,
    ],
    causes: [v.early.release.line, v.late.release.line],
  }));
}

/** Is `fn` exit code of its file: the module_exit function or marked `__exit`? */
function isExitCode(facts: FileFacts, fn: FunctionFacts): boolean {
  return fn.section === 'exit' || moduleEntryPoints(facts).exit?.fn?.name === fn.name;
}

/**
 * Where a teardown helper of the module itself is defined (this file, or another file kbuild links
 * into the same module), when its body releases something; undefined for an API of the kernel.
 */
function ownTeardown(ctx: RuleContext, name: string): string | undefined {
  const releases = (fn: FunctionFacts) => fn.calls.some((c) => isRelease(c.callee) || releaseByName(c.callee));
  const here = functionsByName(ctx.facts.functions).get(name);
  if (here) return !here.hasError && releases(here) ? ctx.path : undefined;
  const mod = ctx.index.moduleOf?.(ctx.path);
  if (!mod) return undefined;
  for (const ref of ctx.index.functionsNamed(name)) {
    if (ref.isStatic || ref.file === ctx.path || ctx.index.moduleOf?.(ref.file) !== mod) continue;
    const fn = ctx.index.fileFacts(ref.file)?.functions.find((f) => f.name === name);
    if (fn && !fn.hasError && releases(fn)) return ref.file;
  }
  return undefined;
}

/** Is `name` declared at file scope in this file (not merely an `extern` for another file's object)? */
function definedHere(source: string, facts: FileFacts, name: string): boolean {
  const lines = source.split('\n');
  const inBody = new Uint8Array(lines.length + 2);
  for (const f of facts.functions) inBody.fill(1, f.startLine, f.endLine + 1);
  const word = new RegExp(`\\b${name}\\b`);
  return lines.some((text, i) => !inBody[i + 1] && word.test(text) && !/\bextern\b/.test(text));
}

function lookupInLocal(facts: FileFacts, k: Kept): boolean {
  const fn = functionsByName(facts.functions).get(k.at.fn);
  const v = resourceIdentity(k.at.call.assignedTo ?? '');
  return !!fn && /^[A-Za-z_]\w*$/.test(v) && declaredNames(fn).has(v);
}
