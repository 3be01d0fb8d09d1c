// The real command line (src/cli.ts, every command registered) in a child process, as
// bin/modreview.js runs it from dist/: `node --import tsx test/queue/cli.ts worker ...`.
import { main } from '../../src/cli.js';

process.exitCode = await main(process.argv);
