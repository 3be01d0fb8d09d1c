// The reply quotes what a finding is about, also when the patch only removes lines: the real
// engine on real Linux 6.12 files (drivers/char/ppdev.c), one patch dropping `.owner =
// THIS_MODULE` from pp_fops, one dropping an unwind step of ppdev_init(). And precedents stay
// `sha ("subject")` on one line however long, as kernel mail writes Fixes: tags.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reviewSubmission } from '../../src/engine/review.js';
import { readMail } from '../../src/ingest/mail.js';
import { readSubmission } from '../../src/ingest/series.js';
import { treeImages } from '../../src/lore/tree.js';
import { mailable, renderReply, type MailFinding } from '../../src/report/email.js';
import { kernelTree } from '../helpers/kernel.js';

const FILE = 'drivers/char/ppdev.c';

/** A format-patch mail removing the one line `line` (found after `after`) from FILE, 3 lines of context. */
function removal(subject: string, after: string, line: string): string {
  const lines = readFileSync(join(kernelTree(), FILE), 'utf8').split('\n');
  const from = lines.indexOf(after);
  const at = lines.indexOf(line, from);
  expect(from).toBeGreaterThanOrEqual(0);
  expect(at).toBeGreaterThan(from);
  const before = lines.slice(at - 3, at);
  const rest = lines.slice(at + 1, at + 4);
  const hunk = [`@@ -${at - 2},7 +${at - 2},6 @@`, ...before.map((l) => ` ${l}`), `-${line}`, ...rest.map((l) => ` ${l}`)];
  return [
    'From: Jane Developer <jane@example.org>',
    `Subject: [PATCH] ${subject}`,
    'Message-ID: <ppdev@example.org>',
    'Date: Wed, 15 Jan 2025 09:12:00 +0000',
    '',
    'Tidy.',
    '',
    'Signed-off-by: Jane Developer <jane@example.org>',
    '---',
    `diff --git a/${FILE} b/${FILE}`,
    `--- a/${FILE}`,
    `+++ b/${FILE}`,
    ...hunk,
    '-- ',
    '2.39.5',
    '',
  ].join('\n');
}

async function reply(text: string, rule: string): Promise<{ body: string; findings: MailFinding[] }> {
  const sub = await readSubmission(text);
  const result = await reviewSubmission(sub, { images: treeImages(kernelTree()), rules: [rule] });
  const findings = mailable(result.findings).filter((f) => f.rule === rule);
  const mail = await readMail(Buffer.from(text));
  const r = renderReply({
    patch: mail.patch,
    findings,
    bot: { name: 'modreview', address: 'bot@example.net' },
    messageId: 'r@example.net',
    date: new Date(0),
    to: [],
    cc: [],
    docsUrl: 'https://example.org/rules',
  });
  return { body: r.body, findings };
}

describe('quoting removed lines (real engine, real ppdev.c)', () => {
  it('a removed .owner = THIS_MODULE is quoted, the comment right under it', async () => {
    const { body, findings } = await reply(removal('ppdev: drop the owner', 'static const struct file_operations pp_fops = {', '\t.owner\t\t= THIS_MODULE,'), 'ops-missing-owner');
    expect(findings.length).toBeGreaterThan(0);
    // The finding's own line is the initialiser (post-image 789); the quote must still reach the removed line.
    expect(findings[0]!.line).toBe(789);
    const lines = body.split('\n');
    const at = lines.indexOf('> -\t.owner\t\t= THIS_MODULE,');
    expect(at).toBeGreaterThan(0);
    expect(lines[at - 1]).toBe('>  static const struct file_operations pp_fops = {');
    expect(lines[at + 1]).toBe('');
    expect(lines[at + 2]).toMatch(/^struct file_operations pp_fops no longer sets \.owner = THIS_MODULE/);
    // Nothing quoted after the commented line (the suggested fix after the comment is a diff, not a quote).
    expect(lines.filter((l) => l.startsWith('>'))).not.toContain('>  \t.read\t\t= pp_read,');
  });

  it('a removed unwind step (class_unregister() under out_class:) quotes that hunk', async () => {
    const { body, findings } = await reply(removal('ppdev: simplify the unwind', 'out_class:', '\tclass_unregister(&ppdev_class);'), 'init-error-unwind');
    expect(findings).toHaveLength(1);
    expect(findings[0]!.line).toBeLessThan(864); // the goto, outside the hunk
    const lines = body.split('\n');
    expect(lines).toContain(`> diff --git a/${FILE} b/${FILE}`);
    const at = lines.indexOf('> -\tclass_unregister(&ppdev_class);');
    expect(at).toBeGreaterThan(0);
    expect(lines[at - 1]).toBe('>  out_class:');
    expect(lines[at + 2]).toMatch(/^class_register\(ppdev_class\) at line \d+ is not undone/);
    expect(body).not.toMatch(/^drivers\/char\/ppdev\.c:\d+ \(ppdev_init\):$/m); // not left unplaced
  });
});

describe('precedents', () => {
  it('sha ("subject") stays on one line past 72 columns', async () => {
    const text = removal('ppdev: drop the owner', 'static const struct file_operations pp_fops = {', '\t.owner\t\t= THIS_MODULE,');
    const mail = await readMail(Buffer.from(text));
    const subject = 'netfilter: nf_conntrack_helper: a rather long subject that goes well past the wrap column of a reply';
    const r = renderReply({
      patch: mail.patch,
      findings: [
        {
          rule: 'ops-missing-owner',
          severity: 'warning',
          confidence: 'high',
          file: FILE,
          line: 789,
          message: 'struct file_operations pp_fops has no .owner = THIS_MODULE.',
          evidence: [],
          precedents: [{ commit: '0123456789abcdef', subject }],
          fingerprint: 'x',
          key: 'k',
          patch: 1,
          where: 'added',
        },
      ],
      bot: { name: 'modreview', address: 'bot@example.net' },
      messageId: 'r@example.net',
      date: new Date(0),
      to: [],
      cc: [],
      docsUrl: 'https://example.org/rules',
    });
    expect(r.body.split('\n')).toContain(`  0123456789ab ("${subject}")`);
  });
});
