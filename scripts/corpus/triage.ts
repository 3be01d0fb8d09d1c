// Triage mined patches (scripts/corpus/mine.ts output) against a kernel tree: does the patch apply
// forward (the tree still has the pre-image) or in reverse (the tree already has the change), and
// which functions does it touch, with whether each is a module_init/module_exit function of its
// file. One JSON line per distinct patch (newest copy per normalised subject) on stdout.
//
//   node --import tsx scripts/corpus/triage.ts TREE mined.jsonl... [--all-copies] > triaged.jsonl
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseUnifiedDiff } from '../../src/diff/parse.js';

interface Mined {
  list: string;
  messageId: string;
  subject: string;
  date?: string;
  author: string;
  diff: string;
}

export function normSubject(s: string): string {
  return s.replace(/^\s*(?:\[[^\]]*\]\s*)+/, '').replace(/\s+/g, ' ').trim().toLowerCase();
}

function gitApplies(tree: string, diff: string, reverse: boolean): boolean {
  const r = spawnSync('git', ['apply', '--check', ...(reverse ? ['-R'] : []), '-'], { cwd: tree, input: diff, encoding: 'utf8' });
  return r.status === 0;
}

/** Names of module_init/module_exit (and *_initcall) entry points in a file. */
function entryPoints(src: string): { init: Set<string>; exit: Set<string> } {
  const init = new Set<string>();
  const exit = new Set<string>();
  for (const m of src.matchAll(/\b(module_init|module_exit|late_initcall|subsys_initcall|device_initcall|fs_initcall|arch_initcall)\s*\(\s*(\w+)\s*\)/g)) {
    (m[1] === 'module_exit' ? exit : init).add(m[2]!);
  }
  return { init, exit };
}

function main(): void {
  const [tree, ...files] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (!tree || !files.length) throw new Error('usage: triage.ts TREE mined.jsonl...');
  // Every copy of a patch, newest first: the first that applies (forward or in reverse) is kept.
  const copies = new Map<string, Mined[]>();
  for (const f of files) {
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!line) continue;
      const m = JSON.parse(line) as Mined;
      const k = normSubject(m.subject);
      copies.set(k, [...(copies.get(k) ?? []), m]);
    }
  }
  const tryAll = process.argv.includes('--all-copies');
  for (const list of copies.values()) {
    list.sort((a, b) => (b.date ?? '').localeCompare(a.date ?? ''));
    for (const m of tryAll ? list : list.slice(0, 1)) {
      if (emit(tree, m)) break;
    }
  }
}

/** Print the triage line of one mined patch; false when it applies neither way. */
function emit(tree: string, m: Mined): boolean {
  {
    let files;
    try {
      files = parseUnifiedDiff(m.diff);
    } catch {
      return false;
    }
    const paths = files.map((f) => f.newPath ?? f.oldPath).filter((p): p is string => !!p);
    if (!paths.length || !paths.every((p) => existsSync(join(tree, p)))) return false;
    const reverse = gitApplies(tree, m.diff, true);
    const forward = !reverse && gitApplies(tree, m.diff, false);
    if (!reverse && !forward) return false;
    const funcs: string[] = [];
    const entries: string[] = [];
    for (const p of paths) {
      if (!p.endsWith('.c')) continue;
      const src = readFileSync(join(tree, p), 'utf8');
      const ep = entryPoints(src);
      for (const h of m.diff.matchAll(/^@@ [^@]+ @@ ?(.*)$/gm)) {
        const fn = /\b(\w+)\s*\(/.exec(h[1] ?? '')?.[1];
        if (!fn) continue;
        funcs.push(fn);
        if (ep.init.has(fn)) entries.push(`init:${fn}`);
        if (ep.exit.has(fn)) entries.push(`exit:${fn}`);
      }
      if (/module_init|module_exit|THIS_MODULE|request_module|module_put|try_module_get|rcu_barrier|module_notifier/.test(m.diff)) entries.push('kw');
    }
    process.stdout.write(JSON.stringify({ ...m, applies: reverse ? 'reverse' : 'forward', paths, funcs: [...new Set(funcs)], entries: [...new Set(entries)] }) + '\n');
    return true;
  }
}

main();
