// ops-missing-owner: an ops structure whose `struct module *owner` field the core reads to pin
// the module (try_module_get(ops->owner), fops_get()) is set up in unloadable module code without
// `.owner = THIS_MODULE`. Nothing then keeps the module loaded while the ops are in use: rmmod
// succeeds with a file open or a resource held, and the next call — at the latest the release —
// jumps into freed module memory. Precedents dea6e19f4ef7 (tap cdev) and 13e8a05b9224 (reset).
import { resourceIdentity } from '../../src/c/lex.js';
import { flatten } from '../../src/c/walk.js';
import type { FileFacts, FunctionFacts, StructInit } from '../../src/c/types.js';
import { createRule } from '../../src/engine/rule.js';
import { meta } from './meta.js';
import {
  initializerText,
  ownedOpsFor,
  RUNTIME_REGISTRATIONS,
  runtimeOwnerAssigns,
  unloadable,
  type OwnedOps,
} from '../../src/engine/kernel/owner.js';
import type { RawFinding } from '../../src/engine/types.js';
import { fix } from './fix.js';

/**
 * File operations reached through inodes of a filesystem the module registers (`i_fop`,
 * simple_fill_super() tables): an open file pins the mount, the superblock pins the
 * file_system_type and with it the module, so their `.owner` is not needed (fs/ code leaves it out).
 */
function filesystemFops(facts: FileFacts, name: string): boolean {
  if (facts.structInits.some((s) => s.type === 'file_system_type')) return true;
  if (facts.functions.some((f) => f.calls.some((c) => c.callee === 'register_filesystem'))) return true;
  if (facts.globalRefs.some((r) => r.name === name && (r.field === 'i_fop' || r.inType === 'tree_descr'))) return true;
  return facts.functions.some((f) => f.body.length > 0 && iFopAssigned(f, name));
}

function iFopAssigned(fn: FunctionFacts, name: string): boolean {
  const re = /(^|[^\w])i_fop$/;
  return flatten(fn.body).some((s) => (s.k === 'expr' || s.k === 'decl') && !!s.assigns?.some((a) => re.test(a.lhs.replace(/\s+/g, '')) && resourceIdentity(a.rhs) === name));
}

/**
 * Run-time owner assignments that stand for a missing initialiser field: templates copied into
 * a private struct and completed there (`vreg->desc.owner = THIS_MODULE`, `kvm_vcpu_fops.owner =
 * module`). A cdev's own owner (`x->cdev.owner`) says nothing about the ops.
 */
function ownerSetAtRuntime(facts: FileFacts, ops: OwnedOps): boolean {
  return runtimeOwnerAssigns(facts, ops.field).some((a) => !/(^|[.>])cdev(\.|->)owner$/.test(a.lhs));
}

/**
 * File operations installed in a cdev whose own owner is set (`cdev_init(&pht->cdev, &fops);
 * pht->cdev.owner = THIS_MODULE;`): chrdev_open()'s cdev_get() pins the module through the cdev,
 * so the open file keeps it loaded even without fops.owner.
 */
function pinnedByCdev(facts: FileFacts, name: string): boolean {
  const sets = runtimeOwnerAssigns(facts, 'owner');
  return facts.functions.some((f) =>
    f.calls.some((c) => {
      if (c.callee !== 'cdev_init' || resourceIdentity(c.args[1] ?? '') !== name) return false;
      const cdev = resourceIdentity(c.args[0] ?? '');
      return sets.some((a) => a.fn === f && (a.lhs === `${cdev}.owner` || a.lhs === `${cdev}->owner`));
    }),
  );
}

const fieldsOf = (s: StructInit) => new Map(s.fields.map((f) => [f.field, f.value]));

/**
 * `static struct regulator_desc regs[] = { [LDO1] = { ... }, [LDO2] = REG(2), };` comes out of
 * the facts as one object with fields `[LDO1].name`, ...: split it into its elements. An element
 * written by a macro (`[LDO2] = REG(2)`) cannot be read and is left out.
 */
