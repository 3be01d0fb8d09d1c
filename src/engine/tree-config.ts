// The light half of the tree configuration (`.modreview.yml`): what every review needs (the
// defaults, the bounded file read, `paths_ignore` matching) without the YAML parser and the
// schema library, which src/engine/config.ts loads only when there is a file to parse.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import type picomatchTypes from 'picomatch';
import { UsageError } from '../errors.js';

export const TREE_CONFIG_FILE = '.modreview.yml';

export type RuleSetting = 'off' | 'on' | 'error' | 'warning' | 'note';

/** A validated tree configuration (src/engine/config.ts's treeConfigSchema has this shape). */
export interface TreeConfig {
  /** Per rule: `off`, `on`, or a severity that replaces the rule's own. */
  rules: Record<string, RuleSetting>;
  /** Glob patterns (picomatch) of paths never reviewed. */
  paths_ignore: string[];
}

export const DEFAULT_TREE_CONFIG: TreeConfig = { rules: {}, paths_ignore: [] };

/**
 * Largest configuration file read. A real one is a few hundred bytes; parsing YAML costs far
 * more than its size (an 11 MB file took 40 s and 2 GB), so anything larger is refused unread.
 */
export const MAX_CONFIG_BYTES = 256 * 1024;

export function tooLarge(size: number): string {
  return `${(size / 1024).toFixed(0)} KB, over the ${MAX_CONFIG_BYTES / 1024} KB limit for a configuration file`;
}

/**
 * A configuration file's text, read only up to the size limit: a larger file (or a device or
 * pipe that never ends) is one clear UsageError naming it, without reading the rest.
 */
export function readConfigFile(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let n = 0;
    for (let got; n < buf.length && (got = readSync(fd, buf, n, buf.length - n, null)) > 0; ) n += got;
    if (n > MAX_CONFIG_BYTES) {
      const size = fstatSync(fd).size;
      throw new UsageError(`${path}: ${size > MAX_CONFIG_BYTES ? tooLarge(size) : `over the ${MAX_CONFIG_BYTES / 1024} KB limit for a configuration file`}`);
    }
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

const require = createRequire(import.meta.url);

/** Whether a path is excluded by `paths_ignore` (picomatch is loaded only when there are globs). */
export function pathIgnored(config: Pick<TreeConfig, 'paths_ignore'>): (path: string) => boolean {
  if (config.paths_ignore.length === 0) return () => false;
  const picomatch = require('picomatch') as typeof picomatchTypes;
  const m = picomatch(config.paths_ignore, { dot: true });
  return (p) => m(p);
}
