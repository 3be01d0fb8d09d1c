// The name-derived pairs of src/engine/kernel/pairs.ts: how acquire and release names map onto
// each other.
import { describe, expect, it } from 'vitest';
import { acquireNamesFor, counterpartNames } from '../../src/engine/kernel/pairs.js';

describe('counterpartNames', () => {
  it('replaces one acquire word by its undo words', () => {
    expect(counterpartNames('foo_register')).toEqual(['foo_unregister', 'foo_deregister']);
    expect(acquireNamesFor('foo_unregister')).toContain('foo_register');
  });

  it('undoes two verbs in a row with one counterpart (crypto_engine_alloc_init() / crypto_engine_exit())', () => {
    const names = counterpartNames('crypto_engine_alloc_init');
    expect(names).toContain('crypto_engine_exit');
    expect(names).toContain('crypto_engine_alloc_exit');
    expect(counterpartNames('foo_register')).not.toContain('foo');
  });

  it('does not read words of a name from Object.prototype (`constructor`, `toString`)', () => {
    // A crash seen on a real file: `COUNTERPARTS['constructor']` is Object itself.
    expect(counterpartNames('cache_constructor')).toEqual([]);
    expect(counterpartNames('toString')).toEqual([]);
  });
});
