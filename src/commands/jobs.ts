// `modreview jobs list|retry`: the jobs in Redis (REDIS_URL) of both queues — `reviews` (GitHub
// pull requests, from `modreview github`/`serve`) and `lore` (lore series, from `serve`) — by
// state, and retrying the failed ones by id. One line per job: queue, id, state, attempts, what
// it is for, and the reason it failed.
import type { Command } from 'commander';
import type { CommandRegistrar } from '../cli.js';
import { UsageError } from '../errors.js';

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
type State = (typeof STATES)[number];
const QUEUES = ['reviews', 'lore'] as const;

interface JobLine {
  queue: string;
  id: string;
  state: string;
  attemptsMade: number;
  attempts: number;
  what: string;
  failedReason?: string;
}

async function openQueues(names: readonly string[]) {
  const [{ checkRedisUrl, checkRedisReachable }, { Queue }] = await Promise.all([import('../github/redis-queue.js'), import('bullmq')]);
  if (process.env.REDIS_URL === undefined) throw new UsageError('missing REDIS_URL: set it to the Redis the queues are in (e.g. redis://localhost:6379)');
  const url = checkRedisUrl(process.env.REDIS_URL);
  await checkRedisReachable(url);
  const prefix = process.env.MODREVIEW_QUEUE_PREFIX || 'modreview';
  return names.map((name) => {
    const q = new Queue(name, { connection: { url, maxRetriesPerRequest: 2 }, prefix });
    q.on('error', () => {});
    return q;
  });
}

function describe(queue: string, data: Record<string, unknown> | undefined): string {
  if (!data) return '';
  if (queue === 'lore') return `${String(data.list)} ${String(data.key)} v${String(data.version)} (${Array.isArray(data.patches) ? data.patches.length : '?'} patch(es))`;
  return typeof data.key === 'string' ? data.key : '';
}

function queueOption(v: string | undefined): readonly string[] {
  if (v === undefined) return QUEUES;
  if (!(QUEUES as readonly string[]).includes(v)) throw new UsageError(`--queue: expected one of ${QUEUES.join(', ')}, got "${v}"`);
  return [v];
}

export const register: CommandRegistrar = (program: Command, setExit) => {
  const jobs = program.command('jobs').description('list the review jobs in Redis (REDIS_URL) and retry failed ones');

  jobs
    .command('list')
    .description('list jobs by state (default: failed) in the reviews (GitHub) and lore queues')
    .option('--state <state>', `one of ${STATES.join(', ')}, or all`, 'failed')
    .option('--queue <name>', `only this queue (${QUEUES.join(', ')})`)
    .option('--json', 'one JSON object per line')
    .action(async (o: { state: string; queue?: string; json?: boolean }) => {
      const states: State[] = o.state === 'all' ? [...STATES] : (STATES as readonly string[]).includes(o.state) ? [o.state as State] : [];
      if (states.length === 0) throw new UsageError(`--state: expected one of ${STATES.join(', ')}, all; got "${o.state}"`);
      const queues = await openQueues(queueOption(o.queue));
      try {
        const lines: JobLine[] = [];
        for (const q of queues) {
          for (const state of states) {
            for (const j of await q.getJobs([state], 0, 999, true)) {
              if (!j) continue;
              lines.push({
                queue: q.name,
                id: String(j.id),
                state,
                attemptsMade: j.attemptsMade,
                attempts: j.opts.attempts ?? 1,
                what: describe(q.name, j.data as Record<string, unknown>),
                ...(j.failedReason ? { failedReason: j.failedReason.split('\n')[0]! } : {}),
              });
            }
          }
        }
        if (o.json) for (const l of lines) process.stdout.write(`${JSON.stringify(l)}\n`);
        else if (lines.length === 0) process.stdout.write(`no ${o.state === 'all' ? '' : `${o.state} `}jobs\n`);
        else
          for (const l of lines)
            process.stdout.write(`${l.queue}  ${l.id}  ${l.state}  ${l.attemptsMade}/${l.attempts}  ${l.what}${l.failedReason ? `  — ${l.failedReason}` : ''}\n`);
      } finally {
        for (const q of queues) await q.close();
      }
    });

  jobs
    .command('retry')
    .description('retry failed jobs: the ids given, or every failed job with --all')
    .argument('[id...]', 'job ids (as `modreview jobs list` prints them)')
    .option('--all', 'every failed job')
    .option('--queue <name>', `only this queue (${QUEUES.join(', ')})`)
    .action(async (ids: string[], o: { all?: boolean; queue?: string }) => {
      if (!o.all && ids.length === 0) throw new UsageError('jobs retry: name the job ids, or --all for every failed job');
      const queues = await openQueues(queueOption(o.queue));
      try {
        let retried = 0;
        const missing = new Set(ids);
        for (const q of queues) {
          const targets = o.all ? (await q.getJobs(['failed'], 0, -1, true)).filter((j) => j !== undefined) : [];
          for (const id of o.all ? [] : ids) {
            const j = await q.getJob(id);
            if (j) targets.push(j);
          }
          for (const j of targets) {
            missing.delete(String(j.id));
            if (!(await j.isFailed())) {
              process.stderr.write(`${q.name} ${j.id}: not failed (${await j.getState()}); left as it is\n`);
              setExit(1);
              continue;
            }
            await j.retry('failed');
            retried++;
            process.stdout.write(`${q.name} ${j.id}: retried\n`);
          }
        }
        for (const id of missing) {
          process.stderr.write(`${id}: no such job\n`);
          setExit(1);
        }
        if (o.all && retried === 0) process.stdout.write('no failed jobs\n');
      } finally {
        for (const q of queues) await q.close();
      }
    });
};
