// GitHub rendering (pure): check-run payloads (with annotations batched 50 at a time), the pull
// request review (inline comments anchored only on lines the diff really shows, the rest in the
// body), and the hidden fingerprint marker that makes posting idempotent.
import type { FileDiff } from '../diff/types.js';
import type { Finding, Severity } from '../engine/types.js';

export const CHECK_NAME = 'modreview';
/** GitHub accepts at most 50 annotations per check-run request. */
export const ANNOTATIONS_PER_REQUEST = 50;
/** More inline comments than this make a review unreadable (and slow GitHub down). */
export const MAX_INLINE_COMMENTS = 30;
/** The check-run `output.summary` and `output.text` limit (characters). */
export const SUMMARY_LIMIT = 65_535;
const BODY_LIMIT = 65_536;

export type FailOn = Severity | 'never';
export type Conclusion = 'failure' | 'neutral' | 'success';

/** A finding placed on the PR head: `line` is null when it cannot be located there. */
export interface Placed {
  finding: Finding;
  path: string;
  line: number | null;
  /** The finding passes the configured filter (otherwise it only goes to the check run). */
  inFilter: boolean;
  /** `abc1234 ("subject")` of the commit that introduced it (per-commit review). */
  commitLabel?: string;
}

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  annotation_level: 'failure' | 'warning' | 'notice';
  title: string;
  message: string;
  raw_details?: string;
}

export interface ReviewComment {
  path: string;
  line: number;
  side: 'RIGHT';
  body: string;
  /** A multi-line comment (one whose suggestion replaces several lines) starts here. */
  start_line?: number;
  start_side?: 'RIGHT';
}

export interface ReviewPayload {
  commit_id: string;
  event: 'COMMENT';
  body: string;
  comments: ReviewComment[];
}

const SEV_RANK: Record<Severity, number> = { note: 0, warning: 1, error: 2 };

export function conclusionFor(findings: readonly Pick<Finding, 'severity'>[], failOn: FailOn): Conclusion {
  if (findings.length === 0) return 'success';
  if (failOn === 'never') return 'neutral';
  return findings.some((f) => SEV_RANK[f.severity] >= SEV_RANK[failOn]) ? 'failure' : 'neutral';
}

// ---------------------------------------------------------------------------------------------
// Fingerprint marker

const FP_RE = /<!-- modreview:fp:([0-9a-zA-Z_-]+) -->/g;

export function fingerprintMarker(fp: string): string {
  return `<!-- modreview:fp:${fp} -->`;
}

export function fingerprintsIn(body: string): string[] {
  return [...body.matchAll(FP_RE)].map((m) => m[1]!);
}

export const OUTDATED_MARKER = '<!-- modreview:outdated -->';

// ---------------------------------------------------------------------------------------------
// Anchors

/** Lines of the post-image a RIGHT-side review comment may be anchored to: added and context lines of the hunks. */
export function commentableLines(files: readonly FileDiff[]): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const f of files) {
    if (!f.newPath) continue;
    const set = out.get(f.newPath) ?? new Set<number>();
    for (const h of f.hunks) for (const l of h.lines) if (l.kind !== 'del' && l.newLine !== undefined) set.add(l.newLine);
    out.set(f.newPath, set);
  }
  return out;
}

export function isAnchorable(anchors: ReadonlyMap<string, ReadonlySet<number>>, path: string, line: number | null): line is number {
  return line !== null && line >= 1 && (anchors.get(path)?.has(line) ?? false);
}

// ---------------------------------------------------------------------------------------------
// Text

export function precedentUrl(sha: string): string {
  return `https://git.kernel.org/linus/${sha}`;
}

