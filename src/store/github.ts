// GitHub App state: webhook deliveries already handled, heads already reviewed, and what was
// posted on each pull request (one row per finding fingerprint), so that a redelivered or
// repeated event never posts the same thing twice and a finding that went away can have its old
// comment marked outdated.
import { migrate, openStore, type DB, type Migration } from './db.js';

export const GITHUB_MIGRATIONS: readonly Migration[] = [
  {
    name: 'github/1-deliveries',
    sql: `
CREATE TABLE github_deliveries (
  id          TEXT PRIMARY KEY,
  event       TEXT NOT NULL,
  received_at TEXT NOT NULL
);`,
  },
  {
    name: 'github/2-reviews',
    sql: `
CREATE TABLE github_reviews (
  repo         TEXT NOT NULL,
  pr           INTEGER NOT NULL,
  head_sha     TEXT NOT NULL,
  check_run_id INTEGER,
  conclusion   TEXT NOT NULL,
  findings     INTEGER NOT NULL,
  finished_at  TEXT NOT NULL,
  PRIMARY KEY (repo, pr, head_sha)
);`,
  },
  {
    name: 'github/3-posted',
    sql: `
CREATE TABLE github_posted (
  repo        TEXT NOT NULL,
  pr          INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  rule        TEXT NOT NULL,
  -- inline review comment id; NULL when the finding went to the review body
  comment_id  INTEGER,
  review_id   INTEGER,
  head_sha    TEXT NOT NULL,
  path        TEXT NOT NULL,
  line        INTEGER NOT NULL,
  body        TEXT NOT NULL,
  -- 'open' or 'outdated'
  state       TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (repo, pr, fingerprint)
);`,
  },
  {
    // What the status page of `modreview serve` shows: the PR's title and the check run's page.
    name: 'github/4-review-links',
    sql: `
ALTER TABLE github_reviews ADD COLUMN title TEXT;
ALTER TABLE github_reviews ADD COLUMN check_run_url TEXT;`,
  },
];

export interface PostedRow {
  fingerprint: string;
  rule: string;
  commentId: number | null;
  reviewId: number | null;
  headSha: string;
  path: string;
  line: number;
  body: string;
  state: 'open' | 'outdated';
}

export interface ReviewedRow {
  headSha: string;
  checkRunId: number | null;
  conclusion: string;
  findings: number;
}

/** A finished review as the status page lists it (newest first). */
export interface RecentGithubReview {
  repo: string;
  pr: number;
  headSha: string;
  title: string | null;
  conclusion: string;
  findings: number;
  checkRunId: number | null;
  /** The check run's page on GitHub (its `html_url`), when GitHub gave one. */
  checkRunUrl: string | null;
  /** SQLite's datetime('now'): UTC, `YYYY-MM-DD HH:MM:SS`. */
  finishedAt: string;
}

export interface ReviewLinks {
  /** The pull request's title when it was reviewed. */
  title?: string | null;
  /** The check run's `html_url`. */
  checkRunUrl?: string | null;
}

export class GithubStore {
  readonly db: DB;

  constructor(db: DB) {
    this.db = db;
    migrate(db, GITHUB_MIGRATIONS);
  }

  static open(path?: string): GithubStore {
    return new GithubStore(openStore(path));
  }

  /** Record a delivery id; false when it was seen before (a redelivery). */
  firstDelivery(id: string, event: string): boolean {
    const r = this.db
      .prepare("INSERT OR IGNORE INTO github_deliveries (id, event, received_at) VALUES (?, ?, datetime('now'))")
      .run(id, event);
    return r.changes === 1;
  }

  reviewed(repo: string, pr: number, headSha: string): ReviewedRow | undefined {
    const row = this.db
      .prepare('SELECT head_sha, check_run_id, conclusion, findings FROM github_reviews WHERE repo = ? AND pr = ? AND head_sha = ?')
      .get(repo, pr, headSha) as { head_sha: string; check_run_id: number | null; conclusion: string; findings: number } | undefined;
    return row && { headSha: row.head_sha, checkRunId: row.check_run_id, conclusion: row.conclusion, findings: row.findings };
  }

