// Ops structures whose `struct module *owner` (or `.module`, `.me`, ...) field is how the kernel
// keeps a module loaded while its callbacks can still be entered: the core takes
// try_module_get(ops->owner) (or fops_get()) before calling in and drops it afterwards. Left NULL,
// nothing pins the module: rmmod succeeds while a file is open or a socket/regulator/phy is held,
// and the next call (or the final release) runs in freed module memory.
//
// Kept as data. Every entry names the core code that takes the reference (`pin`), and
// test/engine/owner.test.ts checks against Linux 6.12 that the field exists in the named header
// and that the pin text stands in the named core file. Types whose registration fills the owner
// itself are deliberately absent: `*_driver` structs (module_platform_driver() & co. pass
// THIS_MODULE), nls_table (register_nls() macro), mtd_part_parser (register_mtd_parser() macro),
// gpio_chip (gpiolib falls back to THIS_MODULE of the parent driver), nvmem_config (falls back
// to the device's driver), tty_driver (tty_alloc_driver() macro), and proc_ops (no owner at all).
// Types whose owner field exists but is not what pins the module are absent too: uart_driver
// (serial_core allocates the tty_driver with its own THIS_MODULE), proto_ops (a socket is pinned
// by its struct proto through sk_alloc(); internal sockets such as tun's never go through
// __sock_create()), ib_device_ops (partial tables merged by ib_set_device_ops()), cpuidle_driver
// (registering the cpuidle devices pins the owner for good, so the one unloadable idle driver,
// haltpoll, leaves it NULL on purpose).
import { blankCommentsAndStrings, lineIndex } from '../../c/lex.js';
import type { FileFacts, FunctionFacts, StructInit } from '../../c/types.js';
import { flatten } from '../../c/walk.js';

export interface OwnedOps {
  /** `struct <type>`. */
  type: string;
  /** The `struct module *` field; a dotted path for a nested one (`base.cra_module`). */
  field: string;
  /** Header (under include/) declaring the type with that field. */
  header: string;
  /** The core code that takes the module reference from the field: a file and a text in it. */
  pin: { file: string; text: string };
  /** What is in use while the reference is held (for the message). */
  while: string;
  /** Objects of this type the core never pins through the field (its own built-ins). */
  exempt?: (fields: Map<string, string>) => boolean;
  /**
   * The object reaches the pinning code only through these calls: an object the file never
   * passes to one (dax's kern_mount()-only pseudo filesystem, ATM's internal signalling devices)
   * is never pinned through the field, so it is not judged.
   */
  usedBy?: string[];
}

const E = (type: string, field: string, header: string, file: string, text: string, use: string, more: Pick<OwnedOps, 'exempt' | 'usedBy'> = {}): OwnedOps => ({
  type,
  field,
  header,
  pin: { file, text },
  while: use,
  ...more,
});

/** x_tables' own standard/error targets: owned by the table core, which its tables pin. */
const builtinTarget = (f: Map<string, string>) => /^(XT_STANDARD_TARGET|XT_ERROR_TARGET|EBT_STANDARD_TARGET|"standard"|"ERROR")$/.test(f.get('name') ?? '');

