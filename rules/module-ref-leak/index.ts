// module-ref-leak: a module reference taken with try_module_get()/__module_get()/fops_get() must
// be dropped on every failure path of the same function; module_put() must not run where the get
// failed or was not taken yet; and the 2.4 MOD_INC_USE_COUNT/MOD_DEC_USE_COUNT macros (seed 001,
// "all failure paths must do MOD_DEC_USE_COUNT") are gone. The success path may keep the reference
// (open() keeps it, release() drops it), so only failure exits are judged.
import type { FunctionFacts } from '../../src/c/types.js';
import { functionsByName } from '../../src/c/functions.js';
import { createRule } from '../../src/engine/rule.js';
import { meta } from './meta.js';
import { analyseModuleRefs, keptOnPurpose, obsoleteUseCount, type RefLeak } from '../../src/engine/kernel/modref.js';
import type { IndexQuery, RawFinding } from '../../src/engine/types.js';
import { resourceIdentity } from '../../src/c/lex.js';
import { fix } from './fix.js';

const putFor = (l: RefLeak) => (l.held.kind === 'fops' ? 'fops_put' : 'module_put');

const REPLACEMENT: Record<string, string> = {
  MOD_INC_USE_COUNT: 'set .owner = THIS_MODULE in the ops structure (the core then takes try_module_get() before calling in), or take try_module_get(THIS_MODULE) where the module must pin itself',
  __MOD_INC_USE_COUNT: 'take try_module_get(mod) and check its result',
  MOD_DEC_USE_COUNT: 'drop the reference with module_put() (or let .owner = THIS_MODULE do it: the core puts it on release)',
  __MOD_DEC_USE_COUNT: 'drop the reference with module_put(mod)',
  MOD_IN_USE: 'use module_refcount(THIS_MODULE) (rarely needed: rmmod refuses a module in use)',
};

function enclosing(fns: readonly FunctionFacts[], line: number): FunctionFacts | undefined {
  return fns.find((f) => line >= f.startLine && line <= f.endLine);
}

const PUTS = new Set(['module_put', 'fops_put']);
const GETS = /^(try_module_get|__module_get|fops_get|bpf_try_module_get)$/;

/**
 * A put the patch removes while the gets stay as they were: the reference taken (here or by a
 * helper that hands it back, as nft_chain_parse_hook() does) is no longer given back.
 */
function droppedPuts(pre: readonly FunctionFacts[], post: readonly FunctionFacts[], format: (id: 'dropped', data: Record<string, string | number>) => string, index?: IndexQuery): RawFinding[] {
  const out: RawFinding[] = [];
  const { puts, gets: getters } = refHelpers(post, index);
  const byName = functionsByName(pre);
  const count = (fn: FunctionFacts, pick: (callee: string) => boolean) => {
    const m = new Map<string, { n: number; line: number }>();
    for (const c of fn.calls) {
      if (!pick(c.callee)) continue;
      const id = `${c.callee}(${resourceIdentity(c.args[0] ?? '')})`;
      const e = m.get(id) ?? { n: 0, line: c.line };
      e.n++;
      m.set(id, e);
    }
    return m;
  };
  const gets = (fn: FunctionFacts) => fn.calls.filter((c) => GETS.test(c.callee) || getters.has(c.callee)).length;
  for (const fn of functionsByName(post).values()) {
    const was = byName.get(fn.name);
    if (!was || fn.hasError || was.hasError) continue;
    // A patch that says it now keeps the reference on purpose (a comment it adds) is taken at its
    // word; a comment the function had before ("as long as anyone holds the file open") is about
    // the reference the removed put used to drop.
    const added = fn.comments.filter((c) => !was.comments.some((w) => w.text === c.text));
    if (keptOnPurpose({ ...fn, comments: added }, fn.startLine, fn.endLine)) continue;
    const before = count(was, (c) => PUTS.has(c) || puts.has(c));
    const after = count(fn, (c) => PUTS.has(c) || puts.has(c));
    for (const [id, b] of before) {
      if ((after.get(id)?.n ?? 0) >= b.n || gets(fn) !== gets(was)) continue;
      const [, put, arg] = /^(\w+)\((.*)\)$/.exec(id)!;
      out.push({
        key: `dropped:${id}`,
        line: fn.startLine,
        function: fn.name,
        message: format('dropped', { fn: fn.name, put: put!, id: arg!, was: b.line, gets: gets(fn) ? `${gets(fn)} get(s) in ${fn.name}()` : 'the get is made by a callee' }),
        evidence: [`before: ${put}(${arg}) at line ${b.line} in ${fn.name}()`, `after: ${after.get(id)?.n ?? 0} of ${b.n} left; try_module_get()-style calls unchanged (${gets(fn)})`],
        causes: Array.from({ length: fn.endLine - fn.startLine + 1 }, (_, i) => fn.startLine + i),
      });
    }
  }
  return out;
}

