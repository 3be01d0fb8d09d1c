// One process of the concurrent-open tests: opens the store and applies the index and
// facts-cache migrations, as a review process does. With START_MS it first waits for that moment
// (several children start together); it prints "ready" just before opening.
// Usage: node --import tsx test/store/migrate-child.ts DB [START_MS]
import { openStore } from '../../src/store/db.js';
import { IndexCache } from '../../src/store/index-cache.js';
import { SqliteFactsCache } from '../../src/store/facts-cache.js';

const [dbPath, start] = process.argv.slice(2);
while (start && Date.now() < Number(start)) {
  // spin: every process starts opening at the same moment
}
process.stdout.write('ready\n');
const db = openStore(dbPath!);
const cache = new IndexCache(db, '/nonexistent/tree', '1.2');
new SqliteFactsCache(db, '1');
cache.writeDirs([['', 1]], { full: false, gone: [] });
db.close();
process.stdout.write('ok\n');
