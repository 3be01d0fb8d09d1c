// The review entry point every deployment (CLI, lore responder, GitHub App) composes.
import type { FileDiff } from '../diff/types.js';
import type { Patch, Submission } from '../ingest/types.js';
import type { FactsCache } from '../c/types.js';
import type { TreeConfig } from './config.js';
import type { FindingFilter, ImageNote, IndexQuery, ReviewResult } from './types.js';
import type { ReviewLimits } from './limits.js';

export interface PreImage {
  text: string;
  mode: ImageNote['mode'];
  detail?: string;
}

/**
 * Supplies the pre-image of a touched file as of the series' base. The CLI reads a kernel tree
 * (git blob or plain file); the GitHub App reads the contents API at the base SHA.
 * Return null when it cannot: the engine then reviews in hunk-only mode and says so.
 */
export interface ImageProvider {
  preImage(file: FileDiff, patch: Patch): Promise<PreImage | null>;
}

export interface ReviewOptions {
  images?: ImageProvider;
  /** Tree-wide facts; without it, cross-file questions see only the patched files. */
  index?: IndexQuery;
  /** Only these rule ids (default: all). */
  rules?: string[];
  /** Never these rule ids. */
  ignore?: string[];
  filter?: FindingFilter;
  /** Tree configuration (.modreview.yml): rules off, severity overrides, ignored paths. */
  config?: TreeConfig;
  /** Facts of pre-images seen before, by blob id (src/store/facts-cache.ts). */
  facts?: FactsCache;
  /** Size and time limits per file (src/engine/limits.ts); what they cut is listed in `skipped`. */
  limits?: ReviewLimits;
}

export type { CachedFacts, FactsCache } from '../c/types.js';

export type ReviewFn = (submission: Submission, options: ReviewOptions) => Promise<ReviewResult>;