export const OWNED_OPS: readonly OwnedOps[] = [
  E('file_operations', 'owner', 'linux/fs.h', 'fs/char_dev.c', 'fops = fops_get(p->ops);', 'a file on it is open'),
  E('block_device_operations', 'owner', 'linux/blkdev.h', 'block/bdev.c', 'try_module_get(disk->fops->owner)', 'the block device is open'),
  E('net_proto_family', 'owner', 'linux/net.h', 'net/socket.c', 'try_module_get(pf->owner)', 'a socket of the family is being created'),
  E('proto', 'owner', 'net/sock.h', 'net/core/sock.c', 'try_module_get(prot->owner)', 'a socket of the protocol exists'),
  E('reset_controller_dev', 'owner', 'linux/reset-controller.h', 'drivers/reset/core.c', 'try_module_get(rcdev->owner)', 'a consumer holds one of its resets'),
  E('file_system_type', 'owner', 'linux/fs.h', 'fs/filesystems.c', 'try_module_get(fs->owner)', 'the filesystem is mounted', { usedBy: ['register_filesystem'] }),
  E('phy_ops', 'owner', 'linux/phy/phy.h', 'drivers/phy/phy-core.c', 'try_module_get(phy->ops->owner)', 'a consumer holds the phy'),
  E('watchdog_ops', 'owner', 'linux/watchdog.h', 'drivers/watchdog/watchdog_dev.c', 'try_module_get(wdd->ops->owner)', '/dev/watchdog is open'),
  E('fb_ops', 'owner', 'linux/fb.h', 'drivers/video/fbdev/core/fb_chrdev.c', 'try_module_get(info->fbops->owner)', 'the framebuffer device is open'),
  E('v4l2_file_operations', 'owner', 'media/v4l2-dev.h', 'include/media/v4l2-dev.h', 'vdev->fops->owner', 'the video device node is open'),
  E('tty_ldisc_ops', 'owner', 'linux/tty_ldisc.h', 'drivers/tty/tty_ldisc.c', 'try_module_get(ldops->owner)', 'a tty uses the line discipline'),
  E('scsi_host_template', 'module', 'scsi/scsi_host.h', 'drivers/scsi/scsi.c', 'try_module_get(sdev->host->hostt->module)', 'a SCSI device of the host is in use'),
  E('crypto_alg', 'cra_module', 'linux/crypto.h', 'crypto/api.c', 'try_module_get(alg->cra_module)', 'a transform of the algorithm exists'),
  E('Qdisc_ops', 'owner', 'net/sch_generic.h', 'net/sched/sch_api.c', 'try_module_get(q->owner)', 'a qdisc of the kind is attached'),
  E('tcf_proto_ops', 'owner', 'net/sch_generic.h', 'net/sched/cls_api.c', 'try_module_get(t->owner)', 'a classifier of the kind is attached'),
  E('tc_action_ops', 'owner', 'net/act_api.h', 'net/sched/act_api.c', 'try_module_get(a->owner)', 'an action of the kind exists'),
  E('tcp_congestion_ops', 'owner', 'net/tcp.h', 'net/ipv4/tcp_cong.c', 'bpf_try_module_get(ca, ca->owner)', 'a socket uses the congestion control'),
  E('xt_match', 'me', 'linux/netfilter/x_tables.h', 'net/netfilter/x_tables.c', 'try_module_get(m->me)', 'a rule uses the match'),
  E('xt_target', 'me', 'linux/netfilter/x_tables.h', 'net/netfilter/x_tables.c', 'try_module_get(t->me)', 'a rule uses the target', { exempt: builtinTarget }),
  E('nft_expr_type', 'owner', 'net/netfilter/nf_tables.h', 'net/netfilter/nf_tables_api.c', 'try_module_get(type->owner)', 'a rule uses the expression'),
  E('nft_object_type', 'owner', 'net/netfilter/nf_tables.h', 'net/netfilter/nf_tables_api.c', 'try_module_get(type->owner)', 'an object of the type exists'),
  E('pinctrl_desc', 'owner', 'linux/pinctrl/pinctrl.h', 'drivers/pinctrl/core.c', 'pctldev->owner = pctldesc->owner;', 'a consumer holds a pin or group'),
  E('regulator_desc', 'owner', 'linux/regulator/driver.h', 'drivers/regulator/core.c', 'rdev->owner = regulator_desc->owner;', 'a consumer holds the regulator'),
  E('atmdev_ops', 'owner', 'linux/atmdev.h', 'net/atm/common.c', 'try_module_get(dev->ops->owner)', 'a VCC is open on the device', { usedBy: ['atm_dev_register'] }),
  E('comedi_driver', 'module', 'linux/comedi/comedidev.h', 'drivers/comedi/drivers.c', 'try_module_get(driv->module)', 'a device is attached to the driver'),
  E('target_type', 'module', 'linux/device-mapper.h', 'drivers/md/dm-target.c', 'try_module_get(tt->module)', 'a table uses the target'),
  E('linux_binfmt', 'module', 'linux/binfmts.h', 'fs/exec.c', 'try_module_get(fmt->module)', 'a program of the format is being loaded'),
  E('hdlc_proto', 'module', 'linux/hdlc.h', 'drivers/net/wan/hdlc.c', 'try_module_get(proto->module)', 'an interface uses the protocol'),
  E('config_item_type', 'ct_owner', 'linux/configfs.h', 'fs/configfs/dir.c', 'new_item_owner = type->ct_owner;', 'an item of the type exists'),
  E('dm_dirty_log_type', 'module', 'linux/dm-dirty-log.h', 'drivers/md/dm-log.c', 'try_module_get(log_type->module)', 'a dirty log of the type exists'),
  E('scsi_device_handler', 'module', 'scsi/scsi_dh.h', 'drivers/scsi/scsi_dh.c', 'try_module_get(scsi_dh->module)', 'a device is attached to the handler'),
  E('parport_operations', 'owner', 'linux/parport.h', 'drivers/parport/share.c', 'try_module_get(port->ops->owner)', 'a device has claimed the port'),
  E('pppox_proto', 'owner', 'linux/if_pppox.h', 'drivers/net/ppp/pppox.c', 'try_module_get(pppox_protos[protocol]->owner)', 'a socket of the protocol is being created'),
  E('p9_trans_module', 'owner', 'net/9p/transport.h', 'net/9p/mod.c', 'try_module_get(t->owner)', 'a 9p mount uses the transport'),
  E('quota_format_type', 'qf_owner', 'linux/quota.h', 'fs/quota/dquot.c', 'try_module_get(actqf->qf_owner)', 'quotas of the format are on'),
  E('cpufreq_governor', 'owner', 'linux/cpufreq.h', 'drivers/cpufreq/cpufreq.c', 'try_module_get(policy->governor->owner)', 'a policy uses the governor'),
  E('iommu_ops', 'owner', 'linux/iommu.h', 'drivers/iommu/iommu.c', 'try_module_get(ops->owner)', 'a device is bound to the IOMMU'),
  E('pmu', 'module', 'linux/perf_event.h', 'kernel/events/core.c', 'try_module_get(pmu->module)', 'an event on the PMU exists'),
  E('iscsi_transport', 'owner', 'scsi/scsi_transport_iscsi.h', 'drivers/scsi/scsi_transport_iscsi.c', 'try_module_get(transport->owner)', 'a session uses the transport'),
  E('i2c_adapter', 'owner', 'linux/i2c.h', 'drivers/i2c/i2c-core-base.c', 'try_module_get(adapter->owner)', 'a client holds the adapter'),
  E('ip_set_type', 'me', 'linux/netfilter/ipset/ip_set.h', 'net/netfilter/ipset/ip_set_core.c', 'try_module_get((*found)->me)', 'a set of the type exists'),
  E('nf_conntrack_helper', 'me', 'net/netfilter/nf_conntrack_helper.h', 'net/netfilter/nf_conntrack_helper.c', 'try_module_get(h->me)', 'a connection uses the helper'),
  E('ip_vs_scheduler', 'module', 'net/ip_vs.h', 'net/netfilter/ipvs/ip_vs_sched.c', 'try_module_get(sched->module)', 'a service uses the scheduler'),
  E('nft_chain_type', 'owner', 'net/netfilter/nf_tables.h', 'net/netfilter/nf_tables_api.c', 'try_module_get(type->owner)', 'a chain of the type exists'),
  E('snd_soc_card', 'owner', 'sound/soc.h', 'sound/soc/soc-core.c', 'card->owner, 0, &card->snd_card);', 'a PCM or control device of the card is open'),
];

