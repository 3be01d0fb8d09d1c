// The real-patch corpus must stay well-formed: every case has its diff, a known rule id, a unique
// Message-ID, and the fixed split puts at least 30% of the fixes and of the ordinary patches in the
// held-out test split.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allRules } from '../../rules/index.js';
import { CORPUS_DIR, caseDiff, loadRealCorpus, splitOf } from '../../src/engine/real-corpus.js';

const dir = fileURLToPath(new URL(`../../${CORPUS_DIR}`, import.meta.url));
const cases = loadRealCorpus(dir);

describe('corpus/real', () => {
  it('has at least 80 real fixes and 80 ordinary patches', () => {
    expect(cases.filter((c) => c.kind === 'fix').length).toBeGreaterThanOrEqual(80);
    expect(cases.filter((c) => c.kind === 'ordinary').length).toBeGreaterThanOrEqual(80);
  });

  it('gives every case a diff, a unique Message-ID and, for fixes, known rule ids', () => {
    const ids = new Set(allRules.map((r) => r.id));
    const seen = new Set<string>();
    for (const c of cases) {
      expect(seen.has(c.messageId), c.id).toBe(false);
      seen.add(c.messageId);
      expect(caseDiff(dir, c)).toMatch(/^(diff --git |--- )/m);
      if (c.kind === 'fix') {
        expect(c.rules?.length, c.id).toBeGreaterThan(0);
        for (const r of c.rules ?? []) expect(ids.has(r), `${c.id}: ${r}`).toBe(true);
      } else expect(c.rules, c.id).toBeUndefined();
    }
    // No stray diffs without a case.
    const files = readdirSync(join(dir, 'diffs')).map((f) => f.replace(/\.diff$/, ''));
    expect(files.sort()).toEqual(cases.map((c) => c.id).sort());
    expect(existsSync(join(dir, 'cases.json'))).toBe(true);
  });

  it('splits by a fixed hash of the Message-ID, with at least 30% held out', () => {
    expect(splitOf('20221109-fix@example.org')).toBe(splitOf('20221109-fix@example.org'));
    for (const kind of ['fix', 'ordinary'] as const) {
      const mine = cases.filter((c) => c.kind === kind);
      const test = mine.filter((c) => splitOf(c.messageId) === 'test').length;
      expect(test / mine.length, kind).toBeGreaterThanOrEqual(0.3);
    }
  });
});
