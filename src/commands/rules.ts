// `modreview rules` lists the catalogue (id, severity, title); `modreview explain <id>` prints a
// rule's README (what it checks, why, examples, precedents, false-positive traps, figures on 6.12).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { CommandRegistrar } from '../cli.js';
import { UsageError } from '../errors.js';
import type { Rule, RuleSummary } from '../engine/types.js';

/** One line per rule, columns aligned: `module-init-eexist  error    module_init can return ...`. */
export function rulesTable(rules: readonly Pick<Rule, 'id' | 'severity' | 'title'>[]): string {
  const w = Math.max(...rules.map((r) => r.id.length));
  return rules.map((r) => `${r.id.padEnd(w)}  ${r.severity.padEnd(7)}  ${r.title}`).join('\n') + '\n';
}

/**
 * rules/<id>/README.md of the installed package: the READMEs ship as source (package.json
 * `files`), beside dist/, so look upward from this module (src/commands or dist/src/commands).
 */
export function readmePath(id: string, from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const p = join(dir, 'rules', id, 'README.md');
    if (existsSync(p)) return p;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The catalogue only (rules/catalogue.ts): listing the rules loads none of their analyses. */
async function catalogue(): Promise<readonly RuleSummary[]> {
  return (await import('../../rules/catalogue.js')).ruleCatalogue;
}

export const register: CommandRegistrar = (program: Command) => {
  program
    .command('rules')
    .description('list the rules: id, default severity, title')
    .action(async () => {
      process.stdout.write(rulesTable(await catalogue()));
    });
  program
    .command('explain')
    .description("print a rule's documentation (its README)")
    .argument('<id>', 'rule id, as `modreview rules` lists it')
    .action(async (id: string) => {
      const rules = await catalogue();
      if (!rules.some((r) => r.id === id)) throw new UsageError(`unknown rule id '${id}' (see 'modreview rules')`);
      const path = readmePath(id);
      if (!path) throw new UsageError(`rule ${id} has no README.md in this installation`);
      const text = readFileSync(path, 'utf8');
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    });
};
