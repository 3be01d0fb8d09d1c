// The probot app: webhook events in, background reviews out. Every handler answers at once
// (GitHub gives a webhook 10 s); the review runs on a per-PR queue: in this process (PrQueue), or,
// given `deps.queue`, in `modreview worker` processes fed through Redis (RedisReviewQueue), which
// get data only and authenticate as the installation themselves. A delivery id seen before
// (GitHub's "Redeliver") is dropped before anything else happens.
import type { ApplicationFunction, Context, Logger, Probot } from 'probot';
import type { ReviewFn } from '../engine/api.js';
import type { IndexQuery } from '../engine/types.js';
import { CHECK_NAME } from '../report/github.js';
import type { GithubStore } from '../store/github.js';
import { logRequestError, type Octokit } from './octokit.js';
import { PrQueue, type KeyedQueue } from './queue.js';
import type { ReviewReason, ReviewRequest } from './redis-queue.js';
import { reviewPullRequest, type Outcome, type PrTarget } from './review-pr.js';

export interface AppDeps {
  review: ReviewFn;
  store: GithubStore;
  /** Tree-wide facts (MODREVIEW_TREE); a function is called once, lazily, on the first review. */
  index?: IndexQuery | (() => Promise<IndexQuery | undefined>) | undefined;
  /** Called after each background review (tests, metrics). */
  onOutcome?: (target: PrTarget, outcome: Outcome) => void;
  /** Hand each review to this queue (Redis, for `modreview worker`) instead of running it here. */
  queue?: KeyedQueue<ReviewRequest>;
}

export type ModreviewApp = ApplicationFunction & { queue: PrQueue | KeyedQueue<ReviewRequest> };

export const PR_ACTIONS = ['opened', 'synchronize', 'reopened', 'ready_for_review'] as const;

export function createApp(deps: AppDeps): ModreviewApp {
  let appLog: Logger | undefined;
  const queue = new PrQueue((err, key) => {
    const msg = `${key}: background review failed: ${err instanceof Error ? err.message : String(err)}`;
    if (appLog) appLog.error(msg);
    else process.stderr.write(`modreview: ${msg}\n`);
  });
  let index: Promise<IndexQuery | undefined> | undefined;
  const getIndex = (): Promise<IndexQuery | undefined> => {
    index ??= typeof deps.index === 'function' ? deps.index() : Promise.resolve(deps.index);
    return index;
  };

  const appFn = (app: Probot): void => {
    const log = app.log.child({ name: 'modreview' });
    appLog = log;

    const firstDelivery = (context: Context): boolean => {
      if (deps.store.firstDelivery(context.id, context.name)) return true;
      log.info(`delivery ${context.id} (${context.name}) already handled; ignored`);
      return false;
    };

    const enqueue = async (context: Context, target: PrTarget, headSha: string, reason: ReviewReason): Promise<void> => {
      const key = `${target.owner}/${target.repo}#${target.number}`;
      if (deps.queue) {
        const installationId = (context.payload as { installation?: { id?: number } }).installation?.id;
        if (!installationId) {
          log.warn(`${key}: ${context.name} delivery without an installation id; not queued`);
          return;
        }
        const { owner, repo, number, defaultBranch, force } = target;
        await deps.queue.push(key, { installationId, owner, repo, number, headSha, defaultBranch, reason, force });
        return;
      }
      const octokit: Octokit = context.octokit;
      queue.push(key, async () => {
        let idx: IndexQuery | undefined;
        try {
          idx = await getIndex();
        } catch (err) {
          log.warn(`tree index unavailable (${err instanceof Error ? err.message : String(err)}); reviewing without tree-wide facts`);
        }
        let outcome: Outcome;
        try {
          outcome = await reviewPullRequest(octokit, log, { review: deps.review, store: deps.store, index: idx }, target);
        } catch (err) {
          // Failures before the check run exists (PR fetch, config read, check-run creation).
          logRequestError(log, err, `${key}: review`);
          outcome = { kind: 'failed', reason: err instanceof Error ? err.message : String(err) };
        }
        deps.onOutcome?.(target, outcome);
      });
    };

    app.on(
      PR_ACTIONS.map((a) => `pull_request.${a}` as const),
      async (context) => {
        if (!firstDelivery(context)) return;
        const { pull_request: pr, repository } = context.payload;
        await enqueue(context, {
          owner: repository.owner.login,
          repo: repository.name,
          number: pr.number,
          defaultBranch: repository.default_branch,
          pr: { headSha: pr.head.sha, baseSha: pr.base.sha, title: pr.title, body: pr.body, draft: !!pr.draft, state: pr.state },
          force: false,
        }, pr.head.sha, context.payload.action);
      },
    );

    const rerequested = async (
      context: Context<'check_run.rerequested'> | Context<'check_suite.rerequested'>,
      headSha: string,
      prs: readonly { number: number }[],
      reason: 'check_run.rerequested' | 'check_suite.rerequested',
    ): Promise<void> => {
      const { repository } = context.payload;
      const owner = repository.owner.login;
      const repo = repository.name;
      let numbers = prs.map((p) => p.number);
      if (numbers.length === 0) {
        // Check payloads omit pull requests from forks: ask which open PRs have this head.
        try {
          const { data } = await context.octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner, repo, commit_sha: headSha });
          numbers = data.filter((p) => p.state === 'open' && p.head.sha === headSha).map((p) => p.number);
        } catch (err) {
          logRequestError(log, err, `${owner}/${repo}: finding the pull request of ${headSha.slice(0, 12)}`);
          return;
        }
      }
      if (numbers.length === 0) log.info(`${owner}/${repo}: re-run of ${headSha.slice(0, 12)} requested, but no open pull request has that head`);
      for (const number of numbers) {
        await enqueue(context, { owner, repo, number, defaultBranch: repository.default_branch, force: true }, headSha, reason);
      }
    };

    app.on('check_run.rerequested', async (context) => {
      if (!firstDelivery(context)) return;
      const cr = context.payload.check_run;
      if (cr.name !== CHECK_NAME) return;
      await rerequested(context, cr.head_sha, cr.pull_requests, 'check_run.rerequested');
    });

    app.on('check_suite.rerequested', async (context) => {
      if (!firstDelivery(context)) return;
      const cs = context.payload.check_suite;
      await rerequested(context, cs.head_sha, cs.pull_requests, 'check_suite.rerequested');
    });

    app.onError((err) => {
      log.error(`webhook handler failed: ${err.message.split('\n')[0]}`);
    });
  };
  return Object.assign(appFn, { queue: deps.queue ?? queue });
}
