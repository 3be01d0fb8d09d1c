// The index views a review asks: the tree index with the patch's files overlaid (their rows
// replaced by the pre- or post-image facts), or the patched files alone. Built from the same row
// derivation the tree index stores (src/index/view.ts, src/c/derived.ts), so a question about a
// patched file is answered as it would be about an unpatched one.
import type { FileFacts } from '../c/types.js';
import { MemoryIndex, moduleInitChains, pathToModuleInit, QueryBase } from '../index/view.js';
import type { IndexQuery } from './types.js';

export { moduleInitChains, pathToModuleInit };

/** An index over just these files: hunk-only reviews and fixture tests. */
export function filesIndex(files: FileFacts[]): IndexQuery {
  return new MemoryIndex(files);
}

/** Base index with some files replaced by the given facts. */
export function overlayIndex(base: IndexQuery | undefined, files: FileFacts[]): IndexQuery {
  if (!base) return filesIndex(files);
  if (base instanceof QueryBase) return base.overlay(files);
  // Any other IndexQuery: answer per question, the replaced files from memory.
  const mine = new MemoryIndex(files);
  const replaced = new Set(files.map((f) => f.path));
  const keep = <T extends { file: string }>(xs: T[]) => xs.filter((x) => !replaced.has(x.file));
  return {
    functionsNamed: (name) => [...keep(base.functionsNamed(name)), ...mine.functionsNamed(name)],
    callersOf: (name) => [...keep(base.callersOf(name)), ...mine.callersOf(name)],
    propagatingCallersOf: (name) => [...keep(base.propagatingCallersOf(name)), ...mine.propagatingCallersOf(name)],
    initFunctions: () => [...keep(base.initFunctions()), ...mine.initFunctions()],
    isInitFunction: (file, fn) => (replaced.has(file) ? mine.isInitFunction(file, fn) : base.isInitFunction(file, fn)),
    pathToModuleInit(fn, file, code) {
      return pathToModuleInit(this, fn, file, code);
    },
    moduleNotifiers: () => [...keep(base.moduleNotifiers()), ...mine.moduleNotifiers()],
    initDataNamed: (name) => [...keep(base.initDataNamed?.(name) ?? []), ...mine.initDataNamed(name)],
    fileFacts: (path) => mine.fileFacts(path) ?? base.fileFacts(path),
    buildKind: (path) => base.buildKind?.(path),
    moduleOf: (path) => base.moduleOf?.(path),
  };
}
