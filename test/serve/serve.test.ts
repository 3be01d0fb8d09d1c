// `modreview serve` as a child process: /healthz, /readyz, /metrics (exposition format parsed),
// the status page, counters that move after a lore review, and SIGTERM → exit 0.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { loadServeConfig } from '../../src/commands/serve.js';
import { parseExposition } from './exposition.js';
import { cleanup, crossFilePatch, mail, scratch, smallTree, TestInbox } from '../lore/helpers.js';

const ENTRY = fileURLToPath(new URL('../cli/entry.ts', import.meta.url));

describe('modreview serve', () => {
  let dir: string;
  beforeAll(async () => {
    dir = scratch('modreview-serve-');
    await smallTree(dir);
    const inbox = new TestInbox(join(dir, 'inbox'));
    await inbox.add(mail({ msgid: 's1@example.org', subject: '[PATCH] foo: report duplicate types as -EEXIST', to: ['foo@lists.example.org'], body: crossFilePatch() }));
    await inbox.publish();
    writeFileSync(
      join(dir, 'lore.yaml'),
      `db: state.sqlite\ncache_dir: cache\ntree: linux\nwait_minutes: 0\nbot: { name: modreview, address: bot@example.net }\ninboxes:\n  - { name: s, url: inbox }\noutbox: outbox\npolicy:\n  lists:\n    s: { mute: false }\n`,
    );
    writeFileSync(join(dir, 'serve.yaml'), `host: 127.0.0.1\nport: 0\nlore_config: ${join(dir, 'lore.yaml')}\nlore_interval_seconds: 3600\n`);
  });
  afterAll(() => cleanup(dir));

  it('config: defaults, env overrides, unknown keys refused', () => {
    expect(loadServeConfig(undefined, {})).toEqual({ host: '127.0.0.1', port: 8080, log_level: 'info' });
    expect(loadServeConfig(join(dir, 'serve.yaml'), { SERVE_PORT: '9100', SERVE_HOST: '0.0.0.0' })).toMatchObject({ host: '0.0.0.0', port: 9100 });
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'port: 1\nsecret: x\n');
    expect(() => loadServeConfig(bad, {})).toThrow(/Unrecognized key/);
  });

  it('endpoints answer, counters move after the lore review, SIGTERM exits 0', async () => {
    const p = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'serve', '--config', join(dir, 'serve.yaml')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, APP_ID: '', DEBUG: '' } });
    onTestFinished(() => {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    });
    let err = '';
    const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
    const base = await new Promise<string>((resolve, reject) => {
      p.stderr.on('data', (c: Buffer) => {
        err += c.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
        if (m && err.includes('serve: lore pass done')) resolve(m[1]!);
      });
      p.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const m = parseExposition(await metrics.text());
    expect(m.get('modreview_ready')).toBe(1);
    expect(m.get('modreview_lore_passes_total{outcome="ok"}')).toBe(1);
    // The real engine reviewed the series: one review, its latency observed once, its findings by rule.
    const reviews = [...m].filter(([k]) => k.startsWith('modreview_reviews_total{source="lore"'));
    expect(reviews.reduce((n, [, v]) => n + v, 0)).toBe(1);
    expect(m.get('modreview_review_duration_seconds_count{source="lore"}')).toBe(1);
    expect(m.get('modreview_review_duration_seconds_bucket{le="+Inf",source="lore"}')).toBe(1);
    // The patch makes a module_init path return -EEXIST (found across files through the index).
    expect(m.get('modreview_reviews_total{source="lore",outcome="findings"}')).toBe(1);
    expect(m.get('modreview_findings_total{source="lore",rule="module-init-eexist"}')).toBe(1);
    // Its reply is queued, then delivered to the dry-run maildir in the same pass.
    expect(m.get('modreview_replies_total{channel="mail",outcome="queued"}')).toBe(1);
    expect(m.get('modreview_replies_total{channel="mail",outcome="sent"}')).toBe(1);
    expect(m.get('modreview_replies_total{channel="mail",outcome="failed"}')).toBe(0);
    expect(m.get('modreview_lore_sync_lag_seconds{inbox="s"}')).toBeGreaterThanOrEqual(0);
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('<h1>modreview</h1>');
    expect(page).toContain('Series reviewed: 1');
    // The review just processed, with its finding's rule.
    expect(page).toMatch(/<td>s<\/td><td>foo: report duplicate types as -EEXIST<\/td><td>1: module-init-eexist<\/td>/);
    expect(page).not.toContain('<script');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    // The image's HEALTHCHECK command, as the Dockerfile writes it, against this server.
    const dockerfile = readFileSync(fileURLToPath(new URL('../../Dockerfile', import.meta.url)), 'utf8');
    const hc = /HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])/.exec(dockerfile);
    expect(hc).not.toBeNull();
    const [cmd, ...args] = JSON.parse(hc![1]!) as string[];
    expect(cmd).toBe('node');
    const port = new URL(base).port;
    expect(spawnSync(process.execPath, args, { env: { ...process.env, SERVE_PORT: port } }).status).toBe(0);
    p.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(err).toContain('modreview serve: stopped');
    // Nothing listens any more: the same health check now fails.
    expect(spawnSync(process.execPath, args, { env: { ...process.env, SERVE_PORT: port } }).status).toBe(1);
  });
});

describe('the image', () => {
  it('Dockerfile: multi-stage Node 20 slim, build through scripts/image-build.sh, non-root, /data, serve by default', () => {
    const d = readFileSync(fileURLToPath(new URL('../../Dockerfile', import.meta.url)), 'utf8');
    expect(d.match(/^FROM node:20-bookworm-slim/gm)).toHaveLength(2);
    expect(d).toContain('RUN sh scripts/image-build.sh');
    const users = [...d.matchAll(/^USER (\S+)/gm)].map((m) => m[1]);
    expect(users.at(-1)).toBe('node');
    expect(d).toMatch(/^VOLUME \["\/data"\]/m);
    expect(d).toMatch(/^CMD \["serve"\]$/m);
    expect(d).toMatch(/HOST=0\.0\.0\.0/);
  });
});
