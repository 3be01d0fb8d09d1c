// Kernel-macro neutralisation for tree-sitter-c.
//
// tree-sitter-c parses C, not "C after the kernel's macros", so real kernel files are full of
// constructs it reads as syntax errors: section/attribute annotations (`static int __init
// foo(void)` parses as a declaration of `__init` followed by a function *named* `foo_init`'s
// type...), iterator macros followed by a block (`list_for_each_entry(p, h, l) {`), type names
// passed to macros (`container_of(p, struct foo, m)`), declaring macros after `static`
// (`static SIMPLE_DEV_PM_OPS(pm, s, r);`), macro-defined functions (`SYSCALL_DEFINE3(...) {`),
// `module_init(fn)` without `;`, and GNU case ranges (`case 1 ... 6:`).
//
// preprocessKernelSource() rewrites those constructs *in place*:
//
//   * The result has exactly the same length (in UTF-16 code units) as the input, and every
//     newline stays at its offset, so line/column positions map 1:1 to the original.
//   * Only ASCII characters outside comments, string/char literals and preprocessor lines are
//     ever replaced, and only by ASCII characters. So UTF-8 byte offsets (what tree-sitter's
//     startIndex/endIndex report) are preserved too: `original.slice()` by a node's offsets
//     gives the original text of that node (for pure-ASCII files; in general convert via
//     Buffer.from(original) with byte offsets).
//   * Comments, string literals, `#` directives (including `#define` bodies, which tree-sitter
//     keeps as opaque preproc_arg text) are never touched.
//   * Function names, called function names, call arguments that are expressions, return
//     expressions, goto/labels, designated initialisers are never touched. The rewrites only
//     remove tokens that carry no control/data flow (annotations), or turn a macro whose
//     meaning tree-sitter cannot know into the nearest C construct with the same reading
//     (iterator macro → `while`, declaring macro → call statement).
//
// Rewrites, in order (see each function for why it is safe):
//   1. annotations        blankAnnotations()
//   2. iterator macros     rewriteIterators()      `list_for_each_entry(a, b, c) {` → `while (a, b, c) {`
//   3. file-scope macros   rewriteFileScope()      `static DEFINE_MUTEX(x);`  → `       DEFINE_MUTEX(x);`
//                                                  `module_init(foo)⏎`        → `module_init foo;⏎`
//                                                  `SYSCALL_DEFINE1(n, int, a) {` → `int             n(int, a) {`
//   4. type arguments      rewriteTypeArgs()       `container_of(p, struct foo, m)` → `container_of(p,        foo, m)`
//   5. GNU case ranges     rewriteCaseRanges()     `case 1 ... 6:` → `case 1  -  6:`
//   6. `#if`/`#else` arms that each open or close a different number of braces/parens: every arm
//      but the first is blanked (splitConditionals()).
//
// The scanner is a single linear pass over the characters; every rule walks the token array a
// bounded number of times. No regex backtracking over the whole file.

import { memoLast } from '../lru.js';

// ---------------------------------------------------------------------------------------------
// Token model

const enum K {
  Ident = 0,
  Num = 1,
  Str = 2,
  Punct = 3,
}

interface Tok {
  k: K;
  s: number; // start offset
  e: number; // end offset (exclusive)
  t: string; // text (for Ident/Punct; '' for Str)
  /** A newline lies between the previous significant token and this one. */
  nl: boolean;
  /** A preprocessor directive lies between the previous significant token and this one. */
  pp: boolean;
  /** Blanked by an earlier rule: ignored by later rules. */
  dead?: boolean;
}

interface Directive {
  s: number; // offset of '#'
  e: number; // end of the logical line (exclusive, before '\n')
  name: string; // if, ifdef, ifndef, elif, else, endif, define, ...
  /** Index into the token array of the first token after this directive. */
  nextTok: number;
}

function isIdStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
}
function isIdChar(c: number): boolean {
  return isIdStart(c) || (c >= 48 && c <= 57);
}

const PUNCT1: (string | undefined)[] = [];
for (let c = 33; c < 127; c++) PUNCT1[c] = String.fromCharCode(c);
const PUNCT2_FIRST = new Uint8Array(128);
for (const c of '-+<>=!&|*/%^#') PUNCT2_FIRST[c.charCodeAt(0)] = 1;
function PUNCT2_OK(c: number, d: number): boolean {
  return PUNCT2.has(String.fromCharCode(c, d));
}
const PUNCT2 = new Set([
  '->', '++', '--', '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '*=', '/=', '%=', '+=', '-=',
  '&=', '^=', '|=', '##',
]);

