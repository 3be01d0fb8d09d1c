// modreview's command line. Each deployment registers its commands from its own module; this
// file only wires them and maps errors to exit codes (0 clean, 1 findings, 2 bad input/usage).
// Which commands exist is known statically (commands/registry.ts): only the module of the command
// that runs is imported; the others are listed in the help from their registry entries.
// `modreview review` with MODREVIEW_SOCKET (or --server) set first asks a review server
// (src/review-server/): commander and every command module are loaded only when it does not answer.
import type { Command } from 'commander';
import { errorMessage, InputError, UsageError } from './errors.js';
import { COMMANDS, loadCommand, selectedCommand, type CommandEntry } from './commands/registry.js';
import type { DB } from './store/db.js';

/** Where a run's output goes and what it is given besides its arguments. */
export interface CliIo {
  out(s: string): void;
  err(s: string): void;
  /** The patch argument (`<file>` or `-`) and its bytes, already read: by the review-server client, or sent to the server. */
  input?: { file: string; bytes: Buffer };
  /** Stores kept open from run to run (the review server); without it a command opens and closes its own. */
  stores?: { open(path: string): DB };
  /** This run is a review server answering a request: never hand it to a server again. */
  inServer?: boolean;
}

export const processIo = (): CliIo => ({ out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s) });

export type CommandRegistrar = (program: Command, setExit: (code: number) => void, io?: CliIo) => void;

/** Register every command: `load`ed ones for real, the others as placeholders for the help. */
async function registerCommands(program: Command, load: CommandEntry | undefined, setExit: (code: number) => void, argv: string[], io: CliIo): Promise<void> {
  const { Help } = await import('commander');
  const placeholders = new Map<Command, string>();
  program.configureHelp({
    subcommandTerm(cmd: Command): string {
      return placeholders.get(cmd) ?? Help.prototype.subcommandTerm.call(this, cmd);
    },
  });
  const known = (name: string) => program.commands.some((c) => c.name() === name);
  for (const entry of COMMANDS) {
    if (known(entry.name)) continue;
    // The same module may register several commands (rules, explain): it is registered at the
    // first of them, in registry order, so the help lists commands in the same order either way.
    if (load && entry.module === load.module) {
      (await loadCommand(entry))(program, setExit, io);
      if (known(entry.name)) continue;
    }
    // A placeholder: named and described as the real one. Commander can only reach it when the
    // argument vector names the command in a way selectedCommand() did not foresee; it then runs
    // the real command over the same arguments.
    const cmd = program
      .command(entry.name)
      .description(entry.description)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(async () => {
        setExit(await main(argv, entry, io));
      });
    placeholders.set(cmd, entry.term);
  }
}

export async function main(argv: string[], force?: CommandEntry, io: CliIo = processIo()): Promise<number> {
  const selected = force ?? selectedCommand(argv.slice(2));
  if (selected?.name === 'review' && !io.inServer && !io.input) {
    const { wantsServer, reviewThroughServer } = await import('./review-server/client.js');
    const socket = wantsServer(argv.slice(2), process.env);
    if (socket) {
      const r = await reviewThroughServer(socket, argv.slice(2));
      if (r.reply) {
        io.out(r.reply.stdout);
        io.err(r.reply.stderr);
        return r.reply.code;
      }
      if (r.note) io.err(r.note);
      if (r.input) io = { ...io, input: r.input };
    }
  }
  const { Command, CommanderError } = await import('commander');
  let exitCode = 0;
  const program = new Command();
  program
    .name('modreview')
    .description('Review Linux kernel patches for module-lifecycle bugs (module_init/module_exit and what they reach)')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  try {
    await registerCommands(program, selected, (c) => { exitCode = c; }, argv, io);
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its one-line message; help/version exit 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    const usage = err instanceof UsageError || err instanceof InputError;
    io.err(`modreview: ${usage ? '' : 'error: '}${errorMessage(err)}\n`);
    if (process.env.DEBUG && err instanceof Error) io.err(`${err.stack}\n`);
    return 2;
  }
}
