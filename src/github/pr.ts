// Pull request → Submission. The PR's files come from the paginated list-files endpoint (the
// `.diff` media type fails past 300 files); each file's `patch` is turned into a FileDiff by the
// ordinary unified-diff reader after a git header is put in front of it. GitHub leaves `patch` out
// for binary files and for diffs it truncates: those are listed, never guessed at.
import { parseUnifiedDiff, quoteGitPath } from '../diff/parse.js';
import type { FileDiff } from '../diff/types.js';
import type { Patch, Submission, SubjectInfo } from '../ingest/types.js';
import type { Octokit } from './octokit.js';

/** One entry of `pulls.listFiles` / `repos.getCommit().files` (the fields used here). */
export interface PrFile {
  filename: string;
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged' | string;
  previous_filename?: string | undefined;
  patch?: string | undefined;
  sha?: string | null | undefined;
  changes?: number | undefined;
}

export interface ConvertedFiles {
  files: FileDiff[];
  /** Files with changes but no `patch` (GitHub truncated the diff, or it is binary). */
  truncated: string[];
  problems: string[];
}

/**
 * The git header GitHub's `patch` field lacks, per file status. Names are quoted as git quotes
 * them: a name is the sender's, and one holding a newline would otherwise write header lines
 * of its own (the engine then skips the file for its name).
 */
export function gitHeader(f: PrFile): string {
  const p = f.filename;
  const old = f.previous_filename ?? p;
  const a = (n: string) => quoteGitPath(`a/${n}`);
  const b = (n: string) => quoteGitPath(`b/${n}`);
  switch (f.status) {
    case 'added':
      return `diff --git ${a(p)} ${b(p)}\nnew file mode 100644\n--- /dev/null\n+++ ${b(p)}\n`;
    case 'removed':
      return `diff --git ${a(p)} ${b(p)}\ndeleted file mode 100644\n--- ${a(p)}\n+++ /dev/null\n`;
    case 'renamed':
      return `diff --git ${a(old)} ${b(p)}\nrename from ${quoteGitPath(old)}\nrename to ${quoteGitPath(p)}\n--- ${a(old)}\n+++ ${b(p)}\n`;
    case 'copied':
      return `diff --git ${a(old)} ${b(p)}\ncopy from ${quoteGitPath(old)}\ncopy to ${quoteGitPath(p)}\n--- ${a(old)}\n+++ ${b(p)}\n`;
    default:
      return `diff --git ${a(p)} ${b(p)}\n--- ${a(p)}\n+++ ${b(p)}\n`;
  }
}

/** One PR file entry → FileDiff; null when it has no patch (see `truncated`). */
export function fileDiffOf(f: PrFile): { file: FileDiff | null; truncated: boolean; problems: string[] } {
  if (f.status === 'unchanged') return { file: null, truncated: false, problems: [] };
  if (f.patch === undefined || f.patch === null) {
    // A pure rename or mode change has no patch and nothing to review; otherwise it was cut.
    const nothingToShow = (f.status === 'renamed' || f.status === 'changed') && !f.changes;
    if (nothingToShow) {
      const file: FileDiff = {
        oldPath: f.previous_filename ?? f.filename,
        newPath: f.filename,
        status: f.status === 'renamed' ? 'renamed' : 'mode-only',
        binary: false,
        hunks: [],
        problems: [],
      };
      return { file, truncated: false, problems: [] };
    }
    return { file: null, truncated: true, problems: [] };
  }
  const text = gitHeader(f) + f.patch + (f.patch.endsWith('\n') ? '' : '\n');
  const parsed = parseUnifiedDiff(text);
  const file = parsed[0];
  if (!file) return { file: null, truncated: false, problems: [`${f.filename}: its patch could not be read`] };
  if (f.status === 'changed' && file.hunks.length === 0) file.status = 'mode-only';
  return { file, truncated: false, problems: file.problems };
}

export function convertFiles(entries: readonly PrFile[], ignored: (path: string) => boolean = () => false): ConvertedFiles {
  const out: ConvertedFiles = { files: [], truncated: [], problems: [] };
  for (const e of entries) {
    if (ignored(e.filename)) continue;
    const r = fileDiffOf(e);
    if (r.truncated) out.truncated.push(e.filename);
    if (r.file) out.files.push(r.file);
    out.problems.push(...r.problems);
  }
  return out;
}

function tags(subject: string, index: number, total: number): SubjectInfo {
  return { subject, prefixes: [], version: 1, index, total, rfc: false, resend: false, reply: false, isPatch: true };
}

