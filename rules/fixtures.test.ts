// Every rule's annotated fixtures (rules/<id>/fixtures/*.c): `/* ruleid: <id> */` before each
// line that must be flagged, `/* ok: <id> */` before lines that must stay clean, and no finding
// anywhere else.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allRules } from './index.js';
import { describeFailure, runFixtures, type Fixture } from '../src/engine/rule-tester.js';

const here = fileURLToPath(new URL('.', import.meta.url));

function fixturesOf(id: string): Fixture[] {
  const dir = join(here, id, 'fixtures');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => ({ file: `rules/${id}/fixtures/${f}`, source: readFileSync(join(dir, f), 'utf8') }));
}

describe.each(allRules.map((r) => [r.id, r] as const))('rule %s', (id, rule) => {
  const fixtures = fixturesOf(id);
  it('has fixtures with at least one flagged and one clean line', () => {
    const text = fixtures.map((f) => f.source).join('\n');
    expect(fixtures.length, `rules/${id}/fixtures/*.c`).toBeGreaterThan(0);
    expect(text).toContain(`ruleid: ${id}`);
    expect(text).toContain(`ok: ${id}`);
  });
  it('flags exactly the annotated lines', () => {
    const results = runFixtures(rule, fixtures);
    const failures = results.map(describeFailure).filter(Boolean);
    expect(failures).toEqual([]);
  });
});
