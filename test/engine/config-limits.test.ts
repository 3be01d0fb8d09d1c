// Issue 13 (fuzzing): an 11 MB .modreview.yml took 40 s and 2 GB to parse, and an unresolved YAML
// tag printed a 7-line process warning with a source excerpt (the contract is one line). Through
// the real CLI as its own process: exit status and stderr exactly as a shell sees them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_CONFIG_BYTES, parseTreeConfig } from '../../src/engine/config.js';
import { ConfigError, parseConfig } from '../../src/github/config.js';
import { spawnCli } from '../cli/run.js';

const dir = mkdtempSync(join(tmpdir(), 'modreview-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const PATCH = 'diff --git a/drivers/misc/x.c b/drivers/misc/x.c\n--- a/drivers/misc/x.c\n+++ b/drivers/misc/x.c\n@@ -1 +1 @@\n-int a;\n+int b;\n';

describe('configuration file limits', () => {
  it('a configuration file over 256 KB is refused unread: exit 2, one line naming it', { timeout: 60_000 }, async () => {
    // Valid YAML all the same (comments), so only its size can be the reason.
    const big = file('big.yml', `${'# padding padding padding padding padding padding padding padding\n'.repeat(5000)}rules: {}\n`);
    const r = await spawnCli(['review', '--config', big, file('p.diff', PATCH)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`modreview: ${big}: 322 KB, over the ${MAX_CONFIG_BYTES / 1024} KB limit for a configuration file\n`);
  });

  it('a YAML warning is one line on stderr, and the review goes on', { timeout: 60_000 }, async () => {
    const tagged = file('tag.yml', 'rules: !foo {}\n');
    const r = await spawnCli(['review', '--config', tagged, file('p.diff', PATCH)]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`modreview: warning: ${tagged}: Unresolved tag: !foo at line 1, column 8\n`);
  });

  it('a device that never ends is read only up to the limit', { timeout: 60_000 }, async () => {
    const r = await spawnCli(['review', '--config', '/dev/zero', file('p.diff', PATCH)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`modreview: /dev/zero: over the ${MAX_CONFIG_BYTES / 1024} KB limit for a configuration file\n`);
  });

  it('the same limit for text given directly: the tree config and the repository config', () => {
    const text = `${'#'.repeat(MAX_CONFIG_BYTES)}\n`;
    expect(() => parseTreeConfig(text, [])).toThrow(/^\.modreview\.yml: 256 KB, over the 256 KB limit for a configuration file$/);
    expect(() => parseConfig(text)).toThrow(ConfigError);
    const warned: string[] = [];
    parseTreeConfig('rules: !foo {}\n', [], '.modreview.yml', (w) => warned.push(w));
    expect(warned).toEqual(['.modreview.yml: Unresolved tag: !foo at line 1, column 8']);
  });
});
