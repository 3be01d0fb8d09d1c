// The rule catalogue. Order is the order rules are listed and run in.
import type { Rule } from '../src/engine/types.js';
import moduleInitEexist from './module-init-eexist/index.js';
import initErrorUnwind from './init-error-unwind/index.js';
import notifierMissingGoing from './notifier-missing-going/index.js';
import requestModuleUnsafe from './request-module-unsafe/index.js';
import opsMissingOwner from './ops-missing-owner/index.js';
import moduleRefLeak from './module-ref-leak/index.js';
import exitMissingRelease from './exit-missing-release/index.js';
import exitMissingRcuBarrier from './exit-missing-rcu-barrier/index.js';
import initExitSection from './init-exit-section/index.js';

export const allRules: readonly Rule[] = [moduleInitEexist, initErrorUnwind, notifierMissingGoing, requestModuleUnsafe, opsMissingOwner, moduleRefLeak, exitMissingRelease, exitMissingRcuBarrier, initExitSection];
