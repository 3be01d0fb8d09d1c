// Tree configuration: `.modreview.yml` at the top of the kernel tree (or --config FILE). Rules on
// or off, severity overrides, paths never reviewed. Parsing is pure; the CLI reads the file.
// The light half (defaults, the bounded read, paths_ignore) is src/engine/tree-config.ts, which a
// review loads without this module when the tree has no configuration file.
import picomatch from 'picomatch';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { DEFAULT_TREE_CONFIG, MAX_CONFIG_BYTES, tooLarge, TREE_CONFIG_FILE, type TreeConfig } from './tree-config.js';

export { DEFAULT_TREE_CONFIG, MAX_CONFIG_BYTES, pathIgnored, readConfigFile, TREE_CONFIG_FILE, type TreeConfig } from './tree-config.js';

const ruleId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a rule id is lower-case letters, digits and dashes');

export const treeConfigSchema = z.strictObject({
  /** Per rule: `off`, `on`, or a severity that replaces the rule's own. */
  rules: z.record(ruleId, z.enum(['off', 'on', 'error', 'warning', 'note'])).default({}),
  /** Glob patterns (picomatch) of paths never reviewed. */
  paths_ignore: z.array(z.string().min(1)).default([]),
});

// The schema and the plain interface of tree-config.ts describe the same shape.
const sameShape: [z.infer<typeof treeConfigSchema>, TreeConfig] extends [TreeConfig, z.infer<typeof treeConfigSchema>] ? true : never = true;
void sameShape;

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

/** The one-line form of a YAML error or warning: its message up to the source excerpt. */
function yamlLine(e: { message: string }): string {
  return e.message.split('\n')[0]!.replace(/:$/, '');
}

/**
 * YAML text → validated data, or the list of problems. Warnings (an unresolved tag, ...) come
 * back as one line each for the caller to show: the yaml package would otherwise print them
 * itself as a multi-line process warning with a source excerpt.
 */
export function parseYamlWith<S extends z.ZodType>(
  schema: S,
  text: string,
): { ok: true; data: z.infer<S> | undefined; warnings: string[] } | { ok: false; problems: string[] } {
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_CONFIG_BYTES) return { ok: false, problems: [tooLarge(size)] };
  let data: unknown;
  let warnings: string[];
  try {
    const doc = parseDocument(text, { prettyErrors: true, logLevel: 'silent' });
    if (doc.errors.length > 0) return { ok: false, problems: [`not valid YAML: ${yamlLine(doc.errors[0]!)}`] };
    warnings = doc.warnings.map(yamlLine);
    data = doc.toJS();
  } catch (e) {
    // toJS() refuses alias expansion beyond its limit ("billion laughs").
    return { ok: false, problems: [`not valid YAML: ${e instanceof Error ? yamlLine(e) : String(e)}`] };
  }
  if (data === null || data === undefined) return { ok: true, data: undefined, warnings };
  const r = schema.safeParse(data);
  return r.success ? { ok: true, data: r.data, warnings } : { ok: false, problems: formatZodIssues(r.error.issues) };
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

/**
 * Validate a tree config; unknown rule ids are problems too (a typo must not silently do nothing).
 * YAML warnings go to `warn`, one line each, prefixed with the source.
 */
export function parseTreeConfig(text: string, knownRules: readonly string[], source = TREE_CONFIG_FILE, warn?: (line: string) => void): TreeConfig {
  const r = parseYamlWith(treeConfigSchema, text);
  if (!r.ok) throw new UsageError(`${source}: ${r.problems.join('; ')}`);
  for (const w of r.warnings) warn?.(`${source}: ${w}`);
  const cfg: TreeConfig = r.data ?? DEFAULT_TREE_CONFIG;
  const problems = [
    ...Object.keys(cfg.rules).filter((id) => !knownRules.includes(id)).map((id) => `rules.${id}: unknown rule id (see 'modreview rules')`),
    ...globProblems(cfg.paths_ignore, 'paths_ignore'),
  ];
  if (problems.length) throw new UsageError(`${source}: ${problems.join('; ')}`);
  return cfg;
}
