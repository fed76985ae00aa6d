import { InvalidArgumentError } from '../errors';

export interface CapacityBudgetOptions {
  /** Capacity units per second; undefined means unlimited. */
  readonly unitsPerSecond?: number;
  /** @default performance.now */
  readonly clock?: () => number;
  /** @default setTimeout */
  readonly sleep?: (milliseconds: number) => Promise<void>;
}

/**
 * A token bucket in DynamoDB capacity units. A request takes its estimated units before it is
 * sent and `settle`s with what DynamoDB reports consumed (ReturnConsumedCapacity), so the rate
 * holds even when estimates are off; the bucket may go into debt, and later requests wait it
 * off. It holds one second of units, so an idle pause does not turn into a burst.
 */
export class CapacityBudget {
  private readonly rate?: number;
  private readonly capacity: number;
  private readonly clock: () => number;
  private readonly sleep: (milliseconds: number) => Promise<void>;
  private tokens: number;
  private updatedAt: number;
  // Takers are served one at a time, in arrival order.
  private queue: Promise<void> = Promise.resolve();

  constructor(options: CapacityBudgetOptions = {}) {
    const rate = options.unitsPerSecond;
    if (rate !== undefined && (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0)) {
      throw new InvalidArgumentError(`a capacity budget must be a positive number of units per second, got ${String(rate)}`);
    }
    this.rate = rate;
    this.capacity = Math.max(rate ?? 0, 1);
    this.clock = options.clock ?? (() => performance.now());
    this.sleep = options.sleep ?? ((milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)));
    this.tokens = this.capacity;
    this.updatedAt = this.clock();
  }

  get unlimited(): boolean {
    return this.rate === undefined;
  }

  /** Waits until `units` may be spent (a request bigger than one second's worth waits for a full bucket), then spends them. */
  take(units: number): Promise<void> {
    if (this.rate === undefined) return Promise.resolve();
    const rate = this.rate;
    const turn = this.queue.then(async () => {
      const needed = Math.min(units, this.capacity);
      for (;;) {
        this.refill(rate);
        if (this.tokens >= needed) break;
        await this.sleep(((needed - this.tokens) / rate) * 1000);
      }
      this.tokens -= units;
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** Corrects an estimate with what DynamoDB reported consumed (nothing to do when it reported nothing). */
  settle(estimated: number, consumed: number | undefined): void {
    if (this.rate === undefined || consumed === undefined) return;
    this.tokens = Math.min(this.capacity, this.tokens + estimated - consumed);
  }

  private refill(rate: number): void {
    const now = this.clock();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) / 1000) * rate);
    this.updatedAt = now;
  }
}
