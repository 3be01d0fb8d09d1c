import type { FileDiff } from '../diff/types.js';

/** What b4 and reviewers read from a subject line: `[RFC PATCH net-next v3 2/5] dm: foo`. */
export interface SubjectInfo {
  /** The subject with all bracketed tags and `Re:`/`Fwd:` removed. */
  subject: string;
  /** Tags other than PATCH/RFC/RESEND/vN/n/m, e.g. `net-next`. */
  prefixes: string[];
  version: number;
  /** n of n/m; 1 for a lone patch; 0 for a cover letter. */
  index: number;
  /** m of n/m; 1 for a lone patch. */
  total: number;
  rfc: boolean;
  resend: boolean;
  /** The subject starts with Re:/Aw:/Fwd: — a reply, never reviewed. */
  reply: boolean;
  /** Carries PATCH (or RFC) at all. */
  isPatch: boolean;
}

export interface Person {
  name?: string;
  address: string;
}

/** One mail of a series (cover letter or patch), or a bare diff. */
export interface Patch {
  messageId?: string;
  /** Subject as sent (after MIME decoding, before tag stripping). */
  rawSubject: string;
  /** Subject without tags. */
  subject: string;
  tags: SubjectInfo;
  author?: Person;
  date?: string;
  inReplyTo?: string;
  references: string[];
  to: Person[];
  cc: Person[];
  /** The commit message (body before the `---` separator), without the diff. */
  commitMessage: string;
  /** `From <sha>` of git format-patch, when present. */
  commit?: string;
  files: FileDiff[];
  /** Problems reading this message (undecodable parts, unparsable hunks). */
  problems: string[];
}

export interface Series {
  subject: string;
  version: number;
  total: number;
  cover?: Patch;
  baseCommit?: string;
  changeId?: string;
}

export type SubmissionSource = 'mbox' | 'mail' | 'diff' | 'lore' | 'github';

export interface Submission {
  source: SubmissionSource;
  series: Series;
  /** Patches with a diff, ordered by index (1..N). */
  patches: Patch[];
  /** Series-level problems, e.g. missing parts 3/5. */
  problems: string[];
}
