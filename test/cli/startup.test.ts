// Start-up: `modreview --help` and `modreview rules` load none of the heavy dependencies (checked
// by recording every module the ESM loader resolves, not by timing), and every command's registry
// entry (src/commands/registry.ts) says what its module registers.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, loadCommand, selectedCommand } from '../../src/commands/registry.js';
import { runCli } from './run.js';
import { gitDiff } from '../../scripts/accuracy.js';

const ENTRY = fileURLToPath(new URL('./entry.ts', import.meta.url));
const RECORDER = fileURLToPath(new URL('./record-loads.mjs', import.meta.url));
const HEAVY = ['probot', 'bullmq', 'ioredis', 'nodemailer', 'pino', 'yaml', 'zod', 'simple-git', 'cli-progress', 'mailparser', 'tree-sitter', 'better-sqlite3'];

function loadedPackages(args: string[]): { stdout: string; packages: Set<string>; urls: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'modreview-loads-'));
  try {
    const file = join(dir, 'loads.txt');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', RECORDER, ENTRY, ...args], {
      env: { ...process.env, MODREVIEW_RECORD_LOADS: file },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const urls = readFileSync(file, 'utf8').split('\n');
    const packages = new Set(urls.map((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter((p): p is string => !!p));
    return { stdout: r.stdout, packages, urls };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('start-up', () => {
  it.each([['--help'], ['rules']])('`modreview %s` loads no heavy dependency', (arg) => {
    const { stdout, packages } = loadedPackages([arg]);
    expect(stdout.length).toBeGreaterThan(0);
    expect(packages.has('commander')).toBe(true); // the recorder works
    for (const p of HEAVY) expect(packages.has(p), p).toBe(false);
  });

  it('`modreview rules` lists the catalogue without loading any rule analysis', () => {
    const { stdout, urls } = loadedPackages(['rules']);
    expect(stdout).toContain('init-error-unwind');
    expect(urls.some((u) => u.includes('/rules/catalogue.ts'))).toBe(true); // the recorder works
    expect(urls.filter((u) => /\/rules\/[a-z-]+\/index\.ts|\/src\/(engine\/kernel|c)\//.test(u))).toEqual([]);
  });

  it('`modreview review` of a patch against an indexed plain tree loads none of the dependencies it does not use', () => {
    const dir = mkdtempSync(join(tmpdir(), 'modreview-loads-review-'));
    try {
      const tree = join(dir, 'tree');
      mkdirSync(join(tree, 'drivers'), { recursive: true });
      const before = 'int foo(int x)\n{\n\treturn -EBUSY;\n}\n';
      writeFileSync(join(tree, 'drivers/foo.c'), before);
      const patch = join(dir, 'foo.patch');
      writeFileSync(patch, gitDiff('drivers/foo.c', before, before.replace('-EBUSY', '-EEXIST')));
      const { packages } = loadedPackages(['review', '--tree', tree, '--db', join(dir, 'store.sqlite'), patch]);
      expect(packages.has('better-sqlite3')).toBe(true); // the recorder works (and the index is used)
      expect(packages.has('tree-sitter')).toBe(true);
      for (const p of HEAVY.filter((x) => x !== 'better-sqlite3' && x !== 'tree-sitter')) expect(packages.has(p), p).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('each registry entry names, describes and lists its command as its module registers it', async () => {
    for (const entry of COMMANDS) {
      const program = new Command();
      (await loadCommand(entry))(program, () => {});
      const cmd = program.commands.find((c) => c.name() === entry.name);
      expect(cmd, entry.name).toBeDefined();
      expect(cmd!.description()).toBe(entry.description);
      expect(new Help().subcommandTerm(cmd!)).toBe(entry.term);
    }
  });

  it('the top-level help lists every command, as when all modules were loaded', async () => {
    const lazy = await runCli(['--help']);
    const program = new Command().name('modreview').description('Review Linux kernel patches for module-lifecycle bugs (module_init/module_exit and what they reach)');
    const seen = new Set<string>();
    for (const entry of COMMANDS) if (!program.commands.some((c) => c.name() === entry.name)) (await loadCommand(entry))(program, () => {});
    for (const c of program.commands) seen.add(c.name());
    expect(lazy.code).toBe(0);
    expect(lazy.stdout).toBe(program.helpInformation());
    expect([...seen]).toEqual(COMMANDS.map((c) => c.name));
  });

  it('picks the command an argument vector runs', () => {
    expect(selectedCommand(['review', 'x.patch'])?.name).toBe('review');
    expect(selectedCommand(['help', 'scan'])?.name).toBe('scan');
    expect(selectedCommand(['--help'])).toBeUndefined();
    expect(selectedCommand(['nope'])).toBeUndefined();
  });
});
