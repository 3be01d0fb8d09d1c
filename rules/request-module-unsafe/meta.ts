// request-module-unsafe: what `modreview rules` lists. Kept apart from the rule so the catalogue loads without
// the analysis (index.ts spreads it into the definition).
import type { RuleSummary } from '../../src/engine/types.js';

export const meta: RuleSummary = {
  id: 'request-module-unsafe',
  severity: 'warning',
  confidence: 'medium',
  title: 'request_module() with an unprefixed caller/user name, from async or init context, or repeated',
};