function severityLabel(s: Severity): string {
  return s === 'error' ? 'error' : s === 'warning' ? 'warning' : 'note';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Markdown for one finding: message, evidence path, precedents as links, fingerprint marker. */
export function findingMarkdown(p: Placed, opts: { marker?: boolean; where?: boolean } = {}): string {
  const f = p.finding;
  const parts: string[] = [];
  const fn = f.function ? ` in \`${f.function}()\`` : '';
  const where = opts.where ? ` — \`${p.path}${p.line !== null ? `:${p.line}` : ''}\`` : '';
  parts.push(`**modreview** \`${f.rule}\` (${severityLabel(f.severity)})${fn}${where}`);
  parts.push('');
  parts.push(f.message);
  if (f.evidence.length) {
    parts.push('');
    parts.push('Evidence:');
    for (const e of f.evidence) parts.push(`- ${e}`);
  }
  if (p.commitLabel) {
    parts.push('');
    parts.push(`Introduced by ${p.commitLabel}.`);
  }
  if (f.precedents.length) {
    parts.push('');
    parts.push(f.precedents.length === 1 ? 'Precedent:' : 'Precedents:');
    for (const pr of f.precedents) parts.push(`- [${pr.commit}](${precedentUrl(pr.commit)}) ("${pr.subject}")`);
  }
  if (opts.marker !== false) {
    parts.push('');
    parts.push(fingerprintMarker(f.fingerprint));
  }
  return parts.join('\n');
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function counts(findings: readonly Finding[]): string {
  const e = findings.filter((f) => f.severity === 'error').length;
  const w = findings.filter((f) => f.severity === 'warning').length;
  const n = findings.filter((f) => f.severity === 'note').length;
  const parts = [];
  if (e) parts.push(plural(e, 'error'));
  if (w) parts.push(plural(w, 'warning'));
  if (n) parts.push(plural(n, 'note'));
  return parts.join(', ');
}

/** Join sections, cutting table rows (never the header lines) to stay under `limit` characters. */
function fitSections(head: string[], rows: string[], tail: string[], limit: number, more: (n: number) => string): string {
  const join = (r: string[], extra: string[]) => [...head, ...r, ...extra, ...tail].join('\n');
  let text = join(rows, []);
  if (text.length < limit) return text;
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (join(rows.slice(0, mid), ['', more(rows.length - mid)]).length < limit) lo = mid;
    else hi = mid - 1;
  }
  text = join(rows.slice(0, lo), ['', more(rows.length - lo)]);
  return text.length < limit ? text : `${text.slice(0, limit - 2)}…`;
}

// ---------------------------------------------------------------------------------------------
// Check run

export interface CheckRunReport {
  headSha: string;
  placed: readonly Placed[];
  conclusion: Conclusion;
  mode: 'whole' | 'per-commit';
  failOn: FailOn;
  /** Files GitHub returned without a patch (truncated), never reviewed. */
  truncated?: readonly string[];
  /** Statements from the engine (patch does not apply, hunk-only review, ...). */
  notes?: readonly string[];
  /** Files skipped with the reason. */
  skipped?: readonly { file: string; reason: string }[];
  /** How each file's pre-image was obtained (engine ImageNotes). */
  images?: readonly { patch: number; file: string; mode: string; detail?: string }[];
  /** Findings of an earlier head that this head no longer has. */
  resolved?: readonly { rule: string; path: string; line: number }[];
}

export function checkRunTitle(r: Pick<CheckRunReport, 'placed' | 'conclusion'>): string {
  if (r.placed.length === 0) return 'No module-lifecycle findings';
  return `${counts(r.placed.map((p) => p.finding))}`;
}

export function checkRunSummary(r: CheckRunReport, limit: number = SUMMARY_LIMIT): string {
  const head: string[] = [];
  const scope = r.mode === 'per-commit' ? 'each commit of the pull request on top of the previous ones' : 'the whole pull request';
  head.push(`modreview reviewed ${scope} at \`${r.headSha.slice(0, 12)}\`.`);
  head.push('');
  if (r.placed.length === 0) {
    head.push('No module-lifecycle findings.');
  } else {
    head.push(`**${counts(r.placed.map((p) => p.finding))}** (the check fails on ${r.failOn === 'never' ? 'nothing' : `${r.failOn}s${r.failOn === 'error' ? '' : ' and above'}`}).`);
    head.push('');
    head.push('| severity | rule | where | function | commit | finding |');
    head.push('|---|---|---|---|---|---|');
  }
  const sorted = [...r.placed].sort(
    (a, b) => SEV_RANK[b.finding.severity] - SEV_RANK[a.finding.severity] || a.path.localeCompare(b.path) || (a.line ?? 0) - (b.line ?? 0),
  );
  const rows = sorted.map((p) => {
    const f = p.finding;
    const where = `\`${p.path}${p.line !== null ? `:${p.line}` : ''}\``;
    const prec = f.precedents.length ? ` (cf. [${f.precedents[0]!.commit}](${precedentUrl(f.precedents[0]!.commit)}))` : '';
    return `| ${f.severity} | \`${f.rule}\` | ${where} | ${f.function ? `\`${cell(f.function)}\`` : ''} | ${f.commit ? `\`${f.commit.slice(0, 12)}\`` : ''} | ${cell(f.message)}${prec} |`;
  });
  const tail: string[] = [];
  if (r.resolved?.length) {
    tail.push('', `**Resolved since the last review** (${r.resolved.length}):`);
    for (const x of r.resolved.slice(0, 50)) tail.push(`- \`${x.rule}\` at \`${x.path}:${x.line}\``);
    if (r.resolved.length > 50) tail.push(`- … and ${r.resolved.length - 50} more`);
  }
  if (r.truncated?.length) {
    tail.push('', `**Not reviewed: ${plural(r.truncated.length, 'file')} whose diff GitHub truncated** (no \`patch\` in the API answer); the rest was reviewed:`);
    for (const t of r.truncated.slice(0, 50)) tail.push(`- \`${t}\``);
    if (r.truncated.length > 50) tail.push(`- … and ${r.truncated.length - 50} more`);
  }
  const notes = r.notes ?? [];
  if (notes.length) {
    tail.push('', '**Notes:**');
    for (const n of notes.slice(0, 50)) tail.push(`- ${cell(n)}`);
    if (notes.length > 50) tail.push(`- … and ${notes.length - 50} more`);
  }
  if (r.images?.length) {
    const hunkOnly = r.images.filter((i) => i.mode === 'hunk-only').length;
    tail.push('', `<details><summary>Pre-images (${plural(r.images.length, 'file')}${hunkOnly ? `, ${hunkOnly} reviewed from the hunks alone` : ''})</summary>`, '');
    for (const i of r.images.slice(0, 100)) tail.push(`- ${r.mode === 'per-commit' ? `patch ${i.patch}: ` : ''}\`${i.file}\`: ${i.mode}${i.detail ? ` (${cell(i.detail)})` : ''}`);
    if (r.images.length > 100) tail.push(`- … and ${r.images.length - 100} more`);
    tail.push('', '</details>');
  }
  const skippedC = (r.skipped ?? []).filter((s) => s.reason !== 'not a C source file');
  const otherFiles = (r.skipped ?? []).length - skippedC.length;
  if (skippedC.length || otherFiles) {
    tail.push('', `**Skipped:** ${otherFiles ? `${plural(otherFiles, 'non-C file')}` : ''}${otherFiles && skippedC.length ? '; ' : ''}${skippedC
      .slice(0, 20)
      .map((s) => `\`${s.file}\` (${s.reason})`)
      .join(', ')}${skippedC.length > 20 ? `, … and ${skippedC.length - 20} more` : ''}`);
  }
  return fitSections(head, rows, tail, limit, (n) => `… and ${plural(n, 'more finding')} (see the annotations).`);
}

const LEVEL: Record<Severity, Annotation['annotation_level']> = { error: 'failure', warning: 'warning', note: 'notice' };

/** One annotation per finding located on the head (exact line); unlocated ones live in the summary only. */
export function annotationsFor(placed: readonly Placed[]): Annotation[] {
  const out: Annotation[] = [];
  for (const p of placed) {
    if (p.line === null) continue;
    const f = p.finding;
    const a: Annotation = {
      path: p.path,
      start_line: p.line,
      end_line: p.line,
      annotation_level: LEVEL[f.severity],
      title: `${f.rule}${f.function ? ` in ${f.function}()` : ''}`,
      message: f.message.slice(0, 60_000),
    };
    const details: string[] = [];
    if (f.evidence.length) details.push('Evidence:', ...f.evidence.map((e) => `  ${e}`));
    if (p.commitLabel) details.push(`Introduced by ${p.commitLabel}`);
    if (f.precedents.length) details.push('Precedents:', ...f.precedents.map((x) => `  ${x.commit} ("${x.subject}") ${precedentUrl(x.commit)}`));
    if (details.length) a.raw_details = details.join('\n').slice(0, 60_000);
    out.push(a);
  }
  return out;
}

export function batches<T>(items: readonly T[], size: number = ANNOTATIONS_PER_REQUEST): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface CheckRunOutput {
  title: string;
  summary: string;
  annotations?: Annotation[];
}

export function checkRunStart(headSha: string): { name: string; head_sha: string; status: 'in_progress'; output: CheckRunOutput } {
  return {
    name: CHECK_NAME,
    head_sha: headSha,
    status: 'in_progress',
    output: { title: 'Reviewing', summary: `modreview is reviewing \`${headSha.slice(0, 12)}\` for module-lifecycle bugs.` },
  };
}

