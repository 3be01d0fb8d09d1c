// Test helpers for the lore responder: a real public-inbox v2 inbox written with simple-git (one
// worktree per epoch pushed to a bare `git/<N>.git`, each commit holding one `m` or `d` blob),
// realistic patch mails, and a hand-written ReviewFn for unit tests that need no kernel tree.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import type { ReviewFn } from '../../src/engine/api.js';
import type { Finding } from '../../src/engine/types.js';

export function scratch(prefix = 'modreview-lore-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export class TestInbox {
  private work = new Map<number, SimpleGit>();
  private clock = Date.parse('2025-01-15T09:00:00Z');
  private dirty = new Set<SimpleGit>();

  constructor(readonly root: string) {}

  private async epoch(n: number): Promise<SimpleGit> {
    const have = this.work.get(n);
    if (have) return have;
    const bare = join(this.root, 'git', `${n}.git`);
    const wt = join(this.root, '.work', String(n));
    mkdirSync(bare, { recursive: true });
    mkdirSync(wt, { recursive: true });
    await simpleGit(bare).init(true);
    const g = simpleGit(wt, { config: ['user.name=public-inbox', 'user.email=public-inbox@localhost', 'commit.gpgsign=false'] });
    await g.init();
    await g.raw(['checkout', '-q', '-b', 'master']);
    await g.addRemote('origin', bare);
    this.work.set(n, g);
    return g;
  }

  /** Commit time of the next message (each message one minute after the last). */
  setClock(ms: number): void {
    this.clock = ms;
  }

  private async commit(g: SimpleGit, subject: string): Promise<string> {
    this.clock += 60_000;
    const date = new Date(this.clock).toISOString();
    await g.env({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date }).raw(['commit', '-q', '--allow-empty-message', '-m', subject.slice(0, 70) || 'message']);
    await g.raw(['push', '-q', '--force', 'origin', 'HEAD:refs/heads/master']);
    return (await g.revparse(['HEAD'])).trim();
  }

  /** Add a message as public-inbox does: the tree holds just `m`. */
  async add(raw: string | Buffer, epoch = 0): Promise<string> {
    const g = await this.epoch(epoch);
    const wt = (await g.revparse(['--show-toplevel'])).trim();
    if (existsSync(join(wt, 'd'))) await g.raw(['rm', '-q', 'd']);
    writeFileSync(join(wt, 'm'), raw);
    await g.add('m');
    const subject = /^Subject: (.*)$/m.exec(raw.toString().slice(0, 4000))?.[1] ?? '';
    return this.commit(g, subject);
  }

  /** Record a deletion: `m` goes, `d` (the removed message) comes. */
  async remove(raw: string | Buffer, epoch = 0): Promise<string> {
    const g = await this.epoch(epoch);
    const wt = (await g.revparse(['--show-toplevel'])).trim();
    if (existsSync(join(wt, 'm'))) await g.raw(['rm', '-q', 'm']);
    writeFileSync(join(wt, 'd'), raw);
    await g.add('d');
    return this.commit(g, 'delete');
  }

  /** Push what was committed to the bare epochs (what a public-inbox writer does on each batch). */
  async publish(): Promise<void> {
    for (const g of this.dirty) await g.raw(['push', '-q', '--force', 'origin', 'HEAD:refs/heads/master']);
    this.dirty.clear();
  }

  /** Rewrite history: drop the last `n` commits of an epoch (as a purge does) and force-push. */
  async dropLast(n: number, epoch = 0): Promise<void> {
    const g = await this.epoch(epoch);
    await g.raw(['reset', '-q', '--hard', `HEAD~${n}`]);
    this.dirty.add(g);
  }
}

export interface MailOpts {
  msgid: string;
  subject: string;
  from?: string;
  to?: string[];
  cc?: string[];
  inReplyTo?: string;
  references?: string[];
  date?: string;
  body: string;
  extraHeaders?: string[];
}

export function mail(o: MailOpts): string {
  const h = [
    `From: ${o.from ?? 'Jane Developer <jane@example.org>'}`,
    `Date: ${o.date ?? 'Wed, 15 Jan 2025 09:12:00 +0000'}`,
    `Subject: ${o.subject}`,
    `Message-ID: <${o.msgid}>`,
  ];
  if (o.inReplyTo) h.push(`In-Reply-To: <${o.inReplyTo}>`);
  const refs = o.references ?? (o.inReplyTo ? [o.inReplyTo] : []);
  if (refs.length) h.push(`References: ${refs.map((r) => `<${r}>`).join(' ')}`);
  h.push(`To: ${(o.to ?? ['dm-devel@lists.linux.dev']).join(', ')}`);
  if (o.cc?.length) h.push(`Cc: ${o.cc.join(', ')}`);
  h.push('MIME-Version: 1.0', 'Content-Type: text/plain; charset=UTF-8', 'Content-Transfer-Encoding: 8bit', ...(o.extraHeaders ?? []));
  return `${h.join('\n')}\n\n${o.body}`;
}

const EXAMPLES = new URL('../../examples/', import.meta.url);

/** An example format-patch file as a list mail: strip the mbox line, add list headers. */
export function exampleAsMail(name: string, o: Omit<MailOpts, 'body' | 'subject'> & { subject?: string }): string {
  const text = readFileSync(new URL(name, EXAMPLES), 'utf8').replace(/^From [0-9a-f]{40} .*\n/, '');
  const split = text.indexOf('\n\n');
  const head = text.slice(0, split);
  const body = text.slice(split + 2);
  const subject = o.subject ?? /^Subject: (.*)$/m.exec(head)![1]!;
  return mail({ ...o, subject, body });
}

