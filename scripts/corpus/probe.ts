// Probe triaged patches (scripts/corpus/triage.ts output) against a kernel tree: where each change
// lands in the tree's own file (module_init/module_exit closure of its file, __init code of a
// modular file, other). A corpus-building aid, run by hand.
//
//   node --import tsx scripts/corpus/probe.ts TREE triaged.jsonl > probed.jsonl
import { readFileSync } from 'node:fs';
import { structuredPatch } from 'diff';
import { extractFacts } from '../../src/c/facts.js';
import type { FileFacts, FunctionFacts } from '../../src/c/types.js';
import { applyToTree } from './apply.js';

interface Row {
  applies: 'reverse' | 'forward';
  diff: string;
  [k: string]: unknown;
}

/** Functions reachable from the file's module_init/module_exit entries through same-file static calls. */
export function closures(facts: FileFacts): { init: Set<string>; exit: Set<string> } {
  const byName = new Map(facts.functions.map((f) => [f.name, f]));
  const reach = (roots: string[]) => {
    const seen = new Set<string>();
    const todo = [...roots];
    while (todo.length) {
      const n = todo.pop()!;
      if (seen.has(n)) continue;
      const f = byName.get(n);
      if (!f) continue;
      seen.add(n);
      for (const c of f.calls) if (byName.get(c.callee)?.isStatic) todo.push(c.callee);
    }
    return seen;
  };
  return {
    init: reach(facts.moduleEntries.filter((e) => e.kind === 'init').map((e) => e.fn)),
    exit: reach(facts.moduleEntries.filter((e) => e.kind === 'exit').map((e) => e.fn)),
  };
}

function where(fn: FunctionFacts | undefined, facts: FileFacts, cl: { init: Set<string>; exit: Set<string> }): string {
  if (!fn) return 'file-scope';
  if (cl.init.has(fn.name)) return `init:${fn.name}`;
  if (cl.exit.has(fn.name)) return `exit:${fn.name}`;
  if (fn.section === 'init' && facts.modular) return `__init:${fn.name}`;
  return `other:${fn.name}`;
}

function main(): void {
  const [tree, file] = process.argv.slice(2);
  if (!tree || !file) throw new Error('usage: probe.ts TREE triaged.jsonl');
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const row = JSON.parse(line) as Row;
    const places = new Set<string>();
    let modular = false;
    try {
      for (const f of applyToTree(tree, row.diff, row.applies === 'reverse')) {
        if (!f.path.endsWith('.c')) continue;
        const facts = extractFacts(f.path, f.before);
        modular ||= facts.modular;
        const cl = closures(facts);
        const base = f.path.split('/').pop();
        for (const h of structuredPatch('a', 'b', f.before, f.after, '', '', { context: 0 }).hunks) {
          // Lines of the tree's file the change replaces, or the line it inserts after.
          const from = h.oldStart;
          const to = h.oldStart + Math.max(h.oldLines, 1) - 1;
          for (let n = from; n <= to; n++) places.add(`${base}:${where(facts.functions.find((fn) => fn.startLine <= n && n <= fn.endLine), facts, cl)}`);
        }
      }
    } catch (e) {
      places.add(`error:${e instanceof Error ? e.message : String(e)}`);
    }
    process.stdout.write(JSON.stringify({ ...row, modular, places: [...places] }) + '\n');
  }
}

main();
