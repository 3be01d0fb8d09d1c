// exit-missing-release: what `modreview rules` lists. Kept apart from the rule so the catalogue loads without
// the analysis (index.ts spreads it into the definition).
import type { RuleSummary } from '../../src/engine/types.js';

export const meta: RuleSummary = {
  id: 'exit-missing-release',
  severity: 'error',
  confidence: 'medium',
  title: 'module_exit does not release what module_init kept, or releases it in an unsafe order',
};
