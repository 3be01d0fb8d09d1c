// The catalogue's completeness gate: every rule listed in rules/index.ts ships its folder —
// README.md (what, why, examples, precedents, false-positive traps, figures on Linux 6.12 with a
// hand-checked sample), annotated fixtures, an accuracy corpus — and cites only precedents that
// ../shared/precedents.md verifies (SHA and exact subject together), or says plainly that there
// is no verified precedent. rules/fixtures.test.ts runs the fixtures; scripts/accuracy.ts the corpus.
import { CORPUS_DIR, loadRealCorpus } from '../src/engine/real-corpus.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AccuracyCase } from '../src/engine/accuracy.js';
import { allRules } from './index.js';
import { ruleCatalogue } from './catalogue.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const SHARED = join(here, '..', '..', 'shared', 'precedents.md');
/** Upstream commits as list mails state them (stable copies: "[ Upstream commit ... ]"). */
const mailed = loadRealCorpus(join(here, '..', CORPUS_DIR)).flatMap((c) => (c.upstream ? [c.upstream] : []));

/** `| rule | 12-char sha | subject | what |` rows of the verified-precedents table. */
export function verifiedPrecedents(md: string): { rule: string; commit: string; subject: string }[] {
  const out: { rule: string; commit: string; subject: string }[] = [];
  for (const line of md.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length >= 5 && /^[0-9a-f]{12}$/.test(cells[2]!)) out.push({ rule: cells[1]!, commit: cells[2]!, subject: cells[3]! });
  }
  return out;
}

// The verified list lives beside the repository during development; a fresh clone checks the
// READMEs only (the precedents were copied into them, and that copy is checked below).
const shared = existsSync(SHARED) ? verifiedPrecedents(readFileSync(SHARED, 'utf8')) : undefined;

describe('the verified-precedents table', () => {
  it('parses (when ../shared is present)', () => {
    if (!shared) return;
    expect(shared.length).toBeGreaterThanOrEqual(10);
    expect(shared).toContainEqual({ rule: 'module-init-eexist', commit: '54416fd76770', subject: 'netfilter: conntrack: helper: Replace -EEXIST by -EBUSY' });
  });
});

describe.each(allRules.map((r) => [r.id, r] as const))('rule %s', (id, rule) => {
  const dir = join(here, id);
  const readme = () => readFileSync(join(dir, 'README.md'), 'utf8');

  it('has README.md, fixtures/*.c and accuracy.ts', () => {
    expect(existsSync(join(dir, 'README.md')), `rules/${id}/README.md`).toBe(true);
    const fx = existsSync(join(dir, 'fixtures')) ? readdirSync(join(dir, 'fixtures')).filter((f) => f.endsWith('.c')) : [];
    expect(fx.length, `rules/${id}/fixtures/*.c`).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'accuracy.ts')), `rules/${id}/accuracy.ts`).toBe(true);
  });

  it('README: what, why, examples, precedents, false-positive traps, figures on Linux 6.12', () => {
    const md = readme();
    expect(md).toMatch(new RegExp(`^# ${id}\\b`, 'm'));
    // Headings may be worded freely; each of these topics needs one.
    for (const section of [/^#+ .*\bwhat\b/im, /^#+ .*\bwhy\b/im, /^#+ .*\b(bad|wrong|buggy)\b/im, /^#+ .*\b(good|right|correct|fixed)\b/im, /^#+ .*precedent/im, /^#+ .*false[- ]positive/im, /^## On Linux 6\.12/m]) {
      expect(md, String(section)).toMatch(section);
    }
    // The 6.12 section states a count and marks a hand-checked sample (at least 10, or all of them).
    const figures = md.slice(md.search(/^## On Linux 6\.12/m));
    const next = figures.slice(1).search(/^## /m);
    const body = next >= 0 ? figures.slice(0, next + 1) : figures;
    const marks = body.match(/\b(TRUE|FALSE)\b/g) ?? [];
    const total = /\b(\d[\d,]*)\**\s+(?:sites?|findings?)\b/.exec(body);
    expect(total, 'a count of current sites').not.toBeNull();
    expect(marks.length).toBeGreaterThanOrEqual(Math.min(10, Number(total![1]!.replace(/,/g, ''))));
  });

  it('cites only verified precedents, copied verbatim into its README, or says there is none', () => {
    const md = readme();
    if (!rule.precedents.length) {
      expect(rule.noPrecedent, 'noPrecedent explains why').toBeTruthy();
      expect(md).toMatch(/No verified precedent/);
      return;
    }
    for (const p of rule.precedents) {
      // Verified by ../shared/precedents.md, or by a list mail that states the upstream SHA
      // with the subject: the mail is in the real-patch corpus, and its Message-ID in the README.
      const inShared = shared?.some((s) => s.commit === p.commit && s.subject === p.subject);
      const fromMail = mailed.find((u) => u.sha === p.commit && u.subject === p.subject);
      if (!inShared) {
        expect(fromMail, `${p.commit} ("${p.subject}") in precedents.md or stated by a corpus mail`).toBeDefined();
        expect(md, `${p.commit}: the Message-ID of the mail that states it`).toContain(fromMail!.source);
      }
      expect(md).toContain(`${p.commit} ("${p.subject}")`);
    }
  });

  it('accuracy corpus: at least 8 cases that must flag and 8 that must stay silent, on real tree paths', async () => {
    const mod = (await import(pathToFileURL(join(dir, 'accuracy.ts')).href)) as { cases: AccuracyCase[] };
    const flag = mod.cases.filter((c) => c.expect === 'flag');
    const clean = mod.cases.filter((c) => c.expect === 'clean');
    expect(flag.length).toBeGreaterThanOrEqual(8);
    expect(clean.length).toBeGreaterThanOrEqual(8);
    expect(new Set(mod.cases.map((c) => c.name)).size).toBe(mod.cases.length);
    for (const c of mod.cases) {
      expect(c.file).toMatch(/^[a-z0-9_-]+(\/[\w.+-]+)+\.[ch]$/);
      expect(c.edits.length).toBeGreaterThan(0);
    }
  });
});

describe('the listed catalogue (rules/catalogue.ts)', () => {
  it('names every rule with the severity, confidence and title the rule itself has, in run order', () => {
    expect(ruleCatalogue.map((m) => ({ ...m }))).toEqual(allRules.map((r) => ({ id: r.id, severity: r.severity, confidence: r.confidence, title: r.title })));
  });
});
