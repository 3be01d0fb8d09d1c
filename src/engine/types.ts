import type { FileFacts, FunctionFacts } from '../c/types.js';

export type Severity = 'error' | 'warning' | 'note';
export type Confidence = 'high' | 'medium' | 'low';

export const SEVERITY_RANK: Record<Severity, number> = { note: 0, warning: 1, error: 2 };

/** An upstream commit that fixed the same bug: 12-char SHA and exact subject, from shared/precedents.md. */
export interface Precedent {
  commit: string;
  subject: string;
}

/** A function somewhere in the tree, as the index knows it. */
export interface FunctionRef {
  name: string;
  file: string;
  line: number;
  isStatic: boolean;
  section: FunctionFacts['section'];
}

export interface CallerRef {
  caller: string;
  file: string;
  line: number;
  /** The caller may return the callee's result. */
  propagates: boolean;
  masks: string[];
}

/** Cross-file questions a rule may ask. The patch's post-image is overlaid on the tree's index. */
export interface IndexQuery {
  functionsNamed(name: string): FunctionRef[];
  callersOf(name: string): CallerRef[];
  /** callersOf(name) restricted to the callers that may return its result (chain searches ask this). */
  propagatingCallersOf(name: string): CallerRef[];
  /** module_init targets (and helper-macro-generated ones) across the tree. */
  initFunctions(): { fn: string; file: string; line: number; macro: string }[];
  /** Whether `fn` of `file` is one of initFunctions() (asked per step of every chain search). */
  isInitFunction(file: string, fn: string): boolean;
  /**
   * Whether `fn`'s return value reaches a module_init return: the shortest caller chain
   * (e.g. ['dm_register_target', 'dm_mirror_init']) ending in a module_init target, or null.
   * A caller that masks `code` stops the flow.
   */
  pathToModuleInit(fn: string, file: string, code?: string): { chain: FunctionRef[] } | null;
  moduleNotifiers(): { callback: string; file: string; line: number }[];
  /**
   * Whether kbuild can build the file into a module ('module': a tristate or obj-m object, or a
   * member of one) or only into the kernel ('builtin'); undefined when there is no tree to read
   * or kbuild does not place the file.
   */
  buildKind?(path: string): 'module' | 'builtin' | undefined;
  /** The kbuild object (module) the file is linked into: files of one module share it. */
  moduleOf?(path: string): string | undefined;
  /** Facts of a file (overlaid post-image when the patch touches it), when the index has it. */
  fileFacts(path: string): FileFacts | undefined;
  /** File-scope objects named `name` defined in init memory (`__initdata`/`__initconst`), in any file. */
  initDataNamed?(name: string): { name: string; file: string; line: number; isStatic: boolean }[];
}

/** What a rule sees: one image (pre or post) of one C file. */
export interface RuleContext {
  path: string;
  image: 'pre' | 'post';
  source: string;
  facts: FileFacts;
  index: IndexQuery;
  /**
   * With the post-image of a patched file: the same file before the patch, for what only a change
   * shows (an `.owner = THIS_MODULE` the patch removes from a type no table knows). A finding
   * drawn from it exists in the post-image run only, so it always counts as introduced.
   */
  before?: { source: string; facts: FileFacts };
  /**
   * A whole-tree scan, not a patch: the file as it stands is judged. Checks meant for what a
   * patch adds to code outside the module lifecycle proper (built-in boot code's unwinding)
   * stay out of it, so the tree's years-old boot paths do not bury the module findings.
   */
  scan?: boolean;
}

