// Regular-expression blow-ups are tested by counting, not by timing. V8 can hand an expression
// that backtracks more than a budget over to its linear-time engine, and trace each hand-over
// (--trace-experimental-regexp-engine). With V8's regexp optimisation off (it otherwise runs
// simple greedy loops without counting their backtracks) the count is the textbook one: a linear
// expression stays within a small multiple of its input, a quadratic or exponential one does
// not. A child process runs a piece of the real code under that budget; what comes back is the
// source of every expression that needed the hand-over. The hand-over also means a blown-up
// expression cannot hang the test: it finishes on the linear engine.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A `src/` module's URL, for an `import` in a script given to overBudget(). */
export function srcModule(path: string): string {
  return new URL(`../../src/${path}`, import.meta.url).href;
}

/**
 * Run `script` (an ES module body; TypeScript imports work) and return the sources of the
 * regular expressions that backtracked more than `budget` times in one execution. Throws when
 * the script itself fails.
 */
export function overBudget(script: string, budget = 50_000): Promise<string[]> {
  const flags = [
    '--import',
    'tsx',
    '--no-regexp-optimization',
    '--enable-experimental-regexp-engine-on-excessive-backtracks',
    `--regexp-backtracks-before-fallback=${budget}`,
    '--trace-experimental-regexp-engine',
    '--input-type=module',
    '-e',
    script,
  ];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, flags, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => err.push(b));
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`probe exited ${code}: ${Buffer.concat(err).toString('utf8').slice(0, 2000)}`));
      const traced = Buffer.concat(out)
        .toString('utf8')
        .split('\n')
        // `<String[61]: #source>` (internalised) or `<String[61]: "source">`.
        .map((l) => /^Experimental execution .*?<String\[\d+\]: (.*)>\s*$/.exec(l)?.[1])
        .filter((s): s is string => s !== undefined)
        .map((s) => s.replace(/^#|^"(.*)"$/, '$1'));
      resolve([...new Set(traced)]);
    });
  });
}
