/**
 * At most one running call per key: callers that ask for a key while its call is still running
 * share that call's promise instead of starting another. Stops a burst of cache misses (a TTL
 * expiring under load) from becoming a burst of identical MetaStore reads.
 */
export class SingleFlight<K, V> {
  private readonly running = new Map<K, Promise<V>>();

  run(key: K, work: () => Promise<V>): Promise<V> {
    const existing = this.running.get(key);
    if (existing !== undefined) return existing;
    const call = (async () => work())();
    this.running.set(key, call);
    const forget = () => {
      // After `clear()` a newer call may hold the key; only remove our own entry.
      if (this.running.get(key) === call) this.running.delete(key);
    };
    call.then(forget, forget);
    return call;
  }

  isRunning(key: K): boolean {
    return this.running.has(key);
  }

  /** Later callers start new calls; calls already running finish for those awaiting them. */
  clear(): void {
    this.running.clear();
  }
}
