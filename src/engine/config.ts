// Tree configuration: `.modreview.yml` at the top of the kernel tree (or --config FILE). Rules on
// or off, severity overrides, paths never reviewed. Parsing is pure; the CLI reads the file.
import picomatch from 'picomatch';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../errors.js';

export const TREE_CONFIG_FILE = '.modreview.yml';

const ruleId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a rule id is lower-case letters, digits and dashes');

export const treeConfigSchema = z.strictObject({
  /** Per rule: `off`, `on`, or a severity that replaces the rule's own. */
  rules: z.record(ruleId, z.enum(['off', 'on', 'error', 'warning', 'note'])).default({}),
  /** Glob patterns (picomatch) of paths never reviewed. */
  paths_ignore: z.array(z.string().min(1)).default([]),
});

export type TreeConfig = z.infer<typeof treeConfigSchema>;
export const DEFAULT_TREE_CONFIG: TreeConfig = treeConfigSchema.parse({});

function describePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

/** zod issues as the one-line problems an operator can act on ("unknown key 'x' in rules"). */
export function formatZodIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    if (i.code === 'unrecognized_keys') {
      const where = i.path.length ? ` in ${describePath(i.path)}` : '';
      return `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}${where}`;
    }
    return `${describePath(i.path)}: ${i.message}`;
  });
}

/** YAML text → validated data, or the list of problems. */
export function parseYamlWith<S extends z.ZodType>(schema: S, text: string): { ok: true; data: z.infer<S> | undefined } | { ok: false; problems: string[] } {
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: true });
  } catch (e) {
    const msg = e instanceof YAMLParseError ? e.message.split('\n')[0]! : String(e);
    return { ok: false, problems: [`not valid YAML: ${msg}`] };
  }
  if (data === null || data === undefined) return { ok: true, data: undefined };
  const r = schema.safeParse(data);
  return r.success ? { ok: true, data: r.data } : { ok: false, problems: formatZodIssues(r.error.issues) };
}

export function globProblems(globs: readonly string[], key: string): string[] {
  const out: string[] = [];
  for (const [k, g] of globs.entries()) {
    try {
      picomatch.makeRe(g);
    } catch (e) {
      out.push(`${key}[${k}]: not a valid glob (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  return out;
}

/** Validate a tree config; unknown rule ids are problems too (a typo must not silently do nothing). */
export function parseTreeConfig(text: string, knownRules: readonly string[], source = TREE_CONFIG_FILE): TreeConfig {
  const r = parseYamlWith(treeConfigSchema, text);
  if (!r.ok) throw new UsageError(`${source}: ${r.problems.join('; ')}`);
  const cfg = r.data ?? DEFAULT_TREE_CONFIG;
  const problems = [
    ...Object.keys(cfg.rules).filter((id) => !knownRules.includes(id)).map((id) => `rules.${id}: unknown rule id (see 'modreview rules')`),
    ...globProblems(cfg.paths_ignore, 'paths_ignore'),
  ];
  if (problems.length) throw new UsageError(`${source}: ${problems.join('; ')}`);
  return cfg;
}

/** Whether a path is excluded by `paths_ignore`. */
export function pathIgnored(config: Pick<TreeConfig, 'paths_ignore'>): (path: string) => boolean {
  if (config.paths_ignore.length === 0) return () => false;
  const m = picomatch(config.paths_ignore, { dot: true });
  return (p) => m(p);
}
