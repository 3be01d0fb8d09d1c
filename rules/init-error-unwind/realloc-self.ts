// `ids = krealloc_array(ids, n + 1, ...)`: krealloc() leaves the old buffer allocated when it
// fails and returns NULL, and assigning that NULL over the only pointer to the old buffer loses
// it, so the failure path has nothing left to free (renesas cpg_mssr_reserved_init() before
// "clk: renesas: cpg-mssr: Fix memory leak in cpg_mssr_reserved_init()"). The devm_ forms keep
// the old buffer on the device's list: no leak there.
import { resourceIdentity } from '../../src/c/lex.js';
import type { CallSite, FunctionFacts } from '../../src/c/types.js';

const REALLOC = /^(krealloc|krealloc_array|kvrealloc|krealloc_noprof|kvrealloc_noprof)$/;

export function reallocOverOwnPointer(fn: FunctionFacts): CallSite[] {
  return fn.calls.filter((c) => REALLOC.test(c.callee) && c.assignedTo !== undefined && c.args[0] !== undefined && resourceIdentity(c.assignedTo) === resourceIdentity(c.args[0]));
}
