// Debug aid: the section analysis of one C file (modpost-style mismatches), as JSON lines.
//   node --import tsx scripts/corpus/dbg-sections.ts FILE
import { readFileSync } from 'node:fs';
import { extractFacts } from '../../src/c/facts.js';
import { sectionMismatches } from '../../src/engine/kernel/sections.js';

const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: dbg-sections.ts FILE');
const text = readFileSync(file, 'utf8');
const facts = extractFacts(file, text);
process.stdout.write(`globalRefs: ${JSON.stringify(facts.globalRefs.filter((g) => g.inObject).slice(0, 40))}\n`);
for (const u of sectionMismatches(facts, text)) process.stdout.write(`${JSON.stringify(u)}\n`);
