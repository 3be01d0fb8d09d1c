// A `__refdata` (or `__refconst`) mark on an object that refers to nothing in an init or exit
// section. The mark exists to tell modpost that a reference into init/exit code is deliberate
// (a driver registered with platform_driver_probe()); on an object with no such reference it
// only switches the check off, and the next __init probe or __exit remove added to that driver
// goes unreported. Upstream drops such marks ("Drop bogus __refdata annotation").
import type { FileFacts } from '../../src/c/types.js';
import { objectHeader, sectionOfFunction } from '../../src/engine/kernel/sections.js';
import { blankCommentsAndStrings } from '../../src/c/lex.js';
import type { IndexQuery } from '../../src/engine/types.js';

export interface BogusRef {
  object: string;
  line: number;
  mark: string;
}

const MARK = /\b(__refdata|__refconst)\b/;

export function bogusRefMarks(facts: FileFacts, source: string, index?: IndexQuery): BogusRef[] {
  if (!MARK.test(source)) return [];
  const lines = source.split('\n');
  // (string literals blanked: a driver's "name" is no reference)
  const bare = blankCommentsAndStrings(source).split('\n');
  const local = new Map(facts.functions.map((f) => [f.name, f]));
  const sectionedData = new Set(facts.sectionObjects.filter((o) => o.section).map((o) => o.name));
  // A name that may be init or exit code or data: this file's own answer first, then the tree's.
  // (a name nobody defines — a macro's product, an extern the index does not know — may be)
  const sectioned = (name: string): boolean => {
    // (macros: THIS_MODULE, the pointer wrappers around what they name)
    if (/^[A-Z][A-Z0-9_]*$/.test(name) || /^(__exit_p|of_match_ptr|pm_ptr|pm_sleep_ptr|ACPI_PTR|sizeof)$/.test(name)) return false;
    const f = local.get(name);
    if (f) return sectionOfFunction(lines, f) !== null;
    if (sectionedData.has(name)) return true;
    if (facts.structInits.some((s) => s.name.split('[')[0] === name) || facts.globalRefs.some((r) => r.inObject === name)) return false;
    // (an object a macro defines here, `static SIMPLE_DEV_PM_OPS(foo_pm_ops, ...)`, with no mark of its own)
    const made = new RegExp(`^\\s*(?:static\\s+)?(?:const\\s+)?[A-Z][A-Z0-9_]*\\(\\s*${name}\\s*[,)]`, 'm').exec(source);
    if (made) return /__(init|exit)/.test(made[0]);
    if (!index) return true;
    const defs = index.functionsNamed(name);
    if (defs.some((d) => d.section === 'init' || d.section === 'exit')) return true;
    if (index.initDataNamed?.(name).length) return true;
    return defs.length === 0;
  };
  const out: BogusRef[] = [];
  for (const s of facts.structInits) {
    if (s.viaMacro) continue;
    const head = objectHeader(lines, s.name, s.line);
    const mark = MARK.exec(head)?.[1];
    if (!mark) continue;
    const base = s.name.split('[')[0]!;
    // What the initialiser names outside string literals and comments.
    const names = new Set(facts.globalRefs.filter((r) => (r.inObject === base || r.inObject === s.name) && new RegExp(`\\b${r.name}\\b`).test(bare[r.line - 1] ?? '')).map((r) => r.name));
    for (const f of s.fields) for (const m of (bare[f.line - 1] ?? '').matchAll(/[A-Za-z_]\w*/g)) if (local.has(m[0]) || sectionedData.has(m[0])) names.add(m[0]);
    // (an initialiser read nowhere — positional, or through macros — tells nothing)
    if (!names.size || [...names].some(sectioned)) continue;
    out.push({ object: s.name.split('[')[0]!, line: s.line, mark });
  }
  return out;
}
