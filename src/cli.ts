// modreview's command line. Each deployment registers its commands from its own module; this
// file only wires them and maps errors to exit codes (0 clean, 1 findings, 2 bad input/usage).
// Which commands exist is known statically (commands/registry.ts): only the module of the command
// that runs is imported; the others are listed in the help from their registry entries.
import { Command, CommanderError, Help } from 'commander';
import { errorMessage, InputError, UsageError } from './errors.js';
import { COMMANDS, loadCommand, selectedCommand, type CommandEntry } from './commands/registry.js';

export type CommandRegistrar = (program: Command, setExit: (code: number) => void) => void;

/** Register every command: `load`ed ones for real, the others as placeholders for the help. */
async function registerCommands(program: Command, load: CommandEntry | undefined, setExit: (code: number) => void, argv: string[]): Promise<void> {
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
      (await loadCommand(entry))(program, setExit);
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
        setExit(await main(argv, entry));
      });
    placeholders.set(cmd, entry.term);
  }
}

export async function main(argv: string[], force?: CommandEntry): Promise<number> {
  let exitCode = 0;
  const program = new Command();
  program
    .name('modreview')
    .description('Review Linux kernel patches for module-lifecycle bugs (module_init/module_exit and what they reach)')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  try {
    await registerCommands(program, force ?? selectedCommand(argv.slice(2)), (c) => { exitCode = c; }, argv);
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its one-line message; help/version exit 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    const usage = err instanceof UsageError || err instanceof InputError;
    process.stderr.write(`modreview: ${usage ? '' : 'error: '}${errorMessage(err)}\n`);
    if (process.env.DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return 2;
  }
}
