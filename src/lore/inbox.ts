// A public-inbox v2 mirror, the way kernel.org recommends following lore: git. An inbox is a set
// of epochs `git/<N>.git` (new mail only lands in the newest); each commit adds one message as the
// blob `m`, or records a deletion as the blob `d` (the removed message). We keep a bare mirror of
// every epoch in a cache directory, and walk the commits after the last one we processed (the
// cursor, per inbox and epoch, lives in SQLite). When upstream rewrote history (the cursor is no
// longer an ancestor of the head) we walk a date window before the cursor instead and rely on the
// Message-ID dedupe. Every git call goes through simple-git with an argument array: nothing from a
// message ever reaches a shell.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { DB } from '../store/db.js';

export interface InboxConfig {
  /** Short name, used for the cache directory and the cursor. */
  name: string;
  /** The inbox root (holding `git/0.git`, ...): a URL (https://lore.kernel.org/linux-modules) or a local path. */
  url: string;
  /** The list the inbox carries (for policy); defaults to name. */
  list?: string;
}

export interface InboxEntry {
  inbox: string;
  epoch: number;
  commit: string;
  /** Committer time, ms. */
  time: number;
  /** `m`: a message; `d`: a deletion record. */
  kind: 'm' | 'd';
  blob: string;
  size: number;
  /** Why the blob cannot be read (missing from a partial mirror): the entry is skipped with this reason. */
  unreadable?: string;
}

export interface WalkOptions {
  /** On a history rewrite, re-walk this much before the cursor's time (default 2 days). */
  rewriteWindowMs?: number;
  /** On the first sync of an epoch, only commits newer than this (ms epoch); default: everything. */
  initialSince?: number;
}

export interface Cursor {
  last_commit: string;
  last_time: number;
}

export function getCursor(db: DB, inbox: string, epoch: number): Cursor | undefined {
  return db.prepare('SELECT last_commit, last_time FROM lore_cursor WHERE inbox = ? AND epoch = ?').get(inbox, epoch) as Cursor | undefined;
}

export function setCursor(db: DB, inbox: string, epoch: number, commit: string, time: number): void {
  db.prepare(
    `INSERT INTO lore_cursor (inbox, epoch, last_commit, last_time, updated_at) VALUES (?, ?, ?, ?, datetime('now'))
     ON CONFLICT (inbox, epoch) DO UPDATE SET last_commit = excluded.last_commit, last_time = excluded.last_time, updated_at = excluded.updated_at`,
  ).run(inbox, epoch, commit, time);
}

function isRemote(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url);
}

function epochUrl(url: string, n: number): string {
  return isRemote(url) ? `${url.replace(/(?<!\/)\/+$/, '')}/git/${n}.git` : resolve(url, 'git', `${n}.git`);
}

export class InboxMirror {
  readonly root: string;

  constructor(
    readonly cfg: InboxConfig,
    cacheDir: string,
  ) {
    if (!/^[A-Za-z0-9._-]+$/.test(cfg.name)) throw new Error(`inbox name '${cfg.name}' must be letters, digits, '.', '_' or '-'`);
    this.root = join(cacheDir, 'inboxes', cfg.name);
  }

  private mirrorPath(n: number): string {
    return join(this.root, 'git', `${n}.git`);
  }

