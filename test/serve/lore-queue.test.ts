// Lore series on the Redis queue, end to end with a real redis-server: `modreview serve` with
// REDIS_URL only ingests and enqueues; two `modreview worker --lore-config` processes review; each
// series is stored once. A worker killed in the middle of a job (after its review ran, before it
// was stored): the job goes to another worker and the series is stored once. `modreview jobs
// list|retry` on a job that failed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { startRedis, until, type RedisServer } from '../queue/redis.js';
import { cleanup, crossFilePatch, mail, patchBody, scratch, smallTree, TestInbox } from '../lore/helpers.js';
import { parseExposition } from './exposition.js';

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

describe('lore series through Redis', () => {
  let dir: string;
  let redis: RedisServer;
  let env: Record<string, string>;
  let db: string;
  const inbox = () => new TestInbox(join(dir, 'inbox'));
  let box: TestInbox;

  const series = () => {
    const s = new Database(db, { readonly: true });
    try {
      return s.prepare('SELECT series_key AS key, version, subject FROM lore_series ORDER BY id').all() as { key: string; version: number; subject: string }[];
    } finally {
      s.close();
    }
  };
  const jobs = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', ENTRY, 'jobs', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

  beforeAll(async () => {
    redis = await startRedis();
    dir = scratch('modreview-lore-queue-');
    await smallTree(dir);
    box = inbox();
    await box.add(mail({ msgid: 'q1@example.org', subject: '[PATCH] foo: report duplicate types as -EEXIST', body: crossFilePatch() }));
    await box.add(mail({ msgid: 'q2@example.org', subject: '[PATCH] bar: busy', body: patchBody({ file: 'drivers/bar.c', fn: 'bar_register', eexist: false }) }));
    await box.add(mail({ msgid: 'q3@example.org', subject: '[PATCH] baz: busy', body: patchBody({ file: 'drivers/baz.c', fn: 'baz_register', eexist: false }) }));
    await box.publish();
    db = join(dir, 'state.sqlite');
    writeFileSync(
      join(dir, 'lore.yaml'),
      `db: state.sqlite\ncache_dir: cache\ntree: linux\nwait_minutes: 0\nbot: { name: modreview, address: bot@example.net }\ninboxes:\n  - { name: s, url: inbox }\noutbox: outbox\npolicy:\n  lists:\n    s: { mute: false }\n`,
    );
    writeFileSync(join(dir, 'serve.yaml'), `host: 127.0.0.1\nport: 0\nlore_config: ${join(dir, 'lore.yaml')}\nlore_interval_seconds: 3600\n`);
    // Short job locks, so that a killed worker's job is handed on within a couple of seconds.
    env = { REDIS_URL: redis.url, MODREVIEW_QUEUE_LOCK_MS: '1000', MODREVIEW_QUEUE_STALLED_MS: '500', MODREVIEW_QUEUE_LOCK_RETRY_MS: '100' };
  }, 120_000);
  afterEach(() => {
    // A test that failed half-way leaves nothing running for the next one.
    for (const p of children) p.kill('SIGKILL');
  });
  afterAll(async () => {
    await redis?.stop();
    if (dir) cleanup(dir);
  });

  it('serve enqueues the ready series; two workers review each once', async () => {
    const workers = [cli(['worker', '--lore-config', join(dir, 'lore.yaml')], env), cli(['worker', '--lore-config', join(dir, 'lore.yaml')], env)];
    // One after the other: each brings the tree index in the shared store up to date first.
    for (const w of workers) await waitFor(w, 'a worker to take lore jobs', /taking lore series from Redis/);
    const serve = cli(['serve', '--config', join(dir, 'serve.yaml')], env);
    const [, base] = await waitFor(serve, 'serve to finish its pass', /listening on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*serve: lore pass done/);
    await until('the three series to be reviewed', () => (series().length === 3 ? true : undefined), 60_000);
    const stored = series();
    expect(stored.map((s) => s.subject).sort()).toEqual(['bar: busy', 'baz: busy', 'foo: report duplicate types as -EEXIST']);
    expect(new Set(stored.map((s) => s.key)).size).toBe(3);
    // serve reviewed nothing itself: the reviews are in the workers' logs, one per series.
    expect(serve.out()).not.toContain('lore: series reviewed');
    // (each worker logs its outcome just after storing it)
    const done = () => workers.flatMap((w) => w.out().match(/lore job \S+: reviewed/g) ?? []);
    await until('the workers to log three reviews', () => (done().length >= 3 ? true : undefined));
    expect(done()).toHaveLength(3);
    const s = new Database(db, { readonly: true });
    expect((s.prepare(`SELECT COUNT(*) AS n FROM lore_message WHERE status IN ('pending', 'queued')`).get() as { n: number }).n).toBe(0);
    // The -EEXIST finding's reply is in the outbox (serve's next pass delivers it).
    expect((s.prepare(`SELECT in_reply_to FROM outbox`).all() as { in_reply_to: string }[]).map((r) => r.in_reply_to)).toEqual(['q1@example.org']);
    s.close();
    const m = parseExposition(await (await fetch(`${base}/metrics`)).text());
    expect(m.get('modreview_queue_jobs{queue="lore",state="completed"}')).toBe(3);
    expect(m.get('modreview_queue_jobs{queue="lore",state="failed"}')).toBe(0);
    const page = await (await fetch(`${base}/`)).text();
    expect(page).toContain('queued for workers: 3');
    // The workers' reviews are on serve's page: they share the store.
    for (const subject of ['bar: busy', 'baz: busy']) expect(page).toContain(`<td>${subject}</td><td>0</td>`);
    expect(page).toContain('<td>foo: report duplicate types as -EEXIST</td><td>1: module-init-eexist</td>');
    const listed = jobs('list', '--state', 'completed', '--queue', 'lore', '--json');
    expect(listed.status).toBe(0);
    const lines = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { queue: string; state: string; what: string });
    for (const l of lines) expect(l).toMatchObject({ queue: 'lore', state: 'completed', what: expect.stringMatching(/^s .* v1 \(1 patch\(es\)\)$/) });
    expect(listed.stdout.trim().split('\n')).toHaveLength(3);
    for (const c of [serve, ...workers]) c.proc.kill('SIGTERM');
    for (const c of [serve, ...workers]) expect((await c.exited).code).toBe(0);
  }, 180_000);

  it('a worker killed in the middle of a job: another worker takes it, the series is stored once', async () => {
    await box.add(mail({ msgid: 'q4@example.org', subject: '[PATCH] qux: busy', body: patchBody({ file: 'drivers/qux.c', fn: 'qux_register', eexist: false }) }));
    await box.publish();
    // This worker kills itself (SIGKILL) after its review ran and before it is stored.
    const doomed = cli(['worker', '--lore-config', join(dir, 'lore.yaml')], { ...env, MODREVIEW_CRASH_AT: 'lore-review-stored' });
    await waitFor(doomed, 'the doomed worker', /taking lore series from Redis/);
    const serve = cli(['serve', '--config', join(dir, 'serve.yaml')], env);
    await waitFor(serve, 'serve to enqueue the new series', /serve: lore pass done/);
    const gone = await doomed.exited;
    expect(gone.signal).toBe('SIGKILL');
    const [, jobId] = /lore job (\S+) \(attempt 1 of 5\): reviewing/.exec(doomed.out())!;
    expect(series().map((s) => s.subject)).not.toContain('qux: busy');
    const rescuer = cli(['worker', '--lore-config', join(dir, 'lore.yaml')], env);
    await waitFor(rescuer, 'the job to be retried and reviewed', new RegExp(`lore job ${jobId}: reviewed`));
    expect(rescuer.out()).toMatch(new RegExp(`lore job ${jobId} stalled`));
    expect(series().filter((s) => s.subject === 'qux: busy')).toHaveLength(1);
    const q = new Queue('lore', { connection: { url: redis.url }, prefix: 'modreview' });
    expect(await (await q.getJob(jobId!))!.getState()).toBe('completed');
    await q.close();
    for (const c of [serve, rescuer]) c.proc.kill('SIGTERM');
    for (const c of [serve, rescuer]) expect((await c.exited).code).toBe(0);
  }, 180_000);

  it('a job that failed every try: jobs list shows it with its reason, jobs retry runs it again', async () => {
    await box.add(mail({ msgid: 'q5@example.org', subject: '[PATCH] quux: busy', body: patchBody({ file: 'drivers/quux.c', fn: 'quux_register', eexist: false }) }));
    await box.publish();
    // Every review this worker runs throws; two tries, 50 ms apart.
    const failing = cli(['worker', '--lore-config', join(dir, 'lore.yaml')], { ...env, MODREVIEW_CRASH_AT: 'lore-review-throws' });
    await waitFor(failing, 'the failing worker', /taking lore series from Redis/);
    const serve = cli(['serve', '--config', join(dir, 'serve.yaml')], { ...env, MODREVIEW_QUEUE_ATTEMPTS: '2', MODREVIEW_QUEUE_BACKOFF_MS: '50' });
    const [, jobId] = await waitFor(failing, 'the job to fail twice', /lore job (\S+) failed \(attempt 2 of 2\).*no more retries/);
    failing.proc.kill('SIGTERM');
    expect((await failing.exited).code).toBe(0);
    const listed = jobs('list');
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain(`lore  ${jobId}  failed  2/2  s `);
    expect(listed.stdout).toContain('review failed: injected by MODREVIEW_CRASH_AT (test hook)');
    expect(series().map((x) => x.subject)).not.toContain('quux: busy');
    // Fixed (a worker without the fault), the operator retries it.
    const worker = cli(['worker', '--lore-config', join(dir, 'lore.yaml')], env);
    await waitFor(worker, 'a healthy worker', /taking lore series from Redis/);
    const retried = jobs('retry', jobId!);
    expect(retried.status).toBe(0);
    expect(retried.stdout).toBe(`lore ${jobId}: retried\n`);
    await waitFor(worker, 'the retried job', new RegExp(`lore job ${jobId}: reviewed`));
    expect(series().filter((x) => x.subject === 'quux: busy')).toHaveLength(1);
    expect(jobs('list').stdout).toBe('no failed jobs\n');
    const unknown = jobs('retry', 'lore-nosuchjob');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe('lore-nosuchjob: no such job\n');
    for (const c of [serve, worker]) c.proc.kill('SIGTERM');
    for (const c of [serve, worker]) expect((await c.exited).code).toBe(0);
  }, 180_000);
});