function elementsOf(s: StructInit): StructInit[] {
  if (!s.fields.length || !s.fields.every((f) => f.field.startsWith('['))) return [s];
  const byIndex = new Map<string, StructInit['fields']>();
  for (const f of s.fields) {
    const m = /^(\[[^\]]*\])\.?(.*)$/.exec(f.field)!;
    const list = byIndex.get(m[1]!) ?? [];
    list.push({ ...f, field: m[2]! });
    byIndex.set(m[1]!, list);
  }
  const out: StructInit[] = [];
  for (const [idx, fields] of byIndex) {
    if (fields.some((f) => f.field === '')) continue;
    out.push({ ...s, name: `${s.name}${idx}`, fields });
  }
  return out;
}

/** Is `name` handed to one of `callees` anywhere in the file (`atm_dev_register(..., &ops, ...)`)? */
function passedTo(facts: FileFacts, name: string, callees: readonly string[]): boolean {
  return facts.functions.some((f) => f.calls.some((c) => callees.includes(c.callee) && c.args.some((a) => resourceIdentity(a) === name)));
}

function hasField(s: StructInit, field: string): boolean {
  return s.fields.some((f) => f.field === field || f.field.startsWith(`${field}.`));
}

/** Owner fields and the values that make a module its own owner. */
const OWNER_FIELD = /(^|\.)(owner|module|me|cra_module|ct_owner|qf_owner)$/;

/**
 * Bus drivers: `module_platform_driver()`, `pci_register_driver()`, `amba_driver_register()` and
 * friends pass THIS_MODULE to the driver core themselves, so an explicit `.owner` (or
 * `.driver.owner`) is redundant, and removing it is a routine clean-up.
 */
const driverOwned = (type: string, field: string) => (/_driver$/.test(type) && !ownedOpsFor(type)) || /(^|\.)(driver|drv|gendrv|pdrv|base)\.(owner)$/.test(field);

/** `rhs` is the function's parameter that carries a module (`struct module *owner`, `*mod`). */
function ownerParam(fn: FunctionFacts, rhs: string): boolean {
  const v = rhs.trim();
  return fn.params.includes(v) && /^(owner|mod|module|\w+_owner|owner_\w+|\w+_module)$/.test(v);
}

/**
 * The bus helper under its other name: the series that moved the owner into the helper's
 * arguments also renamed it (`amba_driver_register()` became a macro around
 * `__amba_driver_register(drv, THIS_MODULE)`), so its reversal is the helper back under the plain name.
 */
function renamedHelper(post: FileFacts, name: string): FunctionFacts | undefined {
  const plain = name.replace(/^_+/, '');
  return post.functions.find((f) => f.name !== name && f.name.replace(/^_+/, '') === plain && f.body.length > 0);
}

