// Which calls of a module acquire something its failure paths must give back, and with what.
// The seed is the fixed table of kernel APIs (resources.ts); beyond it, the module itself says
// what init holds: whatever its module_exit releases (`snd_soc_util_exit()`), or what another
// path of the same file undoes (`acpi_remove_address_space_handler()` on one error path), pairs
// with the call named like its counterpart (`snd_soc_util_init()`, `acpi_install_...`). Names
// pair by the kernel's own vocabulary: register/unregister, init/exit/cleanup, create/destroy,
// alloc/free, add/del, install/remove, setup/teardown, start/stop, get/put, ...
// Shared by the init unwind analysis and the teardown analysis, so both read one book.
import type { CallSite, FileFacts, FunctionFacts } from '../../c/types.js';
import { resourceIdentity, escapeRegExp } from '../../c/lex.js';
import { flatten, ownCalls, walkStmts } from '../../c/walk.js';
import type { IndexQuery } from '../types.js';
import { declaredNames } from '../../c/functions.js';
import { identifiersOf } from '../../c/cond.js';
import { moduleEntryPoints, pathCalls, type PathCall } from './lifecycle.js';
import { isManaged, isRelease as tableRelease, pairFor as tablePair, type AcquireKind, type ResourcePair } from './resources.js';

/** Where a pair comes from: the fixed table, the module's exit path, another path of the file, or a function of the tree. */
export type PairSource = 'table' | 'exit' | 'file' | 'tree';

export interface BookPair extends ResourcePair {
  source: PairSource;
}

export interface PairBook {
  pairFor(callee: string): BookPair | undefined;
  isRelease(callee: string): boolean;
  /** Does the module's exit path call this release? (Exit then takes the acquire for granted.) */
  exitReleases(release: string): boolean;
}

/** Acquire words and the words of their undo, as kernel function names spell them. */
const COUNTERPARTS: Readonly<Record<string, readonly string[]>> = {
  register: ['unregister', 'deregister'],
  init: ['exit', 'cleanup', 'fini', 'uninit', 'deinit', 'destroy', 'release', 'free', 'remove', 'teardown', 'shutdown', 'term'],
  // (`kthread_create()` / `kthread_stop()`: what creates threads stops them)
  create: ['destroy', 'remove', 'delete', 'free', 'release', 'stop'],
  alloc: ['free', 'put', 'destroy', 'release'],
  // (`input_allocate_device()` / `input_free_device()`)
  allocate: ['free', 'put', 'destroy', 'release'],
  // (`snd_card_new()` / `snd_card_free()`, `snd_timer_global_new()` / `snd_timer_global_free()`)
  new: ['free', 'destroy', 'delete', 'release'],
  // (`kern_mount()` / `kern_unmount()`)
  mount: ['unmount', 'umount'],
  pin: ['unpin'],
  prepare: ['unprepare'],
  export: ['unexport'],
  insert: ['remove'],
  add: ['del', 'remove', 'delete'],
  install: ['remove', 'uninstall'],
  setup: ['teardown', 'cleanup', 'remove', 'free', 'release', 'destroy', 'shutdown'],
  start: ['stop'],
  attach: ['detach'],
  enable: ['disable'],
  request: ['free', 'release'],
  get: ['put'],
  open: ['close'],
  map: ['unmap'],
  load: ['unload'],
  bind: ['unbind'],
  link: ['unlink'],
  hook: ['unhook'],
  subscribe: ['unsubscribe'],
  connect: ['disconnect'],
  activate: ['deactivate'],
  claim: ['release'],
  reserve: ['release', 'unreserve'],
  startup: ['shutdown'],
  probe: ['remove'],
};

/** Words whose counterpart found only somewhere in the tree (not in this module) is still taken as a pair. */
const TREE_WORDS = new Set(['register', 'create', 'alloc', 'allocate', 'install', 'attach', 'request']);

/**
 * Calls named like acquires that are not: lock and object initialisers with nothing to undo,
 * reference gets of lookups, printing. Their counterparts (mutex_destroy) are hygiene, not leaks.
 */
const NOT_ACQUIRES = /^(mutex_init|spin_lock_init|raw_spin_lock_init|rwlock_init|init_rwsem|seqlock_init|init_waitqueue_head|init_completion|reinit_completion|INIT_\w+|kref_init|refcount_\w+|atomic\w*|ida_init|idr_init|idr_init_base|xa_init\w*|timer_setup|hrtimer_\w+|lockdep_\w+|pr_\w+|dev_(err|warn|info|dbg|notice|printk)\w*|printk|\w*_lock|\w*_unlock|of_\w+|fwnode_\w+|\w*_get_\w+|get_\w+|\w*_get_drvdata|\w*_set_\w+|\w*_enable_\w+|\w*_disable_\w+|pm_runtime_\w+|clk_\w+|regulator_\w+|gpiod?_\w+|irq_\w+|enable_irq|disable_irq|local_irq_\w+|preempt_\w+|rcu_\w+|synchronize_\w+|kfree\w*|vfree|kvfree)$/;

