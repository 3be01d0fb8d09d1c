// Module reference analysis of one function over the statement IR. A reference taken with
// try_module_get()/__module_get() (or fops_get(), which is try_module_get(fops->owner)) that the
// function keeps on success is fine — open() keeps it and release() drops it — but every failure
// exit after a successful get must drop it again (module_put()/fops_put()), or the module can
// never be unloaded. The reverse mistake, module_put() on a path where the get failed or was not
// yet taken, drops someone else's reference and lets the module go while it is still in use.
import { logicalParts, looksLikeFailureTest, normCond as norm, stripParens as unparen } from '../../c/cond.js';
import { blankCommentsAndStrings, resourceIdentity } from '../../c/lex.js';
import type { CallSite, FileFacts, FunctionFacts, Stmt } from '../../c/types.js';
import { walkStmts } from '../../c/walk.js';

export type RefKind = 'module' | 'fops';

export interface RefHeld {
  call: CallSite;
  kind: RefKind;
  /** What was got: `THIS_MODULE`, `ops->owner`; for fops_get() the variable holding the result. */
  id: string;
  /** Test variable of `ok = try_module_get(m)`. */
  flag?: string;
  /**
   * Variables set only where the get succeeded (`res = 0`, `found = p`): a later test of one
   * tells the paths that hold the reference from those that do not.
   */
  witness?: Witness[];
  /** Taken only under this condition (`if (module_dependent) try_module_get(...)`). */
  guard?: { cond: string; branch: 'then' | 'else' };
  /** Locals built from the reference's object (`tty = alloc_tty_struct(driver, idx)`). */
  carriers?: string[];
}

export interface Witness {
  name: string;
  zero: boolean;
  /** Where it was set; set again elsewhere, it no longer tells anything. */
  line: number;
}

export interface RefLeak {
  held: RefHeld;
  exitKind: 'return' | 'goto';
  /** The return, or the goto whose path ends in one. */
  exitLine: number;
  returnLine: number;
  label?: string;
  /** The condition (or `ret = -E...` assignment) that made this a failure path, when there is one. */
  since?: number;
  why?: string;
}

export interface RefMisput {
  put: CallSite;
  get: CallSite;
  reason: 'failed-get' | 'before-get';
  gotoLine?: number;
  label?: string;
}

export interface ModRefReport {
  leaks: RefLeak[];
  misputs: RefMisput[];
}

/**
 * Gets whose failure paths are judged. __module_get() is left out on purpose: it takes an extra
 * reference for an object the caller creates while the module is already pinned, and that
 * object's destructor drops it (bcache's cached_dev_init(), socket accept), which the failure
 * path reaches through the caller.
 */
const GETS: Record<string, RefKind> = { try_module_get: 'module', fops_get: 'fops' };
const PUTS: Record<string, RefKind> = { module_put: 'module', fops_put: 'fops', module_put_and_kthread_exit: 'module', __module_put_and_kthread_exit: 'module' };

/** The identity of a get/put argument: `&foo->owner` and `( foo->owner )` compare equal. */
export const refId = (arg: string | undefined): string => resourceIdentity(arg ?? '');




/**
 * How a condition tests a get or its flag: which branch holds the reference. 'then' / 'else':
 * that branch holds it and the other does not; 'both': cannot tell (held after the if).
 */
function branchHolding(cond: string, probe: RegExp): { holds: 'then' | 'else' | 'both' | 'neither'; failIn?: 'then' | 'else' } | null {
  const { parts, op } = logicalParts(cond);
  const part = parts.find((p) => probe.test(p));
  if (part === undefined) return null;
  const neg = /^!/.test(part);
  if (op === '?') return { holds: 'both' };
  if (neg) {
    // `!get`, `a && !get`, `!a || !get`: the true branch is the failure (or no attempt).
    return { holds: 'else', failIn: 'then' };
  }
  if (op === '||') return { holds: 'both' };
  // `get`, `a && get`: the true branch holds it; the false one does not.
  return { holds: 'then', failIn: 'else' };
}



