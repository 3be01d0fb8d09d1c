// Tests that need real Linux 6.12 files call kernelTree(): the tree is fetched and extracted
// once by scripts/fetch-kernel.mjs into MODREVIEW_CACHE (default ~/.cache/modreview).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

let cached: string | undefined;

export function kernelTree(): string {
  if (cached) return cached;
  const script = fileURLToPath(new URL('../../scripts/fetch-kernel.mjs', import.meta.url));
  const out = execFileSync(process.execPath, [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = out.trim().split('\n');
  cached = lines[lines.length - 1]!;
  return cached;
}

export function kernelFile(rel: string): string {
  return readFileSync(join(kernelTree(), rel), 'utf8');
}
