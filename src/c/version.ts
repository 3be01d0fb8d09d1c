/** Bumped whenever the facts' shape or meaning changes: cached facts of older versions are re-extracted. */
export const FACTS_VERSION = 8;
