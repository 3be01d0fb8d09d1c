// Patches for the benchmark (and for profiling the review): real Linux files with n consecutive
// lines edited, as `git format-patch` mails. Deterministic for a seed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blankCommentsAndStrings, gitBlobId } from '../src/c/lex.js';
import { walk } from '../src/index/build.js';
import { DEFAULT_SKIP_DIRS } from '../src/index/filter.js';

/** Deterministic PRNG (mulberry32): the same patches every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BenchPatch {
  file: string;
  changed: number;
  text: string;
}

/**
 * An edit a reviewer might see, and one that keeps the file valid C as a real patch does: an
 * error code swapped in code, otherwise a trailing comment (a word, inside a comment; before the
 * `\` of a macro continuation). `code` is the line with comments and strings blanked.
 */
function editLine(line: string, code: string, k: number): string {
  const trimmed = line.trimEnd();
  // The line ends inside a comment that goes on (a closed `*/` takes a comment after it).
  const endsInComment = code.trimEnd().length < trimmed.length && !trimmed.endsWith('*/');
  if (/-E[A-Z]+\b/.test(code)) {
    const m = /-E([A-Z]+)\b/.exec(code)!;
    return line.slice(0, m.index) + (m[1] === 'BUSY' ? '-EAGAIN' : '-EBUSY') + line.slice(m.index + m[0].length);
  }
  if (endsInComment) return `${trimmed} bench ${k}`;
  if (trimmed.endsWith('\\')) return `${trimmed.slice(0, -1).trimEnd()} /* bench ${k} */ \\`;
  return `${trimmed}\t/* bench ${k} */`;
}

/** A format-patch mail changing `n` consecutive non-blank lines of `rel` from `start`. */
export function makePatch(tree: string, rel: string, n: number, r: () => number): BenchPatch | null {
  const text = readFileSync(join(tree, rel), 'utf8');
  const lines = text.split('\n');
  const code = blankCommentsAndStrings(text).split('\n');
  if (text.endsWith('\n')) lines.pop();
  const candidates = lines.map((l, i) => (l.trim() ? i : -1)).filter((i) => i >= 0);
  if (candidates.length < n + 2) return null;
  const first = Math.floor(r() * (candidates.length - n));
  const chosen = new Set(candidates.slice(first, first + n));
  const lo = Math.max(0, candidates[first]! - 3);
  const hi = Math.min(lines.length - 1, candidates[first + n - 1]! + 3);
  const body: string[] = [];
  const after: string[] = [...lines];
  let newCount = 0;
  let k = 0;
  for (let i = lo; i <= hi; i++) {
    if (chosen.has(i)) {
      const edited = editLine(lines[i]!, code[i]!, k++);
      after[i] = edited;
      body.push(`-${lines[i]}`, `+${edited}`);
    } else body.push(` ${lines[i]}`);
    newCount++;
  }
  const count = hi - lo + 1;
  const post = `${after.join('\n')}\n`;
  const subject = `${rel.split('/').slice(0, 2).join('/')}: bench edit of ${n} line${n === 1 ? '' : 's'}`;
  const mail = [
    'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
    'From: Bench Author <bench@example.org>',
    'Date: Sun, 17 Nov 2024 12:00:00 +0000',
    `Subject: [PATCH] ${subject}`,
    '',
    `Edit ${n} lines of ${rel} for the modreview benchmark.`,
    '',
    'Signed-off-by: Bench Author <bench@example.org>',
    '---',
    `diff --git a/${rel} b/${rel}`,
    `index ${gitBlobId(text).slice(0, 12)}..${gitBlobId(post).slice(0, 12)} 100644`,
    `--- a/${rel}`,
    `+++ b/${rel}`,
    `@@ -${lo + 1},${count} +${lo + 1},${newCount} @@`,
    ...body,
    '-- ',
    '2.39.5',
    '',
  ].join('\n');
  return { file: rel, changed: n, text: mail };
}

/** Sizes spread log-uniformly over 1..2000 (both ends included), then random files big enough. */
export function makePatches(tree: string, count: number, seed: number): BenchPatch[] {
  const r = rng(seed);
  const { files } = walk(tree, undefined, DEFAULT_SKIP_DIRS);
  files.sort((a, b) => (a.rel < b.rel ? -1 : 1));
  const out: BenchPatch[] = [];
  for (let i = 0; out.length < count; i++) {
    const n = i === 0 ? 1 : i === 1 ? 2000 : Math.max(1, Math.round(Math.exp(r() * Math.log(2000))));
    for (let tries = 0; tries < 50; tries++) {
      const f = files[Math.floor(r() * files.length)]!;
      if (f.size < n * 25) continue;
      const p = makePatch(tree, f.rel, n, r);
      if (p) {
        out.push(p);
        break;
      }
    }
  }
  return out;
}