/**
 * The updates that complete a check run: the first sets status and conclusion with the first 50
 * annotations, each further one appends the next 50 (GitHub appends annotations on update).
 */
export function checkRunCompletion(r: CheckRunReport): { status?: 'completed'; conclusion?: Conclusion; output: CheckRunOutput }[] {
  const title = checkRunTitle(r);
  const summary = checkRunSummary(r);
  const groups = batches(annotationsFor(r.placed));
  const first: { status: 'completed'; conclusion: Conclusion; output: CheckRunOutput } = {
    status: 'completed',
    conclusion: r.conclusion,
    output: { title, summary },
  };
  if (groups.length) first.output.annotations = groups[0]!;
  return [first, ...groups.slice(1).map((annotations) => ({ output: { title, summary, annotations } }))];
}

/** A completed neutral check run saying exactly what is wrong with `.github/modreview.yml`. */
export function configErrorCheckRun(headSha: string, path: string, ref: string, problems: readonly string[]) {
  const summary = [
    `modreview did not review \`${headSha.slice(0, 12)}\`: its configuration \`${path}\` on the default branch (\`${ref}\`) is not valid.`,
    '',
    ...problems.map((p) => `- ${p}`),
    '',
    'Fix the file on the default branch; the next push to this pull request (or a re-run of this check) reviews it.',
  ].join('\n');
  return {
    name: CHECK_NAME,
    head_sha: headSha,
    status: 'completed' as const,
    conclusion: 'neutral' as const,
    output: { title: `Invalid ${path}`, summary: summary.slice(0, SUMMARY_LIMIT - 1) },
  };
}

