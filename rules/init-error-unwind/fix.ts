// init-error-unwind's fix: the missing release on the failure path, in the function's own style.
// A failure that returns gets the release just before its `return` (braces added around a lone
// `if (...) return ...;`); a failure that jumps to an unwind label gets it in the goto ladder at
// its rung: at the top of the label's block when every jump there has the object held, else under
// a new label just above it, with the jumps that hold it retargeted. A release the patch removed
// from an unwind path goes back as it was written.
import { resourceIdentity } from '../../src/c/lex.js';
import type { FileFacts, FunctionFacts } from '../../src/c/types.js';
import { analyseUnwind, type Held, type Leak } from '../../src/engine/kernel/unwind.js';
import { fallibility, moduleBook } from '../../src/engine/kernel/pairs.js';
import { functionNamed, indentOf, indentUnit, releaseBeforeReturn, restoreLines, splitLines, statementEnd, statementStart } from '../../src/engine/fix.js';
import type { FixBuilder, FixProposal, LineEdit, RawFinding, RuleContext } from '../../src/engine/types.js';

/** Releases that take more than the object (a count, a name): not guessed. */
const MORE_ARGS = new Set(['unregister_chrdev', '__unregister_chrdev', 'unregister_chrdev_region', 'device_destroy', 'platform_unregister_drivers', 'idr_remove']);
/** Calls in a failure test that do not act: what sits between an acquire and its own check. */
const CHECKS = /^(IS_ERR|IS_ERR_OR_NULL|PTR_ERR|PTR_ERR_OR_ZERO|unlikely|likely|WARN_ON|WARN_ON_ONCE|pr_\w+|printk|dev_(err|warn|info|dbg|notice)|dev_err_probe)$/;

/**
 * The release statement for what is held on the failure path: as the file already writes that
 * release of the same object (its exit usually does: `acpi_remove_address_space_handler(
 * ACPI_ROOT_OBJECT, ACPI_ADR_SPACE_IPMI, &handler)`), else the pair's release on the object.
 */
export function releaseStatement(h: Held, facts: FileFacts): string | undefined {
  const release = h.residue ? (h.pair.onFailure?.[0] ?? h.pair.release[0]!) : h.pair.release[0]!;
  const ids = new Set([h.id, ...h.ids].filter(Boolean).map((x) => resourceIdentity(x).replace(/^&/, '')));
  // Any release of the pair the file writes for this object (`debugfs_remove_recursive(root)` in exit for debugfs_remove()).
  const names = h.residue ? [release] : [release, ...h.pair.release];
  const written = facts.functions.flatMap((f) => f.calls).filter((c) => names.includes(c.callee)).sort((a, b) => names.indexOf(a.callee) - names.indexOf(b.callee));
  const same = written.find((c) => c.args.some((a) => ids.has(resourceIdentity(a).replace(/^&/, '')))) ?? (h.call.args.length === 0 && !h.via ? written.find((c) => c.callee === release && c.args.length === 0) : undefined);
  if (same) return `${same.callee}(${same.args.map((a) => a.trim()).join(', ')});`;
  const call = h.via ?? h.call;
  // A helper of the module undone by its counterpart, both without arguments (`foo_sysfs_init()` / `foo_sysfs_exit()`).
  if (call.args.length === 0 && h.pair.source !== 'table') return `${release}();`;
  if (MORE_ARGS.has(release) || h.pair.kind === 'nid') return undefined;
  let obj = h.pair.kind === 'handle' ? h.id : (call.args[h.pair.arg ?? 0]?.trim() ?? h.id);
  if (h.pair.kind === 'status' && (h.pair.arg ?? 0) > 0) {
    // An out-parameter (`acpi_get_table(sig, 0, (struct acpi_table_header **)&tab)`): the release takes the object.
    const cast = /^\(([^()]*)\*\s*\)\s*&\s*([\w.>-]+)$/.exec(obj);
    obj = cast ? `(${cast[1]!.trim()})${cast[2]}` : obj.replace(/^&\s*/, '');
  }
  if (!obj || !/^(\([\w\s*]+\))?&?[\w.>\-[\]]+$/.test(obj)) return undefined;
  return `${release}(${obj});`;
}

