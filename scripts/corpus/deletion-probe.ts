// Deletion probe: a recall estimate over the whole tree rather than over the shapes a rule was
// written for. From a seeded random sample of the tree's module_init files it deletes one release
// call — from an init function's failure labels (`ladder`: init-error-unwind should report) or
// from the module's exit function (`exit`: exit-missing-release should report) — and reviews the
// deletion as a patch, exactly as the real-patch corpus does. Most real fixes of these families
// add exactly such a line, so the misses, grouped by callee, show which pairs and shapes the
// analysis does not know. Three more modes delete what other families' fixes add: `owner` a
// `.owner = THIS_MODULE,` line (ops-missing-owner), `modput` a module_put() (module-ref-leak),
// `barrier` an rcu_barrier()/srcu_barrier() in the exit path (exit-missing-rcu-barrier). And
// `section` adds what "don't mark ... __init" fixes remove: `__init` on a function that code
// outside init calls or an ops table points at (init-exit-section); `retarget` moves a goto of
// an init function one rung down its unwind ladder, skipping a release (init-error-unwind).
// Three more for init-exit-section: `exitcall` marks `__exit` a static function that init code
// calls (an init error path calling the cleanup), `initdata` marks `__initdata`/`__initconst` a
// file-scope object that code running after init reads or a registered object names, and
// `demote` drops `__init` from a function that still calls an `__init` function of its file.
// And `inline` deletes a release from an error branch (`if (...) { release(x); return err; }`,
// before any label) of init code of any kind: `__init` functions of built-in code (initcalls,
// OF_DECLARE hooks) as well as module_init, which is where most "fix leak in *_init()" fixes land.
// And `check` deletes the failure test right after an acquire of init code (`ret = register_x();
// if (ret) goto out;`), which is what "add missing check" fixes add: init then carries on after
// a failed step. And `errno` deletes the `ret = -ENOMEM;` a failure branch sets before its goto
// (what "fix error code in *_init()" fixes add): init may then return 0 on that failure.
// A development aid, run by hand; nothing in it is a test.
//
//   node --import tsx scripts/corpus/deletion-probe.ts inline|ladder|check|errno|exit|owner|modput|barrier|... [N=150] [SEED=1]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTwoFilesPatch } from 'diff';
import { extractFacts } from '../../src/c/facts.js';
import type { RealCase } from '../../src/engine/real-corpus.js';
import { driverCallbacks, moduleEntryPoints } from '../../src/engine/kernel/lifecycle.js';
import { flatten } from '../../src/c/walk.js';
import type { Stmt } from '../../src/c/types.js';
import { moduleBook, releaseByName } from '../../src/engine/kernel/pairs.js';
import { runsIn, sectionOfFunction } from '../../src/engine/kernel/sections.js';
import { openAccuracyIndex, runRealCase } from '../real-corpus.js';

const [modeArg = 'ladder', nArg = '150', seedArg = '1'] = process.argv.slice(2);
// `probe-inline`, `probe-check`, `probe-errno`: the same deletions in device set-up code (`*_probe()`,
// `*_init_one()`, `*_bind()`, `*_setup()`, `*_attach()` that are not init code), where many real
// "fix resource leak in probe" fixes land and which the review reads on patches.
const onProbe = modeArg.startsWith('probe-');
const mode = onProbe ? modeArg.slice('probe-'.length) : modeArg;
const SETUP = /(_init_one|^init_one|_init_common|_probe|_bind|_setup|_attach)$/;
const WANT: Record<string, string> = { remove: 'exit-missing-release', inline: 'init-error-unwind', check: 'init-error-unwind', errno: 'init-error-unwind', exitcall: 'init-exit-section', initdata: 'init-exit-section', demote: 'init-exit-section', retarget: 'init-error-unwind', swap: 'exit-missing-release', section: 'init-exit-section', ladder: 'init-error-unwind', exit: 'exit-missing-release', owner: 'ops-missing-owner', modput: 'module-ref-leak', barrier: 'exit-missing-rcu-barrier' };
const want = onProbe && !['inline', 'check', 'errno', 'ladder'].includes(mode) ? undefined : WANT[mode];
if (!want) throw new Error('usage: deletion-probe.ts inline|ladder|check|exit|owner|modput|barrier|section|retarget|exitcall|initdata|demote [N] [SEED]');
/** Lines that are one statement of their own, for the text-level modes. */
const LINE: Record<string, RegExp> = {
  owner: /^\s*\.owner\s*=\s*THIS_MODULE,?\s*$/,
  modput: /^\s*module_put\s*\(.*\);\s*$/,
  barrier: /^\s*s?rcu_barrier\s*\(.*\);\s*$/,
};
const { tree, index, close } = await openAccuracyIndex();

