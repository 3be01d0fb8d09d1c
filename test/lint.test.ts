// Regex hygiene (issue 13): `npm run lint` (eslint.config.js) inside `npm test`, so CI's
// `npm ci && npm test` fails on a regular expression whose matching time can grow faster than
// linearly with its input (eslint-plugin-regexp's no-super-linear-backtracking and
// no-super-linear-move) anywhere in src/, rules/ or scripts/.
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('eslint', () => {
  it('reports no error in src, rules and scripts', async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const results = await eslint.lintFiles(['src', 'rules', 'scripts']);
    const errors = results.flatMap((r) => r.messages.filter((m) => m.severity === 2).map((m) => `${relative(ROOT, r.filePath)}:${m.line}:${m.column} ${m.ruleId ?? ''}: ${m.message}`));
    expect(errors).toEqual([]);
    // The rules that matter are on (a config that lost them would pass vacuously).
    const config = (await eslint.calculateConfigForFile('src/diff/parse.ts')) as { rules: Record<string, unknown> };
    expect(config.rules['regexp/no-super-linear-backtracking']).toEqual([2]);
    expect(config.rules['regexp/no-super-linear-move']).toEqual([2]);
    const [sample] = await eslint.lintText("export const trim = (s: string) => s.replace(/\\s+$/, '');\n", { filePath: join(ROOT, 'src/lint-sample.ts') });
    expect(sample!.messages.map((m) => m.ruleId)).toEqual(['regexp/no-super-linear-move']);
  });
});
