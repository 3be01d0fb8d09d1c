// The CLI as bin/modreview.js runs it, from the TypeScript sources (for child-process tests).
import { main } from '../../src/cli.js';

process.exitCode = await main(process.argv);
