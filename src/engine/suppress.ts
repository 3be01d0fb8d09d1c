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

const MARK = 'modreview-ignore:';

/**
 * The rule list and reason of the `modreview-ignore:` mark in one line, or undefined. Read with
 * string operations, because this runs on every line of every file: the single regex it replaces
 * let the rule list, the blanks around it and the reason share one run of spaces, and tried every
 * way of sharing it (cubic: 12 s for a mark with 2,000 spaces in it).
 */
export function readMark(text: string): { rules: string[]; reason?: string } | undefined {
  const at = text.indexOf(MARK);
  if (at < 0) return undefined;
  let body = text.slice(at + MARK.length);
  const close = body.indexOf('*/');
  if (close >= 0) body = body.slice(0, close);
  const dash = body.indexOf('--');
  const list = (dash >= 0 ? body.slice(0, dash) : body).trim();
  // Rule ids are lower-case words, digits and hyphens; anything else is not a mark we read.
  if (!/^[a-z0-9, -]*$/.test(list)) return undefined;
  const rules = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (rules.length === 0) return undefined;
  const reason = dash >= 0 ? body.slice(dash + 2).trim() : '';
  return reason ? { rules, reason } : { rules };
}

/** A line holding nothing but a comment (or nothing at all, when `blankToo`). */
function onlyComment(line: string, blankToo: boolean): boolean {
  const t = line.trim();
  if (t === '') return blankToo;
  return t.startsWith('//') || (t.length >= 4 && t.startsWith('/*') && t.endsWith('*/'));
}

export function parseSuppressions(source: string): Suppression[] {
  const lines = source.split('\n');
  const out: Suppression[] = [];
  lines.forEach((text, i) => {
    const m = readMark(text);
    if (!m) return;
    const covers = [i + 1];
    // A comment alone on its line covers the next line that is not itself a comment.
    if (onlyComment(text, false)) {
      for (let j = i + 1; j < lines.length; j++) {
        if (onlyComment(lines[j]!, true)) continue;
        covers.push(j + 1);
        break;
      }
    }
    const s: Suppression = { line: i + 1, covers, rules: m.rules };
    if (m.reason) s.reason = m.reason;
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
