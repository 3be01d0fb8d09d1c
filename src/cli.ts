// modreview's command line. Each deployment registers its commands from its own module; this
// file only wires them and maps errors to exit codes (0 clean, 1 findings, 2 bad input/usage).
import { Command, CommanderError } from 'commander';
import { errorMessage, InputError, UsageError } from './errors.js';

export type CommandRegistrar = (program: Command, setExit: (code: number) => void) => void;

async function registrars(): Promise<CommandRegistrar[]> {
  // Imported lazily so `modreview review` never pays for probot or the lore stack.
  const mods = await Promise.all([
    import('./commands/review.js'),
    import('./commands/rules.js'),
    import('./commands/index.js'),
    import('./commands/scan.js'),
    import('./commands/github.js'),
    import('./commands/lore.js'),
    import('./commands/worker.js'),
    import('./commands/serve.js'),
  ]);
  return mods.map((m) => m.register);
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command();
  program
    .name('modreview')
    .description('Review Linux kernel patches for module-lifecycle bugs (module_init/module_exit and what they reach)')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const reg of await registrars()) reg(program, (c) => { exitCode = c; });
  try {
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
