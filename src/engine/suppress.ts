// Inline suppression: `/* modreview-ignore: <rule-id>[, <rule-id>] -- reason */` on the line of
// a finding or on the line before it. A suppression must name a rule; one that names an unknown
// rule or matches nothing is itself reported, so stale suppressions do not pile up.
import { createRule } from './rule.js';

export interface Suppression {
  /** Line of the comment. */
  line: number;
  /** Lines it covers: its own and the next code line. */
  covers: number[];
  rules: string[];
  reason?: string;
}

const MARK = /modreview-ignore:\s*([a-z0-9, -]+?)\s*(?:--\s*(.*?))?\s*(?:\*\/|$)/;

export function parseSuppressions(source: string): Suppression[] {
  const lines = source.split('\n');
  const out: Suppression[] = [];
  lines.forEach((text, i) => {
    const m = MARK.exec(text);
    if (!m) return;
    const rules = m[1]!.split(',').map((s) => s.trim()).filter(Boolean);
    const covers = [i + 1];
    // A comment alone on its line covers the next line that is not itself a comment.
    if (/^\s*(\/\*.*\*\/|\/\/.*)\s*$/.test(text)) {
      for (let j = i + 1; j < lines.length; j++) {
        if (/^\s*(\/\*.*\*\/|\/\/.*)?\s*$/.test(lines[j]!)) continue;
        covers.push(j + 1);
        break;
      }
    }
    const s: Suppression = { line: i + 1, covers, rules };
    if (m[2]) s.reason = m[2];
    out.push(s);
  });
  return out;
}

export function matchSuppression(sups: readonly Suppression[], ruleId: string, line: number): Suppression | undefined {
  return sups.find((s) => s.rules.includes(ruleId) && s.covers.includes(line));
}

/** The engine's own findings about suppressions, reported like a rule's. */
export const suppressionRule = createRule({
  id: 'unused-suppression',
  severity: 'note',
  confidence: 'high',
  title: 'Inline modreview-ignore that suppresses nothing',
  rationale: 'A suppression that matches no finding (or names no known rule) hides nothing today and may hide a real finding tomorrow.',
  precedents: [],
  noPrecedent: 'Housekeeping for modreview itself; no kernel commit applies.',
  messages: {
    unused: "'modreview-ignore: {rules}' suppresses no finding here; remove it",
    unknown: "'modreview-ignore' names unknown rule '{rule}'",
  },
  check: () => [],
});