/**
 * NOT_ACQUIRES names whole API families by prefix (of_, clk_, irq_, ...) for their lookups and
 * getters; a registration in one of them (`of_overlay_notifier_register()`) is still an acquire.
 */
function notAcquire(name: string): boolean {
  return NOT_ACQUIRES.test(name) && !name.split('_').includes('register');
}

/** Calls that set up or tear down nothing a failure path must give back (lock debugging, list heads, logging). */
const TRIVIAL = /^(mutex_init|mutex_destroy|spin_lock_init|raw_spin_lock_init|rwlock_init|init_rwsem|init_waitqueue_head|init_completion|INIT_\w+|lockdep_\w+|pr_\w+|printk|dev_(err|warn|info|dbg|notice)|WARN\w*|BUG_ON|memset|atomic_set|refcount_set|kref_init|ida_destroy|idr_destroy|xa_destroy)$/;

/** A function of the file whose every call is trivial (or that calls nothing): no resource behind its name. */
function trivialIn(facts: FileFacts, name: string): boolean {
  const defs = facts.functions.filter((f) => f.name === name);
  return defs.length > 0 && defs.every((f) => f.calls.every((c) => TRIVIAL.test(c.callee)));
}

/** Release names a call named `acquire` may be undone by (one word replaced). */
export function counterpartNames(acquire: string): string[] {
  const parts = acquire.split('_');
  const out: string[] = [];
  parts.forEach((w, i) => {
    // (own keys only: a name word like `constructor` must not reach Object.prototype; a word
    // written `Init` or `INIT` pairs as `init` does, in its own case and in lower case:
    // mISDN's `Isdnl1_Init()` / `Isdnl1_cleanup()`)
    const key = w.toLowerCase();
    for (const r of Object.hasOwn(COUNTERPARTS, key) ? COUNTERPARTS[key]! : []) {
      const cased = w === key ? [r] : [...new Set([r, w === w.toUpperCase() ? r.toUpperCase() : r[0]!.toUpperCase() + r.slice(1)])];
      for (const x of cased) out.push([...parts.slice(0, i), x, ...parts.slice(i + 1)].join('_'));
    }
    // Two verbs in a row make one step, undone by either's counterpart alone
    // (`crypto_engine_alloc_init()` / `crypto_engine_exit()`).
    const next = parts[i + 1]?.toLowerCase();
    if (next !== undefined && w === key && Object.hasOwn(COUNTERPARTS, key) && Object.hasOwn(COUNTERPARTS, next)) {
      for (const r of new Set([...COUNTERPARTS[key]!, ...COUNTERPARTS[next]!])) out.push([...parts.slice(0, i), r, ...parts.slice(i + 2)].join('_'));
    }
  });
  return out;
}

/**
 * Counterparts with the words after the replaced one dropped (`clk_register_composite` ->
 * `clk_unregister`), for the verbs that make an object only: a `skx_setup_debug()` is not undone
 * by the whole driver's `skx_remove()`.
 */
export function shorterCounterparts(acquire: string): string[] {
  const parts = acquire.split('_');
  const out: string[] = [];
  parts.forEach((w, i) => {
    if (i === 0 || i === parts.length - 1 || !MAKER_WORDS.has(w)) return;
    for (const r of Object.hasOwn(COUNTERPARTS, w) ? COUNTERPARTS[w]! : []) out.push([...parts.slice(0, i), r].join('_'));
  });
  return out;
}

const MAKER_WORDS = new Set(['register', 'create', 'alloc', 'allocate', 'new']);

/** Acquire names a release named `release` may undo (one word replaced): the inverse of counterpartNames(). */
export function acquireNamesFor(release: string): string[] {
  const parts = release.split('_');
  const out: string[] = [];
  parts.forEach((w, i) => {
    for (const [acq, rels] of Object.entries(COUNTERPARTS)) if (rels.includes(w)) out.push([...parts.slice(0, i), acq, ...parts.slice(i + 1)].join('_'));
  });
  return out;
}

/** Words that name an undo, as the counterpart table spells them. */
const RELEASE_WORDS = new Set(Object.values(COUNTERPARTS).flat());

/** Is this a release by its name (`iso_exit`, `sysfs_remove_group`, `idr_destroy`)? */
export function releaseByName(name: string): boolean {
  return name.split('_').some((w) => RELEASE_WORDS.has(w));
}

/** The calls the module's exit path makes: the exit function, same-file helpers two levels, other files one level. */
function exitPathOf(facts: FileFacts, index?: IndexQuery): { exit: FunctionFacts; path: PathCall[] } | undefined {
  const exit = moduleEntryPoints(facts).exit?.fn;
  if (!exit) return undefined;
  const opts: Parameters<typeof pathCalls>[2] = { depth: 2 };
  if (index) opts.index = index;
  return { exit, path: pathCalls(facts, exit, opts) };
}

