// ops-missing-owner's fix: `.owner = THIS_MODULE,` in the initialiser, written as its neighbouring
// designated initialisers are (indentation, and `=` aligned with tabs or spaces as they align it),
// first in the list where kernel style puts it; an owner the patch removed goes back as it was
// written; a run-time object gets `obj.owner = THIS_MODULE;` before it is registered.
import { ownedOpsFor } from '../../src/engine/kernel/owner.js';
import { indentOf, insertStatements, lineAt, restoreLines, splitLines, statementStart } from '../../src/engine/fix.js';
import type { FixBuilder, LineEdit } from '../../src/engine/types.js';
import type { StructInit } from '../../src/c/types.js';

/** Visual width of a line prefix with tabs every 8 columns. */
function width(s: string): number {
  let w = 0;
  for (const ch of s) w = ch === '\t' ? (Math.floor(w / 8) + 1) * 8 : w + 1;
  return w;
}

/**
 * `.field = THIS_MODULE,` in the style of a neighbouring `.x = y,` line: same indentation, and
 * when that line pads before `=` to a column, padded to the same column with the same character.
 */
export function fieldLine(neighbour: string, field: string): string {
  const m = /^([ \t]*)(\.[\w.[\]]+)([ \t]*)=([ \t]*)/.exec(neighbour);
  if (!m) return `${indentOf(neighbour) || '\t'}.${field} = THIS_MODULE,`;
  const [, ind, name, pad, after] = m as unknown as [string, string, string, string, string];
  const head = `${ind}.${field}`;
  if (pad === ' ' || pad === '') return `${head}${pad}=${after}THIS_MODULE,`;
  const column = width(ind + name + pad);
  let out = head;
  if (pad.includes('\t')) {
    while (width(out) < column) out += '\t';
    if (width(out) === width(head)) out += ' ';
  } else {
    out = head.padEnd(Math.max(head.length + 1, column), ' ');
  }
  return `${out}=${after}THIS_MODULE,`;
}

/** The insertion of the owner field into one initialiser: after its opening line, before its first field. */
function intoInitializer(source: string, init: StructInit, field: string): LineEdit | undefined {
  const { lines } = splitLines(source);
  const first = [...init.fields].sort((a, b) => a.line - b.line)[0];
  if (!first || first.line <= init.line) return undefined;
  // The opening brace must end a line of its own (`... = {`), the first field start the next ones.
  const open = lines.slice(init.line - 1, first.line - 1).findIndex((l) => /\{\s*$/.test(l));
  if (open < 0) return undefined;
  const neighbour = lines[first.line - 1] ?? '';
  if (!/^\s*\./.test(neighbour)) return undefined;
  return { line: init.line + open + 1, deleteCount: 0, insert: [fieldLine(neighbour, field)] };
}

export const fix: FixBuilder = (ctx, finding) => {
  const [kind, type, ...rest] = finding.key.split(':');
  if (kind === 'removed' && ctx.before) {
    // `removed:<type>:<name>.<field>`: the line the patch took out, back where it was.
    const at = /before: .*:(\d+): /.exec(finding.evidence[0] ?? '');
    const edit = at ? restoreLines(ctx.before.source, ctx.source, Number(at[1])) : undefined;
    if (!edit) return { none: 'the removed owner line cannot be placed back' };
    return { title: `keep ${edit.insert[0]!.trim().replace(/[,;]$/, '')} in ${rest.join(':').split('.')[0]}`, edits: [edit] };
  }
  if (kind === 'removed-runtime' && ctx.before) {
    const at = /before: .*:(\d+): /.exec(finding.evidence[0] ?? '');
    const edit = at ? restoreLines(ctx.before.source, ctx.source, Number(at[1])) : undefined;
    if (!edit) return { none: 'the removed owner assignment cannot be placed back' };
    return { title: `keep ${edit.insert[0]!.trim().replace(/[,;]$/, '')} in ${finding.function}()`, edits: [edit] };
  }
  if (kind === 'static' && type) {
    const name = rest.join(':');
    const ops = ownedOpsFor(type);
    if (!ops) return { none: `no owner field known for struct ${type}` };
    const inits = ctx.facts.structInits.filter((s) => s.type === type && s.name === name);
    if (inits.length !== 1 || inits[0]!.fields.some((f) => f.field.startsWith('['))) return { none: `${name} is an array or is defined more than once; add .${ops.field} to each element by hand` };
    const edit = intoInitializer(ctx.source, inits[0]!, ops.field);
    if (!edit) return { none: `the initialiser of ${name} is not one designated initialiser per line` };
    return { title: `add .${ops.field} = THIS_MODULE to ${name}`, edits: [edit] };
  }
  if (kind === 'runtime') {
    // `runtime:<type>:<callee>(<obj>)`: set the owner right before the registration.
    const m = /^(\w+)\((.+)\)$/.exec(rest.join(':'));
    if (!m) return { none: 'the registration cannot be read back' };
    const obj = m[2]!;
    const start = statementStart(ctx.source, finding.line);
    const text = lineAt(ctx.source, finding.line);
    const lhs = text.includes(`&${obj}`) ? `${obj}.owner` : /^[\w.>-]+$/.test(obj) ? `${obj}->owner` : undefined;
    if (!lhs || !/^[\w.>-]+$/.test(obj)) return { none: `how ${obj} is reached is not clear` };
    return { title: `set ${lhs} = THIS_MODULE before ${m[1]}()`, edits: [insertStatements(start, indentOf(lineAt(ctx.source, start)), [`${lhs} = THIS_MODULE;`])] };
  }
  return { none: 'no clear edit for this shape' };
};

