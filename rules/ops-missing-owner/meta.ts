// ops-missing-owner: what `modreview rules` lists. Kept apart from the rule so the catalogue loads without
// the analysis (index.ts spreads it into the definition).
import type { RuleSummary } from '../../src/engine/types.js';

export const meta: RuleSummary = {
  id: 'ops-missing-owner',
  severity: 'warning',
  confidence: 'high',
  title: 'Ops structure in module code without .owner = THIS_MODULE',
};
