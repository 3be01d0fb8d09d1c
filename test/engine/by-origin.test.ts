// A scan reports one finding per origin: an -EEXIST that flows to module_init through many
// functions is one problem (the origin), with the functions it flows through as evidence.
import { describe, expect, it } from 'vitest';
import { byOrigin } from '../../src/engine/scan.js';
import type { Finding } from '../../src/engine/types.js';

const finding = (file: string, fn: string, line: number, group?: string): Finding => ({
  rule: 'module-init-eexist',
  severity: 'warning',
  confidence: 'high',
  file,
  line,
  function: fn,
  message: `${fn}`,
  evidence: [`${fn} evidence`],
  precedents: [],
  fingerprint: `${file}:${fn}`,
  key: `k:${fn}`,
  patch: 0,
  where: 'outside',
  ...(group ? { group } : {}),
});

describe('byOrigin', () => {
  it('keeps the origin finding and lists the other places as evidence', () => {
    const g = 'EEXIST@crypto/algapi.c:__crypto_register_alg';
    const out = byOrigin([
      finding('crypto/aes.c', 'aes_init', 10, g),
      finding('crypto/algapi.c', '__crypto_register_alg', 5, g),
      finding('crypto/sha.c', 'sha_init', 20, g),
      finding('drivers/x.c', 'other', 1),
    ]);
    expect(out).toHaveLength(2);
    const origin = out.find((f) => f.function === '__crypto_register_alg')!;
    expect(origin.evidence).toEqual(['__crypto_register_alg evidence', 'also flows through aes_init() (crypto/aes.c:10)', 'also flows through sha_init() (crypto/sha.c:20)']);
    expect(out.find((f) => f.function === 'other')!.evidence).toEqual(['other evidence']);
  });

  it('without the origin among the findings, the first place stands for the group', () => {
    const g = 'EEXIST@lib/reg.c:reg';
    const out = byOrigin([finding('a.c', 'a_init', 1, g), finding('b.c', 'b_init', 2, g)]);
    expect(out).toHaveLength(1);
    expect(out[0]!.function).toBe('a_init');
    expect(out[0]!.evidence).toContain('also flows through b_init() (b.c:2)');
  });
});
