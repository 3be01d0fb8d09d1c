// Suppression in its three forms — the tree's .modreview.yml (rules off, severity overrides,
// paths_ignore), --rules/--ignore on the command line, inline `modreview-ignore` comments — and
// the reports about suppressions themselves (one that hides nothing, one naming no known rule).
// Unit tests of the pieces, then the same through reviewSubmission and `modreview review`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { allRules } from '../../rules/index.js';
import { DEFAULT_TREE_CONFIG, parseTreeConfig, pathIgnored } from '../../src/engine/config.js';
import { RuleSelectionError, reviewSubmission, selectRules } from '../../src/engine/review.js';
import { matchSuppression, parseSuppressions } from '../../src/engine/suppress.js';
import { UsageError } from '../../src/errors.js';
import { readSubmission } from '../../src/ingest/series.js';
import type { JsonReport } from '../../src/report/cli.js';
import { runCli } from '../cli/run.js';
import { newFilePatch } from '../helpers/patch.js';

const ids = allRules.map((r) => r.id);
// The two rules these tests exercise; the rest of the catalogue (other people's rules, which may
// have their own opinion of these snippets) is switched off so the expectations stay exact.
const MINE = ['module-init-eexist', 'init-error-unwind'];
const OTHERS = ids.filter((id) => !MINE.includes(id));
const others = OTHERS.length ? ['--ignore', OTHERS.join(',')] : [];

/** A git diff adding a new file (the engine reviews it without a tree: pre-image empty). */
const newFile = (path: string, text: string): string => newFilePatch(path, text, { index: true });

// Shaped like real module init code; line numbers below are the post-image's.
const EEXIST_C = (comment = '') => `#include <linux/module.h>

static int __init foo_init(void)
{
	if (foo_busy())
${comment ? `\t\t${comment}\n` : ''}\t\treturn -EEXIST;
	return 0;
}
module_init(foo_init);
MODULE_LICENSE("GPL");
`;

const UNWIND_C = `#include <linux/module.h>

static int __init bar_init(void)
{
	int ret;

	ret = misc_register(&bar_misc);
	if (ret)
		return ret;

	ret = platform_driver_register(&bar_driver);
	if (ret)
		return ret;

	return 0;
}
module_init(bar_init);
MODULE_LICENSE("GPL");
`;

const both = (eexistComment = '') => newFile('drivers/misc/foo.c', EEXIST_C(eexistComment)) + newFile('drivers/misc/bar/bar.c', UNWIND_C);

