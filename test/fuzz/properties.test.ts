// Issue 13 (D): property tests, a short seeded run inside `npm test` (`npm run fuzz` runs 10,000+
// inputs through the whole review path; docs/RELIABILITY.md). Over the mail reader, the diff
// reader and applier, the C facts builder and the reply renderer: no exception escapes, results
// keep their contract (scripts/fuzz/contract.ts), and every header the bot writes is one line.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { extractFacts } from '../../src/c/facts.js';
import { applyHunks, hunkOnlyImages, lineShift, reverseApplies } from '../../src/diff/apply.js';
import { parseUnifiedDiff } from '../../src/diff/parse.js';
import { reviewSubmission } from '../../src/engine/review.js';
import type { Finding } from '../../src/engine/types.js';
import { InputError } from '../../src/errors.js';
import { readMail } from '../../src/ingest/mail.js';
import { readSubmission } from '../../src/ingest/series.js';
import type { Patch, Person } from '../../src/ingest/types.js';
import { renderReply, toRaw } from '../../src/report/email.js';
import { BOT, diffViolations, factsViolations, replyViolations, resultViolations } from '../../scripts/fuzz/contract.js';
import { loadSeeds, runFuzz } from '../../scripts/fuzz/run.js';
import { MUTATORS, mutate, prng } from '../../scripts/fuzz/mutate.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SEEDS = loadSeeds(ROOT);
const SEED = 20261313;
const runs = (numRuns: number) => ({ numRuns, seed: SEED });

/** A seed text mutated one to three times (the fuzz driver's inputs). */
const mutated = fc.record({ seed: fc.constantFrom(...SEEDS), n: fc.integer() }).map(({ seed, n }) => mutate(seed.text, prng(n)).text);
/** Text of the characters diffs and mails are made of, control characters and line breaks included. */
const noisy = fc.string({ unit: fc.constantFrom('@', '-', '+', ' ', '\n', '\r', '\t', '\0', ',', '1', '0', 'a', '/', '"', '\\', '=', '?', 'é', '\u2028', 'diff --git a/x.c b/x.c\n', '--- a/x.c\n', '+++ b/x.c\n', '@@ -1,3 +1,4 @@\n'), maxLength: 400 });

describe('mail reader', () => {
  test.prop([fc.oneof(mutated, noisy)], runs(150))('reads any input or refuses it with an InputError; what it reads is well-formed', async (text) => {
    let sub;
    try {
      sub = await readSubmission(Buffer.from(text, 'utf8'));
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect(String((e as Error).message)).not.toMatch(/[\r\n]/);
      return;
    }
    expect(Array.isArray(sub.patches)).toBe(true);
    for (const p of sub.patches) {
      expect(typeof p.rawSubject).toBe('string');
      expect(diffViolations(p.files)).toEqual([]);
    }
  });

  test.prop([fc.uint8Array({ maxLength: 2000 })], runs(100))('readMail takes any bytes', async (bytes) => {
    const m = await readMail(Buffer.from(bytes));
    expect(Array.isArray(m.patch.files)).toBe(true);
  });
});

describe('diff reader and applier', () => {
  test.prop([fc.oneof(mutated, noisy), fc.string({ unit: fc.constantFrom('a', 'b', '\n', ' ', '{', '}', '\t'), maxLength: 200 })], runs(200))(
    'parse, apply, reverse-apply and hunk-only images never throw and stay consistent',
    (text, pre) => {
      const files = parseUnifiedDiff(text);
      expect(diffViolations(files)).toEqual([]);
      for (const f of files) {
        const r = applyHunks(pre, f);
        if (r.ok) {
          expect(typeof r.post).toBe('string');
          expect(r.offsets).toHaveLength(f.hunks.length);
          const shift = lineShift(f, r.offsets);
          for (let l = 1; l <= 5; l++) {
            const to = shift(l);
            expect(to === null || (Number.isSafeInteger(to) && to >= 1)).toBe(true);
          }
        } else expect(r.reason).toBeTruthy();
        expect(typeof reverseApplies(pre, f)).toBe('boolean');
        const img = hunkOnlyImages(f);
        expect(typeof img.pre + typeof img.post).toBe('stringstring');
      }
    },
  );
});

