// Unified diff → FileDiff[]. Patches reach us through mail archives, web copies and pastes, so the
// reader is defensive: it never throws, keeps every file it can recognise, and drops (with a
// problem) any hunk whose body does not match its header, instead of guessing.
//
// Why not hand the whole text to parse-diff: parse-diff trusts the hunk header counts and treats
// *any* line inside a hunk as context, so a wrapped header ("@@ ... foo(struct \n bar *x)") turns
// into a silently wrong hunk, and a hunk that is shorter than its header swallows the next file's
// `diff --git` line. So this module segments the text itself (files, extended git headers, hunk
// boundaries, counting lines the way `git apply` does) and gives parse-diff only hunks that have
// been checked, to number their lines.
import parseDiff from 'parse-diff';
import type { FileDiff, FileStatus, Hunk, HunkLine } from './types.js';

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/;

/**
 * Largest line number or count a hunk header may carry. The biggest kernel sources (generated
 * register headers) have a few hundred thousand lines; a header beyond this is not a source
 * file's, and its numbers would size the pre-image search and the hunk-only images (a start of
 * 3e8 asked for an array of that many lines; 1e9 made the search walk a billion positions).
 */
export const MAX_HUNK_LINE = 1_000_000;

interface RawHunk {
  header: string;
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  section: string;
  /** Body lines as found (including `\ No newline` markers). */
  body: string[];
}

interface Draft {
  /** Started by `diff --git`: paths carry a/ b/ prefixes, extended headers are expected. */
  git: boolean;
  gitOld?: string;
  gitNew?: string;
  minus?: string | null;
  plus?: string | null;
  renameFrom?: string;
  renameTo?: string;
  copyFrom?: string;
  copyTo?: string;
  newFile: boolean;
  deletedFile: boolean;
  binary: boolean;
  oldBlob?: string;
  newBlob?: string;
  oldMode?: string;
  newMode?: string;
  raw: RawHunk[];
  problems: string[];
}

function newDraft(git: boolean): Draft {
  return { git, newFile: false, deletedFile: false, binary: false, raw: [], problems: [] };
}

/** Undo git's C-style quoting of unusual path names: "a/t\303\251st\tx" → a/tést<TAB>x. */
export function unquoteGitPath(s: string): string {
  if (!(s.length >= 2 && s.startsWith('"') && s.endsWith('"'))) return s;
  const bytes: number[] = [];
  const body = s.slice(1, -1);
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, '"': 34 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\' || i + 1 >= body.length) {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
      continue;
    }
    const n = body[i + 1]!;
    const oct = /^[0-7]{3}/.exec(body.slice(i + 1));
    if (oct) {
      bytes.push(parseInt(oct[0], 8) & 0xff);
      i += 3;
    } else {
      bytes.push(simple[n] ?? n.charCodeAt(0));
      i += 1;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * git's C-style quoting of a name holding a control character, `"` or a backslash (the inverse of
 * unquoteGitPath), for diff headers written from names that did not come in one.
 */
export function quoteGitPath(s: string): string {
  if (!/[\x00-\x1f\x7f"\\]/.test(s)) return s;
  const named: Record<string, string> = { '\n': 'n', '\t': 't', '\r': 'r', '\x07': 'a', '\b': 'b', '\f': 'f', '\v': 'v', '\\': '\\', '"': '"' };
  let out = '';
  for (const ch of s) {
    const n = named[ch];
    if (n) out += `\\${n}`;
    else if (ch < ' ' || ch === '\x7f') out += `\\${ch.charCodeAt(0).toString(8).padStart(3, '0')}`;
    else out += ch;
  }
  return `"${out}"`;
}

const LINE_BREAK = /[\n\r\u2028\u2029]/;

/**
 * `X "Y"` → [X, '"Y"']: the first blank run (with no line break before it) that is followed by a
 * quoted name reaching the end of `rest`. Each quoted name is read up to its first unescaped
 * quote, and a candidate quote follows a blank (is never escaped), so this is linear.
 */
function lastQuotedName(rest: string): [string, string] | undefined {
  const quoted = /"(?:[^"\\]|\\.)*"$/y;
  const lineBreak = rest.search(LINE_BREAK);
  for (let j = rest.indexOf('"', 1); j > 0; j = rest.indexOf('"', j + 1)) {
    if (!/\s/.test(rest[j - 1]!)) continue;
    let i = j - 1;
    while (i > 0 && /\s/.test(rest[i - 1]!)) i--;
    // The name before the blanks holds no line break.
    if (lineBreak >= 0 && lineBreak < i) return undefined;
    quoted.lastIndex = j;
    if (quoted.test(rest)) return [rest.slice(0, i), rest.slice(j)];
  }
  return undefined;
}

