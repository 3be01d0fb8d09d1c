// `ret = pm_runtime_get_sync(dev); if (ret < 0) goto err;`: pm_runtime_get_sync() raises the
// device's usage count even when the resume fails, so its failure path must drop the count again
// (pm_runtime_put_noidle()), or use pm_runtime_resume_and_get(), which drops it itself. A failure
// path that does neither leaves the count raised for good: the device can never runtime-suspend
// again (the many "Fix PM reference leak in foo_probe()" fixes, reversed).
import { resourceIdentity } from '../../src/c/lex.js';
import type { CallSite, FunctionFacts, Stmt } from '../../src/c/types.js';
import { flatten, testAfter } from '../../src/c/walk.js';

const PUT = /^(pm_runtime_put\w*|__pm_runtime_idle|pm_runtime_disable)$/;

export interface PmGetLeak {
  call: CallSite;
  /** The failure branch's test, and where it leaves (goto or return). */
  testLine: number;
  exitLine: number;
}

/** The statements a goto to `label` runs: from the label to the function's next return. */
function labelPath(fn: FunctionFacts, label: string): Stmt[] {
  const i = fn.body.findIndex((s) => s.k === 'label' && s.name === label);
  if (i < 0) return [];
  const out: Stmt[] = [];
  for (const s of fn.body.slice(i + 1)) {
    out.push(s);
    if (s.k === 'return') break;
  }
  return out;
}

const callsIn = (stmts: readonly Stmt[]): CallSite[] => flatten(stmts).flatMap((s) => ('calls' in s ? s.calls : 'condCalls' in s ? s.condCalls : []));

export function pmGetSyncLeaks(fn: FunctionFacts): PmGetLeak[] {
  const out: PmGetLeak[] = [];
  for (const c of fn.calls) {
    if (c.callee !== 'pm_runtime_get_sync' || !c.assignedTo) continue;
    const v = resourceIdentity(c.assignedTo);
    const dev = resourceIdentity(c.args[0] ?? '');
    if (!/^\w+$/.test(v)) continue;
    // (the failure test: `ret < 0`, `ret`, or `ret < 0 && ret != -EACCES`)
    const test = testAfter(fn, c);
    if (!test || test.else || !new RegExp(`^\\(*${v}(<0|!=0)?\\)*$|^\\(*${v}<0&&`).test(test.cond.replace(/\s+/g, ''))) continue;
    const arm = test.then;
    const last = flatten(arm).filter((s) => s.k === 'goto' || s.k === 'return').pop();
    if (!last) continue;
    const path = last.k === 'goto' ? [...arm, ...labelPath(fn, last.label)] : arm;
    const puts = callsIn(path).filter((x) => PUT.test(x.callee) && (!dev || x.args.some((a) => resourceIdentity(a) === dev)));
    if (!puts.length) out.push({ call: c, testLine: test.line, exitLine: last.line });
  }
  return out;
}
