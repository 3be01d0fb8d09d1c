// request-module-unsafe: request_module() asked for a name nobody fixed, from a context where
// waiting for modprobe hurts, or over and over for the same module.
//  - A name from a caller or from userspace with no fixed part lets whoever controls it load any
//    module (CVE-2011-1019, fixed by 8909c9ad8ff0 with the "netdev-%s" alias namespace).
//  - A waiting request from an async_schedule() worker deadlocks with the async_synchronize_full()
//    that ends module init (__request_module() WARNs); from module init it stalls the modprobe
//    that loads this module, and a requested module needing this one gives up after 30 s.
//  - The same module requested on every loop pass or from several functions spawns duplicate
//    modprobes (kernel/module/dups.c, 8660484ed1cf); try_then_request_module() or one request fits.
import type { CallSite, FileFacts, FunctionFacts, Stmt } from '../../src/c/types.js';
import { createRule } from '../../src/engine/rule.js';
import { meta } from './meta.js';
import {
  checksSysModule,
  constantName,
  nameInputs,
  nameShape,
  nameSource,
  requestCalls,
  resultUsed,
  writtenArgs,
  type ArgsOf,
  type RequestCall,
  type Source,
} from '../../src/engine/kernel/kmod.js';
import { identifiersOf } from '../../src/c/cond.js';
import { childLists, exits, walkStmts } from '../../src/c/walk.js';
import type { IndexQuery, RawFinding, RuleContext } from '../../src/engine/types.js';

const ASYNC = /^async_schedule(_node|_dev)?(_domain)?$/;
const MAX_CALLERS = 40;

/**
 * Completion callbacks of the asynchronous firmware loader, by the position of the callback:
 * they run from the loader's worker while the firmware request is outstanding.
 */
const FW_ASYNC: Readonly<Record<string, number>> = { request_firmware_nowait: 6, firmware_request_nowait_nowarn: 6 };

/**
 * Functions this file hands to async_schedule*() or to the asynchronous firmware loader, and
 * static helpers they call directly. The reason text says which.
 */
function asyncContext(facts: FileFacts): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of facts.functions) {
    for (const c of f.calls) {
      if (ASYNC.test(c.callee) && /^\w+$/.test(c.args[0] ?? '')) out.set(c.args[0]!, `${f.name}() schedules it with ${c.callee}() at line ${c.line}`);
      const at = FW_ASYNC[c.callee];
      const cb = at === undefined ? undefined : c.args[at]?.trim();
      if (cb && /^\w+$/.test(cb)) out.set(cb, `${f.name}() hands it to ${c.callee}() at line ${c.line} as the firmware completion callback`);
    }
  }
  for (const [name, why] of [...out]) {
    const fn = facts.functions.find((f) => f.name === name);
    for (const c of fn?.calls ?? []) {
      const helper = facts.functions.find((f) => f.name === c.callee && f.isStatic);
      if (helper && !out.has(helper.name)) out.set(helper.name, `called by ${name}(), which ${why.replace(/^.*?\(\) /, '')}`);
    }
  }
  return out;
}

/** This module's init function and the static __init helpers it calls directly. */
function initContext(facts: FileFacts): Map<string, string> {
  const out = new Map<string, string>();
  if (!facts.modular) return out;
  for (const e of facts.moduleEntries) if (e.kind === 'init' && e.macro === 'module_init') out.set(e.fn, `${e.fn}() is this module's init (${e.macro} at line ${e.line})`);
  for (const [name] of [...out]) {
    const fn = facts.functions.find((f) => f.name === name);
    for (const c of fn?.calls ?? []) {
      const helper = facts.functions.find((f) => f.name === c.callee && f.isStatic && f.section === 'init');
      if (helper && !out.has(helper.name)) out.set(helper.name, `${helper.name}() is called from module init ${name}()`);
    }
  }
  return out;
}

interface CallerVerdict {
  /** The function is static and every caller passes a fixed name. */
  allConstant: boolean;
  user?: string;
  evidence: string[];
}