/** `diff --git a/X b/Y` → [X-with-prefix, Y-with-prefix]. Paths may contain spaces; quoted names too. */
function splitGitHeader(rest: string): [string, string] | undefined {
  // (String operations around the quoted name: the regexes `^("...")\s+(.*)$` and
  // `^(.*?)\s+("...")$` traded a blank run between two quantifiers, quadratic on a long one.)
  if (rest.startsWith('"')) {
    const q = /^"(?:[^"\\]|\\.)*"/.exec(rest);
    if (!q) return undefined;
    const after = rest.slice(q[0].length);
    const second = after.trimStart();
    if (second.length === after.length || LINE_BREAK.test(second)) return undefined;
    return [unquoteGitPath(q[0]), unquoteGitPath(second.trim())];
  }
  if (rest.endsWith('"')) {
    const m = lastQuotedName(rest);
    if (m) return [m[0], unquoteGitPath(m[1])];
  }
  // Unquoted: both halves are the same length when the path is unchanged, which resolves spaces.
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest[half] === ' ') {
    const a = rest.slice(0, half);
    const b = rest.slice(half + 1);
    if (a.replace(/^[^/]*\//, '') === b.replace(/^[^/]*\//, '')) return [a, b];
  }
  const at = rest.indexOf(' b/');
  if (at > 0) return [rest.slice(0, at), rest.slice(at + 1)];
  const sp = rest.indexOf(' ');
  return sp > 0 ? [rest.slice(0, sp), rest.slice(sp + 1)] : undefined;
}

/** diff(1)'s timestamp: `2024-01-31 12:00:00.000000000 +0100`. */
const DIFF_DATE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? [+-]\d{4}$/;

/**
 * `p` without a timestamp after white space at its end. The stamp is its last three words, so it
 * is found from the end: a regex searching for `\s+<date>$` tried every blank of the line as its
 * start (quadratic: a `--- a/x<100k spaces>y` line took over 10 s).
 */
function dropDate(p: string): string {
  const zone = p.lastIndexOf(' ');
  const time = zone > 0 ? p.lastIndexOf(' ', zone - 1) : -1;
  const date = time - 10;
  if (date < 1 || !/\s/.test(p[date - 1]!) || !DIFF_DATE.test(p.slice(date))) return p;
  return p.slice(0, date);
}

/** The path of a `---`/`+++` line: drop the timestamp diff(1) appends after a tab; /dev/null → null. */
function fileLinePath(s: string): string | null {
  let p = s.trim();
  if (!p.startsWith('"')) {
    const tab = p.indexOf('\t');
    p = dropDate(tab >= 0 ? p.slice(0, tab) : p);
  }
  p = unquoteGitPath(p.trim());
  return p === '/dev/null' ? null : p;
}

function stripPrefix(p: string | null | undefined, git: boolean, prefix: 'a/' | 'b/'): string | null | undefined {
  if (p == null) return p;
  if (git) return p.startsWith(prefix) ? p.slice(2) : p;
  // Non-git diffs (quilt, diff -u): the kernel applies them with -p1.
  const slash = p.indexOf('/');
  return slash > 0 ? p.slice(slash + 1) : p;
}

function finish(d: Draft): FileDiff {
  const oldFromHeader = stripPrefix(d.gitOld, true, 'a/');
  const newFromHeader = stripPrefix(d.gitNew, true, 'b/');
  let oldPath: string | null =
    d.renameFrom ?? d.copyFrom ?? (d.minus !== undefined ? stripPrefix(d.minus, d.git, 'a/')! : oldFromHeader ?? null);
  let newPath: string | null =
    d.renameTo ?? d.copyTo ?? (d.plus !== undefined ? stripPrefix(d.plus, d.git, 'b/')! : newFromHeader ?? null);
  if (d.newFile) oldPath = null;
  if (d.deletedFile) newPath = null;

  let status: FileStatus;
  if (d.deletedFile || (newPath === null && oldPath !== null)) status = 'deleted';
  else if (d.newFile || (oldPath === null && newPath !== null)) status = 'added';
  // Differing names without a rename header: git apply moves the file all the same (x.c => y.c).
  else if (d.renameFrom !== undefined || d.renameTo !== undefined || (d.git && oldPath !== newPath && d.copyFrom === undefined)) status = 'renamed';
  else if (d.copyFrom !== undefined || d.copyTo !== undefined) status = 'copied';
  else if (d.raw.length === 0 && !d.binary && d.oldMode && d.newMode && d.oldMode !== d.newMode) status = 'mode-only';
  else status = 'modified';

  const displayName = newPath ?? oldPath ?? '(unknown file)';
  const problems = [...d.problems.map((p) => `${displayName}: ${p}`)];
  const hunks: Hunk[] = [];
  for (const r of d.raw) {
    const h = numberHunk(r);
    if (typeof h === 'string') problems.push(`${displayName}: dropped hunk "${r.header}": ${h}`);
    else hunks.push(h);
  }
  const f: FileDiff = { oldPath, newPath, status, binary: d.binary, hunks, problems };
  if (d.oldBlob !== undefined) f.oldBlob = d.oldBlob;
  if (d.newBlob !== undefined) f.newBlob = d.newBlob;
  if (d.oldMode !== undefined) f.oldMode = d.oldMode;
  if (d.newMode !== undefined) f.newMode = d.newMode;
  return f;
}

/** Turn a checked raw hunk into a numbered Hunk, via parse-diff; a string is the reason it failed. */
function numberHunk(r: RawHunk): Hunk | string {
  // parse-diff only knows the exact English marker, so markers are taken out first and re-attached
  // by position: `\ ...` always refers to the line before it.
  const lines: string[] = [];
  const noNl = new Set<number>();
  for (const l of r.body) {
    if (l.startsWith('\\')) {
      if (lines.length > 0) noNl.add(lines.length - 1);
    } else lines.push(l);
  }
  const text = `--- a/x\n+++ b/x\n@@ -${r.oldStart},${r.oldLines} +${r.newStart},${r.newLines} @@\n${lines.join('\n')}\n`;
  let changes: parseDiff.Change[];
  try {
    changes = parseDiff(text)[0]?.chunks[0]?.changes ?? [];
  } catch (e) {
    return `parse-diff failed (${String(e)})`;
  }
  if (changes.length !== lines.length) return `parse-diff read ${changes.length} of its ${lines.length} lines`;
  const out: HunkLine[] = changes.map((c, i) => {
    const raw = lines[i]!;
    const text = raw.slice(1); // an empty line is blank context: ''.slice(1) === ''
    let hl: HunkLine;
    if (c.type === 'add') hl = { kind: 'add', text, newLine: c.ln };
    else if (c.type === 'del') hl = { kind: 'del', text, oldLine: c.ln };
    else hl = { kind: 'context', text, oldLine: c.ln1, newLine: c.ln2 };
    if (noNl.has(i)) hl.noNewline = true;
    return hl;
  });
  const h: Hunk = { oldStart: r.oldStart, oldLines: r.oldLines, newStart: r.newStart, newLines: r.newLines, lines: out };
  if (r.section) h.section = r.section;
  return h;
}

/** The kind of a line inside a hunk body, or null if it cannot be one. */
function bodyKind(line: string): 'context' | 'add' | 'del' | 'marker' | null {
  if (line === '' || line.startsWith(' ')) return 'context'; // git apply accepts a blank line as empty context
  if (line.startsWith('+')) return 'add';
  if (line.startsWith('-')) return 'del';
  if (line.startsWith('\\')) return 'marker';
  return null;
}

function snippet(s: string): string {
  const t = s.length > 40 ? `${s.slice(0, 40)}…` : s;
  return JSON.stringify(t);
}

/** Does a line right after a finished hunk look like more hunk body (so the header undercounted)? */
function looksLikeOverflow(line: string | undefined, next: string | undefined): boolean {
  if (line === undefined) return false;
  if (!(line.startsWith('+') || line.startsWith('-'))) return false;
  // Mail signature, the format-patch `---` separator, and the next file's header are not overflow.
  if (/^--\s*$/.test(line) || /^---\s*$/.test(line) || /^-- \S*$/.test(line)) return false;
  if (line.startsWith('--- ') && next?.startsWith('+++ ')) return false;
  return true;
}

export function parseUnifiedDiff(text: string): FileDiff[] {
  if (typeof text !== 'string' || text.length === 0) return [];
  // Mail gateways sometimes turn every newline into CRLF; kernel sources have none.
  const crlf = text.match(/\r\n/g)?.length ?? 0;
  const src = crlf > 0 && crlf === (text.match(/\n/g)?.length ?? 0) ? text.replace(/\r\n/g, '\n') : text;
  const lines = src.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();

  const files: FileDiff[] = [];
  let cur: Draft | undefined;
  const close = (): void => {
    if (cur) files.push(finish(cur));
    cur = undefined;
  };
  const headersOpen = (): boolean => !!cur && cur.raw.length === 0;

  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;

    if (line.startsWith('diff --git ')) {
      close();
      cur = newDraft(true);
      const parts = splitGitHeader(line.slice('diff --git '.length).trim());
      if (parts) [cur.gitOld, cur.gitNew] = parts;
      else cur.problems.push(`unreadable header ${snippet(line)}`);
      i++;
      continue;
    }

    if (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) {
      // In a git diff these follow the extended headers; otherwise they open a new (non-git) file.
      if (!(cur && cur.git && cur.raw.length === 0 && cur.minus === undefined)) {
        close();
        cur = newDraft(false);
      }
      cur!.minus = fileLinePath(line.slice(4));
      cur!.plus = fileLinePath(lines[i + 1]!.slice(4));
      i += 2;
      continue;
    }

    if (cur && headersOpen()) {
      let m: RegExpExecArray | null;
      if ((m = /^index ([0-9a-fA-F]+)\.\.([0-9a-fA-F]+)(?: (\d{6}))?\s*$/.exec(line))) {
        cur.oldBlob = m[1]!;
        cur.newBlob = m[2]!;
        if (m[3]) {
          cur.oldMode ??= m[3];
          cur.newMode ??= m[3];
        }
        i++;
        continue;
      }
      if ((m = /^old mode (\d+)\s*$/.exec(line))) { cur.oldMode = m[1]!; i++; continue; }
      if ((m = /^new mode (\d+)\s*$/.exec(line))) { cur.newMode = m[1]!; i++; continue; }
      if ((m = /^new file mode (\d+)\s*$/.exec(line))) { cur.newFile = true; cur.newMode = m[1]!; i++; continue; }
      if ((m = /^deleted file mode (\d+)\s*$/.exec(line))) { cur.deletedFile = true; cur.oldMode = m[1]!; i++; continue; }
      if ((m = /^rename from (.+)$/.exec(line))) { cur.renameFrom = unquoteGitPath(m[1]!); i++; continue; }
      if ((m = /^rename to (.+)$/.exec(line))) { cur.renameTo = unquoteGitPath(m[1]!); i++; continue; }
      if ((m = /^copy from (.+)$/.exec(line))) { cur.copyFrom = unquoteGitPath(m[1]!); i++; continue; }
      if ((m = /^copy to (.+)$/.exec(line))) { cur.copyTo = unquoteGitPath(m[1]!); i++; continue; }
      if (/^(dis)?similarity index \d+%/.test(line)) { i++; continue; }
      if (/^Binary files .* differ\s*$/.test(line)) {
        cur.binary = true;
        const bm = /^Binary files (.*) and (.*) differ\s*$/.exec(line);
        if (bm && cur.minus === undefined) {
          cur.minus = fileLinePath(bm[1]!);
          cur.plus = fileLinePath(bm[2]!);
        }
        i++;
        continue;
      }
      if (/^GIT binary patch\s*$/.test(line)) {
        cur.binary = true;
        // Skip the base85 literal/delta blocks: they end at the next diff or hunk header.
        i++;
        while (i < lines.length && !lines[i]!.startsWith('diff --git ') && !lines[i]!.startsWith('@@ ')) i++;
        continue;
      }
    }

    if (line.startsWith('@@ ')) {
      const m = HUNK_HEADER.exec(line);
      if (!cur) {
        // A hunk with no file header at all (a pasted fragment): keep it under an unknown name.
        cur = newDraft(false);
      }
      if (!m) {
        cur.problems.push(`unreadable hunk header ${snippet(line)}`);
        i++;
        continue;
      }
      // Too large to be a line of a source file: unreadable, its body skipped like any stray line.
      if ([m[1], m[2], m[3], m[4]].some((n) => n !== undefined && !(Number(n) <= MAX_HUNK_LINE))) {
        cur.problems.push(`unreadable hunk header ${snippet(line)}: line numbers above ${MAX_HUNK_LINE}`);
        i++;
        continue;
      }
      // Line 0 is where an empty range starts (`-0,0`: nothing before a new file's first line);
      // a range of lines cannot start there (`@@ -0 +3 @@` numbered its lines from 0).
      const count = (n: string | undefined) => (n === undefined ? 1 : Number(n));
      if ((Number(m[1]) === 0 && count(m[2]) > 0) || (Number(m[3]) === 0 && count(m[4]) > 0)) {
        cur.problems.push(`unreadable hunk header ${snippet(line)}: a range of lines starting at line 0`);
        i++;
        continue;
      }
      const raw: RawHunk = {
        header: `@@ -${m[1]}${m[2] !== undefined ? `,${m[2]}` : ''} +${m[3]}${m[4] !== undefined ? `,${m[4]}` : ''} @@`,
        oldStart: Number(m[1]),
        oldLines: m[2] !== undefined ? Number(m[2]) : 1,
        newStart: Number(m[3]),
        newLines: m[4] !== undefined ? Number(m[4]) : 1,
        section: m[5]!.trim(),
        body: [],
      };
      let oldLeft = raw.oldLines;
      let newLeft = raw.newLines;
      let bad: string | undefined;
      i++;
      while (oldLeft > 0 || newLeft > 0) {
        if (i >= lines.length) {
          bad = `truncated: ${oldLeft} pre-image and ${newLeft} post-image line(s) missing at end of input`;
          break;
        }
        const l = lines[i]!;
        const k = bodyKind(l);
        if (k === null) {
          bad = `line ${raw.body.length + 1} of the hunk is not a diff line (${snippet(l)}); wrapped or mangled?`;
          break; // re-read this line as a header-level line
        }
        if (k === 'marker') {
          raw.body.push(l);
          i++;
          continue;
        }
        if ((k === 'context' && (oldLeft === 0 || newLeft === 0)) || (k === 'del' && oldLeft === 0) || (k === 'add' && newLeft === 0)) {
          bad = `its lines do not add up to the header's counts (-${raw.oldLines} +${raw.newLines})`;
          break;
        }
        if (k !== 'add') oldLeft--;
        if (k !== 'del') newLeft--;
        raw.body.push(l);
        i++;
      }
      if (!bad && lines[i]?.startsWith('\\')) raw.body.push(lines[i++]!);
      if (!bad && looksLikeOverflow(lines[i], lines[i + 1])) {
        bad = `more lines follow than its header counts (-${raw.oldLines} +${raw.newLines})`;
      }
      if (bad) cur.problems.push(`dropped hunk "${raw.header}${raw.section ? ` ${raw.section}` : ''}": ${bad}`);
      else cur.raw.push(raw);
      continue;
    }

    // Anything else (mail text, diffstat, base85, stray lines after a dropped hunk) is skipped.
    i++;
  }
  close();
  return files;
}
