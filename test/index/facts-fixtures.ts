// Hand-made FileFacts for query tests: only the fields the index reads are meaningful.
import type { FileFacts, FunctionFacts, ModuleEntry, StructInit } from '../../src/c/types.js';

export interface FnSpec {
  name: string;
  line?: number;
  isStatic?: boolean;
  section?: FunctionFacts['section'];
  exported?: boolean;
  /** Plain calls: callee names (or [callee, args]). */
  calls?: (string | [string, string[]])[];
  /** Returns the callee's result: callee names, or [callee, masks]. */
  props?: (string | [string, string[]])[];
  errno?: string[];
}

export function fn(spec: FnSpec): FunctionFacts {
  const line = spec.line ?? 10;
  const props = (spec.props ?? []).map((p) => (typeof p === 'string' ? { callee: p, masks: [] as string[] } : { callee: p[0], masks: p[1] }));
  const calls = [
    ...(spec.calls ?? []).map((c) => (typeof c === 'string' ? { callee: c, args: [] as string[] } : { callee: c[0], args: c[1] })),
    ...props.map((p) => ({ callee: p.callee, args: [] as string[] })),
  ].map((c, i) => ({ ...c, line: line + 1 + i }));
  return {
    name: spec.name,
    startLine: line,
    endLine: line + 20,
    isStatic: spec.isStatic ?? false,
    isInline: false,
    section: spec.section ?? null,
    exported: spec.exported ?? false,
    params: [],
    hasError: false,
    calls,
    body: [],
    returnsErrno: (spec.errno ?? []).map((code, i) => ({ code, line: line + 10 + i })),
    propagates: props.map((p, i) => ({ callee: p.callee, line: line + 15 + i, masks: p.masks })),
    refs: [],
    comments: [],
  };
}

export function file(
  path: string,
  functions: FunctionFacts[],
  extra: { entries?: ModuleEntry[]; structs?: StructInit[] } = {},
): FileFacts {
  return {
    path,
    hash: `h-${path}`,
    functions,
    moduleEntries: extra.entries ?? [],
    structInits: extra.structs ?? [],
    globalRefs: [],
    sectionObjects: [],
    fileMacros: [],
    modular: (extra.entries ?? []).length > 0,
  };
}

export const init = (fnName: string, macro = 'module_init', line = 100): ModuleEntry => ({ kind: 'init', fn: fnName, line, macro });
export const exit = (fnName: string, line = 101): ModuleEntry => ({ kind: 'exit', fn: fnName, line, macro: 'module_exit' });
