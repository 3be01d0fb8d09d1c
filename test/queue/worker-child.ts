// A `modreview worker` stand-in for the queue tests: the real consumer (startReviewWorker) and
// the real signal handling of `modreview worker` (untilSignal), with the review replaced by a
// recorder, so the tests see which request ran in which process, when, and for how long.
// Env: REDIS_URL, PREFIX, WORKER_NAME, CONCURRENCY. Read from Redis per job: PREFIX:test:work-ms
// (how long a "review" takes) and PREFIX:test:fail:<pr> (how many more runs of that PR throw).
import { Redis } from 'ioredis';
import { untilSignal } from '../../src/commands/worker.js';
import { startReviewWorker } from '../../src/github/redis-queue.js';
import { eventsKey } from './redis.js';

const url = process.env.REDIS_URL!;
const prefix = process.env.PREFIX!;
const name = process.env.WORKER_NAME!;
const redis = new Redis(url);

const worker = await startReviewWorker(
  url,
  async (req, job) => {
    const key = `${req.owner}/${req.repo}#${req.number}`;
    const record = (ev: string) =>
      redis.rpush(eventsKey(prefix), JSON.stringify({ ev, worker: name, pid: process.pid, key, head: req.headSha, force: req.force, job: job.id, attempt: job.attempt, t: Date.now() }));
    await record('start');
    const ms = Number((await redis.get(`${prefix}:test:work-ms`)) ?? 100);
    await new Promise((r) => setTimeout(r, ms));
    if ((await redis.decr(`${prefix}:test:fail:${key}`)) >= 0) {
      await record('fail');
      throw new Error('injected failure');
    }
    await record('end');
    return { reviewed: req.headSha };
  },
  {
    prefix,
    concurrency: Number(process.env.CONCURRENCY ?? 1),
    // Short enough for a test: a dead worker's job is back in the queue within about 1.5 s.
    lockMs: 1000,
    stalledIntervalMs: 500,
    lockRetryMs: 100,
    log: { info: () => {}, warn: (m) => process.stderr.write(`warn: ${m}\n`), error: (m) => process.stderr.write(`error: ${m}\n`) },
  },
);
await worker.ready();
process.stdout.write('ready\n');
await untilSignal(() => worker.close(), { info: (m: string) => process.stdout.write(`${m}\n`), warn: (m: string) => process.stdout.write(`${m}\n`) });
await redis.quit();
process.stdout.write('stopped\n');
