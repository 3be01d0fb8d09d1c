// Parse quality of tree-sitter-c over a Linux tree, raw vs preprocessKernelSource().
//
//   node --expose-gc --import tsx scripts/parse-quality.ts [TREE] [--all] [--only DIR,DIR] [--workers N]
//        [--samples N] [--json FILE]
//
// TREE defaults to /root/.cache/modreview/linux-6.12. Selects the .c files containing
// `module_init` (with --all: also every .c under drivers/ and kernel/; with --only: restricted
// to those top-level-relative directories), parses each raw and preprocessed, and prints
//   - files, % with any ERROR/MISSING node,
//   - % with an ERROR/MISSING node inside an *inspected* function, two definitions:
//       "lifecycle": module_init/module_exit targets, the same-file functions they call
//                    (transitively), and every function calling try_module_get, module_put,
//                    request_module, register_module_notifier or call_rcu; a target that is not
//                    found as a function definition counts as an error;
//       "all":       every function definition in the file;
//   - the top remaining causes after preprocessing, with sample snippets.
// See docs/PARSING.md.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { setImmediate as yieldLoop } from 'node:timers/promises';
import Parser from 'tree-sitter';
import C from 'tree-sitter-c';
import { preprocessKernelSource } from '../src/c/preprocess.js';

export const DEFAULT_TREE = '/root/.cache/modreview/linux-6.12';

const MODULE_API = /^(try_module_get|module_put|request_module|request_module_nowait|register_module_notifier|call_rcu)$/;
const ENTRY = /\bmodule_(init|exit)\s*\(\s*([A-Za-z_]\w*)\s*\)/g;

export interface ErrorSite {
  line: number; // 1-based
  col: number;
  missing: boolean;
  /** Inside a function definition (its name, or '?' if unnamed). */
  fn: string | null;
  text: string; // the original source line
}

export interface Side {
  anyError: boolean;
  /** An inspected function (lifecycle definition) has an error or an entry target is not found. */
  lifecycleError: boolean;
  /** Some function definition has an error. */
  allError: boolean;
  functions: number;
  inspected: number;
  missingTargets: string[];
  errors: ErrorSite[];
}

export interface FileResult {
  file: string;
  bytes: number;
  ppMs: number;
  raw: Side;
  pp: Side;
}

let parser: Parser | undefined;
function getParser(): Parser {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(C as unknown as Parser.Language);
  }
  return parser;
}

function functionName(def: Parser.SyntaxNode): string | null {
  let d: Parser.SyntaxNode | null = def.childForFieldName('declarator');
  while (d) {
    if (d.type === 'function_declarator') {
      let inner: Parser.SyntaxNode | null = d.childForFieldName('declarator');
      while (inner && inner.type !== 'identifier') {
        inner = inner.childForFieldName('declarator') ?? inner.namedChildren.find((c) => c.type !== 'attribute_specifier') ?? null;
        if (inner && (inner.type === 'parameter_list' || inner.type === 'ERROR')) inner = null;
      }
      return inner?.text ?? null;
    }
    d = d.childForFieldName('declarator');
  }
  return null;
}

function collectErrors(root: Parser.SyntaxNode, out: Parser.SyntaxNode[]): void {
  // descend only into subtrees that contain an error; report the top-most ERROR nodes and
  // every MISSING node
  const stack: Parser.SyntaxNode[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.isMissing) {
      out.push(n);
      continue;
    }
    if (n.type === 'ERROR') {
      out.push(n);
      continue;
    }
    if (!n.hasError) continue;
    for (let i = n.childCount - 1; i >= 0; i--) stack.push(n.child(i)!);
  }
}

