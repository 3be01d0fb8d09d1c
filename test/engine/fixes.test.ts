// Suggested fixes, verified before shown: the real engine on real Linux 6.12 files. Real upstream
// fixes from list mail (corpus/real, dev split only) are applied in reverse, which puts the bug
// back; the review must offer a verified fix for the finding, and where the upstream fix is one
// edit, the fixed file is upstream's. A fix that does not verify is withheld with its reason and
// never shown. No tree index: each case needs only its own file(s).
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR, caseDiff, loadRealCorpus, splitOf, type RealCase } from '../../src/engine/real-corpus.js';
import { applyToTree } from '../../scripts/corpus/apply.js';
import { gitDiff } from '../../scripts/accuracy.js';
import { reviewSubmission } from '../../src/engine/review.js';
import { readSubmission } from '../../src/ingest/series.js';
import { treeImages } from '../../src/lore/tree.js';
import { applyLineEdits, postPositionOf, releaseBeforeReturn, restoreLines, unifiedDiff, verdict } from '../../src/engine/fix.js';
import type { FunctionFacts } from '../../src/c/types.js';
import { jsonReport, renderText } from '../../src/report/cli.js';
import { renderReply } from '../../src/report/email.js';
import { inlineComment, suggestionFor } from '../../src/report/github.js';
import { sarifReport } from '../../src/report/sarif.js';
import { allRules } from '../../rules/index.js';
import type { Finding } from '../../src/engine/types.js';
import { kernelTree } from '../helpers/kernel.js';
import { sarifProblems } from '../report/sarif-schema.js';

const dir = fileURLToPath(new URL(`../../${CORPUS_DIR}`, import.meta.url));
const all = loadRealCorpus(dir);

const pick = (prefix: string): RealCase => {
  const c = all.filter((x) => x.id.startsWith(prefix));
  expect(c, prefix).toHaveLength(1);
  expect(splitOf(c[0]!.messageId), `${prefix} is a dev-split case`).toBe('dev');
  return c[0]!;
};

/** Review a case's reversal; its files before (upstream, fixed) and after (the bug back). */
async function review(prefix: string) {
  const tree = kernelTree();
  const c = pick(prefix);
  const files = applyToTree(tree, caseDiff(dir, c), true).filter((f) => f.before !== f.after);
  const patch = files.map((f) => gitDiff(f.path, f.before, f.after)).join('');
  const sub = await readSubmission(`Subject: [PATCH] ${c.subject.replace(/^\[[^\]]*\]\s*/, '')}\n\n${patch}`);
  const result = await reviewSubmission(sub, { images: treeImages(tree), rules: c.rules ?? [] });
  return { c, sub, result, files };
}

/** Case → the rule and finding key whose fix must verify, and whether the fixed file is upstream's. */
const CASES: [string, { rule: string; key: RegExp; upstream: boolean }][] = [
  ['dm-replace-eexist-with-ebusy', { rule: 'module-init-eexist', key: /^EEXIST:origin$/, upstream: false }],
  ['netdevsim-set-nsim-dev-health-break-fops-owner', { rule: 'ops-missing-owner', key: /^removed:file_operations:nsim_dev_health_break_fops\.owner$/, upstream: true }],
  ['dax-make-sure-inodes-are-flushed-before-destroy-cache', { rule: 'exit-missing-rcu-barrier', key: /^free_inode:dax_free_inode$/, upstream: false }],
  ['vdpa-fix-idr-memory-leak-in-vduse-module-exit', { rule: 'exit-missing-release', key: /^dropped:idr_destroy/, upstream: true }],
  ['bus-sunxi-rsb-fix-error-handling-in-sunxi-rsb-init', { rule: 'init-error-unwind', key: /^leak:bus_register/, upstream: true }],
  ['regulator-core-fix-module-refcount-leak-in-set-supply', { rule: 'module-ref-leak', key: /^dropped:module_put/, upstream: true }],
  ['parport-amiga-mark-driver-struct-with-refdata', { rule: 'init-exit-section', key: /^data:amiga_parallel_driver\./, upstream: false }],
  ['tty-serial-owl-fix-the-link-time-qualifier', { rule: 'init-exit-section', key: /^entry:module_exit\(owl_uart_exit\)$/, upstream: true }],
];

