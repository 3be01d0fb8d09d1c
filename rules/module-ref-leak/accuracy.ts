// Accuracy corpus of module-ref-leak (scripts/accuracy.ts): real Linux 6.12 functions that take a
// module reference, mutated to drop the module_put() of a failure path, to return past it, to put
// a reference the get never took, or to bring back MOD_INC_USE_COUNT (must flag); and benign
// edits / correct reworks of the same functions (must stay silent).
import type { AccuracyCase } from '../../src/engine/accuracy.js';

export const cases: AccuracyCase[] = [
  // ---------------------------------------------------------------- must flag
  {
    name: '__static_call_mod_text_reserved loses its module_put() (the file also has a stub of the same name)',
    file: 'kernel/static_call_inline.c',
    edits: [{ find: '\tmodule_put(mod);\n\n\treturn ret;', replace: '\treturn ret;' }],
    expect: 'flag',
    why: 'the real body under CONFIG_MODULES, not the #else stub, is the function before the patch',
  },
  {
    name: 'fst_open drops module_put() when hdlc_open() fails',
    file: 'drivers/net/wan/farsync.c',
    edits: [{ find: '\t\tif (err) {\n\t\t\tmodule_put(THIS_MODULE);\n\t\t\treturn err;\n\t\t}', replace: '\t\tif (err)\n\t\t\treturn err;' }],
    expect: 'flag',
    why: 'open() takes try_module_get(THIS_MODULE); the failure return keeps it',
  },
  {
    name: 'cpufreq_init_governor keeps the governor reference when ->init() fails',
    file: 'drivers/cpufreq/cpufreq.c',
    edits: [{ find: '\t\tif (ret) {\n\t\t\tmodule_put(policy->governor->owner);\n\t\t\treturn ret;\n\t\t}', replace: '\t\tif (ret)\n\t\t\treturn ret;' }],
    expect: 'flag',
    why: '`if (ret) return ret;` after a get of another module (governor->owner)',
  },
  {
    name: 'dma_chan_get returns past the module_put_out label',
    file: 'drivers/dma/dmaengine.c',
    edits: [{ find: '\tif (!ret) {\n\t\tret = -ENODEV;\n\t\tgoto module_put_out;\n\t}', replace: '\tif (!ret)\n\t\treturn -ENODEV;' }],
    expect: 'flag',
    why: 'early `return -ENODEV` that skips the unwind ladder holding module_put(owner)',
  },
  {
    name: '__hwspin_lock_request forgets module_put() when the device does not power on',
    file: 'drivers/hwspinlock/hwspinlock_core.c',
    edits: [{ find: '\t\tpm_runtime_put_noidle(dev);\n\t\tmodule_put(dev->driver->owner);\n\t\treturn ret;', replace: '\t\tpm_runtime_put_noidle(dev);\n\t\treturn ret;' }],
    expect: 'flag',
    why: 'pm_runtime_put_noidle(dev) is not a release of dev->driver->owner',
  },
  {
    name: 'snd_ctl_open jumps to the label past module_put() when kzalloc() fails',
    file: 'sound/core/control.c',
    edits: [{ find: '\t\terr = -ENOMEM;\n\t\tgoto __error;', replace: '\t\terr = -ENOMEM;\n\t\tgoto __error2;' }],
    expect: 'flag',
    why: 'a goto to the wrong rung of the ladder: __error2 comes after module_put(card->module)',
  },
  {
    name: 'watchdog_open jumps past out_mod when watchdog_start() fails',
    file: 'drivers/watchdog/watchdog_dev.c',
    edits: [{ find: '\terr = watchdog_start(wdd);\n\tif (err < 0)\n\t\tgoto out_mod;', replace: '\terr = watchdog_start(wdd);\n\tif (err < 0)\n\t\tgoto out_clear;' }],
    expect: 'flag',
    why: 'the get is conditional (`!hw_running && !try_module_get(...)`): the reference may be held',
  },
  {
    name: 'pppox_create returns the ->create() error before module_put()',
    file: 'drivers/net/ppp/pppox.c',
    edits: [{ find: '\trc = pppox_protos[protocol]->create(net, sock, kern);\n', replace: '\trc = pppox_protos[protocol]->create(net, sock, kern);\n\tif (rc)\n\t\treturn rc;\n' }],
    expect: 'flag',
    why: 'a new failure return between a temporary get and its put',
  },
  {
    name: 'comedi_open keeps the driver reference when dev->open() fails',
    file: 'drivers/comedi/comedi_fops.c',
    edits: [{ find: '\t\t\tif (rc < 0) {\n\t\t\t\tmodule_put(dev->driver->module);\n\t\t\t\tgoto out;\n\t\t\t}', replace: '\t\t\tif (rc < 0)\n\t\t\t\tgoto out;' }],
    expect: 'flag',
    why: 'comedi_dev_put(dev) on the way out drops the device, not dev->driver->module',
  },
  {
    name: 'subdev_open returns the internal open() error without the put at err:',
    file: 'drivers/media/v4l2-core/v4l2-subdev.c',
    edits: [{ find: '\t\tret = sd->internal_ops->open(sd, subdev_fh);\n\t\tif (ret < 0)\n\t\t\tgoto err;', replace: '\t\tret = sd->internal_ops->open(sd, subdev_fh);\n\t\tif (ret < 0)\n\t\t\treturn ret;' }],
    expect: 'flag',
    why: 'the reference is stored in a local object (subdev_fh->owner) that is never released on this path',
  },
  {
    name: 'pse_control_get_internal: regulator_is_enabled() failure skips put_module',
    file: 'drivers/net/pse-pd/pse_core.c',
    edits: [{ find: '\tret = regulator_is_enabled(psec->ps);\n\tif (ret < 0)\n\t\tgoto regulator_put;', replace: '\tret = regulator_is_enabled(psec->ps);\n\tif (ret < 0)\n\t\treturn ERR_PTR(ret);' }],
    expect: 'flag',
    why: 'ERR_PTR() return of a pointer-returning lookup',
  },
  {
    name: 'dma_chan_get: a failed try_module_get() jumps to the label that puts it',
    file: 'drivers/dma/dmaengine.c',
    edits: [{ find: '\tif (!try_module_get(owner))\n\t\treturn -ENODEV;', replace: '\tif (!try_module_get(owner)) {\n\t\tret = -ENODEV;\n\t\tgoto module_put_out;\n\t}' }],
    expect: 'flag',
    why: 'module_put() without a matching get: the failure branch of the get reaches module_put(owner)',
  },
  {
    name: 'fst_open ported back to MOD_INC_USE_COUNT',
    file: 'drivers/net/wan/farsync.c',
    edits: [{ find: '\tport = dev_to_port(dev);\n\tif (!try_module_get(THIS_MODULE))\n\t\treturn -EBUSY;\n', replace: '\tport = dev_to_port(dev);\n\tMOD_INC_USE_COUNT;\n' }],
    expect: 'flag',
    why: 'seed 001: the 2.4 use count, gone since 2.6',
  },
  // ---------------------------------------------------------------- must stay silent
  {
    name: 'fst_open: message before the put on hdlc_open() failure',
    file: 'drivers/net/wan/farsync.c',
    edits: [{ find: '\t\tif (err) {\n\t\t\tmodule_put(THIS_MODULE);', replace: '\t\tif (err) {\n\t\t\tpr_debug("hdlc_open failed: %d\\n", err);\n\t\t\tmodule_put(THIS_MODULE);' }],
    expect: 'clean',
  },
  {
    name: 'fst_open: the put moved to a goto ladder',
    file: 'drivers/net/wan/farsync.c',
    edits: [
      { find: '\t\tif (err) {\n\t\t\tmodule_put(THIS_MODULE);\n\t\t\treturn err;\n\t\t}', replace: '\t\tif (err)\n\t\t\tgoto out_put;' },
      { find: '\tfst_openport(port);\n\tnetif_wake_queue(dev);\n\treturn 0;\n}', replace: '\tfst_openport(port);\n\tnetif_wake_queue(dev);\n\treturn 0;\n\nout_put:\n\tmodule_put(THIS_MODULE);\n\treturn err;\n}' },
    ],
    expect: 'clean',
  },
  {
    name: 'cpufreq_init_governor: -EINVAL becomes -ENODEV on a failed get',
    file: 'drivers/cpufreq/cpufreq.c',
    edits: [{ find: '\tif (!try_module_get(policy->governor->owner))\n\t\treturn -EINVAL;', replace: '\tif (!try_module_get(policy->governor->owner))\n\t\treturn -ENODEV;' }],
    expect: 'clean',
    why: '`if (!try_module_get(x)) return -E...;` is not a leak',
  },
  {
    name: 'dma_chan_get: a new failure step that unwinds through the ladder',
    file: 'drivers/dma/dmaengine.c',
    edits: [{ find: '\tchan->client_count++;\n\n\tif (!dma_has_cap', replace: '\tif (WARN_ON(chan->client_count < 0)) {\n\t\tret = -EINVAL;\n\t\tgoto err_out;\n\t}\n\n\tchan->client_count++;\n\n\tif (!dma_has_cap' }],
    expect: 'clean',
  },
  {
    name: 'pse_control_get_internal: a new check that goes to put_module',
    file: 'drivers/net/pse-pd/pse_core.c',
    edits: [{ find: '\tpsec->ps = devm_regulator_get_exclusive(pcdev->dev,', replace: '\tif (index >= pcdev->nr_lines) {\n\t\tret = -EINVAL;\n\t\tgoto put_module;\n\t}\n\n\tpsec->ps = devm_regulator_get_exclusive(pcdev->dev,' }],
    expect: 'clean',
  },
  {
    name: 'watchdog_open: the success path keeps the reference (release() drops it)',
    file: 'drivers/watchdog/watchdog_dev.c',
    edits: [{ find: '\tif (!hw_running)\n\t\tget_device(&wd_data->dev);', replace: '\tif (!hw_running)\n\t\tget_device(&wd_data->dev);\n\n\tpr_debug("watchdog%d opened\\n", wdd->id);' }],
    expect: 'clean',
    why: 'open() returning 0 with the module reference held is the point of the get',
  },
  {
    name: 'snd_ctl_open: a new failure after the get that unwinds through __error',
    file: 'sound/core/control.c',
    edits: [{ find: '\tINIT_LIST_HEAD(&ctl->events);', replace: '\tif (card->shutdown) {\n\t\tkfree(ctl);\n\t\terr = -ENODEV;\n\t\tgoto __error;\n\t}\n\tINIT_LIST_HEAD(&ctl->events);' }],
    expect: 'clean',
  },
  {
    name: 'fst_open: the failure path keeps the reference and says why',
    file: 'drivers/net/wan/farsync.c',
    edits: [{ find: '\t\tif (err) {\n\t\t\tmodule_put(THIS_MODULE);\n\t\t\treturn err;\n\t\t}', replace: '\t\tif (err) {\n\t\t\t/* keep the module reference: fst_close() drops it for the half-open port */\n\t\t\treturn err;\n\t\t}' }],
    expect: 'clean',
    why: 'a path that keeps the reference on purpose and says so in a comment',
  },
  {
    name: 'comedi_open: -ENXIO becomes -ENODEV when the driver module is going',
    file: 'drivers/comedi/comedi_fops.c',
    edits: [{ find: '\t\tif (!try_module_get(dev->driver->module)) {\n\t\t\trc = -ENXIO;', replace: '\t\tif (!try_module_get(dev->driver->module)) {\n\t\t\trc = -ENODEV;' }],
    expect: 'clean',
  },
  {
    name: 'pppox_create: the put kept on the ->create() error path',
    file: 'drivers/net/ppp/pppox.c',
    edits: [{ find: '\trc = pppox_protos[protocol]->create(net, sock, kern);\n', replace: '\trc = pppox_protos[protocol]->create(net, sock, kern);\n\tif (rc)\n\t\tpr_debug("pppox: create failed: %d\\n", rc);\n' }],
    expect: 'clean',
  },
  {
    name: 'subdev_open: the error label gains a debug message',
    file: 'drivers/media/v4l2-core/v4l2-subdev.c',
    edits: [{ find: 'err:\n\tmodule_put(subdev_fh->owner);', replace: 'err:\n\tdev_dbg(sd->dev, "subdev open failed: %d\\n", ret);\n\tmodule_put(subdev_fh->owner);' }],
    expect: 'clean',
    why: 'the put names subdev_fh->owner, the get `owner`: the only module reference held',
  },
];
