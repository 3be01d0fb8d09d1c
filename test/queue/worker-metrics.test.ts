// `modreview worker --metrics-port`: GET /metrics of a worker, over a real redis-server. `serve`
// (REDIS_URL) queues two lore series; a worker with a metrics port reviews them; its exposition
// text, parsed, counts the two jobs, the reviews by outcome, their latency and their findings
// under the names `serve` uses. Then a worker whose reviews throw counts its failed job. Also:
// the flag's validation, and the endpoint off by default.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readMetricsPort } from '../../src/commands/worker.js';
import { cleanup, crossFilePatch, mail, patchBody, scratch, smallTree, TestInbox } from '../lore/helpers.js';
import { parseExposition } from '../serve/exposition.js';
import { startRedis, until, type RedisServer } from './redis.js';

const ENTRY = fileURLToPath(new URL('../cli/entry.ts', import.meta.url));

interface Child {
  proc: ChildProcess;
  out(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();

function cli(args: string[], env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, APP_ID: '', DEBUG: '', ...env } });
  children.add(proc);
  proc.on('exit', () => children.delete(proc));
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, out: () => out, exited };
}

async function waitFor(c: Child, what: string, re: RegExp, ms = 60_000): Promise<RegExpExecArray> {
  return until(what, () => {
    const m = re.exec(c.out());
    if (m) return m;
    if (c.proc.exitCode !== null || c.proc.signalCode !== null) throw new Error(`${what}: the process exited (${c.proc.exitCode ?? c.proc.signalCode}):\n${c.out()}`);
    return undefined;
  }, ms);
}

const scrape = async (url: string) => {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parseExposition(await res.text());
};