describe('verified fixes on real fixes reversed onto Linux 6.12 (seven rules)', () => {
  it.each(CASES)('%s', async (prefix, want) => {
    const { result, files } = await review(prefix);
    const f = result.findings.find((x) => x.rule === want.rule && want.key.test(x.key));
    expect(f, result.findings.map((x) => `${x.rule} ${x.key}`).join('\n')).toBeDefined();
    expect(f!.fix?.verified, JSON.stringify(f!.fix ?? f!.fixSkipped)).toBe(true);
    if (!f!.fix?.verified) return;
    const file = files.find((x) => x.path === f!.file)!;
    const fixed = applyLineEdits(file.after, f!.fix.edits);
    expect(f!.fix.diff).toBe(unifiedDiff(f!.file, file.after, fixed));
    if (want.upstream) expect(fixed.replace(/\s+/g, '')).toBe(file.before.replace(/\s+/g, ''));
  });

  it('module-init-eexist: every -EEXIST of the function becomes -EBUSY, as the dm series did', async () => {
    const { result, files } = await review('dm-replace-eexist-with-ebusy');
    const fixes = result.findings.filter((x) => x.rule === 'module-init-eexist' && x.fix?.verified);
    expect(fixes.length).toBeGreaterThan(0);
    for (const f of fixes) {
      const file = files.find((x) => x.path === f.file)!;
      const fixed = applyLineEdits(file.after, f.fix!.verified ? f.fix!.edits : []);
      expect(fixed).toBe(file.before);
    }
  });

  it('init-error-unwind: a failure return that is also the success return becomes a status check, as upstream wrote it', async () => {
    const { result } = await review('bus-sunxi-rsb-fix-error-handling-in-sunxi-rsb-init');
    const f = result.findings.find((x) => x.rule === 'init-error-unwind')!;
    expect(f.fix?.verified && f.fix.diff).toContain(
      ['-\treturn platform_driver_register(&sunxi_rsb_driver);', '+\tret = platform_driver_register(&sunxi_rsb_driver);', '+\tif (ret) {', '+\t\tbus_unregister(&sunxi_rsb_bus);', '+\t\treturn ret;', '+\t}', '+', '+\treturn 0;'].join('\n'),
    );
  });

  it('exit-missing-rcu-barrier: the barrier goes before the kmem_cache_destroy() of the exit path, in the helper that destroys it', async () => {
    const { result } = await review('dax-make-sure-inodes-are-flushed-before-destroy-cache');
    const f = result.findings.find((x) => x.rule === 'exit-missing-rcu-barrier')!;
    expect(f.fix?.verified && f.fix.diff).toContain(' \tkern_unmount(dax_mnt);\n+\trcu_barrier();\n \tkmem_cache_destroy(dax_cache);');
  });
});

