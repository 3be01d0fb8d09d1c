// Show one real-corpus case as reviewed: the patch a user would see and every finding on it.
// Refuses test-split cases unless --test is given (the test split is held out).
//   node --import tsx scripts/corpus/show.ts CASE_ID [--test]
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORPUS_DIR, loadRealCorpus, splitOf } from '../../src/engine/real-corpus.js';
import { reviewedPatch, runRealCase } from '../real-corpus.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const [id, flag] = process.argv.slice(2);
const dir = join(root, CORPUS_DIR);
const c = loadRealCorpus(dir).find((x) => x.id === id || x.id.startsWith(id ?? '\0'));
if (!c) throw new Error(`no case ${id}`);
if (splitOf(c.messageId) === 'test' && flag !== '--test') throw new Error(`${c.id} is in the test split`);
const tree = execFileSync(process.execPath, [join(root, 'scripts/fetch-kernel.mjs')], { encoding: 'utf8' }).trim().split('\n').pop()!;
const { openStore, cacheDir } = await import('../../src/store/db.js');
const { TreeIndex } = await import('../../src/index/query.js');
const db = openStore(join(cacheDir(), 'accuracy-tree.sqlite'));
const index = await TreeIndex.open(db, tree);
process.stdout.write(`${c.id} ${c.kind} ${(c.rules ?? []).join(',')}\n${reviewedPatch(tree, dir, c)}\n`);
const o = await runRealCase(tree, dir, c, index);
for (const f of o.findings) process.stdout.write(`${f.severity} ${f.rule} ${f.file}:${f.line} ${f.message}\n  ${f.evidence.join('\n  ')}\n`);
process.stdout.write(o.ok ? 'OK\n' : 'NOT OK\n');
db.close();
