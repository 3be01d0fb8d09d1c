// One review of one pull request head, run in the background: configuration from the default
// branch, check run in progress, PR → Submission, the engine, a stale-head check, then the
// review (only fingerprints not posted before; comments of findings that went away marked
// outdated) and the completed check run.
import type { Logger } from 'probot';
import type { ReviewFn } from '../engine/api.js';
import type { Finding, IndexQuery } from '../engine/types.js';
import {
  checkRunCompletion,
  checkRunStart,
  commentableLines,
  conclusionFor,
  configErrorCheckRun,
  fingerprintsIn,
  OUTDATED_MARKER,
  outdatedBody,
  planReview,
  planReviewWithoutInline,
  type Placed,
  type ReviewPlan,
} from '../report/github.js';
import type { GithubStore } from '../store/github.js';
import { CONFIG_PATH, ConfigError, ignoredBy, loadConfig, type RepoConfig } from './config.js';
import { contentsImageProvider, readFileAt } from './images.js';
import { FACTS_VERSION } from '../c/version.js';
import { factsCacheOf } from '../store/facts-cache.js';
import { placeFindings } from './lines.js';
import { describeRequestError, expectStatus, httpStatus, logRequestError, type Octokit } from './octokit.js';
import { perCommitSubmission, wholePrSubmission, type PrRef } from './pr.js';

export interface ReviewDeps {
  review: ReviewFn;
  store: GithubStore;
  /** Tree-wide facts (MODREVIEW_TREE), when configured. */
  index?: IndexQuery | undefined;
}

export interface PrTarget {
  owner: string;
  repo: string;
  number: number;
  defaultBranch: string;
  /** From the webhook payload; fetched when absent (rerequested check runs/suites). */
  pr?: PrSnapshot;
  /** Review again even if this head was reviewed (a re-run requested by a user). */
  force: boolean;
}

export interface PrSnapshot {
  headSha: string;
  baseSha: string;
  title: string;
  body: string | null;
  draft: boolean;
  state: string;
}

export type Outcome =
  | { kind: 'reviewed'; conclusion: string; findings: number; posted: number; outdated: number }
  | { kind: 'skipped'; reason: string }
  | { kind: 'stale'; analysed: string; head: string }
  | { kind: 'config-error'; problems: string[] }
  | { kind: 'failed'; reason: string };

function inFilter(f: Finding, filter: RepoConfig['filter']): boolean {
  if (filter === 'added') return f.where === 'added';
  if (filter === 'diff_context') return f.where !== 'outside';
  return true;
}

export async function fetchPr(octokit: Octokit, owner: string, repo: string, number: number): Promise<PrSnapshot> {
  const { data } = await octokit.rest.pulls.get({ owner, repo, pull_number: number });
  return { headSha: data.head.sha, baseSha: data.base.sha, title: data.title, body: data.body, draft: !!data.draft, state: data.state };
}

/**
 * Fingerprints modreview already posted on the PR, read back from GitHub: inline comments (not
 * those marked outdated) and review bodies (except fingerprints the store knows went away).
 */
async function fingerprintsOnGithub(
  octokit: Octokit,
  owner: string,
  repo: string,
  number: number,
  outdated: ReadonlySet<string>,
): Promise<Map<string, { commentId: number | null; reviewId: number | null; body: string }>> {
  const out = new Map<string, { commentId: number | null; reviewId: number | null; body: string }>();
  const comments = await octokit.paginate(octokit.rest.pulls.listReviewComments, { owner, repo, pull_number: number, per_page: 100 });
  for (const c of comments) {
    if (c.body.includes(OUTDATED_MARKER)) continue;
    for (const fp of fingerprintsIn(c.body)) out.set(fp, { commentId: c.id, reviewId: c.pull_request_review_id ?? null, body: c.body });
  }
  const reviews = await octokit.paginate(octokit.rest.pulls.listReviews, { owner, repo, pull_number: number, per_page: 100 });
  for (const r of reviews) {
    for (const fp of fingerprintsIn(r.body ?? '')) if (!out.has(fp) && !outdated.has(fp)) out.set(fp, { commentId: null, reviewId: r.id, body: '' });
  }
  return out;
}