/** A rule's raw result, before the engine decides whether the patch introduced it. */
export interface RawFinding {
  /**
   * Stable identity across pre and post images: never a line number. The engine prefixes
   * rule id and function; the rule supplies "what" (callee, resource, call site text).
   */
  key: string;
  /**
   * Other identities the same finding may have had in the other image (a leak through a label
   * is the same leak when the patch only renamed the step that jumps there, or only the label).
   */
  aliases?: string[];
  line: number;
  function?: string;
  message: string;
  evidence: string[];
  /** Lines (in this image) whose change should be taken as causing the finding. */
  causes?: number[];
  severity?: Severity;
  /**
   * Findings that share a group are one problem seen from several places (every function an
   * -EEXIST flows through on its way to module_init): a scan reports the group once.
   */
  group?: string;
}

/** What the catalogue lists of a rule (rules/<id>/meta.ts). */
export type RuleSummary = Pick<RuleMeta, 'id' | 'severity' | 'confidence' | 'title'>;

export interface RuleMeta {
  id: string;
  severity: Severity;
  confidence: Confidence;
  title: string;
  rationale: string;
  /** Non-empty, or `noPrecedent` explains why there is none. */
  precedents: Precedent[];
  noPrecedent?: string;
  /** Reference documents to cite, by path in the kernel tree. */
  references?: string[];
}

/**
 * One edit of a file's post-image, by whole lines: `deleteCount` lines from `line` (1-based) are
 * replaced by `insert` (deleteCount 0: inserted before `line`; line = lineCount + 1 appends).
 */
export interface LineEdit {
  line: number;
  deleteCount: number;
  insert: string[];
}

/** What a rule proposes for one finding: the edits and a line saying what they do ("add rcu_barrier() to foo_exit()"). */
export interface FixProposal {
  edits: LineEdit[];
  title: string;
}

/**
 * A rule's fix builder: the edits for one of its findings in this (post) image, or a reason why
 * it has none. The engine verifies a proposal before anyone sees it (src/engine/fix.ts).
 */
export type FixBuilder = (ctx: RuleContext, finding: RawFinding) => FixProposal | { none: string };

export interface Rule extends RuleMeta {
  check(ctx: RuleContext): RawFinding[];
  fix?: FixBuilder;
}

export type FindingFilter = 'added' | 'diff_context' | 'file' | 'nofilter';

export interface Finding {
  rule: string;
  severity: Severity;
  confidence: Confidence;
  file: string;
  /** Post-image line (pre-image for findings on deleted files). */
  line: number;
  function?: string;
  message: string;
  evidence: string[];
  precedents: Precedent[];
  /** Stable across line moves: hash of rule, file, function and key. */
  fingerprint: string;
  key: string;
  /** 1-based index of the patch in the series that introduced it; 0 for scan mode. */
  patch: number;
  /** `added`: on or caused by an added line; `context`: in a touched function; `outside`: elsewhere. */
  where: 'added' | 'context' | 'outside';
  /** Commit SHA of the patch, when known (GitHub PR commits, format-patch `From <sha>`). */
  commit?: string;
  /** See RawFinding.group. */
  group?: string;
  /**
   * A suggested edit of the post-image, verified by reviewing the edited file again; or, when it
   * did not verify, why it is withheld (the diff is then never shown).
   */
  fix?: FindingFix;
  /** Why no fix was attempted (the rule has no clear edit for this finding, or a limit). */
  fixSkipped?: string;
}

export type FindingFix =
  | {
      verified: true;
      title: string;
      /** Unified diff of the file (`--- a/path`, `+++ b/path`, hunks), against the patch's post-image. */
      diff: string;
      edits: LineEdit[];
    }
  | { verified: false; title: string; reason: string };

export interface SkippedFile {
  file: string;
  reason: string;
  patch?: number;
}

/** How the pre-image of a file was obtained, per patch and file: stated in every report. */
export interface ImageNote {
  patch: number;
  file: string;
  mode: 'git-blob' | 'tree-file' | 'provided' | 'hunk-only' | 'new-file' | 'series';
  detail?: string;
}

export interface ReviewResult {
  findings: Finding[];
  skipped: SkippedFile[];
  images: ImageNote[];
  /** Plain statements for the report: "patch does not apply to the tree (already applied?)". */
  notes: string[];
}