const ERRNO_EXPR = /^\(?-E[A-Z0-9]+\)?$|^ERR_PTR\(|^ERR_CAST\(|^PTR_ERR\(/;
/** Negative codes that do not mean failure: the operation continues asynchronously. */
const NOT_FAILURE = /^\(?-(EINPROGRESS|EIOCBQUEUED)\)?$/;

function isFailureReturn(expr: string | null, inFailure: boolean, returnsVoid: boolean): boolean {
  if (expr === null) return inFailure && returnsVoid;
  const e = expr.replace(/\s+/g, '');
  if (NOT_FAILURE.test(e)) return false;
  if (ERRNO_EXPR.test(e)) return true;
  if (/^\(?0\)?$|^true$/.test(e)) return false;
  return inFailure;
}

const OBJECT_RELEASE = /(^|_)release$/;
const RELEASE_LIKE = /(put|release|free|destroy|unregister|cleanup|remove|del|exit|close|detach|unbind|deinit|uninit|fini)/i;

interface State {
  held: RefHeld[];
  dead: boolean;
}

interface Ctx {
  fn: FunctionFacts;
  returnsVoid: boolean;
  /** Same-file functions that drop a module reference themselves, with how many puts they make. */
  helperPuts: Map<string, RefKind[]>;
  /**
   * Put helpers the file installs as callbacks (a device's release(), a kref or devres action):
   * the ids they put. A release-like call on the path (put_device(), kref_put()) may run them.
   */
  callbackPuts: Set<string>;
  /** Parameters and locals derived from them (`state = adap_to_priv(adap)`): the caller's objects. */
  callerObjects: Set<string>;
  leaks: RefLeak[];
  /** Labels being followed (a goto chain that loops back is not followed twice). */
  following: Set<string>;
  /** Same-file lookups that return an object with its owner's module reference taken. */
  getters: Map<string, string>;
}

interface Fail {
  on: boolean;
  since?: number;
  /** Text of what made it a failure path: the condition, or the errno assignment. */
  why?: string;
}

const failAt = (line: number, why: string): Fail => ({ on: true, since: line, why: why.replace(/\s+/g, ' ').trim() });
const failInfo = (f: Fail) => ({ ...(f.since ? { since: f.since } : {}), ...(f.why ? { why: f.why } : {}) });

/** Index of the held reference a put of `id` drops: same identity, else the only one of its kind. */
function matchHeld(held: RefHeld[], kind: RefKind, id: string): number {
  const i = held.findIndex((h) => h.kind === kind && (h.id === id || (kind === 'fops' && h.call.args[0] !== undefined && refId(h.call.args[0]) === id)));
  if (i >= 0) return i;
  const same = held.filter((h) => h.kind === kind);
  return same.length === 1 ? held.indexOf(same[0]!) : -1;
}

function rootOf(id: string): string {
  return /^[A-Za-z_]\w*/.exec(id)?.[0] ?? '';
}

/** Does a callback put of `put` stand for the held reference (THIS_MODULE exactly; else the same field, `->owner`)? */
function callbackCovers(ctx: Ctx, h: RefHeld): boolean {
  return ctx.callbackPuts.has(h.id);
}

const wordIn = (name: string, text: string) => new RegExp(`(^|[^\\w>.])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w])`).test(text);

/** Calls of a statement, in order: acquire what is got outside conditions, drop what is put. */
function applyCalls(calls: CallSite[], st: State, ctx: Ctx, condGet?: CallSite): void {
  for (const c of calls) {
    const put = PUTS[c.callee];
    if (put) {
      const i = matchHeld(st.held, put, refId(c.args[0]));
      if (i >= 0) st.held.splice(i, 1);
      if (c.callee.includes('kthread_exit')) st.dead = true;
      continue;
    }
    if (c.callee === 'replace_fops') {
      const i = matchHeld(st.held, 'fops', refId(c.args[1]));
      if (i >= 0) st.held.splice(i, 1);
      continue;
    }
    for (const kind of ctx.helperPuts.get(c.callee) ?? []) {
      const same = st.held.filter((h) => h.kind === kind);
      if (same.length) st.held.splice(st.held.indexOf(same[same.length - 1]!), 1);
    }
    // A put helper handed over as a callback (`devm_add_action_or_reset(dev, foo_release, x)`):
    // from here on the callback owns the reference.
    if (c.args.some((a) => ctx.helperPuts.has(refId(a)))) st.held = st.held.filter((h) => h.kind !== 'module' || !callbackCovers(ctx, h));
    if (RELEASE_LIKE.test(c.callee)) {
      st.held = st.held.filter((h) => {
        // The reference went along with an object built from its owner: `release_tty(tty)` with
        // tty = alloc_tty_struct(driver, idx) after try_module_get(driver->owner). (The owner's
        // own object is not enough: pm_runtime_put_noidle(dev) does not drop dev->driver->owner.)
        const roots = (h.carriers ?? []).filter((r) => r && r !== 'THIS_MODULE');
        if (c.args.some((a) => roots.includes(rootOf(refId(a))))) return false;
        // Or the owner's object itself is released: sock_release(sock) drops sock->ops->owner.
        const r = rootOf(h.id);
        if (r && r !== 'THIS_MODULE' && OBJECT_RELEASE.test(c.callee) && !/^pm_runtime_/.test(c.callee) && c.args.some((a) => refId(a) === r)) return false;
        // A release callback of the file puts it (put_device() -> dev->release()).
        return !(h.kind === 'module' && callbackCovers(ctx, h));
      });
    }
    // `ops = find_ops(name)`: a lookup of this file that returns the object with its owner pinned
    // hands the caller the reference; a null/ERR_PTR test of the variable tells the paths apart.
    const owner = ctx.getters.get(c.callee);
    if (owner !== undefined && c.assignedTo && c !== condGet && /^[A-Za-z_]\w*$/.test(refId(c.assignedTo))) {
      const v = refId(c.assignedTo);
      st.held.push({ call: c, kind: 'module', id: owner ? owner.replace(/^[A-Za-z_]\w*/, v) : `${v}->owner`, flag: v });
    }
    const get = GETS[c.callee];
    if (get && c !== condGet) {
      if (get === 'fops') {
        // `f->f_op = fops_get(...)`: the reference is stored in the object at once.
        if (c.assignedTo && !/->|\./.test(c.assignedTo)) st.held.push({ call: c, kind: 'fops', id: refId(c.assignedTo) });
      } else {
        const h: RefHeld = { call: c, kind: 'module', id: refId(c.args[0]) };
        if (c.assignedTo && c.callee === 'try_module_get') h.flag = refId(c.assignedTo);
        st.held.push(h);
      }
    }
  }
}

/**
 * `obj->owner = owner`, `file->f_op = new_fops`, `port->client = client` (after
 * try_module_get(client->dev.driver->owner)): the reference now lives in an object, whose
 * teardown drops it. `tty = alloc_tty_struct(driver, idx)`: tty carries the driver's reference.
 */
function applyTransfers(s: Stmt, st: State, ctx: Ctx): void {
  if (s.k !== 'expr' && s.k !== 'decl') return;
  for (const a of s.assigns ?? []) {
    if (a.op !== '=') continue;
    const rhs = refId(a.rhs);
    const lhs = refId(a.lhs);
    const intoObject = /->|\.|^\*/.test(lhs);
    const objRoot = rootOf(lhs.replace(/^\*+/, ''));
    // Stored into the caller's object (a parameter: `*crypt = new_crypt`, `port->client = c`):
    // the caller's teardown owns the reference now. Stored into a local object
    // (`subdev_fh->owner = owner`): that object carries it, and must be released on the way out.
    const callers = ctx.callerObjects.has(objRoot);
    // `err = watchdog_start(wdd);`: a witness set again tells nothing about the get any more.
    for (const h of st.held) if (h.witness?.some((w) => w.name === lhs && w.line !== s.line)) h.witness = h.witness.filter((w) => w.name !== lhs);
    st.held = st.held.filter((h) => {
      if (h.id === 'THIS_MODULE') return true;
      const stores = (h.id === rhs && lhs !== rhs) || (intoObject && rhs === rootOf(h.id));
      if (!stores) return true;
      if (callers || !objRoot) return false;
      if (!h.carriers?.includes(objRoot)) h.carriers = [...(h.carriers ?? []), objRoot];
      return true;
    });
    if (/^[A-Za-z_]\w*$/.test(lhs)) {
      for (const h of st.held) {
        const r = rootOf(h.id);
        if (r && r !== 'THIS_MODULE' && r !== lhs && wordIn(r, a.rhs) && !h.carriers?.includes(lhs)) h.carriers = [...(h.carriers ?? []), lhs];
      }
    }
  }
}

/**
 * Assignments at the top of a branch (through plain blocks): the witnesses of a get's success
 * (`res = 0` → zero, `found = p` → pointer), or with `failing` of its failure (`ret = -ENODEV`
 * → ret is 0 where the reference is held; `adapter = NULL` → non-NULL where it is held).
 */
function branchAssigns(ss: readonly Stmt[], failing = false): Witness[] {
  const out: Witness[] = [];
  for (const s of ss) {
    if (s.k === 'block') out.push(...branchAssigns(s.body, failing));
    else if (s.k === 'expr') {
      for (const a of s.assigns ?? []) {
        if (a.op !== '=') continue;
        const rhs = a.rhs.replace(/\s+/g, '');
        if (!failing) out.push({ name: refId(a.lhs), zero: /^\(?0\)?$/.test(rhs), line: s.line });
        else if (ERRNO_EXPR.test(rhs)) out.push({ name: refId(a.lhs), zero: true, line: s.line });
        else if (rhs === 'NULL') out.push({ name: refId(a.lhs), zero: false, line: s.line });
      }
    }
  }
  return out;
}

/** Which branch of `cond` is the one where a witness says the get did not succeed. */
function witnessFailBranch(cond: string, w: Witness): 'then' | 'else' | null {
  const { parts } = logicalParts(cond);
  const esc = w.name.replace(/\s+/g, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const { op } = logicalParts(cond);
  const part = parts.find((p) => new RegExp(`(^|[^\\w>.])${esc}($|[^\\w])`).test(p));
  if (part === undefined || op === '?') return null;
  const b = witnessPart(part, w);
  // `a || !found` / `a && !found`: the true branch has !found. `a || found`: the false one has !found.
  if (parts.length === 1 || b === 'then' || op === '||') return b;
  return null;
}

function witnessPart(part: string, w: Witness): 'then' | 'else' {
  const neg = part.startsWith('!');
  const nullish = /==NULL$|^IS_ERR(_OR_NULL)?\(/.test(part);
  const lt0 = /<0$/.test(part);
  // Status witness (`res = 0` where the get worked): `if (res)`, `if (res < 0)` fail in then.
  if (w.zero) return neg || /==0$/.test(part) ? 'else' : 'then';
  // Pointer witness (`found = p`): `if (!found)`, `found == NULL`, IS_ERR(found) fail in then.
  if (neg || nullish || lt0) return 'then';
  return 'else';
}

const clone = (s: State): State => ({ held: [...s.held], dead: s.dead });

/**
 * After branches: a reference held before stays held only if every live branch still holds it
 * (a conditional module_put() counts as the release); one taken inside a branch is held after.
 */
function mergeAll(before: State, outs: State[]): State {
  const live = outs.filter((o) => !o.dead);
  if (!live.length) return { held: [], dead: true };
  const had = new Set(before.held);
  const held: RefHeld[] = [];
  for (const o of live) {
    for (const h of o.held) {
      if (held.includes(h)) continue;
      if (had.has(h) && !live.every((x) => x.held.includes(h))) continue;
      held.push(h);
    }
  }
  return { held, dead: false };
}

function leave(st: State, ctx: Ctx, leak: Omit<RefLeak, 'held'>): void {
  for (const h of st.held) ctx.leaks.push({ held: h, ...leak });
}

function walk(body: readonly Stmt[], st: State, ctx: Ctx, fail: Fail, inBranch = false): State {
  let f = fail;
  /** The variable an in-branch `ret = -E...;` set, so `ret = 0;` can undo it. */
  let preset: string | undefined;
  for (const s of body) {
    if (st.dead) {
      // Code after a return or goto is reached only through its label: goto paths walk it.
      if (s.k === 'label') return st;
      continue;
    }
    switch (s.k) {
      case 'expr':
      case 'decl':
        applyCalls(s.calls, st, ctx);
        applyTransfers(s, st, ctx);
        // `ret = -EFAULT;` inside a branch: what follows in it is an error path. (At the top of a
        // function `err = -ENOMEM;` presets a default, and declarations are only defaults.)
        if (s.k === 'expr' && inBranch) {
          for (const a of s.assigns ?? []) {
            if (a.op !== '=') continue;
            const rhs = a.rhs.replace(/\s+/g, '');
            if (!f.on && ERRNO_EXPR.test(rhs) && !NOT_FAILURE.test(rhs)) {
              f = failAt(s.line, s.text);
              preset = refId(a.lhs);
            } else if (preset === refId(a.lhs)) {
              f = fail;
              preset = undefined;
            }
          }
        }
        break;
      case 'return':
        applyCalls(s.calls, st, ctx);
        if (isFailureReturn(s.expr, f.on, ctx.returnsVoid)) leave(st, ctx, { exitKind: 'return', exitLine: s.line, returnLine: s.line, ...failInfo(f) });
        st.dead = true;
        break;
      case 'goto':
        if (f.on && st.held.length) followGoto(s.label, s.line, st, ctx, f);
        st.dead = true;
        break;
      case 'block':
        st = walk(s.body, st, ctx, f, inBranch);
        break;
      case 'if':
        st = walkIf(s, st, ctx, f);
        break;
      case 'loop': {
        applyCalls(s.condCalls, st, ctx);
        const out = walk(s.body, clone({ ...st, dead: false }), ctx, f, true);
        // A body that always leaves (`return p;` once found) adds nothing to what follows the loop.
        if (!out.dead) st = mergeAll(st, [out, clone(st)]);
        break;
      }
      case 'switch': {
        const outs = s.cases.map((c) => walk(c.body, clone(st), ctx, f, true));
        const hasDefault = s.cases.some((c) => !c.labels.length);
        st = mergeAll(st, hasDefault ? outs : [...outs, clone(st)]);
        break;
      }
      default:
        break;
    }
  }
  return st;
}

function walkIf(s: Extract<Stmt, { k: 'if' }>, st: State, ctx: Ctx, f: Fail): State {
  const get = s.condCalls.find((c) => GETS[c.callee]);
  applyCalls(s.condCalls, st, ctx, get);
  let thenIn = clone(st);
  let elseIn = clone(st);
  let thenFail: Fail = looksLikeFailureTest(s.cond) ? failAt(s.line, s.cond) : f;
  let elseFail: Fail = f;
  if (get && GETS[get.callee] === 'module') {
    const probe = new RegExp(`${get.callee}\\(`);
    const how = branchHolding(s.cond, probe);
    const h: RefHeld = { call: get, kind: 'module', id: refId(get.args[0]) };
    // A condition the parts of which cannot be told apart: held after the if either way.
    const holds = how?.holds ?? 'both';
    if (holds === 'then' || holds === 'else') {
      const w = branchAssigns(holds === 'then' ? s.then : s.else ?? []);
      // The failing branch's marks: `ret = -ENODEV;` (held where ret stays 0), `adap = NULL;`.
      for (const a of branchAssigns(holds === 'then' ? s.else ?? [] : s.then, true)) w.push(a);
      if (w.length) h.witness = w;
    }
    if (holds === 'then' || holds === 'both') thenIn.held.push(h);
    if (holds === 'else' || holds === 'both') elseIn.held.push(h);
    if (how?.failIn === 'then') thenFail = failAt(s.line, s.cond);
    if (how?.failIn === 'else') elseFail = failAt(s.line, `!(${s.cond})`);
  } else if (get && GETS[get.callee] === 'fops' && get.assignedTo) {
    // `if (!(new_fops = fops_get(x)))`: rare; treat like the variable test below.
    elseIn.held.push({ call: get, kind: 'fops', id: refId(get.assignedTo) });
  } else {
    // Paths told apart by a witness of the get's success, or by the condition the get was taken under.
    for (const h of st.held) {
      const byWitness = h.witness?.map((w) => witnessFailBranch(s.cond, w)).find((b) => b);
      const g = h.guard;
      const byGuard = g ? (sameCond(s.cond, g.cond) ? (g.branch === 'then' ? 'else' : 'then') : sameCond(s.cond, `!(${g.cond})`) ? g.branch : null) : null;
      const drop = byWitness ?? byGuard;
      if (drop === 'then') thenIn = { ...thenIn, held: thenIn.held.filter((x) => x !== h) };
      if (drop === 'else') elseIn = { ...elseIn, held: elseIn.held.filter((x) => x !== h) };
    }
    // A test of a get's result held in a variable or flag: `if (!new_fops)`, `if (!ok)`.
    for (const h of st.held) {
      const v = h.flag ?? (h.kind === 'fops' ? h.id : '');
      if (!v) continue;
      const esc = v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      // `IS_ERR(ops)` tests a lookup's failure as `!ops` does.
      const cond = norm(s.cond).replace(new RegExp(`(!?)IS_ERR(?:_OR_NULL)?\\(${esc}\\)`, 'g'), (_m, neg: string) => (neg ? v : `!${v}`));
      const how = branchHolding(cond, new RegExp(`^!?${esc}$|^${esc}(==|!=)NULL$`));
      if (!how) continue;
      const part = logicalParts(cond).parts.find((p) => new RegExp(`^!?${esc}`).test(p)) ?? '';
      const nullTest = /==NULL$/.test(part);
      const thenHolds = nullTest ? how.holds === 'else' : how.holds === 'then';
      const elseHolds = nullTest ? how.holds === 'then' : how.holds === 'else';
      if (how.holds !== 'both') {
        if (!thenHolds) thenIn = { ...thenIn, held: thenIn.held.filter((x) => x !== h) };
        if (!elseHolds) elseIn = { ...elseIn, held: elseIn.held.filter((x) => x !== h) };
        if (!thenHolds) thenFail = failAt(s.line, s.cond);
        if (!elseHolds && thenHolds) elseFail = failAt(s.line, `!(${s.cond})`);
      }
    }
  }
  const t = walk(s.then, thenIn, ctx, thenFail, true);
  const e = s.else ? walk(s.else, elseIn, ctx, elseFail, true) : elseIn;
  // Taken in one branch only: remember the condition, later tests of it tell the paths apart.
  if (!get) {
    for (const h of t.held) if (!st.held.includes(h) && !e.held.includes(h) && !h.guard) h.guard = { cond: s.cond, branch: 'then' };
    for (const h of e.held) if (!st.held.includes(h) && !t.held.includes(h) && !h.guard) h.guard = { cond: s.cond, branch: 'else' };
  }
  return mergeAll(st, [t, e]);
}

function sameCond(a: string, b: string): boolean {
  const n = (c: string) => {
    const x = unparen(norm(c));
    return x.startsWith('!') ? `!${unparen(x.slice(1))}` : x;
  };
  return n(a) === n(b) || n(a) === n(b).replace(/^!!/, '');
}


function followGoto(label: string, gotoLine: number, st: State, ctx: Ctx, f: Fail): void {
  if (ctx.following.has(label)) return;
  const at = ctx.fn.body.findIndex((x) => x.k === 'label' && x.name === label);
  if (at < 0) return;
  ctx.following.add(label);
  const local: Ctx = { ...ctx, leaks: [] };
  const out = walk(ctx.fn.body.slice(at + 1), clone({ ...st, dead: false }), local, f);
  ctx.following.delete(label);
  for (const l of local.leaks) ctx.leaks.push({ ...l, exitKind: 'goto', exitLine: gotoLine, label, ...failInfo(f) });
  // Falling off the end of a void function on an error path leaves with what it holds.
  if (!out.dead && ctx.returnsVoid) leave(out, ctx, { exitKind: 'goto', exitLine: gotoLine, returnLine: ctx.fn.endLine, label, ...failInfo(f) });
}

/** Same-file functions that put a module reference (one level: cleanup helpers on error paths). */
function helperPuts(facts: FileFacts, self: string): Map<string, RefKind[]> {
  const out = new Map<string, RefKind[]>();
  for (const f of facts.functions) {
    if (f.name === self) continue;
    const kinds = f.calls.map((c) => PUTS[c.callee] ?? (c.callee === 'replace_fops' ? 'fops' : undefined)).filter((k): k is RefKind => !!k);
    if (kinds.length && !f.calls.some((c) => GETS[c.callee])) out.set(f.name, kinds);
  }
  return out;
}

function callerObjects(fn: FunctionFacts): Set<string> {
  const out = new Set(fn.params);
  const assigns = allAssigns(fn.body);
  for (let round = 0; round < 4; round++) {
    let grew = false;
    for (const a of assigns) {
      const lhs = refId(a.lhs);
      if (!/^[A-Za-z_]\w*$/.test(lhs) || out.has(lhs)) continue;
      if ([...out].some((p) => wordIn(p, a.rhs))) {
        out.add(lhs);
        grew = true;
      }
    }
    if (!grew) break;
  }
  return out;
}

function allAssigns(ss: readonly Stmt[]): { lhs: string; rhs: string }[] {
  const out: { lhs: string; rhs: string }[] = [];
  for (const s of ss) {
    if (s.k === 'expr' || s.k === 'decl') for (const a of s.assigns ?? []) if (a.op === '=') out.push(a);
    if (s.k === 'if') out.push(...allAssigns(s.then), ...allAssigns(s.else ?? []));
    if (s.k === 'loop' || s.k === 'block') out.push(...allAssigns(s.body));
    if (s.k === 'switch') for (const c of s.cases) out.push(...allAssigns(c.body));
  }
  return out;
}

/** Ids put by put helpers that the file uses as values (callbacks), not only calls. */
function callbackPuts(facts: FileFacts, helpers: Map<string, RefKind[]>): Set<string> {
  const out = new Set<string>();
  // Installed at run time (`dev->release = foo_release`, `kref_put(&x->kref, foo_release)`). An
  // ops table entry (`.release = foo_release` in file_operations) is the close of another path.
  const used = new Set<string>([...facts.functions.flatMap((f) => f.refs), ...facts.functions.flatMap((f) => f.calls.flatMap((c) => c.args.map(refId)))]);
  for (const f of facts.functions) {
    if (!helpers.has(f.name) || !used.has(f.name)) continue;
    for (const c of f.calls) if (c.callee === 'module_put') out.add(refId(c.args[0]));
  }
  return out;
}

// ---------------------------------------------------------------- put without a get

/** Top-level statements of a label's path up to its first return, flattened through blocks only. */
function labelPath(fn: FunctionFacts, label: string): Stmt[] {
  const at = fn.body.findIndex((x) => x.k === 'label' && x.name === label);
  if (at < 0) return [];
  const out: Stmt[] = [];
  const visit = (ss: readonly Stmt[]): boolean => {
    for (const s of ss) {
      if (s.k === 'block') {
        if (!visit(s.body)) return false;
        continue;
      }
      out.push(s);
      if (s.k === 'return' || s.k === 'goto') return false;
    }
    return true;
  };
  visit(fn.body.slice(at + 1));
  return out;
}

/** Unconditional puts of `get`'s reference among straight-line statements, up to an exit. */
function putsIn(ss: readonly Stmt[], get: CallSite, fn: FunctionFacts, seen = new Set<string>()): { put: CallSite; gotoLine?: number; label?: string }[] {
  const id = refId(get.args[0]);
  const out: { put: CallSite; gotoLine?: number; label?: string }[] = [];
  for (const s of ss) {
    if (s.k === 'expr' || s.k === 'decl' || s.k === 'return') {
      for (const c of s.calls) if (c.callee === 'module_put' && refId(c.args[0]) === id) out.push({ put: c });
      if (s.k === 'return') break;
    } else if (s.k === 'goto') {
      if (seen.has(s.label)) break;
      seen.add(s.label);
      for (const p of putsIn(labelPath(fn, s.label), get, fn, seen)) out.push({ ...p, gotoLine: p.gotoLine ?? s.line, label: p.label ?? s.label });
      break;
    } else if (s.k === 'block') {
      out.push(...putsIn(s.body, get, fn, seen));
    } else if (s.k === 'if' || s.k === 'loop' || s.k === 'switch') {
      // A conditional put (`if (got) module_put(m)`) is not judged.
      continue;
    }
  }
  return out;
}

function inLoop(fn: FunctionFacts, line: number): boolean {
  const visit = (ss: readonly Stmt[], loop: boolean): boolean =>
    ss.some((s) => {
      if (s.line === line && loop) return true;
      if (s.k === 'loop') return s.line === line || visit(s.body, true);
      if (s.k === 'if') return visit(s.then, loop) || visit(s.else ?? [], loop);
      if (s.k === 'block') return visit(s.body, loop);
      if (s.k === 'switch') return s.cases.some((c) => visit(c.body, loop));
      return false;
    });
  return visit(fn.body, false);
}

/**
 * module_put() where this function's own try_module_get() failed (its failure branch, or the
 * label it jumps to), or on a goto path taken before the get: the ladder drops a reference the
 * function does not hold.
 */
function misputs(fn: FunctionFacts): RefMisput[] {
  const out: RefMisput[] = [];
  const gets = fn.calls.filter((c) => c.callee === 'try_module_get' || c.callee === '__module_get');
  if (!gets.length) return out;
  // Gets on the function's main line (not inside a branch that may return early).
  const topGets = fn.body.flatMap((s) => (s.k === 'if' ? s.condCalls : s.k === 'expr' || s.k === 'decl' ? s.calls : [])).filter((c) => gets.some((g) => g.line === c.line && g.callee === c.callee));
  const visit = (ss: readonly Stmt[], loop: boolean) => {
    for (const s of ss) {
      if (s.k === 'if') {
        const get = s.condCalls.find((c) => c.callee === 'try_module_get');
        const how = get ? branchHolding(s.cond, /try_module_get\(/) : null;
        // With an earlier reference to the same module held, the put drops that one (appldata's
        // "protect this function" reference, dropped when the second get fails).
        const earlier = get && topGets.some((g) => g.line < get.line && refId(g.args[0]) === refId(get.args[0]));
        if (get && how?.failIn && !loop && !earlier) {
          const branch = how.failIn === 'then' ? s.then : s.else ?? [];
          for (const p of putsIn(branch, get, fn)) out.push({ put: p.put, get, reason: 'failed-get', ...(p.gotoLine ? { gotoLine: p.gotoLine, label: p.label! } : {}) });
        }
        visit(s.then, loop);
        visit(s.else ?? [], loop);
      } else if (s.k === 'goto' && !loop) {
        // Taken before the get: the label's ladder must not put what is got only later.
        const label = fn.body.find((x) => x.k === 'label' && x.name === s.label);
        for (const get of gets) {
          if (!label || get.line <= s.line || get.line >= label.line || inLoop(fn, get.line)) continue;
          if (gets.some((g) => g.line < s.line && refId(g.args[0]) === refId(get.args[0]))) continue;
          for (const p of putsIn(labelPath(fn, s.label), get, fn)) out.push({ put: p.put, get, reason: 'before-get', gotoLine: s.line, label: s.label });
        }
      } else if (s.k === 'loop') visit(s.body, true);
      else if (s.k === 'block') visit(s.body, loop);
      else if (s.k === 'switch') for (const c of s.cases) visit(c.body, loop);
    }
  };
  visit(fn.body, false);
  const seen = new Set<string>();
  return out.filter((m) => {
    const k = `${m.put.line}:${m.get.line}:${m.gotoLine ?? ''}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ---------------------------------------------------------------- comments

// "keep the module reference", "dropped in foo_release()", "put later by ...". Not "leak": a
// comment about avoiding a leak says nothing about keeping the reference.
const KEEP_WORDS = /\b(keep|keeps|kept|hold|holds|held|retain|retains|leave|leaves|pin|pins|pinned|on purpose|intentional(ly)?|deliberate(ly)?|(dropped|released|put|freed) (in|by|later|on|when|at))\b/i;
const REF_WORDS = /\b(module|ref|refs|reference|references|refcount|refcnt|count|owner)\b/i;

/** A comment on the failure path (between the failing test and the return) that keeps the reference on purpose. */
export function keptOnPurpose(fn: FunctionFacts, from: number, to: number): boolean {
  return fn.comments.some((c) => c.line >= from && c.line <= to && KEEP_WORDS.test(c.text) && REF_WORDS.test(c.text));
}

// ---------------------------------------------------------------- the analysis

/**
 * Lookups of this file that hand back an object with its owner's module pinned: a function named
 * as a lookup (get, find, lookup, grab, request, load, bind, attach) that calls try_module_get()
 * and returns a pointer variable. The value: what it pins, as `ops->owner` (root = what it returns).
 */
export function refGetters(facts: FileFacts): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of facts.functions) {
    if (!/(^|_)(get|find|lookup|grab|request|load|bind|attach|try_get)(_|$)/.test(f.name) || isVoid(f)) continue;
    const gets = f.calls.filter((c) => c.callee === 'try_module_get');
    if (gets.length !== 1) continue;
    const returned = new Set<string>();
    walkStmts(f.body, (st) => {
      if (st.k !== 'return' || !st.expr) return;
      const x = refId(st.expr);
      if (/^[A-Za-z_]\w*$/.test(x) && !/^(NULL|true|false|ret|err|error|rc|res|result|status)$/.test(x) && !/^[A-Z_0-9]+$/.test(x)) returned.add(x);
    });
    if (!returned.size) continue;
    const id = refId(gets[0]!.args[0]);
    out.set(f.name, returned.has(rootOf(id)) ? id : '');
  }
  return out;
}

export function analyseModuleRefs(fn: FunctionFacts, facts: FileFacts): ModRefReport {
  const getters = refGetters(facts);
  getters.delete(fn.name);
  if (!fn.calls.some((c) => GETS[c.callee] || getters.has(c.callee))) return { leaks: [], misputs: misputs(fn) };
  const helpers = helperPuts(facts, fn.name);
  const ctx: Ctx = {
    fn,
    returnsVoid: !fn.body.some((s) => s.k === 'return') || isVoid(fn),
    helperPuts: helpers,
    callbackPuts: callbackPuts(facts, helpers),
    callerObjects: callerObjects(fn),
    leaks: [],
    following: new Set(),
    getters,
  };
  walk(fn.body, { held: [], dead: false }, ctx, { on: false });
  const seen = new Set<string>();
  const leaks = ctx.leaks.filter((l) => {
    const k = `${l.held.call.line}:${l.held.id}:${l.exitLine}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return { leaks, misputs: misputs(fn) };
}

/** No return in the body carries a value. */
function isVoid(fn: FunctionFacts): boolean {
  const rets: (string | null)[] = [];
  const visit = (ss: readonly Stmt[]) => {
    for (const s of ss) {
      if (s.k === 'return') rets.push(s.expr);
      else if (s.k === 'if') {
        visit(s.then);
        visit(s.else ?? []);
      } else if (s.k === 'loop' || s.k === 'block') visit(s.body);
      else if (s.k === 'switch') s.cases.forEach((c) => visit(c.body));
    }
  };
  visit(fn.body);
  return rets.every((r) => r === null);
}

// ---------------------------------------------------------------- the 2.4 use count

export interface ObsoleteUse {
  macro: string;
  line: number;
}

const OBSOLETE = /\b(__MOD_INC_USE_COUNT|__MOD_DEC_USE_COUNT|MOD_INC_USE_COUNT|MOD_DEC_USE_COUNT|MOD_IN_USE)\b/g;

/** Uses (in code, not comments or strings) of the module use-count macros removed in 2.5/2.6. */
export function obsoleteUseCount(source: string): ObsoleteUse[] {
  if (!source.includes('MOD_')) return [];
  const code = blankCommentsAndStrings(source);
  const out: ObsoleteUse[] = [];
  let line = 1;
  let last = 0;
  for (const m of code.matchAll(OBSOLETE)) {
    for (let i = last; i < m.index; i++) if (code.charCodeAt(i) === 10) line++;
    last = m.index;
    // `#define MOD_INC_USE_COUNT` in a compatibility header is not a use.
    const lineStart = code.lastIndexOf('\n', m.index) + 1;
    if (/^\s*#\s*(define|undef|ifdef|ifndef|if|elif)\b/.test(code.slice(lineStart, m.index))) continue;
    out.push({ macro: m[1]!, line });
  }
  return out;
}
