// Mine public-inbox list archives (git epochs, one mail per commit in blob `m`) for patch mails
// whose subject matches a pattern, and print one JSON line per patch: list, Message-ID, subject,
// date, author and the diff only (never mail prose). Used to build the real-patch accuracy corpus
// (corpus/real/, docs/ACCURACY.md); run by hand, never by the tests.
//
//   node --import tsx scripts/corpus/mine.ts --pattern REGEX INBOX_GIT_DIR... > out.jsonl
import { spawn, execFileSync } from 'node:child_process';
import { basename, dirname } from 'node:path';
import { simpleParser } from 'mailparser';
import { extractDiff } from '../../src/ingest/mail.js';

interface Hit {
  list: string;
  commit: string;
  subject: string;
}

function listName(gitDir: string): string {
  // A mirror's git dir is `<owner>+<list>/repo`, or `.../repo/.git` when the snapshot has a work tree.
  let g = gitDir;
  while (g.length > 1 && g.endsWith('/')) g = g.slice(0, -1);
  if (basename(g) === '.git') g = dirname(g);
  const d = basename(g) === 'repo' ? basename(dirname(g)) : basename(g);
  return d.replace(/^linux-mailinglist-archives\+/, '');
}

/** A mailing list's own subject tag ahead of `[PATCH`, as `[f2fs-dev] ` or `[Linux-ntfs-dev] `. */
const LIST_TAG = /^\[[\w.-]+\]\s*/;

function candidates(gitDir: string, pattern: RegExp): Hit[] {
  const log = execFileSync('git', ['-C', gitDir, 'log', '--format=%H%x09%s'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const out: Hit[] = [];
  for (const line of log.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const subject = line.slice(tab + 1);
    // Sourceforge and redhat lists put their own tag first: `[f2fs-dev] [PATCH ...]`.
    if (!/^\[PATCH/i.test(subject.replace(LIST_TAG, '')) || !pattern.test(subject)) continue;
    out.push({ list: listName(gitDir), commit: line.slice(0, tab), subject });
  }
  return out;
}

/** Blob `m` of each commit through one `git cat-file --batch`. */
async function* mails(gitDir: string, hits: Hit[]): AsyncGenerator<[Hit, Buffer]> {
  const p = spawn('git', ['-C', gitDir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'ignore'] });
  let buf = Buffer.alloc(0);
  const it = p.stdout[Symbol.asyncIterator]();
  const need = async (n: number) => {
    while (buf.length < n) {
      const r = await it.next();
      if (r.done) throw new Error('cat-file ended early');
      buf = Buffer.concat([buf, r.value as Buffer]);
    }
  };
  for (const h of hits) {
    p.stdin.write(`${h.commit}:m\n`);
    let nl: number;
    for (;;) {
      nl = buf.indexOf(10);
      if (nl >= 0) break;
      await need(buf.length + 1);
    }
    const header = buf.subarray(0, nl).toString();
    buf = buf.subarray(nl + 1);
    const m = /^\S+ blob (\d+)$/.exec(header);
    if (!m) continue; // missing
    const size = Number(m[1]);
    await need(size + 1);
    const body = buf.subarray(0, size);
    buf = buf.subarray(size + 1);
    yield [h, Buffer.from(body)];
  }
  p.stdin.end();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const pi = args.indexOf('--pattern');
  if (pi < 0) throw new Error('--pattern REGEX required');
  const pattern = new RegExp(args[pi + 1]!, 'i');
  const dirs = args.filter((_, i) => i !== pi && i !== pi + 1);
  for (const dir of dirs) {
    const hits = candidates(dir, pattern);
    for await (const [h, raw] of mails(dir, hits)) {
      const mail = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
      const diff = extractDiff((mail.text ?? '').replace(/\r\n/g, '\n'));
      if (!diff || !/^diff --git a\/\S+\.[ch] /m.test(diff)) continue;
      const from = mail.from?.value[0];
      process.stdout.write(
        JSON.stringify({
          list: h.list,
          messageId: (mail.messageId ?? '').replace(/^<|>$/g, ''),
          subject: h.subject,
          date: mail.date?.toISOString().slice(0, 10),
          author: from ? `${from.name ?? ''} <${from.address ?? ''}>` : '',
          diff,
        }) + '\n',
      );
    }
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`mine: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