/**
 * Functions that drop or take a module reference for their caller: same-file helpers that call
 * module_put()/try_module_get() directly, and functions elsewhere in the tree the index knows to
 * (put_filesystem(), gss_mech_put()), named as puts or gets.
 */
function refHelpers(fns: readonly FunctionFacts[], index?: IndexQuery): { puts: Set<string>; gets: Set<string> } {
  const puts = new Set<string>();
  const gets = new Set<string>();
  for (const f of fns) {
    if (f.calls.some((c) => PUTS.has(c.callee)) && /(^|_)(put|release|unget|unref)(_|$)/.test(f.name)) puts.add(f.name);
    if (f.calls.some((c) => GETS.test(c.callee)) && /(^|_)(get|grab|lookup|find|request|load|try_get)(_|$)/.test(f.name)) gets.add(f.name);
  }
  for (const c of index?.callersOf('module_put') ?? []) if (/(^|_)(put|release|unget|unref)(_|$)/.test(c.caller)) puts.add(c.caller);
  for (const c of index?.callersOf('try_module_get') ?? []) if (/(^|_)(get|grab|lookup|find|request|load|try_get)(_|$)/.test(c.caller)) gets.add(c.caller);
  return { puts, gets };
}

export default createRule({
  ...meta,
  rationale:
    'try_module_get() pins a module until the matching module_put(). A function that takes the reference and then fails without putting it leaves the module pinned for good: rmmod reports it in use forever. A module_put() on a path where the get failed or was never taken drops a reference someone else holds, so the module can be unloaded while it is still in use. The pre-2.6 MOD_INC_USE_COUNT/MOD_DEC_USE_COUNT macros no longer exist.',
  precedents: [
    { commit: 'da46ee19cbd8', subject: 'regulator: core: fix module refcount leak in set_supply()' },
    { commit: '9617cd6f24b2', subject: 'block: fix module reference leakage from bdev_open_by_dev error path' },
  ],
  references: ['include/linux/module.h', 'include/linux/fs.h'],
  messages: {
    leakReturn:
      '{get}({id}) at line {getLine} is not dropped on this failure path: the return at line {exit} ({why}) keeps the module reference, so the module can never be unloaded. Call {put}() before returning.',
    leakGoto:
      '{get}({id}) at line {getLine} is not dropped on this failure path: "goto {label}" at line {exit} ({why}) reaches the return at line {ret} without {put}(), so the module can never be unloaded.',
    failedGet:
      'module_put({id}) at line {putLine} runs when try_module_get({id}) at line {getLine} has failed: it drops a reference this function does not hold, and the module can then be unloaded while still in use.',
    beforeGet:
      '"goto {label}" at line {gotoLine} is taken before try_module_get({id}) at line {getLine}, but its path calls module_put({id}) at line {putLine}: it drops a reference not yet taken. Jump to a label past the put.',
    obsolete: '{macro} was removed in Linux 2.6; {replacement}.',
    dropped:
      '{fn}() no longer calls {put}({id}) (line {was} before this patch), but takes the reference as often as before ({gets}): one reference is no longer dropped, so the module can never be unloaded.',
  },
  fix,
  check(ctx, format) {
    const out: RawFinding[] = [];
    if (ctx.image === 'post' && ctx.before) out.push(...droppedPuts(ctx.before.facts.functions, ctx.facts.functions, format, ctx.index));
    for (const fn of ctx.facts.functions) {
      if (fn.hasError) continue;
      const report = analyseModuleRefs(fn, ctx.facts);
      for (const l of report.leaks) {
        // A failure path that says it keeps the reference on purpose.
        // The comment may stand between the failing test and the exit (just above it, at the
        // latest), or on the label's path down to the return; not on the success path between.
        const from = Math.min(l.since ?? l.exitLine, l.exitLine - 2);
        const label = l.label ? fn.body.find((s) => s.k === 'label' && s.name === l.label)?.line : undefined;
        if (keptOnPurpose(fn, from, l.exitLine) || (label !== undefined && keptOnPurpose(fn, label, l.returnLine))) continue;
        if (!l.label && keptOnPurpose(fn, from, l.returnLine)) continue;
        const id = l.held.kind === 'fops' ? l.held.call.args[0] ?? l.held.id : l.held.id;
        const why = l.why ? `after "${l.why}"` : 'an error return';
        const data = { get: l.held.call.callee, id, getLine: l.held.call.line, exit: l.exitLine, ret: l.returnLine, label: l.label ?? '', put: putFor(l), why };
        out.push({
          key: `leak:${l.held.call.callee}(${l.held.id})|${l.why ?? ''}|${l.exitKind === 'goto' ? `goto ${l.label}` : 'return'}`,
          line: l.exitLine,
          function: fn.name,
          message: format(l.exitKind === 'goto' ? 'leakGoto' : 'leakReturn', data),
          evidence: [
            `${fn.name}(): ${l.held.call.callee}(${l.held.call.args.join(', ')}) at line ${l.held.call.line} succeeds`,
            l.since ? `failure path from line ${l.since}: ${l.why ?? ''}` : `error return at line ${l.returnLine}`,
            l.exitKind === 'goto' ? `goto ${l.label} (line ${l.exitLine}) -> return at line ${l.returnLine}, no ${putFor(l)}()` : `return at line ${l.returnLine}, no ${putFor(l)}()`,
          ],
          causes: [l.held.call.line, l.exitLine],
        });
      }
      for (const m of report.misputs) {
        const id = m.get.args[0] ?? '';
        const data = { id, putLine: m.put.line, getLine: m.get.line, gotoLine: m.gotoLine ?? '', label: m.label ?? '' };
        out.push({
          key: `${m.reason}:module_put(${id})|${m.label ?? ''}`,
          line: m.gotoLine ?? m.put.line,
          function: fn.name,
          severity: 'error',
          message: format(m.reason === 'failed-get' ? 'failedGet' : 'beforeGet', data),
          evidence: [
            `${fn.name}(): ${m.get.callee}(${id}) at line ${m.get.line}`,
            m.gotoLine ? `goto ${m.label} at line ${m.gotoLine} -> module_put(${id}) at line ${m.put.line}` : `module_put(${id}) at line ${m.put.line} in the failure branch`,
          ],
          causes: [m.put.line, m.get.line, ...(m.gotoLine ? [m.gotoLine] : [])],
        });
      }
    }
    const seen = new Set<string>();
    for (const u of obsoleteUseCount(ctx.source)) {
      const fn = enclosing(ctx.facts.functions, u.line);
      const key = `obsolete:${u.macro}`;
      if (seen.has(`${fn?.name ?? ''}\0${key}`)) continue;
      seen.add(`${fn?.name ?? ''}\0${key}`);
      const raw: RawFinding = {
        key,
        line: u.line,
        severity: 'error',
        message: format('obsolete', { macro: u.macro, replacement: REPLACEMENT[u.macro] ?? 'use try_module_get()/module_put()' }),
        evidence: [`${ctx.path}:${u.line}: ${u.macro}`, 'include/linux/module.h: try_module_get(), module_put(), __module_get()'],
        causes: [u.line],
      };
      if (fn) raw.function = fn.name;
      out.push(raw);
    }
    return out;
  },
});