describe('a fix that does not verify is withheld, with the reason, and shown nowhere', () => {
  it('serial_txx9_init(): unregistering the platform driver where the ladder jumps would undo a step not yet taken', async () => {
    const { sub, result } = await review('serial-txx9-add-missing-platform-driver-unregister');
    const f = result.findings.find((x) => x.rule === 'init-error-unwind')!;
    expect(f).toBeDefined();
    expect(f.fix).toMatchObject({ verified: false });
    expect(f.fix!.verified ? '' : f.fix!.reason).toMatch(/^the fixed file has a new finding \(misorder:/);
    const json = jsonReport(sub, result, [f]).findings[0]!;
    expect(json.fix).toEqual({ verified: false, title: expect.any(String), reason: expect.stringMatching(/new finding/) });
    expect(json.fix).not.toHaveProperty('diff');
    const text = renderText(sub, result, [f]);
    expect(text).toContain('  fix withheld: ');
    expect(text).not.toContain('--- a/');
    expect(JSON.stringify(sarifReport([f], { rules: allRules }))).not.toContain('"fixes"');
    const mail = renderReply({ patch: sub.patches[0]!, findings: [f], bot: { name: 'modreview', address: 'bot@example.net' }, messageId: 'r@example.net', date: new Date(0), to: [], cc: [], docsUrl: 'https://example.org/rules' });
    expect(mail.body).not.toContain('Suggested fix');
    const comment = inlineComment({ finding: f, path: f.file, line: f.line, inFilter: true }, new Map([[f.file, new Set([f.line])]]));
    expect(comment.body).not.toMatch(/suggestion|Suggested fix/);
  });

  it('the verdict: the finding must be gone, nothing new, no worse parse', () => {
    const a = { key: 'leak:a', line: 3, function: 'f', message: '', evidence: [] };
    const b = { key: 'leak:b', line: 4, function: 'f', message: '', evidence: [] };
    expect(verdict([a, b], { findings: [b], errors: 0 }, a, 0)).toBeUndefined();
    expect(verdict([a, b], { findings: [a, b], errors: 0 }, a, 0)).toBe('the finding is still reported on the fixed file');
    expect(verdict([a], { findings: [b], errors: 0 }, a, 0)).toMatch(/^the fixed file has a new finding \(leak:b in f\(\), line 4\)/);
    expect(verdict([a], { findings: [], errors: 2 }, a, 1)).toMatch(/does not parse as well/);
  });
});

describe('edits, diffs and suggestions', () => {
  const src = 'a\nb\nc\nd\n';
  it('line edits apply bottom-up against the unedited lines, and refuse overlaps', () => {
    expect(applyLineEdits(src, [{ line: 2, deleteCount: 0, insert: ['x'] }, { line: 4, deleteCount: 1, insert: ['D'] }])).toBe('a\nx\nb\nc\nD\n');
    expect(applyLineEdits(src, [{ line: 5, deleteCount: 0, insert: ['e'] }])).toBe('a\nb\nc\nd\ne\n');
    expect(() => applyLineEdits(src, [{ line: 2, deleteCount: 2, insert: [] }, { line: 3, deleteCount: 0, insert: ['y'] }])).toThrow(/overlap/);
    expect(() => applyLineEdits(src, [{ line: 7, deleteCount: 0, insert: ['y'] }])).toThrow(/outside/);
  });
  it('a removed line is put back where it stood', () => {
    expect(postPositionOf('a\nX\nb\n', 'a\nb\n', 2)).toBe(2);
    expect(postPositionOf('a\nX\nb\n', 'a\nb\n', 1)).toBeUndefined();
    expect(restoreLines('a\nX\nb\n', 'a\nb\n', 2)).toEqual({ line: 2, deleteCount: 0, insert: ['X'] });
  });
  it('a removed line goes back only into the same block nesting (not after a lone if whose braces the patch dropped)', () => {
    const pre = 'int f(void)\n{\n\tif (err) {\n\t\tpr_err("x");\n\t\tundo();\n\t}\n\treturn 0;\n}\n';
    const post = 'int f(void)\n{\n\tif (err)\n\t\tpr_err("x");\n\treturn 0;\n}\n';
    expect(restoreLines(pre, post, 5)).toBeUndefined();
  });
  it('a return at the function level (two-line signature) is the success path too: the release goes into a status check', () => {
    const src = 'static int __init\nfoo_init(void)\n{\n\tint error;\n\n\terror = a();\n\tif (error)\n\t\tb();\n\n\treturn error;\n}\n';
    const fn = { name: 'foo_init', startLine: 1, endLine: 11 } as FunctionFacts;
    const edits = releaseBeforeReturn(src, fn, 10, 'undo();')!;
    expect(applyLineEdits(src, edits)).toBe('static int __init\nfoo_init(void)\n{\n\tint error;\n\n\terror = a();\n\tif (error)\n\t\tb();\n\n\tif (error) {\n\t\tundo();\n\t\treturn error;\n\t}\n\n\treturn 0;\n}\n');
    // In a loop body, not a failure branch: no edit.
    const loop = 'int f(void)\n{\n\tfor (;;) {\n\t\treturn x;\n\t}\n}\n';
    expect(releaseBeforeReturn(loop, { name: 'f', startLine: 1, endLine: 6 } as FunctionFacts, 4, 'undo();')).toBeUndefined();
  });
  it('a GitHub suggestion is what the commented lines become, only when every change lies on them', () => {
    const diff = unifiedDiff('f.c', src, applyLineEdits(src, [{ line: 2, deleteCount: 0, insert: ['x'] }]));
    expect(suggestionFor(diff, 1, 2)).toEqual(['a', 'x', 'b']);
    expect(suggestionFor(diff, 2, 2)).toEqual(['x', 'b']);
    expect(suggestionFor(diff, 3, 4)).toBeUndefined();
  });
  it('GitHub: a fix reaching lines the comment cannot span is shown as a collapsed diff, not a suggestion', async () => {
    const { result } = await review('netdevsim-set-nsim-dev-health-break-fops-owner');
    const f = result.findings.find((x): x is Finding => x.fix?.verified === true)!;
    const placed = { finding: f, path: f.file, line: f.line, inFilter: true };
    // The finding's line and the fix's, but not the lines between: no multi-line comment can hold it.
    const gap = inlineComment(placed, new Map([[f.file, new Set([f.line, 175])]]));
    expect(gap).toEqual({ path: f.file, line: f.line, side: 'RIGHT', body: expect.any(String) });
    expect(gap.body).not.toContain('```suggestion');
    expect(gap.body).toContain('<details><summary>Suggested fix (verified): keep .owner = THIS_MODULE in nsim_dev_health_break_fops</summary>');
    expect(gap.body).toContain('```diff\n--- a/drivers/net/netdevsim/health.c');
    // Every line commentable, but the initialiser's first line is 4 lines above the change, out of
    // the fix diff's context, whose text the suggestion is made from: a collapsed diff again.
    const far = inlineComment(placed, new Map([[f.file, new Set([171, 172, 173, 174, 175])]]));
    expect(far.body).not.toContain('```suggestion');
    expect(far.body).toContain('<details>');
  });
  it('SARIF fixes validate against the official 2.1.0 schema', async () => {
    const { result } = await review('netdevsim-set-nsim-dev-health-break-fops-owner');
    const f = result.findings.find((x): x is Finding => x.fix?.verified === true)!;
    const log = sarifReport([f], { rules: allRules }) as { runs: { results: { fixes: unknown[] }[] }[] };
    expect(sarifProblems(log)).toEqual([]);
    expect(log.runs[0]!.results[0]!.fixes).toEqual([
      {
        description: { text: 'keep .owner = THIS_MODULE in nsim_dev_health_break_fops' },
        artifactChanges: [
          {
            artifactLocation: { uri: 'drivers/net/netdevsim/health.c', uriBaseId: '%SRCROOT%' },
            replacements: [{ deletedRegion: { startLine: 175, startColumn: 1, endLine: 175, endColumn: 1 }, insertedContent: { text: '\t.owner = THIS_MODULE,\n' } }],
          },
        ],
      },
    ]);
  });
});

