// Debug aid: the init unwind analysis of one function of a C file, as JSON.
//   node --import tsx scripts/corpus/dbg-unwind.ts FILE FUNCTION
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CORPUS_DIR, caseDiff, loadRealCorpus } from '../../src/engine/real-corpus.js';
import { applyToTree } from './apply.js';
import { extractFacts } from '../../src/c/facts.js';
import { analyseUnwind } from '../../src/engine/kernel/unwind.js';
import { fallibility, moduleBook } from '../../src/engine/kernel/pairs.js';

// FILE may be `case:ID:path` — that file of a real-corpus case as the reviewed patch leaves it.
// BEFORE (optional): the pre-image file, as a review passes it (the patch's removed releases).
const [file, fnName, beforeFile] = process.argv.slice(2);
if (!file || !fnName) throw new Error('usage: dbg-unwind.ts FILE|case:ID:PATH FUNCTION');
let text: string;
if (file.startsWith('case:')) {
  const [, id, path] = file.split(':');
  const c = loadRealCorpus(CORPUS_DIR).find((x) => x.id.startsWith(id!))!;
  const tree = execFileSync(process.execPath, ['scripts/fetch-kernel.mjs'], { encoding: 'utf8' }).trim().split('\n').pop()!;
  text = applyToTree(tree, caseDiff(CORPUS_DIR, c), c.applies === 'reverse').find((f) => f.path.endsWith(path!))!.after;
} else text = readFileSync(file, 'utf8');
const facts = extractFacts(file, text);
const fn = facts.functions.find((f) => f.name === fnName);
if (!fn) throw new Error(`no function ${fnName}`);
const beforeFacts = beforeFile ? extractFacts(beforeFile, readFileSync(beforeFile, 'utf8')) : undefined;
const before = beforeFacts?.functions.find((f) => f.name === fnName);
const book = moduleBook(facts, undefined, beforeFacts);
for (const c of fn.calls) process.stdout.write(`${c.line} ${c.callee} ${c.assignedTo ?? ''} ${JSON.stringify(book.pairFor(c.callee) ?? null)}\n`);
const r = analyseUnwind(fn, facts, { book, fallible: fallibility(facts, book), source: text, ...(before ? { before } : {}) });
const brief = {
  leaks: r.leaks.map((l) => `${l.held.call.callee}@${l.held.call.line}${l.held.unchecked ? `(${l.held.unchecked})` : ''}${l.held.earlierTurn ? "[earlier]" : ""}[${l.held.pair.release.join("|")}] via ${l.exitKind}@${l.exitLine} failed=${l.failed?.callee ?? '-'}`),
  misorders: r.misorders.map((m) => `${m.release.callee}@${m.release.line} goto ${m.label}@${m.gotoLine}${m.failedStep ? ' (failed step)' : ''}`),
  ignored: r.ignored.map((g) => `${g.held.call.callee}@${g.held.call.line} ${g.held.unchecked} ret@${g.returnLine}`),
};
process.stdout.write(`${JSON.stringify(brief, null, 1)}\n`);
