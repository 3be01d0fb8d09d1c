// notifier-missing-going: what `modreview rules` lists. Kept apart from the rule so the catalogue loads without
// the analysis (index.ts spreads it into the definition).
import type { RuleSummary } from '../../src/engine/types.js';

export const meta: RuleSummary = {
  id: 'notifier-missing-going',
  severity: 'warning',
  confidence: 'medium',
  title: 'Module notifier sets up on MODULE_STATE_COMING but never handles MODULE_STATE_GOING',
};
