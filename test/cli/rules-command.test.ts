// `modreview rules` (id, severity, title of every rule) and `modreview explain <id>` (the rule's
// README, shipped with the package), and that an unknown id is a usage error.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allRules } from '../../rules/index.js';
import { readmePath, rulesTable } from '../../src/commands/rules.js';
import { runCli } from './run.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { files: string[] };

describe('modreview rules', () => {
  it('lists every rule: id, severity, title, aligned', async () => {
    const r = await runCli(['rules']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(allRules.length);
    const width = Math.max(...allRules.map((x) => x.id.length));
    allRules.forEach((rule, i) => {
      expect(lines[i]).toBe(`${rule.id.padEnd(width)}  ${rule.severity.padEnd(7)}  ${rule.title}`);
    });
    expect(r.stdout).toBe(rulesTable(allRules));
    expect(r.stdout).toMatch(/^module-init-eexist +error +module_init can return -EEXIST/m);
  });
});

describe('modreview explain', () => {
  it('prints the README of a rule', async () => {
    const r = await runCli(['explain', 'init-error-unwind']);
    expect(r.code).toBe(0);
    const file = fileURLToPath(new URL('../../rules/init-error-unwind/README.md', import.meta.url));
    expect(r.stdout).toBe(readFileSync(file, 'utf8'));
    expect(r.stdout).toMatch(/^# init-error-unwind/);
  });

  it('an unknown id: exit 2, one line', async () => {
    const r = await runCli(['explain', 'module-init-exist']);
    expect(r).toEqual({ code: 2, stdout: '', stderr: "modreview: unknown rule id 'module-init-exist' (see 'modreview rules')\n" });
  });

  it('finds the READMEs from the compiled layout too, and the package ships them', () => {
    // dist/src/commands/rules.js looks upward: dist/rules has no README, the package root's rules/ does.
    const fromDist = fileURLToPath(new URL('../../dist/src/commands', import.meta.url));
    expect(readmePath('module-init-eexist', fromDist)).toBe(fileURLToPath(new URL('../../rules/module-init-eexist/README.md', import.meta.url)));
    expect(readmePath('no-such-rule', fromDist)).toBeUndefined();
    expect(pkg.files).toContain('rules');
  });
});