/**
 * A name-derived acquire whose result the file keeps in an object variable (`dev =
 * input_allocate_device();`) hands out a handle, tested with `!dev` / IS_ERR() and released by
 * name; one assigned to a status variable (`err = foo_register(...)`) reports success.
 */
function returnsHandle(facts: FileFacts, name: string): boolean {
  const sites = facts.functions.flatMap((f) => f.calls.filter((c) => c.callee === name && c.assignedTo));
  return sites.length > 0 && sites.every((c) => !STATUS_NAMES.test(resourceIdentity(c.assignedTo!)));
}

/**
 * The pairs book of one file: the fixed table, then name-derived pairs backed by the module's
 * exit path, by another call in the file, or (for registration-like words) by the tree.
 */
export function moduleBook(facts: FileFacts, index?: IndexQuery, before?: FileFacts): PairBook {
  const exitPath = exitPathOf(facts, index);
  const exitCalls = new Set(exitPath?.path.map((p) => p.call.callee));
  const fileCalls = new Set<string>();
  for (const f of facts.functions) for (const c of f.calls) fileCalls.add(c.callee);
  // A counterpart the file called before the patch still names the release (the patch may have
  // taken away its only call: `snd_timer_global_free(timer)` off snd_hrtimer_init()'s failure
  // path). Only for names the file still calls as acquires.
  const beforeCalls = new Set<string>();
  for (const f of before?.functions ?? []) for (const c of f.calls) if (!fileCalls.has(c.callee)) beforeCalls.add(c.callee);
  const derived = new Map<string, BookPair>();
  const releases = new Set<string>();
  for (const name of fileCalls) {
    // (managed acquires — devm_rtc_allocate_device() — are released by the driver core)
    if (tablePair(name) || isManaged(name) || notAcquire(name) || tableRelease(name) || trivialIn(facts, name)) continue;
    const cands = counterpartNames(name).filter((r) => r !== name && !trivialIn(facts, r));
    const words = new Set(name.split('_'));
    const inExit = cands.filter((r) => exitCalls.has(r));
    const inFile = cands.filter((r) => fileCalls.has(r) || beforeCalls.has(r));
    const inTree = index && [...words].some((w) => TREE_WORDS.has(w)) ? cands.filter((r) => index.functionsNamed(r).length > 0) : [];
    // The family's plain undo called on the very object the acquire was given
    // (`clocksource_register_hz(&d->clksrc, rate)` ... `clocksource_unregister(&d->clksrc)`): the
    // file states the pair itself, which no one-word counterpart spells.
    // (in either image: the patch may have taken away the only unregister)
    const sameObject = words.has('register') ? shorterCounterparts(name).filter((r) => !trivialIn(facts, r) && (undoesSameObject(facts, name, r) || (!!before && undoesSameObject(before, name, r)))) : [];
    const source: PairSource | undefined = inExit.length ? 'exit' : inFile.length ? 'file' : inTree.length ? 'tree' : sameObject.length ? 'file' : undefined;
    if (!source) continue;
    // Every counterpart any source backs: the exit may undo a registered object one way
    // (input_unregister_device() -> input_put_device()) while the failure path frees the
    // unregistered one another (input_free_device()); either undoes the acquire.
    // A handle not yet registered is freed by name (named first, as the message suggests it).
    const handle = returnsHandle(facts, name);
    // The family's plain undo, where the file calls it, undoes a variant's acquire too
    // (`clk_unregister(clk)` after clk_register_composite(), `debugfs_remove()` after
    // debugfs_create_file_unsafe()): it widens what counts as the release, never makes a pair.
    const family = shorterCounterparts(name).filter((r) => (exitCalls.has(r) || fileCalls.has(r)) && !trivialIn(facts, r));
    const release = [...new Set(handle ? [...inFile, ...inTree, ...inExit, ...family, ...sameObject] : [...inExit, ...inFile, ...inTree, ...family, ...sameObject])];
    const pair: BookPair = { acquire: name, release, kind: handle ? 'handle' : 'status', source };
    const arg = handle ? 0 : sharedArg(facts, name, release);
    if (arg) pair.arg = arg;
    derived.set(name, pair);
    for (const r of release) releases.add(r);
  }
  // Same-file wrappers that hand back what an acquire returns (zfcp_cache_hw_align() is
  // `return kmem_cache_create(...)`): the caller holds that handle and frees it the same way.
  for (const f of facts.functions) {
    if (derived.has(f.name) || tablePair(f.name) || !fileCalls.has(f.name)) continue;
    const inner = wrappedAcquire(f);
    if (!inner) continue;
    const t = tablePair(inner);
    // (plain allocators are left to the allocation analysis, which knows when memory is handed on)
    const pair = t?.kind === 'handle' ? t : derived.get(inner)?.kind === 'handle' ? derived.get(inner) : undefined;
    if (!pair) continue;
    derived.set(f.name, { acquire: f.name, release: [...pair.release], kind: 'handle', source: 'file' });
    for (const r of pair.release) releases.add(r);
  }
  for (const [name, release] of ladderPairs([...facts.functions, ...(before?.functions ?? [])])) {
    if (tablePair(name) || derived.has(name) || isManaged(name) || notAcquire(name) || TRIVIAL.test(name) || allocatorReleases(name).length) continue;
    const handle = returnsHandle(facts, name);
    const pair: BookPair = { acquire: name, release, kind: handle ? 'handle' : 'status', source: 'file' };
    const arg = handle ? 0 : sharedArg(facts, name, release);
    if (arg) pair.arg = arg;
    derived.set(name, pair);
    for (const r of release) releases.add(r);
  }
  for (const [name, pair] of exitObjectPairs(facts, exitPath, (callee) => tablePair(callee) ?? derived.get(callee))) {
    derived.set(name, pair);
    for (const r of pair.release) releases.add(r);
  }
  return {
    pairFor(callee) {
      const t = tablePair(callee);
      return t ? { ...t, source: 'table' } : derived.get(callee);
    },
    isRelease: (callee) => tableRelease(callee) || releases.has(callee) || ALLOCATOR_RELEASES.has(callee),
    exitReleases: (release) => exitCalls.has(release),
  };
}

