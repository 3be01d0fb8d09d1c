// module-init-eexist: what `modreview rules` lists. Kept apart from the rule so the catalogue loads without
// the analysis (index.ts spreads it into the definition).
import type { RuleSummary } from '../../src/engine/types.js';

export const meta: RuleSummary = {
  id: 'module-init-eexist',
  severity: 'error',
  confidence: 'high',
  title: 'module_init can return -EEXIST, which kmod reads as "already loaded"',
};