  /** Epochs already mirrored locally. */
  localEpochs(): number[] {
    const dir = join(this.root, 'git');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map((f) => /^(\d+)\.git$/.exec(f)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  /** Epochs the source has: a local inbox is listed; a remote one is probed upward from what we know. */
  private async sourceEpochs(): Promise<number[]> {
    const url = this.cfg.url;
    if (!isRemote(url)) {
      const dir = resolve(url, 'git');
      if (!existsSync(dir)) throw new Error(`inbox '${this.cfg.name}': ${dir} does not exist (not a public-inbox v2 inbox)`);
      return readdirSync(dir)
        .map((f) => /^(\d+)\.git$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .map(Number)
        .sort((a, b) => a - b);
    }
    const known = this.localEpochs();
    const out = [...known];
    let n = known.length > 0 ? known[known.length - 1]! + 1 : 0;
    for (;;) {
      try {
        await simpleGit().listRemote([epochUrl(url, n)]);
        out.push(n);
        n++;
      } catch {
        break;
      }
    }
    return out;
  }

  /** Clone new epochs and fetch known ones. Returns the epochs now mirrored, ascending. */
  async update(): Promise<number[]> {
    mkdirSync(join(this.root, 'git'), { recursive: true });
    const epochs = await this.sourceEpochs();
    for (const n of epochs) {
      const dest = this.mirrorPath(n);
      if (!existsSync(join(dest, 'HEAD'))) {
        await simpleGit().clone(epochUrl(this.cfg.url, n), dest, ['--mirror', '--quiet']);
      } else {
        // The inbox's url may have changed in the config since the mirror was made: follow the
        // config, not the mirror's first origin (same name, other archive).
        const origin = (await simpleGit(dest).raw(['config', '--get', 'remote.origin.url']).catch(() => '')).trim();
        if (origin !== epochUrl(this.cfg.url, n)) await simpleGit(dest).raw(['remote', 'set-url', 'origin', epochUrl(this.cfg.url, n)]);
        // A mirror refspec (+refs/*:refs/*) force-updates: a rewritten upstream replaces our refs.
        await simpleGit(dest).raw(['fetch', '--quiet', '--prune', '--force', 'origin']);
      }
    }
    return epochs;
  }

  git(epoch: number): SimpleGit {
    return simpleGit(this.mirrorPath(epoch));
  }

  private async head(g: SimpleGit): Promise<string | undefined> {
    try {
      return (await g.raw(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])).trim() || undefined;
    } catch {
      return undefined; // empty epoch
    }
  }

  private async isAncestor(g: SimpleGit, a: string, b: string): Promise<boolean> {
    try {
      // (simple-git does not report `--is-ancestor`'s silent exit status 1 as an error)
      return (await g.raw(['merge-base', a, b])).trim() === a;
    } catch {
      return false; // not an ancestor, or the object is gone
    }
  }

  /**
   * The entries after the cursor, oldest first. `rewritten` is true when the cursor was not an
   * ancestor of the head (the caller must then dedupe by Message-ID, which it does anyway).
   */
  async pending(db: DB, epoch: number, opts: WalkOptions = {}): Promise<{ entries: InboxEntry[]; rewritten: boolean; head?: string }> {
    const g = this.git(epoch);
    const head = await this.head(g);
    if (!head) return { entries: [], rewritten: false };
    const cur = getCursor(db, this.cfg.name, epoch);
    const args = ['log', '--reverse', '--root', '--raw', '--no-abbrev', '--no-renames', '--format=%x01%H %ct'];
    let rewritten = false;
    if (cur) {
      if (cur.last_commit === head) return { entries: [], rewritten: false, head };
      if (await this.isAncestor(g, cur.last_commit, head)) {
        args.push(`${cur.last_commit}..${head}`);
      } else {
        rewritten = true;
        const since = Math.floor((cur.last_time - (opts.rewriteWindowMs ?? 2 * 86400_000)) / 1000);
        args.push(`--since=@${since}`, head);
      }
    } else {
      if (opts.initialSince !== undefined) args.push(`--since=@${Math.floor(opts.initialSince / 1000)}`);
      args.push(head);
    }
    const out = await g.raw(args);
    const entries: InboxEntry[] = [];
    for (const chunk of out.split('\x01')) {
      const lines = chunk.split('\n');
      const m = /^([0-9a-f]{40}) (\d+)$/.exec(lines[0]!.trim());
      if (!m) continue;
      let pick: { kind: 'm' | 'd'; blob: string } | undefined;
      for (const l of lines.slice(1)) {
        // :100644 100644 <old> <new> M\tm
        const r = /^:\d+ \d+ [0-9a-f]+ ([0-9a-f]{40}) ([AM])\t([md])$/.exec(l);
        if (r) {
          const kind = r[3] as 'm' | 'd';
          if (!pick || kind === 'd') pick = { kind, blob: r[1]! };
        }
      }
      if (!pick) continue;
      const entry: InboxEntry = { inbox: this.cfg.name, epoch, commit: m[1]!, time: Number(m[2]) * 1000, kind: pick.kind, blob: pick.blob, size: 0 };
      try {
        entry.size = Number((await g.raw(['cat-file', '-s', pick.blob])).trim());
      } catch (err) {
        // One object missing (a partial mirror, a pruned or corrupt pack) is one unreadable
        // message, not an unreadable inbox: the caller skips it and moves the cursor on.
        entry.unreadable = `unreadable object: blob ${pick.blob} of commit ${m[1]!.slice(0, 12)}: ${gitError(err)}`;
      }
      entries.push(entry);
    }
    return { entries, rewritten, head };
  }

  async read(entry: InboxEntry): Promise<Buffer> {
    return this.git(entry.epoch).binaryCatFile(['blob', entry.blob]);
  }
}

/** The first line git wrote on standard error (`fatal: ...`), without simple-git's wrapping. */
export function gitError(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? 'git failed';
}

/** Split an mbox (mboxrd / mboxo) into raw messages, for one-off runs from a file or stdin. */
export function splitMbox(buf: Buffer): Buffer[] {
  const text = buf.toString('latin1');
  const lines = text.split('\n');
  const out: Buffer[] = [];
  let cur: string[] | undefined;
  const flush = (): void => {
    if (cur && cur.some((l) => l.trim() !== '')) out.push(Buffer.from(cur.join('\n'), 'latin1'));
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const prevBlank = i === 0 || lines[i - 1]!.replace(/\r$/, '') === '';
    if (prevBlank && /^From \S+/.test(l) && (/^From \S+\s+(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b/.test(l) || /^From [0-9a-f]{40} /.test(l))) {
      flush();
      cur = [];
      continue;
    }
    if (!cur) cur = [];
    cur.push(l.replace(/^>(>*From )/, '$1'));
  }
  flush();
  return out;
}