/** Calls that only look at a result (decode, assert on or log it): no step of their own. */
export const LOOKS_ONLY = /^(IS_ERR|IS_ERR_OR_NULL|PTR_ERR|PTR_ERR_OR_ZERO|ERR_CAST|WARN_ON|WARN_ON_ONCE|WARN|BUG_ON|pr_\w+|printk|dev_(err|warn|info|dbg|notice)|dev_err_probe)$/;

/** LOOKS_ONLY, and the other all-capitals macros and branch hints a ladder's test may wrap a result in. */
const ERROR_DECODERS = (callee: string): boolean => LOOKS_ONLY.test(callee) || /^(unlikely|likely|[A-Z][A-Z0-9_]*)$/.test(callee);

/**
 * Pairs an unwind ladder states by position, where no name does: a step whose failure jumps to
 * one label while the next step's failure jumps to the label just above it has its undo on the
 * rung between the two (`err = idxd_cdev_register(); if (err) goto err_cdev_register;` ...
 * `err_debugfs: idxd_cdev_remove(); err_cdev_register: ...`). Only a rung of one call that
 * names an undo counts. By acquire name, over every function given (both images of a patch).
 */
export function ladderPairs(fns: readonly FunctionFacts[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const fn of fns) {
    const body = fn.body;
    const labelAt = new Map<string, number>();
    body.forEach((st, i) => {
      if (st.k === 'label') labelAt.set(st.name, i);
    });
    if (labelAt.size < 2) continue;
    // Steps in order: a call, then an `if` on what it returned (or on the call itself) that ends in a goto.
    const steps: { callee: string; args: string[]; label: string }[] = [];
    body.forEach((st, i) => {
      if (st.k !== 'if' || st.else) return;
      const last = st.then[st.then.length - 1];
      if (last?.k !== 'goto') return;
      const prev = body[i - 1];
      const made = prev && (prev.k === 'expr' || prev.k === 'decl') ? prev.calls.find((c) => c.assignedTo && new RegExp(`(?<![\\w.>])${escapeRegExp(resourceIdentity(c.assignedTo))}(?![\\w])`).test(st.cond)) : undefined;
      const c = made ?? (st.condCalls.length === 1 ? st.condCalls[0] : undefined);
      // (`rc = PTR_ERR_OR_ZERO(dev)`, `WARN_ON(...)`: a test of an earlier step, no step itself)
      if (c && !ERROR_DECODERS(c.callee)) steps.push({ callee: c.callee, args: c.args, label: last.label });
    });
    for (let k = 0; k + 1 < steps.length; k++) {
      const here = labelAt.get(steps[k]!.label);
      const next = labelAt.get(steps[k + 1]!.label);
      if (here === undefined || next === undefined || next >= here) continue;
      // The rung: what lies between the next step's label and the label after it, which must be this step's.
      const following = [...labelAt.values()].filter((i) => i > next).sort((a, b) => a - b)[0];
      if (following !== here) continue;
      const rung = body.slice(next + 1, here);
      if (!rung.every((st) => st.k === 'expr')) continue;
      const calls = rung.flatMap((st) => st.calls).filter((c) => !TRIVIAL.test(c.callee));
      const acquire = steps[k]!;
      if (calls.length !== 1) continue;
      const r = calls[0]!;
      if (r.callee === acquire.callee || !(releaseByName(r.callee) || tableRelease(r.callee) || ALLOCATOR_RELEASES.has(r.callee))) continue;
      // (on the same object: `xen_sysfs_type_init()` is not undone by every
      // `sysfs_remove_file(hypervisor_kobj, ...)` of the ladder)
      const given = new Set(acquire.args.map(resourceIdentity));
      // (a cleanup that names nothing undoes module-wide state: `Isdnl1_Init(&debug)` / `Isdnl1_cleanup()`)
      if (r.args.length && !r.args.some((a) => given.has(resourceIdentity(a)))) continue;
      out.set(acquire.callee, [...new Set([...(out.get(acquire.callee) ?? []), r.callee])]);
    }
  }
  return out;
}