/** The leak a finding reports, found again by its exit line and key. */
function leakOf(ctx: RuleContext, fn: FunctionFacts, finding: RawFinding): Leak | undefined {
  const book = moduleBook(ctx.facts, ctx.index);
  const report = analyseUnwind(fn, ctx.facts, { book, fallible: fallibility(ctx.facts, book, ctx.index), source: ctx.source });
  return report.leaks.find((l) => {
    const h = l.held;
    const id = h.id || (h.call.args[0] ?? '');
    return l.exitLine === finding.line && finding.key.startsWith(`${l.success ? 'ref' : h.residue ? 'residue' : 'leak'}:${h.call.callee}(${id})|`);
  });
}

/** Status variables init code keeps an errno in. */
/** Jumps to `label` in a function: their lines. */
function gotosTo(source: string, fn: FunctionFacts, label: string): number[] {
  const { lines } = splitLines(source);
  const re = new RegExp(`\\bgoto\\s+${label}\\s*;`);
  const out: number[] = [];
  for (let n = fn.startLine; n <= fn.endLine; n++) if (re.test(lines[n - 1] ?? '')) out.push(n);
  return out;
}

/** Is the object held at this goto: it comes after the acquire statement and is not its own failure check? */
function heldAt(fn: FunctionFacts, h: Held, gotoLine: number, acqEnd: number): boolean {
  if (gotoLine <= acqEnd) return false;
  return fn.calls.some((c) => c.line > acqEnd && c.line <= gotoLine && !CHECKS.test(c.callee));
}

/** In the goto ladder: at the top of the label's block, or under a new label above it. */
function inLadder(ctx: RuleContext, fn: FunctionFacts, leak: Leak, stmt: string): LineEdit[] | undefined {
  const { lines } = splitLines(ctx.source);
  const label = leak.label!;
  const labelLine = lines.findIndex((l, i) => i + 1 >= fn.startLine && i + 1 <= fn.endLine && new RegExp(`^\\s*${label}\\s*:`).test(l)) + 1;
  if (labelLine <= 0) return undefined;
  // The statements of the ladder are indented as the function body is.
  const next = lines.slice(labelLine).find((l) => l.trim() && !/^\s*\w+\s*:/.test(l)) ?? `${indentUnit(ctx.source)}x`;
  const ind = indentOf(next);
  const acqEnd = statementEnd(ctx.source, h0(leak).call.line);
  const gotos = gotosTo(ctx.source, fn, label);
  const held = gotos.filter((g) => heldAt(fn, h0(leak), g, acqEnd));
  if (!held.includes(leak.exitLine)) return undefined;
  // The rung above falls through into this one: when it already makes this release, a second one
  // here would run twice on that path. The jumps belong at the rung that makes it (its label
  // directly above the release, nothing else between it and this label).
  const rungAbove = lines.slice(fn.startLine - 1, labelLine - 1);
  const same = rungAbove.map((l) => l.trim()).lastIndexOf(stmt);
  if (same >= 0) {
    const relLine = fn.startLine + same;
    const above = (lines[relLine - 2] ?? '').trim();
    const between = lines.slice(relLine, labelLine - 1).every((l) => !l.trim());
    const m = /^(\w+)\s*:$/.exec(above);
    if (!m || !between) return undefined;
    return held.map((g) => ({ line: g, deleteCount: 1, insert: [lines[g - 1]!.replace(new RegExp(`\\bgoto\\s+${label}\\b`), `goto ${m[1]}`)] }));
  }
  if (held.length === gotos.length) return [{ line: labelLine + 1, deleteCount: 0, insert: [`${ind}${stmt}`] }];
  // A new rung: only the jumps with the object held come to it. What falls into it from above
  // must be a return (the success path ends there) or a rung of the ladder.
  let up = labelLine - 1;
  while (up > fn.startLine && !(lines[up - 1] ?? '').trim()) up--;
  const above = lines[up - 1] ?? '';
  if (!/^\s*(return\b.*|goto\s+\w+\s*);\s*$/.test(above)) {
    let n = up;
    while (n > fn.startLine && /;\s*$/.test(lines[n - 1] ?? '') && !/^\s*\w+\s*:/.test(lines[n - 1] ?? '')) n--;
    if (!/^\s*\w+\s*:\s*$/.test(lines[n - 1] ?? '')) return undefined;
  }
  const labels = new Set(lines.slice(fn.startLine - 1, fn.endLine).map((l) => /^\s*(\w+)\s*:/.exec(l)?.[1]).filter(Boolean));
  const prefix = /^([a-z]+_)/.exec(label)?.[1] ?? 'err_';
  const base = resourceIdentity(h0(leak).id || (h0(leak).call.args[0] ?? '')).replace(/^&/, '').replace(/\W+/g, '_').split('_').filter(Boolean).join('_') || h0(leak).call.callee;
  let name = `${prefix}${base}`;
  for (let i = 2; labels.has(name); i++) name = `${prefix}${base}${i}`;
  const labelIndent = indentOf(lines[labelLine - 1] ?? '');
  const edits: LineEdit[] = [{ line: labelLine, deleteCount: 0, insert: [`${labelIndent}${name}:`, `${ind}${stmt}`] }];
  for (const g of held) edits.push({ line: g, deleteCount: 1, insert: [lines[g - 1]!.replace(new RegExp(`\\bgoto\\s+${label}\\b`), `goto ${name}`)] });
  return edits;
}

