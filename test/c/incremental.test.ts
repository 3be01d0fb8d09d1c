// The review's shortcuts for a patch's post-image: (1) postImageFacts keeps the facts of every
// function the patch did not touch and parses only the rest; (2) otherwise the post-image is
// parsed incrementally from the pre-image's tree, with a memo of function facts by text.
// Both must give exactly what a fresh extraction of the post-image gives. Checked on real Linux
// 6.12 files with edits that delete, duplicate and add code, and with clean one-line edits.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractFacts, factsOfParsed, FunctionMemo, postImageFacts } from '../../src/c/facts.js';
import { parseKernelC } from '../../src/c/parse.js';
import { kernelFile, kernelTree } from '../helpers/kernel.js';

interface Edit {
  post: string;
  /** Where a pre-image line outside the edit lands (null inside it). */
  shift: (line: number) => number | null;
}

/** Deterministic edits: delete a run of lines, copy a run elsewhere, add a function, or edit a line. */
function edit(src: string, k: number): Edit {
  const lines = src.split('\n');
  const at = (k * 7919) % lines.length;
  const len = 1 + ((k * 31) % 40);
  const out = [...lines];
  let shift: Edit['shift'];
  if (k % 4 === 0) {
    out.splice(at, len);
    shift = (l) => (l <= at ? l : l <= at + len ? null : l - len);
  } else if (k % 4 === 1) {
    const copy = lines.slice((k * 104729) % lines.length).slice(0, len);
    out.splice(at, 0, ...copy);
    shift = (l) => (l <= at ? l : l + copy.length);
  } else if (k % 4 === 2) {
    const fn = ['static int __init added_init(void)', '{', '\tint ret = foo_register(&foo);', '\tif (ret)', '\t\treturn -EEXIST;', '\treturn 0;', '}'];
    out.splice(at, 0, ...fn);
    shift = (l) => (l <= at ? l : l + fn.length);
  } else {
    // A clean edit: a statement line of some function gets another statement after it.
    const i = lines.findIndex((l, j) => j >= at && /^\t+[a-z_]+\(.*\);$/.test(l));
    const where = i >= 0 ? i : at;
    out.splice(where + 1, 0, '\tmodreview_test();');
    shift = (l) => (l <= where ? l : l === where + 1 ? null : l + 1);
  }
  return { post: out.join('\n'), shift };
}

describe('post-image facts from the pre-image', () => {
  const dir = 'drivers/md';
  const files = readdirSync(join(kernelTree(), dir))
    .filter((f) => f.endsWith('.c'))
    .sort()
    .slice(0, 40)
    .map((f) => `${dir}/${f}`);

  it('equal a fresh extraction on 40 real files, 4 kinds of edit each', () => {
    const memo = new FunctionMemo();
    let shortcut = 0;
    let clean = 0;
    for (const [i, rel] of files.entries()) {
      const pre = kernelFile(rel);
      for (let k = i * 4; k < i * 4 + 4; k++) {
        const { post, shift } = edit(pre, k);
        const fresh = extractFacts(rel, post);
        // (2) incremental parse + memo
        const keys: string[] = [];
        const preParsed = parseKernelC(pre);
        const preFacts = factsOfParsed(rel, preParsed, { memo, keys });
        expect(preFacts).toEqual(extractFacts(rel, pre));
        const fast = postImageFacts(rel, { source: pre, facts: preFacts, keys }, post, shift, { memo });
        expect(factsOfParsed(rel, parseKernelC(post, preParsed), { memo }), `${rel} edit ${k} (incremental)`).toEqual(fresh);
        // (1) reused functions + the rest parsed alone
        if (fast) {
          shortcut++;
          if (k % 4 === 3) clean++;
          expect(fast, `${rel} edit ${k} (postImageFacts)`).toEqual(fresh);
        }
      }
    }
    // The shortcut is taken, and nearly always for a clean edit (declined when the file itself
    // has a parse error outside the reused functions).
    expect(shortcut).toBeGreaterThan(files.length);
    expect(clean).toBeGreaterThan(files.length * 0.7);
  });

  it('a memo hit moves every line of the reused facts', () => {
    const memo = new FunctionMemo();
    const src = 'static int a(void)\n{\n\treturn foo(1);\n}\n';
    const first = extractFacts('x.c', src, { memo }).functions[0]!;
    const moved = extractFacts('x.c', `\n\n\n${src}`, { memo }).functions[0]!;
    expect(memo.size).toBe(1);
    expect([moved.startLine, moved.endLine, moved.calls[0]!.line]).toEqual([first.startLine + 3, first.endLine + 3, first.calls[0]!.line + 3]);
    expect(moved.body).toEqual(extractFacts('x.c', `\n\n\n${src}`).functions[0]!.body);
  });

  it('an #endif the patch removes: the rest does not parse alone, so the post-image is extracted whole', () => {
    const pre = ['#ifdef CONFIG_X', 'static int a(void) { return 1; }', '#else', 'static int a(void) { return 0; }', '#endif', '', 'static int b(void)', '{', '\treturn a();', '}', ''].join('\n');
    const post = pre.replace('#endif\n', '');
    const keys: string[] = [];
    const preFacts = extractFacts('x.c', pre, { memo: new FunctionMemo(), keys });
    const fast = postImageFacts('x.c', { source: pre, facts: preFacts, keys }, post, (l) => (l < 5 ? l : l === 5 ? null : l - 1));
    expect(fast).toBeNull();
    expect(extractFacts('x.c', post).functions.map((f) => f.name)).toEqual(['a', 'a', 'b']);
  });
});