/** C-like text: real tokens, unbalanced braces and parentheses, preprocessor lines, deep runs. */
const cLike = fc
  .array(
    fc.oneof(
      fc.constantFrom('int f(void)\n{\n', 'static int __init x_init(void)\n{\n', '}\n', '{', '}', '(', ')', ';\n', 'if (ret)\n', 'else ', 'return -EEXIST;\n', 'goto out;\n', 'out:\n'),
      fc.constantFrom('ret = register_thing(&t);\n', 'module_init(x_init);\n', '#if A\n', '#endif\n', '#else\n', 'switch (x) { case 1: ', 'do { ', '} while (0);\n', 'x ? -EINVAL : ', 'static struct s o = { .a = f, };\n', '/* c */', '"s"', '\\\n'),
      fc.record({ s: fc.constantFrom('{', '(', 'if (x) ', '{ .a = ', 'x ? y : ('), n: fc.integer({ min: 1, max: 400 }) }).map(({ s, n }) => s.repeat(n)),
    ),
    { maxLength: 60 },
  )
  .map((xs) => xs.join(''));

describe('C facts builder', () => {
  test.prop([cLike], runs(200))('extracts facts from any C-like text without an exception; the facts are well-formed', (source) => {
    const facts = extractFacts('drivers/x.c', source);
    expect(factsViolations(source, facts)).toEqual([]);
  });
});

/** Header values as mail delivers them after decoding: CR/LF, NUL, encoded words, long runs. */
const hostile = fc.string({ unit: fc.constantFrom('a', ' ', '\r', '\n', '\r\n', '\0', '\t', '<', '>', '@', '"', ',', ':', '=?utf-8?Q?a=0D=0Ab?=', 'Bcc: x@y', 'é', '\u2028', '\u0085', 'x'.repeat(90)), maxLength: 40 });
const person = fc.record({ name: fc.option(hostile, { nil: undefined }), address: fc.oneof(hostile, fc.constant('jane@example.org')) }).map((p): Person => (p.name === undefined ? { address: p.address } : { name: p.name, address: p.address }));

describe('reply renderer', () => {
  test.prop([hostile, hostile, fc.array(hostile, { maxLength: 3 }), person, fc.array(person, { maxLength: 3 }), fc.array(hostile, { maxLength: 2 }), hostile], runs(200))(
    'every header of the reply is one logical line, whatever the mail answered held',
    (subject, messageId, references, author, to, notes, file) => {
      const patch: Patch = {
        messageId,
        rawSubject: subject,
        subject,
        tags: { subject, prefixes: [], version: 1, index: 1, total: 1, rfc: false, resend: false, reply: false, isPatch: true },
        author,
        references,
        to,
        cc: [],
        commitMessage: '',
        files: [],
        problems: [],
      };
      const finding: Finding = { rule: 'module-init-eexist', severity: 'error', confidence: 'high', file: file || 'x.c', line: 1, message: `m ${file}`, evidence: [file], precedents: [], fingerprint: '0123456789abcdef', key: 'k', patch: 1, where: 'added' };
      const reply = renderReply({ patch, findings: [finding], notes, bot: BOT, messageId: 'modreview-1@example.net', date: new Date(0), to: [author, ...to], cc: [], docsUrl: 'https://example.net/rules' });
      const raw = toRaw(reply, { to: [author, ...to], cc: [], from: BOT }).toString('utf8');
      const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
      expect(head).not.toMatch(/\r(?!\n)|(?<!\r)\n|\0/);
      const logical = head.split('\r\n').reduce<string[]>((acc, l) => (/^[ \t]/.test(l) ? [...acc.slice(0, -1), `${acc[acc.length - 1]}${l}`] : [...acc, l]), []);
      for (const h of logical) expect(h).toMatch(/^(From|To|Cc|Subject|Date|Message-ID|In-Reply-To|References|Auto-Submitted|X-Mailer|MIME-Version|Content-Type|Content-Transfer-Encoding): [^\r\n]*$/);
    },
  );
});

describe('the whole review path', () => {
  test.prop([mutated], runs(25))('readSubmission + reviewSubmission + the reply: no exception, contracts kept', async (text) => {
    let sub;
    try {
      sub = await readSubmission(Buffer.from(text, 'utf8'));
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return;
    }
    const result = await reviewSubmission(sub, {});
    expect(resultViolations(sub, result)).toEqual([]);
    expect(replyViolations(sub, result)).toEqual([]);
  });

  test('the fuzz driver runs, with every mutation', async () => {
    expect(MUTATORS.length).toBeGreaterThanOrEqual(10);
    const stats = await runFuzz({ inputs: 40, seed: 1, seeds: SEEDS });
    expect({ exceptions: stats.exceptions, violations: stats.violations, failures: stats.failures.map((f) => f.what) }).toEqual({ exceptions: 0, violations: 0, failures: [] });
    expect(stats.inputs).toBe(40);
    // The seeds are the example patches and the mail fixtures.
    expect(SEEDS.map((s) => s.name)).toEqual(expect.arrayContaining(['examples/dm-log-eexist.patch', 'test/fixtures/mail/thread.mbox']));
    expect(readFileSync(`${ROOT}/docs/RELIABILITY.md`, 'utf8')).toContain('npm run fuzz');
  });
});
