// Rule fixtures in the manner of semgrep's tests and ESLint's RuleTester: a C file where
// `/* ruleid: <id> */` stands on the line before each line the rule must flag and
// `/* ok: <id> */` before lines that must stay clean. Any finding on another line is a failure
// too. A fixture may name the tree path it stands for with `/* path: drivers/md/dm-log.c */` in
// its first lines (rules that look at paths or cross-file facts need it).
import { extractFacts } from '../c/facts.js';
import type { FileFacts } from '../c/types.js';
import { filesIndex, overlayIndex } from './overlay.js';
import type { IndexQuery, RawFinding, Rule } from './types.js';

export interface Fixture {
  /** Where the fixture lives (for messages). */
  file: string;
  source: string;
}

export interface Expectations {
  path: string;
  /** Lines that must carry a finding of the rule. */
  expect: Set<number>;
  /** Lines that must not. */
  ok: Set<number>;
}

const ANNOT = /\/\*\s*(ruleid|ok)\s*:\s*([a-z0-9-]+)\s*\*\//g;
const PATH = /\/\*\s*path:\s*([\w./+-]+)\s*\*\//;

/** The line a `ruleid`/`ok` comment points at: the next line that is not itself only an annotation. */
export function parseExpectations(ruleId: string, fx: Fixture): Expectations {
  const lines = fx.source.split('\n');
  const path = PATH.exec(lines.slice(0, 5).join('\n'))?.[1] ?? fx.file.replace(/^.*\/fixtures\//, 'fixtures/');
  const expect = new Set<number>();
  const ok = new Set<number>();
  lines.forEach((text, i) => {
    for (const m of text.matchAll(ANNOT)) {
      if (m[2] !== ruleId) continue;
      let j = i + 1;
      while (j < lines.length && /^\s*(\/\*\s*(ruleid|ok)\s*:[^*]*\*\/\s*)+$/.test(lines[j]!)) j++;
      (m[1] === 'ruleid' ? expect : ok).add(j + 1);
    }
  });
  return { path, expect, ok };
}

export interface FixtureResult {
  file: string;
  path: string;
  findings: RawFinding[];
  /** Expected lines with no finding. */
  missed: number[];
  /** Findings on `ok` lines or unannotated lines. */
  unexpected: RawFinding[];
  /** Functions the rule may inspect that have parse errors (a fixture must parse cleanly). */
  parseErrors: string[];
}

/**
 * Run one rule over a set of fixtures. All fixtures of the rule form one small tree (an index
 * over their facts, over `base` when given), so cross-file fixtures work.
 */
export function runFixtures(rule: Rule, fixtures: readonly Fixture[], base?: IndexQuery): FixtureResult[] {
  const parsed = fixtures.map((fx) => {
    const exp = parseExpectations(rule.id, fx);
    const facts: FileFacts = extractFacts(exp.path, fx.source);
    return { fx, exp, facts };
  });
  const index = base ? overlayIndex(base, parsed.map((p) => p.facts)) : filesIndex(parsed.map((p) => p.facts));
  return parsed.map(({ fx, exp, facts }) => {
    const findings = rule.check({ path: exp.path, image: 'post', source: fx.source, facts, index });
    const flagged = new Set(findings.map((f) => f.line));
    return {
      file: fx.file,
      path: exp.path,
      findings,
      missed: [...exp.expect].filter((l) => !flagged.has(l)).sort((a, b) => a - b),
      unexpected: findings.filter((f) => !exp.expect.has(f.line)),
      parseErrors: facts.functions.filter((f) => f.hasError).map((f) => f.name),
    };
  });
}

/** A one-paragraph failure description, or '' when the fixture passes. */
export function describeFailure(r: FixtureResult): string {
  const out: string[] = [];
  if (r.missed.length) out.push(`expected a finding on line(s) ${r.missed.join(', ')}`);
  for (const f of r.unexpected) out.push(`unexpected finding on line ${f.line}: ${f.message}`);
  return out.length ? `${r.file}: ${out.join('; ')}` : '';
}
