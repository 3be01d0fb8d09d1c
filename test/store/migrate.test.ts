// Migrations on real SQLite files: several processes opening a new (or an older) store at the
// same moment all succeed, and each migration is applied once (BEGIN IMMEDIATE, checked again
// inside the transaction; busy_timeout set before the switch to WAL).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, openStore } from '../../src/store/db.js';
import { INDEX_MIGRATIONS, IndexCache } from '../../src/store/index-cache.js';

const tmp = mkdtempSync(join(tmpdir(), 'modreview-migrate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const CHILD = fileURLToPath(new URL('./migrate-child.ts', import.meta.url));

function child(db: string, start?: number, onReady?: () => void): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', CHILD, db, ...(start ? [String(start)] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.startsWith('ready\n')) onReady?.();
    });
    p.stderr.on('data', (b: Buffer) => (out += b.toString()));
    p.on('close', (code) => resolve({ code, out }));
  });
}

describe('store migrations on real files', () => {
  it('four processes opening a new store at once: all succeed, each migration recorded once', async () => {
    const db = join(tmp, 'new.sqlite');
    // Start far enough ahead that every child has loaded its modules (tsx) and spins.
    const start = Date.now() + 6000;
    const runs = await Promise.all([1, 2, 3, 4].map(() => child(db, start)));
    for (const r of runs) expect(r).toEqual({ code: 0, out: 'ready\nok\n' });
    const store = openStore(db);
    try {
      const names = store.prepare('SELECT name FROM migrations ORDER BY name').pluck().all() as string[];
      expect(names).toEqual([...new Set(names)]);
      expect(names).toEqual(expect.arrayContaining(INDEX_MIGRATIONS.map((m) => m.name)));
      expect(store.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      store.close();
    }
  }, 60_000);

  it('processes that find a migration not applied while another process applies it: they wait and skip it', async () => {
    const db = join(tmp, 'held.sqlite');
    const holder = openStore(db);
    holder.exec('BEGIN IMMEDIATE');
    let ready = 0;
    let allReady!: () => void;
    const waiting = new Promise<void>((r) => (allReady = r));
    const runs = Promise.all([1, 2, 3].map(() => child(db, undefined, () => ++ready === 3 && allReady())));
    await waiting;
    // Each child is now reading "not applied" and then waiting for the write lock this holds.
    await new Promise((r) => setTimeout(r, 700));
    migrate(holder, INDEX_MIGRATIONS);
    holder.exec('COMMIT');
    for (const r of await runs) expect(r).toEqual({ code: 0, out: 'ready\nok\n' });
    expect(holder.prepare("SELECT count(*) AS n FROM migrations WHERE name LIKE 'index/%'").get()).toEqual({ n: INDEX_MIGRATIONS.length });
    holder.close();
  }, 60_000);

  it('a store written before the directory snapshot existed gains it, with no snapshot recorded', () => {
    const db = join(tmp, 'old.sqlite');
    const old = openStore(db);
    migrate(old, INDEX_MIGRATIONS.filter((m) => m.name !== 'index/3-dirs'));
    old.prepare("INSERT INTO idx_trees (root, clean) VALUES ('/t', 1)").run();
    old.close();
    const store = openStore(db);
    try {
      const cache = new IndexCache(store, '/t', '1.2');
      expect(cache.isClean()).toBe(true);
      expect(cache.dirSnapshot()).toEqual({ key: null, fullAt: null, dirs: new Map() });
      cache.writeDirs([['drivers', 5]], { full: true, key: 'k', at: 7 });
      expect(cache.dirSnapshot()).toEqual({ key: 'k', fullAt: 7, dirs: new Map([['drivers', 5]]) });
      // A second migrate is a no-op.
      migrate(store, INDEX_MIGRATIONS);
      expect(store.prepare("SELECT count(*) AS n FROM migrations WHERE name = 'index/3-dirs'").get()).toEqual({ n: 1 });
    } finally {
      store.close();
    }
  });
});
