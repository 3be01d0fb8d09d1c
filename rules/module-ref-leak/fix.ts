// module-ref-leak's fix: the put on the path that misses it. A put the patch removed goes back
// where it was written; a failure `return` after a successful get gets `module_put(owner)` (or
// fops_put()) just before it, braces added around a lone `if (...) return ...;`.
import { functionNamed, releaseBeforeReturn, restoreLines, statementEnd, statementStart } from '../../src/engine/fix.js';
import type { FixBuilder } from '../../src/engine/types.js';

export const fix: FixBuilder = (ctx, finding) => {
  if (finding.key.startsWith('dropped:') && ctx.before) {
    const at = /^before: .* at line (\d+) in /.exec(finding.evidence[0] ?? '');
    if (!at) return { none: 'the removed put cannot be found' };
    const from = Number(at[1]);
    const edit = restoreLines(ctx.before.source, ctx.source, statementStart(ctx.before.source, from), statementEnd(ctx.before.source, from));
    if (!edit) return { none: 'the removed put cannot be placed back' };
    return { title: `keep ${edit.insert.map((l) => l.trim()).join(' ').replace(/;$/, '')} in ${finding.function}()`, edits: [edit] };
  }
  if (finding.key.startsWith('leak:') && finding.key.endsWith('|return')) {
    const fn = functionNamed(ctx.facts, finding.function);
    // "... no module_put()" closes the evidence; the object is the get's argument.
    const put = /no (\w+)\(\)$/.exec(finding.evidence[2] ?? '')?.[1];
    const get = /^\w+\(\): \w+\(([^,)]*)/.exec(finding.evidence[0] ?? '')?.[1]?.trim();
    if (!fn || !put || !get || !/^[\w.>-]+$/.test(get)) return { none: 'what to put is not clear from the get' };
    const edits = releaseBeforeReturn(ctx.source, fn, finding.line, `${put}(${get});`);
    if (!edits) return { none: `where ${put}() goes on this path is not clear from the function's layout` };
    return { title: `call ${put}(${get}) on the failure path of ${fn.name}()`, edits };
  }
  return { none: 'no clear edit for this shape (a put before the get, or a goto ladder)' };
};
