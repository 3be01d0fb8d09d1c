// exit-missing-release's fix: the missing release in module_exit, placed in reverse order of init
// (before the releases of what init acquired earlier, after those of what it acquired later); a
// release or a whole exit function the patch removed goes back as it was written.
import type { FileFacts } from '../../src/c/types.js';
import { disabledLines, moduleEntryPoints } from '../../src/engine/kernel/lifecycle.js';
import { exitPath, keptByInit, releaseOf, type Kept } from '../../src/engine/kernel/teardown.js';
import { bodyIndent, endOfBody, insertStatements, postPositionOf, restoreLines, splitLines, statementEnd, statementStart } from '../../src/engine/fix.js';
import type { FixBuilder, FixProposal, LineEdit, RuleContext } from '../../src/engine/types.js';

/** Releases whose arguments are not just the acquired object: written by hand, not guessed. */
const MORE_ARGS = new Set(['unregister_chrdev', '__unregister_chrdev', 'unregister_chrdev_region', 'device_destroy', 'platform_unregister_drivers', 'idr_remove']);

/** The release call for a kept acquire: the release of its pair on the object it names. */
export function releaseCall(k: Kept): string | undefined {
  const release = k.pair.release[0]!;
  if (MORE_ARGS.has(release) || k.pair.kind === 'nid') return undefined;
  const arg = k.pair.kind === 'handle' ? k.ids[0] : k.at.call.args[k.pair.arg ?? 0]?.trim();
  if (!arg) return undefined;
  // An out-parameter (`acpi_get_table(sig, 0, &table)`): the release takes the object.
  const obj = k.pair.kind === 'status' && (k.pair.arg ?? 0) > 0 ? arg.replace(/^&\s*/, '') : arg;
  if (!/^&?[\w.>\-[\]]+$/.test(obj)) return undefined;
  return `${release}(${obj});`;
}

/** Removed pre-image lines from..to, with one removed blank line after them, put back. */
function restoreBlock(before: string, after: string, from: number, to: number): LineEdit | undefined {
  const next = splitLines(before).lines[to] ?? 'x';
  const end = !next.trim() && postPositionOf(before, after, to + 1) !== undefined ? to + 1 : to;
  for (let n = from; n <= end; n++) if (postPositionOf(before, after, n) === undefined) return undefined;
  return restoreLines(before, after, from, end);
}

function restoreExit(ctx: RuleContext): FixProposal | { none: string } {
  const pre = ctx.before ? moduleEntryPoints(ctx.before.facts).exit : undefined;
  if (!pre?.fn || !ctx.before) return { none: 'the removed exit function is not in this file' };
  const fnEdit = restoreBlock(ctx.before.source, ctx.source, pre.fn.startLine, pre.fn.endLine);
  const entryEdit = restoreLines(ctx.before.source, ctx.source, pre.entry.line);
  if (!fnEdit || !entryEdit) return { none: 'the removed exit function cannot be placed back whole' };
  return { title: `keep ${pre.fn.name}() and module_exit(${pre.fn.name})`, edits: fnEdit.line === entryEdit.line ? [{ ...fnEdit, insert: [...fnEdit.insert, ...entryEdit.insert] }] : [fnEdit, entryEdit] };
}

function missingRelease(ctx: RuleContext, facts: FileFacts, key: string): FixProposal | { none: string } {
  const ep = moduleEntryPoints(facts);
  const exitFn = ep.exit?.fn;
  if (!exitFn || exitFn.hasError) return { none: 'the exit function is not in this file' };
  const disabled = disabledLines(ctx.source);
  const kept = ep.inits.flatMap(({ fn }) => (fn.hasError ? [] : keptByInit(facts, fn, disabled)));
  const k = kept.find((x) => `missing:${x.at.call.callee}(${x.ids[0] ?? ''})` === key);
  if (!k) return { none: 'the acquire cannot be found again' };
  const call = releaseCall(k);
  if (!call) return { none: `the arguments of ${k.pair.release[0]}() are not clear from ${k.at.call.callee}()` };
  const path = exitPath(facts, exitFn, ctx.index);
  // Reverse order of init: before the first release (in exit itself) of something acquired
  // earlier; else after the last release of something acquired later; else at the end.
  const order = (x: Kept) => x.at.call.line;
  const direct = kept
    .filter((x) => x !== k)
    .map((x) => ({ x, rel: releaseOf(x, path)?.rel }))
    .filter((r) => r.rel && r.rel.fn === exitFn.name);
  const earlier = direct.filter((r) => order(r.x) < order(k)).map((r) => r.rel!.call.line).sort((a, b) => a - b)[0];
  const later = direct.filter((r) => order(r.x) > order(k)).map((r) => r.rel!.call.line).sort((a, b) => b - a)[0];
  const line = earlier !== undefined ? statementStart(ctx.source, earlier) : later !== undefined ? statementEnd(ctx.source, later) + 1 : endOfBody(ctx.source, exitFn);
  if (!line) return { none: `the end of ${exitFn.name}() cannot be found` };
  return { title: `call ${call.replace(/;$/, '')} in ${exitFn.name}()`, edits: [insertStatements(line, bodyIndent(ctx.source, exitFn), [call])] };
}

export const fix: FixBuilder = (ctx, finding) => {
  if (finding.key.startsWith('dropped:')) {
    const at = /called .* at line (\d+)$/.exec(finding.evidence[0] ?? '');
    if (!ctx.before || !at) return { none: 'the removed release cannot be found' };
    const from = Number(at[1]);
    const edit = restoreLines(ctx.before.source, ctx.source, statementStart(ctx.before.source, from), statementEnd(ctx.before.source, from));
    if (!edit) return { none: 'the removed release cannot be placed back' };
    return { title: `keep ${edit.insert.map((l) => l.trim()).join(' ').replace(/;$/, '')} in ${finding.function}()`, edits: [edit] };
  }
  if (finding.key === 'exit-removed') return restoreExit(ctx);
  if (finding.key.startsWith('missing:')) return missingRelease(ctx, ctx.facts, finding.key);
  return { none: 'no clear edit for this shape (a local handle, an ordering problem or no exit function)' };
};

