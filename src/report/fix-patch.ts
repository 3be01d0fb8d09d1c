// The follow-up patch `modreview fix` writes: one mail in `git format-patch` form that applies
// with `git am` on top of the reviewed patch. It carries the verified fixes of the reviewed
// patch's findings, one file diff per file (edits of several findings that do not touch the same
// lines combined), a body that says what each fixes and cites the precedents as kernel commits
// are cited, and no Fixes: tag (the reviewed patch has no upstream SHA yet). Pure.
import type { Person } from '../ingest/types.js';
import type { Finding, LineEdit } from '../engine/types.js';
import { applyLineEdits, unifiedDiff } from '../engine/fix.js';
import { precedentRef, rfc2822Date, wrap } from './email.js';
import { foldHeader, headerText, personHeader, subjectHeader } from './headers.js';

/** What each rule's fixes do, as a subject says it. */
const WHAT: Record<string, string> = {
  'module-init-eexist': '-EEXIST reaching module_init',
  'ops-missing-owner': 'missing .owner = THIS_MODULE',
  'exit-missing-rcu-barrier': 'missing RCU barrier in module exit',
  'exit-missing-release': 'missing release in module exit',
  'init-error-unwind': 'missing release on the init error path',
  'module-ref-leak': 'module reference leak',
  'request-module-unsafe': 'unsafe request_module()',
};

export interface FixPatchFile {
  path: string;
  /** The file as the reviewed patch (series) leaves it. */
  post: string;
  /** Findings on it with a verified fix, in the order to take them. */
  findings: Finding[];
}

export interface FixPatchInput {
  /** Subject of the reviewed patch, tags removed (`dm log: do the thing`). */
  subject: string;
  files: FixPatchFile[];
  from: Person;
  date: Date;
  version?: string;
}

export interface FixPatch {
  /** The mail, `From <zeros> Mon Sep 17 00:00:00 2001` first: what `git am` reads. */
  text: string;
  /** Findings whose fix is in the patch. */
  taken: Finding[];
  /** Findings whose fix was left out, with the reason (edits overlapping a fix already taken). */
  left: { finding: Finding; reason: string }[];
}

/** The subsystem prefix of a subject (`net: ena:` of `net: ena: Fix ...`), else the file's directory. */
export function subsystemOf(subject: string, path: string): string {
  const i = subject.lastIndexOf(': ');
  if (i > 0) return subject.slice(0, i);
  const dirs = path.split('/');
  return dirs.length > 1 ? dirs[dirs.length - 2]! : path.replace(/\.[ch]$/, '');
}

function lineSpan(e: LineEdit): [number, number] {
  return [e.line, e.line + Math.max(e.deleteCount, 1) - 1];
}

function overlaps(a: readonly LineEdit[], b: readonly LineEdit[]): boolean {
  return a.some((x) => b.some((y) => {
    const [a0, a1] = lineSpan(x);
    const [b0, b1] = lineSpan(y);
    return a0 <= b1 && b0 <= a1;
  }));
}

export function renderFixPatch(input: FixPatchInput): FixPatch {
  const taken: Finding[] = [];
  const left: FixPatch['left'] = [];
  const diffs: string[] = [];
  for (const file of input.files) {
    const edits: LineEdit[] = [];
    for (const f of file.findings) {
      if (!f.fix?.verified) continue;
      if (overlaps(edits, f.fix.edits)) {
        left.push({ finding: f, reason: 'its edit touches the lines of a fix already in the patch' });
        continue;
      }
      // Two findings of one problem (an owner removed, and so an object registered without one)
      // propose the same statement at two places: it is written once.
      const added = new Set(edits.flatMap((e) => e.insert.map((l) => l.trim())));
      if (f.fix.edits.every((e) => e.deleteCount === 0 && e.insert.every((l) => added.has(l.trim())))) {
        left.push({ finding: f, reason: 'a fix already in the patch adds the same lines' });
        continue;
      }
      edits.push(...f.fix.edits);
      taken.push(f);
    }
    if (!edits.length) continue;
    const fixed = applyLineEdits(file.post, edits);
    diffs.push(`diff --git a/${file.path} b/${file.path}\n${unifiedDiff(file.path, file.post, fixed)}`);
  }
  const rules = [...new Set(taken.map((f) => f.rule))];
  const subsystem = subsystemOf(input.subject, taken[0]?.file ?? input.files[0]?.path ?? '');
  const what = rules.length === 1 ? (WHAT[rules[0]!] ?? `fix ${rules[0]}`) : 'module-lifecycle problems';
  const subject = `[PATCH] ${subsystem}: fix ${what}`;

  const body: string[] = [];
  body.push(...wrap(`"${headerText(input.subject)}" introduces ${taken.length === 1 ? 'a problem' : `${taken.length} problems`} that modreview reported:`), '');
  for (const f of taken) {
    body.push(...wrap(`${f.file}:${f.line}${f.function ? ` ${f.function}()` : ''}: ${f.message}`), '');
    body.push(...wrap(`Fix: ${f.fix!.verified ? f.fix!.title : ''}.`), '');
  }
  const precedents = [...new Map(taken.flatMap((f) => f.precedents).map((p) => [p.commit, p])).values()];
  if (precedents.length) {
    body.push(precedents.length === 1 ? 'The same problem was fixed upstream in commit' : 'The same problem was fixed upstream in commits');
    // One line each, whole: `sha ("subject")` is never wrapped.
    for (const p of precedents) body.push(`  ${precedentRef(p)}`);
    body.push('');
  }
  body.push(...wrap('Each change was checked by reviewing the fixed file again: the finding is gone and nothing new is reported. It was not built or tested; please review it as any other patch.'));

  const from = personHeader(input.from) ?? 'modreview <modreview@localhost>';
  const headers = [foldHeader('From', from), foldHeader('Date', rfc2822Date(input.date)), foldHeader('Subject', subjectHeader(subject))].join('\n').replace(/\r\n/g, '\n');
  const text = [
    'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
    headers,
    '',
    ...body,
    '---',
    ...diffs.map((d) => d.replace(/\n$/, '')),
    '-- ',
    `modreview${input.version ? ` ${input.version}` : ''}`,
    '',
  ].join('\n');
  return { text, taken, left };
}
