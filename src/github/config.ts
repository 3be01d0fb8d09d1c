// Repository configuration: `.github/modreview.yml`, read from the DEFAULT branch (a pull request
// must not be able to switch its own review off). Every problem is reported with the key it is
// about, so the neutral check run can say exactly what to fix.
import picomatch from 'picomatch';
import { z } from 'zod';
import { globProblems, parseYamlWith } from '../engine/config.js';

export const CONFIG_PATH = '.github/modreview.yml';

const ruleId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'a rule id is lower-case letters, digits and dashes');

export const configSchema = z.strictObject({
  rules: z
    .strictObject({
      /** Only these rules (default: all). */
      enable: z.array(ruleId).optional(),
      /** Never these rules. */
      disable: z.array(ruleId).optional(),
    })
    .optional(),
  /** Lowest severity that makes the check run fail; findings below it make it neutral. */
  fail_on: z.enum(['error', 'warning', 'note', 'never']).default('error'),
  /** Whole pull request as one patch, or each commit on top of the previous ones. */
  review: z.enum(['whole', 'per-commit']).default('whole'),
  /** Glob patterns (picomatch) of paths never reviewed. */
  paths_ignore: z.array(z.string().min(1)).default([]),
  /** Review draft pull requests too. */
  drafts: z.boolean().default(false),
  /** Which findings get inline comments (the rest go to the check run only). */
  filter: z.enum(['added', 'diff_context', 'file', 'nofilter']).default('added'),
  /** At most this many inline comments per review (GitHub's limit for a readable review: 30). */
  max_inline_comments: z.number().int().min(0).max(30).default(30),
});

export type RepoConfig = z.infer<typeof configSchema>;

export const DEFAULT_CONFIG: RepoConfig = configSchema.parse({});

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`${CONFIG_PATH}: ${problems.join('; ')}`);
  }
}

/** Parse and validate the YAML text; throws ConfigError listing every problem. */
export function parseConfig(text: string): RepoConfig {
  const r = parseYamlWith(configSchema, text);
  if (!r.ok) throw new ConfigError(r.problems);
  if (r.data === undefined) return DEFAULT_CONFIG; // an empty file
  const globs = globProblems(r.data.paths_ignore, 'paths_ignore');
  if (globs.length) throw new ConfigError(globs);
  return r.data;
}

/** Whether a path is excluded by `paths_ignore`. */
export function ignoredBy(config: RepoConfig): (path: string) => boolean {
  if (config.paths_ignore.length === 0) return () => false;
  const m = picomatch(config.paths_ignore, { dot: true });
  return (p) => m(p);
}

/**
 * The repository's configuration as on `ref` (the default branch). A missing file means the
 * defaults; an invalid one throws ConfigError; request errors other than 404 propagate.
 */
export async function loadConfig(
  read: (path: string) => Promise<string | null>,
): Promise<{ config: RepoConfig; found: boolean }> {
  const text = await read(CONFIG_PATH);
  if (text === null) return { config: DEFAULT_CONFIG, found: false };
  return { config: parseConfig(text), found: true };
}
