// Review mined patches that are not in the corpus (a validation sample: ordinary patches that
// must stay silent) exactly as the corpus harness does, and list what is reported. A check of
// false positives on patches nobody labelled or looked at while writing the rules.
//   node --import tsx scripts/corpus/validate.ts sample.jsonl
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RealCase } from '../../src/engine/real-corpus.js';
import { openAccuracyIndex, runRealCase } from '../real-corpus.js';

const { tree, index, close } = await openAccuracyIndex();
const dir = mkdtempSync(join(tmpdir(), 'modreview-validate-'));
mkdirSync(join(dir, 'diffs'));
let n = 0;
let flagged = 0;
let errors = 0;
for (const line of readFileSync(process.argv[2]!, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const m = JSON.parse(line) as { subject: string; messageId: string; list: string; date: string; diff: string; applies: 'forward' | 'reverse' };
  const c: RealCase = { id: `v${n}`, kind: 'ordinary', subject: m.subject, messageId: m.messageId, list: m.list, date: m.date, applies: m.applies };
  writeFileSync(join(dir, 'diffs', `${c.id}.diff`), m.diff);
  const o = await runRealCase(tree, dir, c, index);
  n++;
  if (o.error) {
    errors++;
    continue;
  }
  if (o.findings.length) {
    flagged++;
    for (const f of o.findings) process.stdout.write(`${m.subject.slice(0, 90)}\n  ${f.severity} ${f.rule} ${f.file}:${f.line}: ${f.message.slice(0, 200)}\n`);
  }
}
process.stdout.write(`${flagged} of ${n} flagged (${errors} could not be applied)\n`);
rmSync(dir, { recursive: true, force: true });
close();
