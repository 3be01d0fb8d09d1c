// init-error-unwind: an init function's failure path must release what was acquired before it,
// in reverse order. A leaked registration outlives the module: the kernel later calls into
// unloaded text (driver core, notifier chains), or the next load fails with -EBUSY.
import { flatten } from '../../src/c/walk.js';
import { createRule } from '../../src/engine/rule.js';
import { meta } from './meta.js';
import { analyseUnwind, initScope, prepareUnwind, type Leak } from '../../src/engine/kernel/unwind.js';
import { fallibility, moduleBook, releaseByName } from '../../src/engine/kernel/pairs.js';
import type { RawFinding } from '../../src/engine/types.js';
import type { CallSite, FunctionFacts } from '../../src/c/types.js';
import { callIdentity, functionText, resourceIdentity } from '../../src/c/lex.js';
import { droppedUnwindReleases } from './dropped.js';
import { usesAfterFree } from './freed.js';
import { discardedLookupRefs } from '../../src/engine/kernel/lookups.js';
import { reallocOverOwnPointer } from './realloc-self.js';
import { wrongFailureTests } from './wrong-test.js';
import { pmGetSyncLeaks } from './pm-get-sync.js';
import { offByOneUnwinds } from './unwind-loop.js';
import { fix } from './fix.js';

/** What a failed call was about, for telling failure sites apart (`kmalloc(dasd_vol_info_req)`). */
const failedId = (c: CallSite) => resourceIdentity(c.assignedTo && !/^(ret|err|error|rc|r|rv|retval|status|result|res)$/.test(c.assignedTo) ? c.assignedTo : (c.args[0] ?? ''));

/**
 * The key of a leak (`leak:kzalloc(x)|...`), and its aliases (see `aliases` on RawFinding): for a
 * jump, the failed step; the object the failed step was about (a patch that only changes its
 * allocator, `kcalloc()` -> `devm_kcalloc()` for the same buffer, adds no leak); and the held
 * resource by its object alone, so an API conversion that renames the acquire
 * (irq_domain_add_linear() -> irq_domain_create_linear()) keeps the leak it had.
 */
function leakIdentity(l: Leak, kind: string, callee: string, id: string): { key: string; aliases?: string[] } {
  const held = `${kind}:${callee}(${id})`;
  const exit = l.overwritten ? 'overwritten' : l.failed ? `${l.failed.callee}(${failedId(l.failed)})` : 'return';
  const byStep = `${held}|${exit}`;
  const jump = !l.overwritten && !l.success && l.exitKind === 'goto' && !!l.label;
  const aliases = [
    ...(jump ? [byStep] : []),
    ...(!l.overwritten && l.failed && failedId(l.failed) ? [`${held}|object ${failedId(l.failed)}`] : []),
    ...(id ? [`${kind}:(${id})|${jump ? `goto ${l.label}` : exit}`] : []),
  ];
  const key = jump ? `${held}|goto ${l.label}` : byStep;
  return aliases.length ? { key, aliases } : { key };
}

/** Names of set-up code outside init: a subsystem's or a device's (probe-time) initialisation. */
const SETUP_NAME = /(_init|_init_one|^init_one|_init_common|_probe|_bind|_setup|_attach)$/;