const BY_TYPE = new Map(OWNED_OPS.map((o) => [o.type, o]));

export function ownedOpsFor(type: string): OwnedOps | undefined {
  return BY_TYPE.get(type);
}

/**
 * Registration calls for objects filled in at run time (embedded in a private struct): the
 * owner has to be assigned before the call. `arg` is the argument naming the object.
 */
export interface RuntimeRegistration {
  callee: string;
  arg: number;
  type: string;
}

export const RUNTIME_REGISTRATIONS: readonly RuntimeRegistration[] = [
  { callee: 'reset_controller_register', arg: 0, type: 'reset_controller_dev' },
  { callee: 'devm_reset_controller_register', arg: 1, type: 'reset_controller_dev' },
  { callee: 'snd_soc_register_card', arg: 0, type: 'snd_soc_card' },
  { callee: 'devm_snd_soc_register_card', arg: 1, type: 'snd_soc_card' },
];

// ---------------------------------------------------------------- where the module can go away

/**
 * Can this file's module be unloaded while its ops are in use? Only a modular file counts, and
 * a module with module_init but no module_exit can never be unloaded (delete_module() refuses),
 * so ops there cannot outlive the module: built-in code that uses module_init() as an initcall
 * (mm/vmscan.c, block/fops.c) falls out here too. A file without init or exit that says
 * MODULE_LICENSE() is a library module or part of one: it can be unloaded. A module that pins
 * itself for good (`__module_get(THIS_MODULE)` in init) cannot.
 */