/** Linear lexer: significant tokens, skipping comments, literals' contents and directives. */
function lex(src: string): { toks: Tok[]; dirs: Directive[] } {
  const toks: Tok[] = [];
  const dirs: Directive[] = [];
  const n = src.length;
  let i = 0;
  let nl = true; // at start of file we are "after a newline"
  let pp = false;
  let lineStart = true; // only whitespace since the last newline
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 10) {
      nl = true;
      lineStart = true;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
      continue;
    }
    if (c === 92 /* \ */ && (src.charCodeAt(i + 1) === 10 || (src.charCodeAt(i + 1) === 13 && src.charCodeAt(i + 2) === 10))) {
      // line continuation outside a directive: treat as whitespace
      i += src.charCodeAt(i + 1) === 10 ? 2 : 3;
      nl = true;
      continue;
    }
    if (c === 47 /* / */) {
      const d = src.charCodeAt(i + 1);
      if (d === 42 /* * */) {
        const end = src.indexOf('*/', i + 2);
        const stop = end < 0 ? n : end + 2;
        if (src.indexOf('\n', i) >= 0 && src.indexOf('\n', i) < stop) nl = true;
        i = stop;
        continue;
      }
      if (d === 47) {
        // line comment (may continue with backslash-newline)
        let j = i + 2;
        while (j < n) {
          const e = src.charCodeAt(j);
          if (e === 10) {
            if (src.charCodeAt(j - 1) === 92) {
              j++;
              continue;
            }
            break;
          }
          j++;
        }
        i = j;
        continue;
      }
    }
    if (c === 35 /* # */ && lineStart) {
      // preprocessor directive: to the end of the logical line; comments inside may span lines
      let j = i + 1;
      while (j < n && (src.charCodeAt(j) === 32 || src.charCodeAt(j) === 9)) j++;
      let k = j;
      while (k < n && isIdChar(src.charCodeAt(k))) k++;
      const name = src.slice(j, k);
      j = k;
      while (j < n) {
        const e = src.charCodeAt(j);
        if (e === 10) {
          if (src.charCodeAt(j - 1) === 92 || (src.charCodeAt(j - 1) === 13 && src.charCodeAt(j - 2) === 92)) {
            j++;
            continue;
          }
          break;
        }
        if (e === 47 && src.charCodeAt(j + 1) === 42) {
          const end = src.indexOf('*/', j + 2);
          j = end < 0 ? n : end + 2;
          continue;
        }
        if (e === 47 && src.charCodeAt(j + 1) === 47) {
          while (j < n && src.charCodeAt(j) !== 10) j++;
          break;
        }
        if (e === 34 || e === 39) {
          j = skipQuoted(src, j);
          continue;
        }
        j++;
      }
      dirs.push({ s: i, e: j, name, nextTok: toks.length });
      pp = true;
      i = j;
      continue;
    }
    lineStart = false;
    const s = i;
    if (c === 34 /* " */ || c === 39 /* ' */) {
      i = skipQuoted(src, i);
      toks.push({ k: K.Str, s, e: i, t: '', nl, pp });
      nl = pp = false;
      continue;
    }
    if (isIdStart(c)) {
      i++;
      while (i < n && isIdChar(src.charCodeAt(i))) i++;
      // string prefixes L"..", u8".." belong to the literal
      const q = src.charCodeAt(i);
      if ((q === 34 || q === 39) && /^(L|u|U|u8)$/.test(src.slice(s, i))) {
        i = skipQuoted(src, i);
        toks.push({ k: K.Str, s, e: i, t: '', nl, pp });
      } else {
        toks.push({ k: K.Ident, s, e: i, t: src.slice(s, i), nl, pp });
      }
      nl = pp = false;
      continue;
    }
    if ((c >= 48 && c <= 57) || (c === 46 && src.charCodeAt(i + 1) >= 48 && src.charCodeAt(i + 1) <= 57)) {
      i++;
      while (i < n) {
        const e = src.charCodeAt(i);
        if (isIdChar(e) || e === 46) i++;
        else if ((e === 43 || e === 45) && /[eEpP]/.test(src[i - 1]!)) i++;
        else break;
      }
      toks.push({ k: K.Num, s, e: i, t: src.slice(s, i), nl, pp });
      nl = pp = false;
      continue;
    }
    let len = 1;
    const c1 = src.charCodeAt(i + 1);
    if (c === 46 && c1 === 46 && src.charCodeAt(i + 2) === 46) len = 3;
    else if (PUNCT2_FIRST[c] === 1 && c1 < 128 && PUNCT2_OK(c, c1)) {
      len = (c === 60 || c === 62) && c1 === c && src.charCodeAt(i + 2) === 61 ? 3 : 2;
    }
    const t = len === 1 ? (PUNCT1[c] ?? src[i]!) : src.slice(i, i + len);
    i += len;
    toks.push({ k: K.Punct, s, e: i, t, nl, pp });
    nl = pp = false;
  }
  return { toks, dirs };
}