/** mulberry32: a seeded shuffle, so a run can be repeated. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(Number(seedArg));
const pattern = mode === 'remove' ? '\\.(remove|remove_new|disconnect)\\s*=' : onProbe ? '^[a-z].*(_probe|_init_one|_bind|_attach)\\(' : mode === 'inline' || mode === 'check' || mode === 'errno' ? '__init|^module_init\\(' : mode === 'owner' ? 'THIS_MODULE' : mode === 'modput' ? 'module_put\\(' : mode === 'barrier' ? 'rcu_barrier\\(' : '^(module_init|module_exit)\\(';
const files = execFileSync('grep', ['-rlE', '--include=*.c', pattern, '.'], { cwd: tree, encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').map((f) => f.replace(/^\.\//, '')).sort();
for (let i = files.length - 1; i > 0; i--) {
  const j = Math.floor(rand() * (i + 1));
  [files[i], files[j]] = [files[j]!, files[i]!];
}

/** Init code of any kind: `__init` functions (built-in initcalls, OF_DECLARE hooks) and module_init. */
function initCode(facts: ReturnType<typeof extractFacts>, text: string, inits: readonly string[]) {
  const lines = text.split('\n');
  return facts.functions.filter((f) => inits.includes(f.name) || sectionOfFunction(lines, f) === 'init');
}

/** Device set-up code that is not init code, and that unwinds (labels, or a release on some path). */
function setupCode(facts: ReturnType<typeof extractFacts>, text: string, inits: readonly string[]) {
  const init = new Set(initCode(facts, text, inits).map((f) => f.name));
  return facts.functions.filter((f) => SETUP.test(f.name) && !init.has(f.name) && f.body.some((s) => s.k === 'label'));
}

/** Is `line` a statement of an `if` branch that itself ends in a return or a goto (a failure exit)? */
function inErrorBranch(body: readonly Stmt[], line: number): boolean {
  for (const st of flatten(body)) {
    if (st.k !== 'if') continue;
    for (const arm of [st.then, st.else ?? []]) {
      const br = arm.length === 1 && arm[0]!.k === 'block' ? arm[0]!.body : arm;
      const last = br[br.length - 1];
      if (!last || (last.k !== 'return' && last.k !== 'goto')) continue;
      if (last.k === 'return' && (last.expr === null || last.expr === '0')) continue;
      if (br.some((s) => s.line === line && (s.k === 'expr' || s.k === 'decl'))) return true;
    }
  }
  return false;
}