export default createRule({
  ...meta,
  rationale:
    'When module init fails the module is freed at once. Anything registered before the failure and not unregistered on the error path keeps pointers into freed module memory (ops, callbacks, driver structs) or holds a name/number, so later use oopses or the next load fails.',
  precedents: [
    { commit: 'd349e9be5a2c', subject: 'net: ena: Fix error handling in ena_init()' },
    { commit: '2f05c19d9ef4', subject: 'cpufreq: mediatek: add missing platform_driver_unregister() on error in mtk_cpufreq_driver_init' },
    { commit: 'f2e66f212a9d', subject: 'drm: panel: simple: add missing platform_driver_unregister() in panel_simple_init' },
  ],
  messages: {
    leakReturn: '{what} at line {acqLine} is not undone when {failed} fails: the return at line {exit} leaves it {state}. Call {release}() on this path.',
    leakGoto: '{what} at line {acqLine} is not undone when {failed} fails: "goto {label}" at line {exit} reaches the return at line {ret} without {release}().',
    misorder: '"goto {label}" at line {exit} ({failed} failed) runs {release}() for something acquired only later ({acquire}() at line {acqLine}); the unwind ladder is out of order.',
    failedStep: '"goto {label}" at line {exit} ({failed} failed) runs {release}(), undoing the very step that just failed; the label is one rung too high and what was acquired before it may stay held.',
    residue: '{what} failed at line {acqLine}, but the failed call still holds a reference: the return at line {exit} leaves it without {release}(), as its kernel-doc asks.',
    dropped: '{fn}() no longer calls {call} on its failure path (it did at line {was} before this patch), but {exit}() still does: what it undoes is held when init succeeds, so a failure after it now returns with it held. Keep the call on the unwind path.',
    zeroReturn: '"goto {label}" at line {exit} ({failed} failed) undoes what came before ({release}() at line {relLine}) and returns {variable} at line {ret}, which holds no error code on this path (0 from an earlier check): the function reports success though it failed and tore itself down. Set {variable} to an error code before the jump.',
    zeroReturnFailed: '{how} handles the failure of {failed} but returns {variable} at line {ret}, which holds no error code on this path (an earlier check left it 0 or positive): the function reports success though it failed, and init carries on as if it had worked. Set {variable} to an error code (-ENOMEM) before leaving.',
    lookupOverwritten: '{what} at line {acqLine} takes a reference on {id}, and line {exit} assigns {id} something else before it is put: that reference can never be dropped. Call {release}() before reusing {id}.',
    lookupRef: '{what} at line {acqLine} takes a reference on {id} that is never dropped: the return at line {ret} leaves it held and nothing can put it afterwards. Call {release}() once done with it.',
    inherited: '{what} is released on the failure path at line {relLine}, but not when {failed} fails: the return at line {exit} leaves it registered. Call {release}() on this path too.',
    offByOne: 'The unwind loop at line {line} counts {v} down from where it stands: its first turn runs {release}() on element [{v}], the step that just failed (never set up){missed}. Start one lower (`while (--{v} >= 0)`, or index [{v} - 1]).',
    discarded: '{what} at line {acqLine} takes a reference that nothing keeps: its result is only tested, so {release}() can never be called for it. Keep the result and call {release}() when done.',
    discardedArg: '{what} at line {acqLine} takes a reference and is handed straight to {into}(), which neither keeps nor drops it: nothing is left to call {release}() with. Keep the result in a variable and call {release}() after {into}().',
    wrongTestNull: 'Line {line} tests {id} for NULL, but {callee}() returns an ERR_PTR() on failure and never NULL: the failure passes the test and the code goes on with an error pointer, which oopses at its first use. Test it with IS_ERR() and return PTR_ERR().',
    wrongTestErr: 'Line {line} tests {id} with IS_ERR(), but {callee}() returns NULL on failure and never an error pointer: the failure passes the test and the code goes on with NULL. Test it for NULL and return an error code (-ENOMEM).',
    pmGetSync: 'pm_runtime_get_sync({dev}) at line {line} raises the usage count even when the resume fails, but its failure path (leaving at line {exit}) does not drop it: the device can never runtime-suspend again. Call pm_runtime_put_noidle({dev}) on that path, or use pm_runtime_resume_and_get(), which does.',
    reallocSelf: '{id} = {callee}({id}, ...) at line {line}: when {callee}() fails it returns NULL and leaves the old buffer allocated, and this assignment overwrites the only pointer to it, so no failure path can free it. Assign the result to a temporary, free {id} when it is NULL, and only then store it.',
    freed: '{object} is freed by {free}() at line {freeLine} and read again at line {use}: the failure path uses memory it has just given back. Read what it needs (the error code) before the free.',
    ignoredUntested: '{what} at line {acqLine} can fail, but nothing tests its result before init returns 0 at line {ret}: the module carries on with a NULL or error pointer, the first use oopses, and its exit path will call {release}() on it. Test it and unwind what came before.',
    ignoredUntestedNoExit: '{what} at line {acqLine} can fail, but nothing tests its result before the function returns 0 at line {ret}: the code carries on with a NULL or error pointer, and its first use oopses. Test it and unwind what came before.',
    ignoredOverwritten: '{what} at line {acqLine} can fail, but its status is overwritten at line {ret} before anything reads it: where the later steps succeed, init returns 0 with it failed, the module stays loaded half set up, and its exit path will call {release}() for something never acquired. Test it and unwind what came before.',
    ignoredOverwrittenNoExit: '{what} at line {acqLine} can fail, but its status is overwritten at line {ret} before anything reads it: where the later steps succeed, the function returns 0 with it failed and carries on half set up (and any path that undoes it calls {release}() for something never acquired). Test it and unwind what came before.',
    ignoredNoExit: '{what} at line {acqLine} can fail, and the function tested its result before this patch; now it returns 0 at line {ret} whether or not the step worked, and carries on half set up. Keep the test and unwind what came before.',
    ignored: '{what} at line {acqLine} can fail, but init does not act on its failure and returns 0 at line {ret}; the module stays loaded half set up, and its exit path will call {release}() for something never acquired. Return the error, undoing what came before.',
  },
  fix,
  check(ctx, format) {
    const out: RawFinding[] = [];
    // Built-in __init code (initcalls, TIMER_OF_DECLARE hooks) is judged on patches: what a
    // patch adds there is what upstream fixes; the tree's old boot paths stay out of a scan. So
    // are static helpers init shares with runtime callers (scsi_debug's sdebug_add_host_helper(),
    // also reached from sysfs): a failure there leaks during init too, but the tree's runtime
    // helpers hand ownership around in ways a scan would misread wholesale.
    const scope = initScope(ctx.facts, ctx.index.buildKind?.(ctx.path) === 'module', !ctx.scan, !ctx.scan);
    // On patches, also a non-static function whose failure another file's init returns
    // (nf_conntrack_proto_init() <- nf_conntrack_init_start() <- module_init): asked of the
    // index for functions that can fail and call at least two things (an unwind to get wrong).
    if (!ctx.scan) {
      const inScope = new Set(scope.map((f) => f.name));
      for (const f of ctx.facts.functions) {
        if (f.isStatic || f.hasError || f.section === 'exit' || inScope.has(f.name) || f.calls.length < 2) continue;
        if (!f.returnsErrno.length && !f.propagates.length) continue;
        if (ctx.index.pathToModuleInit(f.name, ctx.path)) scope.push(f);
      }
      // And a function named as the set-up of its subsystem or device (`sclp_init()`, run
      // lazily by the first request; `foo_hw_init()`, `foo_init_one()`, `foo_probe()`,
      // `foo_bind()` from probe) that unwinds, before or after the patch (a reversed fix may
      // take the whole ladder away: rtw_core_init()): it is set-up code whatever
      // its section, and its ladder is what "fix error handling in foo_init()" and "add missing
      // destroy_workqueue() on error path in foo_probe()" fix.
      // Unwinding shows as labels, or as releases made inline on failure branches
      // (`if (ret) { destroy_workqueue(di->charger_wq); return ret; }`, ab8500_charger_bind()).
      // A function the patch keeps is judged by its pre-image, so that both images agree on
      // whether it is in scope: a patch that adds the first release to a probe
      // (`mlx5_sd_put_adev()`) must not present the probe's old leaks as new.
      const unwinds = (f: FunctionFacts) => f.body.some((s) => s.k === 'label') || f.calls.some((c) => releaseByName(c.callee));
      const pre = ctx.image === 'post' ? ctx.before?.facts.functions ?? [] : [];
      const existed = new Set(pre.map((f) => f.name));
      // (two steps at least, an iterator macro's loop counting as one: `device_for_each_child_node()`
      // takes a reference per turn; judged in the pre-image too, whose release the patch may take)
      const steps = (f: FunctionFacts) => f.calls.length + flatten(f.body).filter((st) => st.k === 'loop' && !!st.macro).length;
      const unwoundBefore = new Set(pre.filter((f) => unwinds(f) && steps(f) >= 2).map((f) => f.name));
      for (const f of ctx.facts.functions) {
        if (f.hasError || f.section === 'exit' || inScope.has(f.name) || scope.includes(f) || !SETUP_NAME.test(f.name)) continue;
        if (existed.has(f.name) ? unwoundBefore.has(f.name) : steps(f) >= 2 && unwinds(f)) scope.push(f);
      }
    }
    // A failure test that cannot see the failure (`if (!base)` after an ERR_PTR()-returning
    // mapping): in init code, and on patches in any function (a devm_-only probe or its
    // `foo_gpio_register()` helper has nothing to undo and still must not carry on with a bad
    // pointer; the callees judged are ones whose failure value the kernel documents).
    for (const fn of ctx.scan ? scope : ctx.facts.functions.filter((f) => !f.hasError)) {
      for (const w of wrongFailureTests(fn)) {
        const id = w.call.assignedTo!.trim();
        out.push({
          key: `wrongtest:${w.call.callee}(${resourceIdentity(id)})`,
          line: w.testLine,
          function: fn.name,
          severity: 'warning',
          message: format(w.tests === 'null' ? 'wrongTestNull' : 'wrongTestErr', { callee: w.call.callee, id, line: w.testLine }),
          evidence: [`${fn.name}(): ${id} = ${w.call.callee}(...) at line ${w.call.line}`, `${w.call.callee}() returns ${w.tests === 'null' ? 'an ERR_PTR() on failure, never NULL' : 'NULL on failure, never an error pointer'}`],
          causes: [w.call.line, w.testLine],
        });
      }
    }
    if (!scope.length) return out;
    const book = moduleBook(ctx.facts, ctx.index, ctx.image === 'post' ? ctx.before?.facts : undefined);
    const fallible = fallibility(ctx.facts, book, ctx.index);
    // Releases some leak finding already asks for, by function: the dropped-release check defers to them.
    const leaked = new Set<string>();
    // The pre-image of each function, for the locals it freed itself (a patch that keeps the
    // allocation and drops the free). Not through a scope-based cleanup (`__free(kfree)`),
    // which frees without a call.
    const before = (fn: FunctionFacts): FunctionFacts | undefined => {
      if (ctx.image !== 'post' || !ctx.before || functionText(ctx.source, fn).includes('__free(')) return undefined;
      const defs = ctx.before.facts.functions.filter((f) => f.name === fn.name && !f.hasError);
      return defs.length === 1 ? defs[0] : undefined;
    };
    const file = prepareUnwind(ctx.facts, { book, fallible, source: ctx.source });
    for (const fn of scope) {
      const pre = before(fn);
      const report = analyseUnwind(fn, ctx.facts, pre ? { file, before: pre } : { file });
      for (const l of report.leaks) {
        const h = l.held;
        const id = h.id || (h.call.args[0] ?? '');
        const failed = l.failed ? `${l.failed.callee}()` : 'a later step';
        // Acquired one call down (`err = init_inodecache();`): name both the helper and what it made.
        const what = h.inherited ? id : h.via ? `${h.via.callee}(${id}) in ${h.call.callee}()` : `${h.call.callee}(${id})`;
        const kind = h.via ? book.pairFor(h.via.callee)?.kind : h.pair.kind;
        const state = kind === 'handle' ? 'allocated' : 'registered';
        const release = h.pair.release[0]!;
        for (const r of h.pair.release) leaked.add(`${fn.name}|${r}|${resourceIdentity(id)}`);
        const data = { what, acqLine: h.call.line, failed, exit: l.exitLine, ret: l.returnLine, label: l.label ?? '', release, state, relLine: h.inherited ?? 0 };
        out.push({
          // A jump is known by its label and by the step that jumps: a patch that renames only
          // the step (`class_create()` to `class_register()`, oradax) or only the label
          // (`err:` to `err_device_unregister:`, amdtee) leaves the same leak.
          ...leakIdentity(l, l.success ? 'ref' : h.residue ? 'residue' : 'leak', h.call.callee, id),
          line: l.exitLine,
          function: fn.name,
          message: format(l.overwritten ? 'lookupOverwritten' : l.success ? 'lookupRef' : h.inherited ? 'inherited' : h.residue ? 'residue' : l.exitKind === 'goto' ? 'leakGoto' : 'leakReturn', { ...data, id }),
          evidence: [
            `${fn.name}(): ${h.call.callee}(${h.call.args.join(', ')}) at line ${h.call.line}${h.via ? ` -> ${h.via.callee}(${h.via.args.join(', ')}) (line ${h.via.line})` : ''}`,
            l.failed ? `${l.failed.callee}() fails (line ${l.failed.line}) -> ${l.exitKind === 'goto' ? `goto ${l.label} (line ${l.exitLine})` : `return (line ${l.exitLine})`}` : l.overwritten ? `${id} assigned at line ${l.exitLine}` : `${l.exitKind} at line ${l.exitLine}`,
            l.overwritten ? `${id} is overwritten at line ${l.exitLine} without ${h.pair.release.join('/')}()` : `returns at line ${l.returnLine} without ${h.pair.release.join('/')}()`,
          ],
          causes: [h.call.line],
        });
      }
      for (const o of offByOneUnwinds(fn, (c) => book.isRelease(c) || releaseByName(c), (c) => book.pairFor(c)?.onFailure ?? [])) {
        out.push({
          key: `offbyone:${o.variable}|${o.release.callee}`,
          line: o.loop.line,
          function: fn.name,
          message: format('offByOne', { line: o.loop.line, v: o.variable, release: o.release.callee, missed: /[^=]>\s*0/.test(o.loop.cond) ? `, and element [0] is never given back` : '' }),
          evidence: [`line ${o.loop.line}: for (${o.loop.cond})`, `${o.release.callee}(${o.release.args.join(', ')}) at line ${o.release.line} indexes [${o.variable}]`],
        });
      }
      for (const d of discardedLookupRefs(fn, book)) {
        const what = `${d.call.callee}(${d.call.args.join(', ')})`;
        out.push({
          key: `discarded:${callIdentity(d.call)}`,
          line: d.call.line,
          function: fn.name,
          message: d.into ? format('discardedArg', { what, acqLine: d.call.line, release: d.release, into: d.into }) : format('discarded', { what, acqLine: d.call.line, release: d.release }),
          evidence: [`${fn.name}(): ${what} at line ${d.call.line}, ${d.into ? `handed straight to ${d.into}()` : 'result not stored'}`, `${d.call.callee}() returns its object with a reference taken; ${d.release}() drops it`],
        });
      }
      for (const g of pmGetSyncLeaks(fn)) {
        const dev = g.call.args[0] ?? '';
        out.push({
          key: `pmget:${resourceIdentity(dev)}`,
          line: g.testLine,
          function: fn.name,
          severity: 'warning',
          message: format('pmGetSync', { dev, line: g.call.line, exit: g.exitLine }),
          evidence: [`${fn.name}(): ${g.call.assignedTo!.trim()} = pm_runtime_get_sync(${dev}) at line ${g.call.line}`, `its failure path (line ${g.testLine} -> line ${g.exitLine}) calls no pm_runtime_put*(${dev})`],
          causes: [g.call.line, g.testLine],
        });
      }
      for (const c of reallocOverOwnPointer(fn)) {
        const id = c.assignedTo!.trim();
        out.push({
          key: `realloc:${c.callee}(${resourceIdentity(id)})`,
          line: c.line,
          function: fn.name,
          message: format('reallocSelf', { id, callee: c.callee, line: c.line }),
          evidence: [`${fn.name}(): ${id} = ${c.callee}(${c.args.join(', ')}) at line ${c.line}`, `${c.callee}() returns NULL on failure and does not free its argument`],
        });
      }
      for (const u of usesAfterFree(fn)) {
        out.push({
          key: `freed:${u.free.callee}(${u.object})`,
          line: u.useLine,
          function: fn.name,
          message: format('freed', { object: u.object, free: u.free.callee, freeLine: u.free.line, use: u.useLine }),
          evidence: [`${u.free.callee}(${u.free.args.join(', ')}) at line ${u.free.line}`, `${u.object} read at line ${u.useLine}`],
          causes: [u.free.line, u.useLine],
        });
      }
      for (const z of report.zeroReturns) {
        const failed = z.failed ? `${z.failed.callee}()` : 'a step';
        out.push({
          key: `zero:${z.variable}|${z.failed ? `${z.failed.callee}(${failedId(z.failed)})` : z.label}`,
          line: z.gotoLine,
          function: fn.name,
          message: z.release && z.label
            ? format('zeroReturn', { label: z.label, exit: z.gotoLine, failed, release: z.release.callee, relLine: z.release.line, variable: z.variable, ret: z.returnLine })
            : format('zeroReturnFailed', { how: z.label ? `"goto ${z.label}" at line ${z.gotoLine}` : `the return at line ${z.returnLine}`, failed, variable: z.variable, ret: z.returnLine }),
          evidence: [
            z.label ? `${failed} fails -> goto ${z.label} (line ${z.gotoLine})` : `${failed} fails -> return at line ${z.returnLine}`,
            ...(z.release ? [`${z.release.callee}() at line ${z.release.line} on the way`] : []),
            `return ${z.variable} at line ${z.returnLine}; ${z.variable} is 0 since its last check`,
          ],
          causes: [z.gotoLine, z.returnLine],
        });
      }
      for (const g of report.ignored) {
        const h = g.held;
        const id = h.id || (h.call.args[0] ?? '');
        out.push({
          key: `ignored:${h.call.callee}(${id})`,
          // (an untested handle is the same finding whichever allocator fills it: a patch that
          // turns `ioremap()` into `of_iomap()` on an untested line adds nothing)
          ...(h.unchecked === 'untested' && id ? { aliases: [`untested:${resourceIdentity(id)}`] } : {}),
          line: h.call.line,
          function: fn.name,
          severity: 'warning',
          message: format(g.overwritten ? (g.unreleased ? 'ignoredOverwrittenNoExit' : 'ignoredOverwritten') : h.unchecked === 'untested' ? (g.unreleased ? 'ignoredUntestedNoExit' : 'ignoredUntested') : g.unreleased ? 'ignoredNoExit' : 'ignored', { what: `${h.call.callee}(${id})`, acqLine: h.call.line, ret: g.returnLine, release: h.pair.release[0]! }),
          evidence: [
            `${fn.name}(): ${h.call.callee}(${h.call.args.join(', ')}) at line ${h.call.line}: ${h.unchecked === 'discarded' ? 'result not checked' : h.unchecked === 'untested' ? 'result never tested' : 'failure only reported'}`,
            g.overwritten ? `its status is overwritten at line ${g.returnLine} before anything reads it` : `returns 0 at line ${g.returnLine}`,
            ...(g.unreleased ? [] : [`the exit path calls ${h.pair.release.join('/')}()`]),
          ],
        });
      }
      for (const m of report.misorders) {
        if (m.failedStep) {
          out.push({
            key: `failedstep:${m.release.callee}(${m.release.args.join(',')})|${m.failed?.callee ?? m.label}`,
            line: m.gotoLine,
            function: fn.name,
            severity: 'warning',
            message: format('failedStep', { label: m.label, exit: m.gotoLine, failed: m.failed ? `${m.failed.callee}()` : 'a step', release: m.release.callee }),
            evidence: [`${m.failed?.callee ?? 'a step'}() fails -> goto ${m.label} (line ${m.gotoLine}) -> ${m.release.callee}(${m.release.args.join(', ')}) (line ${m.release.line})`],
          });
          continue;
        }
        const acq = fn.calls.find((c) => c.callee === m.pair.acquire && c.line > m.gotoLine);
        out.push({
          key: `misorder:${m.release.callee}(${m.release.args.join(',')})|${m.failed?.callee ?? m.label}`,
          line: m.gotoLine,
          function: fn.name,
          severity: 'warning',
          message: format('misorder', { label: m.label, exit: m.gotoLine, failed: m.failed ? `${m.failed.callee}()` : 'a step', release: m.release.callee, acquire: m.pair.acquire, acqLine: acq?.line ?? '?' }),
          evidence: [`goto ${m.label} (line ${m.gotoLine}) -> ${m.release.callee}(${m.release.args.join(', ')}) (line ${m.release.line})`],
        });
      }
    }
    if (ctx.image === 'post' && ctx.before) {
      for (const d of droppedUnwindReleases(ctx.before.facts, ctx.facts, ctx.index)) {
        // The ladder analysis already names this release on the path that now misses it: one finding.
        if (leaked.has(`${d.fn.name}|${d.call.callee}|${resourceIdentity(d.call.args[0] ?? '')}`)) continue;
        const call = `${d.call.callee}(${d.call.args.join(', ')})`;
        out.push({
          key: `dropped:${callIdentity(d.call)}`,
          line: d.fn.startLine,
          function: d.fn.name,
          message: format('dropped', { fn: d.fn.name, call, was: d.call.line, exit: d.exitFn }),
          evidence: [`before: ${d.fn.name}() called ${call} at line ${d.call.line}, on a failure path`, `after: it does not, and ${d.exitFn}() still calls it`],
          // The call is missing from the function: a change anywhere in it may be what removed it.
          causes: Array.from({ length: d.fn.endLine - d.fn.startLine + 1 }, (_, i) => d.fn.startLine + i),
        });
      }
    }
    return out;
  },
});
