// exit-missing-rcu-barrier: what `modreview rules` lists. Kept apart from the rule so the catalogue loads without
// the analysis (index.ts spreads it into the definition).
import type { RuleSummary } from '../../src/engine/types.js';

export const meta: RuleSummary = {
  id: 'exit-missing-rcu-barrier',
  severity: 'error',
  confidence: 'high',
  title: 'Module queues RCU callbacks in its own text but module_exit lacks rcu_barrier()',
};