const dir = mkdtempSync(join(tmpdir(), 'modreview-probe-'));
mkdirSync(join(dir, 'diffs'));
const NOT_RELEASES = /^(pr_|dev_|printk|WARN|BUG|kfree_skb$|mutex_unlock|spin_unlock|rcu_read_unlock|up_|local_irq)/;
let n = 0;
let caught = 0;
const missed = new Map<string, string[]>();
for (const path of files) {
  if (n >= Number(nArg)) break;
  const text = readFileSync(join(tree, path), 'utf8');
  const facts = extractFacts(path, text);
  const ep = moduleEntryPoints(facts);
  const book = moduleBook(facts, index);
  const fns = mode === 'remove' ? driverCallbacks(facts).flatMap((d) => (d.remove ? [d.remove] : [])) : onProbe ? setupCode(facts, text, ep.inits.map((i) => i.fn.name)) : mode === 'section' ? [] : mode === 'inline' || mode === 'check' || mode === 'errno' ? initCode(facts, text, ep.inits.map((i) => i.fn.name)) : mode === 'ladder' ? ep.inits.map((i) => i.fn) : mode === 'exit' && ep.exit?.fn ? [ep.exit.fn] : [];
  const lines = text.split('\n');
  const cands: { line: number; callee: string; end?: number }[] = [];
  if (LINE[mode]) {
    lines.forEach((l, i) => {
      // Not the sole statement of an unbraced if/else/loop: deleting it alone leaves broken C
      // that no real patch produces (the review then sees a parse error, not the bug).
      if (/^\s*(\}\s*)?(if|else|for|while)\b.*\)\s*$|^\s*(\}\s*)?else\s*$/.test(lines[i - 1] ?? '')) return;
      if (LINE[mode]!.test(l)) cands.push({ line: i + 1, callee: l.trim().split(/[\s=(]/)[0]! });
    });
    // owner: name the struct type, which is what the misses group by.
    if (mode === 'owner')
      for (const c of cands) {
        for (let i = c.line - 2; i >= 0 && i > c.line - 40; i--) {
          const m = /struct\s+(\w+)(?:\s[\w\s*]*)?=\s*\{|^\s*\.(\w+)\s*=\s*\{/.exec(lines[i] ?? '');
          if (m) {
            c.callee = m[1] ?? `.${m[2]}`;
            break;
          }
        }
      }
  }
  if (mode === 'check') {
    for (const fn of fns) {
      if (fn.hasError) continue;
      const body = fn.body;
      const stmts = flatten(body);
      stmts.forEach((st, i) => {
        const prev = stmts[i - 1];
        if (st.k !== 'if' || st.else || !prev || prev.k !== 'expr') return;
        const call = prev.calls.find((c) => c.assignedTo && c.line === prev.line);
        if (!call || !book.pairFor(call.callee)) return;
        const v = call.assignedTo!.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        if (!new RegExp(`^\\(*!?\\s*(IS_ERR\\()?${v}(?!\\w)`).test(st.cond.trim()) && !new RegExp(`^${v}\\s*(<|!=)`).test(st.cond.trim())) return;
        const arm = st.then.length === 1 && st.then[0]!.k === 'block' ? st.then[0]!.body : st.then;
        const last = arm[arm.length - 1];
        if (!last || (last.k !== 'goto' && last.k !== 'return')) return;
        // The statement's lines: to the closing brace of a braced arm, else the arm's one line.
        let end = st.line;
        let depth = 0;
        let opened = false;
        for (let j = st.line - 1; j < lines.length; j++) {
          for (const ch of lines[j] ?? '') {
            if (ch === '{') (depth++, (opened = true));
            if (ch === '}') depth--;
          }
          end = j + 1;
          if (opened ? depth === 0 : /;\s*$/.test(lines[j] ?? '') && j + 1 >= (last.line ?? st.line)) break;
        }
        if (!opened && !/^\s*if\s*\(/.test(lines[st.line - 1] ?? '')) return;
        cands.push({ line: st.line, callee: `check:${call.callee}`, end });
      });
    }
  }
  if (mode === 'errno') {
    // `if (!x) { ret = -ENOMEM; goto out; }`: the error code a failure branch sets before its
    // jump, which "fix error code in *_init()" fixes add (without it init may return 0).
    for (const fn of fns) {
      if (fn.hasError) continue;
      for (const st of flatten(fn.body)) {
        if (st.k !== 'if') continue;
        const arm = st.then.length === 1 && st.then[0]!.k === 'block' ? st.then[0]!.body : st.then;
        const last = arm[arm.length - 1];
        if (arm.length < 2 || !last || last.k !== 'goto') continue;
        for (const x of arm) {
          if (x.k !== 'expr' || x.calls.length || !x.assigns?.some((a) => a.op === '=' && /^-E[A-Z0-9]+$/.test(a.rhs.trim()))) continue;
          if (!/^\s*\w+\s*=\s*-E[A-Z0-9]+;\s*$/.test(lines[x.line - 1] ?? '')) continue;
          cands.push({ line: x.line, callee: `errno:${x.assigns![0]!.rhs.trim()}` });
        }
      }
    }
  }
  for (const fn of LINE[mode] || mode === 'check' || mode === 'errno' ? [] : fns) {
    if (fn.hasError) continue;
    const firstLabel = fn.body.find((s) => s.k === 'label')?.line ?? Infinity;
    for (const c of fn.calls) {
      if (mode === 'ladder' && c.line <= firstLabel) continue;
      if (mode === 'inline' && (c.line >= firstLabel || !inErrorBranch(fn.body, c.line))) continue;
      if (NOT_RELEASES.test(c.callee) || !(book.isRelease(c.callee) || releaseByName(c.callee))) continue;
      // Only a call that is its own statement on one line: deleting the line deletes the call.
      const l = lines[c.line - 1] ?? '';
      // (escaped: a call through a pointer is named `*hook`)
      if (!new RegExp(`^\\s*${c.callee.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\(.*\\);\\s*$`).test(l)) continue;
      if (/^\s*(\}\s*)?(if|else|for|while)\b.*\)\s*$|^\s*(\}\s*)?else\s*$/.test(lines[c.line - 2] ?? '')) continue;
      cands.push({ line: c.line, callee: c.callee });
    }
  }
  if (mode === 'section') {
    // Functions outside any section that a non-init function calls or a table points at.
    const tableRefs = new Set(facts.structInits.flatMap((st) => st.fields.map((f) => f.value)));
    for (const fn of facts.functions) {
      if (fn.section !== null || fn.isInline || fn.hasError) continue;
      const callers = facts.functions.filter((f) => f.section === null && f.name !== fn.name && f.calls.some((c) => c.callee === fn.name));
      const byTable = tableRefs.has(fn.name);
      if (!callers.length && !byTable) continue;
      const l = lines[fn.startLine - 1] ?? '';
      if (l.split(fn.name).length !== 2 || !l.includes(`${fn.name}(`)) continue;
      cands.push({ line: fn.startLine, callee: `${byTable ? 'table' : 'called'}:${fn.name}` });
    }
  }
  if (mode === 'exitcall' || mode === 'demote') {
    const sectionOf = new Map(facts.functions.map((f) => [f.name, sectionOfFunction(lines, f)]));
    const initFns = new Set([...facts.functions.filter((f) => sectionOf.get(f.name) === 'init').map((f) => f.name), ...ep.inits.map((i) => i.fn.name)]);
    for (const fn of facts.functions) {
      if (fn.isInline || fn.hasError) continue;
      const l = lines[fn.startLine - 1] ?? '';
      if (l.split(fn.name).length !== 2 || !l.includes(`${fn.name}(`)) continue;
      if (mode === 'exitcall') {
        if (sectionOf.get(fn.name) !== null || !fn.isStatic) continue;
        const initCallers = facts.functions.filter((f) => initFns.has(f.name) && f.calls.some((c) => c.callee === fn.name));
        if (initCallers.length) cands.push({ line: fn.startLine, callee: `exit:${fn.name}` });
      } else {
        if (sectionOf.get(fn.name) !== 'init' || !/\b__init\s/.test(l) || ep.inits.some((i) => i.fn.name === fn.name)) continue;
        if (fn.calls.some((c) => c.callee !== fn.name && sectionOf.get(c.callee) === 'init')) cands.push({ line: fn.startLine, callee: `demote:${fn.name}` });
      }
    }
  }
  if (mode === 'initdata') {
    const runs = runsIn(facts, text);
    for (const st of facts.structInits) {
      if (st.section || st.viaMacro) continue;
      const l = lines[st.line - 1] ?? '';
      if (!new RegExp(`\\b${st.name}(\\[\\w*\\])?\\s*=\\s*\\{`).test(l) || /__\w+/.test(l.split('=')[0]!)) continue;
      const later = facts.functions.some((f) => f.refs.includes(st.name) && (runs.get(f.name)?.has('runtime') ?? false)) || facts.globalRefs.some((r) => r.name === st.name && r.inObject && r.inObject !== st.name);
      if (later) cands.push({ line: st.line, callee: `${/\bconst\b/.test(l) ? '__initconst' : '__initdata'}:${st.name}` });
    }
  }
  if (mode === 'swap' && ep.exit?.fn && ep.inits.length === 1 && !ep.exit.fn.hasError) {
    // Two adjacent one-line releases of module_exit, in reverse order of init's acquires: swapped,
    // exit gives back the earlier step while the later one (which may use it) is still live.
    const init = ep.inits[0]!.fn;
    const acquireLine = (callee: string) => init.calls.find((a) => book.pairFor(a.callee)?.release.includes(callee))?.line;
    const one = (c: { callee: string; line: number }) => new RegExp(`^\\s*${c.callee.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\(.*\\);\\s*$`).test(lines[c.line - 1] ?? '');
    const top = ep.exit.fn.body.filter((st) => st.k === 'expr' && st.calls.length === 1).map((st) => (st as { calls: { callee: string; line: number }[] }).calls[0]!);
    for (let i = 0; i + 1 < top.length; i++) {
      const [a, b] = [top[i]!, top[i + 1]!];
      if (b.line !== a.line + 1 || !one(a) || !one(b) || a.callee === b.callee) continue;
      const [la, lb] = [acquireLine(a.callee), acquireLine(b.callee)];
      if (la === undefined || lb === undefined || la <= lb) continue;
      cands.push({ line: a.line, callee: `${a.callee}<>${b.callee}` });
    }
  }
  if (mode === 'retarget') {
    for (const { fn } of ep.inits) {
      if (fn.hasError) continue;
      const labels = fn.body.filter((st) => st.k === 'label');
      for (const g of flatten(fn.body)) {
        if (g.k !== 'goto') continue;
        const i = labels.findIndex((l) => l.name === g.label);
        const next = labels[i + 1];
        if (i < 0 || !next || next.line <= g.line) continue;
        const rung = fn.calls.filter((c) => c.line > labels[i]!.line && c.line < next.line);
        if (!rung.some((c) => book.isRelease(c.callee) || releaseByName(c.callee))) continue;
        if (!(lines[g.line - 1] ?? '').includes(`goto ${g.label};`)) continue;
        cands.push({ line: g.line, callee: `${g.label}>${next.name}` });
      }
    }
  }
  if (!cands.length) continue;
  const pick = cands[Math.floor(rand() * cands.length)]!;
  const after =
    mode === 'swap'
      ? lines.map((l, i) => (i === pick.line - 1 ? lines[pick.line]! : i === pick.line ? lines[pick.line - 1]! : l)).join('\n')
      : mode === 'retarget'
      ? lines.map((l, i) => (i === pick.line - 1 ? l.replace(`goto ${pick.callee.split('>')[0]};`, `goto ${pick.callee.split('>')[1]};`) : l)).join('\n')
      : mode === 'exitcall'
      ? lines.map((l, i) => (i === pick.line - 1 ? l.replace(`${pick.callee.split(':')[1]}(`, `__exit ${pick.callee.split(':')[1]}(`) : l)).join('\n')
      : mode === 'demote'
      ? lines.map((l, i) => (i === pick.line - 1 ? l.replace(/\b__init\s+/, '') : l)).join('\n')
      : mode === 'initdata'
      ? lines.map((l, i) => (i === pick.line - 1 ? `${l.slice(0, l.indexOf('=')).trimEnd()} ${pick.callee.split(':')[0]} ${l.slice(l.indexOf('='))}` : l)).join('\n')
      : mode === 'section'
      ? lines.map((l, i) => (i === pick.line - 1 ? l.replace(`${pick.callee.split(':')[1]}(`, `__init ${pick.callee.split(':')[1]}(`) : l)).join('\n')
      : mode === 'check'
      ? lines.filter((_, i) => i < pick.line - 1 || i > pick.end! - 1).join('\n')
      : lines.filter((_, i) => i !== pick.line - 1).join('\n');
  const diff = createTwoFilesPatch(`a/${path}`, `b/${path}`, text, after, '', '', { context: 3 }).replace(/^=+\n/m, '').replace(/^Index:.*\n/m, '');
  const id = `probe-${n}`;
  writeFileSync(join(dir, 'diffs', `${id}.diff`), `diff --git a/${path} b/${path}\n${diff.replace(/^[^-]*(?=---)/, '')}`);
  const c: RealCase = { id, kind: 'fix', rules: [want], subject: `[PATCH] probe: drop ${pick.callee}() in ${path}`, messageId: `${id}@probe`, list: 'probe', date: '2026-01-01', applies: 'forward' };
  const o = await runRealCase(tree, dir, c, index);
  n++;
  if (o.error) {
    console.log(`error ${path}:${pick.line} ${o.error}`);
    continue;
  }
  if (o.ok) caught++;
  else {
    const k = pick.callee;
    missed.set(k, [...(missed.get(k) ?? []), `${path}:${pick.line}`]);
  }
}
console.log(`${mode}: ${caught}/${n} deletions reported by ${want}`);
for (const [k, v] of [...missed].sort((a, b) => b[1].length - a[1].length)) console.log(`  missed ${k}() x${v.length}: ${v.slice(0, Number(process.env.PROBE_SHOW ?? 4)).join(' ')}`);
