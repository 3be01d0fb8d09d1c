// The CLI reports as a reader sees them: text in checkpatch's manner (per patch, per finding an
// ERROR/WARNING line, the FILE:line, evidence, precedents; notes, skipped files, totals) and the
// version-1 JSON shape other tools key on; and the exit status --fail-on derives from findings.
import { describe, expect, it } from 'vitest';
import { exitCodeFor, idList } from '../../src/commands/review.js';
import { reviewSubmission } from '../../src/engine/review.js';
import type { Finding } from '../../src/engine/types.js';
import { readSubmission } from '../../src/ingest/series.js';
import { jsonReport, precedentText, renderText, totals } from '../../src/report/cli.js';
import { newFilePatch } from '../helpers/patch.js';

const newFile = (path: string, text: string): string => newFilePatch(path, text, { index: true });

const mail = (n: number, subject: string, diff: string) => `From 000000000000000000000000000000000000000${n} Mon Sep 17 00:00:00 2001
From: Jane Developer <jane@example.org>
Date: Wed, 15 Jan 2025 09:1${n}:00 +0000
Subject: [PATCH v2 ${n}/2] ${subject}
Message-ID: <p${n}.v2@example.org>

Body ${n}.

Signed-off-by: Jane Developer <jane@example.org>
---
${diff}--
2.39.5

`;

const FOO = `static int __init foo_init(void)
{
	if (foo_busy())
		return -EEXIST;
	return 0;
}
module_init(foo_init);
MODULE_LICENSE("GPL");
`;

const BAR = `static int __init bar_init(void)
{
	int ret;

	ret = misc_register(&bar_misc);
	if (ret)
		return ret;
	return platform_driver_register(&bar_driver);
}
module_init(bar_init);
MODULE_LICENSE("GPL");
`;

// Patch 2 first: the series is put in order by its n/m tags.
const MBOX = mail(2, 'bar: add the bar driver', newFile('drivers/misc/bar.c', BAR) + newFile('Documentation/misc/bar.rst', 'Bar\n===\n')) + mail(1, 'foo: add the foo driver', newFile('drivers/misc/foo.c', FOO));

async function reviewed() {
  const sub = await readSubmission(MBOX);
  const result = await reviewSubmission(sub, { rules: ['module-init-eexist', 'init-error-unwind'] });
  return { sub, result };
}

describe('text report', () => {
  it('per patch, per finding; notes, skipped files and totals at the end', async () => {
    const { sub, result } = await reviewed();
    expect(renderText(sub, result, result.findings)).toBe(
      [
        '--- [PATCH v2 1/2] foo: add the foo driver',
        'ERROR: module-init-eexist: foo_init() is a module_init function and returns -EEXIST; modprobe reports "already loaded" and hides the failure. Return -EBUSY instead.',
        '#4: FILE: drivers/misc/foo.c:4 in foo_init()',
        '  evidence: foo_init() (drivers/misc/foo.c) -> -EEXIST',
        '  precedent: 54416fd76770 ("netfilter: conntrack: helper: Replace -EEXIST by -EBUSY")',
        '  precedent: b13ef361d47f ("dm: replace -EEXIST with -EBUSY")',
        '  commit: 000000000000',
        '  suggested fix (verified: the finding is gone from the fixed file): return -EBUSY instead of -EEXIST in foo_init()',
        '    --- a/drivers/misc/foo.c',
        '    +++ b/drivers/misc/foo.c',
        '    @@ -1,7 +1,7 @@',
        '     static int __init foo_init(void)',
        '     {',
        '     \tif (foo_busy())',
        '    -\t\treturn -EEXIST;',
        '    +\t\treturn -EBUSY;',
        '     \treturn 0;',
        '     }',
        '     module_init(foo_init);',
        '',
        '--- [PATCH v2 2/2] bar: add the bar driver',
        'ERROR: init-error-unwind: misc_register(bar_misc) at line 5 is not undone when platform_driver_register() fails: the return at line 8 leaves it registered. Call misc_deregister() on this path.',
        '#8: FILE: drivers/misc/bar.c:8 in bar_init()',
        '  evidence: bar_init(): misc_register(&bar_misc) at line 5',
        '  evidence: platform_driver_register() fails (line 8) -> return (line 8)',
        '  evidence: returns at line 8 without misc_deregister()',
        '  precedent: d349e9be5a2c ("net: ena: Fix error handling in ena_init()")',
        '  precedent: 2f05c19d9ef4 ("cpufreq: mediatek: add missing platform_driver_unregister() on error in mtk_cpufreq_driver_init")',
        '  precedent: f2e66f212a9d ("drm: panel: simple: add missing platform_driver_unregister() in panel_simple_init")',
        '  commit: 000000000000',
        '  suggested fix (verified: the finding is gone from the fixed file): call misc_deregister(&bar_misc) when platform_driver_register() fails in bar_init()',
        '    --- a/drivers/misc/bar.c',
        '    +++ b/drivers/misc/bar.c',
        '    @@ -5,7 +5,13 @@',
        '     \tret = misc_register(&bar_misc);',
        '     \tif (ret)',
        '     \t\treturn ret;',
        '    -\treturn platform_driver_register(&bar_driver);',
        '    +\tret = platform_driver_register(&bar_driver);',
        '    +\tif (ret) {',
        '    +\t\tmisc_deregister(&bar_misc);',
        '    +\t\treturn ret;',
        '    +\t}',
        '    +',
        '    +\treturn 0;',
        '     }',
        '     module_init(bar_init);',
        '     MODULE_LICENSE("GPL");',
        '',
        'skipped: Documentation/misc/bar.rst: not a C source file',
        'total: 2 errors, 0 warnings, 0 notes; 2 patches, 3 files (1 skipped)',
        '',
      ].join('\n'),
    );
  });

  it('a clean review is the totals line, notes first', async () => {
    const { sub, result } = await reviewed();
    const text = renderText(sub, { ...result, notes: ['no --tree given: hunk-only review'] }, []);
    expect(text).toBe('note: no --tree given: hunk-only review\nskipped: Documentation/misc/bar.rst: not a C source file\ntotal: 0 errors, 0 warnings, 0 notes; 2 patches, 3 files (1 skipped)\n');
  });

  it('totals and precedents in kernel style', () => {
    const f = (severity: Finding['severity']) => ({ severity }) as Finding;
    expect(totals([f('error'), f('warning'), f('warning'), f('note')])).toBe('total: 1 errors, 2 warnings, 1 notes');
    expect(precedentText({ commit: '54416fd76770', subject: 'netfilter: conntrack: helper: Replace -EEXIST by -EBUSY' })).toBe('54416fd76770 ("netfilter: conntrack: helper: Replace -EEXIST by -EBUSY")');
  });
});