export async function reviewPullRequest(octokit: Octokit, log: Logger, deps: ReviewDeps, t: PrTarget): Promise<Outcome> {
  const { owner, repo, number } = t;
  const full = `${owner}/${repo}`;
  const where = `${full}#${number}`;
  const pr = t.pr ?? (await fetchPr(octokit, owner, repo, number));
  const head = pr.headSha;
  if (pr.state !== 'open') {
    log.info(`${where}: pull request is ${pr.state}; not reviewed`);
    return { kind: 'skipped', reason: `pull request ${pr.state}` };
  }
  if (!t.force) {
    const done = deps.store.reviewed(full, number, head);
    if (done) {
      log.info(`${where}: ${head.slice(0, 12)} already reviewed (${done.conclusion}); nothing to do`);
      return { kind: 'skipped', reason: 'already reviewed' };
    }
  }

  // Configuration from the default branch: a PR cannot switch its own review off.
  let config: RepoConfig;
  try {
    ({ config } = await loadConfig(async (path) => (await readFileAt(octokit, owner, repo, path, t.defaultBranch))?.text ?? null));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    log.warn(`${where}: ${err.message}`);
    const { data } = await octokit.rest.checks.create({ owner, repo, ...configErrorCheckRun(head, CONFIG_PATH, t.defaultBranch, err.problems) });
    deps.store.recordReview(full, number, head, data.id, 'config-error', 0, { title: pr.title, checkRunUrl: data.html_url });
    return { kind: 'config-error', problems: err.problems };
  }

  if (pr.draft && !config.drafts) {
    log.info(`${where}: draft pull request; not reviewed (set drafts: true in ${CONFIG_PATH} to review drafts)`);
    return { kind: 'skipped', reason: 'draft' };
  }

  const { data: run } = await octokit.rest.checks.create({ owner, repo, ...checkRunStart(head) });
  const finishWith = async (conclusion: 'neutral' | 'cancelled', title: string, summary: string): Promise<void> => {
    try {
      await octokit.rest.checks.update({ owner, repo, check_run_id: run.id, status: 'completed', conclusion, output: { title, summary } });
    } catch (e) {
      logRequestError(log, e, `${where}: completing check run ${run.id}`);
    }
  };

  try {
    const ref: PrRef = { owner, repo, number, title: pr.title, body: pr.body, headSha: head, baseSha: pr.baseSha };
    const ignored = ignoredBy(config);
    const ps = config.review === 'per-commit' ? await perCommitSubmission(octokit, ref, ignored) : await wholePrSubmission(octokit, ref, ignored);
    if (ps.truncated.length) log.info(`${where}: GitHub truncated the diff of ${ps.truncated.length} file(s) (${ps.truncated.slice(0, 5).join(', ')}${ps.truncated.length > 5 ? ', …' : ''}); reviewing the rest`);

    let mergeBase: Promise<string | null> | undefined;
    const images = contentsImageProvider(octokit, {
      owner,
      repo,
      baseSha: pr.baseSha,
      parents: ps.parents,
      mergeBase: () =>
        (mergeBase ??= octokit.rest.repos
          .compareCommitsWithBasehead({ owner, repo, basehead: `${pr.baseSha}...${head}`, per_page: 1 })
          .then((r) => r.data.merge_base_commit.sha)
          .catch((e: unknown) => {
            logRequestError(log, e, `${where}: finding the merge base of ${pr.baseSha.slice(0, 12)} and ${head.slice(0, 12)}`);
            return null;
          })),
      onError: (e, path, r) => logRequestError(log, e, `${where}: reading ${path} at ${r.slice(0, 12)}`),
    });
    // Pre-images seen in earlier pushes (or other PRs on the same base) are not parsed again.
    const opts: Parameters<ReviewFn>[1] = { images, facts: factsCacheOf(deps.store.db, String(FACTS_VERSION)) };
    if (deps.index) opts.index = deps.index;
    if (config.rules?.enable?.length) opts.rules = config.rules.enable;
    if (config.rules?.disable?.length) opts.ignore = config.rules.disable;
    let result;
    try {
      result = await deps.review(ps.submission, opts);
    } catch (err) {
      // An unknown rule id in the configuration is the engine's UsageError.
      if (err instanceof Error && err.name === 'UsageError') {
        const problems = [`rules: ${err.message}`];
        log.warn(`${where}: ${CONFIG_PATH}: ${problems[0]}`);
        const c = configErrorCheckRun(head, CONFIG_PATH, t.defaultBranch, problems);
        await octokit.rest.checks.update({ owner, repo, check_run_id: run.id, status: c.status, conclusion: c.conclusion, output: c.output });
        deps.store.recordReview(full, number, head, run.id, 'config-error', 0, { title: pr.title, checkRunUrl: run.html_url });
        return { kind: 'config-error', problems };
      }
      throw err;
    }

    const findings = result.findings.filter((f) => !ignored(f.file));
    const placed = placeFindings(findings, ps.submission, (f) => inFilter(f, config.filter), ps.subjects);

    // Stale head: a newer push arrived while we worked. Its own event reviews it.
    const now = await fetchPr(octokit, owner, repo, number);
    if (now.headSha !== head) {
      log.info(`${where}: head moved from ${head.slice(0, 12)} to ${now.headSha.slice(0, 12)} during the review; results dropped`);
      await finishWith('cancelled', 'Superseded', `The pull request head moved to \`${now.headSha.slice(0, 12)}\` while \`${head.slice(0, 12)}\` was being reviewed; that head is reviewed instead.`);
      return { kind: 'stale', analysed: head, head: now.headSha };
    }

    // What was posted before on this PR, and what the head no longer has.
    const previous = deps.store.posted(full, number);
    const open = new Map(previous.filter((r) => r.state === 'open').map((r) => [r.fingerprint, r]));
    const current = new Set(placed.map((p) => p.finding.fingerprint));
    const gone = [...open.values()].filter((r) => !current.has(r.fingerprint));
    let outdated = 0;
    for (const r of gone) {
      if (r.commentId !== null) {
        try {
          await octokit.rest.pulls.updateReviewComment({ owner, repo, comment_id: r.commentId, body: outdatedBody(r.body, head), ...expectStatus(404) });
          outdated++;
        } catch (e) {
          // 404: the comment was deleted by hand; nothing left to mark.
          if (httpStatus(e) !== 404) {
            logRequestError(log, e, `${where}: marking comment ${r.commentId} outdated`);
            continue;
          }
        }
      }
      deps.store.markOutdated(full, number, r.fingerprint);
    }

    let fresh = placed.filter((p) => !open.has(p.finding.fingerprint));
    if (fresh.length) {
      // The store is the record, GitHub the truth: a lost or restored state file, or a crash
      // between posting and recording, must not make the same finding appear twice.
      const outdatedHere = new Set(previous.filter((r) => r.state === 'outdated').map((r) => r.fingerprint));
      const there = await fingerprintsOnGithub(octokit, owner, repo, number, outdatedHere);
      const known = fresh.filter((p) => there.has(p.finding.fingerprint));
      if (known.length) {
        log.info(`${where}: ${known.length} finding(s) already posted on GitHub but missing from the local store; recorded, not posted again`);
        deps.store.recordPosted(
          full,
          number,
          known.map((p) => {
            const t = there.get(p.finding.fingerprint)!;
            return { fingerprint: p.finding.fingerprint, rule: p.finding.rule, commentId: t.commentId, reviewId: t.reviewId, headSha: head, path: p.path, line: p.line ?? 0, body: t.body };
          }),
        );
        fresh = fresh.filter((p) => !there.has(p.finding.fingerprint));
      }
    }
    let posted = 0;
    if (fresh.length) {
      const input = { headSha: head, placed: fresh, anchors: commentableLines(ps.prFiles), maxInline: config.max_inline_comments, truncated: ps.truncated };
      let plan: ReviewPlan = planReview(input);
      let review: { id: number };
      try {
        ({ data: review } = await octokit.rest.pulls.createReview({ owner, repo, pull_number: number, ...plan.payload }));
      } catch (e) {
        if (httpStatus(e) !== 422 || plan.payload.comments.length === 0) throw e;
        log.warn(`${describeRequestError(e, `${where}: posting the review with ${plan.payload.comments.length} inline comment(s)`)}; retrying with every finding in the review body`);
        plan = planReviewWithoutInline(input);
        ({ data: review } = await octokit.rest.pulls.createReview({ owner, repo, pull_number: number, ...plan.payload }));
      }
      const ids = new Map<string, number>();
      if (plan.inline.length) {
        try {
          const comments = await octokit.paginate(octokit.rest.pulls.listCommentsForReview, { owner, repo, pull_number: number, review_id: review.id, per_page: 100 });
          for (const c of comments) for (const fp of fingerprintsIn(c.body)) ids.set(fp, c.id);
        } catch (e) {
          logRequestError(log, e, `${where}: listing the comments of review ${review.id}`);
        }
      }
      const bodies = new Map(plan.payload.comments.map((c, i) => [plan.inline[i]!.finding.fingerprint, c.body]));
      deps.store.recordPosted(
        full,
        number,
        [...plan.inline, ...plan.inBody].map((p: Placed) => ({
          fingerprint: p.finding.fingerprint,
          rule: p.finding.rule,
          commentId: ids.get(p.finding.fingerprint) ?? null,
          reviewId: review.id,
          headSha: head,
          path: p.path,
          line: p.line ?? 0,
          body: bodies.get(p.finding.fingerprint) ?? '',
        })),
      );
      posted = fresh.length;
      log.info(`${where}: review ${review.id} posted on ${head.slice(0, 12)}: ${plan.inline.length} inline, ${plan.inBody.length} in the body`);
    }

    const conclusion = conclusionFor(placed.map((p) => p.finding), config.fail_on);
    const updates = checkRunCompletion({
      headSha: head,
      placed,
      conclusion,
      mode: config.review,
      failOn: config.fail_on,
      truncated: ps.truncated,
      notes: [...ps.submission.problems, ...result.notes],
      skipped: result.skipped,
      images: result.images,
      resolved: gone.map((r) => ({ rule: r.rule, path: r.path, line: r.line })),
    });
    for (const u of updates) await octokit.rest.checks.update({ owner, repo, check_run_id: run.id, ...u });
    deps.store.recordReview(full, number, head, run.id, conclusion, placed.length, { title: pr.title, checkRunUrl: run.html_url });
    log.info(`${where}: ${head.slice(0, 12)} reviewed: ${conclusion}, ${placed.length} finding(s), ${posted} posted, ${outdated} marked outdated`);
    return { kind: 'reviewed', conclusion, findings: placed.length, posted, outdated };
  } catch (err) {
    const line = describeRequestError(err, `${where}: reviewing ${head.slice(0, 12)}`);
    logRequestError(log, err, `${where}: reviewing ${head.slice(0, 12)}`);
    await finishWith('neutral', 'modreview could not finish', `modreview could not finish reviewing \`${head.slice(0, 12)}\`:\n\n${line}\n\nRe-run this check to try again.`);
    return { kind: 'failed', reason: line };
  }
}
