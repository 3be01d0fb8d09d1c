// Measure a mined batch blind, before it joins the corpus: review each selected patch
// (scripts/corpus/add.ts input) exactly as the corpus harness does, with the rules of the moment,
// and count fixes caught with their rule and ordinary patches flagged, per split. Test-split
// cases are counted, not described (their subjects and findings are not printed), so a batch can
// be measured without looking at the held-out cases.
//
//   node --import tsx scripts/corpus/measure.ts selected.jsonl...
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitOf, type RealCase } from '../../src/engine/real-corpus.js';
import { openAccuracyIndex, runRealCase } from '../real-corpus.js';
import type { Selected } from './add.js';

const { tree, index, close } = await openAccuracyIndex();
const dir = mkdtempSync(join(tmpdir(), 'modreview-measure-'));
mkdirSync(join(dir, 'diffs'));

type Tally = { fixes: number; caught: number; ordinary: number; flagged: number; errors: number };
const tally = (): Tally => ({ fixes: 0, caught: 0, ordinary: 0, flagged: 0, errors: 0 });
const bySplit = { dev: tally(), test: tally() };
const byRule = new Map<string, { dev: [number, number]; test: [number, number] }>();
let n = 0;
try {
  for (const file of process.argv.slice(2)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const s = JSON.parse(line) as Selected;
      const c: RealCase = { id: `m${n++}`, kind: s.kind, ...(s.kind === 'fix' ? { rules: s.rules ?? [] } : {}), subject: s.subject, messageId: s.messageId, list: s.list, date: s.date, applies: s.applies };
      writeFileSync(join(dir, 'diffs', `${c.id}.diff`), s.diff.endsWith('\n') ? s.diff : `${s.diff}\n`);
      const o = await runRealCase(tree, dir, c, index);
      const split = splitOf(s.messageId);
      const t = bySplit[split];
      if (o.error) {
        t.errors++;
        if (split === 'dev') process.stdout.write(`  error   ${s.subject.slice(0, 80)}: ${o.error.slice(0, 120)}\n`);
        continue;
      }
      if (s.kind === 'fix') {
        t.fixes++;
        if (o.ok) t.caught++;
        const rule = (s.rules ?? ['?'])[0]!;
        const r = byRule.get(rule) ?? { dev: [0, 0], test: [0, 0] };
        r[split][1]++;
        if (o.ok) r[split][0]++;
        byRule.set(rule, r);
      } else {
        t.ordinary++;
        if (!o.ok) t.flagged++;
      }
      if (split === 'test') continue;
      const verdict = s.kind === 'fix' ? (o.ok ? 'caught' : 'missed') : o.ok ? 'silent' : 'flagged';
      process.stdout.write(`  ${verdict.padEnd(7)} ${s.kind === 'fix' ? `[${(s.rules ?? []).join(',')}] ` : ''}${s.subject.slice(0, 90)}\n`);
      for (const f of o.findings) process.stdout.write(`      ${f.severity} ${f.rule} ${f.file}:${f.line}: ${f.message.slice(0, 160)}\n`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  close();
}
for (const [split, t] of Object.entries(bySplit)) {
  process.stdout.write(`${split}: fixes caught ${t.caught}/${t.fixes}, ordinary flagged ${t.flagged}/${t.ordinary}, not applied ${t.errors}\n`);
}
for (const [rule, r] of [...byRule].sort()) process.stdout.write(`  ${rule.padEnd(26)} dev ${r.dev[0]}/${r.dev[1]}  test ${r.test[0]}/${r.test[1]}\n`);