describe('JSON report', () => {
  it('version 1: patches with subject and Message-ID, findings with evidence and precedents, skipped files', async () => {
    const { sub, result } = await reviewed();
    const j = jsonReport(sub, result, result.findings);
    expect(j.version).toBe(1);
    expect(j.patches).toEqual([
      { subject: '[PATCH v2 1/2] foo: add the foo driver', messageId: 'p1.v2@example.org', files: ['drivers/misc/foo.c'] },
      { subject: '[PATCH v2 2/2] bar: add the bar driver', messageId: 'p2.v2@example.org', files: ['drivers/misc/bar.c', 'Documentation/misc/bar.rst'] },
    ]);
    expect(j.findings[0]).toEqual({
      rule: 'module-init-eexist',
      severity: 'error',
      file: 'drivers/misc/foo.c',
      line: 4,
      function: 'foo_init',
      message: 'foo_init() is a module_init function and returns -EEXIST; modprobe reports "already loaded" and hides the failure. Return -EBUSY instead.',
      evidence: ['foo_init() (drivers/misc/foo.c) -> -EEXIST'],
      precedents: [
        { commit: '54416fd76770', subject: 'netfilter: conntrack: helper: Replace -EEXIST by -EBUSY' },
        { commit: 'b13ef361d47f', subject: 'dm: replace -EEXIST with -EBUSY' },
      ],
      fingerprint: result.findings[0]!.fingerprint,
      patch: 1,
      where: 'added',
      commit: '0000000000000000000000000000000000000001',
      fix: {
        verified: true,
        title: 'return -EBUSY instead of -EEXIST in foo_init()',
        diff: '--- a/drivers/misc/foo.c\n+++ b/drivers/misc/foo.c\n@@ -1,7 +1,7 @@\n static int __init foo_init(void)\n {\n \tif (foo_busy())\n-\t\treturn -EEXIST;\n+\t\treturn -EBUSY;\n \treturn 0;\n }\n module_init(foo_init);\n',
      },
    });
    expect(j.findings[1]).toMatchObject({ rule: 'init-error-unwind', file: 'drivers/misc/bar.c', line: 8, function: 'bar_init', patch: 2 });
    expect(j.skipped).toEqual([{ file: 'Documentation/misc/bar.rst', reason: 'not a C source file', patch: 2 }]);
    expect(j.images).toEqual([
      { patch: 1, file: 'drivers/misc/foo.c', mode: 'new-file' },
      { patch: 2, file: 'drivers/misc/bar.c', mode: 'new-file' },
    ]);
    // Round-trips through JSON (what --format json prints) unchanged.
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });
});

describe('exit status', () => {
  const at = (...s: Finding['severity'][]) => s.map((severity) => ({ severity }));
  it('--fail-on: 1 when a finding is at least that severe, else 0; never is always 0', () => {
    expect(exitCodeFor([], 'warning')).toBe(0);
    expect(exitCodeFor(at('note'), 'warning')).toBe(0);
    expect(exitCodeFor(at('note', 'warning'), 'warning')).toBe(1);
    expect(exitCodeFor(at('warning'), 'error')).toBe(0);
    expect(exitCodeFor(at('error'), 'error')).toBe(1);
    expect(exitCodeFor(at('note'), 'note')).toBe(1);
    expect(exitCodeFor(at('error'), 'never')).toBe(0);
  });
  it('rule lists: comma-separated and repeatable', () => {
    expect(idList('a, b,,c')).toEqual(['a', 'b', 'c']);
    expect(idList('d', idList('a,b'))).toEqual(['a', 'b', 'd']);
  });
});
