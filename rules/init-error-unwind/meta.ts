// init-error-unwind: what `modreview rules` lists. Kept apart from the rule so the catalogue loads without
// the analysis (index.ts spreads it into the definition).
import type { RuleSummary } from '../../src/engine/types.js';

export const meta: RuleSummary = {
  id: 'init-error-unwind',
  severity: 'error',
  confidence: 'medium',
  title: 'Init failure path returns without releasing what was acquired',
};
