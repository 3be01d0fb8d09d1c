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

/**
 * Parse kernel C. The node binding copies the input through a fixed-size buffer; large files
 * need an explicit bufferSize or they fail with "Invalid argument".
 */
export function parseKernelC(original: string): ParsedSource {
  const text = preprocessKernelSource(original);
  const tree = getParser().parse(text, undefined, { bufferSize: Math.max(64 * 1024, text.length * 2 + 2) });
  return { original, text, tree };
}
