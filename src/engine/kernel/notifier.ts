// Module notifiers (register_module_notifier()) and the module state machine they follow.
//
// The loader announces a module's life on module_notify_list (kernel/module/main.c):
//   prepare_coming_module(): blocking_notifier_call_chain_robust(COMING, GOING) — a notifier
//     failing COMING makes the chain send GOING to those that already took COMING;
//   do_init_module(): LIVE once init succeeded;
//   delete_module() / a failed init / load_module()'s coming_cleanup: GOING.
// So whatever a callback sets up for COMING must be undone for GOING, and a callback's view of
// the states is what a change to `enum module_state` or to those calls must be checked against.
import type { CallSite, FileFacts, FunctionFacts, Stmt } from '../../c/types.js';
import { pairFor } from './resources.js';
import { identifiersOf, splitTop, stripParens } from '../../c/cond.js';
import { functionText } from '../../c/lex.js';
import { exits, ownCalls, walkStmts } from '../../c/walk.js';

export const COMING = 'MODULE_STATE_COMING';
export const GOING = 'MODULE_STATE_GOING';
export const LIVE = 'MODULE_STATE_LIVE';
export const UNFORMED = 'MODULE_STATE_UNFORMED';

/** The states of `enum module_state` every notifier in 6.12 is written against (seed 002). */
export const KNOWN_STATES: readonly string[] = [LIVE, COMING, GOING, UNFORMED];

/**
 * How the loader calls module_notify_list in 6.12: the protocol notifiers rely on. Anything else
 * (another chain call, a reversed chain, another state, states passed in variables) changes what
 * every notifier sees.
 */
export const CHAIN_PROTOCOL: readonly { callee: string; states: string[] }[] = [
  { callee: 'blocking_notifier_call_chain', states: [LIVE] },
  { callee: 'blocking_notifier_call_chain', states: [GOING] },
  { callee: 'blocking_notifier_call_chain_robust', states: [COMING, GOING] },
];

// The registrations themselves are derived once, for the index and the rules (src/c/derived.ts).
export { moduleNotifierCallbacks, type NotifierReg } from '../../c/derived.js';

// ------------------------------------------------------------------------------ state analysis

/** The states a piece of code runs for: only these, all but these, or (null) every state. */
export type Restriction = { only: ReadonlySet<string> } | { except: ReadonlySet<string> } | null;

export function admits(r: Restriction, state: string): boolean {
  if (!r) return true;
  return 'only' in r ? r.only.has(state) : !r.except.has(state);
}

export function intersect(a: Restriction | undefined, b: Restriction | undefined): Restriction {
  if (!a) return b ?? null;
  if (!b) return a;
  if ('only' in a && 'only' in b) return { only: new Set([...a.only].filter((s) => b.only.has(s))) };
  if ('only' in a && 'except' in b) return { only: new Set([...a.only].filter((s) => !b.except.has(s))) };
  if ('except' in a && 'only' in b) return intersect(b, a);
  return { except: new Set([...(a as { except: ReadonlySet<string> }).except, ...(b as { except: ReadonlySet<string> }).except]) };
}

/** Union of two restrictions when both are of the same kind (else unknown). */
function union(a: Restriction | undefined, b: Restriction | undefined): Restriction | undefined {
  if (!a || !b) return undefined;
  if ('only' in a && 'only' in b) return { only: new Set([...a.only, ...b.only]) };
  if ('except' in a && 'except' in b) return { except: new Set([...a.except].filter((s) => b.except.has(s))) };
  return undefined;
}

export interface StateStmt {
  stmt: Stmt;
  when: Restriction;
}

export interface StateView {
  fn: FunctionFacts;
  stateVar: string;
  /** The function tests the state at all (a switch or a comparison). */
  discriminates: boolean;
  /** Every statement with the states it runs for. */
  stmts: StateStmt[];
  /** Calls that receive the state and could not be followed: the view is incomplete. */
  unresolved: CallSite[];
}

/** Locks, prints and return-value plumbing: code that sets nothing up and tears nothing down. */
export function isBookkeeping(callee: string): boolean {
  return (
    /(^|_)(un)?lock(_\w+)?$/.test(callee) ||
    /(^|_)(un)?lock_/.test(callee) ||
    /^(pr_\w+|printk\w*|dev_(err|warn|info|dbg|notice)\w*|netdev_\w+|WARN\w*|BUG\w*|might_sleep|cond_resched|notifier_(from|to)_errno|IS_ERR|PTR_ERR|ERR_PTR|IS_ENABLED|likely|unlikely|module_name|strcmp|strlen|within_module\w*)$/.test(callee)
  );
}

const STATE_TOKEN = /\bMODULE_STATE_[A-Z_]+\b/;

