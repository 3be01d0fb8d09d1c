// Facts derived from one file's facts, computed in one place: the tree index stores them as rows
// (src/store/index-cache.ts), the in-memory index and the post-image overlay answer from the same
// rows (src/index/view.ts), and the rules ask the same functions. So "module notifier callbacks"
// or "module_init functions" mean the same thing for a patched file as for an unpatched one.
import type { FileFacts } from './types.js';
import { walkStmts } from './walk.js';

export interface NotifierReg {
  callback: string;
  block: string;
  line: number;
}

const objectName = (arg: string | undefined) => /^&?\s*(?:\(\s*)?([A-Za-z_]\w*)\s*\)?$/.exec((arg ?? '').trim())?.[1];

/**
 * Module notifier callbacks registered in this file: `register_module_notifier(&nb)` where `nb`
 * is a `struct notifier_block` initialised with `.notifier_call = cb` at file scope, or given its
 * callback by assignment (`nb.notifier_call = cb;`) in the registering function.
 */
export function moduleNotifierCallbacks(facts: FileFacts): NotifierReg[] {
  const blocks = new Map<string, string>();
  for (const s of facts.structInits) {
    if (!/\bnotifier_block$/.test(s.type)) continue;
    const cb = s.fields.find((f) => f.field.replace(/^\./, '') === 'notifier_call');
    if (cb) blocks.set(s.name, cb.value.replace(/^&\s*/, '').trim());
  }
  const out: NotifierReg[] = [];
  for (const f of facts.functions) {
    for (const c of f.calls) {
      if (c.callee !== 'register_module_notifier') continue;
      const nb = objectName(c.args[0]);
      if (!nb) continue;
      let cb = blocks.get(nb);
      if (!cb) {
        walkStmts(f.body, (s) => {
          if (s.k !== 'expr' || !s.assigns) return;
          for (const a of s.assigns) if (a.lhs.replace(/\s+/g, '') === `${nb}.notifier_call`) cb = a.rhs.replace(/^&\s*/, '').trim();
        });
      }
      if (cb && /^[A-Za-z_]\w*$/.test(cb) && !out.some((o) => o.callback === cb && o.block === nb)) out.push({ callback: cb, block: nb, line: c.line });
    }
  }
  return out;
}


export interface FileRows {
  functions: [name: string, line: number, end: number, isStatic: 0 | 1, section: string | null, exported: 0 | 1, hasError: 0 | 1][];
  calls: [caller: string, callee: string, line: number][];
  props: [caller: string, callee: string, line: number, masks: string][];
  errno: [fn: string, code: string, line: number][];
  entries: [kind: string, fn: string, macro: string, line: number, driver: string | null][];
  structs: [type: string, name: string, line: number, fields: string][];
  notifiers: [callback: string, block: string, line: number][];
  /** File-scope objects in init memory (`__initdata`, `__initconst`). */
  initData: [name: string, line: number, isStatic: 0 | 1][];
}

export function deriveRows(facts: FileFacts): FileRows {
  const rows: FileRows = { functions: [], calls: [], props: [], errno: [], entries: [], structs: [], notifiers: [], initData: [] };
  for (const o of facts.sectionObjects) if (o.section === 'initdata' || o.section === 'initconst') rows.initData.push([o.name, o.line, o.isStatic ? 1 : 0]);
  for (const s of facts.structInits) rows.structs.push([s.type, s.name, s.line, JSON.stringify(s.fields)]);
  for (const n of moduleNotifierCallbacks(facts)) rows.notifiers.push([n.callback, n.block, n.line]);
  for (const f of facts.functions) {
    rows.functions.push([f.name, f.startLine, f.endLine, f.isStatic ? 1 : 0, f.section, f.exported ? 1 : 0, f.hasError ? 1 : 0]);
    for (const c of f.calls) rows.calls.push([f.name, c.callee, c.line]);
    for (const p of f.propagates) rows.props.push([f.name, p.callee, p.line, JSON.stringify(p.masks)]);
    for (const e of f.returnsErrno) rows.errno.push([f.name, e.code, e.line]);
  }
  for (const e of facts.moduleEntries) rows.entries.push([e.kind, e.fn, e.macro, e.line, e.driver ?? null]);
  return rows;
}

/** JSON, deflated fast (facts are written once per file version and read on demand). */
