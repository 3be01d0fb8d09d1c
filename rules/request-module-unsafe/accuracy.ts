// Accuracy corpus of request-module-unsafe (scripts/accuracy.ts). Must flag: the alias prefixes of
// Linux 6.12 removed ("netdev-%s" as before 8909c9ad8ff0, "fs-", "crypto-", "tcp_", "tcp-ulp-",
// "team-mode-", "zpool-", the net/sched NET_*_ALIAS_PREFIX macros over netlink attributes), waiting
// requests put into module init and an async_schedule() worker, a request loop that lost its
// break, the same module requested from a second function. Must stay silent: real-style fixes
// (a literal prefix for a macro one), benign edits next to requests whose names are fixed, from
// a table, numeric or CAP_SYS_MODULE-guarded, and edits near requests already in 6.12.
import type { AccuracyCase } from '../../src/engine/accuracy.js';

const corpus: AccuracyCase[] = [
  // ---------------------------------------------------------------- must flag
  {
    name: 'dev_load as before 8909c9ad8ff0 (CVE-2011-1019)',
    file: 'net/core/dev_ioctl.c',
    edits: [
      {
        find: '\tno_module = !dev;\n\tif (no_module && capable(CAP_NET_ADMIN))\n\t\tno_module = request_module("netdev-%s", name);\n\tif (no_module && capable(CAP_SYS_MODULE))\n\t\trequest_module("%s", name);\n',
        replace: '\tno_module = !dev;\n\tif (no_module && capable(CAP_NET_ADMIN))\n\t\trequest_module("%s", name);\n',
      },
    ],
    expect: 'flag',
    why: 'the precedent undone: CAP_NET_ADMIN could load any module by interface name',
  },
  {
    name: 'tc_action_load_ops: netlink action kind without NET_ACT_ALIAS_PREFIX',
    file: 'net/sched/act_api.c',
    edits: [{ find: 'request_module(NET_ACT_ALIAS_PREFIX "%s", act_name);', replace: 'request_module("%s", act_name);' }],
    expect: 'flag',
    why: 'the name is nla_strscpy()ed from the TCA_ACT_KIND attribute: userspace data',
  },
  {
    name: 'qdisc_create: netlink qdisc kind without NET_SCH_ALIAS_PREFIX',
    file: 'net/sched/sch_api.c',
    edits: [{ find: 'request_module(NET_SCH_ALIAS_PREFIX "%s", name);', replace: 'request_module("%s", name);', nth: 2 }],
    expect: 'flag',
  },
  {
    name: 'tcf_proto_lookup_ops: classifier kind without NET_CLS_ALIAS_PREFIX',
    file: 'net/sched/cls_api.c',
    edits: [{ find: 'request_module(NET_CLS_ALIAS_PREFIX "%s", kind);', replace: 'request_module("%s", kind);' }],
    expect: 'flag',
  },
  {
    name: 'get_fs_type without the "fs-" alias namespace',
    file: 'fs/filesystems.c',
    edits: [{ find: 'request_module("fs-%.*s", len, name)', replace: 'request_module("%.*s", len, name)' }],
    expect: 'flag',
    why: 'the mount(2) type string would name any module',
  },
  {
    name: 'crypto_larval_lookup without the "crypto-" alias namespace',
    file: 'crypto/api.c',
    edits: [{ find: '\t\trequest_module("crypto-%s", name);\n', replace: '\t\trequest_module("%s", name);\n' }],
    expect: 'flag',
  },
  {
    name: 'tcp_ca_find_autoload without the "tcp_" prefix',
    file: 'net/ipv4/tcp_cong.c',
    edits: [{ find: 'request_module("tcp_%s", name);', replace: 'request_module("%s", name);' }],
    expect: 'flag',
  },
  {
    name: '__tcp_ulp_find_autoload without the "tcp-ulp-" prefix',
    file: 'net/ipv4/tcp_ulp.c',
    edits: [{ find: 'request_module("tcp-ulp-%s", name);', replace: 'request_module(name);' }],
    expect: 'flag',
    why: 'the name is also the format string',
  },
  {
    name: 'team_mode_get without the "team-mode-" prefix',
    file: 'drivers/net/team/team_core.c',
    edits: [{ find: 'request_module("team-mode-%s", kind);', replace: 'request_module("%s", kind);' }],
    expect: 'flag',
  },
  {
    name: 'zpool_has_pool without the "zpool-" prefix',
    file: 'mm/zpool.c',
    edits: [{ find: 'request_module("zpool-%s", type);', replace: 'request_module("%s", type);', nth: 1 }],
    expect: 'flag',
  },
  {
    name: 'amd64_edac_init waits for amd_atl (request_module_nowait -> request_module)',
    file: 'drivers/edac/amd64_edac.c',
    edits: [{ find: '\trequest_module_nowait("amd_atl");', replace: '\trequest_module("amd_atl");' }],
    expect: 'flag',
    why: 'a waiting request in module init (a note)',
  },
  {
    name: 'lowpan_module_init waits for nhc_udp',
    file: 'net/6lowpan/core.c',
    edits: [{ find: '\trequest_module_nowait("nhc_udp");', replace: '\trequest_module("nhc_udp");' }],
    expect: 'flag',
  },
  {
    name: 'client_use_ptr: the break after the request dropped',
    file: 'sound/core/seq/seq_clientmgr.c',
    edits: [{ find: '\t\t\t\t\t\trequest_module("snd-seq-client-%i",\n\t\t\t\t\t\t\t       clientid);\n\t\t\t\t\t\tbreak;\n', replace: '\t\t\t\t\t\trequest_module("snd-seq-client-%i",\n\t\t\t\t\t\t\t       clientid);\n' }],
    expect: 'flag',
    why: 'the same client module asked for on every matching pass',
  },
  {
    name: 'dasd_generic_auto_online (an async_schedule() worker) waits for the DIAG discipline',
    file: 'drivers/s390/block/dasd.c',
    edits: [{ find: '\tret = ccw_device_set_online(cdev);', replace: '\tif (!dasd_diag_discipline_pointer)\n\t\trequest_module(DASD_DIAG_MOD);\n\tret = ccw_device_set_online(cdev);' }],
    expect: 'flag',
    why: 'deadlock with async_synchronize_full() in do_init_module(); __request_module() WARNs',
  },
  {
    name: 'qat_c62x: adf_probe requests intel_qat again, unconditionally',
    file: 'drivers/crypto/intel/qat/qat_c62x/adf_drv.c',
    edits: [{ find: 'static int adf_probe(struct pci_dev *pdev, const struct pci_device_id *ent)\n{\n', replace: 'static int adf_probe(struct pci_dev *pdev, const struct pci_device_id *ent)\n{\n\trequest_module("intel_qat");\n' }],
    expect: 'flag',
    why: 'init already requests it: one modprobe per probed device on top (a note)',
  },

  // ---------------------------------------------------------------- must stay silent
  {
    name: 'dev_load: comment and variable reworded',
    file: 'net/core/dev_ioctl.c',
    edits: [{ find: '\tno_module = !dev;\n', replace: '\tno_module = !dev;\t/* not registered (yet) */\n' }],
    expect: 'clean',
    why: 'the bare-name request is behind capable(CAP_SYS_MODULE)',
  },
  {
    name: 'qdisc_create: macro prefix spelled as a literal',
    file: 'net/sched/sch_api.c',
    edits: [{ find: 'request_module(NET_SCH_ALIAS_PREFIX "%s", name);', replace: 'request_module("sch_%s", name);', nth: 2 }],
    expect: 'clean',
  },
  {
    name: 'tc_action_load_ops: comment on the rtnl drop',
    file: 'net/sched/act_api.c',
    edits: [{ find: '\t\trequest_module(NET_ACT_ALIAS_PREFIX "%s", act_name);', replace: '\t\t/* the action module registers itself under NET_ACT_ALIAS_PREFIX */\n\t\trequest_module(NET_ACT_ALIAS_PREFIX "%s", act_name);' }],
    expect: 'clean',
  },
  {
    name: 'tcp_ca_find_autoload: capability check per namespace',
    file: 'net/ipv4/tcp_cong.c',
    edits: [{ find: '\tif (!ca && capable(CAP_NET_ADMIN)) {', replace: '\tif (!ca && ns_capable(current_user_ns(), CAP_NET_ADMIN)) {' }],
    expect: 'clean',
  },
  {
    name: 'get_fs_type: reworded warning',
    file: 'fs/filesystems.c',
    edits: [{ find: 'pr_warn_once("request_module fs-%.*s succeeded, but still no fs?\\n",', replace: 'pr_warn_once("loaded fs-%.*s, but it registered no filesystem\\n",' }],
    expect: 'clean',
  },
  {
    name: 'do_map_probe: edit next to a request that predates the patch',
    file: 'drivers/mtd/chips/chipreg.c',
    edits: [{ find: '\tif (!drv)\n\t\treturn NULL;\n\n\tret = drv->probe(map);', replace: '\tif (!drv) {\n\t\tpr_debug("no chip driver %s\\n", name);\n\t\treturn NULL;\n\t}\n\n\tret = drv->probe(map);' }],
    expect: 'clean',
    why: 'differential: the finding on the unprefixed caller name is already in 6.12',
  },
  {
    name: 'ir_raw_load_modules: shorter settle delay in the per-protocol loop',
    file: 'drivers/media/rc/rc-main.c',
    edits: [{ find: '\t\tmsleep(20);\n\t\tavailable = ir_raw_get_allowed_protocols();', replace: '\t\tmsleep(10);\n\t\tavailable = ir_raw_get_allowed_protocols();' }],
    expect: 'clean',
    why: 'each pass requests a different module, from a table',
  },
  {
    name: 'client_use_ptr: request stays once per client',
    file: 'sound/core/seq/seq_clientmgr.c',
    edits: [{ find: '\t\t\t\tfor (idx = 0; idx < 15; idx++) {', replace: '\t\t\t\tfor (idx = 0; idx < ARRAY_SIZE(seq_client_load); idx++) {' }],
    expect: 'clean',
  },
  {
    name: 'lowpan_module_init: one more request_module_nowait()',
    file: 'net/6lowpan/core.c',
    edits: [{ find: '\trequest_module_nowait("nhc_udp");', replace: '\trequest_module_nowait("nhc_udp");\n\trequest_module_nowait("nhc_ghc_udp");' }],
    expect: 'clean',
  },
  {
    name: 'pm121_init: sensor requests reordered',
    file: 'drivers/macintosh/windfarm_pm121.c',
    edits: [{ find: '\t\trequest_module("windfarm_smu_sensors");\n\t\trequest_module("windfarm_smu_sat");\n', replace: '\t\trequest_module("windfarm_smu_sat");\n\t\trequest_module("windfarm_smu_sensors");\n' }],
    expect: 'clean',
    why: 'differential: the same requests in init, before and after',
  },
  {
    name: 'rds_trans_get: table-named request, lock comment',
    file: 'net/rds/transport.c',
    edits: [{ find: '\t\tif (rds_trans_modules[t_type])\n\t\t\trequest_module(rds_trans_modules[t_type]);', replace: '\t\t/* the transport module registers itself on load */\n\t\tif (rds_trans_modules[t_type])\n\t\t\trequest_module(rds_trans_modules[t_type]);' }],
    expect: 'clean',
  },
  {
    name: 'snd_request_other: names from a switch of literals',
    file: 'sound/core/sound.c',
    edits: [{ find: '\tcase SNDRV_MINOR_TIMER:\t\tstr = "snd-timer";\tbreak;\n', replace: '\tcase SNDRV_MINOR_TIMER:\t\tstr = "snd-timer";\tbreak;\n\tcase SNDRV_MINOR_SEQUENCER + 1:\tstr = "snd-seq-dummy";\tbreak;\n' }],
    expect: 'clean',
  },
  {
    name: 'dasd_generic_set_online: comment on the DIAG request (not the async worker)',
    file: 'drivers/s390/block/dasd.c',
    edits: [{ find: '\t\t\t/* Try to load the required module. */\n', replace: '\t\t\t/* Try to load the required module; set_online runs in process context. */\n' }],
    expect: 'clean',
  },
  {
    name: 'amd64_edac_init: message near the nowait request',
    file: 'drivers/edac/amd64_edac.c',
    edits: [{ find: '\trequest_module_nowait("amd_atl");\n', replace: '\t/* Address translation is optional: do not wait for it. */\n\trequest_module_nowait("amd_atl");\n' }],
    expect: 'clean',
  },
];

// Each case indexes its own file only: the rule's questions (callers of a static helper, the
// file's init and async functions) are answered there, and a caller of an exported function that
// the index does not see leaves the verdict unchanged (the name still comes from a caller).
export const cases: AccuracyCase[] = corpus.map((c) => ({ indexPaths: [c.file], ...c }));
