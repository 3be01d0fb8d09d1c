// notifier-missing-going: a module notifier that sets something up for MODULE_STATE_COMING must
// undo it for MODULE_STATE_GOING. GOING follows COMING on unload, on a failed init and when a
// later notifier fails COMING (the chain is called "robust": it rolls back with GOING); state
// left behind points into freed module memory. And when a patch changes the state machine itself
// (a new `enum module_state` value, another way of calling module_notify_list — seed 002), every
// notifier that switches on the state is listed, since each must be checked against the change.
import { createRule } from '../../src/engine/rule.js';
import { meta } from './meta.js';
import {
  COMING,
  GOING,
  KNOWN_STATES,
  inProtocol,
  missingGoing,
  moduleChainCalls,
  moduleNotifierCallbacks,
  moduleStateEnum,
  runsForUnnamed,
  short,
  stateView,
  statesNamed,
} from '../../src/engine/kernel/notifier.js';
import type { IndexQuery, RawFinding } from '../../src/engine/types.js';

interface TreeNotifier {
  name: string;
  /** The evidence line: file, callback, the states it names, what the probed states do there. */
  line: string;
  /** It runs code for one of the probed states (or cannot be followed). */
  affected: boolean;
}

/** The module notifiers of the tree that switch on the state, and what `probe` states do in each. */
function treeNotifiers(index: IndexQuery, probe: readonly string[]): TreeNotifier[] {
  const out: TreeNotifier[] = [];
  const seen = new Set<string>();
  for (const n of index.moduleNotifiers()) {
    const id = `${n.file}\0${n.callback}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const facts = index.fileFacts(n.file);
    const fn = facts?.functions.find((f) => f.name === n.callback);
    if (!facts || !fn) {
      out.push({ name: n.callback, line: `${n.file}: ${n.callback}() (registered at line ${n.line}; not analysed)`, affected: true });
      continue;
    }
    const view = stateView(fn, facts);
    if (!view.discriminates && !view.unresolved.length) continue;
    // Index facts carry no source text: the states named come from the statement IR.
    const named = statesNamed(JSON.stringify(fn.body)).map(short);
    let affected = view.unresolved.length > 0;
    const what = view.unresolved.length
      ? `hands the state to ${[...new Set(view.unresolved.map((c) => c.callee))].join(', ')}()`
      : probe
          .map((s) => {
            const runs = runsForUnnamed(view, s);
            if (runs.length) affected = true;
            return `${short(s)}: ${runs.length ? `runs ${runs.slice(0, 4).join('(), ')}()${runs.length > 4 ? ', ...' : ''}` : 'ignored'}`;
          })
          .join('; ');
    out.push({ name: fn.name, line: `${n.file}:${fn.startLine} ${fn.name}() names ${named.join(', ') || 'no state'}; ${what}`, affected });
  }
  return out;
}

/** ` (a(), b(), ... and 3 more)` for a message. */
function nameList(xs: readonly TreeNotifier[], max = 6): string {
  if (!xs.length) return '';
  const names = xs.slice(0, max).map((x) => `${x.name}()`);
  return ` (${names.join(', ')}${xs.length > max ? ` and ${xs.length - max} more` : ''})`;
}

export default createRule({
  ...meta,
  rationale:
    'Module notifiers see UNFORMED -> COMING -> LIVE -> GOING. GOING is sent on unload, after a failed module init, and to every notifier that took COMING when a later one fails it (blocking_notifier_call_chain_robust). What a callback sets up for COMING (lists, allocations, files, patched call sites) and does not undo for GOING outlives the module and points into freed memory; the next load of the module finds it stale.',
  precedents: [{ commit: '4b30051c4864', subject: 'static_call: Handle module init failure correctly in static_call_del_module()' }],
  references: ['kernel/module/main.c', 'include/linux/module.h', 'include/linux/notifier.h'],
  messages: {
    missing:
      '{cb}() sets up for MODULE_STATE_COMING ({setup}() at line {line}) but does nothing for MODULE_STATE_GOING. GOING follows COMING on unload, after a failed init and when a later notifier fails COMING, so this outlives the module. {hint}',
    emptyGoing:
      '{cb}() sets up for MODULE_STATE_COMING ({setup}() at line {line}) but its MODULE_STATE_GOING case does nothing. GOING follows COMING on unload, after a failed init and when a later notifier fails COMING, so this outlives the module. {hint}',
    undoKnown: 'Call {undo}() ({undoWhere}) for MODULE_STATE_GOING.',
    undoUnknown: 'Undo it for MODULE_STATE_GOING.',
    newState:
      'enum module_state gains {state}: {count} module notifier(s) in the tree switch on the state and must be checked for it{list}; {running} of them would run code for {state}.',
    chain:
      '{fn}() calls {callee}(&module_notify_list, {states}), outside the protocol module notifiers are written for (COMING rolled back by GOING, LIVE, GOING): {count} notifier(s) in the tree act on {probe} and must be checked against the change{list}.',
  },
  check(ctx, format) {
    const out: RawFinding[] = [];

    // 1. This file's own module notifiers.
    for (const reg of moduleNotifierCallbacks(ctx.facts)) {
      const fn = ctx.facts.functions.find((f) => f.name === reg.callback);
      if (!fn) continue;
      const inTree = (name: string) => {
        const def = ctx.index.functionsNamed(name).find((d) => !d.isStatic || d.file === ctx.path);
        return def ? { name, line: def.line, file: def.file } : undefined;
      };
      const miss = missingGoing(stateView(fn, ctx.facts), ctx.source, ctx.facts, inTree);
      if (!miss) continue;
      const c = miss.setup.call;
      const hint = miss.counterpart ? format('undoKnown', { undo: miss.counterpart.name, undoWhere: miss.counterpart.file && miss.counterpart.file !== ctx.path ? `${miss.counterpart.file}:${miss.counterpart.line}` : `line ${miss.counterpart.line}` }) : format('undoUnknown');
      out.push({
        key: 'missing-going',
        line: c.line,
        function: fn.name,
        message: format(miss.emptyGoing ? 'emptyGoing' : 'missing', { cb: fn.name, setup: c.callee, line: c.line, hint }),
        evidence: [
          `register_module_notifier(&${reg.block}) at line ${reg.line}; ${reg.block}.notifier_call = ${fn.name}`,
          `${fn.name}(): ${c.callee}(${c.args.join(', ')}) at line ${c.line} runs only for ${COMING}`,
          miss.emptyGoing ? `${fn.name}(): case ${GOING} does nothing` : `${fn.name}() never names ${GOING}`,
          ...(miss.counterpart ? [`${miss.counterpart.name}() (${miss.counterpart.file ?? ctx.path}:${miss.counterpart.line}) would undo ${c.callee}()`] : []),
        ],
        causes: [c.line],
      });
    }

    // 2. The state machine itself: a new state in enum module_state.
    const values = moduleStateEnum(ctx.source);
    for (const v of values ?? []) {
      if (KNOWN_STATES.includes(v.name)) continue;
      const list = treeNotifiers(ctx.index, [v.name]);
      out.push({
        key: `module-state:${v.name}`,
        line: v.line,
        severity: 'note',
        message: format('newState', { state: v.name, count: list.length, list: nameList(list), running: list.filter((n) => n.affected).length }),
        evidence: list.map((n) => n.line),
        causes: [v.line],
      });
    }

    // 3. ... or another way of announcing states on module_notify_list.
    for (const c of moduleChainCalls(ctx.facts)) {
      if (inProtocol(c)) continue;
      const literal = c.states.filter((s) => /^MODULE_STATE_\w+$/.test(s));
      const probe = literal.length ? [...new Set(literal)] : [COMING, GOING];
      // States passed in variables: every notifier that switches on the state is concerned.
      const all = treeNotifiers(ctx.index, probe);
      const list = literal.length ? all.filter((n) => n.affected) : all;
      out.push({
        key: `chain:${c.call.callee}(${c.states.join(',')})`,
        line: c.call.line,
        function: c.fn.name,
        severity: 'note',
        message: format('chain', {
          fn: c.fn.name,
          callee: c.call.callee,
          states: c.states.join(', '),
          count: list.length,
          probe: literal.length ? probe.map(short).join('/') : 'the states',
          list: nameList(list),
        }),
        evidence: [`${c.fn.name}(): ${c.call.callee}(${c.call.args.join(', ')}) at line ${c.call.line}`, ...list.map((n) => n.line)],
        causes: [c.call.line],
      });
    }
    return out;
  },
});