describe('inline suppressions', () => {
  it('parse: rule ids, reason, the comment line and the next code line', () => {
    const src = ['int x;', '\t/* modreview-ignore: init-error-unwind, module-init-eexist -- the driver core owns it */', '', '\treturn ret;', 'f(); /* modreview-ignore: module-init-eexist */'].join('\n');
    const s = parseSuppressions(src);
    expect(s).toEqual([
      { line: 2, covers: [2, 4], rules: ['init-error-unwind', 'module-init-eexist'], reason: 'the driver core owns it' },
      { line: 5, covers: [5], rules: ['module-init-eexist'] },
    ]);
    expect(matchSuppression(s, 'init-error-unwind', 4)).toBe(s[0]);
    expect(matchSuppression(s, 'init-error-unwind', 5)).toBeUndefined();
    expect(matchSuppression(s, 'module-init-eexist', 5)).toBe(s[1]);
    expect(parseSuppressions('/* modreview-ignore */\n/* modreview ignore: x */')).toEqual([]);
  });

  it('review: a suppression hides its finding; one that hides nothing and one naming an unknown rule are reported', async () => {
    const plain = await reviewSubmission(await readSubmission(both()), { ignore: OTHERS });
    expect(plain.findings.map((f) => [f.rule, f.file, f.line])).toEqual([
      ['module-init-eexist', 'drivers/misc/foo.c', 6],
      ['init-error-unwind', 'drivers/misc/bar/bar.c', 13],
    ]);

    const hidden = await reviewSubmission(await readSubmission(both('/* modreview-ignore: module-init-eexist -- test stub, never built */')), { ignore: OTHERS });
    expect(hidden.findings.map((f) => f.rule)).toEqual(['init-error-unwind']);

    const unused = await reviewSubmission(await readSubmission(both('/* modreview-ignore: init-error-unwind -- wrong rule */')), { ignore: OTHERS });
    expect(unused.findings.map((f) => [f.rule, f.line, f.severity])).toEqual([
      ['module-init-eexist', 7, 'error'],
      ['unused-suppression', 6, 'note'],
      ['init-error-unwind', 13, 'error'],
    ]);
    expect(unused.findings[1]!.message).toBe("'modreview-ignore: init-error-unwind' suppresses no finding here; remove it");

    const unknown = await reviewSubmission(await readSubmission(both('/* modreview-ignore: module-init-exist -- typo */')), { ignore: OTHERS });
    const u = unknown.findings.find((f) => f.rule === 'unused-suppression')!;
    expect(u).toMatchObject({ line: 6, severity: 'warning', message: "'modreview-ignore' names unknown rule 'module-init-exist'" });
    // The typo suppresses nothing: the real finding is still there.
    expect(unknown.findings.some((f) => f.rule === 'module-init-eexist')).toBe(true);
  });

  it('a suppression for a rule switched off in this run is not called unused', async () => {
    const r = await reviewSubmission(await readSubmission(both('/* modreview-ignore: module-init-eexist -- stub */')), { ignore: ['module-init-eexist', ...OTHERS] });
    expect(r.findings.map((f) => f.rule)).toEqual(['init-error-unwind']);
  });
});