function analyse(original: string, text: string, lines: string[]): Side {
  const bufferSize = Math.max(64 * 1024, text.length * 2 + 2);
  const tree = getParser().parse(text, undefined, { bufferSize });
  const root = tree.rootNode;
  const defs = root.descendantsOfType('function_definition');
  interface Fn {
    name: string | null;
    s: number;
    e: number;
    err: boolean;
    callees: Set<string>;
  }
  const fns: Fn[] = defs.map((d) => {
    const callees = new Set<string>();
    for (const c of d.descendantsOfType('call_expression')) {
      const f = c.childForFieldName('function');
      if (f && f.type === 'identifier') callees.add(f.text);
    }
    return { name: functionName(d), s: d.startIndex, e: d.endIndex, err: d.hasError, callees };
  });
  const byName = new Map<string, Fn[]>();
  for (const f of fns) if (f.name) byName.set(f.name, [...(byName.get(f.name) ?? []), f]);
  // lifecycle set
  const targets = new Set<string>();
  for (const m of original.matchAll(ENTRY)) targets.add(m[2]!);
  const inspected = new Set<Fn>();
  const missingTargets: string[] = [];
  const queue: string[] = [];
  for (const t of targets) {
    if (!byName.has(t)) missingTargets.push(t);
    else queue.push(t);
  }
  const seen = new Set<string>();
  while (queue.length) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const f of byName.get(name) ?? []) {
      inspected.add(f);
      for (const c of f.callees) if (byName.has(c) && !seen.has(c)) queue.push(c);
    }
  }
  for (const f of fns) for (const c of f.callees) if (MODULE_API.test(c)) inspected.add(f);

  const errNodes: Parser.SyntaxNode[] = [];
  collectErrors(root, errNodes);
  const errors: ErrorSite[] = errNodes.map((n) => {
    const row = n.startPosition.row;
    const owner = fns.find((f) => n.startIndex >= f.s && n.startIndex < f.e);
    return {
      line: row + 1,
      col: n.startPosition.column,
      missing: n.isMissing,
      fn: owner ? owner.name ?? '?' : null,
      text: (lines[row] ?? '').slice(0, 200),
    };
  });
  const side: Side = {
    anyError: root.hasError,
    lifecycleError: missingTargets.length > 0 || [...inspected].some((f) => f.err),
    allError: fns.some((f) => f.err),
    functions: fns.length,
    inspected: inspected.size,
    missingTargets,
    errors,
  };
  return side;
}

/** Parse one file raw and preprocessed. */
export function measureSource(file: string, original: string): FileResult {
  const lines = original.split('\n');
  const t0 = performance.now();
  const text = preprocessKernelSource(original);
  const ppMs = performance.now() - t0;
  if (text.length !== original.length) throw new Error(`${file}: preprocess changed the length`);
  return { file, bytes: original.length, ppMs, raw: analyse(original, original, lines), pp: analyse(original, text, lines) };
}

// ---------------------------------------------------------------------------------------------
// file selection

export function selectFiles(tree: string, opts: { all?: boolean; only?: string[] } = {}): string[] {
  const roots = opts.only?.length ? opts.only.map((d) => join(tree, d)) : [tree];
  const set = new Set<string>();
  for (const r of roots) {
    let out = '';
    try {
      out = execFileSync('grep', ['-rlZ', '--include=*.c', 'module_init', r], { encoding: 'utf8', maxBuffer: 1 << 28 });
    } catch (e) {
      out = (e as { stdout?: string }).stdout ?? '';
    }
    for (const f of out.split('\0')) if (f) set.add(relative(tree, f));
  }
  if (opts.all) {
    for (const d of ['drivers', 'kernel']) {
      const base = join(tree, d);
      for (const f of readdirSync(base, { recursive: true, encoding: 'utf8' })) {
        if (f.endsWith('.c')) set.add(join(d, f));
      }
    }
  }
  return [...set].sort();
}

// ---------------------------------------------------------------------------------------------
// cause classification (of errors left after preprocessing)

