/**
 * Runs at most `limit` tasks at once; the rest wait in arrival order. Providers use it so that
 * decrypting a page or a stream batch in parallel keeps a bounded number of KMS calls in flight.
 */
export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a concurrency limit must be a whole number >= 1, got ${limit}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit || this.waiting.length > 0) {
      // The slot is handed over by the task that frees it (see below), already counted: a caller
      // arriving between that hand-over and this caller resuming finds no free slot to take.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.running -= 1;
      else next();
    }
  }
}
