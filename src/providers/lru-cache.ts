/**
 * A bounded least-recently-used map whose entries also expire a fixed time after they were
 * stored. The expiry is measured from `set`, not from the last `get`: a cached provider must be
 * loaded again (and so re-authorized by whoever protects it) at least once per TTL however busy
 * it is. The reference clients' caches lacked that, and a revoked permission never took effect.
 */
export class LruCache<K, V> {
  // A Map iterates in insertion order, so re-inserting on use keeps the oldest entry first.
  private readonly entries = new Map<K, { readonly value: V; readonly storedAt: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
    private readonly clock: () => number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The live value, marked as most recently used; undefined when absent or expired. */
  get(key: K): V | undefined {
    return this.entry(key)?.value;
  }

  /** Like `get`, with the time the value was stored (when it expires is `storedAt + ttlMs`). */
  entry(key: K): { readonly value: V; readonly storedAt: number } | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.clock() - entry.storedAt >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, storedAt: this.clock() });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as K;
      this.entries.delete(oldest);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}