function removedOwners(pre: FileFacts, post: FileFacts, path: string, format: (id: 'removed' | 'removedCaller', data: Record<string, string | number>) => string): RawFinding[] {
  const out: RawFinding[] = [];
  const postInits = new Map(post.structInits.map((s) => [`${s.type}\0${s.name}`, s]));
  for (const s of pre.structInits) {
    const after = postInits.get(`${s.type}\0${s.name}`);
    if (!after) continue;
    for (const f of s.fields) {
      if (f.value.trim() !== 'THIS_MODULE' || !OWNER_FIELD.test(f.field) || driverOwned(s.type, f.field)) continue;
      if (after.fields.some((g) => g.field === f.field)) continue;
      out.push({
        key: `removed:${s.type}:${s.name}.${f.field}`,
        line: after.line,
        message: format('removed', { what: `struct ${s.type} ${s.name}`, field: `.${f.field}`, was: `line ${f.line} before the patch`, type: `struct ${s.type}`, obj: s.name }),
        evidence: [`before: ${path}:${f.line}: .${f.field} = THIS_MODULE in ${s.name}`, `after: ${s.name} (line ${after.line}) has no .${f.field}`],
        // The whole initialiser: the removed line sits between its fields.
        causes: Array.from({ length: Math.max(1, ...after.fields.map((g) => g.line - after.line + 2)) }, (_, i) => after.line + i),
      });
    }
  }
  const postAssigns = runtimeOwnerAssigns(post, 'owner');
  // The same owner reached through a new wrapper (`ls1x_gc->gc.owner` becoming
  // `ls1x_gc->chip.gc.owner` when gpio_chip moved into gpio_generic_chip): same base object, same
  // last member before the owner.
  const ends = (lhs: string) => {
    const parts = lhs.replace(/\s+/g, '').split(/->|\./);
    return `${parts[0]}|${parts.slice(-2).join('.')}`;
  };
  for (const a of runtimeOwnerAssigns(pre, 'owner')) {
    // THIS_MODULE in a driver's own code (bus drivers excepted), or the owner a bus helper is
    // handed by its caller's THIS_MODULE (`__amba_driver_register(drv, owner)`:
    // `drv->drv.owner = owner;`), where the driver core takes it from, for every driver of the bus.
    const fromCaller = ownerParam(a.fn, a.rhs);
    if (!fromCaller && (a.rhs.trim() !== 'THIS_MODULE' || driverOwned('', a.lhs.replace(/->/g, '.')))) continue;
    const fn = post.functions.find((f) => f.name === a.fn.name) ?? (fromCaller ? renamedHelper(post, a.fn.name) : undefined);
    if (!fn) continue;
    if (postAssigns.some((p) => p.fn.name === fn.name && (p.lhs === a.lhs || ends(p.lhs) === ends(a.lhs)))) continue;
    const obj = a.lhs.replace(/(\.|->)owner$/, '');
    out.push({
      key: `removed-runtime:${a.fn.name}:${a.lhs}`,
      line: fn.startLine,
      function: fn.name,
      message: fromCaller
        ? format('removedCaller', { what: `${fn.name}()`, field: a.lhs, was: `line ${a.line} before the patch`, param: a.rhs.trim() })
        : format('removed', { what: `${fn.name}()`, field: a.lhs, was: `line ${a.line} before the patch`, type: 'structure with an owner', obj }),
      evidence: [`before: ${path}:${a.line}: ${a.lhs} = ${a.rhs.trim()} in ${a.fn.name}()`, `after: ${fn.name}() no longer assigns it`],
      causes: [fn.startLine],
    });
  }
  return out;
}

/** Calls that make a character device reachable from userspace: its owner must be set before. */
const PUBLISH = /^(cdev_add|cdev_device_add)$/;

/**
 * `x.owner = ...` written after the call that makes x live (`cdev_device_add(&wd_data->cdev, ...)`
 * then `wd_data->cdev.owner = ...`): a window in which the object is used with no owner.
 */
function lateOwners(facts: FileFacts, format: (id: 'lateOwner', data: Record<string, string | number>) => string): RawFinding[] {
  const out: RawFinding[] = [];
  for (const a of runtimeOwnerAssigns(facts, 'owner')) {
    const obj = a.lhs.replace(/(\.|->)owner$/, '');
    const publish = a.fn.calls.find((c) => PUBLISH.test(c.callee) && c.line < a.line && c.args[0]?.replace(/\s+/g, '') === `&${obj}`);
    if (!publish) continue;
    out.push({
      key: `late:${a.lhs}`,
      line: a.line,
      function: a.fn.name,
      message: format('lateOwner', { lhs: a.lhs, line: a.line, call: publish.callee, callLine: publish.line }),
      evidence: [`${a.fn.name}(): ${publish.callee}(${publish.args.join(', ')}) at line ${publish.line}`, `${a.lhs} = ${a.rhs} at line ${a.line}`],
      causes: [a.line, publish.line],
    });
  }
  return out;
}

