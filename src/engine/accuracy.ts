// The accuracy corpus: each rule's `rules/<id>/accuracy.ts` exports `cases`, each a mutation of a
// real Linux 6.12 file (drop a release, return past an acquire, remove `.owner`, ...) that the
// rule must flag, or a benign edit / real-style fix it must stay silent on. scripts/accuracy.ts
// turns each case into a real patch against the tree and reviews it like any other.

export interface Edit {
  /** Exact text to find in the file (after earlier edits). */
  find: string;
  replace: string;
  /** Which occurrence (1-based) when `find` is not unique; default: it must be unique. */
  nth?: number;
}

export interface AccuracyCase {
  name: string;
  /** Path in the Linux 6.12 tree. */
  file: string;
  edits: Edit[];
  /** `flag`: the rule must report at least one finding; `clean`: none of this rule. */
  expect: 'flag' | 'clean';
  /** Tree paths (files or directories) the index must cover for this case; default the file's directory. */
  indexPaths?: string[];
  /** Why this case is in the corpus (what it tests). */
  why?: string;
}

/** Apply the edits in order; throws when a `find` is missing or ambiguous (the corpus must stay exact). */
export function applyEdits(source: string, edits: readonly Edit[]): string {
  let out = source;
  for (const e of edits) {
    const at: number[] = [];
    for (let i = out.indexOf(e.find); i >= 0; i = out.indexOf(e.find, i + 1)) at.push(i);
    if (!at.length) throw new Error(`edit not applicable: ${JSON.stringify(e.find.slice(0, 60))} not found`);
    if (e.nth === undefined && at.length > 1) throw new Error(`edit ambiguous: ${JSON.stringify(e.find.slice(0, 60))} occurs ${at.length} times (set nth)`);
    const pos = at[(e.nth ?? 1) - 1];
    if (pos === undefined) throw new Error(`edit: occurrence ${e.nth} of ${JSON.stringify(e.find.slice(0, 60))} does not exist`);
    out = out.slice(0, pos) + e.replace + out.slice(pos + e.find.length);
  }
  if (out === source) throw new Error('edits change nothing');
  return out;
}