/**
 * Pairs the module's exit states by object, where no name does: exit gives back a file-scope
 * object (`padata_free(pencrypt)`), and a helper of the file fills that object through its
 * address (`err = pcrypt_init_padata(&pencrypt, "pencrypt")`) or with its result (`ctx =
 * foo_setup()`). That helper acquires what exit releases, so init's failure paths after it must
 * release it too. Only the module's own helpers (an API's getters and initialisers —
 * `nand_to_mtd()`, `config_group_init_type_name()` — hand over nothing to undo), only releases
 * no other pair of the file explains (`mtd_device_unregister(mtd)` undoes
 * `mtd_device_register(mtd)`, not the `mtd = do_map_probe(...)` before it), and not calls
 * something else already pairs or the exit path makes itself.
 */
function exitObjectPairs(facts: FileFacts, exitOf: ReturnType<typeof exitPathOf>, pairOf: (callee: string) => ResourcePair | undefined): Map<string, BookPair> {
  const out = new Map<string, BookPair>();
  if (!exitOf) return out;
  const { exit } = exitOf;
  const byName = new Map(facts.functions.map((f) => [f.name, f]));
  // (the file's own part of the exit path: another file's helper says nothing of this file's objects)
  const exitPath = exitOf.path.filter((p) => !p.crossFile);
  const exitCallees = new Set(exitPath.map((p) => p.call.callee));
  const exitFns = new Set([exit.name, ...exitPath.map((p) => p.fn)]);
  // What exit releases: file-scope objects (not a local or parameter where the release is made).
  const released = new Map<string, Set<string>>();
  for (const p of exitPath) {
    const r = p.call.callee;
    if (!(releaseByName(r) || tableRelease(r) || ALLOCATOR_RELEASES.has(r)) || TRIVIAL.test(r)) continue;
    const id = resourceIdentity(p.call.args[0] ?? '');
    const fn = byName.get(p.fn);
    if (!/^[A-Za-z_]\w*$/.test(id) || STATUS_NAMES.test(id) || (fn && declaredNames(fn).has(id))) continue;
    // (`if (rds6_rdma_listen_id) rdma_destroy_id(...)`: exit copes with an object init may not
    // have made, so init's carrying on without it is no leak to report)
    if (fn && testedAround(fn, p.call, id)) continue;
    released.set(id, (released.get(id) ?? new Set()).add(r));
  }
  if (!released.size) return out;
  // (what another pair of the file explains: a call on the object whose own pair has that release)
  for (const f of facts.functions)
    for (const c of f.calls) {
      const p = pairOf(c.callee);
      if (!p) continue;
      for (const a of c.args) {
        const rs = released.get(resourceIdentity(a));
        if (rs) for (const r of p.release) rs.delete(r);
      }
    }
  for (const f of facts.functions) {
    if (exitFns.has(f.name)) continue;
    let locals: Set<string> | undefined;
    for (const c of f.calls) {
      const a = c.callee;
      if (!byName.has(a) || pairOf(a) || exitCallees.has(a) || out.has(a) || notAcquire(a) || TRIVIAL.test(a) || releaseByName(a) || namesExisting(a) || allocatorReleases(a).length || isManaged(a) || trivialIn(facts, a)) continue;
      const status = !c.assignedTo || STATUS_NAMES.test(resourceIdentity(c.assignedTo));
      const arg = status ? c.args.findIndex((x) => /^&\s*[A-Za-z_]\w*$/.test(x.trim()) && released.has(resourceIdentity(x))) : -1;
      const id = arg >= 0 ? resourceIdentity(c.args[arg]!) : !status ? resourceIdentity(c.assignedTo!) : '';
      const release = released.get(id);
      if (!release?.size) continue;
      locals ??= declaredNames(f);
      if (locals.has(id)) continue;
      out.set(a, arg >= 0 ? { acquire: a, release: [...release], kind: 'status', arg, source: 'exit' } : { acquire: a, release: [...release], kind: 'handle', source: 'exit' });
    }
  }
  return out;
}