interface Analysis {
  refs: Set<string>;
  view: StateView;
  facts: FileFacts;
  depth: number;
}

function refersToState(expr: string, a: Analysis): boolean {
  if (/->\s*state\b/.test(expr)) return true;
  return identifiersOf(expr).some((id) => a.refs.has(id));
}

interface CondEffect {
  then?: Restriction;
  else?: Restriction;
}

/** What `if (cond)` says about the state in its then and else branches. */
function condEffect(cond: string, a: Analysis): CondEffect {
  const c = stripParens(cond);
  const disj = splitTop(c, '||');
  if (disj.length > 1) {
    const parts = disj.map((t) => condEffect(t, a));
    let then: Restriction | undefined = parts[0]!.then;
    for (const p of parts.slice(1)) then = union(then, p.then);
    // The else branch runs when every term is false: each term's else is a necessary condition.
    let els: Restriction | undefined;
    for (const p of parts) if (p.else !== undefined) els = intersect(els, p.else);
    const out: CondEffect = {};
    if (then !== undefined) out.then = then;
    if (els !== undefined) out.else = els;
    return out;
  }
  const conj = splitTop(c, '&&');
  if (conj.length > 1) {
    const parts = conj.map((t) => condEffect(t, a));
    let then: Restriction | undefined;
    for (const p of parts) if (p.then !== undefined) then = intersect(then, p.then);
    let els: Restriction | undefined = parts[0]!.else;
    for (const p of parts.slice(1)) els = union(els, p.else);
    const out: CondEffect = {};
    if (then !== undefined) out.then = then;
    if (els !== undefined) out.else = els;
    return out;
  }
  // c is squashed (single blanks, no line breaks): the lazy prefix tries each position once.
  // eslint-disable-next-line regexp/no-super-linear-backtracking -- linear on squashed text (see above)
  const m = /^(.+?)\s*(==|!=)\s*(.+)$/.exec(c);
  if (!m) return {};
  const [, l, op, r] = m as unknown as [string, string, string, string];
  const state = STATE_TOKEN.test(r.trim()) && /^MODULE_STATE_\w+$/.test(r.trim()) ? r.trim() : /^MODULE_STATE_\w+$/.test(l.trim()) ? l.trim() : undefined;
  const other = state === r.trim() ? l : r;
  if (!state || !refersToState(other, a)) return {};
  const is: Restriction = { only: new Set([state]) };
  const isNot: Restriction = { except: new Set([state]) };
  return op === '==' ? { then: is, else: isNot } : { then: isNot, else: is };
}

function record(stmts: readonly Stmt[], when: Restriction, a: Analysis): void {
  for (let i = 0; i < stmts.length; i++) {
    const s = stmts[i]!;
    a.view.stmts.push({ stmt: s, when });
    switch (s.k) {
      case 'switch': {
        if (!refersToState(s.cond, a)) {
          for (const c of s.cases) record(c.body, when, a);
          break;
        }
        a.view.discriminates = true;
        const named = new Set(s.cases.flatMap((c) => c.labels));
        let pending: string[] = [];
        let pendingDefault = false;
        for (const c of s.cases) {
          if (!c.labels.length) pendingDefault = true;
          pending.push(...c.labels);
          // `case A: case B: body` — an empty case falls into the next one.
          if (!c.body.length) continue;
          const arm: Restriction = pendingDefault ? { except: new Set([...named].filter((l) => !pending.includes(l))) } : { only: new Set(pending) };
          record(c.body, intersect(when, arm), a);
          pending = [];
          pendingDefault = false;
        }
        break;
      }
      case 'if': {
        const eff = condEffect(s.cond, a);
        if (eff.then !== undefined || eff.else !== undefined) a.view.discriminates = true;
        record(s.then, intersect(when, eff.then), a);
        if (s.else) record(s.else, intersect(when, eff.else), a);
        // A guard (`if (val != MODULE_STATE_COMING) return NOTIFY_DONE;`) restricts what follows.
        if (!s.else && exits(s.then) && eff.else !== undefined) when = intersect(when, eff.else);
        break;
      }
      case 'loop':
      case 'block':
        record(s.body, when, a);
        break;
      default:
        break;
    }
    for (const call of ownCalls(s)) {
      if (isBookkeeping(call.callee)) continue;
      const k = call.args.findIndex((arg) => refersToState(arg, a) && !/->\s*state\b/.test(arg));
      if (k < 0) continue;
      follow(call, k, when, a);
    }
  }
}

