// Fetch (or find cached) the Linux 6.12 tree before any test file runs, so parallel test files
// never race on the download.
import { kernelTree } from './helpers/kernel.js';

export default function setup(): void {
  process.env.MODREVIEW_TEST_KERNEL = kernelTree();
}
