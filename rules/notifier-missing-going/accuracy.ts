// Accuracy corpus of notifier-missing-going (scripts/accuracy.ts): the module notifiers of Linux
// 6.12 with their MODULE_STATE_GOING handling removed (must flag: switch cases, an if/else-if
// chain, an early-exit guard, an emptied case), the state-machine changes of seed 002 (a new
// enum module_state value, a reversed GOING chain; must note), and edits the rule must stay
// silent on: refactors that keep GOING, the notifiers that act on COMING only by design, and
// loader changes inside the 6.12 protocol.
import type { AccuracyCase } from '../../src/engine/accuracy.js';

/** Every file of 6.12 that registers a module notifier, for the cases that list them. */
const NOTIFIER_FILES = [
  'kernel/bpf/btf.c',
  'kernel/debug/debug_core.c',
  'kernel/gcov/base.c',
  'kernel/jump_label.c',
  'kernel/kprobes.c',
  'kernel/printk/index.c',
  'kernel/rcu/srcutree.c',
  'kernel/static_call_inline.c',
  'kernel/trace/bpf_trace.c',
  'kernel/trace/trace.c',
  'kernel/trace/trace_events.c',
  'kernel/trace/trace_kprobe.c',
  'kernel/trace/trace_printk.c',
  'kernel/tracepoint.c',
  'lib/dynamic_debug.c',
  'lib/error-inject.c',
  'lib/kunit/test.c',
];

const self = (file: string) => ({ file, indexPaths: [file] });

