// The lexical pre-pass against the extractor on real Linux 6.12 files: it must find the same
// functions and module entries, its return candidates must cover every propagation edge the
// extractor finds (the selection is sound only if they do), and a reduced source (only some
// functions kept) must give those functions the same facts as the whole file.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractFacts } from '../../src/c/facts.js';
import { blankCommentsAndStrings } from '../../src/c/lex.js';
import { blankBytes, lexFile, lifecycleReach, reducedFromRanges, reducedSource } from '../../src/index/lexical.js';
import { computeSelection, MemorySelectionSource, type SelFn } from '../../src/index/select.js';
import { kernelTree } from '../helpers/kernel.js';

const tree = process.env.MODREVIEW_TEST_KERNEL ?? kernelTree();
const DIRS = ['drivers/md', 'drivers/target', 'security/keys', 'drivers/scsi/fcoe', 'kernel/module'];
const files = DIRS.flatMap((d) =>
  readdirSync(join(tree, d))
    .filter((f) => f.endsWith('.c'))
    .map((f) => `${d}/${f}`),
);
const read = (rel: string) => readFileSync(join(tree, rel));

describe('lexical pass on real 6.12 files', () => {
  const pairs = files.map((rel) => {
    const buf = read(rel);
    return { rel, buf, lex: lexFile(buf), facts: extractFacts(rel, buf.toString('utf8')) };
  });

  it('blanks comments and strings exactly as src/c/lex.ts does', () => {
    for (const { buf } of pairs.slice(0, 40)) expect(blankBytes(buf, false).toString('latin1')).toBe(blankCommentsAndStrings(buf.toString('latin1')));
  });

  it('finds the module entries the extractor finds, and the same `modular`', () => {
    for (const { rel, lex, facts } of pairs) {
      const entries = lex.entries.map(({ kind, fn, line, macro, driver }) => ({ kind, fn, line, macro, ...(driver ? { driver } : {}) }));
      expect({ rel, entries, modular: lex.modular }).toEqual({ rel, entries: facts.moduleEntries, modular: facts.modular });
    }
  });

  it('finds the objects in init memory the extractor finds (name, line, static-ness)', () => {
    let seen = 0;
    for (const { rel, lex, facts } of pairs) {
      const want = facts.sectionObjects.filter((o) => o.section === 'initdata' || o.section === 'initconst').map((o) => ({ name: o.name, line: o.line, isStatic: !!o.isStatic }));
      seen += want.length;
      expect({ rel, initData: lex.initData }).toEqual({ rel, initData: want });
    }
    expect(seen).toBeGreaterThan(5);
  });

  it('finds the functions the extractor finds (name and first line), static-ness and section alike', () => {
    let total = 0;
    let found = 0;
    for (const { lex, facts } of pairs) {
      const byKey = new Map(lex.functions.map((f) => [`${f.name}:${f.line}`, f]));
      for (const f of facts.functions) {
        total++;
        const l = byKey.get(`${f.name}:${f.startLine}`);
        if (!l) continue;
        found++;
        expect(l.isStatic).toBe(f.isStatic);
        expect(l.section).toBe(f.section === 'init' || f.section === 'exit' ? f.section : null);
      }
    }
    // A handful of macro-made definitions differ (measured: 0.1% on drivers/, fs/, net/core).
    expect(found / total).toBeGreaterThan(0.995);
  });

  it("return candidates cover every propagation edge of the extractor's", () => {
    let edges = 0;
    for (const { rel, lex, facts } of pairs) {
      const byKey = new Map(lex.functions.map((f) => [`${f.name}:${f.line}`, f]));
      for (const f of facts.functions) {
        const l = byKey.get(`${f.name}:${f.startLine}`);
        if (!l) continue;
        for (const p of f.propagates) {
          edges++;
          expect({ rel, fn: f.name, callee: p.callee, covered: l.cands.includes(p.callee) }).toEqual({ rel, fn: f.name, callee: p.callee, covered: true });
        }
      }
    }
    expect(edges).toBeGreaterThan(300);
  });

  it('a reduced source gives the kept functions the facts they have in the whole file', () => {
    for (const { rel, buf, lex, facts } of pairs.filter((_, i) => i % 4 === 0)) {
      const keep = new Set([...lifecycleReach(lex).local, ...lex.functions.filter((_, i) => i % 3 === 0).map((f) => f.name)]);
      const reduced = reducedSource(buf, lex, keep) ?? buf;
      const byRanges = reducedFromRanges(
        buf,
        lex.functions.filter((f) => keep.has(f.name)).map((f) => [f.start, f.end]),
      );
      // Same lines as the file: facts keep their line numbers.
      expect(reduced.toString('utf8').split('\n').length).toBe(buf.toString('utf8').split('\n').length);
      const part = extractFacts(rel, reduced.toString('utf8'));
      const part2 = extractFacts(rel, byRanges.toString('utf8'));
      for (const name of keep) {
        // `exported` and `hasError` depend on file-scope text the reduced source drops (the
        // build sets `exported` from the lexical pass).
        const strip = (fs: typeof facts.functions) => fs.filter((f) => f.name === name).map((f) => ({ ...f, exported: false, hasError: false }));
        expect({ rel, name, fns: strip(part.functions) }).toEqual({ rel, name, fns: strip(facts.functions) });
        expect(strip(part2.functions)).toEqual(strip(facts.functions));
      }
    }
  });
});