// ---------------------------------------------------------------------------------------------
// Review

export interface ReviewPlan {
  payload: ReviewPayload;
  /** Findings posted as inline comments, in the order of `payload.comments`. */
  inline: Placed[];
  /** Findings written into the review body. */
  inBody: Placed[];
  /** Findings that fit nowhere in the review (they are in the check run). */
  omitted: Placed[];
}

export interface ReviewInput {
  headSha: string;
  /** New findings to post (already-posted fingerprints removed by the caller). */
  placed: readonly Placed[];
  anchors: ReadonlyMap<string, ReadonlySet<number>>;
  maxInline?: number;
  truncated?: readonly string[];
}

function compactLine(p: Placed): string {
  const f = p.finding;
  const msg = f.message.length > 300 ? `${f.message.slice(0, 300)}…` : f.message;
  return `- **${f.severity}** \`${f.rule}\` at \`${p.path}${p.line !== null ? `:${p.line}` : ''}\`: ${msg.replace(/\r?\n/g, ' ')} ${fingerprintMarker(f.fingerprint)}`;
}

/**
 * The review body. Findings are written in full while they fit, then one line each; what fits in
 * neither is left out (and stays in the check run): `omitted` lists them.
 */
function reviewBody(headSha: string, all: number, inline: number, inBody: readonly Placed[], truncated: readonly string[]): { body: string; omitted: Placed[] } {
  const lines: string[] = [];
  lines.push(`**modreview** found ${plural(all, 'module-lifecycle issue')} in \`${headSha.slice(0, 12)}\`${inline ? ` (${inline} commented inline)` : ''}. The \`modreview\` check run lists every finding.`);
  if (truncated.length) {
    lines.push('', `GitHub truncated the diff of ${plural(truncated.length, 'file')} (${truncated.slice(0, 10).map((t) => `\`${t}\``).join(', ')}${truncated.length > 10 ? ', …' : ''}); ${truncated.length === 1 ? 'it was' : 'they were'} not reviewed.`);
  }
  const omitted: Placed[] = [];
  if (inBody.length) {
    lines.push('', inline ? '### Not on a line of the diff, or beyond the inline limit' : '### Findings');
    const budget = BODY_LIMIT - 500;
    let size = lines.join('\n').length;
    let compact = false;
    for (const p of inBody) {
      let piece = compact ? [compactLine(p)] : ['', '---', '', findingMarkdown(p, { where: true })];
      let len = piece.join('\n').length + 1;
      if (!compact && size + len > budget / 2) {
        // Keep room: the rest one line each.
        compact = true;
        lines.push('', '### More findings');
        size += 20;
        piece = [compactLine(p)];
        len = piece[0]!.length + 1;
      }
      if (size + len > budget) {
        omitted.push(p);
        continue;
      }
      lines.push(...piece);
      size += len;
    }
    if (omitted.length) lines.push('', `… and ${plural(omitted.length, 'more finding')}: see the check run.`);
  }
  return { body: lines.join('\n'), omitted };
}

// ---------------------------------------------------------------------------------------------
// Suggested fixes

/** Lines of a fix diff: each hunk line with the post-image (old side) line it stands at. */
function fixDiffLines(diff: string): { kind: ' ' | '+' | '-'; text: string; old: number }[] {
  const out: { kind: ' ' | '+' | '-'; text: string; old: number }[] = [];
  let old = 0;
  for (const l of diff.split('\n')) {
    const h = /^@@ -(\d+)/.exec(l);
    if (h) {
      old = Number(h[1]);
      // `-0,0` (insertion into an empty file) counts from line 1.
      if (old === 0) old = 1;
      continue;
    }
    if (l.startsWith('--- ') || l.startsWith('+++ ') || l.startsWith('\\')) continue;
    const kind = l[0];
    if (kind === '+') out.push({ kind, text: l.slice(1), old });
    else if (kind === '-' || kind === ' ') out.push({ kind, text: l.slice(1), old: old++ });
  }
  return out;
}

/**
 * A GitHub suggestion for post-image lines from..to: what those lines become with the fix, when
 * every change of the fix lies inside them (an insertion counts at the line it goes before).
 */
export function suggestionFor(diff: string, from: number, to: number): string[] | undefined {
  const lines = fixDiffLines(diff);
  if (lines.some((l) => l.kind !== ' ' && (l.old < from || l.old > to))) return undefined;
  const covered = new Set(lines.filter((l) => l.kind !== '+').map((l) => l.old));
  for (let n = from; n <= to; n++) if (!covered.has(n)) return undefined;
  return lines.filter((l) => l.kind !== '-' && l.old >= from && l.old <= to).map((l) => l.text);
}

/** Most lines a suggestion comment spans: more reads as a rewrite, not a suggestion. */
const MAX_SUGGESTION_LINES = 12;

/**
 * The inline comment of a finding. A verified fix whose changes lie on lines of the diff next to
 * the finding's becomes a ```suggestion (the comment then spans those lines); any other verified
 * fix is shown as its diff in a collapsed <details> block.
 */