export const cases: AccuracyCase[] = [
  // ---------------------------------------------------------------- must flag
  {
    name: 'static_call_module_notify without its GOING case',
    ...self('kernel/static_call_inline.c'),
    edits: [{ find: '\tcase MODULE_STATE_GOING:\n\t\tstatic_call_del_module(mod);\n\t\tbreak;\n', replace: '' }],
    expect: 'flag',
    why: 'the notifier of 4b30051c4864: patched call sites would keep pointing into the freed module',
  },
  {
    name: 'jump_label_module_notify without its GOING case',
    ...self('kernel/jump_label.c'),
    edits: [{ find: '\tcase MODULE_STATE_GOING:\n\t\tjump_label_del_module(mod);\n\t\tbreak;\n', replace: '' }],
    expect: 'flag',
  },
  {
    name: 'pi_module_notify without its GOING case (default: arm remains)',
    ...self('kernel/printk/index.c'),
    edits: [{ find: '\tcase MODULE_STATE_GOING:\n\t\tpi_remove_file(mod);\n\t\tbreak;\n', replace: '' }],
    expect: 'flag',
  },
  {
    name: 'srcu_module_notify without its GOING case',
    ...self('kernel/rcu/srcutree.c'),
    edits: [{ find: '\tcase MODULE_STATE_GOING:\n\t\tsrcu_module_going(mod);\n\t\tbreak;\n', replace: '' }],
    expect: 'flag',
  },
  {
    name: 'trace_module_notify (trace.c) without its GOING case',
    ...self('kernel/trace/trace.c'),
    edits: [{ find: '\tcase MODULE_STATE_GOING:\n\t\ttrace_module_remove_evals(mod);\n\t\tbreak;\n', replace: '' }],
    expect: 'flag',
  },
  {
    name: 'trace_module_notify (trace_events.c) without its GOING case',
    ...self('kernel/trace/trace_events.c'),
    edits: [{ find: '\tcase MODULE_STATE_GOING:\n\t\ttrace_module_remove_events(mod);\n\t\tbreak;\n', replace: '' }],
    expect: 'flag',
  },
  {
    name: 'tracepoint_module_notify with an empty GOING case',
    ...self('kernel/tracepoint.c'),
    edits: [{ find: '\t\ttracepoint_module_going(mod);\n', replace: '' }],
    expect: 'flag',
    why: 'the case label stays, its body goes: GOING named but not handled',
  },
  {
    name: 'ddebug_module_notify without its GOING case',
    ...self('lib/dynamic_debug.c'),
    edits: [{ find: '\tcase MODULE_STATE_GOING:\n\t\tddebug_remove_module(mod->name);\n\t\tbreak;\n', replace: '' }],
    expect: 'flag',
  },
  {
    name: 'ei_module_callback without its else-if GOING branch',
    ...self('lib/error-inject.c'),
    edits: [{ find: '\n\telse if (val == MODULE_STATE_GOING)\n\t\tmodule_unload_ei_list(mod);', replace: '' }],
    expect: 'flag',
  },
  {
    name: 'bpf_event_notify: guard lets only COMING through, GOING case gone',
    ...self('kernel/trace/bpf_trace.c'),
    edits: [
      { find: '(op != MODULE_STATE_COMING && op != MODULE_STATE_GOING))', replace: 'op != MODULE_STATE_COMING)' },
      {
        find: '\tcase MODULE_STATE_GOING:\n\t\tlist_for_each_entry_safe(btm, tmp, &bpf_trace_modules, list) {\n\t\t\tif (btm->module == module) {\n\t\t\t\tlist_del(&btm->list);\n\t\t\t\tkfree(btm);\n\t\t\t\tbreak;\n\t\t\t}\n\t\t}\n\t\tbreak;\n',
        replace: '',
      },
    ],
    expect: 'flag',
    why: 'kzalloc + list_add on COMING, never taken off: a certain setup, no naming guess needed',
  },
  {
    name: 'btf_module_notify: GOING dropped from the guard and the switch',
    ...self('kernel/bpf/btf.c'),
    edits: [
      { find: '(op != MODULE_STATE_COMING && op != MODULE_STATE_LIVE &&\n\t     op != MODULE_STATE_GOING))', replace: '(op != MODULE_STATE_COMING && op != MODULE_STATE_LIVE))' },
      { find: '\tcase MODULE_STATE_GOING:\n\t\tmutex_lock(&btf_module_mutex);', replace: '\tcase MODULE_STATE_UNFORMED:\n\t\tmutex_lock(&btf_module_mutex);' },
    ],
    expect: 'flag',
    why: 'the GOING arm turned into an arm for a state that never tears down',
  },
  {
    name: 'seed 002: enum module_state gains MODULE_STATE_FORMED',
    file: 'include/linux/module.h',
    indexPaths: NOTIFIER_FILES,
    edits: [{ find: '\tMODULE_STATE_UNFORMED,\t/* Still setting it up. */\n};', replace: '\tMODULE_STATE_UNFORMED,\t/* Still setting it up. */\n\tMODULE_STATE_FORMED,\n};' }],
    expect: 'flag',
    why: 'the RFC of seed 002: a note lists the 16 notifiers that switch on the state',
  },
  {
    name: 'seed 002: the coming_cleanup GOING chain reversed',
    file: 'kernel/module/main.c',
    indexPaths: [...NOTIFIER_FILES, 'kernel/module/main.c'],
    edits: [
      {
        find: ' coming_cleanup:\n\tmod->state = MODULE_STATE_GOING;\n\tmodule_destroy_params(mod->kp, mod->num_kp);\n\tblocking_notifier_call_chain(&module_notify_list,',
        replace: ' coming_cleanup:\n\tmod->state = MODULE_STATE_GOING;\n\tmodule_destroy_params(mod->kp, mod->num_kp);\n\tblocking_notifier_call_chain_reverse(&module_notify_list,',
      },
    ],
    expect: 'flag',
    why: 'the reviewer\'s suggestion in seed 002: every GOING handler now runs in the other order',
  },
  {
    name: 'seed 002: prepare_coming_module passes the states through a helper',
    file: 'kernel/module/main.c',
    indexPaths: [...NOTIFIER_FILES, 'kernel/module/main.c'],
    edits: [
      {
        find: '\terr = blocking_notifier_call_chain_robust(&module_notify_list,\n\t\t\tMODULE_STATE_COMING, MODULE_STATE_GOING, mod);',
        replace: '\terr = blocking_notifier_call_chain_robust(&module_notify_list,\n\t\t\tval_up, val_down, mod);',
      },
      { find: 'static int prepare_coming_module(struct module *mod)\n{', replace: 'static int prepare_coming_module(struct module *mod, unsigned long val_up, unsigned long val_down)\n{' },
    ],
    expect: 'flag',
    why: 'the RFC\'s prepare_module_state_transaction(): states in variables concern every notifier',
  },

  // ---------------------------------------------------------------- must stay silent
  {
    name: 'static_call_module_notify gains a default case',
    ...self('kernel/static_call_inline.c'),
    edits: [{ find: '\tcase MODULE_STATE_GOING:\n\t\tstatic_call_del_module(mod);\n\t\tbreak;\n', replace: '\tcase MODULE_STATE_GOING:\n\t\tstatic_call_del_module(mod);\n\t\tbreak;\n\tdefault:\n\t\tbreak;\n' }],
    expect: 'clean',
  },
  {
    name: 'jump_label_module_notify: reworded warning on COMING failure',
    ...self('kernel/jump_label.c'),
    edits: [{ find: 'WARN(1, "Failed to allocate memory: jump_label may not work properly.\\n");', replace: 'WARN(1, "jump_label: out of memory adding module %s\\n", mod->name);' }],
    expect: 'clean',
  },
  {
    name: 'pi_module_notify rewritten as an if/else-if chain',
    ...self('kernel/printk/index.c'),
    edits: [
      {
        find: '\tswitch (op) {\n\tcase MODULE_STATE_COMING:\n\t\tpi_create_file(mod);\n\t\tbreak;\n\tcase MODULE_STATE_GOING:\n\t\tpi_remove_file(mod);\n\t\tbreak;\n\tdefault: /* we don\'t care about other module states */\n\t\tbreak;\n\t}\n',
        replace: '\tif (op == MODULE_STATE_COMING)\n\t\tpi_create_file(mod);\n\telse if (op == MODULE_STATE_GOING)\n\t\tpi_remove_file(mod);\n',
      },
    ],
    expect: 'clean',
  },
  {
    name: 'srcu_module_notify handles LIVE explicitly',
    ...self('kernel/rcu/srcutree.c'),
    edits: [{ find: '\tcase MODULE_STATE_GOING:\n\t\tsrcu_module_going(mod);\n\t\tbreak;\n', replace: '\tcase MODULE_STATE_LIVE:\n\t\tbreak;\n\tcase MODULE_STATE_GOING:\n\t\tsrcu_module_going(mod);\n\t\tbreak;\n' }],
    expect: 'clean',
  },
  {
    name: 'tracepoint_module_notify drops its empty LIVE and UNFORMED cases',
    ...self('kernel/tracepoint.c'),
    edits: [
      { find: '\tcase MODULE_STATE_LIVE:\n\t\tbreak;\n\tcase MODULE_STATE_GOING:\n\t\ttracepoint_module_going(mod);\n\t\tbreak;\n\tcase MODULE_STATE_UNFORMED:\n\t\tbreak;\n', replace: '\tcase MODULE_STATE_GOING:\n\t\ttracepoint_module_going(mod);\n\t\tbreak;\n' },
    ],
    expect: 'clean',
  },
  {
    name: 'ei_module_callback rewritten as a switch',
    ...self('lib/error-inject.c'),
    edits: [
      {
        find: '\tif (val == MODULE_STATE_COMING)\n\t\tmodule_load_ei_list(mod);\n\telse if (val == MODULE_STATE_GOING)\n\t\tmodule_unload_ei_list(mod);\n',
        replace: '\tswitch (val) {\n\tcase MODULE_STATE_COMING:\n\t\tmodule_load_ei_list(mod);\n\t\tbreak;\n\tcase MODULE_STATE_GOING:\n\t\tmodule_unload_ei_list(mod);\n\t\tbreak;\n\t}\n',
      },
    ],
    expect: 'clean',
  },
  {
    name: 'kprobes_module_callback: COMING block gains a check',
    ...self('kernel/kprobes.c'),
    edits: [{ find: '\t\tmutex_lock(&kprobe_mutex);\n\t\tadd_module_kprobe_blacklist(mod);', replace: '\t\tmutex_lock(&kprobe_mutex);\n\t\tif (mod->num_kprobe_blacklist)\n\t\t\tadd_module_kprobe_blacklist(mod);' }],
    expect: 'clean',
    why: 'the COMING work is undone in code shared by LIVE and GOING after a != guard',
  },
  {
    name: 'trace_kprobe_module_callback (COMING only by design) reworded',
    ...self('kernel/trace/trace_kprobe.c'),
    edits: [{ find: '\t/* Update probes on coming module */\n', replace: '\t/* Re-arm probes that were waiting for this module */\n' }],
    expect: 'clean',
    why: 'kprobes\' own notifier disarms the probes on GOING; register_module_trace_kprobe() has no undo',
  },
  {
    name: 'trace_printk format notifier (formats kept forever) gains a check',
    ...self('kernel/trace/trace_printk.c'),
    edits: [{ find: '\t\tif (val == MODULE_STATE_COMING)\n\t\t\thold_module_trace_bprintk_format(start, end);', replace: '\t\tif (val == MODULE_STATE_COMING && start != end)\n\t\t\thold_module_trace_bprintk_format(start, end);' }],
    expect: 'clean',
  },
  {
    name: 'gcov_module_notifier (GOING only) edited',
    ...self('kernel/gcov/base.c'),
    edits: [{ find: '\tif (event != MODULE_STATE_GOING)\n\t\treturn NOTIFY_OK;', replace: '\tif (event != MODULE_STATE_GOING)\n\t\treturn NOTIFY_DONE;' }],
    expect: 'clean',
  },
  {
    name: 'enum module_state: a comment reworded, no new state',
    file: 'include/linux/module.h',
    indexPaths: NOTIFIER_FILES,
    edits: [{ find: '\tMODULE_STATE_UNFORMED,\t/* Still setting it up. */', replace: '\tMODULE_STATE_UNFORMED,\t/* Still being set up. */' }],
    expect: 'clean',
  },
  {
    name: 'load_module: GOING chain call reformatted, klp call moved before it',
    file: 'kernel/module/main.c',
    indexPaths: [...NOTIFIER_FILES, 'kernel/module/main.c'],
    edits: [
      {
        find: '\tmodule_destroy_params(mod->kp, mod->num_kp);\n\tblocking_notifier_call_chain(&module_notify_list,\n\t\t\t\t     MODULE_STATE_GOING, mod);\n\tklp_module_going(mod);',
        replace: '\tmodule_destroy_params(mod->kp, mod->num_kp);\n\tklp_module_going(mod);\n\tblocking_notifier_call_chain(&module_notify_list, MODULE_STATE_GOING, mod);',
      },
    ],
    expect: 'clean',
    why: 'still a protocol call (plain chain, GOING)',
  },
];
