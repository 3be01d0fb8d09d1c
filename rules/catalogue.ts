// The catalogue as `modreview rules` and `modreview explain` list it: each rule's id, severity,
// confidence and title, without loading the analyses (rules/index.ts has the rules themselves;
// rules/catalogue.test.ts checks the two agree, order included).
import type { RuleSummary } from '../src/engine/types.js';
import { meta as moduleInitEexist } from './module-init-eexist/meta.js';
import { meta as initErrorUnwind } from './init-error-unwind/meta.js';
import { meta as notifierMissingGoing } from './notifier-missing-going/meta.js';
import { meta as requestModuleUnsafe } from './request-module-unsafe/meta.js';
import { meta as opsMissingOwner } from './ops-missing-owner/meta.js';
import { meta as moduleRefLeak } from './module-ref-leak/meta.js';
import { meta as exitMissingRelease } from './exit-missing-release/meta.js';
import { meta as exitMissingRcuBarrier } from './exit-missing-rcu-barrier/meta.js';
import { meta as initExitSection } from './init-exit-section/meta.js';

export const ruleCatalogue: readonly RuleSummary[] = [moduleInitEexist, initErrorUnwind, notifierMissingGoing, requestModuleUnsafe, opsMissingOwner, moduleRefLeak, exitMissingRelease, exitMissingRcuBarrier, initExitSection];