/** A one-hunk patch to a made-up driver; `eexist` puts `return -EEXIST;` on an added line. */
export function patchBody(o: { file: string; fn: string; eexist: boolean; tag?: string; trailer?: string }): string {
  const added = o.eexist ? '\t\treturn -EEXIST;' : `\t\treturn -EBUSY; /* ${o.tag ?? 'busy'} */`;
  return `Make ${o.fn}() report duplicates${o.tag ? ` (${o.tag})` : ''}.

Signed-off-by: Jane Developer <jane@example.org>
---
 ${o.file} | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/${o.file} b/${o.file}
index 1111111..2222222 100644
--- a/${o.file}
+++ b/${o.file}
@@ -10,7 +10,7 @@ int ${o.fn}(struct foo_type *type)
 {
 	if (find_type(type->name))
-		return -ENOENT;
+${added}
 	list_add(&type->list, &types);
 	return 0;
 }
 
${o.trailer ? `${o.trailer}\n` : ''}-- 
2.39.5
`;
}

/**
 * A stand-in for the engine: one `module-init-eexist` finding per added line returning -EEXIST.
 * Shaped like the real engine's Finding (fingerprint from rule, file, function and key).
 */
export const fakeReview: ReviewFn = async (sub) => {
  const findings: Finding[] = [];
  for (const [i, p] of sub.patches.entries()) {
    for (const f of p.files) {
      const file = f.newPath ?? f.oldPath ?? '';
      for (const h of f.hunks) {
        const fn = /(\w+)\(/.exec(h.section ?? '')?.[1];
        for (const l of h.lines) {
          if (l.kind !== 'add' || !/-EEXIST/.test(l.text)) continue;
          findings.push({
            rule: 'module-init-eexist',
            severity: 'error',
            confidence: 'high',
            file,
            line: l.newLine!,
            ...(fn ? { function: fn } : {}),
            message: `${fn ?? 'this function'}() now returns -EEXIST, and its result reaches module_init(); modprobe would take the failed load for "already loaded". Should this be -EBUSY?`,
            evidence: [`${fn}_init() -> ${fn}() -> -EEXIST`],
            precedents: [{ commit: '54416fd76770', subject: 'netfilter: conntrack: helper: Replace -EEXIST by -EBUSY' }],
            fingerprint: createHash('sha1').update(`module-init-eexist\0${file}\0${fn}\0EEXIST`).digest('hex').slice(0, 16),
            key: 'EEXIST:origin',
            patch: p.tags.index || i + 1,
            where: 'added',
          });
        }
      }
    }
  }
  return { findings, skipped: [], images: [], notes: [] };
};

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A small kernel-like git tree: drivers/foo is a tristate module of two objects; main.c's
 * module_init returns foo_register_type() from core.c. `crossFilePatch` makes that function
 * return -EEXIST: only an index of the tree sees that it reaches module_init (another file).
 */
export async function smallTree(dir: string): Promise<string> {
  const root = join(dir, 'linux');
  mkdirSync(join(root, 'drivers', 'foo'), { recursive: true });
  writeFileSync(join(root, 'drivers', 'foo', 'Kconfig'), 'config FOO\n\ttristate "Foo support"\n');
  writeFileSync(join(root, 'drivers', 'foo', 'Makefile'), 'obj-$(CONFIG_FOO) += foo.o\nfoo-y := core.o main.o\n');
  writeFileSync(join(root, 'drivers', 'foo', 'core.c'), SMALL_CORE);
  writeFileSync(
    join(root, 'drivers', 'foo', 'main.c'),
    `// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
#include "foo.h"

static struct foo_type foo_default = {
	.name = "default",
};

static int __init foo_init(void)
{
	return foo_register_type(&foo_default);
}

static void __exit foo_exit(void)
{
	foo_unregister_type(&foo_default);
}

module_init(foo_init);
module_exit(foo_exit);
MODULE_LICENSE("GPL");
`,
  );
  const g = simpleGit(root, { config: ['user.name=Tree', 'user.email=tree@localhost', 'commit.gpgsign=false'] });
  await g.init();
  await g.add('.');
  await g.raw(['commit', '-q', '-m', 'base']);
  return root;
}

const SMALL_CORE = `// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
#include <linux/list.h>
#include "foo.h"

static LIST_HEAD(foo_types);

int foo_register_type(struct foo_type *type)
{
	if (foo_find_type(type->name))
		return -EBUSY;
	list_add(&type->list, &foo_types);
	return 0;
}
EXPORT_SYMBOL(foo_register_type);
`;

/** The patch to smallTree()'s core.c: -EBUSY becomes -EEXIST (a cross-file module_init path). */
export function crossFilePatch(): string {
  const blob = (t: string) => createHash('sha1').update(`blob ${Buffer.byteLength(t)}\0${t}`).digest('hex').slice(0, 7);
  const after = SMALL_CORE.replace('return -EBUSY;', 'return -EEXIST;');
  return `Report a duplicate type as -EEXIST.

Signed-off-by: Jane Developer <jane@example.org>
---
 drivers/foo/core.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

diff --git a/drivers/foo/core.c b/drivers/foo/core.c
index ${blob(SMALL_CORE)}..${blob(after)} 100644
--- a/drivers/foo/core.c
+++ b/drivers/foo/core.c
@@ -8,7 +8,7 @@ static LIST_HEAD(foo_types);
 int foo_register_type(struct foo_type *type)
 {
 	if (foo_find_type(type->name))
-		return -EBUSY;
+		return -EEXIST;
 	list_add(&type->list, &foo_types);
 	return 0;
 }
-- 
2.39.5
`;
}
