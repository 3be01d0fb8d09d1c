// module-ref-leak: what `modreview rules` lists. Kept apart from the rule so the catalogue loads without
// the analysis (index.ts spreads it into the definition).
import type { RuleSummary } from '../../src/engine/types.js';

export const meta: RuleSummary = {
  id: 'module-ref-leak',
  severity: 'warning',
  confidence: 'medium',
  title: 'Module reference not dropped on a failure path (or dropped without being held)',
};
