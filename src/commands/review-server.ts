// `modreview review-server --socket PATH`: keep a review process warm and answer `modreview
// review` over a Unix domain socket (src/review-server/server.ts); `review` uses it when
// MODREVIEW_SOCKET or --server names the socket. SIGTERM/SIGINT: stop listening, remove the
// socket, finish the review under way, exit 0.
import type { Command } from 'commander';
import type { CommandRegistrar } from '../cli.js';
import { errorMessage } from '../errors.js';

export const register: CommandRegistrar = (program: Command) => {
  program
    .command('review-server')
    .description('keep the review warm (parser, rules, stores) and answer `modreview review` over a Unix socket (MODREVIEW_SOCKET or review --server)')
    .requiredOption('--socket <path>', 'the Unix domain socket to create (mode 0600, in a directory only you can write)')
    .action(async (o: { socket: string }) => {
      const log = (s: string) => void process.stderr.write(`modreview review-server: ${s}\n`);
      // Taken before the server starts: a SIGTERM during the warm-up still stops it cleanly.
      let stop!: () => void;
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      // A stray error from one request's work is logged; the server keeps serving.
      const stray = (e: unknown) => log(`unexpected error (still serving): ${errorMessage(e)}`);
      process.on('uncaughtException', stray);
      process.on('unhandledRejection', stray);
      try {
        const { startReviewServer } = await import('../review-server/server.js');
        const server = await startReviewServer({ socket: o.socket, log });
        await stopped;
        await server.close();
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        process.off('uncaughtException', stray);
        process.off('unhandledRejection', stray);
      }
    });
};