function patchOf(subject: string, message: string, index: number, total: number, files: FileDiff[], author?: { name?: string | null; email?: string | null } | null, commit?: string): Patch {
  const p: Patch = {
    rawSubject: subject,
    subject,
    tags: tags(subject, index, total),
    references: [],
    to: [],
    cc: [],
    commitMessage: message,
    files,
    problems: files.flatMap((f) => f.problems),
  };
  if (author?.email) p.author = author.name ? { name: author.name, address: author.email } : { address: author.email };
  if (commit) p.commit = commit;
  return p;
}

export interface PrRef {
  owner: string;
  repo: string;
  number: number;
  title: string;
  body?: string | null;
  headSha: string;
  baseSha: string;
  user?: string;
}

export interface PrSubmission {
  submission: Submission;
  /** Post-image paths of the whole PR diff, for anchoring comments. */
  prFiles: FileDiff[];
  truncated: string[];
  /** Per-commit mode: commit sha → its first parent (the ref its pre-images are read at). */
  parents: Map<string, string>;
  /** Per-commit mode: commit sha → its subject. */
  subjects: Map<string, string>;
}

/** Every file of the PR (paginated; GitHub lists at most 3000). */
export async function listPrFiles(octokit: Octokit, pr: Pick<PrRef, 'owner' | 'repo' | 'number'>): Promise<PrFile[]> {
  return (await octokit.paginate(octokit.rest.pulls.listFiles, { owner: pr.owner, repo: pr.repo, pull_number: pr.number, per_page: 100 })) as PrFile[];
}

/** Whole-PR review: one Patch with all files. */
export async function wholePrSubmission(octokit: Octokit, pr: PrRef, ignored?: (p: string) => boolean): Promise<PrSubmission> {
  const entries = await listPrFiles(octokit, pr);
  const conv = convertFiles(entries, ignored);
  const problems = [...conv.problems];
  if (entries.length >= 3000) problems.push('GitHub lists at most 3000 files of a pull request; files beyond that were not reviewed');
  const patch = patchOf(pr.title, pr.body ?? '', 1, 1, conv.files);
  const submission: Submission = {
    source: 'github',
    series: { subject: pr.title, version: 1, total: 1, baseCommit: pr.baseSha },
    patches: [patch],
    problems,
  };
  return { submission, prFiles: conv.files, truncated: conv.truncated, parents: new Map(), subjects: new Map() };
}

/**
 * Per-commit review: one Patch per commit (in PR order) with `commit` set. The PR-wide file list
 * is still read, for anchoring comments on the head.
 */
export async function perCommitSubmission(octokit: Octokit, pr: PrRef, ignored?: (p: string) => boolean): Promise<PrSubmission> {
  const whole = await wholePrSubmission(octokit, pr, ignored);
  const commits = await octokit.paginate(octokit.rest.pulls.listCommits, { owner: pr.owner, repo: pr.repo, pull_number: pr.number, per_page: 100 });
  const patches: Patch[] = [];
  const parents = new Map<string, string>();
  const subjects = new Map<string, string>();
  const problems = [...whole.submission.problems];
  const truncated = new Set(whole.truncated);
  if (commits.length >= 250) problems.push('GitHub lists at most 250 commits of a pull request; later commits were reviewed only as part of the whole diff');
  for (const [i, c] of commits.entries()) {
    const { data } = await octokit.rest.repos.getCommit({ owner: pr.owner, repo: pr.repo, ref: c.sha });
    const conv = convertFiles((data.files ?? []) as PrFile[], ignored);
    for (const t of conv.truncated) truncated.add(t);
    problems.push(...conv.problems.map((p) => `${c.sha.slice(0, 12)}: ${p}`));
    const message = c.commit.message ?? '';
    const subject = message.split('\n')[0] ?? '';
    const parent = c.parents[0]?.sha;
    if (parent) parents.set(c.sha, parent);
    subjects.set(c.sha, subject);
    if ((c.parents?.length ?? 0) > 1) continue; // a merge commit: its changes are its parents'
    patches.push(patchOf(subject, message, i + 1, commits.length, conv.files, c.commit.author, c.sha));
  }
  const submission: Submission = {
    source: 'github',
    series: { subject: pr.title, version: 1, total: patches.length, baseCommit: pr.baseSha },
    patches,
    problems,
  };
  return { submission, prFiles: whole.prFiles, truncated: [...truncated], parents, subjects };
}