export default createRule({
  ...meta,
  rationale:
    'The kernel keeps a module loaded while its callbacks can be entered by taking a reference on the owner field of the ops structure (fops_get() on open, try_module_get(ops->owner) when a socket, regulator, phy or reset is handed out). With the field left NULL nothing pins the module: it can be unloaded while a file is open or a resource is held, and the next call or the final release runs in freed module memory.',
  precedents: [
    { commit: 'dea6e19f4ef7', subject: 'tap: reference to KVA of an unloaded module causes kernel panic' },
    { commit: '13e8a05b9224', subject: 'reset: meson-audio-arb: Fix missing .owner setting of reset_controller_dev' },
  ],
  references: ['include/linux/fs.h', 'include/linux/module.h', 'fs/char_dev.c', 'drivers/reset/core.c'],
  messages: {
    lateOwner:
      '{lhs} is set at line {line}, after {call}() at line {callLine} made the object live: an open() in between runs with no module pinned, and rmmod can free the code under it. Set the owner before {call}().',
    missing:
      'struct {type} {name} has no .{field} = THIS_MODULE; {pin} ({pinFile}) takes the module reference from .{field}, so without it the module can be unloaded while {while}, and the next call runs in freed module memory.',
    missingArray:
      '{count} of the {total} struct {type} entries of {name}[] have no .{field} = THIS_MODULE; {pin} ({pinFile}) takes the module reference from .{field}, so the module can be unloaded while {while}.',
    runtime:
      '{callee}() registers {obj} but {obj}.owner is never set to THIS_MODULE; {pin} ({pinFile}) takes the module reference from it, so the module can be unloaded while {while}. Set it before registering.',
    removed:
      '{what} no longer sets {field} = THIS_MODULE ({was}); a {type} carries its module so the core can pin it while the object is in use, and without it the module can be unloaded while {obj} is still reachable.',
    removedCaller:
      '{what} no longer stores the module its caller registers from in {field} ({was}, from the parameter {param}); the core pins that module through {field}, so every driver registered this way can be unloaded while it is in use. Keep taking the owner (THIS_MODULE, passed by a wrapper macro) and storing it.',
    cdevParam:
      '{fn}() sets up the caller\'s cdev {obj} with this module\'s file operations but never sets {obj}->owner; the caller\'s module (which owns the cdev memory) can then be unloaded while a device node is open. Take the owner as a parameter and set it before cdev_add().',
  },
  fix,
  check(ctx, format) {
    const out: RawFinding[] = [];
    const facts = ctx.facts;
    // An owner the patch takes away (bus drivers excepted: their registration macros fill the
    // owner in themselves, and drop-owner clean-ups are right). THIS_MODULE was written there, so
    // the file is meant to be modular whatever its own markers say (a module of several files).
    if (ctx.image === 'post' && ctx.before) out.push(...removedOwners(ctx.before.facts, facts, ctx.path, format));
    out.push(...lateOwners(facts, format));
    if (!unloadable(facts, ctx.index.buildKind?.(ctx.path))) return out;

    // 1. Static initialisers, grouped per object (an array is one finding).
    const groups = new Map<string, { ops: OwnedOps; inits: StructInit[]; all: number }>();
    for (const s of facts.structInits.flatMap(elementsOf)) {
      const ops = ownedOpsFor(s.type);
      if (!ops || s.viaMacro) continue;
      const base = s.name.split('[')[0]!;
      const g = groups.get(`${s.type}\0${base}`) ?? { ops, inits: [], all: 0 };
      g.all++;
      groups.set(`${s.type}\0${base}`, g);
      if (hasField(s, ops.field) || ops.exempt?.(fieldsOf(s))) continue;
      const text = initializerText(ctx.source, s, ops.field);
      if (!text || text.namesField || text.opaque) continue;
      g.inits.push(s);
    }
    for (const [k, g] of groups) {
      if (!g.inits.length) continue;
      const { ops } = g;
      const name = k.split('\0')[1]!;
      if (ownerSetAtRuntime(facts, ops)) continue;
      if (ops.type === 'file_operations' && (filesystemFops(facts, name) || pinnedByCdev(facts, name))) continue;
      if (ops.usedBy && !passedTo(facts, name, ops.usedBy)) continue;
      const first = g.inits[0]!;
      const spans = g.inits.map((s) => initializerText(ctx.source, s, ops.field)!);
      const causes: number[] = [];
      for (const sp of spans) for (let l = sp.startLine; l <= sp.endLine; l++) causes.push(l);
      const data = { type: ops.type, name, field: ops.field, pin: ops.pin.text.replace(/;$/, ''), pinFile: ops.pin.file, while: ops.while, count: g.inits.length, total: g.all };
      out.push({
        key: `static:${ops.type}:${name}`,
        line: first.line,
        message: format(first.name === name ? 'missing' : 'missingArray', data),
        evidence: [
          `${ctx.path}:${first.line}: struct ${ops.type} ${name} = { ... } without .${ops.field}`,
          `the module can be unloaded: ${facts.moduleEntries.some((e) => e.kind === 'exit') ? 'it has an exit function' : 'it is a library module'}`,
          `${ops.pin.file}: ${ops.pin.text}`,
        ],
        causes,
      });
    }

    // 2. Objects filled in at run time and then registered.
    const staticNames = new Set(facts.structInits.map((s) => s.name));
    for (const fn of facts.functions) {
      if (fn.hasError) continue;
      for (const c of fn.calls) {
        const reg = RUNTIME_REGISTRATIONS.find((r) => r.callee === c.callee);
        if (!reg) continue;
        const obj = resourceIdentity(c.args[reg.arg] ?? '');
        const root = /^[A-Za-z_]\w*/.exec(obj)?.[0] ?? '';
        // A static object is judged by its initialiser; one handed in by a caller is the caller's.
        if (!obj || staticNames.has(obj) || fn.params.includes(root)) continue;
        const ops = ownedOpsFor(reg.type)!;
        if (runtimeOwnerAssigns(facts, ops.field).length) continue;
        // Filled from a template that carries the owner.
        if (facts.structInits.some((s) => s.type === reg.type && hasField(s, ops.field))) continue;
        out.push({
          key: `runtime:${reg.type}:${c.callee}(${obj})`,
          line: c.line,
          function: fn.name,
          message: format('runtime', { callee: c.callee, obj, pin: ops.pin.text.replace(/;$/, ''), pinFile: ops.pin.file, while: ops.while }),
          evidence: [`${fn.name}(): ${c.callee}(${c.args.join(', ')}) at line ${c.line}`, `no assignment to ${obj}.${ops.field} in ${ctx.path}`, `${ops.pin.file}: ${ops.pin.text}`],
          causes: [c.line],
        });
      }
    }

    // 3. A cdev handed in by another module, set up here (the tap_create_cdev() bug).
    for (const fn of facts.functions) {
      if (fn.hasError || !fn.exported) continue;
      for (const c of fn.calls) {
        if (c.callee !== 'cdev_init') continue;
        const obj = resourceIdentity(c.args[0] ?? '');
        const fops = resourceIdentity(c.args[1] ?? '');
        if (!fn.params.includes(obj) || fn.params.includes(fops)) continue;
        const set = runtimeOwnerAssigns(facts, 'owner').some((a) => a.fn === fn && (a.lhs === `${obj}->owner` || a.lhs === `${obj}.owner`));
        if (set || !fn.calls.some((x) => (x.callee === 'cdev_add' || x.callee === 'cdev_device_add') && resourceIdentity(x.args[0] ?? '') === obj)) continue;
        out.push({
          key: `cdev-param:${obj}`,
          line: c.line,
          function: fn.name,
          message: format('cdevParam', { fn: fn.name, obj }),
          evidence: [`${fn.name}() is exported and takes ${obj} from its caller`, `cdev_init(${c.args.join(', ')}) at line ${c.line}`, `no ${obj}->owner assignment before cdev_add()`, 'fs/char_dev.c: cdev_get() takes try_module_get(p->owner)'],
          causes: [c.line],
        });
      }
    }
    return out;
  },
});
