// The analyses behind notifier-missing-going and request-module-unsafe, on real Linux 6.12 code:
// how module notifiers treat the states, the loader's side of the protocol, and how a
// request_module() name is built and where it comes from.
import { describe, expect, it } from 'vitest';
import { extractFacts } from '../../src/c/facts.js';
import { inProtocol, missingGoing, moduleChainCalls, moduleNotifierCallbacks, moduleStateEnum, runsForUnnamed, stateView } from '../../src/engine/kernel/notifier.js';
import { nameShape, nameSource, requestCalls, writtenArgs } from '../../src/engine/kernel/kmod.js';
import { kernelFile } from '../helpers/kernel.js';

function callback(path: string) {
  const source = kernelFile(path);
  const facts = extractFacts(path, source);
  const [reg] = moduleNotifierCallbacks(facts);
  const fn = facts.functions.find((f) => f.name === reg!.callback)!;
  return { source, facts, fn, view: stateView(fn, facts) };
}

describe('module notifiers of 6.12', () => {
  it('kprobes: COMING work undone in code shared by LIVE and GOING; an unknown state is ignored', () => {
    const { source, facts, view } = callback('kernel/kprobes.c');
    expect(view.fn.name).toBe('kprobes_module_callback');
    expect(view.discriminates).toBe(true);
    expect(missingGoing(view, source, facts)).toBeNull();
    expect(runsForUnnamed(view, 'MODULE_STATE_GOING')).toEqual(expect.arrayContaining(['kill_kprobe', 'remove_module_kprobe_blacklist']));
    expect(runsForUnnamed(view, 'MODULE_STATE_FORMED')).toEqual([]);
  });

  it('static_call: the GOING case removed is a missing GOING, with the undo named', () => {
    const path = 'kernel/static_call_inline.c';
    const source = kernelFile(path).replace('\tcase MODULE_STATE_GOING:\n\t\tstatic_call_del_module(mod);\n\t\tbreak;\n', '');
    const facts = extractFacts(path, source);
    const fn = facts.functions.find((f) => f.name === 'static_call_module_notify')!;
    const miss = missingGoing(stateView(fn, facts), source, facts);
    expect(miss?.setup.call.callee).toBe('static_call_add_module');
    expect(miss?.counterpart?.name).toBe('static_call_del_module');
  });

  it('gcov: a GOING-only guard restricts everything after it', () => {
    const { view } = callback('kernel/gcov/base.c');
    expect(runsForUnnamed(view, 'MODULE_STATE_COMING')).toEqual([]);
    expect(runsForUnnamed(view, 'MODULE_STATE_GOING')).toContain('gcov_info_unlink');
  });

  it('enum module_state and the loader calls of 6.12 are the known protocol', () => {
    const states = moduleStateEnum(kernelFile('include/linux/module.h'));
    expect(states?.map((s) => s.name)).toEqual(['MODULE_STATE_LIVE', 'MODULE_STATE_COMING', 'MODULE_STATE_GOING', 'MODULE_STATE_UNFORMED']);
    const main = extractFacts('kernel/module/main.c', kernelFile('kernel/module/main.c'));
    const calls = moduleChainCalls(main);
    expect(calls.map((c) => `${c.fn.name}: ${c.call.callee}(${c.states.join(', ')})`)).toEqual([
      'delete_module: blocking_notifier_call_chain(MODULE_STATE_GOING)',
      'do_init_module: blocking_notifier_call_chain(MODULE_STATE_LIVE)',
      'do_init_module: blocking_notifier_call_chain(MODULE_STATE_GOING)',
      'prepare_coming_module: blocking_notifier_call_chain_robust(MODULE_STATE_COMING, MODULE_STATE_GOING)',
      'load_module: blocking_notifier_call_chain(MODULE_STATE_GOING)',
    ]);
    expect(calls.every(inProtocol)).toBe(true);
  });
});

describe('request_module() names', () => {
  it('reads the format and its first %s argument', () => {
    expect(nameShape(['"netdev-%s"', 'name'], 0)).toEqual({ kind: 'fixed', text: 'netdev-' });
    expect(nameShape(['"%s"', 'name'], 0)).toEqual({ kind: 'lead', expr: 'name', format: false });
    expect(nameShape(['"%.*s"', 'len', 'name'], 0)).toEqual({ kind: 'lead', expr: 'name', format: false });
    expect(nameShape(['"fs-%.*s"', 'len', 'name'], 0).kind).toBe('fixed');
    expect(nameShape(['"%s-iosched"', 'name'], 0).kind).toBe('fixed');
    expect(nameShape(['"char-major-%d-%d"', 'major', 'minor'], 0).kind).toBe('fixed');
    expect(nameShape(['"%d"', 'n'], 0).kind).toBe('fixed');
    expect(nameShape(['NET_SCH_ALIAS_PREFIX "%s"', 'name'], 0)).toEqual({ kind: 'fixed', text: 'NET_SCH_ALIAS_PREFIX' });
    expect(nameShape(['"%s%s"', 'I2C_MODULE_PREFIX', 'info->type'], 0).kind).toBe('fixed');
    expect(nameShape(['mod'], 0)).toEqual({ kind: 'lead', expr: 'mod', format: true });
  });

  it('recovers the macro prefix the facts blank (net/sched/sch_api.c) and traces netlink names', () => {
    const path = 'net/sched/sch_api.c';
    const source = kernelFile(path);
    const facts = extractFacts(path, source);
    const fn = facts.functions.find((f) => f.name === 'qdisc_create')!;
    const [r] = requestCalls(fn);
    expect(r!.call.args[0]).toBe('"%s"');
    const args = writtenArgs(source, r!.call);
    expect(args[0]).toBe('NET_SCH_ALIAS_PREFIX "%s"');
    expect(nameShape(args, r!.fmt).kind).toBe('fixed');
    // Without the macro, the name is the netlink attribute nla_strscpy() copied.
    expect(nameSource('name', fn, facts)).toMatchObject({ kind: 'user' });
  });

  it('names printed with a fixed start are fixed (sound/core/sound.c)', () => {
    const path = 'sound/core/sound.c';
    const facts = extractFacts(path, kernelFile(path));
    const fn = facts.functions.find((f) => f.name === 'snd_request_other')!;
    expect(nameSource('str', fn, facts).kind).toBe('constant');
  });
});
