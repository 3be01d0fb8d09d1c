// tree-sitter-c with kernel-macro handling. One parser per thread (tree-sitter parsers are not
// thread-safe, and worker_threads each load their own copy of this module).
import Parser from 'tree-sitter';
import C from 'tree-sitter-c';
import { preprocessKernelSource } from './preprocess.js';

export type SyntaxNode = Parser.SyntaxNode;
export type Tree = Parser.Tree;

let parser: Parser | undefined;

function getParser(): Parser {
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(C as unknown as Parser.Language);
  }
  return parser;
}

export interface ParsedSource {
  /** The source as written: rules and section detection read annotations from here. */
  original: string;
  /** Same length, kernel annotations blanked: what tree-sitter saw. */
  text: string;
  tree: Tree;
}

/** An extraction or parse its `stop` callback ended (a review's time budget for the file ran out). */
export class ExtractionStopped extends Error {
  constructor() {
    super('extraction stopped');
  }
}

/**
 * The node binding copies the input through a fixed-size buffer; large files need an explicit
 * bufferSize or they fail with "Invalid argument". `stop` is asked as tree-sitter goes (its
 * progress callback): error recovery on hostile text can take seconds (400 KB of `>>` at file
 * scope: 7 s), and a time budget must hold inside a parse too.
 */
function parseText(text: string, old?: Tree, stop?: () => boolean): Tree {
  const parser = getParser();
  const tree = parser.parse(text, old, { bufferSize: Math.max(64 * 1024, text.length * 2 + 2), ...(stop ? { progressCallback: () => stop() } : {}) }) as Tree | null | undefined;
  if (tree) return tree;
  // A halted parser resumes the halted parse on its next call (whatever text that is): forget it.
  parser.reset();
  throw new ExtractionStopped();
}

/** Parse text already preprocessed (same length as `original`, which rules and facts read). */
export function parsePreprocessed(original: string, text: string, stop?: () => boolean): ParsedSource {
  return { original, text, tree: parseText(text, undefined, stop) };
}

/** Parse kernel C; with `previous`, incrementally from its tree (see editedTree). */
export function parseKernelC(original: string, previous?: ParsedSource, stop?: () => boolean): ParsedSource {
  const text = preprocessKernelSource(original);
  if (!previous) return { original, text, tree: parseText(text, undefined, stop) };
  const before = errorCount(previous);
  const incremental: ParsedSource = { original, text, tree: parseText(text, editedTree(previous, text), stop) };
  // Error recovery is where an incremental parse may settle differently from a fresh one (seen
  // on 3 of 600 random edits of kernel files, all of which broke the syntax). When the edit
  // changed the errors, parse afresh: the post-image must read as it would on its own.
  if (errorCount(incremental) === before) return incremental;
  return { original, text, tree: parseText(text, undefined, stop) };
}

const errorCounts = new WeakMap<Tree, number>();

/** ERROR nodes in the tree (MISSING ones count through the root's hasError). */
export function errorCount(parsed: ParsedSource): number {
  let n = errorCounts.get(parsed.tree);
  if (n === undefined) {
    const root = parsed.tree.rootNode;
    n = root.hasError ? root.descendantsOfType('ERROR').length + 1 : 0;
    errorCounts.set(parsed.tree, n);
  }
  return n;
}

/**
 * The previous tree told where `text` differs from what it parsed (one edit: from the first to
 * the last differing character), so tree-sitter re-parses only around the change: a patch's
 * post-image costs a fraction of a full parse. The previous tree is changed by this (tree-sitter
 * edits in place): read everything needed from it first.
 */
function editedTree(previous: ParsedSource, text: string): Tree | undefined {
  const a = previous.text;
  if (a === text) return previous.tree;
  const max = Math.min(a.length, text.length);
  let start = 0;
  while (start < max && a.charCodeAt(start) === text.charCodeAt(start)) start++;
  let tail = 0;
  while (tail < max - start && a.charCodeAt(a.length - 1 - tail) === text.charCodeAt(text.length - 1 - tail)) tail++;
  const oldEnd = a.length - tail;
  const newEnd = text.length - tail;
  // Positions count UTF-16 units, as the binding reports them for string input.
  previous.tree.edit({
    startIndex: start,
    oldEndIndex: oldEnd,
    newEndIndex: newEnd,
    startPosition: pointAt(a, start),
    oldEndPosition: pointAt(a, oldEnd),
    newEndPosition: pointAt(text, newEnd),
  });
  return previous.tree;
}

function pointAt(s: string, index: number): Parser.Point {
  let row = 0;
  let lineStart = 0;
  for (let i = s.indexOf('\n'); i >= 0 && i < index; i = s.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: index - lineStart };
}
