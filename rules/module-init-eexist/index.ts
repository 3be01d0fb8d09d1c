// module-init-eexist: -EEXIST must not reach a module_init return. kmod (modprobe) treats
// -EEXIST from init_module() as "module already loaded" and reports success, hiding the real
// failure (a duplicate registration). Precedent 54416fd76770 and the dm series b13ef361d47f.
import { createRule } from '../../src/engine/rule.js';
import { meta } from './meta.js';
import { moduleInitChains } from '../../src/engine/overlay.js';
import { describeChain, errnoSource } from '../../src/engine/kernel/errno.js';
import type { FunctionRef, RawFinding } from '../../src/engine/types.js';
import type { FunctionFacts } from '../../src/c/types.js';
import { resourceIdentity } from '../../src/c/lex.js';
import { fix } from './fix.js';

const CODE = 'EEXIST';

/**
 * Functions whose -EEXIST is the documented answer of their API and whose maintainers declined the
 * change ("KEYS: replace -EEXIST with -EBUSY" was objected to): still reported, as a warning.
 */
const CONTESTED = new Set(['register_key_type']);

/**
 * Origins whose -EEXIST is not another module holding the name but the caller's own bug, which
 * the kernel already WARNs about: notifier_chain_register() refuses the very same notifier_block
 * twice; kernfs_link_sibling() refuses a duplicate sysfs/kernfs entry (sysfs_warn_dup()), which
 * for the groups and attributes a module creates on its own objects means it created them twice.
 * Flows from them are not reported (351 of 932 sites of the 6.12 scan were such flows).
 */
const NOT_A_COLLISION = new Set(['notifier_chain_register', 'kernfs_link_sibling']);

export default createRule({
  ...meta,
  rationale:
    'When init_module() fails with -EEXIST, kmod/modprobe assume the module is already loaded and report success, so a real failure (usually a duplicate registration) goes unnoticed. Return -EBUSY for "already registered" instead.',
  precedents: [
    { commit: '54416fd76770', subject: 'netfilter: conntrack: helper: Replace -EEXIST by -EBUSY' },
    { commit: 'b13ef361d47f', subject: 'dm: replace -EEXIST with -EBUSY' },
  ],
  messages: {
    direct: '{fn}() is a module_init function and returns -EEXIST; modprobe reports "already loaded" and hides the failure. Return -EBUSY instead.',
    origin: '{fn}() returns -EEXIST, and {count} module_init function(s) return its result ({inits}); modprobe would report "already loaded" and hide the failure. Return -EBUSY for a duplicate registration instead.',
    via: '{fn}() returns the result of {callee}(), which can be -EEXIST ({where}); this reaches module_init and modprobe would report "already loaded". Map -EEXIST to -EBUSY, or handle it here.',
  },
  fix,
  check(ctx, format) {
    const out: RawFinding[] = [];
    const inits = new Set(ctx.facts.moduleEntries.filter((e) => e.kind === 'init').map((e) => e.fn));
    // Built-in only code (kbuild: bool or obj-y) is no module: kmod never sees what its init returns.
    const builtin = ctx.index.buildKind?.(ctx.path) === 'builtin';
    const isInit = (name: string) => ctx.facts.modular && !builtin && inits.has(name);
    const chainsCache = new Map<string, FunctionRef[][]>();
    const chainsTo = (name: string) => {
      let c = chainsCache.get(name);
      if (!c) {
        c = moduleInitChains(ctx.index, name, ctx.path, CODE, 5);
        chainsCache.set(name, c);
      }
      return c;
    };
    // Objects the pre-image registered through a module_*() macro (`module_led_trigger(trig)`):
    // a patch that writes that macro's init out by hand returns what the macro's init returned.
    const byMacro = new Set((ctx.before?.facts.moduleEntries ?? []).filter((e) => e.kind === 'init' && e.driver).map((e) => e.driver!));
    const expandsMacro = (fn: FunctionFacts, p: { callee: string; line: number }) =>
      isInit(fn.name) && fn.calls.some((c) => c.callee === p.callee && c.line === p.line && c.args.some((a) => byMacro.has(resourceIdentity(a))));
    for (const fn of ctx.facts.functions) {
      const literal = NOT_A_COLLISION.has(fn.name) ? undefined : fn.returnsErrno.find((e) => e.code === CODE);
      if (literal) {
        if (isInit(fn.name)) {
          out.push({ key: `${CODE}:direct`, line: literal.line, function: fn.name, message: format('direct', { fn: fn.name }), evidence: [`${fn.name}() (${ctx.path}) -> -${CODE}`] });
        } else {
          const chains = chainsTo(fn.name);
          if (chains.length) {
            const names = chains.map((c) => `${c[0]!.name}() in ${c[0]!.file}`);
            out.push({
              key: `${CODE}:origin`,
              group: `${CODE}@${ctx.path}:${fn.name}`,
              line: literal.line,
              function: fn.name,
              ...(CONTESTED.has(fn.name) ? { severity: 'warning' as const } : {}),
              message: format('origin', { fn: fn.name, count: chains.length >= 5 ? '5 or more' : chains.length, inits: names.slice(0, 3).join(', ') + (names.length > 3 ? ', ...' : '') }),
              evidence: chains.map((c) => describeChain(c, `-${CODE}`)),
            });
          }
        }
      }
      // A function on the way to module_init that now returns a callee's -EEXIST. (Only a
      // function that returns some callee's result can be one: ask for its chains only then.)
      if (!fn.propagates.some((p) => !p.masks.includes(CODE))) continue;
      const onInitPath = isInit(fn.name) || chainsTo(fn.name).length > 0;
      if (!onInitPath) continue;
      for (const p of fn.propagates) {
        if (p.masks.includes(CODE) || expandsMacro(fn, p)) continue;
        const src = errnoSource(ctx.index, p.callee, ctx.path, CODE);
        // Wholly inside this file: the origin finding on the returning function covers it.
        if (!src || src.chain.every((f) => f.file === ctx.path)) continue;
        if (NOT_A_COLLISION.has(src.chain[src.chain.length - 1]!.name)) continue;
        const up = isInit(fn.name) ? [] : chainsTo(fn.name)[0] ?? [];
        const head = up.length ? up.slice(0, -1) : [];
        const me: FunctionRef = { name: fn.name, file: ctx.path, line: fn.startLine, isStatic: fn.isStatic, section: fn.section };
        const last = src.chain[src.chain.length - 1]!;
        out.push({
          key: `${CODE}:via:${p.callee}`,
          group: `${CODE}@${last.file}:${last.name}`,
          line: p.line,
          function: fn.name,
          severity: 'warning',
          message: format('via', { fn: fn.name, callee: p.callee, where: `${last.name}() in ${last.file}` }),
          evidence: [describeChain([...head, me, ...src.chain], `-${CODE}`)],
        });
      }
    }
    return out;
  },
});
