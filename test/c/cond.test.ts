import { describe, expect, it } from 'vitest';
import { looksLikeFailureTest, loopIndex, visitsBeforeIndexOnly } from '../../src/c/cond.js';

// Loop headers as the statement IR keeps them: a `for` header's parts joined by '; ', a `while`
// condition alone.
describe('loopIndex', () => {
  it('names the variable a counting for loop steps', () => {
    expect(loopIndex('i = 0; i < 2; i++')).toBe('i');
    expect(loopIndex('drive = 0; drive < N_DRIVE; ++drive')).toBe('drive');
    expect(loopIndex('cpu = 0; cpu < nr; cpu += 2')).toBe('cpu');
  });
  it('names none for while conditions and headers without an update', () => {
    expect(loopIndex('--i >= 0')).toBeUndefined();
    expect(loopIndex('i = 0; i < 2')).toBeUndefined();
    expect(loopIndex('np = of_find_node_by_name(NULL, "x"); np; np = of_find_node_by_name(np, "x")')).toBeUndefined();
  });
});

describe('visitsBeforeIndexOnly', () => {
  it('is true for cleanup loops that start below the index', () => {
    for (const h of ['i--', '--i >= 0', 'i-- > 0', 'i--; i >= 0; i--', 'j = i - 1; j >= 0; j--', 'j = 0; j < i; j++']) {
      expect(visitsBeforeIndexOnly(h, 'i'), h).toBe(true);
    }
  });
  it('is false for loops that include the index, or count another variable', () => {
    for (const h of ['i >= 0; i--', 'j = i; j >= 0; j--', 'j = 0; j <= i; j++', 'j = 0; j < i + 1; j++', 'n--', 'k = 0; k < n; k++']) {
      expect(visitsBeforeIndexOnly(h, 'i'), h).toBe(false);
    }
  });
});

describe('looksLikeFailureTest', () => {
  it('takes a call result compared unequal to 0 as a failure test (init_blk_tracer())', () => {
    expect(looksLikeFailureTest('register_tracer(&blk_tracer) != 0')).toBe(true);
    expect(looksLikeFailureTest('ret')).toBe(true);
  });
  it('does not take a plain call, an equality or a part of an && as one', () => {
    expect(looksLikeFailureTest('is_enabled(dev)')).toBe(false);
    expect(looksLikeFailureTest('f(x) == 0')).toBe(false);
    expect(looksLikeFailureTest('a && f(x) != 0')).toBe(false);
  });
});
