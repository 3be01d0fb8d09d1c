// Cross-file questions with the patch overlaid: the facts of the files a patch touches replace
// the tree index's rows for those files, so "before" and "after" each see a consistent tree.
import type { FileFacts } from '../c/types.js';
import type { CallerRef, FunctionRef, IndexQuery } from './types.js';

function refOf(f: FileFacts['functions'][number], file: string): FunctionRef {
  return { name: f.name, file, line: f.startLine, isStatic: f.isStatic, section: f.section };
}

/** An index over just these files: hunk-only reviews and fixture tests. */
export function filesIndex(files: FileFacts[]): IndexQuery {
  const byPath = new Map(files.map((f) => [f.path, f]));
  let inits: Set<string> | undefined;
  return {
    functionsNamed: (name) => files.flatMap((ff) => ff.functions.filter((f) => f.name === name).map((f) => refOf(f, ff.path))),
    callersOf: (name) => files.flatMap((ff) => callersIn(ff, name)),
    propagatingCallersOf: (name) => files.flatMap((ff) => callersIn(ff, name)).filter((c) => c.propagates),
    initFunctions: () => files.flatMap((ff) => initsOf(ff)),
    isInitFunction(file, fn) {
      inits ??= new Set(this.initFunctions().map((i) => `${i.file}\0${i.fn}`));
      return inits.has(`${file}\0${fn}`);
    },
    pathToModuleInit(fn, file, code) {
      return pathToModuleInit(this, fn, file, code);
    },
    moduleNotifiers: () => files.flatMap((ff) => notifiersOf(ff)),
    fileFacts: (path) => byPath.get(path),
  };
}

function callersIn(ff: FileFacts, name: string): CallerRef[] {
  const out: CallerRef[] = [];
  for (const f of ff.functions) {
    const props = f.propagates.filter((p) => p.callee === name);
    const calls = f.calls.filter((c) => c.callee === name);
    if (!calls.length && !props.length) continue;
    const masks = props.length ? [...new Set(props.flatMap((p) => p.masks))] : [];
    out.push({ caller: f.name, file: ff.path, line: (props[0] ?? calls[0])!.line, propagates: props.length > 0, masks });
  }
  return out;
}

function initsOf(ff: FileFacts): ReturnType<IndexQuery['initFunctions']> {
  if (!ff.modular) return [];
  return ff.moduleEntries.filter((e) => e.kind === 'init').map((e) => ({ fn: e.fn, file: ff.path, line: e.line, macro: e.macro }));
}

/** `register_module_notifier(&nb)` with `static struct notifier_block nb = { .notifier_call = cb }`. */
export function notifiersOf(ff: FileFacts): ReturnType<IndexQuery['moduleNotifiers']> {
  const out: ReturnType<IndexQuery['moduleNotifiers']> = [];
  for (const f of ff.functions) {
    for (const c of f.calls) {
      if (c.callee !== 'register_module_notifier') continue;
      const nb = (c.args[0] ?? '').replace(/^&\s*/, '');
      const init = ff.structInits.find((s) => s.name === nb);
      const cb = init?.fields.find((x) => x.field === 'notifier_call')?.value;
      out.push({ callback: cb ?? nb, file: ff.path, line: c.line });
    }
  }
  return out;
}

/** Base index with some files replaced by the given facts. */
export function overlayIndex(base: IndexQuery | undefined, files: FileFacts[]): IndexQuery {
  if (!base) return filesIndex(files);
  const mine = filesIndex(files);
  const replaced = new Set(files.map((f) => f.path));
  const keep = <T extends { file: string }>(xs: T[]) => xs.filter((x) => !replaced.has(x.file));
  return {
    functionsNamed: (name) => [...keep(base.functionsNamed(name)), ...mine.functionsNamed(name)],
    callersOf: (name) => [...keep(base.callersOf(name)), ...mine.callersOf(name)],
    propagatingCallersOf: (name) => [...keep(base.propagatingCallersOf(name)), ...mine.propagatingCallersOf(name)],
    initFunctions: () => [...keep(base.initFunctions()), ...mine.initFunctions()],
    // The base answers for every file but the replaced ones: no merged list of ~11,000 entries.
    isInitFunction: (file, fn) => (replaced.has(file) ? mine.isInitFunction(file, fn) : base.isInitFunction(file, fn)),
    pathToModuleInit(fn, file, code) {
      return pathToModuleInit(this, fn, file, code);
    },
    moduleNotifiers: () => [...keep(base.moduleNotifiers()), ...mine.moduleNotifiers()],
    fileFacts: (path) => mine.fileFacts(path) ?? base.fileFacts(path),
  };
}

/**
 * Breadth-first up the "returns the callee's result" edges from fn to module_init targets.
 * Static functions bind within their file; a caller that masks `code` stops the flow.
 * Returns up to `limit` chains, shortest first, each ending (index 0) at an init function.
 */
export function moduleInitChains(index: IndexQuery, fn: string, file: string, code?: string, limit = 5, maxDepth = 8): FunctionRef[][] {

  const start = index.functionsNamed(fn).find((f) => f.file === file) ?? { name: fn, file, line: 0, isStatic: false, section: null };
  const key = (f: FunctionRef) => `${f.file}\0${f.name}`;
  const prev = new Map<string, FunctionRef | null>([[key(start), null]]);
  const found: FunctionRef[][] = [];
  let frontier: FunctionRef[] = [start];
  const shadowCache = new Map<string, Set<string>>();
  const shadowing = (name: string): Set<string> => {
    let s = shadowCache.get(name);
    if (!s) {
      s = new Set(index.functionsNamed(name).filter((f) => f.isStatic).map((f) => f.file));
      shadowCache.set(name, s);
    }
    return s;
  };
  for (let depth = 0; depth <= maxDepth && frontier.length && found.length < limit; depth++) {
    const next: FunctionRef[] = [];
    for (const cur of frontier) {
      if (depth > 0 && index.isInitFunction(cur.file, cur.name)) {
        const chain: FunctionRef[] = [];
        for (let c: FunctionRef | null | undefined = cur; c; c = prev.get(key(c))) chain.push(c);
        found.push(chain);
        if (found.length >= limit) break;
        continue;
      }
      for (const caller of index.propagatingCallersOf(cur.name)) {
        if (code && caller.masks.includes(code)) continue;
        if (cur.isStatic ? caller.file !== cur.file : caller.file !== cur.file && shadowing(cur.name).has(caller.file)) continue;
        const ref = index.functionsNamed(caller.caller).find((f) => f.file === caller.file) ?? { name: caller.caller, file: caller.file, line: caller.line, isStatic: false, section: null };
        const k = key(ref);
        if (prev.has(k)) continue;
        prev.set(k, cur);
        next.push(ref);
      }
    }
    frontier = next;
  }
  return found;
}

export function pathToModuleInit(index: IndexQuery, fn: string, file: string, code?: string): { chain: FunctionRef[] } | null {
  const [chain] = moduleInitChains(index, fn, file, code, 1);
  return chain ? { chain } : null;
}