/** What the callers of `fn` pass for its parameter `index`. */
function callers(fn: FunctionFacts, index: number, path: string, facts: FileFacts, tree: IndexQuery, argsOf: ArgsOf): CallerVerdict {
  const sites: { caller: FunctionFacts; file: string; facts: FileFacts; call: CallSite; local: boolean }[] = [];
  if (fn.isStatic) {
    for (const f of facts.functions) for (const c of f.calls) if (c.callee === fn.name) sites.push({ caller: f, file: path, facts, call: c, local: true });
  } else {
    for (const ref of tree.callersOf(fn.name).slice(0, MAX_CALLERS)) {
      const ff = ref.file === path ? facts : tree.fileFacts(ref.file);
      if (!ff || (ref.file !== path && ff.functions.some((f) => f.name === fn.name && f.isStatic))) continue;
      const caller = ff.functions.find((f) => f.name === ref.caller);
      for (const c of caller?.calls ?? []) if (c.callee === fn.name) sites.push({ caller: caller!, file: ref.file, facts: ff, call: c, local: ref.file === path });
    }
  }
  // Only a static function's callers are all known (its own file). For others the index shows
  // some callers at best: they can prove a userspace source, never that every name is fixed.
  const v: CallerVerdict = { allConstant: fn.isStatic && sites.length > 0, evidence: [] };
  for (const s of sites) {
    const args = s.local ? argsOf(s.call) : s.call.args;
    const arg = args[index];
    const src: Source = arg === undefined ? { kind: 'unknown' } : nameSource(arg, s.caller, s.facts, s.local ? argsOf : undefined);
    if (src.kind !== 'constant') v.allConstant = false;
    if (src.kind === 'user' && !v.user) v.user = `${s.file}:${s.call.line} ${s.caller.name}() passes ${arg} (${src.why})`;
    if (src.kind !== 'constant' && v.evidence.length < 3) v.evidence.push(`${s.file}:${s.call.line} ${s.caller.name}() passes ${arg ?? '?'}`);
  }
  return v;
}

/** Names that change from one iteration of `loop` to the next. */
function loopVariant(loop: Extract<Stmt, { k: 'loop' }>): Set<string> {
  const out = new Set(identifiersOf(loop.cond));
  walkStmts(loop.body, (s) => {
    if ((s.k === 'expr' || s.k === 'decl') && s.assigns) for (const a of s.assigns) out.add(identifiersOf(a.lhs)[0] ?? '');
    const text = s.k === 'expr' || s.k === 'decl' ? s.text : s.k === 'if' || s.k === 'loop' ? s.cond : '';
    for (const m of text.matchAll(/\b(\w+)\s*(\+\+|--)|(\+\+|--)\s*(\w+)/g)) out.add(m[1] ?? m[4] ?? '');
    for (const c of s.k === 'expr' || s.k === 'decl' ? s.calls : []) if (/printf|strscpy|strcpy|strncpy|strlcpy|memcpy|strcat/.test(c.callee)) out.add(identifiersOf(c.args[0] ?? '')[0] ?? '');
  });
  return out;
}

/**
 * The loop asks at most once: the request's own statement list leaves the loop right after it
 * (`request_module(...); break;`), or a flag set to a constant is tested in the loop (`tried`).
 */
function asksOnce(loop: Extract<Stmt, { k: 'loop' }>, r: RequestCall): boolean {
  const inner = r.outer.slice(r.outer.indexOf(loop) + 1);
  const viaSwitch = inner.some((s) => s.k === 'switch');
  const container = inner[inner.length - 1] ?? loop;
  const list = r.stmt ? childLists(container).find((l) => l.includes(r.stmt!)) : undefined;
  if (list) {
    const after = list.slice(list.indexOf(r.stmt!) + 1);
    if (after.some((s) => s.k === 'return' || s.k === 'goto' || (s.k === 'break' && !viaSwitch))) return true;
  }
  const flags = new Set<string>();
  const tested = new Set(identifiersOf(loop.cond));
  walkStmts(loop.body, (s) => {
    if ((s.k === 'expr' || s.k === 'decl') && s.assigns) for (const a of s.assigns) if (a.op === '=' && /^(true|false|1|0)$/.test(a.rhs.trim())) flags.add(a.lhs.trim());
    if (s.k === 'if') for (const id of identifiersOf(s.cond)) tested.add(id);
  });
  return [...flags].some((f) => tested.has(f));
}