export function unloadable(facts: FileFacts, kind?: 'module' | 'builtin'): boolean {
  // kbuild knows better than the file's own markers: a member of a module (netdevsim's
  // health.c has no module_init of its own) can be unloaded; bool-only code cannot.
  if (kind === 'builtin' || /\.h$/.test(facts.path)) return false;
  if (!facts.modular && kind !== 'module') return false;
  const inits = facts.moduleEntries.filter((e) => e.kind === 'init');
  const exits = facts.moduleEntries.filter((e) => e.kind === 'exit');
  if (inits.length && !exits.length) return false;
  const initNames = new Set(inits.map((e) => e.fn));
  const pinsItself = facts.functions.some((f) => (initNames.has(f.name) || f.section === 'init') && f.calls.some((c) => c.callee === '__module_get' && c.args[0] === 'THIS_MODULE'));
  return !pinsItself;
}

export interface OwnerAssign {
  fn: FunctionFacts;
  lhs: string;
  rhs: string;
  line: number;
}

/** Run-time assignments to a `.<field>`/`-><field>` anywhere in the file (`vreg->desc.owner = THIS_MODULE`). */
export function runtimeOwnerAssigns(facts: FileFacts, field: string): OwnerAssign[] {
  const last = field.split('.').pop()!;
  const re = new RegExp(`(\\.|->)\\s*${last}$`);
  const out: OwnerAssign[] = [];
  for (const fn of facts.functions) {
    for (const s of flatten(fn.body)) {
      if (s.k !== 'expr' && s.k !== 'decl') continue;
      for (const a of s.assigns ?? []) if (a.op === '=' && re.test(a.lhs.replace(/\s+/g, ''))) out.push({ fn, lhs: a.lhs.replace(/\s+/g, ''), rhs: a.rhs, line: s.line });
    }
  }
  return out;
}

// ---------------------------------------------------------------- the initialiser as written

export interface InitializerText {
  /** First and last line of the braces (the element's, for an array element). */
  startLine: number;
  endLine: number;
  /** The owner field is named somewhere in it (also under #ifdef, which the facts may not see). */
  namesField: boolean;
  /**
   * An item that is not `.field = value`: a macro such as ATA_BMDMA_SHT(name) or an #include
   * that may well set the owner. The rule cannot see through it and stays silent.
   */
  opaque: boolean;
}

/** Offset of the matching close brace for the `{` at `open`, in comment/string-blanked code. */
function matchBrace(code: string, open: number): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    const c = code[i];
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

/** Top-level items of a brace list's inside, split on commas; with their offsets. */
function items(code: string, from: number, to: number): { text: string; at: number }[] {
  const out: { text: string; at: number }[] = [];
  let depth = 0;
  let start = from;
  for (let i = from; i <= to; i++) {
    const c = i === to ? ',' : code[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      const raw = code.slice(start, i);
      const lead = raw.length - raw.trimStart().length;
      if (raw.trim()) out.push({ text: raw.trim(), at: start + lead });
      start = i + 1;
    }
  }
  return out;
}