function skipQuoted(src: string, i: number): number {
  const q = src.charCodeAt(i);
  const n = src.length;
  let j = i + 1;
  while (j < n) {
    const c = src.charCodeAt(j);
    if (c === 92) {
      j += 2;
      continue;
    }
    if (c === q) return j + 1;
    if (c === 10) return j; // unterminated on this line: stop, do not run away
    j++;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Edits: a character buffer, written only with ASCII over ASCII, never over '\n'.

const utf16 = new TextDecoder('utf-16le');

class Out {
  private buf: Uint16Array | null = null;
  constructor(private readonly src: string) {}
  private b(): Uint16Array {
    if (!this.buf) {
      const src = this.src;
      const n = src.length;
      const b = new Uint16Array(n);
      for (let i = 0; i < n; i++) b[i] = src.charCodeAt(i);
      this.buf = b;
    }
    return this.buf;
  }
  /** Overwrite [s, e) with spaces, keeping newlines, CRs and any non-ASCII char where they are. */
  blank(s: number, e: number): void {
    const b = this.b();
    for (let i = s; i < e; i++) {
      const c = b[i]!;
      if (c !== 10 && c !== 13 && c < 128) b[i] = 32;
    }
  }
  /** Write ASCII `text` at s over ASCII characters other than newline. */
  write(s: number, text: string): void {
    const b = this.b();
    for (let i = 0; i < text.length; i++) {
      const c = b[s + i]!;
      if (c === 10 || c === 13 || c >= 128) throw new Error('preprocess: write over newline or non-ASCII');
      b[s + i] = text.charCodeAt(i);
    }
  }
  result(): string {
    if (!this.buf) return this.src;
    // lone surrogates cannot survive a UTF-16 round trip: fall back to a slow join for them
    const r = utf16.decode(this.buf);
    if (r.length === this.src.length && !r.includes('\uFFFD')) return r;
    let out = '';
    const b = this.buf;
    for (let i = 0; i < b.length; i += 8192) out += String.fromCharCode(...b.subarray(i, i + 8192));
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

/** Annotations without arguments (include/linux/compiler*.h, init.h, cache.h, linkage.h, ...). */
const ANNOT = new Set([
  // sections
  '__init', '__exit', '__initdata', '__initconst', '__exitdata', '__exit_call', '__exitused',
  '__init_or_module', '__initdata_or_module', '__initconst_or_module', '__meminit', '__meminitdata',
  '__meminitconst', '__ref', '__refdata', '__refconst', '__ro_after_init', '__read_mostly',
  '__nosavedata', '__page_aligned_bss', '__page_aligned_data', '__cpuidle', '__sched', '__kprobes',
  '__irq_entry', '__softirq_entry', '__head', '__initrodata', '__devinit', '__devexit', '__devinitdata',
  '__devinitconst', '__cpuinit', '__cpuinitdata', '__init_memblock', '__initdata_memblock',
  '__lsm_ro_after_init', '__tracepoint_string', '__bpf_kfunc', '__noinstr_section',
  '__net_init', '__net_exit', '__net_initdata', '__net_exitdata',
  // sparse address spaces and checks
  '__user', '__kernel', '__iomem', '__rcu', '__percpu', '__force', '__nocast', '__safe', '__private',
  '__bitwise', '__data_racy',
  // function/object attributes
  '__must_check', '__maybe_unused', '__always_unused', '__always_used', '__used', '__unused',
  '__weak', '__cold', '__hot', '__packed', '__aligned_largest', '__pure', '__malloc', '__noreturn',
  '__visible', '__flatten', '__noclone', '__noipa', '__naked', '__nocfi', '__noscs', '__retain',
  '__always_inline', '__inline_maybe_unused', '__gnu_inline', '__no_kasan_or_inline',
  '__no_sanitize_or_inline', '__latent_entropy', '__randomize_layout', '__no_randomize_layout',
  '__designated_init', '__nonstring', '__attribute_const__', '__deprecated', '__function_aligned',
  '__no_caller_saved_registers', '__no_kcsan', '__no_kmsan_checks', '__no_profile',
  '__no_sanitize_address', '__no_sanitize_coverage', '__no_sanitize_memory', '__no_sanitize_thread',
  '__no_sanitize_undefined', '__no_stack_protector', '__noinitretpoline', '__noretpoline',
  '__notrace_funcgraph', '__overloadable', '__preserve_most', '__signed_wrap', '__uninitialized',
  '__disable_sanitizer_instrumentation', '__annotate_jump_table', '__fix_address',
  '__cacheline_aligned', '__cacheline_aligned_in_smp', '____cacheline_aligned',
  '____cacheline_aligned_in_smp', '____cacheline_internodealigned_in_smp',
  '__cacheline_internodealigned_in_smp', '__page_aligned', '__module_memory_align',
  '__aligned_largest', '__ksym', '__weak_alias', '__noendbr', '__no_fgcse', '__nostackprotector',
  // no leading underscores
  'noinline', 'noinline_for_stack', 'notrace', 'noinstr', 'nokprobe_inline', 'asmlinkage',
  '__visible', 'inline_for_stack', '__init_refok', '__exit_refok',
  'randomized_struct_fields_start', 'randomized_struct_fields_end',
]);

/** Annotations taking one parenthesised argument list (blanked together with it). */
const ANNOT_ARGS = new Set([
  '__attribute__', '__attribute', '__aligned', '__printf', '__scanf', '__section', '__alias',
  '__must_hold', '__acquires', '__releases', '__cond_acquires', '__cond_releases', '__acquire_ret',
  '__free', '__cleanup', '__counted_by', '__counted_by_le', '__counted_by_be', '__alloc_size',
  '__alloc_size__', '__realloc_size', '__assume_aligned', '__copy', '__diagnose_as', '__mode',
  '__compiletime_error', '__compiletime_warning', '__pass_object_size', '__pass_dynamic_object_size',
  '__annotated', '__guarded_by', '__pt_guarded_by', '__declspec', '__nocast', '__weak_alias',
  '__diag_ignore_all', '__no_sanitize', '__nonnull',
  '__exception_irq_entry',
]);

/** Words tree-sitter-c treats as keywords / primitive types (never identifiers of a call). */
const KEYWORDS = new Set([
  'if', 'else', 'while', 'for', 'do', 'switch', 'case', 'default', 'return', 'goto', 'break',
  'continue', 'sizeof', 'typeof', '__typeof__', '__typeof', 'typeof_unqual', '_Alignof', 'alignof',
  '__alignof__', 'offsetof', '_Generic', 'struct', 'union', 'enum', 'typedef', 'static', 'extern',
  'const', 'volatile', 'register', 'auto', 'inline', '__inline', '__inline__', 'restrict',
  '__restrict', '__restrict__', 'signed', 'unsigned', 'int', 'char', 'short', 'long', 'void',
  'float', 'double', '_Bool', 'bool', 'asm', '__asm__', '__asm', '_Static_assert',
  'static_assert', '__extension__', '_Noreturn', 'noreturn', 'thread_local', '_Thread_local',
  '__thread', '_Atomic', 'constexpr', 'nullptr', '__volatile__', '__builtin_offsetof',
]);

const GENERIC_ANNOT = /^__[a-z][a-z_]*$/;
/** `__wsum`, `__sum`, kernel typedefs without digits or `_t`: never treat as annotations. */
const TYPEISH = /_t$|^__(wsum|sum|kernel|le|be|u|s|poll|bitwise|restrict|int|builtin|attribute|typeof|func|FUNCTION|PRETTY|inline|signed|extension|label|auto_type|volatile|asm|alignof|const|real|imag|thread|seg_gs|seg_fs|percpu_seg|iomem_t|must_be|has|is)(_|$)/;

const STORAGE = new Set(['static', 'extern', 'const', 'inline', '__inline', '__inline__', 'volatile']);

const PRIM = new Set(['signed', 'unsigned', 'int', 'char', 'short', 'long', 'void', 'float', 'double', '_Bool', 'bool']);
const QUAL = new Set(['const', 'volatile', 'restrict', '__restrict', '_Atomic']);
const TAG = new Set(['struct', 'union', 'enum']);

/** Macro names that iterate (or scope) over the statement that follows them. */
const ITER_RE = /for_each|^scoped_|foreach|^scoped_(?:cond_)?guard$|^while_each|_for_each|^rbtree_postorder|^list_for|^hlist_for|^plist_for|^llist_for|_each_entry|^idr_for|^xa_for|^radix_tree_for|^bio_for|^rq_for|^css_for|^cpufreq_for|^nla_for|^nlmsg_for|^mt_for|^mas_for|^hash_for|^fwnode_for|^device_for|^of_for|^pci_for|^scsi_for|^shost_for|^sk_for|^netdev_for|^udp_portaddr_for|^skb_queue_walk|^skb_walk|^dlist_for|^snd_array_for|^virtio_device_for|^ata_for|^klp_for|^btf_for|^bpf_for|^do_each_pid|^while_each_pid/;

// ---------------------------------------------------------------------------------------------
// Context: brace kinds and matching parens

const enum BK {
  File = 0, // depth 0
  Code = 1, // function body / statement block
  Init = 2, // initializer list
  Other = 3, // struct/union/enum body, etc.
}

interface Ctx {
  toks: Tok[]; // live tokens only
  match: Int32Array; // index of the matching bracket, or -1
  kind: Uint8Array; // brace kind the token sits in
}

function analyse(toks: Tok[]): Ctx {
  const n = toks.length;
  const match = new Int32Array(n).fill(-1);
  const kind = new Uint8Array(n);
  const braceStack: number[] = [];
  const kindStack: BK[] = [BK.File];
  const parenStack: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = toks[i]!;
    const cur = kindStack[kindStack.length - 1]!;
    kind[i] = cur;
    if (t.k !== K.Punct) continue;
    switch (t.t) {
      case '(':
      case '[':
        parenStack.push(i);
        break;
      case ')':
      case ']': {
        const o = parenStack.pop();
        if (o !== undefined) {
          match[o] = i;
          match[i] = o;
        }
        break;
      }
      case '{': {
        // an unclosed '(' before '{' (macro args spanning a block, GNU statement expression):
        // keep parens as they are; the brace still opens a block.
        let k: BK;
        const p = i > 0 ? toks[i - 1]! : undefined;
        const pt = p && p.k === K.Punct ? p.t : p?.t ?? '';
        if (pt === '=' || (cur === BK.Init && (pt === ',' || pt === '{'))) k = BK.Init;
        else if (cur === BK.File) k = pt === ')' ? BK.Code : BK.Other;
        else if (cur === BK.Code) {
          if (pt === ')') {
            // `if (...) {` vs compound literal `(struct x){`
            const o = match[i - 1]!;
            const before = o > 0 ? toks[o - 1] : undefined;
            k = before && (before.k === K.Ident || before.t === ')') ? BK.Code : BK.Init;
            if (before && (before.t === 'return' || before.t === 'sizeof')) k = BK.Init;
          } else if (pt === ',' || pt === '(' || pt === 'return') k = BK.Init;
          else if (p && p.k === K.Ident && i > 1 && (TAG.has(toks[i - 2]!.t) || TAG.has(p.t))) k = BK.Other;
          else if (pt === 'struct' || pt === 'union' || pt === 'enum') k = BK.Other;
          else k = BK.Code;
        } else k = cur === BK.Init ? BK.Init : BK.Other;
        braceStack.push(i);
        kindStack.push(k);
        break;
      }
      case '}': {
        const o = braceStack.pop();
        if (o !== undefined) {
          match[o] = i;
          match[i] = o;
        }
        if (kindStack.length > 1) kindStack.pop();
        kind[i] = kindStack[kindStack.length - 1]!;
        break;
      }
    }
  }
  return { toks, match, kind };
}

// ---------------------------------------------------------------------------------------------
// 1. Annotations
//
// Safe because these names are attributes/sparse markers/section placements: they expand to
// `__attribute__((...))` or to nothing, never to an expression, so a rule loses nothing when
// they become spaces. The section of a function (`__init`/`__exit`) must be read from the
// original text by the facts extractor (the declaration's span is the same in both texts).
// Names taking arguments are blanked only when actually followed by '(' (and then with their
// balanced argument list); a bare `__free` that is not followed by '(' is left alone.

function blankAnnotations(src: string, toks: Tok[], out: Out): void {
  const n = toks.length;
  for (let i = 0; i < n; i++) {
    const t = toks[i]!;
    if (t.k !== K.Ident) continue;
    const name = t.t;
    // XFS's `#define STATIC static noinline` (fs/xfs/xfs_linux.h) opens ~140 files' function
    // definitions: as an unknown word before the type it made each one a parse error.
    if (name === 'STATIC' && toks[i + 1]?.k === K.Ident) {
      out.write(t.s, 'static');
      continue;
    }
    if (ANNOT.has(name)) {
      // `__attribute__` lists aside, an annotation is never followed by '(' ... except when a
      // macro with that name is being *called* (e.g. a local `#define __init(x)`): leave those.
      const nx = toks[i + 1];
      if (nx && nx.t === '(' && !ANNOT_ARGS.has(name)) {
        if (name !== '__aligned_largest') continue;
      }
      out.blank(t.s, t.e);
      t.dead = true;
      continue;
    }
    if (name.charCodeAt(0) === 95 && name.charCodeAt(1) === 95 && GENERIC_ANNOT.test(name) && !TYPEISH.test(name)) {
      // `static int __net_init foo(`, `struct pernet_operations __net_initdata ops = {`: a
      // lower-case `__word` between a type and a declarator. A type followed by another type
      // or by an expression operand is not C, so in this position the word can only be an
      // annotation macro. Typedefs (`__be32`, `__poll_t`, digits or `_t`) are excluded.
      const pv = toks[i - 1];
      const nx = toks[i + 1];
      if (
        pv &&
        nx &&
        nx.k === K.Ident &&
        !KEYWORDS.has(nx.t) &&
        !STORAGE.has(pv.t) &&
        ((pv.k === K.Ident && (PRIM.has(pv.t) || !KEYWORDS.has(pv.t))) || pv.t === '*')
      ) {
        out.blank(t.s, t.e);
        t.dead = true;
        continue;
      }
      if (pv && nx && STORAGE.has(pv.t) && nx.k === K.Ident && (PRIM.has(nx.t) || nx.t === 'void' || STORAGE.has(nx.t))) {
        // `static __net_init int foo(`
        out.blank(t.s, t.e);
        t.dead = true;
        continue;
      }
    }
    if (name.charCodeAt(0) === 95 && ANNOT_ARGS.has(name)) {
      const nx = toks[i + 1];
      if (!nx || nx.t !== '(') {
        if (name === '__attribute__' || name === '__attribute') continue;
        continue;
      }
      // a call statement `__free(x);` at statement start would be a real call: only blank in
      // positions where an annotation can sit (not directly after '=', '(' ',' 'return').
      const pv = toks[i - 1];
      if (pv && (pv.t === '=' || pv.t === 'return' || pv.t === '?')) continue;
      let depth = 0;
      let j = i + 1;
      for (; j < n; j++) {
        const u = toks[j]!;
        if (u.t === '(') depth++;
        else if (u.t === ')') {
          depth--;
          if (depth === 0) break;
        } else if (u.t === ';' || u.t === '{' || u.t === '}') {
          j = -1;
          break;
        }
      }
      if (j < 0 || j >= n) continue;
      out.blank(t.s, toks[j]!.e);
      for (let k = i; k <= j; k++) toks[k]!.dead = true;
      i = j;
    }
  }
  void src;
}

// ---------------------------------------------------------------------------------------------
// 2. Iterator / scope macros in function bodies
//
// `NAME(args) {` or `NAME(args) stmt;` at the start of a statement in a function body can only
// be a macro that expands to a loop header (list_for_each_entry, for_each_*, scoped_guard, ...):
// as a call it would be a syntax error. Rewriting NAME to `while` + spaces keeps the parentheses
// and everything inside them (the calls in the arguments stay call expressions inside a
// comma_expression condition) and gives the block its real control-flow reading: a body that
// may run zero or more times. The macro's name is still at the `while` keyword's offset in the
// original text.
//
// Conditions: NAME is an identifier (not a keyword), the token before it ends a statement
// (`;` `{` `}` `:` `else` `do` or the `)` of an if/while/for/switch header), and after the
// balanced `)` comes `{` (any NAME), or, for NAME matching ITER_RE, an identifier/keyword/`*`
// starting a single statement. `while_each_thread(g, t);` after `do { ... }` becomes
// `while (g, t);`, the do-while it really is.

function isCtrlParen(ctx: Ctx, close: number): boolean {
  const o = ctx.match[close]!;
  if (o <= 0) return false;
  const b = ctx.toks[o - 1]!;
  return b.t === 'if' || b.t === 'while' || b.t === 'for' || b.t === 'switch' || (b as Tok & { loop?: boolean }).loop === true;
}

function stmtStart(ctx: Ctx, i: number): boolean {
  if (i === 0) return true;
  const p = ctx.toks[i - 1]!;
  if (p.k === K.Punct) {
    if (p.t === ';' || p.t === '{' || p.t === '}') return true;
    if (p.t === ':') return true;
    if (p.t === ')') return isCtrlParen(ctx, i - 1);
    return false;
  }
  return p.t === 'else' || p.t === 'do';
}

function rewriteIterators(ctx: Ctx, out: Out): void {
  const { toks, match, kind } = ctx;
  const n = toks.length;
  for (let i = 0; i < n; i++) {
    const t = toks[i]!;
    if (t.k !== K.Ident || kind[i] !== BK.Code || KEYWORDS.has(t.t)) continue;
    const open = toks[i + 1];
    if (!open || open.t !== '(') continue;
    const close = match[i + 1]!;
    if (close < 0) continue;
    if (!stmtStart(ctx, i)) continue;
    const nx = toks[close + 1];
    let ok = false;
    const named = ITER_RE.test(t.t);
    if (nx && nx.t === '{') ok = true;
    else if (named && nx) {
      if (t.t.startsWith('while_each') || t.t.startsWith('while_each_pid')) ok = true;
      else if (nx.k === K.Ident && !['else'].includes(nx.t)) ok = true;
      else if (nx.t === '*' || nx.t === '++' || nx.t === '--' || nx.t === '(' && false) ok = true;
    }
    if (!ok) continue;
    const len = t.e - t.s;
    if (len >= 5) out.write(t.s, 'while' + ' '.repeat(len - 5));
    else if (len >= 2) out.write(t.s, 'if' + ' '.repeat(len - 2));
    else continue;
    (t as Tok & { loop?: boolean }).loop = true;
    // statements smuggled into the arguments (`scoped_cond_guard(mutex_intr, return -EINTR, &l)`)
    // cannot be expressions: blank the keyword so the rest reads as an expression.
    for (let k = i + 2; k < close; k++) {
      const u = toks[k]!;
      if (u.k === K.Ident && (u.t === 'return' || u.t === 'break' || u.t === 'continue' || u.t === 'goto')) {
        const pv = toks[k - 1]!;
        if (pv.t === ',' || pv.t === '(') {
          out.blank(u.s, u.e);
          // `goto label` → `label`; `break`/`continue` alone leave an empty argument: fill with 0
          if ((u.t === 'break' || u.t === 'continue') && (toks[k + 1]?.t === ',' || toks[k + 1]?.t === ')')) out.write(u.s, '0');
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 3. File-scope macros
//
// At file scope, after a statement boundary (start, `;`, `}` or a directive):
//  a) `static|extern|const|inline ... NAME(args);` with NAME an identifier directly after the
//     storage words: a declaring macro (DEFINE_MUTEX, SIMPLE_DEV_PM_OPS, DEFINE_PER_CPU,
//     LIST_HEAD ...). C has no implicit int, so this cannot be a function prototype. The storage
//     words are blanked so that the line parses as `NAME(args);`, the call-expression statement
//     tree-sitter-c already produces for the same macro without `static`. The macro name and
//     arguments are untouched.
//  b) `NAME(args)` followed by a newline and not by `;` `{` `,` `=` ... (module_init(fn),
//     EXPORT_SYMBOL(fn), module_platform_driver(drv) written without a semicolon): tree-sitter
//     otherwise glues it to the next declaration as a macro type and the *next function* gets an
//     ERROR. With a single identifier argument the parentheses become ` ` and `;`, giving the
//     declaration `NAME fn;` (type_identifier NAME, declarator fn) — self-contained, same names
//     at the same offsets. Other argument shapes: the `(`…`)` stay and the whole invocation is
//     kept (the next item may then carry an error; measured as rare).
//  c) `NAME(first, ...) {` with NAME in capitals (SYSCALL_DEFINE3, BPF_CALL_2,
//     COMPAT_SYSCALL_DEFINE2, ...): a macro-defined function. `NAME(` becomes `int` + spaces and
//     the comma after `first` becomes `(`, so it parses as `int first(type, arg, ...)` — a
//     function_definition named `first` (the name at its original offset) whose parameters are
//     the macro's type/name pairs. For `NAME(first) {` the name moves one column left:
//     `int            first() {`.

function rewriteFileScope(ctx: Ctx, out: Out): void {
  const { toks, match, kind } = ctx;
  const n = toks.length;
  for (let i = 0; i < n; i++) {
    if (kind[i] === BK.Code && toks[i]!.k === K.Ident && STORAGE.has(toks[i]!.t) && stmtStart(ctx, i)) {
      // a) inside a function: `static DEFINE_RATELIMIT_STATE(rs, HZ, 10);`
      let j = i;
      while (j < n && toks[j]!.k === K.Ident && STORAGE.has(toks[j]!.t)) j++;
      const nm = toks[j];
      if (nm && nm.k === K.Ident && !KEYWORDS.has(nm.t) && toks[j + 1]?.t === '(') {
        const close = match[j + 1]!;
        if (close > 0 && toks[close + 1]?.t === ';') {
          out.blank(toks[i]!.s, toks[j - 1]!.e);
          (nm as Tok & { inv?: boolean }).inv = true;
          i = j;
        }
      }
      continue;
    }
    if (kind[i] !== BK.File) continue;
    const t = toks[i]!;
    if (t.k !== K.Ident) continue;
    const p = i > 0 ? toks[i - 1]! : undefined;
    const boundary = !p || t.pp || p.t === ';' || p.t === '}';
    if (!boundary) continue;
    let j = i;
    while (j < n && toks[j]!.k === K.Ident && STORAGE.has(toks[j]!.t)) j++;
    const nameTok = toks[j];
    if (!nameTok || nameTok.k !== K.Ident || KEYWORDS.has(nameTok.t)) continue;
    const open = toks[j + 1];
    if (!open || open.t !== '(') continue;
    const close = match[j + 1]!;
    if (close < 0) continue;
    const nx = toks[close + 1];
    (nameTok as Tok & { inv?: boolean }).inv = true;
    if (nx && nx.t === ';') {
      if (j > i) out.blank(t.s, toks[j - 1]!.e);
      i = close;
      continue;
    }
    if (nx && nx.t === '{' && j === i && /^[A-Z_][A-Z0-9_]*$/.test(nameTok.t) && nameTok.e - nameTok.s >= 3) {
      const first = toks[j + 2];
      const after = toks[j + 3];
      if (first && first.k === K.Ident && after && (after.t === ',' || after.t === ')')) {
        (nameTok as Tok & { inv?: boolean }).inv = false;
        const span = open.e - nameTok.s; // NAME(
        if (after.t === ',') {
          out.write(nameTok.s, 'int' + ' '.repeat(span - 3));
          out.write(after.s, '(');
        } else if (first.s === open.e && after.s === first.e) {
          // NAME(first) → int   first()   (shift name one column left)
          const name = first.t;
          out.write(nameTok.s, 'int' + ' '.repeat(span - 4) + name + '()');
        }
      }
      i = close;
      continue;
    }
    if (j === i && (!nx || nx.nl) && (!nx || !['{', ';', ',', '=', '(', '[', ':', ')', '}'].includes(nx.t))) {
      // b) semicolon-less invocation
      const a = toks[j + 2];
      if (close === j + 3 && a && a.k === K.Ident) {
        out.write(open.s, ' ');
        out.write(toks[close]!.s, ';');
      }
      i = close;
      continue;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 4. Type names as macro arguments
//
// `container_of(p, struct foo, member)`, `list_first_entry(h, struct foo, node)`,
// `DEFINE_PER_CPU(struct foo, x)`, `min_t(unsigned long, a, b)`, `kmalloc_obj(u8 *)`: an
// argument made only of type words is not an expression, so tree-sitter marks it ERROR. Inside
// the argument list of a call (identifier directly before '(' in code, in an initializer, or in
// a file-scope macro invocation) such an argument is reduced to an identifier: `struct`/`union`/
// `enum`, qualifiers and `*` are blanked (`struct foo *` → `       foo  `), and a run of
// primitive type words is joined with '_' (`unsigned long` → `unsigned_long`; a lone keyword
// like `long` gets a leading '_': `_ong`). Only arguments with no operator, literal or call in
// them qualify, so an expression argument is never changed.

function rewriteTypeArgs(ctx: Ctx, out: Out): void {
  const { toks, match, kind } = ctx;
  const n = toks.length;
  for (let i = 0; i + 1 < n; i++) {
    const t = toks[i]!;
    if (t.k !== K.Ident || KEYWORDS.has(t.t)) continue;
    if (toks[i + 1]!.t !== '(') continue;
    const k = kind[i]!;
    const inv = (t as Tok & { inv?: boolean; loop?: boolean }).inv === true || (t as Tok & { loop?: boolean }).loop === true;
    if (k === BK.File || k === BK.Other) {
      if (!inv) continue;
    }
    if (k === BK.Code && !inv) {
      // a declaration `foo_t bar(int x);` inside a body is rare; calls are the norm. But do not
      // treat a function-pointer declaration's parameter list as a call: `(*fn)(int)` has ')'.
    }
    const close = match[i + 1]!;
    if (close < 0) continue;
    // split into top-level arguments
    let a = i + 2;
    for (let j = i + 2; j <= close; j++) {
      const u = toks[j]!;
      if (u.t === '(' || u.t === '[' || u.t === '{') {
        const m = match[j]!;
        if (m > j && m <= close) {
          j = m;
          continue;
        }
      }
      if (u.t === ',' || j === close) {
        if (j > a) typeArg(toks, a, j, out);
        a = j + 1;
      }
    }
  }
}

function typeArg(toks: Tok[], a: number, b: number, out: Out): void {
  // grammar: QUAL* ( TAG IDENT | PRIM+ | IDENT ) QUAL* ( '*' QUAL* )*
  let i = a;
  while (i < b && toks[i]!.k === K.Ident && QUAL.has(toks[i]!.t)) i++;
  let core: 'tag' | 'prim' | 'ident' | null = null;
  const coreStart = i;
  if (i < b && TAG.has(toks[i]!.t) && i + 1 < b && toks[i + 1]!.k === K.Ident) {
    core = 'tag';
    i += 2;
  } else if (i < b && PRIM.has(toks[i]!.t)) {
    core = 'prim';
    while (i < b && toks[i]!.k === K.Ident && (PRIM.has(toks[i]!.t) || QUAL.has(toks[i]!.t))) i++;
  } else if (i < b && toks[i]!.k === K.Ident && !KEYWORDS.has(toks[i]!.t)) {
    core = 'ident';
    i++;
  }
  if (!core) return;
  const coreEnd = i;
  while (i < b && toks[i]!.k === K.Ident && QUAL.has(toks[i]!.t)) i++;
  let stars = 0;
  while (i < b && (toks[i]!.t === '*' || (toks[i]!.k === K.Ident && QUAL.has(toks[i]!.t)))) {
    if (toks[i]!.t === '*') stars++;
    i++;
  }
  if (i !== b) return;
  // a lone identifier, or a lone primitive keyword, parses already
  if (core === 'ident' && stars === 0 && coreStart === a && b - a === 1) return;
  if (core === 'prim' && b - a === 1) return;
  if (core === 'ident' && stars === 0 && b - a === 1) return;
  // `a * b` would not reach here (b is not '*'); `x *` (trailing star) is a pointer type.
  // blank everything except the core's name
  for (let k = a; k < b; k++) {
    const u = toks[k]!;
    if (k >= coreStart && k < coreEnd) continue;
    out.blank(u.s, u.e);
  }
  if (core === 'tag') {
    out.blank(toks[coreStart]!.s, toks[coreStart]!.e);
  } else if (core === 'prim') {
    // join words: replace the gaps (same line) with '_'
    const first = toks[coreStart]!;
    const last = toks[coreEnd - 1]!;
    let sameLine = true;
    for (let k = coreStart + 1; k < coreEnd; k++) if (toks[k]!.nl) sameLine = false;
    if (!sameLine) return;
    for (let k = coreStart; k + 1 < coreEnd; k++) {
      const g0 = toks[k]!.e;
      const g1 = toks[k + 1]!.s;
      out.write(g0, '_'.repeat(g1 - g0));
    }
    if (coreEnd - coreStart === 1) out.write(first.s, '_');
    void last;
  }
}

// ---------------------------------------------------------------------------------------------
// 4b. Macros pasted into string literals
//
// `printk(KERN_ERR PFX "failed\n")`, `pr_info(DRV_NAME ": %s\n", ...)`,
// `"%." __stringify(LEN) "s"`: the macros expand to string literals and the compiler
// concatenates them. To tree-sitter `KERN_ERR PFX "..."` is three adjacent operands. In a run of
// adjacent operands made of string literals, identifiers and `NAME(...)` invocations that
// contains at least one string literal, every identifier/invocation is blanked, leaving the
// concatenated string literals (which stay untouched). Adjacent operands are never valid C
// otherwise, so no expression loses anything else; the call whose argument this is keeps its
// name and its other arguments.

const MACRO_NAME = /^[A-Z_][A-Z0-9_]*$|^__stringify$/;

function runMember(ctx: Ctx, i: number): number {
  // index of the last token of the operand starting at i (string, identifier, NAME(...)), or -1
  const { toks, match } = ctx;
  const t = toks[i];
  if (!t) return -1;
  if (t.k === K.Str) return i;
  if (t.k !== K.Ident || KEYWORDS.has(t.t)) return -1;
  const nx = toks[i + 1];
  if (nx && nx.t === '(' && match[i + 1]! > i) return match[i + 1]!;
  return i;
}

function blankStringMacros(ctx: Ctx, out: Out): void {
  const { toks, match, kind } = ctx;
  const n = toks.length;
  for (let i = 0; i < n; i++) {
    if (kind[i] === BK.Other) continue;
    const k0 = toks[i]!.k;
    if (k0 !== K.Str && k0 !== K.Ident) continue;
    const first = runMember(ctx, i);
    if (first < 0 || runMember(ctx, first + 1) < 0) continue;
    // collect the run
    const members: [number, number][] = [[i, first]];
    let j = first + 1;
    for (;;) {
      const m = runMember(ctx, j);
      if (m < 0) break;
      members.push([j, m]);
      j = m + 1;
    }
    if (members.length < 2) continue;
    const hasStr = members.some(([a]) => toks[a]!.k === K.Str);
    const pv = toks[i - 1];
    // `char *s = FOO "x"`: the run must start an operand (after an operator, '(' ',' '=' ...),
    // not continue a declaration (`struct foo bar` is two identifiers too).
    const opener = !pv || (pv.k === K.Punct && pv.t !== ')' && pv.t !== ']' && pv.t !== '}' && pv.t !== ';' && pv.t !== '{') || pv.t === 'return';
    if (!opener || !members.every(([a]) => toks[a]!.k === K.Str || MACRO_NAME.test(toks[a]!.t))) continue;
    if (hasStr) {
      for (const [a, b] of members) if (toks[a]!.k !== K.Str) out.blank(toks[a]!.s, toks[b]!.e);
      i = j - 1;
    } else if ((kind[i] === BK.Code || kind[i] === BK.Init) && (pv?.t === ',' || pv?.t === '(') && (toks[j]?.t === ',' || toks[j]?.t === ')')) {
      // `pr_warn(FW_BUG EMCA_BUG, ...)`: string macros only, as a call argument. Keep the last.
      for (const [a, b] of members.slice(0, -1)) out.blank(toks[a]!.s, toks[b]!.e);
      i = j - 1;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 4c. offsetof with a member path
//
// tree-sitter-c's `offsetof` rule takes a single field name; the kernel writes
// `offsetof(struct r1bio, bios[n])` and `offsetof(struct a, b.c)`. For those (only) the keyword
// is upper-cased to `OFFSETOF`, an ordinary call whose arguments then parse as expressions
// (the type argument is handled by rule 4). Same length, same letters.

function rewriteOffsetof(ctx: Ctx, out: Out): void {
  const { toks, match } = ctx;
  for (let i = 0; i + 1 < toks.length; i++) {
    const t = toks[i]!;
    if (t.t !== 'offsetof' || toks[i + 1]!.t !== '(') continue;
    const close = match[i + 1]!;
    if (close < 0) continue;
    let comma = -1;
    for (let j = i + 2; j < close; j++) {
      if (toks[j]!.t === '(' && match[j]! > j) {
        j = match[j]!;
        continue;
      }
      if (toks[j]!.t === ',') {
        comma = j;
        break;
      }
    }
    if (comma < 0) continue;
    if (close === comma + 2 && toks[comma + 1]!.k === K.Ident) continue; // plain field: native
    out.write(t.s, 'OFFSETOF');
    (t as Tok & { inv?: boolean }).inv = true;
    t.t = 'OFFSETOF';
  }
}

// ---------------------------------------------------------------------------------------------
// 5. GNU case ranges
//
// `case A ... B:` → `case A  -  B:` (the `...` becomes ` - `): a valid constant expression with
// both bounds still readable; rules read case labels from the original text anyway.

function rewriteCaseRanges(ctx: Ctx, out: Out): void {
  const { toks } = ctx;
  const n = toks.length;
  for (let i = 0; i < n; i++) {
    if (toks[i]!.t !== 'case') continue;
    for (let j = i + 1; j < n && j < i + 40; j++) {
      const u = toks[j]!;
      if (u.t === ':' || u.t === ';' || u.t === '{' || u.t === '}') break;
      if (u.t === '...') {
        out.write(u.s, ' - ');
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 6. Conditionals splitting a construct
//
// tree-sitter-c parses `#if`/`#else` as alternatives of whole items or statements. When an arm
// is not a sequence of complete items (it opens a brace another arm closes, continues an `if`
// with `else`, or holds part of an expression, argument or initializer list), the parse breaks
// around it. For such groups only, the group is linearised to one configuration: the first arm
// is kept and the directive lines and the other arms are blanked (comments in them are kept).
// For `#if 0` the first arm is the one dropped. Groups whose arms are all self-contained (the
// common `#ifdef CONFIG_PM` functions, alternative statements) are left for tree-sitter, which
// keeps every arm.

function splitConditionals(src: string, toks: Tok[], dirs: Directive[], out: Out): void {
  interface Group {
    arms: { dir: number; from: number }[]; // directive index, first token index
  }
  const stack: Group[] = [];
  const selfContained = (from: number, to: number): boolean => {
    let depth = 0;
    let first: Tok | undefined;
    let last: Tok | undefined;
    for (let k = from; k < to; k++) {
      const u = toks[k]!;
      if (u.dead) continue;
      first ??= u;
      last = u;
      const t = u.t;
      if (u.k !== K.Punct) continue;
      if (t === '{' || t === '(' || t === '[') depth++;
      else if (t === '}' || t === ')' || t === ']') {
        if (--depth < 0) return false;
      }
    }
    if (depth !== 0) return false;
    if (!first || !last) return true;
    if (first.t === 'else' || (first.k === K.Punct && first.t !== '{' && first.t !== '*' && first.t !== '(' && first.t !== '}')) return false;
    return last.t === ';' || last.t === '}';
  };
  for (let d = 0; d < dirs.length; d++) {
    const dir = dirs[d]!;
    const name = dir.name;
    if (name === 'if' || name === 'ifdef' || name === 'ifndef') {
      stack.push({ arms: [{ dir: d, from: dir.nextTok }] });
    } else if (name === 'elif' || name === 'else' || name === 'elifdef' || name === 'elifndef') {
      const g = stack[stack.length - 1];
      if (g) g.arms.push({ dir: d, from: dir.nextTok });
    } else if (name === 'endif') {
      const g = stack.pop();
      if (!g) continue;
      const ranges = g.arms.map((a, i) => [a.from, i + 1 < g.arms.length ? g.arms[i + 1]!.from : dir.nextTok] as const);
      const ifZero = /^#\s*if\s+0\s*($|\/[*/])/.test(src.slice(dirs[g.arms[0]!.dir]!.s, dirs[g.arms[0]!.dir]!.e));
      if (!ifZero && ranges.every(([a, b]) => selfContained(a, b))) continue;
      if (ifZero && ranges.every(([a, b]) => selfContained(a, b))) continue;
      const keep = ifZero ? 1 : 0;
      for (let a = 0; a < g.arms.length; a++) {
        const arm = g.arms[a]!;
        const armDir = dirs[arm.dir]!;
        blankRange(src, armDir.s, armDir.e, out);
        if (a === keep) continue;
        const [from, to] = ranges[a]!;
        if (to > from) {
          const end = a + 1 < g.arms.length ? dirs[g.arms[a + 1]!.dir]!.s : dir.s;
          blankRange(src, armDir.e, end, out);
          for (let k = from; k < to; k++) toks[k]!.dead = true;
        }
      }
      blankRange(src, dir.s, dir.e, out);
      // the token after the group now follows plain code: it no longer sits after a directive
      const after = toks[dir.nextTok];
      if (after) after.pp = false;
    }
  }
}

function blankRange(src: string, s: number, e: number, out: Out): void {
  // blank code and directive text, but keep comments (rules read comments): walk the range
  // skipping /* */ and // comments.
  let i = s;
  let from = s;
  while (i < e) {
    const c = src.charCodeAt(i);
    if (c === 47 && src.charCodeAt(i + 1) === 42) {
      out.blank(from, i);
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? e : Math.min(e, end + 2);
      from = i;
      continue;
    }
    if (c === 47 && src.charCodeAt(i + 1) === 47) {
      out.blank(from, i);
      while (i < e && src.charCodeAt(i) !== 10) i++;
      from = i;
      continue;
    }
    if (c === 34 || c === 39) {
      i = skipQuoted(src, i);
      continue;
    }
    i++;
  }
  out.blank(from, e);
}

// ---------------------------------------------------------------------------------------------

/**
 * Neutralise kernel constructs that tree-sitter-c cannot parse, keeping length, newline
 * offsets, comments, literals, names, calls and their expression arguments unchanged. One review
 * asks for the same image more than once (the post-image's facts, and its whole parse when they
 * cannot be read from the pre-image's): the last few answers are kept.
 */
export const preprocessKernelSource: (src: string) => string = memoLast(4, preprocessScan);

function preprocessScan(src: string): string {
  const out = new Out(src);
  const { toks: all, dirs } = lex(src);
  splitConditionals(src, all, dirs, out);
  blankAnnotations(src, all.filter((t) => !t.dead), out);
  const live = all.filter((t) => !t.dead);
  // the pp flag must survive removal of dead tokens (a directive before a dead token)
  for (let k = 0, carry = false, nlc = false, li = 0; k < all.length; k++) {
    const t = all[k]!;
    if (t.dead) {
      carry ||= t.pp;
      nlc ||= t.nl;
      continue;
    }
    if (carry) t.pp = true;
    if (nlc) t.nl = true;
    carry = nlc = false;
    li++;
    void li;
  }
  const ctx = analyse(live);
  rewriteIterators(ctx, out);
  rewriteFileScope(ctx, out);
  rewriteOffsetof(ctx, out);
  rewriteTypeArgs(ctx, out);
  blankStringMacros(ctx, out);
  rewriteCaseRanges(ctx, out);
  return out.result();
}