describe('.modreview.yml', () => {
  it('parses rules on/off, severity overrides and path globs', () => {
    const cfg = parseTreeConfig('rules:\n  init-error-unwind: off\n  module-init-eexist: warning\npaths_ignore:\n  - "drivers/staging/**"\n  - "**/test_*.c"\n', ids);
    expect(cfg).toEqual({ rules: { 'init-error-unwind': 'off', 'module-init-eexist': 'warning' }, paths_ignore: ['drivers/staging/**', '**/test_*.c'] });
    const ignored = pathIgnored(cfg);
    expect(['drivers/staging/foo/a.c', 'lib/test_sysctl.c', 'drivers/md/dm.c'].map(ignored)).toEqual([true, true, false]);
    expect(parseTreeConfig('', ids)).toEqual(DEFAULT_TREE_CONFIG);
    expect(parseTreeConfig('# nothing configured\n', ids)).toEqual(DEFAULT_TREE_CONFIG);
  });

  it('a bad config is one clear line naming the problem', () => {
    const problem = (text: string) => {
      try {
        parseTreeConfig(text, ids, '.modreview.yml');
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        expect((e as Error).message).not.toContain('\n');
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(problem('rules:\n  module-init-exist: off\n')).toBe(".modreview.yml: rules.module-init-exist: unknown rule id (see 'modreview rules')");
    expect(problem('rules:\n  module-init-eexist: loud\n')).toMatch(/^\.modreview\.yml: rules\.module-init-eexist: /);
    expect(problem('rule:\n  module-init-eexist: off\n')).toBe(".modreview.yml: unknown key 'rule'");
    expect(problem('paths_ignore: drivers/staging\n')).toMatch(/^\.modreview\.yml: paths_ignore: /);
    expect(problem('rules: [\n')).toMatch(/^\.modreview\.yml: not valid YAML: /);
  });

  it('selectRules: the command line first, then the config; overrides change every finding of the rule', () => {
    const sel = (o: Parameters<typeof selectRules>[0]) => selectRules(o).map((r) => `${r.id}:${r.severity}`);
    expect(sel({ rules: ['init-error-unwind'] })).toEqual(['init-error-unwind:error']);
    expect(sel({ ignore: ['init-error-unwind'] })).not.toContain('init-error-unwind:error');
    const config = parseTreeConfig('rules:\n  init-error-unwind: off\n  module-init-eexist: note\n', ids);
    expect(sel({ config })).toContain('module-init-eexist:note');
    expect(sel({ config }).some((x) => x.startsWith('init-error-unwind'))).toBe(false);
    // --rules names a rule the config switched off: the command line wins.
    expect(sel({ config, rules: ['init-error-unwind'] })).toEqual(['init-error-unwind:error']);
    expect(() => selectRules({ rules: ['nosuch'] })).toThrow(RuleSelectionError);
    expect(() => selectRules({ ignore: ['nosuch'] })).toThrow(UsageError);
  });
});

describe('modreview review with --rules/--ignore and a tree config', () => {
  let dir: string;
  let patch: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'modreview-suppress-'));
    patch = join(dir, 'both.patch');
    writeFileSync(patch, both());
  });
  const json = async (...args: string[]) => {
    const r = await runCli(['review', '--format', 'json', ...others, ...args, patch]);
    return { code: r.code, stderr: r.stderr, rules: r.stdout ? (JSON.parse(r.stdout) as JsonReport).findings.map((f) => `${f.rule}:${f.severity}`) : [] };
  };
  const config = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('no options: both findings, exit 1', async () => {
    expect(await json()).toEqual({ code: 1, stderr: '', rules: ['module-init-eexist:error', 'init-error-unwind:error'] });
  });

  it('--rules and --ignore (comma lists, repeatable)', async () => {
    expect((await runCli(['review', '--format', 'json', '--rules', 'init-error-unwind', patch])).stdout).toContain('"rule": "init-error-unwind"');
    expect((await json('--ignore', 'module-init-eexist')).rules).toEqual(['init-error-unwind:error']);
    expect((await json('--ignore', 'init-error-unwind,module-init-eexist')).rules).toEqual([]);
    expect((await json('--ignore', 'init-error-unwind', '--ignore', 'module-init-eexist')).code).toBe(0);
  });

  it('config: a rule off, a severity override, ignored paths; --fail-on against the overridden severity', async () => {
    const off = config('off.yml', 'rules:\n  init-error-unwind: off\n');
    expect((await json('--config', off)).rules).toEqual(['module-init-eexist:error']);
    const note = config('note.yml', 'rules:\n  module-init-eexist: note\n  init-error-unwind: note\n');
    expect(await json('--config', note)).toEqual({ code: 0, stderr: '', rules: ['module-init-eexist:note', 'init-error-unwind:note'] });
    expect((await json('--config', note, '--fail-on', 'note')).code).toBe(1);
    const paths = config('paths.yml', 'paths_ignore:\n  - "drivers/misc/bar/**"\n');
    const r = await runCli(['review', '--format', 'json', ...others, '--config', paths, patch]);
    const j = JSON.parse(r.stdout) as JsonReport;
    expect(j.findings.map((f) => f.file)).toEqual(['drivers/misc/foo.c']);
    expect(j.skipped).toContainEqual({ file: 'drivers/misc/bar/bar.c', reason: 'ignored by paths_ignore in the configuration', patch: 1 });
  });

  it('.modreview.yml at the top of --tree is read; a bad one is exit 2 and one line', async () => {
    const tree = mkdtempSync(join(tmpdir(), 'modreview-tree-'));
    writeFileSync(join(tree, '.modreview.yml'), 'rules:\n  module-init-eexist: off\n');
    const r = await runCli(['review', '--format', 'json', ...others, '--tree', tree, '--no-index', patch]);
    expect((JSON.parse(r.stdout) as JsonReport).findings.map((f) => f.rule)).toEqual(['init-error-unwind']);
    writeFileSync(join(tree, '.modreview.yml'), 'rules:\n  module-init-eexist: sometimes\n');
    const bad = await runCli(['review', '--tree', tree, '--no-index', patch]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^modreview: .*\.modreview\.yml: rules\.module-init-eexist: .*\n$/);
    const missing = await runCli(['review', '--config', join(tree, 'nope.yml'), patch]);
    expect(missing).toMatchObject({ code: 2, stderr: `modreview: --config: cannot read ${join(tree, 'nope.yml')}\n` });
  });
});