/** Does a list (or a nested list on the owner field's path) hold an item we cannot read? */
function listOpaque(code: string, open: number, close: number, path: string[]): boolean {
  for (const it of items(code, open + 1, close)) {
    // `[IDX] = PCF50633_REGULATOR(...)`: an array element written by a macro.
    if (/^\[[^\]]*\]\s*=\s*[A-Za-z_]/.test(it.text)) return true;
    if (it.text.startsWith('.') || it.text.startsWith('[')) {
      const m = /^\.\s*(\w+)\s*=\s*\{/.exec(it.text);
      if (m && path.length > 1 && m[1] === path[0]) {
        const o = it.at + it.text.indexOf('{');
        const c = matchBrace(code, o);
        if (c > 0 && listOpaque(code, o, c, path.slice(1))) return true;
      }
      continue;
    }
    // `ATA_BMDMA_SHT(DRV_NAME),` or `LIBSAS_SHT_BASE` (no comma: it runs into the next item).
    if (/^[A-Za-z_]/.test(it.text)) return true;
  }
  return false;
}

/**
 * The initialiser of `init` as written in the source, read lexically: the facts flatten only
 * designated fields, so a macro item or a field under #ifdef would otherwise look like a missing
 * owner. Null when it cannot be found (the rule then stays silent).
 */
let memo: { source: string; code: string; noPre: string; lineOf: (o: number) => number; starts: number[] } | undefined;

/** Comment/string-blanked code of a source (and a copy with preprocessor lines blanked), memoised. */
function lexed(source: string) {
  if (memo?.source !== source) {
    const code = blankCommentsAndStrings(source);
    const starts = [0];
    for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) starts.push(i + 1);
    memo = { source, code, noPre: code.replace(/^[ \t]*#.*$/gm, (l) => ' '.repeat(l.length)), lineOf: lineIndex(source), starts };
  }
  return memo;
}

export function initializerText(source: string, init: StructInit, field: string): InitializerText | null {
  const { code, noPre, lineOf, starts } = lexed(source);
  const base = init.name.split('[')[0]!;
  const pos = starts[init.line - 1] ?? 0;
  // `prio_qdisc_ops __read_mostly = {`, `foo[] __initconst = {`: attributes may stand before the `=`.
  // Each attribute is a whole word after white space, and brackets and parentheses do not nest,
  // so the text splits one way only: `(__\w+\s*)*` could cut a run of underscores into `__\w+`
  // pieces in exponentially many ways (a later `foo_ops ____…x` took seconds).
  const decl = new RegExp(`\\b${base}(?:\\s*\\[[^\\[\\]]*\\])*(?:\\s+__\\w+(?:\\s*\\([^()]*\\))?)*\\s*=\\s*\\{`, 'g');
  decl.lastIndex = pos;
  const m = decl.exec(code);
  if (!m) return null;
  // `const struct regulator_desc *descs[] = { &a, &b }`: pointers, not the structures themselves.
  if (/\*\s*(const\s+)?$/.test(code.slice(Math.max(0, m.index - 40), m.index))) return null;
  let open = m.index + m[0].length - 1;
  let close = matchBrace(code, open);
  if (close < 0) return null;
  if (init.name !== base) {
    // An array element: the `{...}` item holding the element's first field.
    const first = init.fields[0]?.line;
    if (first === undefined) return null;
    const el = items(code, open + 1, close).find((it) => {
      const o = it.at + it.text.indexOf('{');
      if (it.text.indexOf('{') < 0) return false;
      const c = matchBrace(code, o);
      return lineOf(o) <= first && lineOf(c) >= first;
    });
    if (!el) return null;
    open = el.at + el.text.indexOf('{');
    close = matchBrace(code, open);
  }
  const text = code.slice(open, close + 1);
  const last = field.split('.').pop()!;
  const namesField = new RegExp(`\\.\\s*${last}\\s*=`).test(text);
  // Preprocessor lines inside: `#include "x_ops.h"` adds unknown fields; `#ifdef` is harmless.
  const opaque = /^[ \t]*#[ \t]*include\b/m.test(text) || listOpaque(noPre, open, close, field.split('.'));
  return { startLine: lineOf(open), endLine: lineOf(close), namesField, opaque };
}
