// Every command modreview has, known without loading it: name, description and how the
// top-level help lists it. A command's module (and what it imports: probot, bullmq, the lore
// stack, tree-sitter, ...) is imported only when that command runs or its own help is asked for,
// so `modreview --help` and `modreview rules` start in a fraction of the time. Adding a command:
// one entry here and its module's `register`; test/cli/startup.test.ts checks that each entry
// says what its module registers.
import type { CommandRegistrar } from '../cli.js';

export interface CommandEntry {
  name: string;
  description: string;
  /** The command as the top-level help lists it: name, `[options]` when it has any, its arguments. */
  term: string;
  /** The module registering it (one module may register several commands: `rules` and `explain`). */
  module: keyof typeof MODULES;
}

const MODULES = {
  review: () => import('./review.js'),
  fix: () => import('./fix.js'),
  rules: () => import('./rules.js'),
  index: () => import('./index.js'),
  scan: () => import('./scan.js'),
  github: () => import('./github.js'),
  lore: () => import('./lore.js'),
  worker: () => import('./worker.js'),
  serve: () => import('./serve.js'),
  'review-server': () => import('./review-server.js'),
  jobs: () => import('./jobs.js'),
} satisfies Record<string, () => Promise<{ register: CommandRegistrar }>>;

/** Import the module of a command (and so everything that command needs). */
export async function loadCommand(entry: CommandEntry): Promise<CommandRegistrar> {
  return (await MODULES[entry.module]()).register;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'review',
    description: 'review a patch mail, an mbox series or a bare diff for module-lifecycle bugs it introduces',
    term: 'review [options] <file>',
    module: 'review',
  },
  {
    name: 'fix',
    description: 'review a patch and write the verified fixes of its findings as a follow-up patch (git am applies it on top)',
    term: 'fix [options] <patch>',
    module: 'fix',
  },
  { name: 'rules', description: 'list the rules: id, default severity, title', term: 'rules', module: 'rules' },
  { name: 'explain', description: "print a rule's documentation (its README)", term: 'explain <id>', module: 'rules' },
  {
    name: 'index',
    description: 'build or refresh the kernel tree index (parses only what changed)',
    term: 'index [options]',
    module: 'index',
  },
  {
    name: 'scan',
    description: 'report every current module-lifecycle violation in a kernel tree (or under PATHs), grouped by rule and file',
    term: 'scan [options] [path...]',
    module: 'scan',
  },
  {
    name: 'github',
    description:
      'run as a GitHub App: review pull requests with inline comments and a check run (env: APP_ID, PRIVATE_KEY[_PATH], WEBHOOK_SECRET, PORT, HOST, GHE_HOST)',
    term: 'github',
    module: 'github',
  },
  { name: 'lore', description: 'follow public-inbox (lore) lists, review each series, reply in-thread', term: 'lore', module: 'lore' },
  {
    name: 'worker',
    description: 'take the reviews queued in Redis and run them: GitHub pull requests (env: REDIS_URL, APP_ID, PRIVATE_KEY[_PATH], GHE_HOST), lore series with --lore-config',
    term: 'worker [options]',
    module: 'worker',
  },
  {
    name: 'serve',
    description: 'run what is configured in one process: lore watcher, GitHub App (with APP_ID), /healthz, /readyz, /metrics, status page',
    term: 'serve [options]',
    module: 'serve',
  },
  {
    name: 'review-server',
    description: 'keep the review warm (parser, rules, stores) and answer `modreview review` over a Unix socket (MODREVIEW_SOCKET or review --server)',
    term: 'review-server [options]',
    module: 'review-server',
  },
  { name: 'jobs', description: 'list the review jobs in Redis (REDIS_URL) and retry failed ones', term: 'jobs', module: 'jobs' },
];

/**
 * The command an argument vector (without `node` and the script) runs or asks help for: the
 * first word that is not an option, or the word after `help`. Undefined for the program's own
 * help, no arguments, or a word that names no command (commander then reports it).
 */
export function selectedCommand(args: readonly string[]): CommandEntry | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  return COMMANDS.find((c) => c.name === name);
}
