import { describe, expect, it } from 'vitest';
import { parseSubject } from '../../src/ingest/subject.js';

describe('parseSubject (b4 rules)', () => {
  const cases: [string, Partial<ReturnType<typeof parseSubject>>][] = [
    ['[PATCH v3 2/5] dm: foo', { subject: 'dm: foo', version: 3, index: 2, total: 5, isPatch: true, reply: false, prefixes: [] }],
    ['[PATCHv2] dm: foo', { subject: 'dm: foo', version: 2, index: 1, total: 1, isPatch: true }],
    ['[PATCH-v4 1/2] x: y', { version: 4, index: 1, total: 2 }],
    ['[PATCH RESEND] dm: foo', { resend: true, version: 1, isPatch: true, prefixes: [] }],
    ['[RFC PATCH net-next] net: bar', { rfc: true, isPatch: true, prefixes: ['net-next'], subject: 'net: bar' }],
    ['[RFC][PATCH 1/2] kernel/module: baz', { rfc: true, index: 1, total: 2, subject: 'kernel/module: baz' }],
    ['[PATCH net-next v3 02/10] foo', { prefixes: ['net-next'], version: 3, index: 2, total: 10 }],
    ['[PATCH 00/10] cover', { index: 0, total: 10, subject: 'cover' }],
    ['[PATCH v2 0/3] dm log: cleanups', { index: 0, total: 3, version: 2 }],
    ['[PATCH] lone', { index: 1, total: 1, version: 1, isPatch: true }],
    ['[dm-devel] [PATCH v2 1/2] list tag dropped', { prefixes: [], version: 2, index: 1, total: 2, subject: 'list tag dropped' }],
    ['[PATCH [net] 1/2] nested', { prefixes: ['net'], index: 1, total: 2, subject: 'nested' }],
    ['[PATCH 6.12 RESEND v2 3/4] stable', { prefixes: ['6.12'], resend: true, version: 2, index: 3, total: 4 }],
    ['Re: [PATCH v3 2/5] dm: foo', { reply: true, subject: 'dm: foo', version: 3, index: 2 }],
    ['RE: [PATCH] x', { reply: true, subject: 'x' }],
    ['Aw: [PATCH] x', { reply: true }],
    ['Fwd: [PATCH] x', { reply: true }],
    ['Re: Re: Fwd: [PATCH 1/2] x', { reply: true, index: 1, total: 2, subject: 'x' }],
    ['Re: plain discussion', { reply: true, isPatch: false, subject: 'plain discussion' }],
    ['Please review all modules for unload races', { isPatch: false, reply: false, index: 1, total: 1 }],
    ['', { subject: '', isPatch: false, version: 1, index: 1, total: 1 }],
    ['  [PATCH   v2   1/3]   spaced\tout  ', { version: 2, index: 1, total: 3, subject: 'spaced out' }],
  ];
  for (const [raw, want] of cases) {
    it(JSON.stringify(raw), () => {
      expect(parseSubject(raw)).toMatchObject(want);
    });
  }

  it('keeps the remaining brackets that are part of the title', () => {
    expect(parseSubject('[PATCH] x: fix a[0] access').subject).toBe('x: fix a[0] access');
  });
});
