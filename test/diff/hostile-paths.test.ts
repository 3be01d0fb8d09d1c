// Issue 13 (fuzzing): `diff --git a/drivers/md/dm-log.c b/../../../outside/secret.c` was reviewed
// from dm-log.c and reported under the b/ name, and a GitHub PR file name holding a newline
// rewrote the synthetic git header put in front of its patch. Every file is now reviewed and
// reported under names checked to lie inside the tree, or skipped with the reason.
import { describe, expect, it } from 'vitest';
import { parseUnifiedDiff, unquoteGitPath, quoteGitPath } from '../../src/diff/parse.js';
import { fileNameProblem, pathProblem } from '../../src/diff/paths.js';
import { reviewSubmission } from '../../src/engine/review.js';
import { fileDiffOf, gitHeader } from '../../src/github/pr.js';
import { readSubmission } from '../../src/ingest/series.js';

const HUNK = '@@ -1,4 +1,4 @@\n static int __init dm_init(void)\n {\n-\treturn 0;\n+\treturn -EEXIST;\n }\n';

describe('file names outside the tree', () => {
  it('a b/ name with .. is skipped with the reason: nothing read, nothing reported under it', async () => {
    const diff = `diff --git a/drivers/md/dm-log.c b/../../../outside/secret.c\n--- a/drivers/md/dm-log.c\n+++ b/../../../outside/secret.c\n${HUNK}`;
    const r = await reviewSubmission(await readSubmission(Buffer.from(diff)), {});
    expect(r.skipped).toEqual([{ file: '../../../outside/secret.c', reason: "unsafe file name ../../../outside/secret.c: a '..' component", patch: 1 }]);
    expect(r.images).toEqual([]);
    expect(r.findings).toEqual([]);
  });

  it('an absolute, empty-component or control-character name is refused too; ordinary names pass', () => {
    expect(pathProblem('/etc/passwd')).toBe('an absolute path');
    expect(pathProblem('drivers//x.c')).toBe("an empty or '.' component");
    expect(pathProblem('./drivers/x.c')).toBe("an empty or '.' component");
    expect(pathProblem('drivers/x.c\n+++ b/y.c')).toBe('a control character in the name');
    for (const ok of ['drivers/md/dm-log.c', 'Documentation/a b.rst', 'drivers/x..y.c', '.gitignore']) expect(pathProblem(ok), ok).toBeUndefined();
    // Both names count: a deletion or rename from outside is no better.
    expect(fileNameProblem({ oldPath: '../x.c', newPath: null })).toMatch(/^unsafe file name \.\.\/x\.c: /);
  });

  it('differing names without a rename header are a rename, as git apply reads them', () => {
    const [f] = parseUnifiedDiff(`diff --git a/drivers/x.c b/drivers/y.c\n--- a/drivers/x.c\n+++ b/drivers/y.c\n${HUNK}`);
    expect(f).toMatchObject({ oldPath: 'drivers/x.c', newPath: 'drivers/y.c', status: 'renamed' });
  });
});

describe('GitHub PR file names', () => {
  const evil = 'drivers/x.c\n--- a/drivers/y.c\n+++ b/drivers/y.c';

  it('a name with a newline stays one name in the synthetic header, and the file is skipped for it', async () => {
    const header = gitHeader({ filename: evil, status: 'modified' });
    expect(header.split('\n').filter(Boolean)).toHaveLength(3);
    const { file } = fileDiffOf({ filename: evil, status: 'modified', patch: HUNK });
    expect(file).toMatchObject({ oldPath: evil, newPath: evil });
    const renamed = fileDiffOf({ filename: 'drivers/z.c', previous_filename: evil, status: 'renamed', patch: HUNK }).file;
    expect(renamed).toMatchObject({ oldPath: evil, newPath: 'drivers/z.c', status: 'renamed' });

    // The PR's files as the engine gets them (src/github/pr.ts puts them in one Patch).
    const sub = await readSubmission(Buffer.from(`diff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n${HUNK}`));
    sub.patches[0]!.files = [file!];
    const r = await reviewSubmission(sub, {});
    expect(r.skipped).toEqual([{ file: JSON.stringify(evil), reason: `unsafe file name ${JSON.stringify(evil)}: a control character in the name`, patch: 1 }]);
    expect(r.images).toEqual([]);
  });

  it('quoting round-trips through the reader', () => {
    for (const name of ['a/plain.c', 'a/tab\there.c', 'a/quote"back\\slash.c', 'a/bell\x07\x1b.c', 'a/tést.c']) expect(unquoteGitPath(quoteGitPath(name))).toBe(name);
    expect(quoteGitPath('a/plain.c')).toBe('a/plain.c');
  });
});