export function inlineComment(p: Placed, anchors: ReadonlyMap<string, ReadonlySet<number>>): ReviewComment {
  const base: ReviewComment = { path: p.path, line: p.line!, side: 'RIGHT', body: findingMarkdown(p) };
  const fix = p.finding.fix;
  if (!fix?.verified) return base;
  // Fix lines are post-image lines of the reviewed patch; the comment sits on the head, where the
  // finding may have moved (per-commit review): move the fix with it.
  const shift = p.line! - p.finding.line;
  const touched = fix.edits.flatMap((e) => [e.line, e.line + Math.max(e.deleteCount, 1) - 1]);
  const from = Math.min(p.finding.line, ...touched);
  const to = Math.max(p.finding.line, ...touched);
  let inRange = to - from + 1 <= MAX_SUGGESTION_LINES;
  for (let n = from; inRange && n <= to; n++) inRange = isAnchorable(anchors, p.path, n + shift);
  const suggestion = inRange ? suggestionFor(fix.diff, from, to) : undefined;
  const tail = suggestion
    ? ['', `Suggested fix (modreview reviewed the file again with it: this finding is gone): ${fix.title}`, '', '```suggestion', ...suggestion, '```']
    : ['', `<details><summary>Suggested fix (verified): ${fix.title}</summary>`, '', '```diff', fix.diff.replace(/\n$/, ''), '```', '', '</details>'];
  const body = insertBeforeMarker(base.body, tail.join('\n'));
  if (!suggestion || from === to) return { ...base, body };
  return { path: p.path, start_line: from + shift, start_side: 'RIGHT', line: to + shift, side: 'RIGHT', body };
}