  recordReview(repo: string, pr: number, headSha: string, checkRunId: number | null, conclusion: string, findings: number, links: ReviewLinks = {}): void {
    this.db
      .prepare(
        `INSERT INTO github_reviews (repo, pr, head_sha, check_run_id, conclusion, findings, finished_at, title, check_run_url)
         VALUES (?, ?, ?, ?, ?, ?, datetime('now'), ?, ?)
         ON CONFLICT (repo, pr, head_sha) DO UPDATE SET check_run_id = excluded.check_run_id,
           conclusion = excluded.conclusion, findings = excluded.findings, finished_at = excluded.finished_at,
           title = excluded.title, check_run_url = excluded.check_run_url`,
      )
      .run(repo, pr, headSha, checkRunId, conclusion, findings, links.title ?? null, links.checkRunUrl ?? null);
  }

  /** The last `limit` reviews finished, newest first. */
  recentReviews(limit = 20): RecentGithubReview[] {
    const rows = this.db
      .prepare(
        `SELECT repo, pr, head_sha, title, conclusion, findings, check_run_id, check_run_url, finished_at
         FROM github_reviews ORDER BY finished_at DESC, rowid DESC LIMIT ?`,
      )
      .all(limit) as { repo: string; pr: number; head_sha: string; title: string | null; conclusion: string; findings: number; check_run_id: number | null; check_run_url: string | null; finished_at: string }[];
    return rows.map((r) => ({
      repo: r.repo,
      pr: r.pr,
      headSha: r.head_sha,
      title: r.title,
      conclusion: r.conclusion,
      findings: r.findings,
      checkRunId: r.check_run_id,
      checkRunUrl: r.check_run_url,
      finishedAt: r.finished_at,
    }));
  }

  posted(repo: string, pr: number): PostedRow[] {
    const rows = this.db
      .prepare('SELECT fingerprint, rule, comment_id, review_id, head_sha, path, line, body, state FROM github_posted WHERE repo = ? AND pr = ? ORDER BY rowid')
      .all(repo, pr) as { fingerprint: string; rule: string; comment_id: number | null; review_id: number | null; head_sha: string; path: string; line: number; body: string; state: 'open' | 'outdated' }[];
    return rows.map((r) => ({
      fingerprint: r.fingerprint,
      rule: r.rule,
      commentId: r.comment_id,
      reviewId: r.review_id,
      headSha: r.head_sha,
      path: r.path,
      line: r.line,
      body: r.body,
      state: r.state,
    }));
  }

  /** Record what one review posted, all rows in one transaction. */
  recordPosted(repo: string, pr: number, rows: Omit<PostedRow, 'state'>[]): void {
    const stmt = this.db.prepare(
      `INSERT INTO github_posted (repo, pr, fingerprint, rule, comment_id, review_id, head_sha, path, line, body, state, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', datetime('now'))
       ON CONFLICT (repo, pr, fingerprint) DO UPDATE SET comment_id = excluded.comment_id, review_id = excluded.review_id,
         head_sha = excluded.head_sha, path = excluded.path, line = excluded.line, body = excluded.body,
         state = 'open', updated_at = excluded.updated_at`,
    );
    this.db.transaction(() => {
      for (const r of rows) stmt.run(repo, pr, r.fingerprint, r.rule, r.commentId, r.reviewId, r.headSha, r.path, r.line, r.body);
    }).immediate();
  }

  markOutdated(repo: string, pr: number, fingerprint: string): void {
    this.db
      .prepare("UPDATE github_posted SET state = 'outdated', updated_at = datetime('now') WHERE repo = ? AND pr = ? AND fingerprint = ?")
      .run(repo, pr, fingerprint);
  }

  close(): void {
    this.db.close();
  }
}
