// Pre-images from the contents API: the file as it is at the PR's base (whole-PR review) or at
// the commit's parent (per-commit review). The contents API returns file content up to 1 MB; for
// larger files (up to 100 MB) it answers with `encoding: "none"` and the blob is read through the
// git blobs API instead. The post-image is the engine's business: it applies the patch.
import type { FileDiff } from '../diff/types.js';
import type { ImageProvider, PreImage } from '../engine/api.js';
import type { Patch } from '../ingest/types.js';
import { preImageMatches } from '../diff/apply.js';
import { expectStatus, httpStatus, type Octokit } from './octokit.js';

export const CONTENTS_API_LIMIT = 1024 * 1024;

export interface ContentsImageOptions {
  owner: string;
  repo: string;
  /** Ref for patches without a known parent (whole-PR review): the base SHA. */
  baseSha: string;
  /** Per-commit review: commit sha → first parent. */
  parents?: ReadonlyMap<string, string>;
  /**
   * Whole-PR review: the merge base of base and head, asked for only when the file at the base
   * SHA does not take the patch (the base branch moved on since the PR branched off; GitHub's PR
   * diff is against the merge base).
   */
  mergeBase?: () => Promise<string | null>;
  /** Called on errors other than 404 (logged by the caller). */
  onError?: (err: unknown, path: string, ref: string) => void;
}

function decode(content: string, encoding: string | undefined): string {
  if (encoding === 'base64') return Buffer.from(content, 'base64').toString('utf8');
  return content;
}

export async function readFileAt(octokit: Octokit, owner: string, repo: string, path: string, ref: string): Promise<{ text: string; via: 'contents' | 'blob' } | null> {
  let data: unknown;
  try {
    ({ data } = await octokit.rest.repos.getContent({ owner, repo, path, ref, ...expectStatus(404) }));
  } catch (err) {
    if (httpStatus(err) === 404) return null;
    throw err;
  }
  if (Array.isArray(data)) return null; // a directory
  const d = data as { type?: string; content?: string; encoding?: string; size?: number; sha?: string };
  if (d.type !== undefined && d.type !== 'file') return null;
  const tooLarge = d.encoding === 'none' || (d.size ?? 0) > CONTENTS_API_LIMIT || (!d.content && (d.size ?? 0) > 0);
  if (!tooLarge) return { text: decode(d.content ?? '', d.encoding), via: 'contents' };
  if (!d.sha) return null;
  const blob = await octokit.rest.git.getBlob({ owner, repo, file_sha: d.sha });
  return { text: decode(blob.data.content, blob.data.encoding), via: 'blob' };
}

export function contentsImageProvider(octokit: Octokit, opts: ContentsImageOptions): ImageProvider {
  return {
    async preImage(file: FileDiff, patch: Patch): Promise<PreImage | null> {
      const path = file.oldPath ?? file.newPath;
      if (!path) return null;
      const parent = patch.commit ? opts.parents?.get(patch.commit) : undefined;
      let ref = parent || opts.baseSha;
      try {
        let got = await readFileAt(octokit, opts.owner, opts.repo, path, ref);
        if (!parent && opts.mergeBase && (!got || !preImageMatches(got.text, file))) {
          const mb = await opts.mergeBase();
          if (mb && mb !== ref) {
            const again = await readFileAt(octokit, opts.owner, opts.repo, path, mb);
            if (again && (!got || preImageMatches(again.text, file))) {
              got = again;
              ref = mb;
            }
          }
        }
        if (!got) return null;
        return { text: got.text, mode: 'git-blob', detail: `${path} at ${ref.slice(0, 12)} (GitHub ${got.via === 'blob' ? 'blobs' : 'contents'} API)` };
      } catch (err) {
        opts.onError?.(err, path, ref);
        return null;
      }
    },
  };
}