/** Text put before the fingerprint marker, which stays last. */
function insertBeforeMarker(body: string, text: string): string {
  const at = body.lastIndexOf('\n\n<!-- modreview:fp:');
  return at < 0 ? `${body}\n${text}` : `${body.slice(0, at)}\n${text}${body.slice(at)}`;
}

/**
 * The review: inline comments only for findings that pass the filter and sit on a line the diff
 * shows (RIGHT side), at most `maxInline`; everything else goes to the body.
 */
export function planReview(input: ReviewInput): ReviewPlan {
  const max = Math.min(input.maxInline ?? MAX_INLINE_COMMENTS, MAX_INLINE_COMMENTS);
  const inline: Placed[] = [];
  const inBody: Placed[] = [];
  const ordered = [...input.placed].sort((a, b) => SEV_RANK[b.finding.severity] - SEV_RANK[a.finding.severity]);
  const used = new Set<string>();
  for (const p of ordered) {
    const key = `${p.path}\0${p.line}`;
    if (p.inFilter && inline.length < max && isAnchorable(input.anchors, p.path, p.line) && !used.has(key)) {
      inline.push(p);
      used.add(key);
    } else {
      inBody.push(p);
    }
  }
  // Comments in file/line order read naturally in the "Files changed" tab.
  inline.sort((a, b) => a.path.localeCompare(b.path) || a.line! - b.line!);
  const comments: ReviewComment[] = inline.map((p) => inlineComment(p, input.anchors));
  const { body, omitted } = reviewBody(input.headSha, input.placed.length, inline.length, inBody, input.truncated ?? []);
  const left = new Set(omitted);
  return {
    payload: { commit_id: input.headSha, event: 'COMMENT', body, comments },
    inline,
    inBody: inBody.filter((p) => !left.has(p)),
    omitted,
  };
}

/** After a 422 (an anchor GitHub would not take): the same review with every finding in the body. */
export function planReviewWithoutInline(input: ReviewInput): ReviewPlan {
  return planReview({ ...input, maxInline: 0 });
}

/** The new body of an inline comment whose finding the new head no longer has. */
export function outdatedBody(oldBody: string, headSha: string): string {
  if (oldBody.includes(OUTDATED_MARKER)) return oldBody;
  return [
    `${OUTDATED_MARKER}**Outdated:** modreview no longer reports this at \`${headSha.slice(0, 12)}\`.`,
    '',
    '<details><summary>Original comment</summary>',
    '',
    oldBody,
    '',
    '</details>',
  ].join('\n');
}