const h0 = (l: Leak) => l.held;

function leakFix(ctx: RuleContext, finding: RawFinding): FixProposal | { none: string } {
  const fn = functionNamed(ctx.facts, finding.function);
  if (!fn) return { none: 'the function cannot be read' };
  const leak = leakOf(ctx, fn, finding);
  if (!leak) return { none: 'the failure path cannot be found again' };
  const stmt = releaseStatement(leak.held, ctx.facts);
  if (!stmt) return { none: `the arguments of ${leak.held.pair.release[0]}() are not clear from ${leak.held.call.callee}()` };
  // (a lookup's reference left at a success return: put just before that return)
  if (leak.success && leak.exitKind !== 'return') return { none: 'the reference leaks through a jump; where to put it is the author\'s call' };
  const edits = leak.exitKind === 'return' ? releaseBeforeReturn(ctx.source, fn, leak.exitLine, stmt) : inLadder(ctx, fn, leak, stmt);
  if (!edits) return { none: `where ${stmt.replace(/;$/, '')} goes on this path is not clear from the function's layout` };
  return { title: `call ${stmt.replace(/;$/, '')} when ${leak.failed ? `${leak.failed.callee}()` : 'a later step'} fails in ${fn.name}()`, edits };
}

export const fix: FixBuilder = (ctx, finding) => {
  if (finding.key.startsWith('leak:') || finding.key.startsWith('residue:') || finding.key.startsWith('ref:')) return leakFix(ctx, finding);
  if (finding.key.startsWith('dropped:') && ctx.before) {
    const at = /called .* at line (\d+), on a failure path$/.exec(finding.evidence[0] ?? '');
    if (!at) return { none: 'the removed release cannot be found' };
    const from = Number(at[1]);
    const edit = restoreLines(ctx.before.source, ctx.source, statementStart(ctx.before.source, from), statementEnd(ctx.before.source, from));
    if (!edit) return { none: 'the removed release cannot be placed back' };
    return { title: `keep ${edit.insert.map((l) => l.trim()).join(' ').replace(/;$/, '')} on the failure path of ${finding.function}()`, edits: [edit] };
  }
  return { none: 'no clear edit for this shape (an ignored failure or a misordered ladder needs the author)' };
};