describe('selection', () => {
  const fn = (file: number, name: string, cands = '', isStatic = false): SelFn => ({ file, name, isStatic, cands });

  it('follows return candidates from init targets, binding a name to its static definition in the caller file first', () => {
    const fns = [
      fn(1, 'foo_init', 'helper reg', true),
      fn(1, 'helper', '', true),
      fn(2, 'reg', 'inner'),
      fn(2, 'inner', ''),
      // Another file's static `helper`: not what file 1 calls.
      fn(3, 'helper', 'never', true),
      fn(3, 'never', ''),
      fn(4, 'unused', 'reg'),
    ];
    const src = new MemorySelectionSource(fns, new Map([[1, ['foo_init']]]), new Map());
    const r = computeSelection(src, [1, 2, 3, 4]);
    expect(r.sel.map((s) => `${s.file}:${s.name}:${s.why}`).sort()).toEqual(['1:foo_init:init', '1:helper:prop', '2:inner:prop', '2:reg:prop']);
    expect(r.rounds).toBe(2);
  });

  it("selects the definitions in other files of what a file's init/exit paths call, when there are 1 to 3", () => {
    const fns = [fn(1, 'foo_init', '', true), fn(2, 'misc_register'), ...[3, 4, 5, 6].map((f) => fn(f, 'common'))];
    const src = new MemorySelectionSource(fns, new Map([[1, ['foo_init']]]), new Map([[1, { local: 'foo_init', remote: 'misc_register common' }]]));
    const r = computeSelection(src, [1, 2, 3, 4, 5, 6]);
    expect(r.sel.map((s) => `${s.file}:${s.name}:${s.why}`).sort()).toEqual(['1:foo_init:init', '2:misc_register:remote']);
  });

  it('an incremental step adds what a changed file now reaches, and what others wanted from it', () => {
    const before = [fn(1, 'foo_init', 'reg', true)];
    const full = computeSelection(new MemorySelectionSource(before, new Map([[1, ['foo_init']]]), new Map()), [1]);
    expect(full.wants).toContainEqual({ callee: 'reg', file: 1, caller: 'foo_init', kind: 'prop' });
    // File 2 appears, defining `reg`: only file 2 is looked at, through the recorded wants.
    const now = [...before, fn(2, 'reg', 'deep'), fn(2, 'deep')];
    const base = new MemorySelectionSource(now, new Map([[1, ['foo_init']]]), new Map());
    const src = Object.assign(Object.create(base) as MemorySelectionSource, {
      wantsFor: (callee: string) => full.wants.filter((w) => w.callee === callee),
      selectionOf: (file: number) => new Map(full.sel.filter((s) => s.file === file).map((s) => [s.name, s.why])),
    });
    const r = computeSelection(src, [2]);
    expect(r.sel.map((s) => `${s.file}:${s.name}:${s.why}`).sort()).toEqual(['2:deep:prop', '2:reg:prop']);
  });
});