const CAUSES: [string, RegExp][] = [
  ['case range', /\bcase\b[^:]*\.\.\./],
  ['asm', /\b(asm|__asm__|__asm)\b/],
  ['iterator macro', /\b\w*(for_each|foreach|scoped_guard|_each_)\w*\s*\(/],
  ['type as macro argument', /\([^()]*\b(struct|union|enum|unsigned|signed|const)\b[^()]*[,)]/],
  ['declaring macro', /^\s*(static\s+|const\s+)*[A-Z_][A-Z0-9_]*\s*\(/],
  ['annotation', /\b__[a-z]\w*\b/],
  ['token pasting / macro body', /##|\\$/],
];

export function classify(site: ErrorSite, lines: string[] | undefined): string {
  if (lines) {
    for (let k = Math.max(0, site.line - 4); k < Math.min(lines.length, site.line + 2); k++) {
      if (/^\s*#\s*(if|ifdef|ifndef|else|elif|endif)\b/.test(lines[k]!)) return '#if splitting a construct';
    }
  }
  for (const [name, re] of CAUSES) if (re.test(site.text)) return name;
  return 'other';
}

// ---------------------------------------------------------------------------------------------
// report

export interface Summary {
  files: number;
  bytes: number;
  raw: { any: number; lifecycle: number; all: number };
  pp: { any: number; lifecycle: number; all: number };
  ppMsPer10KB: number;
  lifecycleFilesWithTargets: number;
}

export function summarise(results: FileResult[]): Summary {
  const count = (f: (r: FileResult) => boolean) => results.filter(f).length;
  const bytes = results.reduce((a, r) => a + r.bytes, 0);
  const ms = results.reduce((a, r) => a + r.ppMs, 0);
  return {
    files: results.length,
    bytes,
    raw: { any: count((r) => r.raw.anyError), lifecycle: count((r) => r.raw.lifecycleError), all: count((r) => r.raw.allError) },
    pp: { any: count((r) => r.pp.anyError), lifecycle: count((r) => r.pp.lifecycleError), all: count((r) => r.pp.allError) },
    ppMsPer10KB: bytes ? (ms / bytes) * 10240 : 0,
    lifecycleFilesWithTargets: count((r) => r.pp.inspected > 0 || r.pp.missingTargets.length > 0),
  };
}

function pct(n: number, d: number): string {
  return d ? `${((100 * n) / d).toFixed(1)}%` : '-';
}

function report(results: FileResult[], tree: string, samples: number): string {
  const s = summarise(results);
  const out: string[] = [];
  out.push(`files: ${s.files} (${(s.bytes / 1e6).toFixed(1)} MB)`);
  out.push(`                                   raw        preprocessed`);
  out.push(`any ERROR/MISSING node           ${pct(s.raw.any, s.files).padStart(7)}    ${pct(s.pp.any, s.files).padStart(7)}`);
  out.push(`error in an inspected function   ${pct(s.raw.lifecycle, s.files).padStart(7)}    ${pct(s.pp.lifecycle, s.files).padStart(7)}   (lifecycle definition)`);
  out.push(`error in any function            ${pct(s.raw.all, s.files).padStart(7)}    ${pct(s.pp.all, s.files).padStart(7)}   (all functions)`);
  out.push(`clean by lifecycle definition: ${pct(s.files - s.pp.lifecycle, s.files)}; by all-functions definition: ${pct(s.files - s.pp.all, s.files)}`);
  out.push(`module_init/exit target not found as a function after preprocessing: ${results.filter((r) => r.pp.missingTargets.length).length} files`);
  out.push(`preprocess time: ${s.ppMsPer10KB.toFixed(3)} ms per 10 KB`);
  // causes among errors inside functions, after preprocessing
  const byCause = new Map<string, { files: Set<string>; lifecycle: Set<string>; samples: string[] }>();
  for (const r of results) {
    if (!r.pp.errors.length) continue;
    let lines: string[] | undefined;
    try {
      lines = readFileSync(join(tree, r.file), 'utf8').split('\n');
    } catch {
      lines = undefined;
    }
    for (const e of r.pp.errors) {
      if (e.fn === null) continue;
      const c = classify(e, lines);
      let b = byCause.get(c);
      if (!b) byCause.set(c, (b = { files: new Set(), lifecycle: new Set(), samples: [] }));
      b.files.add(r.file);
      if (r.pp.lifecycleError) b.lifecycle.add(r.file);
      if (b.samples.length < samples && !b.samples.some((x) => x.startsWith(r.file + ':'))) {
        b.samples.push(`${r.file}:${e.line}:${e.col}${e.missing ? ' (MISSING)' : ''} in ${e.fn}: ${e.text.trim()}`);
      }
    }
  }
  for (const r of results) {
    if (!r.pp.missingTargets.length) continue;
    const c = 'entry target not a function definition';
    let b = byCause.get(c);
    if (!b) byCause.set(c, (b = { files: new Set(), lifecycle: new Set(), samples: [] }));
    b.files.add(r.file);
    b.lifecycle.add(r.file);
    if (b.samples.length < samples) b.samples.push(`${r.file}: ${r.pp.missingTargets.join(', ')}`);
  }
  out.push('');
  out.push('remaining causes of errors inside functions (files; files failing the lifecycle definition):');
  for (const [c, b] of [...byCause].sort((a, b) => b[1].files.size - a[1].files.size)) {
    out.push(`  ${c}: ${b.files.size} files (${pct(b.files.size, s.files)}); lifecycle ${b.lifecycle.size}`);
    for (const x of b.samples) out.push(`      ${x}`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// running: in-process (tests) or on worker threads (script)

const gcFn = (globalThis as { gc?: (o?: unknown) => void }).gc;

export async function measureFiles(tree: string, files: string[], onProgress?: (done: number) => void): Promise<FileResult[]> {
  const results: FileResult[] = [];
  let k = 0;
  for (const f of files) {
    const src = readFileSync(join(tree, f), 'utf8');
    results.push(measureSource(f, src));
    if (++k % 20 === 0) {
      gcFn?.({ type: 'minor' });
      await yieldLoop();
      onProgress?.(k);
    }
  }
  return results;
}

async function workerMain(): Promise<void> {
  const { tree } = workerData as { tree: string };
  let k = 0;
  parentPort!.on('message', async (msg: { file?: string; done?: boolean }) => {
    if (msg.done) {
      process.exit(0);
    }
    const file = msg.file!;
    let result: FileResult | { file: string; failed: string };
    try {
      result = measureSource(file, readFileSync(join(tree, file), 'utf8'));
    } catch (e) {
      result = { file, failed: String(e) };
    }
    if (++k % 20 === 0) {
      gcFn?.({ type: 'minor' });
      await yieldLoop();
    }
    parentPort!.postMessage(result);
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => args.includes(name);
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && ['--only', '--workers', '--samples', '--json'].includes(args[i - 1]!)));
  const tree = positional[0] ?? DEFAULT_TREE;
  const only = opt('--only')?.split(',').filter(Boolean);
  const nWorkers = Number(opt('--workers') ?? 2);
  const samples = Number(opt('--samples') ?? 3);
  if (!gcFn) console.error('warning: run with --expose-gc, or memory will grow (see kernel-tree.md)');
  const t0 = Date.now();
  const files = selectFiles(tree, { all: flag('--all'), only });
  console.error(`${files.length} files selected in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const results: FileResult[] = [];
  const failed: string[] = [];
  const tsxApi = import.meta.resolve('tsx/esm/api');
  await new Promise<void>((resolve) => {
    let next = 0;
    let running = nWorkers;
    for (let w = 0; w < nWorkers; w++) {
      // tsx's --import hook does not reach worker threads on Node 20: register it in the worker
      const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
      const worker = new Worker(boot, { eval: true, workerData: { tree }, execArgv: [] });
      const feed = () => {
        if (next < files.length) worker.postMessage({ file: files[next++] });
        else {
          worker.postMessage({ done: true });
        }
      };
      worker.on('message', (r: FileResult | { file: string; failed: string }) => {
        if ('failed' in r) failed.push(`${r.file}: ${r.failed}`);
        else results.push(r);
        const done = results.length + failed.length;
        if (done % 500 === 0) console.error(`  ${done}/${files.length} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
        feed();
      });
      worker.on('exit', () => {
        if (--running === 0) resolve();
      });
      worker.on('error', (e) => console.error(e));
      feed();
    }
  });
  results.sort((a, b) => a.file.localeCompare(b.file));
  console.log(report(results, tree, samples));
  if (failed.length) console.log(`\nfailed: ${failed.length}\n  ${failed.slice(0, 10).join('\n  ')}`);
  console.log(`\nwall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const json = opt('--json');
  if (json) writeFileSync(json, JSON.stringify(results));
}

const isEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (!isMainThread) void workerMain();
else if (isEntry) void main();