const nameText = (args: readonly string[], fmt: number) => args.slice(fmt).join(', ');


/**
 * The conditions that decide whether a request runs: those of the statements around it, and
 * those of earlier `if`s in the function that leave (`if (found) return 0;` guards as well as
 * `if (!found) request_module(...)` does). Each as the identifiers it names.
 */
function guardsOf(fn: FunctionFacts, r: RequestCall): string[][] {
  const out = r.outer.flatMap((s) => (s.k === 'if' || s.k === 'loop' || s.k === 'switch' ? [s.cond] : []));
  walkStmts(fn.body, (s, outer) => {
    if (s.k === 'if' && s.line < r.call.line && !r.outer.includes(s) && (exits(s.then) || (s.else && exits(s.else))) && outer.every((o) => r.outer.includes(o))) out.push(s.cond);
  });
  return out.filter((c) => !c.startsWith('#')).map((c) => [...new Set(identifiersOf(c))]);
}

/**
 * A waiting request the patch stripped of a check it had: the same request in the same function
 * ran only when a condition held (a lookup failed), and now runs without any condition naming the
 * same things, so every call spawns a modprobe even when the module is there (the elevator fix
 * 47bd26 shape: `if (!__elevator_find(name)) request_module(...)`).
 */
function droppedGuards(ctx: RuleContext, argsOf: ArgsOf, format: (id: 'unguarded', data: Record<string, string | number>) => string): RawFinding[] {
  const pre = ctx.before!;
  const preLines = pre.source.split('\n');
  const preArgsOf: ArgsOf = (c) => writtenArgs(pre.source, c, preLines);
  const out: RawFinding[] = [];
  for (const fn of ctx.facts.functions) {
    if (fn.hasError) continue;
    const reqs = requestCalls(fn).filter((r) => r.wait && r.call.callee !== 'try_then_request_module');
    if (!reqs.length) continue;
    const preFn = pre.facts.functions.find((f) => f.name === fn.name && !f.hasError);
    if (!preFn) continue;
    const preReqs = requestCalls(preFn).map((r) => ({ r, fmt: preArgsOf(r.call)[r.fmt] ?? '' }));
    for (const r of reqs) {
      const name = nameText(argsOf(r.call), r.fmt);
      // The same request: the same callee and format (its arguments may be spelled anew).
      const was = preReqs.filter((p) => p.fmt === (argsOf(r.call)[r.fmt] ?? '') && p.r.call.callee === r.call.callee);
      if (was.length !== 1) continue;
      const before = guardsOf(preFn, was[0]!.r).filter((ids) => ids.length);
      if (!before.length) continue;
      const now = new Set(guardsOf(fn, r).flat());
      const lost = before.filter((ids) => !ids.some((id) => now.has(id)));
      if (!lost.length) continue;
      out.push({
        key: `unguarded:${name}`,
        line: r.call.line,
        function: fn.name,
        message: format('unguarded', { fn: fn.name, callee: r.call.callee, name, names: lost.map((ids) => ids.join(', ')).join('; ') }),
        evidence: [`before: ${preFn.name}() asked only under a condition on ${lost.map((ids) => ids.join(', ')).join('; ')} (line ${was[0]!.r.call.line})`, `after: ${r.call.callee}(${argsOf(r.call).join(', ')}) at line ${r.call.line} has no such check`],
        causes: [r.call.line],
      });
    }
  }
  return out;
}

