// An unwind loop that starts one step too far: inside a loop that sets up element [i] of a table,
// the failure of step i runs `for (; i >= 0; i--) kfree(recs[i]);` (fmpm's allocate_records()
// before its fix) or `for (; group > 0; group--) { led = &leds[group]; device_del(&led->dev); }`
// (snd_ctl_led_init()): the first turn gives back element i — the one that just failed, never
// set up — and with `> 0` element 0 is never given back. Reported when the count-down loop runs
// on the failure path of a counting-up loop over the same variable (in its failure branch, or
// after a label its body jumps to), nothing on the way adjusts the variable, and the loop's body
// indexes with the variable itself (`[i]`, not `[i - 1]`) and releases something.
import { childLists, flatten, ownCalls, ownText, walkStmts } from '../../src/c/walk.js';
import { escapeRegExp as esc } from '../../src/c/lex.js';
import { labelPath } from '../../src/engine/kernel/unwind.js';
import type { CallSite, FunctionFacts, Stmt } from '../../src/c/types.js';
import { splitTopLevel } from '../../src/c/cond.js';

export interface OffByOne {
  loop: Extract<Stmt, { k: 'loop' }>;
  variable: string;
  release: CallSite;
}

type Loop = Extract<Stmt, { k: 'loop' }>;

/** A for loop's header as written: `init; cond; update`, a missing part empty. */
function header(l: Loop): { init: string; cond: string; update: string } | undefined {
  if (l.macro) return undefined;
  const parts = splitTopLevel(l.cond, ';').map((p) => p.trim());
  if (parts.length === 3) return { init: parts[0]!, cond: parts[1]!, update: parts[2]! };
  // Two parts: the facts drop a missing one; `i >= 0; i--` has no initialiser.
  if (parts.length === 2 && /[<>]/.test(parts[0]!) && /(\+\+|--|[+-]=)/.test(parts[1]!)) return { init: '', cond: parts[0]!, update: parts[1]! };
  return undefined;
}

/** `for (i = 0; i < n; i++)`: the variable counted up. */
function countsUp(l: Loop): string | undefined {
  const h = header(l);
  const v = h && /^([A-Za-z_]\w*)\s*=[^=]/.exec(h.init)?.[1];
  return v && new RegExp(`^(${v}\\s*\\+\\+|\\+\\+\\s*${v}|${v}\\s*\\+=\\s*1)$`).test(h.update) ? v : undefined;
}

/** `for (; i >= 0; i--)` / `for (; i > 0; i--)` over `v`, starting where v stands. */
function countsDownFrom(l: Loop, v: string): boolean {
  const h = header(l);
  return !!h && !h.init && new RegExp(`^\\(?\\s*${v}\\s*>=?\\s*0\\s*\\)?$`).test(h.cond) && new RegExp(`^(${v}\\s*--|--\\s*${v}|${v}\\s*-=\\s*1)$`).test(h.update);
}

const textOf = (s: Stmt): string => ownText(s) ?? '';

/** Does the statement give `v` a new value (`i--`, `i = n`)? */
const adjusts = (s: Stmt, v: string): boolean => new RegExp(`(\\+\\+|--)\\s*${v}\\b|\\b${v}\\s*(\\+\\+|--|[-+]?=(?!=))`).test(textOf(s));

function check(l2: Loop, v: string, isRelease: (c: string) => boolean): OffByOne | undefined {
  if (!countsDownFrom(l2, v)) return undefined;
  const body = flatten(l2.body);
  const texts = body.map(textOf).join('\n');
  if (!new RegExp(`\\[\\s*${esc(v)}\\s*\\]`).test(texts) || new RegExp(`\\[\\s*${esc(v)}\\s*[-+]`).test(texts)) return undefined;
  const release = body.flatMap(ownCalls).find((c) => isRelease(c.callee));
  return release ? { loop: l2, variable: v, release } : undefined;
}

/**
 * `isRelease`: does the callee give something back; `residue`: what a failed call still needs
 * released (kobject_init_and_add() -> kobject_put()): a loop that starts at the failed element
 * with that release is right.
 */
export function offByOneUnwinds(fn: FunctionFacts, isRelease: (callee: string) => boolean, residue: (callee: string) => readonly string[]): OffByOne[] {
  const out: OffByOne[] = [];
  walkStmts(fn.body, (l1) => {
    if (l1.k !== 'loop') return;
    const v = countsUp(l1);
    if (!v || !new RegExp(`\\[\\s*${esc(v)}\\s*\\]`).test(flatten(l1.body).map(textOf).join('\n'))) return;
    const residues = new Set(flatten(l1.body).flatMap(ownCalls).flatMap((c) => residue(c.callee)));
    const add = (x: OffByOne | undefined) => x && !residues.has(x.release.callee) && !out.some((o) => o.loop === x.loop) && out.push(x);
    const labels = new Set<string>();
    // A jump whose own branch steps the variable back first (`i--; goto err;`): the author
    // counts per site, and the loop at the label is written for that.
    const adjusted = new Set<string>();
    walkStmts(l1.body, (s) => {
      if (s.k === 'loop') add(check(s, v, isRelease));
      for (const list of childLists(s)) {
        list.forEach((g, i) => {
          if (g.k === 'goto' && list.slice(0, i).some((x) => adjusts(x, v))) adjusted.add(g.label);
        });
      }
      if (s.k === 'goto') labels.add(s.label);
    });
    for (const l of adjusted) labels.delete(l);
    // After a label the loop's body jumps to: the statements down to the first return.
    for (const label of labels) {
      const path = labelPath(fn.body, label)?.path;
      for (const s of path ?? []) {
        if (s.k === 'loop') {
          add(check(s, v, isRelease));
          break;
        }
        if (s.k === 'return' || adjusts(s, v)) break;
      }
    }
  });
  return out;
}
