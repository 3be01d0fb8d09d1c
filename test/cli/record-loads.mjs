// `node --import ./test/cli/record-loads.mjs ...`: appends every module URL the ESM loader
// resolves (one a line) to the file named by MODREVIEW_RECORD_LOADS. Used by startup.test.ts to
// check which packages a command loads, without timing anything.
import { register } from 'node:module';

if (process.env.MODREVIEW_RECORD_LOADS) {
  register('./record-loads-hooks.mjs', import.meta.url, { data: { file: process.env.MODREVIEW_RECORD_LOADS } });
}
