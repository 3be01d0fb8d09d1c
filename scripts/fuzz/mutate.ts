// Structure-aware mutations of real patches and mails (issue 13, fuzzing): each takes a seed
// text and a random source and returns a variant a hostile or broken sender could produce —
// hunk counts that lie, huge numbers, CR/LF and NUL, deep nesting, long lines, repeated file
// sections, RFC 2047 encoded words in the headers. Deterministic for a given random source.

/** A small seeded PRNG (mulberry32): the same seed gives the same inputs on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rng = () => number;
const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

/** Positions of the lines matching `re` (line starts). */
function linesMatching(text: string, re: RegExp): number[] {
  const out: number[] = [];
  let at = 0;
  for (const line of text.split('\n')) {
    if (re.test(line)) out.push(at);
    at += line.length + 1;
  }
  return out;
}

function replaceLineAt(text: string, at: number, f: (line: string) => string): string {
  const end = text.indexOf('\n', at);
  const stop = end < 0 ? text.length : end;
  return text.slice(0, at) + f(text.slice(at, stop)) + text.slice(stop);
}

/** A line of the text, chosen among those matching `re` (or any line). */
function someLine(rng: Rng, text: string, re = /^/): number | undefined {
  const at = linesMatching(text, re);
  return at.length ? pick(rng, at) : undefined;
}

const HUGE = ['0', '1', '-1', '999999', '1000000', '1000001', '2147483648', '4294967297', '9007199254740993', '1e9', '99999999999999999999999', 'NaN', '', '+', '0x10', '٣'];

export interface Mutator {
  name: string;
  apply(text: string, rng: Rng): string;
}

