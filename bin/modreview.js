#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
import { main } from '../dist/src/cli.js';
import { errorMessage } from '../dist/src/errors.js';

// An error thrown outside the command's promise (an event callback: a worker's message, a
// socket) still ends in one line and exit status 2, not a stack trace. A command that keeps
// serving through such errors (review-server) registers its own handler and is left to it.
for (const event of ['uncaughtException', 'unhandledRejection']) {
  process.on(event, (err) => {
    if (process.listenerCount(event) > 1) return;
    process.stderr.write(`modreview: error: ${errorMessage(err)}\n`);
    if (process.env.DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exit(2);
  });
}

main(process.argv).then((code) => {
  process.exitCode = code;
});
