// The lore documentation says what the implementation does: every policy key and its default is in
// docs/LORE.md's table (a default nobody wrote down, like the 3 replies per author per hour, is a
// surprise), and README.md and docs/LORE.md describe the outbox's SMTP delivery the same way, as
// at least once (the crash test in smtp.test.ts shows the resend with the same Message-ID).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ListPolicySchema } from '../../src/lore/policy.js';

const LORE = readFileSync(new URL('../../docs/LORE.md', import.meta.url), 'utf8');
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** `key` → the default as written in the table (`true`, `20`, `[]`, `recipients`, `none`). */
function documentedDefaults(): Map<string, string> {
  const out = new Map<string, string>();
  const section = LORE.slice(LORE.indexOf('## Policy file'), LORE.indexOf('## Commands'));
  for (const m of section.matchAll(/^\| `([a-z_.]+)` \| ([^|]+) \|/gm)) out.set(m[1]!, m[2]!.trim().replace(/^`|`$/g, ''));
  return out;
}

function actualDefaults(): Map<string, string> {
  const out = new Map<string, string>();
  const put = (prefix: string, v: unknown): void => {
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) put(prefix ? `${prefix}.${k}` : k, x);
    else out.set(prefix, v === undefined ? 'none' : Array.isArray(v) ? JSON.stringify(v) : String(v));
  };
  const d = ListPolicySchema.parse({});
  for (const key of Object.keys(ListPolicySchema.shape)) put(key, (d as Record<string, unknown>)[key]);
  return out;
}

describe('docs/LORE.md and README.md', () => {
  it('every policy key is documented with its real default', () => {
    const doc = documentedDefaults();
    const real = actualDefaults();
    expect(real.get('rate_limit.per_author_per_hour')).toBe('3');
    expect(Object.fromEntries(doc)).toEqual(Object.fromEntries(real));
  });

  it('SMTP delivery is described as at least once, in both', () => {
    expect(README).not.toMatch(/exactly one delivered copy/);
    const readmeLore = README.slice(README.indexOf('## Run as a lore responder'), README.indexOf('## Run as a GitHub App'));
    expect(readmeLore.replace(/\s+/g, ' ')).toMatch(/SMTP delivery is at least once/);
    expect(LORE.replace(/\s+/g, ' ')).toMatch(/\*\*SMTP:\*\* at least once, with the Message-ID as idempotency key — not exactly once/);
  });
});
