// What a module's init and exit paths do, as ordered call lists over the statement IR: the
// module_init/module_exit functions of a file, the same-file helpers they call (followed a
// bounded number of levels, inlined at the call), and for each call whether it sits in a loop or
// on a failure branch. Shared by the exit-side rules (exit-missing-release,
// exit-missing-rcu-barrier).
import { functionsByName } from '../../c/functions.js';
import type { CallSite, FileFacts, FunctionFacts, ModuleEntry, Stmt } from '../../c/types.js';
import { resourceIdentity } from '../../c/lex.js';
import type { IndexQuery } from '../types.js';

/** A call as the path runs it: which function makes it (a helper, maybe) and in what context. */
export interface PathCall {
  call: CallSite;
  /** The function whose body holds the call. */
  fn: string;
  /** Functions from the entry point down to `fn` (entry first). */
  via: string[];
  /** Inside a loop body: may run for several objects. */
  inLoop: boolean;
  /** On a failure branch (an if whose branch ends in return/goto, or after an unwind label). */
  onFailure: boolean;
  /** Made by a function of another file, reached through the index. */
  crossFile?: string;
}

/** The module entry points a file defines itself (module_*_driver() macros generate theirs). */
export interface ModuleEntryPoints {
  inits: { entry: ModuleEntry; fn: FunctionFacts }[];
  exit?: { entry: ModuleEntry; fn?: FunctionFacts };
  /** A module_*_driver() macro generates init and exit: nothing to pair by hand. */
  driverMacro: boolean;
}

export function moduleEntryPoints(facts: FileFacts): ModuleEntryPoints {
  const byName = functionsByName(facts.functions);
  const inits: ModuleEntryPoints['inits'] = [];
  let exit: ModuleEntryPoints['exit'];
  let driverMacro = false;
  for (const e of facts.moduleEntries) {
    if (e.driver) {
      driverMacro = true;
      if (e.kind === 'exit' && !exit) exit = { entry: e };
      continue;
    }
    const fn = byName.get(e.fn);
    if (e.kind === 'init' && fn) inits.push({ entry: e, fn });
    if (e.kind === 'exit' && (!exit || exit.entry.driver)) exit = fn ? { entry: e, fn } : { entry: e };
  }
  const out: ModuleEntryPoints = { inits, driverMacro };
  if (exit) out.exit = exit;
  return out;
}

/** Does a branch end by leaving (return/goto), as failure checks do? */
function leaves(body: Stmt[]): boolean {
  const last = body[body.length - 1];
  if (!last) return false;
  if (last.k === 'return' || last.k === 'goto') return true;
  if (last.k === 'block') return leaves(last.body);
  return false;
}

/** A return of 0 or of nothing ends a success path; anything else on a leaving branch is a failure. */
function successReturn(body: Stmt[]): boolean {
  const last = body[body.length - 1];
  if (last?.k === 'block') return successReturn(last.body);
  return last?.k === 'return' && (last.expr === null || /^\(?0\)?$/.test(last.expr.replace(/\s+/g, '')));
}

/**
 * A condition that reads "the last step failed": `ret`, `err < 0`, `rc != 0`, `IS_ERR(p)`. Its
 * branch is a failure path even when it does not leave (`if (ret) destroy_workqueue(wq);`).
 */