/** Is the call at `call`'s line made under an `if` whose condition names `id` (a plain identifier)? */
function testedAround(fn: FunctionFacts, call: CallSite, id: string): boolean {
  let found = false;
  walkStmts(fn.body, (s, outer) => {
    if (!found && ownCalls(s).some((c) => c.line === call.line && c.callee === call.callee)) found = outer.some((o) => o.k === 'if' && identifiersOf(o.cond).includes(id));
  });
  return found;
}

/**
 * Which argument of a name-derived acquire is the resource: the one the file's releases name
 * (`led_classdev_register(&pdev->dev, &micmute_led_cdev)` is undone by
 * `led_classdev_unregister(&micmute_led_cdev)`: the second, not the parent device). 0 when the
 * file does not tell.
 */
function sharedArg(facts: FileFacts, acquire: string, releases: readonly string[]): number {
  const rel = new Set<string>();
  for (const f of facts.functions) for (const c of f.calls) if (releases.includes(c.callee)) for (const a of c.args) rel.add(resourceIdentity(a));
  const votes = new Map<number, number>();
  for (const f of facts.functions)
    for (const c of f.calls) {
      if (c.callee !== acquire) continue;
      const i = c.args.findIndex((a) => rel.has(resourceIdentity(a)));
      if (i >= 0) votes.set(i, (votes.get(i) ?? 0) + 1);
    }
  let best = 0;
  for (const [i, n] of votes) if (n > (votes.get(best) ?? 0)) best = i;
  return best;
}

/**
 * Does the file call `release` on the object some call of `acquire` registered: the first
 * argument of both (`&d->clksrc`)? A parent or device passed along elsewhere says nothing.
 */
function undoesSameObject(facts: FileFacts, acquire: string, release: string): boolean {
  const given = new Set<string>();
  for (const f of facts.functions) for (const c of f.calls) if (c.callee === acquire && c.args[0]) given.add(resourceIdentity(c.args[0]));
  return facts.functions.some((f) =>
    f.calls.some((c) => {
      if (c.callee !== release) return false;
      const id = resourceIdentity(c.args[0] ?? '');
      return /^[A-Za-z_]/.test(id) && given.has(id) && !STATUS_NAMES.test(id);
    }),
  );
}

/** The acquire a function's only return hands back directly (`return kmem_cache_create(...);`). */
function wrappedAcquire(fn: FunctionFacts): string | undefined {
  const rets = flatten(fn.body).filter((st) => st.k === 'return');
  if (rets.length !== 1) return undefined;
  const r = rets[0]!;
  if (r.k !== 'return' || !r.expr) return undefined;
  const c = r.calls[0];
  return c && new RegExp(`^\\(?\\s*${escapeRegExp(c.callee)}\\s*\\(`).test(r.expr.trim()) && r.expr.trim().endsWith(')') ? c.callee : undefined;
}

/** The fixed table alone (no file to learn from). */
export const TABLE_BOOK: PairBook = {
  pairFor(callee) {
    const t = tablePair(callee);
    return t ? { ...t, source: 'table' } : undefined;
  },
  isRelease: (callee) => tableRelease(callee) || ALLOCATOR_RELEASES.has(callee),
  exitReleases: () => false,
};

/** Allocators whose result, stored where the function's caller or exit can find it, must be freed on failure. */
const ALLOCATORS: Readonly<Record<string, readonly string[]>> = {
  kmalloc: ['kfree', 'kvfree', 'kfree_sensitive'],
  kzalloc: ['kfree', 'kvfree', 'kfree_sensitive'],
  kcalloc: ['kfree', 'kvfree'],
  kmalloc_array: ['kfree', 'kvfree'],
  kmemdup: ['kfree', 'kvfree'],
  kstrdup: ['kfree'],
  kstrndup: ['kfree'],
  kmemdup_nul: ['kfree'],
  kasprintf: ['kfree'],
  kvmalloc: ['kvfree'],
  kvzalloc: ['kvfree'],
  kvcalloc: ['kvfree'],
  kvmalloc_array: ['kvfree'],
  vmalloc: ['vfree', 'kvfree'],
  vzalloc: ['vfree', 'kvfree'],
  __get_free_page: ['free_page'],
  __get_free_pages: ['free_pages'],
  get_zeroed_page: ['free_page'],
};

const ALLOCATOR_RELEASES = new Set(Object.values(ALLOCATORS).flat());

/** Does `callee` free memory an allocator returned (kfree, vfree, free_pages)? */
export function isAllocatorRelease(callee: string): boolean {
  return ALLOCATOR_RELEASES.has(callee);
}

/** What frees memory an allocator returned (`kcalloc` -> kfree, kvfree); none for other calls. */
export function allocatorReleases(callee: string): readonly string[] {
  return Object.hasOwn(ALLOCATORS, callee) ? ALLOCATORS[callee]! : [];
}

