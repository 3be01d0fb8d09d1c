// Add mined patches to the real-patch corpus (corpus/real/): each selected mail's diff goes to
// diffs/<id>.diff exactly as mailed, and an entry (subject, Message-ID, list, date, direction,
// expected rules) to cases.json. Run by hand while building the corpus.
//
//   node --import tsx scripts/corpus/add.ts selected.jsonl
// Each input line: a mined row (list, messageId, subject, date, diff, applies) plus
//   kind: 'fix' | 'ordinary', rules?: string[] (for fixes), upstream?: {sha, subject}, note?: string
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORPUS_DIR, loadRealCorpus, RealCorpusSchema, type RealCase } from '../../src/engine/real-corpus.js';

export interface Selected {
  list: string;
  messageId: string;
  subject: string;
  date: string;
  diff: string;
  applies: 'reverse' | 'forward';
  kind: 'fix' | 'ordinary';
  rules?: string[];
  upstream?: { sha: string; subject: string; source: string };
  note?: string;
}

/** A readable, stable id: the subject's words after the tags, and 6 hex of the Message-ID. */
export function caseId(subject: string, messageId: string): string {
  const words = subject
    .replace(/^\s*(?:\[[^\]]*\]\s*)+/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|(?<!-)-+$/g, '')
    .slice(0, 60)
    .replace(/(?<!-)-+$/, '');
  return `${words}-${createHash('sha256').update(messageId).digest('hex').slice(0, 6)}`;
}

function main(): void {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const dir = join(root, CORPUS_DIR);
  const corpus = loadRealCorpus(dir);
  const have = new Set(corpus.map((c) => c.messageId));
  const file = process.argv[2];
  if (!file) throw new Error('usage: add.ts selected.jsonl');
  let added = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const s = JSON.parse(line) as Selected;
    if (have.has(s.messageId)) continue;
    const id = caseId(s.subject, s.messageId);
    writeFileSync(join(dir, 'diffs', `${id}.diff`), s.diff.endsWith('\n') ? s.diff : `${s.diff}\n`);
    const c: RealCase = {
      id,
      kind: s.kind,
      ...(s.kind === 'fix' ? { rules: s.rules ?? [] } : {}),
      subject: s.subject,
      messageId: s.messageId,
      list: s.list,
      date: s.date,
      applies: s.applies,
      // (the corpus keeps the 12-character abbreviation kernel Fixes: tags use; mails state the full id)
      ...(s.upstream ? { upstream: { ...s.upstream, sha: s.upstream.sha.slice(0, 12).toLowerCase() } } : {}),
      ...(s.note ? { note: s.note } : {}),
    };
    corpus.push(c);
    have.add(s.messageId);
    added++;
  }
  corpus.sort((a, b) => a.id.localeCompare(b.id));
  // (what the corpus loader would refuse is refused here, before anything is written)
  RealCorpusSchema.parse({ cases: corpus });
  writeFileSync(join(dir, 'cases.json'), `${JSON.stringify({ cases: corpus }, null, 1)}\n`);
  process.stdout.write(`added ${added}, ${corpus.length} cases in all\n`);
}

main();