export default createRule({
  ...meta,
  rationale:
    'modprobe loads whatever module or alias the name resolves to. A name from userspace or a caller with no fixed part lets its sender load any module (CVE-2011-1019; hence the "netdev-%s", "fs-%s", "crypto-%s" alias namespaces). A waiting request from an async worker deadlocks with the async_synchronize_full() that ends module init, and from module init it stalls the modprobe loading this module. Requesting the same module on every pass or from many places spawns duplicate modprobes that strain memory at boot (kernel/module/dups.c).',
  precedents: [
    { commit: '8909c9ad8ff0', subject: "net: don't allow CAP_NET_ADMIN to load non-netdev kernel modules" },
    { commit: '8660484ed1cf', subject: 'module: add debugging auto-load duplicate module support' },
    { commit: '3d913719df14', subject: 'wifi: iwlwifi: Use request_module_nowait' },
  ],
  references: ['include/linux/kmod.h', 'kernel/module/kmod.c', 'kernel/module/dups.c', 'kernel/module/main.c'],
  messages: {
    user: '{fn}() asks modprobe for a module named by {expr}, which comes from userspace ({why}), with no fixed prefix: whoever sends it can load any module on the system (CVE-2011-1019). Request an alias namespace instead, request_module("<subsys>-%s", ...), answered by MODULE_ALIAS("<subsys>-...") in the intended modules.{asFormat}',
    param:
      '{fn}() asks modprobe for a module named by its caller ({why}) with no fixed prefix: a caller that passes a name from userspace lets its sender load any module (the CVE-2011-1019 class). Put the name in an alias namespace, request_module("<subsys>-%s", ...), as "netdev-%s", "fs-%s" and "crypto-%s" do.{asFormat}',
    paramUser:
      '{fn}() asks modprobe for a module named by its caller with no fixed prefix, and a caller passes userspace data ({user}): its sender can load any module on the system (CVE-2011-1019). Request an alias namespace instead, request_module("<subsys>-%s", ...).{asFormat}',
    asFormat: ' The name is also the format string: a "%" in it is expanded.',
    fwAsync:
      '{fn}() runs as an asynchronous firmware-load completion ({why}) and waits for modprobe in {callee}({name}): the module it loads may itself wait for firmware or for the device being probed, and driver probing that waits on this completion deadlocks. Use request_module_nowait() (the iwlwifi fix 3d913719df14).',
    async:
      '{fn}() runs as an async_schedule() worker ({why}) and waits for modprobe in {callee}({name}): module init ends with async_synchronize_full(), which waits for this worker while it waits for the load, a deadlock __request_module() warns about. Use request_module_nowait(), or request from a workqueue.',
    init: '{why} and waits for modprobe in {callee}({name}): the modprobe that loads this module blocks until the nested one finishes, and a requested module that needs a symbol from this one waits for this init and gives up after 30 s. {hint}',
    initUnused: 'The result is not used: request_module_nowait(), or MODULE_SOFTDEP("pre: ...") so that modprobe loads it first, fits.',
    initUsed: 'Prefer MODULE_SOFTDEP("pre: ...") so that modprobe loads it first, or request it outside init.',
    loop: '{callee}({name}) runs on every pass of the loop at line {loopLine} with the same module name: each pass spawns a modprobe for a module that is loaded by now or is not coming. Request it once before the loop, or use try_then_request_module() to ask only when the lookup fails.',
    unguarded:
      '{fn}() now calls {callee}({name}) without the check it had on {names}: a waiting request spawns a modprobe on every call, even when the module is loaded or the name is already served, and concurrent ones are the duplicates kernel/module/dups.c reports. Keep asking only when the lookup fails (or use try_then_request_module()).',
    repeat:
      'Module {name} is requested unconditionally from {count} functions ({fns}): each call spawns a modprobe even when the module is loaded, and concurrent ones are the duplicates kernel/module/dups.c reports. Request it once, or use try_then_request_module(lookup, {name}) to ask only when the lookup fails.',
  },
  check(ctx, format) {
    const out: RawFinding[] = [];
    const lines = ctx.source.split('\n');
    const argsOf: ArgsOf = (c) => writtenArgs(ctx.source, c, lines);
    let asyncFns: Map<string, string> | undefined;
    let initFns: Map<string, string> | undefined;
    const unconditional = new Map<string, { fn: string; line: number }[]>();

    for (const fn of ctx.facts.functions) {
      if (fn.hasError) continue;
      const reqs = requestCalls(fn);
      if (!reqs.length) continue;
      asyncFns ??= asyncContext(ctx.facts);
      initFns ??= initContext(ctx.facts);
      for (const r0 of reqs) {
        const args = argsOf(r0.call);
        const r: RequestCall = { ...r0, call: { ...r0.call, args } };
        const name = nameText(args, r.fmt);
        const c = r.call;

        // 1. Who picks the name.
        const shape = nameShape(args, r.fmt);
        if (shape.kind === 'lead' && !checksSysModule(fn)) {
          const src = nameSource(shape.expr, fn, ctx.facts, argsOf);
          const asFormat = shape.format ? format('asFormat') : '';
          const base = { key: `unprefixed:${shape.expr}`, line: c.line, function: fn.name, causes: [c.line] };
          const ev = [`${fn.name}(): ${c.callee}(${args.join(', ')}) at line ${c.line}`, `the module name starts with ${shape.expr}, no fixed prefix`];
          if (src.kind === 'user') {
            out.push({ ...base, severity: 'error', message: format('user', { fn: fn.name, expr: shape.expr, why: src.why, asFormat }), evidence: [...ev, src.why] });
          } else if (src.kind === 'param') {
            const v = callers(fn, src.index, ctx.path, ctx.facts, ctx.index, argsOf);
            if (v.user) out.push({ ...base, severity: 'error', message: format('paramUser', { fn: fn.name, user: v.user, asFormat }), evidence: [...ev, src.why, v.user] });
            else if (!v.allConstant) out.push({ ...base, message: format('param', { fn: fn.name, why: src.why, asFormat }), evidence: [...ev, src.why, ...v.evidence] });
          }
        }

        if (!r.wait) continue;
        // 2. Where it waits.
        const inAsync = asyncFns.get(fn.name);
        const inInit = initFns.get(fn.name);
        if (inAsync) {
          out.push({ key: `async:${name}`, line: c.line, function: fn.name, severity: 'error', message: format(/firmware/.test(inAsync) ? 'fwAsync' : 'async', { fn: fn.name, why: inAsync, callee: c.callee, name }), evidence: [inAsync, `${c.callee}(${args.join(', ')}) at line ${c.line} waits for modprobe`], causes: [c.line] });
        } else if (inInit) {
          const hint = resultUsed(r) ? format('initUsed') : format('initUnused');
          out.push({ key: `init:${name}`, line: c.line, function: fn.name, severity: 'note', message: format('init', { why: inInit, callee: c.callee, name, hint }), evidence: [inInit, `${c.callee}(${args.join(', ')}) at line ${c.line} waits for modprobe`], causes: [c.line] });
        }

        // 3. How often.
        const loop = [...r.outer].reverse().find((s): s is Extract<Stmt, { k: 'loop' }> => s.k === 'loop');
        if (loop && c.callee !== 'try_then_request_module') {
          const variant = loopVariant(loop);
          if (!nameInputs(r).some((id) => variant.has(id)) && !asksOnce(loop, r)) {
            out.push({ key: `loop:${name}`, line: c.line, function: fn.name, message: format('loop', { callee: c.callee, name, loopLine: loop.line }), evidence: [`loop at line ${loop.line}: ${loop.cond}`, `${c.callee}(${args.join(', ')}) at line ${c.line}: the name does not change in the loop`], causes: [c.line] });
          }
        }
        const fixed = constantName(r);
        const conditional = r.outer.some((s) => s.k === 'switch' || s.k === 'loop' || (s.k === 'if' && !s.cond.startsWith('#')));
        if (fixed && c.callee !== 'try_then_request_module' && !conditional) {
          const sites = unconditional.get(fixed) ?? [];
          if (!sites.some((s) => s.fn === fn.name)) sites.push({ fn: fn.name, line: c.line });
          unconditional.set(fixed, sites);
        }
      }
    }
    if (ctx.image === 'post' && ctx.before) out.push(...droppedGuards(ctx, argsOf, format));
    for (const [name, sites] of unconditional) {
      if (sites.length < 2) continue;
      out.push({
        key: `repeat:${name}`,
        line: sites[0]!.line,
        severity: 'note',
        message: format('repeat', { name: `"${name}"`, count: sites.length, fns: sites.map((s) => `${s.fn}()`).join(', ') }),
        evidence: sites.map((s) => `${s.fn}() requests "${name}" at line ${s.line}, unconditionally`),
        causes: sites.map((s) => s.line),
      });
    }
    return out;
  },
});