/**
 * An allocation kept beyond the function (`dasd_reserve_req = kmalloc(...)`, `ns->pages = vzalloc(...)`):
 * the result goes to a file-scope variable or a member of some object, not a local. Freed on the
 * failure paths after it like any handle.
 */
export function keptAllocation(call: CallSite, locals: ReadonlySet<string>): BookPair | undefined {
  const release = Object.hasOwn(ALLOCATORS, call.callee) ? ALLOCATORS[call.callee] : undefined;
  if (!release || !call.assignedTo) return undefined;
  const target = resourceIdentity(call.assignedTo);
  // An element of an array (`bufs[0] = kcalloc(...)`) is kept where its array is.
  const member = /->|\.|\[/.test(target);
  if (!member && (locals.has(target) || !/^[A-Za-z_]\w*$/.test(target))) return undefined;
  // A member of a local object goes with that object.
  if (member && locals.has(/^[A-Za-z_]\w*/.exec(target)?.[0] ?? '') && !/->/.test(target)) return undefined;
  return { acquire: call.callee, release: [...release], kind: 'handle', source: 'table' };
}

/** Names kernel code gives status codes: never a handle. */
export const STATUS_NAMES = /^(ret|err|error|rc|r|rv|retval|status|result|res|\w+_ret|\w+_err|\w+_rc)$/;

/**
 * How a call site tells its failure: by the handle it returns (`if (!p)`, `IS_ERR(p)`), or by a
 * status code. Read from the first condition after the call that tests its variable.
 */
export function kindAt(pair: BookPair, call: CallSite, conds: readonly { line: number; cond: string }[]): AcquireKind {
  if (pair.source === 'table') return pair.kind;
  const v = call.assignedTo ? resourceIdentity(call.assignedTo) : '';
  if (!v) return testedInPlaceAsHandle(call, conds) ? 'handle' : 'status';
  if (STATUS_NAMES.test(v)) return 'status';
  const e = v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const mentions = new RegExp(`(^|[^\\w>.])${e}($|[^\\w])`);
  const first = conds.find((c) => c.line >= call.line && mentions.test(c.cond.replace(/\s+/g, ' ')));
  // (never tested: what the file's other call sites say, `debug_info = debug_register(...)`
  // kept in an object either way, so released through that object)
  if (!first) return pair.kind;
  // (`NULL == fmdev` too: the operands either way round)
  const handle = new RegExp(`(^|[^\\w>.])!\\s*\\(?\\s*${e}(?!\\w)|\\bIS_ERR(_OR_NULL)?\\s*\\(\\s*${e}\\s*\\)|\\b${e}\\s*==\\s*NULL|\\bNULL\\s*==\\s*${e}(?![\\w>.])`);
  return handle.test(first.cond.replace(/\s+/g, ' ')) ? 'handle' : 'status';
}

/**
 * `if (!siw_create_tx_threads())`: a result tested in place with `!` is a handle or a count whose
 * zero means failure (a status call is tested as `if (f())`: non-zero is the failure).
 */
function testedInPlaceAsHandle(call: CallSite, conds: readonly { line: number; cond: string }[]): boolean {
  const e = call.callee.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const notCall = new RegExp(`^\\(*!\\s*\\(*\\s*${e}\\s*\\(`);
  // The condition the call sits in: the nearest one starting on or before its line.
  const at = conds.filter((c) => c.line <= call.line).reduce<{ line: number; cond: string } | undefined>((a, c) => (!a || c.line >= a.line ? c : a), undefined);
  return !!at && notCall.test(at.cond.replace(/\b(unlikely|likely)\s*\(/g, '(').trim());
}

/**
 * Can a call of `callee` fail? Yes for the table's status acquires, and for functions of the file
 * or (through the index) of the tree that return a negative errno or another call's result.
 * Unknown functions are taken as not failing: a guess here would invent failure paths.
 */
export function fallibility(facts: FileFacts, book: PairBook, index?: IndexQuery): (callee: string) => boolean {
  const memo = new Map<string, boolean>();
  const fails = (f: FunctionFacts) => f.returnsErrno.length > 0 || f.propagates.length > 0;
  return (callee) => {
    const known = memo.get(callee);
    if (known !== undefined) return known;
    let r = false;
    const p = book.pairFor(callee);
    if (p?.source === 'table') r = (p.kind === 'status' || p.kind === 'nid') && !p.returnsVoid;
    else {
      const here = facts.functions.filter((f) => f.name === callee);
      if (here.length) r = here.some(fails);
      else if (index) {
        for (const d of index.functionsNamed(callee).slice(0, 4)) {
          const fn = index.fileFacts(d.file)?.functions.find((f) => f.name === callee);
          if (fn && fails(fn)) {
            r = true;
            break;
          }
        }
      }
    }
    memo.set(callee, r);
    return r;
  };
}

/**
 * Calls that name an object that already exists (`cclk = to_clk_hw_comp(hw)`, container_of(),
 * drvdata getters): freeing it later gives back the caller's object, not something this call made.
 */
const CONVERSION = /^(to_\w+|container_of\w*|\w+_get_drvdata|dev_get_platdata)$/;

/** Does `callee` name an object that already exists (a conversion or a drvdata getter)? */
export function namesExisting(callee: string): boolean {
  return CONVERSION.test(callee);
}

/** `op`, or a member of it (`put_device(&op->dev)` gives back what `op = of_find_device_by_node()` took). */
const namesLocal = (arg: string, v: string) => arg === v || arg === `${v}->dev` || arg === `${v}.dev`;

/**
 * Is `r` the undo of a later step done on the local rather than of the call that filled it?
 * `to = this_cpu_ptr(&csky_to); ret = timer_of_init(np, to); ... timer_of_cleanup(to)` cleans up
 * what timer_of_init() set up in `to`; the per-CPU pointer itself was never acquired.
 */
function undoesLaterStep(fn: FunctionFacts, from: number, r: { line: number; callee: string }, v: string): boolean {
  return fn.calls.some((d) => d.line > from && d.line < r.line && d.args.some((a) => namesLocal(resourceIdentity(a), v)) && counterpartNames(d.callee).includes(r.callee));
}

/**
 * Locals the function itself gives back (`names = kasprintf_strarray(...)` ...
 * `kfree_strarray(names, n)`; `np = of_find_node_by_path(...)` ... `of_node_put(np)`): the call
 * that fills the local acquires, and a later call whose first argument is that local and whose
 * name says undo (or a freeing allocator's release) releases it. No table knows most of these
 * pairs; the function's own code states them, so every failure exit between the two must
 * release the local too. Keyed by `line:callee` of the acquiring call.
 */
export function locallyReleased(fn: FunctionFacts, locals: ReadonlySet<string>): Map<string, BookPair> {
  const out = new Map<string, BookPair>();
  // `kfree_strarray`, `kvfree_rcu`: the allocator families spell free with their prefix.
  const undoes = (callee: string) => ALLOCATOR_RELEASES.has(callee) || tableRelease(callee) || releaseByName(callee) || /(?:^|_)k?v?free(?:_|$)/.test(callee);
  for (const c of fn.calls) {
    if (tablePair(c.callee) || undoes(c.callee) || TRIVIAL.test(c.callee) || namesExisting(c.callee)) continue;
    // (or filled through its address by a maker that returns a status: `err =
    // snd_device_alloc(&dev, card)` ... `put_device(dev)`)
    const filled = filledThrough(c);
    const v = filledName(c);
    if (!v) continue;
    // An element of a local array (`in0[i] = kmalloc(...)` in a loop, freed by the function's
    // own cleanup loop `kfree(in0[i])`): the array is the function's, so each element is too.
    const element = /^([A-Za-z_]\w*)\[[^[\]]+\]$/.exec(v)?.[1];
    if (element ? !locals.has(element) : !/^[A-Za-z_]\w*$/.test(v) || !locals.has(v) || STATUS_NAMES.test(v)) continue;
    const names = (arg: string) => (element ? new RegExp(`^${element}\\[[^[\\]]+\\]$`).test(arg) : namesLocal(arg, v));
    const release = [
      ...new Set(
        fn.calls
          .filter((r) => r.line > c.line && r.callee !== c.callee && undoes(r.callee) && names(resourceIdentity(r.args[0] ?? '')) && !undoesLaterStep(fn, c.line, r, v))
          .map((r) => r.callee),
      ),
    ];
    if (release.length) out.set(`${c.line}:${c.callee}`, filled ? { acquire: c.callee, release, kind: 'status', arg: filled.arg, source: 'file' } : { acquire: c.callee, release, kind: 'handle', source: 'file' });
  }
  return out;
}

/** Names that say a call makes something, for a fill through an out parameter. */
const OUT_PARAM_MAKER = /(^|_)(alloc|allocate|create|new|make)(_|$)/;

/**
 * `err = snd_device_alloc(&dev, card)`: the object a maker fills through its address while its
 * result is only a status, and which argument names it.
 */
export function filledThrough(c: CallSite): { id: string; arg: number } | undefined {
  if (!OUT_PARAM_MAKER.test(c.callee) || (c.assignedTo && !STATUS_NAMES.test(resourceIdentity(c.assignedTo)))) return undefined;
  const arg = c.args.findIndex((a) => /^&\s*[A-Za-z_]\w*$/.test(a.trim()));
  return arg >= 0 ? { id: c.args[arg]!.trim().slice(1).trim(), arg } : undefined;
}

/** The variable a call fills: through its address (filledThrough()) or with its result. */
export const filledName = (c: CallSite): string => filledThrough(c)?.id ?? (c.assignedTo ? resourceIdentity(c.assignedTo) : '');
