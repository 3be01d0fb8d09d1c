// Runs buildIndex in its own process, for the crash test: prints one line per answered file so
// the parent can kill it (SIGKILL) in the middle of the build.
// Usage: node --import tsx test/index/build-child.ts TREE DB BATCH PATH...
import { openStore } from '../../src/store/db.js';
import { buildIndex } from '../../src/index/build.js';

const [tree, dbPath, batch, ...paths] = process.argv.slice(2);
const db = openStore(dbPath!);
const stats = await buildIndex(tree!, {
  db,
  paths,
  workers: 2,
  batchSize: Number(batch),
  onProgress: (p) => process.stdout.write(`progress ${p.phase} ${p.done} ${p.total}\n`),
});
process.stdout.write(`done ${JSON.stringify({ ...stats, problems: stats.problems.length })}\n`);
db.close();
