// A bounded map that drops its least recently used entry when full: the one shape behind the
// caches of repeated answers (preprocessed images, index rows, pre-image rule runs).

export class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}

  get size(): number {
    return this.map.size;
  }

  /** The value, marked as just used. */
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, value);
  }

  clear(): void {
    this.map.clear();
  }
}

/**
 * `fn` answering from its last `max` results: for pure functions of a string that one review asks
 * about the same text several times.
 */
export function memoLast<V>(max: number, fn: (s: string) => V): (s: string) => V {
  const kept = new LruMap<string, V>(max);
  return (s) => {
    const hit = kept.get(s);
    if (hit !== undefined) return hit;
    const v = fn(s);
    kept.set(s, v);
    return v;
  };
}
