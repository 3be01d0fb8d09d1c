// init-exit-section's fix: the annotation the message asks for, on the line that declares it —
// `__refdata` on a driver registered once for good, `__exit`/`__exit_p()` dropped where the
// device can still be unbound, `__init` dropped from a function called after init, `__init` added
// to a helper only init code calls, module_exit()'s function marked `__exit` — each as the
// upstream section-mismatch fixes wrote it.
import { splitLines } from '../../src/engine/fix.js';
import type { FixBuilder, FixProposal, LineEdit, RawFinding, RuleContext } from '../../src/engine/types.js';

/** The target's definition line in this file, from the evidence (`x is __init (path:line)`). */
function targetLine(ctx: RuleContext, finding: RawFinding): number | undefined {
  const m = /\(([^():]+):(\d+)\)$/.exec(finding.evidence[1] ?? '');
  return m && m[1] === ctx.path ? Number(m[2]) : undefined;
}

/** Replace one line by a rewrite of it; undefined when the rewrite changes nothing. */
function rewrite(ctx: RuleContext, n: number, f: (l: string) => string): LineEdit | undefined {
  const l = splitLines(ctx.source).lines[n - 1];
  if (l === undefined) return undefined;
  const r = f(l);
  return r === l ? undefined : { line: n, deleteCount: 1, insert: [r] };
}

const drop = (word: string) => (l: string) => l.replace(new RegExp(`[ \\t]*\\b${word}\\b`), '');

/** The line of a function's definition that names it (`static int __init\nfoo(void)` spans two). */
function nameLine(ctx: RuleContext, name: string): number | undefined {
  const fn = ctx.facts.functions.find((f) => f.name === name);
  if (!fn) return undefined;
  const lines = splitLines(ctx.source).lines;
  for (let n = fn.startLine; n <= Math.min(fn.endLine, fn.startLine + 2); n++) if (new RegExp(`\\b${name}\\s*\\(`).test(lines[n - 1] ?? '')) return n;
  return undefined;
}

function proposal(title: string, edits: (LineEdit | undefined)[]): FixProposal | { none: string } {
  const ok = edits.filter((e): e is LineEdit => !!e);
  return ok.length === edits.length && ok.length ? { title, edits: ok } : { none: 'the annotation is not written where the fix would change it' };
}

export const fix: FixBuilder = (ctx, finding) => {
  const m = finding.message;
  // `data:obj.field>target`, `caller:target`, `init:target`, `entry:module_exit(target)`.
  const rest = finding.key.slice(finding.key.indexOf(':') + 1);
  const target = (rest.includes('>') ? rest.slice(rest.lastIndexOf('>') + 1) : rest).replace(/^\w+\(|\)$/g, '');
  const tl = targetLine(ctx, finding);
  // One remedy each: the exit callback's mark, the const object's section.
  if (finding.key.startsWith('netns:') && tl !== undefined) return proposal(`mark ${target}() __net_exit`, [rewrite(ctx, tl, (l) => l.replace(/\b__net_init\b/, '__net_exit'))]);
  if (finding.key.startsWith('writable:') && tl !== undefined) return proposal(`mark ${target} __initdata`, [rewrite(ctx, tl, (l) => l.replace(/\b__initconst\b/, '__initdata'))]);
  if (finding.key.startsWith('const:') && tl !== undefined) return proposal(`mark ${target} __initconst`, [rewrite(ctx, tl, (l) => l.replace(/\b__initdata\b/, '__initconst'))]);
  if (finding.key.startsWith('export:')) {
    // (as the "unexport __init-annotated ..." fixes do: the export line goes)
    const l = splitLines(ctx.source).lines[finding.line - 1] ?? '';
    if (!/^\s*EXPORT_SYMBOL\w*\(\s*\w+\s*(?:,[^)]*)?\)\s*;\s*$/.test(l)) return { none: 'the export is not a line of its own' };
    return proposal(`drop the export of ${target}`, [{ line: finding.line, deleteCount: 1, insert: [] }]);
  }
  if (finding.key.startsWith('data:')) {
    const object = /^data:([^.>]+)/.exec(finding.key)?.[1] ?? '';
    const init = ctx.facts.structInits.find((s) => s.name === object);
    if (/so mark \S+ __refdata\.$/.test(m)) {
      if (!init) return { none: `${object} is not initialised in this file` };
      return proposal(`mark ${object} __refdata`, [rewrite(ctx, init.line, (l) => l.replace(new RegExp(`\\b${object}(\\s*)=`), `${object} __refdata$1=`))]);
    }
    if (/Drop __exit and __exit_p\(\)\.$/.test(m) && tl !== undefined) {
      const at = /\(line (\d+)\)$/.exec(finding.evidence[0] ?? '')?.[1];
      const use = at ? rewrite(ctx, Number(at), (l) => l.replace(new RegExp(`__exit_p\\(\\s*${target}\\s*\\)`), target)) : undefined;
      return proposal(`drop __exit from ${target}() and __exit_p() from ${object}`, [rewrite(ctx, tl, drop('__exit')), use]);
    }
    return { none: 'which of the remedies the message names fits is for the author to choose' };
  }
  if ((finding.key.startsWith('caller:') || finding.key.startsWith('macro:')) && tl !== undefined) return proposal(`drop __init from ${target}()`, [rewrite(ctx, tl, drop('__init'))]);
  if (finding.key.startsWith('entry:module_exit(') && tl !== undefined && / want|__exit/.test(m)) {
    return proposal(`mark ${target}() __exit`, [rewrite(ctx, tl, (l) => l.replace(/\b__init\b/, '__exit'))]);
  }
  if (finding.key.startsWith('init:')) {
    if (/mark it __init as well\.$/.test(m) && finding.function) {
      const n = nameLine(ctx, finding.function);
      const fnName = finding.function;
      return proposal(`mark ${fnName}() __init`, [n === undefined ? undefined : rewrite(ctx, n, (l) => (/\b__init\b/.test(l) ? l : l.replace(new RegExp(`\\b${fnName}(\\s*\\()`), `__init ${fnName}$1`)))]);
    }
    if (tl !== undefined && /Drop __init|drop __init/i.test(m)) return proposal(`drop __init from ${target}`, [rewrite(ctx, tl, drop('__init'))]);
  }
  return { none: 'no clear edit for this shape' };
};