export const MUTATORS: readonly Mutator[] = [
  {
    name: 'hunk-count',
    apply(text, rng) {
      const at = someLine(rng, text, /^@@ /);
      if (at === undefined) return text;
      return replaceLineAt(text, at, (l) => l.replace(/\d+/g, (n) => (rng() < 0.5 ? n : String(Math.max(0, Number(n) + int(rng, -3, 3))))));
    },
  },
  {
    name: 'huge-number',
    apply(text, rng) {
      const at = someLine(rng, text, /^@@ |^index |^Subject:|^Date:/);
      if (at === undefined) return text;
      return replaceLineAt(text, at, (l) => {
        let k = 0;
        return l.replace(/\d+/g, (n) => (k++ === 0 || rng() < 0.5 ? pick(rng, HUGE) : n));
      });
    },
  },
  {
    name: 'crlf',
    apply(text, rng) {
      switch (int(rng, 0, 3)) {
        case 0:
          return text.replace(/\r?\n/g, '\r\n');
        case 1:
          return text.replace(/\n/g, () => (rng() < 0.2 ? '\r\n' : '\n'));
        case 2:
          return text.replace(/\n/g, () => (rng() < 0.1 ? '\r' : '\n'));
        default: {
          const at = int(rng, 0, text.length);
          return `${text.slice(0, at)}${pick(rng, ['\r', '\r\r\n', '\n\r', '\u2028', '\u0085'])}${text.slice(at)}`;
        }
      }
    },
  },
  {
    name: 'nul',
    apply(text, rng) {
      let out = text;
      for (let k = int(rng, 1, 4); k > 0; k--) {
        const at = int(rng, 0, out.length);
        out = `${out.slice(0, at)}${pick(rng, ['\0', '\0\0\0', '\x01', '\x1b[2J', '\x7f', '\ufffd'])}${out.slice(at)}`;
      }
      return out;
    },
  },
  {
    name: 'deep-nesting',
    apply(text, rng) {
      const at = someLine(rng, text, /^[+ -]\t/);
      if (at === undefined) return text;
      const depth = pick(rng, [50, 199, 200, 201, 500, 3000, 20000]);
      const open = pick(rng, ['{', '(', 'if (x) {', '#if A\n+', 'x ? y : (', '{ .a = ']);
      const close = { '{': '}', '(': ')', 'if (x) {': '}', '#if A\n+': '#endif\n+', 'x ? y : (': ')', '{ .a = ': ' }' }[open]!;
      const oneLine = !open.includes('\n') && rng() < 0.5;
      const body = oneLine ? `+\t${open.repeat(depth)}x;${close.repeat(depth)}` : `+${open.repeat(depth)}\n+\tx;\n+${close.repeat(depth)}`;
      const added = body.split('\n').length;
      // Keep the hunk's counts honest half the time, so the nesting reaches the facts builder.
      let out = replaceLineAt(text, at, (l) => `${body}\n${l}`);
      if (rng() < 0.5) out = out.replace(/^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/m, (_, a, b, c, d) => `@@ -${a},${b ?? 1} +${c},${Number(d ?? 1) + added} @@`);
      return out;
    },
  },
  {
    name: 'long-line',
    apply(text, rng) {
      const at = someLine(rng, text);
      if (at === undefined) return text;
      const n = pick(rng, [1000, 10_000, 100_000, 400_000]);
      const unit = pick(rng, [' ', '\t', 'a', '(', '/*', '-', '=?', '[', '>', '"\\', 'EXPORT_SYMBOL(']);
      return replaceLineAt(text, at, (l) => `${l}${unit.repeat(Math.ceil(n / unit.length))}${pick(rng, ['', 'x', ')', '\r'])}`);
    },
  },
  {
    name: 'repeat-section',
    apply(text, rng) {
      const start = text.indexOf('diff --git');
      if (start < 0) return text;
      const next = text.indexOf('\ndiff --git', start + 1);
      const sig = text.indexOf('\n-- \n', start);
      const end = next >= 0 ? next + 1 : sig >= 0 ? sig + 1 : text.length;
      const section = text.slice(start, end);
      return text.slice(0, end) + section.repeat(pick(rng, [1, 2, 9, 40])) + text.slice(end);
    },
  },
  {
    name: 'encoded-word',
    apply(text, rng) {
      const at = someLine(rng, text, /^(Subject|From|To|Cc|Message-I[Dd]|In-Reply-To|References):/i);
      if (at === undefined) return text;
      const payload = pick(rng, ['a\r\nBcc: victim@example.org', '<x\r\n\r\nbody>', '\0', 'ünïcödé', '=?=', `${'é'.repeat(200)}`, 'a\tb\u2028c', '"q@x"<y>']);
      const enc = rng() < 0.5 ? `=?utf-8?B?${Buffer.from(payload).toString('base64')}?=` : `=?utf-8?Q?${[...Buffer.from(payload)].map((b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')}?=`;
      return replaceLineAt(text, at, (l) => `${l.slice(0, l.indexOf(':') + 1)} ${rng() < 0.5 ? enc : `${l.slice(l.indexOf(':') + 1).trim()} ${enc}`}`);
    },
  },
  {
    name: 'truncate',
    apply(text, rng) {
      return text.slice(0, int(rng, 0, text.length));
    },
  },
  {
    name: 'drop-line',
    apply(text, rng) {
      const lines = text.split('\n');
      for (let k = int(rng, 1, 3); k > 0 && lines.length; k--) lines.splice(int(rng, 0, lines.length - 1), 1);
      return lines.join('\n');
    },
  },
  {
    name: 'duplicate-line',
    apply(text, rng) {
      const lines = text.split('\n');
      const i = int(rng, 0, lines.length - 1);
      lines.splice(i, 0, ...Array<string>(int(rng, 1, 50)).fill(lines[i] ?? ''));
      return lines.join('\n');
    },
  },
  {
    name: 'flip-marker',
    apply(text, rng) {
      const at = someLine(rng, text, /^[-+ ]/);
      if (at === undefined) return text;
      return replaceLineAt(text, at, (l) => `${pick(rng, ['+', '-', ' ', '\\', '@', ''])}${l.slice(1)}`);
    },
  },
  {
    name: 'path',
    apply(text, rng) {
      const at = someLine(rng, text, /^(diff --git|--- |\+\+\+ |rename (from|to) )/);
      if (at === undefined) return text;
      const bad = pick(rng, ['../../etc/passwd', '/abs/x.c', 'a b.c', '"q\\tuo\\"te.c"', 'x\ty.c', 'dir/./x.c', 'x.c\\', '', 'dev/null', 'ü.c', 'a/b/c.h']);
      return replaceLineAt(text, at, (l) => l.replace(/[ab]\/\S+/, (m) => `${m.slice(0, 2)}${bad}`));
    },
  },
  {
    name: 'byte-flip',
    apply(text, rng) {
      const chars = [...text];
      for (let k = int(rng, 1, 8); k > 0 && chars.length; k--) chars[int(rng, 0, chars.length - 1)] = String.fromCharCode(int(rng, 0, 0x7f));
      return chars.join('');
    },
  },
  {
    name: 'splice',
    apply(text, rng) {
      // Two halves of the same text cut at different places: headers of one, hunks of another.
      const a = int(rng, 0, text.length);
      const b = int(rng, 0, text.length);
      return text.slice(0, a) + text.slice(b);
    },
  },
  {
    name: 'mime',
    apply(text, rng) {
      const head = text.indexOf('\n\n');
      if (head < 0) return text;
      const boundary = pick(rng, ['b', '', '--', 'x'.repeat(200)]);
      const cte = pick(rng, ['base64', 'quoted-printable', '8bit', 'x-uuencode', '7bit']);
      const body = text.slice(head + 2);
      const encoded = cte === 'base64' ? Buffer.from(body).toString('base64').replace(/.{76}/g, '$&\n') : cte === 'quoted-printable' ? body.replace(/=/g, '=3D') : body;
      return `${text.slice(0, head)}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="${boundary}"\n\n--${boundary}\nContent-Type: text/plain; charset=${pick(rng, ['utf-8', 'latin1', 'x-unknown', 'utf-16'])}\nContent-Transfer-Encoding: ${cte}\n\n${encoded}\n--${boundary}--\n`;
    },
  },
];

/** One to three mutations of the seed, by name: the input and how it was made. */
export function mutate(seed: string, rng: Rng): { text: string; how: string[] } {
  let text = seed;
  const how: string[] = [];
  for (let k = int(rng, 1, 3); k > 0; k--) {
    const m = pick(rng, MUTATORS);
    text = m.apply(text, rng);
    how.push(m.name);
  }
  return { text, how };
}