describe('worker metrics endpoint', () => {
  let dir: string;
  let redis: RedisServer;
  let env: Record<string, string>;
  let box: TestInbox;

  beforeAll(async () => {
    redis = await startRedis();
    dir = scratch('modreview-worker-metrics-');
    await smallTree(dir);
    box = new TestInbox(join(dir, 'inbox'));
    await box.add(mail({ msgid: 'm1@example.org', subject: '[PATCH] foo: report duplicate types as -EEXIST', body: crossFilePatch() }));
    await box.add(mail({ msgid: 'm2@example.org', subject: '[PATCH] bar: busy', body: patchBody({ file: 'drivers/bar.c', fn: 'bar_register', eexist: false }) }));
    await box.publish();
    writeFileSync(
      join(dir, 'lore.yaml'),
      `db: state.sqlite\ncache_dir: cache\ntree: linux\nwait_minutes: 0\nbot: { name: modreview, address: bot@example.net }\ninboxes:\n  - { name: s, url: inbox }\noutbox: outbox\npolicy:\n  lists:\n    s: { mute: false }\n`,
    );
    writeFileSync(join(dir, 'serve.yaml'), `host: 127.0.0.1\nport: 0\nlore_config: ${join(dir, 'lore.yaml')}\nlore_interval_seconds: 3600\n`);
    env = { REDIS_URL: redis.url, MODREVIEW_QUEUE_LOCK_MS: '1000', MODREVIEW_QUEUE_STALLED_MS: '500', MODREVIEW_QUEUE_LOCK_RETRY_MS: '100' };
  }, 120_000);
  afterEach(() => {
    for (const p of children) p.kill('SIGKILL');
  });
  afterAll(async () => {
    await redis?.stop();
    if (dir) cleanup(dir);
  });

  it('--metrics-port / MODREVIEW_WORKER_METRICS_PORT: off by default, a port from 0 to 65535', () => {
    expect(readMetricsPort(undefined, {})).toBeUndefined();
    expect(readMetricsPort(undefined, { MODREVIEW_WORKER_METRICS_PORT: '' })).toBeUndefined();
    expect(readMetricsPort(undefined, { MODREVIEW_WORKER_METRICS_PORT: '9101' })).toBe(9101);
    expect(readMetricsPort('0', { MODREVIEW_WORKER_METRICS_PORT: '9101' })).toBe(0);
    expect(() => readMetricsPort('70000', {})).toThrow('--metrics-port: expected a port from 0 to 65535, got "70000"');
    expect(() => readMetricsPort('x', {})).toThrow(/expected a port/);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, 'worker', '--lore-config', join(dir, 'lore.yaml'), '--metrics-port', 'nine'], {
      encoding: 'utf8',
      env: { ...process.env, APP_ID: '', ...env },
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--metrics-port: expected a port from 0 to 65535, got "nine"');
  });

  it('counts the jobs and reviews it ran, under serve\'s metric names; a failed job too', async () => {
    const worker = cli(['worker', '--lore-config', join(dir, 'lore.yaml'), '--metrics-port', '0'], env);
    const [, url] = await waitFor(worker, 'the worker metrics endpoint', /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/);
    await waitFor(worker, 'the worker to take lore jobs', /taking lore series from Redis/);
    let m = await scrape(url!);
    expect(m.get('modreview_ready')).toBe(1);
    expect([...m.keys()].filter((k) => k.startsWith('modreview_worker_jobs_total') || k.startsWith('modreview_reviews_total'))).toEqual([]);
    expect((await fetch(url!.replace('/metrics', '/'))).status).toBe(404);

    const serve = cli(['serve', '--config', join(dir, 'serve.yaml')], env);
    await waitFor(serve, 'serve to enqueue', /serve: lore pass done/);
    await until('the worker to review both series', () => ((worker.out().match(/lore job \S+: reviewed/g) ?? []).length >= 2 ? true : undefined), 60_000);
    m = await scrape(url!);
    expect(m.get('modreview_worker_jobs_total{queue="lore",outcome="completed"}')).toBe(2);
    expect(m.get('modreview_worker_jobs_total{queue="lore",outcome="failed"}')).toBeUndefined();
    expect(m.get('modreview_reviews_total{source="lore",outcome="findings"}')).toBe(1);
    expect(m.get('modreview_reviews_total{source="lore",outcome="clean"}')).toBe(1);
    expect(m.get('modreview_findings_total{source="lore",rule="module-init-eexist"}')).toBe(1);
    expect(m.get('modreview_review_duration_seconds_count{source="lore"}')).toBe(2);
    expect(m.get('modreview_review_duration_seconds_bucket{le="+Inf",source="lore"}')).toBe(2);
    serve.proc.kill('SIGTERM');
    worker.proc.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);
    expect((await worker.exited).code).toBe(0);
    // Stopped: nothing listens on its metrics port any more.
    await expect(fetch(url!)).rejects.toThrow();

    // A worker whose every review throws (test hook), one try per job: the job counts as failed.
    await box.add(mail({ msgid: 'm3@example.org', subject: '[PATCH] baz: busy', body: patchBody({ file: 'drivers/baz.c', fn: 'baz_register', eexist: false }) }));
    await box.publish();
    const failing = cli(['worker', '--lore-config', join(dir, 'lore.yaml')], { ...env, MODREVIEW_WORKER_METRICS_PORT: '0', MODREVIEW_CRASH_AT: 'lore-review-throws' });
    const [, url2] = await waitFor(failing, 'the failing worker metrics endpoint', /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/);
    await waitFor(failing, 'the failing worker', /taking lore series from Redis/);
    const serve2 = cli(['serve', '--config', join(dir, 'serve.yaml')], { ...env, MODREVIEW_QUEUE_ATTEMPTS: '1' });
    await waitFor(failing, 'the job to fail', /lore job \S+ failed \(attempt 1 of 1\)/);
    m = await scrape(url2!);
    expect(m.get('modreview_worker_jobs_total{queue="lore",outcome="failed"}')).toBe(1);
    expect(m.get('modreview_worker_jobs_total{queue="lore",outcome="completed"}')).toBeUndefined();
    for (const c of [serve2, failing]) c.proc.kill('SIGTERM');
    for (const c of [serve2, failing]) expect((await c.exited).code).toBe(0);
  }, 180_000);
});
