// init-exit-section: what `modreview rules` lists. Kept apart from the rule so the catalogue loads without
// the analysis (index.ts spreads it into the definition).
import type { RuleSummary } from '../../src/engine/types.js';

export const meta: RuleSummary = {
  id: 'init-exit-section',
  severity: 'error',
  confidence: 'high',
  title: 'Code reaches __init/__initdata after init, or __exit outside the exit path',
};