/** The state handed to a helper: analyse a static helper of this file, one level deep. */
function follow(call: CallSite, argIndex: number, when: Restriction, a: Analysis): void {
  const helper = a.facts.functions.find((f) => f.name === call.callee && f.isStatic);
  const param = helper?.params[argIndex];
  if (!helper || !param || helper.hasError || a.depth > 0) {
    a.view.unresolved.push(call);
    return;
  }
  const sub = stateView(helper, a.facts, param, a.depth + 1);
  if (sub.discriminates) a.view.discriminates = true;
  for (const st of sub.stmts) a.view.stmts.push({ stmt: st.stmt, when: intersect(when, st.when) });
  a.view.unresolved.push(...sub.unresolved);
}

/**
 * How a notifier callback treats the module states. `stateVar` defaults to the callback's second
 * parameter (`int cb(struct notifier_block *nb, unsigned long val, void *data)`).
 */
export function stateView(fn: FunctionFacts, facts: FileFacts, stateVar = fn.params[1] ?? '', depth = 0): StateView {
  const view: StateView = { fn, stateVar, discriminates: false, stmts: [], unresolved: [] };
  if (!stateVar) return view;
  const refs = new Set([stateVar]);
  // Local copies of the state (`enum module_state state = val;`).
  walkStmts(fn.body, (s) => {
    if ((s.k === 'decl' || s.k === 'expr') && s.assigns) for (const x of s.assigns) if (x.op === '=' && refs.has(x.rhs.trim()) && /^\w+$/.test(x.lhs)) refs.add(x.lhs);
  });
  record(fn.body, null, { refs, view, facts, depth });
  return view;
}

// ------------------------------------------------------------------------------ setup/teardown

const ALLOCATORS = new Set(['kmalloc', 'kzalloc', 'kcalloc', 'kmalloc_array', 'kvmalloc', 'kvzalloc', 'kvcalloc', 'vmalloc', 'vzalloc', 'kmemdup', 'kstrdup', 'kstrndup', 'kmem_cache_alloc', 'kmem_cache_zalloc', 'idr_alloc', 'ida_alloc', 'xa_store', 'xa_insert']);

/** Words of a callee name that mean "sets something up", with the words that undo it. */
const SETUP_WORDS: Record<string, string[]> = {
  add: ['del', 'remove', 'delete'],
  register: ['unregister', 'deregister'],
  create: ['remove', 'destroy', 'delete'],
  alloc: ['free', 'release'],
  load: ['unload'],
  coming: ['going'],
  insert: ['remove', 'delete'],
  attach: ['detach'],
  enable: ['disable'],
  setup: ['teardown', 'cleanup', 'release'],
  hold: ['release', 'put'],
  populate: ['depopulate', 'remove'],
  install: ['uninstall', 'remove'],
  init: ['exit', 'cleanup', 'deinit', 'free', 'release'],
  start: ['stop'],
};

export interface Setup {
  call: CallSite;
  /** Names that would undo it, by kernel naming convention (`static_call_del_module`). */
  undo: string[];
  /** The undo is certain (allocation, list insertion, an acquire of the pairs table), not a naming guess. */
  certain: boolean;
}

/** A call that sets up state that must later be undone, or null. */
export function setupCall(call: CallSite): Setup | null {
  const name = call.callee;
  if (isBookkeeping(name) || /^[A-Z0-9_]+$/.test(name)) return null;
  if (ALLOCATORS.has(name)) {
    const undo = name.startsWith('id') ? [name.replace(/alloc$/, 'free'), name.replace(/alloc$/, 'remove')] : name.startsWith('xa_') ? ['xa_erase'] : ['kfree', 'kvfree', 'vfree', 'kmem_cache_free'];
    return { call, undo, certain: true };
  }
  if (/^h?list_add/.test(name)) {
    const base = name.startsWith('h') ? 'hlist_del' : 'list_del';
    return { call, undo: [base, `${base}_rcu`, `${base}_init`], certain: true };
  }
  const pair = pairFor(name);
  if (pair) return { call, undo: [...pair.release], certain: true };
  const words = name.split('_');
  for (const [i, w] of words.entries()) {
    const opp = Object.hasOwn(SETUP_WORDS, w) ? SETUP_WORDS[w] : undefined;
    if (!opp) continue;
    return { call, undo: opp.map((o) => [...words.slice(0, i), o, ...words.slice(i + 1)].join('_')), certain: false };
  }
  return null;
}

export interface Counterpart {
  name: string;
  line: number;
  /** Set when found in another file of the tree. */
  file?: string;
}

export interface MissingGoing {
  setup: Setup;
  /** A name from `setup.undo` that exists: defined or called in this file, or defined in the tree. */
  counterpart?: Counterpart;
  /** The GOING arm exists but is empty. */
  emptyGoing: boolean;
}

/**
 * A callback that sets something up only for COMING and does nothing for GOING. Silent when the
 * view is incomplete (state handed to a function it cannot follow, parse errors) or when GOING is
 * named anywhere outside an empty `case MODULE_STATE_GOING: break;` (comments included: the author
 * thought about it). A setup known only by its name (`foo_add_module()`) counts when its undo
 * exists (`foo_del_module()`, here or in the tree): state kept on purpose for the module's next
 * load (trace_kprobe's probes, trace_printk's formats) has no such counterpart.
 */
