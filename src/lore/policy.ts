// Who hears from the bot, per list. Muted unless a list opts in; never anyone who was not on the
// original mail; never the bot itself. Validated with zod: a bad file is one clear error.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Patch, Person } from '../ingest/types.js';
import { UsageError } from '../errors.js';
import { addressOk } from '../report/headers.js';

/** Checked by the same validator every address the reply writes goes through (headers.ts). */
const Address = z.string().refine(addressOk, 'must be a plain address like user@example.org');
/** `*` matches any run of characters: `*-bot@*`, `patchwork@*`. */
const Pattern = z.string().min(1);

export const ListPolicySchema = z
  .object({
    mute: z.boolean().default(true),
    /** To: the patch author. */
    reply_to_author: z.boolean().default(true),
    /** Cc: everyone on the original To/Cc, the list included (as the 0-day robot answers); false: private to the author. */
    reply_all: z.boolean().default(true),
    /** Addresses Cc'd when they were on the original mail (typically the list itself). */
    cc: z.array(Address).default([]),
    ignore_from: z.array(Pattern).default([]),
    embargo_hours: z.number().min(0).max(24 * 30).default(0),
    rate_limit: z
      .object({
        per_list_per_hour: z.number().int().min(0).default(20),
        per_author_per_hour: z.number().int().min(0).default(3),
      })
      .strict()
      .default({ per_list_per_hour: 20, per_author_per_hour: 3 }),
    /** Feedback by mail (`#modreview ignore|false-positive <rule>`): who may mute, and for how long. */
    feedback: z
      .object({
        /** `recipients`: anyone the reply went to (the author included); `author`: the patch author only; `maintainers`: only the addresses below. */
        mute_by: z.enum(['recipients', 'author', 'maintainers']).default('recipients'),
        maintainers: z.array(Address).default([]),
        /** A mute lapses this many days after it was received; the rule speaks again. */
        expire_days: z.number().positive().max(3650).default(90),
      })
      .strict()
      .default({ mute_by: 'recipients', maintainers: [], expire_days: 90 }),
    patchwork: z
      .object({
        url: z.string().url(),
        token: z.string().min(1),
        target_url: z.string().url().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ListPolicy = z.infer<typeof ListPolicySchema>;

export const PolicySchema = z
  .object({
    defaults: ListPolicySchema.partial().optional(),
    lists: z.record(z.string(), ListPolicySchema.partial()).default({}),
  })
  .strict();

export type PolicyFile = z.infer<typeof PolicySchema>;

export class Policy {
  constructor(private readonly file: PolicyFile = { lists: {} }) {}

  /** The lists the policy names. */
  lists(): string[] {
    return Object.keys(this.file.lists);
  }

  forList(list: string): ListPolicy {
    const merged = { ...(this.file.defaults ?? {}), ...(this.file.lists[list] ?? {}) };
    return ListPolicySchema.parse(merged);
  }
}

/** One line naming the first problem: `policy.yaml: lists.linux-modules.mute: expected boolean`. */
export function zodProblem(source: string, err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return `${source}: invalid`;
  const path = issue.path.map(String).join('.');
  return `${source}: ${path ? `${path}: ` : ''}${issue.message}`;
}

export function parsePolicy(data: unknown, source = 'policy'): Policy {
  const r = PolicySchema.safeParse(data ?? {});
  if (!r.success) throw new UsageError(zodProblem(source, r.error));
  const policy = new Policy(r.data);
  for (const [where, list] of [['defaults', undefined] as const, ...Object.keys(r.data.lists).map((l) => [`lists.${l}`, l] as const)]) {
    const fb = list === undefined ? ListPolicySchema.parse(r.data.defaults ?? {}).feedback : policy.forList(list).feedback;
    if (fb.mute_by === 'maintainers' && fb.maintainers.length === 0) {
      throw new UsageError(`${source}: ${where}.feedback.maintainers: mute_by is maintainers but no maintainer is listed (nobody could mute a rule)`);
    }
  }
  return policy;
}

export function loadPolicy(path: string): Policy {
  let data: unknown;
  try {
    data = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`${path}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  return parsePolicy(data, path);
}

export function matchesPattern(address: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return re.test(address);
}

export function ignoredSender(policy: ListPolicy, address: string | undefined): boolean {
  if (!address) return false;
  return policy.ignore_from.some((p) => matchesPattern(address, p));
}

const norm = (a: string): string => a.trim().toLowerCase();

/**
 * Recipients of a reply to `mail`, by policy. Only people on the original mail (From/To/Cc) can
 * appear; the bot never mails itself; an address appears once; only addresses we may write.
 */
export function recipients(policy: ListPolicy, mail: Pick<Patch, 'author' | 'to' | 'cc'>, bot: string): { to: Person[]; cc: Person[] } {
  const on = new Map<string, Person>();
  for (const p of [...(mail.author ? [mail.author] : []), ...mail.to, ...mail.cc]) {
    // An address that cannot be written as a header (decoded CR/LF, spaces) is nobody we can mail:
    // left out of the envelope as it is left out of To/Cc.
    if (p.address && addressOk(p.address) && !on.has(norm(p.address))) on.set(norm(p.address), p);
  }
  const seen = new Set<string>([norm(bot)]);
  const take = (p: Person | undefined): Person | undefined => {
    if (!p?.address || seen.has(norm(p.address)) || !on.has(norm(p.address))) return undefined;
    seen.add(norm(p.address));
    return p;
  };
  const to: Person[] = [];
  const cc: Person[] = [];
  if (policy.reply_to_author) {
    const a = take(mail.author);
    if (a) to.push(a);
  }
  if (policy.reply_all) {
    for (const p of [...mail.to, ...mail.cc]) {
      const x = take(p);
      if (x) (to.length === 0 ? to : cc).push(x);
    }
  }
  for (const addr of policy.cc) {
    const x = take(on.get(norm(addr)));
    if (x) (to.length === 0 ? to : cc).push(x);
  }
  return { to, cc };
}
