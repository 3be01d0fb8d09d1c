// module-init-eexist's fix: the -EEXIST that reaches module_init becomes -EBUSY, where it is
// written (the dm series, b13ef361d47f), or, for a callee's -EEXIST passed on, mapped at the call
// (54416fd76770 did the same in the helper registration).
import { codeOf, functionNamed, indentOf, indentUnit, lineAt, splitLines } from '../../src/engine/fix.js';
import type { FixBuilder, LineEdit } from '../../src/engine/types.js';

export const fix: FixBuilder = (ctx, finding) => {
  const text = lineAt(ctx.source, finding.line);
  if (finding.key.startsWith('EEXIST:via:')) {
    const callee = finding.key.slice('EEXIST:via:'.length);
    // `err = callee(...);` on one line: map the code right after it.
    const m = new RegExp(`^\\s*(\\w+)\\s*=\\s*${callee}\\s*\\(.*\\);\\s*$`).exec(text);
    if (!m) return { none: `${callee}()'s result is not assigned on one line; where to map -EEXIST is not clear` };
    const v = m[1]!;
    const ind = indentOf(text);
    return {
      title: `map -EEXIST from ${callee}() to -EBUSY in ${finding.function}()`,
      edits: [{ line: finding.line + 1, deleteCount: 0, insert: [`${ind}if (${v} == -EEXIST)`, `${ind}${indentUnit(ctx.source)}${v} = -EBUSY;`] }],
    };
  }
  if (!/-\s*EEXIST\b/.test(text)) return { none: `-EEXIST is not written on line ${finding.line}` };
  // One finding per function: every -EEXIST it returns becomes -EBUSY (two duplicate checks in
  // nf_conntrack_helper_register() both did).
  const fn = functionNamed(ctx.facts, finding.function);
  const { lines } = splitLines(ctx.source);
  const edits: LineEdit[] = [];
  for (let n = fn?.startLine ?? finding.line; n <= (fn?.endLine ?? finding.line); n++) {
    const l = lines[n - 1] ?? '';
    if (/-\s*EEXIST\b/.test(codeOf(l))) edits.push({ line: n, deleteCount: 1, insert: [l.replace(/-(\s*)EEXIST\b/g, '-$1EBUSY')] });
  }
  return { title: `return -EBUSY instead of -EEXIST in ${finding.function}()`, edits };
};
