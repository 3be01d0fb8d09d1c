// Downward errno questions: can calling `fn` return -`code`? Follows "returns the callee's
// result" edges through the index, so `ret = transport_backend_register(...); return ret;`
// learns what transport_backend_register() itself may return.
import type { FunctionRef, IndexQuery } from '../types.js';

export interface ErrnoChain {
  /** From the called function down to the one whose return statement yields -code. */
  chain: FunctionRef[];
  line: number;
}

function resolve(index: IndexQuery, name: string, fromFile: string): FunctionRef | undefined {
  const defs = index.functionsNamed(name);
  return defs.find((d) => d.isStatic && d.file === fromFile) ?? defs.find((d) => !d.isStatic);
}

export function errnoSource(index: IndexQuery, name: string, fromFile: string, code: string, depth = 6, seen = new Set<string>()): ErrnoChain | null {
  const ref = resolve(index, name, fromFile);
  if (!ref || depth < 0) return null;
  const k = `${ref.file}\0${ref.name}`;
  if (seen.has(k)) return null;
  seen.add(k);
  const fn = index.fileFacts(ref.file)?.functions.find((f) => f.name === ref.name);
  if (!fn) return null;
  const direct = fn.returnsErrno.find((e) => e.code === code);
  if (direct) return { chain: [ref], line: direct.line };
  for (const p of fn.propagates) {
    if (p.masks.includes(code)) continue;
    const sub = errnoSource(index, p.callee, ref.file, code, depth - 1, seen);
    if (sub) return { chain: [ref, ...sub.chain], line: sub.line };
  }
  return null;
}

export function describeChain(chain: FunctionRef[], tail: string): string {
  return `${chain.map((f, i) => (i === 0 || chain[i - 1]!.file !== f.file ? `${f.name}() (${f.file})` : `${f.name}()`)).join(' -> ')} -> ${tail}`;
}
