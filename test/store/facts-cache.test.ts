// The review's facts cache: a real SQLite file, content-addressed by blob id. A review that takes
// its pre-image facts from the cache must say exactly what a review that extracted them says.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { extractFacts, FACTS_VERSION } from '../../src/c/facts.js';
import { gitBlobId } from '../../src/c/lex.js';
import type { CachedFacts } from '../../src/c/types.js';
import { reviewSubmission } from '../../src/engine/review.js';
import { readSubmission } from '../../src/ingest/series.js';
import { treeImages } from '../../src/lore/tree.js';
import { openStore } from '../../src/store/db.js';
import { SqliteFactsCache } from '../../src/store/facts-cache.js';
import { kernelTree } from '../helpers/kernel.js';

const tmp = mkdtempSync(join(tmpdir(), 'modreview-facts-cache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const entry = (src: string): CachedFacts => ({ facts: extractFacts('x.c', src), keys: [] });

describe('SqliteFactsCache', () => {
  it('answers by blob id from the file, across instances; another extractor version is a miss', () => {
    const path = join(tmp, 'a.sqlite');
    const src = 'static int __init a_init(void)\n{\n\treturn -EEXIST;\n}\nmodule_init(a_init);\n';
    new SqliteFactsCache(openStore(path), '1').put(gitBlobId(src), entry(src));
    expect(new SqliteFactsCache(openStore(path), '1').get(gitBlobId(src))).toEqual(entry(src));
    expect(new SqliteFactsCache(openStore(path), '2').get(gitBlobId(src))).toBeUndefined();
    expect(new SqliteFactsCache(openStore(path), '1').get(gitBlobId('other'))).toBeUndefined();
  });

  it('a damaged row is a miss, and the next put replaces it', () => {
    const db = openStore(join(tmp, 'b.sqlite'));
    const cache = new SqliteFactsCache(db, '1');
    db.prepare("INSERT INTO facts_cache (blob, version, z, used) VALUES ('dead', '1', x'00ff00', 1)").run();
    expect(cache.get('dead')).toBeUndefined();
    cache.put('dead', entry('int x;\n'));
    expect(new SqliteFactsCache(db, '1').get('dead')).toEqual(entry('int x;\n'));
  });

  it('keeps at most `max` entries, dropping the least recently used', () => {
    const db = openStore(join(tmp, 'c.sqlite'));
    const cache = new SqliteFactsCache(db, '1', { max: 3 });
    for (const b of ['b1', 'b2', 'b3', 'b4']) cache.put(b, entry(`int ${b};\n`));
    new SqliteFactsCache(db, '1', { max: 3 }).get('b1'); // used again: now the newest
    cache.put('b5', entry('int b5;\n'));
    cache.prune();
    const left = (db.prepare('SELECT blob FROM facts_cache ORDER BY blob').all() as { blob: string }[]).map((r) => r.blob);
    expect(left).toEqual(['b1', 'b4', 'b5']);
  });
});

describe('review with the facts cache (Linux 6.12, examples/dm-log-eexist.patch)', () => {
  const patch = readFileSync(new URL('../../examples/dm-log-eexist.patch', import.meta.url));

  it('finds the same as a review without it, first from extraction, then from the cache', async () => {
    const images = treeImages(kernelTree());
    const plain = await reviewSubmission(await readSubmission(patch), { images });
    expect(plain.findings.map((f) => f.rule)).toContain('module-init-eexist');

    const path = join(tmp, 'review.sqlite');
    const db = openStore(path);
    const first = await reviewSubmission(await readSubmission(patch), { images, facts: new SqliteFactsCache(db, String(FACTS_VERSION)) });
    expect(first).toEqual(plain);
    const stored = db.prepare('SELECT count(*) AS n FROM facts_cache').get() as { n: number };
    expect(stored.n).toBe(1);

    // A new process (a new instance, nothing hot): the pre-image comes from the SQLite row.
    const cache = new SqliteFactsCache(openStore(path), String(FACTS_VERSION));
    let hits = 0;
    const counting = { get: (b: string) => { const e = cache.get(b); if (e) hits++; return e; }, put: cache.put.bind(cache) };
    const second = await reviewSubmission(await readSubmission(patch), { images, facts: counting });
    expect(hits).toBe(1);
    expect(second).toEqual(plain);
  });
});
