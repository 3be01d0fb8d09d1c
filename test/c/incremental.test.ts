// The review reads a patch's post-image from the pre-image's tree (an incremental tree-sitter
// parse) and takes the facts of functions it did not touch from a memo keyed by their text.
// Both are shortcuts: the facts must be exactly what a fresh extraction of the post-image gives.
// Checked on real Linux 6.12 files with edits that move, delete, duplicate and add code.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractFacts, factsOfParsed, FunctionMemo } from '../../src/c/facts.js';
import { parseKernelC } from '../../src/c/parse.js';
import { kernelFile, kernelTree } from '../helpers/kernel.js';

/** Deterministic edits: delete a run of lines, copy a run elsewhere, or add a new function. */
function edit(src: string, k: number): string {
  const lines = src.split('\n');
  const at = (k * 7919) % lines.length;
  const len = 1 + ((k * 31) % 40);
  const out = [...lines];
  if (k % 3 === 0) out.splice(at, len);
  else if (k % 3 === 1) out.splice(at, 0, ...lines.slice((k * 104729) % lines.length, ((k * 104729) % lines.length) + len));
  else out.splice(at, 0, 'static int __init added_init(void)', '{', '\tint ret = foo_register(&foo);', '\tif (ret)', '\t\treturn -EEXIST;', '\treturn 0;', '}');
  return out.join('\n');
}

describe('post-image facts from the pre-image (incremental parse + function memo)', () => {
  const dir = 'drivers/md';
  const files = readdirSync(join(kernelTree(), dir))
    .filter((f) => f.endsWith('.c'))
    .sort()
    .slice(0, 40)
    .map((f) => `${dir}/${f}`);

  it('equal a fresh extraction on 40 real files, 3 kinds of edit each', () => {
    const memo = new FunctionMemo();
    let reused = 0;
    for (const [i, rel] of files.entries()) {
      const pre = kernelFile(rel);
      for (let k = i * 3; k < i * 3 + 3; k++) {
        const post = edit(pre, k);
        const preParsed = parseKernelC(pre);
        expect(factsOfParsed(rel, preParsed, { memo })).toEqual(extractFacts(rel, pre));
        const before = memo.size;
        const incremental = factsOfParsed(rel, parseKernelC(post, preParsed), { memo });
        expect(incremental, `${rel} edit ${k}`).toEqual(extractFacts(rel, post));
        if (memo.size - before < incremental.functions.length) reused++;
      }
    }
    // The memo did its job: untouched functions were not extracted again.
    expect(reused).toBeGreaterThan(files.length * 2);
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
});