function testsFailure(cond: string): boolean {
  const c = cond.replace(/\b(unlikely|likely)\s*\(/g, '(').replace(/\s+/g, '');
  return /^\(*(ret|err|error|rc|rv|retval|status|result|res)(?:\)*(?:<0|!=0))?\)*$/.test(c) || /^\(*IS_ERR(_OR_NULL)?\(/.test(c) || /^\(*\w+<0\)*$/.test(c);
}

interface Ctx {
  inLoop: boolean;
  onFailure: boolean;
}

/** Calls of one function body in source order, each with its loop/failure context. */
export function callsWithContext(fn: FunctionFacts): { call: CallSite; inLoop: boolean; onFailure: boolean }[] {
  const out: { call: CallSite; inLoop: boolean; onFailure: boolean }[] = [];
  const push = (calls: CallSite[], c: Ctx) => {
    for (const call of calls) out.push({ call, ...c });
  };
  const visit = (body: Stmt[], c: Ctx): void => {
    let ctx = c;
    let prevLeaves = false;
    for (const s of body) {
      const before: boolean = prevLeaves;
      prevLeaves = s.k === 'return' || s.k === 'goto' || (s.k === 'label' && before);
      const onlyByGoto = before;
      switch (s.k) {
        case 'label':
          // An unwind ladder: a label that the code above cannot fall into (it ends in a return
          // or goto) is reached only by gotos, i.e. failures. One fallen into is the success path too.
          if (onlyByGoto) ctx = { ...ctx, onFailure: true };
          break;
        case 'expr':
        case 'decl':
        case 'return':
          push(s.calls, ctx);
          break;
        case 'if': {
          push(s.condCalls, ctx);
          const thenFail = (leaves(s.then) && !successReturn(s.then)) || testsFailure(s.cond);
          visit(s.then, { ...ctx, onFailure: ctx.onFailure || thenFail });
          if (s.else) visit(s.else, { ...ctx, onFailure: ctx.onFailure || (leaves(s.else) && !successReturn(s.else)) });
          break;
        }
        case 'loop':
          push(s.condCalls, { ...ctx, inLoop: true });
          visit(s.body, { ...ctx, inLoop: true });
          break;
        case 'switch':
          for (const cs of s.cases) visit(cs.body, ctx);
          break;
        case 'block':
          visit(s.body, ctx);
          break;
        default:
          break;
      }
    }
  };
  visit(fn.body, { inLoop: false, onFailure: false });
  // Calls the IR did not place (inside odd constructs) still count, with no context.
  const seen = new Set(out.map((x) => x.call));
  for (const call of fn.calls) if (!seen.has(call) && !out.some((x) => x.call.line === call.line && x.call.callee === call.callee)) out.push({ call, inLoop: false, onFailure: false });
  return out.sort((a, b) => a.call.line - b.call.line);
}

export interface PathOptions {
  /** Same-file helper levels to follow below the entry function. */
  depth: number;
  /** Follow only into helpers this accepts (default: every function of the file). */
  follow?: (fn: FunctionFacts) => boolean;
  /** Follow calls into other files' non-static functions, one level, through the index. */
  index?: IndexQuery;
  /** Calls not to follow (releases themselves, known kernel APIs). */
  stop?: (callee: string) => boolean;
}

/** Most helper expansions per path: a bound on work for helpers called in long sequences. */
const EXPANSION_BUDGET = 200;

/**
 * A helper's call with the helper's parameters replaced by the caller's arguments
 * (`__unregister(&ctr_alg)` calling `crypto_unregister_skcipher(alg)` names `ctr_alg`).
 */
function substitute(call: CallSite, params: string[], args: string[]): CallSite {
  if (!params.length) return call;
  const map = new Map<string, string>();
  params.forEach((p, i) => {
    const a = args[i];
    if (a !== undefined) map.set(p, resourceIdentity(a));
  });
  let changed = false;
  const next = call.args.map((a) => {
    const id = resourceIdentity(a);
    const m = /^([A-Za-z_]\w*)(?!\w)(.*)$/.exec(id);
    const to = m ? map.get(m[1]!) : undefined;
    if (!m || to === undefined) return a;
    changed = true;
    return to + m[2]!;
  });
  return changed ? { ...call, args: next } : call;
}

/**
 * The calls a path makes in execution order, helpers inlined where they are called, with the
 * helper's parameters replaced by the arguments of each call.
 */
export function pathCalls(facts: FileFacts, entry: FunctionFacts, opts: PathOptions): PathCall[] {
  const byName = functionsByName(facts.functions);
  const out: PathCall[] = [];
  let budget = EXPANSION_BUDGET;
  const remote = new Map<string, { file: string; fn: FunctionFacts } | undefined>();
  const expand = (fn: FunctionFacts, via: string[], depth: number, outer: Ctx, args: string[] | null) => {
    for (const x of callsWithContext(fn)) {
      const ctx = { inLoop: outer.inLoop || x.inLoop, onFailure: outer.onFailure || x.onFailure };
      const call = args ? substitute(x.call, fn.params, args) : x.call;
      out.push({ call, fn: fn.name, via, ...ctx });
      const callee = call.callee;
      if (depth <= 0 || via.includes(callee) || opts.stop?.(callee) || budget <= 0) continue;
      const helper = byName.get(callee);
      if (helper) {
        if (helper.hasError || (opts.follow && !opts.follow(helper))) continue;
        budget--;
        expand(helper, [...via, callee], depth - 1, ctx, call.args);
      } else if (opts.index) {
        if (!remote.has(callee)) remote.set(callee, crossFileDefinition(opts.index, callee, facts.path));
        const other = remote.get(callee);
        if (!other) continue;
        budget--;
        for (const y of callsWithContext(other.fn)) {
          out.push({ call: substitute(y.call, other.fn.params, call.args), fn: callee, via: [...via, callee], inLoop: ctx.inLoop || y.inLoop, onFailure: ctx.onFailure || y.onFailure, crossFile: other.file });
        }
      }
    }
  };
  expand(entry, [entry.name], opts.depth, { inLoop: false, onFailure: false }, null);
  return out;
}

/** The one non-static definition of `name` in another file, with its facts, when the index has it. */
export function crossFileDefinition(index: IndexQuery, name: string, fromFile: string): { file: string; fn: FunctionFacts } | undefined {
  const defs = index.functionsNamed(name).filter((f) => !f.isStatic && f.file !== fromFile);
  if (defs.length !== 1) return undefined;
  const file = defs[0]!.file;
  const fn = index.fileFacts(file)?.functions.find((f) => f.name === name);
  return fn && !fn.hasError ? { file, fn } : undefined;
}

/**
 * The module_exit function whose unload path reaches `fn` of `file`, found by walking callers up
 * through the index a few levels: a helper in another file of the module (fs/coda/inode.c's
 * coda_destroy_inodecache(), called from psdev.c's exit) or in the same file. A static function
 * is called only from its own file. `chain` runs from the exit down to `fn`.
 */
export function exitReaching(index: IndexQuery, file: string, fn: FunctionFacts, facts: FileFacts, depth = 3): { exit: string; file: string; chain: string[] } | undefined {
  interface Node { name: string; file: string; isStatic: boolean; chain: string[] }
  const exitOf = new Map<string, string | undefined>();
  const isExit = (n: Node): boolean => {
    if (!exitOf.has(n.file)) {
      const ff = n.file === file ? facts : index.fileFacts(n.file);
      exitOf.set(n.file, ff ? moduleEntryPoints(ff).exit?.entry.fn : undefined);
    }
    return exitOf.get(n.file) === n.name;
  };
  const seen = new Set([`${file}\0${fn.name}`]);
  let level: Node[] = [{ name: fn.name, file, isStatic: fn.isStatic, chain: [fn.name] }];
  for (let d = 0; d <= depth && level.length; d++) {
    const next: Node[] = [];
    for (const n of level) {
      if (isExit(n)) return { exit: n.name, file: n.file, chain: n.chain };
      if (d === depth) continue;
      // (bounded: a name called from hundreds of places is no helper of one module)
      for (const c of index.callersOf(n.name).slice(0, 64)) {
        if (n.isStatic && c.file !== n.file) continue;
        const k = `${c.file}\0${c.caller}`;
        if (seen.has(k)) continue;
        seen.add(k);
        const isStatic = index.functionsNamed(c.caller).find((f) => f.file === c.file)?.isStatic ?? false;
        next.push({ name: c.caller, file: c.file, isStatic, chain: [c.caller, ...n.chain] });
      }
    }
    level = next;
  }
  return undefined;
}

/** `MODULE_LICENSE()` in the source: since the 6.x clean-ups, code that cannot be a module drops it. */
export function declaresLicense(source: string): boolean {
  return /^[^\S\n\r\u2028\u2029]*MODULE_LICENSE\s*\(/m.test(source);
}

/**
 * Lines inside `#if 0` blocks (up to the matching #else/#elif/#endif): code the compiler never
 * sees, which the statement IR still carries as one arm of an if.
 */
export function disabledLines(source: string): Set<number> {
  const out = new Set<number>();
  const lines = source.split('\n');
  let depth = 0;
  /** Nesting depth at which the innermost active `#if 0` started, or -1. */
  let off = -1;
  lines.forEach((t, i) => {
    const m = /^\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b(.*)$/.exec(t);
    if (m) {
      const d = m[1]!;
      if (d === 'if' || d === 'ifdef' || d === 'ifndef') {
        depth++;
        if (off < 0 && d === 'if' && /^\s*0\s*(\/[*/].*)?$/.test(m[2]!)) off = depth;
      } else if (d === 'endif') {
        if (off === depth) off = -1;
        depth--;
      } else if (off === depth) off = -1;
    }
    if (off >= 0) out.add(i + 1);
  });
  return out;
}

/**
 * Which preprocessor branch each line sits in: for every enclosing `#if` group, the group's id
 * and the branch (`#if` 0, each `#elif`/`#else` one more). Two lines are never built together
 * when they sit in different branches of one group (`#ifndef CONFIG_SMP ... #else ... #endif`).
 */
export function conditionalBranches(source: string): (line: number) => readonly (readonly [number, number])[] {
  const perLine: (readonly (readonly [number, number])[])[] = [];
  const stack: [number, number][] = [];
  let groups = 0;
  source.split('\n').forEach((t, i) => {
    const m = /^\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b/.exec(t);
    if (m) {
      const d = m[1]!;
      if (d === 'if' || d === 'ifdef' || d === 'ifndef') stack.push([groups++, 0]);
      else if (d === 'endif') stack.pop();
      else if (stack.length) stack[stack.length - 1]![1]++;
    }
    perLine[i + 1] = stack.map(([g, b]) => [g, b] as const);
  });
  return (line) => perLine[line] ?? [];
}

/** Lines in different branches of one `#if` group: no configuration builds both. */
export function exclusiveLines(branches: (line: number) => readonly (readonly [number, number])[], a: number, b: number): boolean {
  const inB = new Map(branches(b).map(([g, br]) => [g, br]));
  return branches(a).some(([g, br]) => inB.has(g) && inB.get(g) !== br);
}

/**
 * Every line of the entry function and of the same-file helpers a path runs through: a change
 * anywhere there (a barrier or a release dropped from a helper) may cause an exit-path finding.
 */
export function pathLines(facts: FileFacts, entry: FunctionFacts, path: readonly PathCall[]): number[] {
  const names = new Set([entry.name, ...path.filter((p) => !p.crossFile).map((p) => p.fn)]);
  const out: number[] = [];
  for (const f of facts.functions) if (names.has(f.name)) for (let l = f.startLine; l <= f.endLine; l++) out.push(l);
  return out;
}

/** A driver structure's callbacks defined in this file: `{ .probe = a_probe, .remove = a_remove }`. */
export interface DriverCallbacks {
  probe: FunctionFacts;
  /** `.remove`, `.remove_new` or `.disconnect` (USB), where the structure names one of this file. */
  remove?: FunctionFacts;
}

/** The probe (and remove) callbacks of the file's driver structures, each pair once. */
export function driverCallbacks(facts: FileFacts): DriverCallbacks[] {
  const byName = functionsByName(facts.functions);
  const out: DriverCallbacks[] = [];
  for (const st of facts.structInits) {
    const probe = byName.get(st.fields.find((f) => f.field === 'probe')?.value.trim() ?? '');
    if (!probe) continue;
    const remove = byName.get(st.fields.find((f) => /^(remove|remove_new|disconnect)$/.test(f.field))?.value.trim() ?? '');
    if (!out.some((o) => o.probe === probe && o.remove === remove)) out.push(remove ? { probe, remove } : { probe });
  }
  return out;
}
