// The real-patch accuracy corpus (corpus/real/): real upstream patches from public list mail,
// each stored as its diff exactly as mailed, with the mail's subject and Message-ID.
// - `fix` cases fixed a module-lifecycle bug and are already in Linux 6.12: the harness applies
//   the diff in reverse, which re-introduces the bug, and the review must report one of `rules`.
// - `ordinary` cases are real patches touching the same kinds of code (cleanups, conversions,
//   forward fixes) that must stay silent.
// Cases split into dev and test by a fixed hash of the Message-ID; the test split is never looked
// at while a rule changes (docs/ACCURACY.md).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const CORPUS_DIR = 'corpus/real';

/** Share of cases (by Message-ID hash) in the held-out test split. */
export const TEST_SHARE = 35;

const RealCaseSchema = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/),
  kind: z.enum(['fix', 'ordinary']),
  /** Rule ids any one of which reporting the reversal counts as caught (fixes only). */
  rules: z.array(z.string()).optional(),
  subject: z.string(),
  messageId: z.string().min(3),
  list: z.string(),
  date: z.string(),
  /** Which way the mailed diff is applied to 6.12 to make the reviewed patch. */
  applies: z.enum(['reverse', 'forward']),
  /** The upstream commit (12-char SHA, exact subject), as the mail `source` (a Message-ID) states it; never from memory. */
  upstream: z.object({ sha: z.string().regex(/^[0-9a-f]{12}$/), subject: z.string(), source: z.string().min(3) }).optional(),
  note: z.string().optional(),
});

export type RealCase = z.infer<typeof RealCaseSchema>;

/** The whole of corpus/real/cases.json. */
export const RealCorpusSchema = z.object({ cases: z.array(RealCaseSchema) });

export function loadRealCorpus(dir: string): RealCase[] {
  const file = join(dir, 'cases.json');
  if (!existsSync(file)) return [];
  const parsed = RealCorpusSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  return parsed.cases;
}

export type Split = 'dev' | 'test';

/** The fixed split of a case: a hash of its Message-ID, so no choice of ours moves a case. */
export function splitOf(messageId: string): Split {
  const h = createHash('sha256').update(`modreview-split:${messageId}`).digest();
  return h.readUInt16BE(0) % 100 < TEST_SHARE ? 'test' : 'dev';
}

export function caseDiff(dir: string, c: Pick<RealCase, 'id'>): string {
  return readFileSync(join(dir, 'diffs', `${c.id}.diff`), 'utf8');
}