export function missingGoing(view: StateView, source: string, facts: FileFacts, inTree: (name: string) => Counterpart | undefined = () => undefined): MissingGoing | null {
  if (view.fn.hasError || view.unresolved.length || !view.discriminates) return null;
  const text = functionText(source, view.fn);
  const emptyArm = /\bcase\s+MODULE_STATE_GOING\s*:\s*break\s*;/;
  const emptyGoing = emptyArm.test(text);
  if (text.replace(new RegExp(emptyArm.source, 'g'), '').includes(GOING)) return null;
  for (const st of view.stmts) {
    if (!st.when || !admits(st.when, GOING)) continue;
    if (ownCalls(st.stmt).some((c) => !isBookkeeping(c.callee))) return null;
  }
  for (const st of view.stmts) {
    if (!st.when || !('only' in st.when) || !st.when.only.has(COMING)) continue;
    for (const c of ownCalls(st.stmt)) {
      const setup = setupCall(c);
      if (!setup) continue;
      const counterpart = findName(facts, setup.undo) ?? setup.undo.map(inTree).find((x) => x);
      if (!counterpart && !setup.certain) continue;
      const out: MissingGoing = { setup, emptyGoing };
      if (counterpart) out.counterpart = counterpart;
      return out;
    }
  }
  return null;
}

/** The first of `names` this file defines or calls. */
function findName(facts: FileFacts, names: readonly string[]): Counterpart | undefined {
  for (const name of names) {
    const def = facts.functions.find((f) => f.name === name);
    if (def) return { name, line: def.startLine };
    for (const f of facts.functions) {
      const c = f.calls.find((x) => x.callee === name);
      if (c) return { name, line: c.line };
    }
  }
  return undefined;
}

// ------------------------------------------------------------------ describing a tree notifier

/** States a callback names (`MODULE_STATE_COMING`, ...), in enum order, short form. */
export function statesNamed(text: string): string[] {
  const seen = new Set(text.match(/\bMODULE_STATE_[A-Z_]+\b/g) ?? []);
  const order = [UNFORMED, COMING, LIVE, GOING];
  return [...order.filter((s) => seen.has(s)), ...[...seen].filter((s) => !order.includes(s)).sort()];
}

export const short = (state: string) => state.replace(/^MODULE_STATE_/, '');

/** What runs for a state the callback does not name: the non-trivial calls, or [] (ignored). */
export function runsForUnnamed(view: StateView, state: string): string[] {
  const out = new Set<string>();
  for (const st of view.stmts) {
    if (!st.when || !admits(st.when, state)) continue;
    for (const c of ownCalls(st.stmt)) if (!isBookkeeping(c.callee)) out.add(c.callee);
  }
  return [...out];
}

// -------------------------------------------------------------------- the loader side (seed 002)

export interface EnumValue {
  name: string;
  line: number;
}

/** The enumerators of `enum module_state { ... }` in this source, or null when it has none. */
export function moduleStateEnum(source: string): EnumValue[] | null {
  const m = /\benum\s+module_state\s*\{([^}]*)\}/.exec(source);
  if (!m) return null;
  const bodyStart = m.index + m[0].indexOf('{') + 1;
  const body = m[1]!.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/\/\/[^\n]*/g, (c) => ' '.repeat(c.length));
  const lineAt = (off: number) => source.slice(0, off).split('\n').length;
  const out: EnumValue[] = [];
  for (const e of body.matchAll(/\b([A-Za-z_]\w*)\b\s*(=[^,]+)?(,|$)/g)) out.push({ name: e[1]!, line: lineAt(bodyStart + e.index!) });
  return out;
}

export interface ChainCall {
  fn: FunctionFacts;
  call: CallSite;
  /** The state arguments (between the list and the module pointer). */
  states: string[];
}

/** Calls that announce a state on module_notify_list. */
export function moduleChainCalls(facts: FileFacts): ChainCall[] {
  const out: ChainCall[] = [];
  for (const fn of facts.functions) {
    for (const call of fn.calls) {
      if (!/^&\s*module_notify_list$/.test((call.args[0] ?? '').trim())) continue;
      if (/chain_(un)?register$/.test(call.callee)) continue;
      out.push({ fn, call, states: call.args.slice(1, -1).map((s) => s.trim()) });
    }
  }
  return out;
}

export function inProtocol(c: Pick<ChainCall, 'call' | 'states'>): boolean {
  return CHAIN_PROTOCOL.some((p) => p.callee === c.call.callee && p.states.length === c.states.length && p.states.every((s, i) => s === c.states[i]));
}
