import { isThrottling } from './dynamodb-throttling';
import { CapacityExhaustedError } from './reencrypt-errors';

export interface ThrottleRetryOptions {
  /** Retries after the SDK's own have given up. @default 8 */
  readonly maxRetries?: number;
  /** First wait; it doubles per retry, with full jitter. @default 100 */
  readonly baseDelayMs?: number;
  /** @default 5000 */
  readonly maxDelayMs?: number;
  /** @default setTimeout */
  readonly sleep?: (milliseconds: number) => Promise<void>;
}

/**
 * Runs a DynamoDB request, and when it still fails with throttling after the SDK's retries,
 * waits longer than the SDK does and tries again. Safe for the re-encryptor's writes: they are
 * conditional, so a request that did land is never applied twice.
 */
export class ThrottleRetry {
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (milliseconds: number) => Promise<void>;
  /** Throttling failures seen (each followed by a wait), for metrics. */
  throttled = 0;

  constructor(options: ThrottleRetryOptions = {}) {
    this.maxRetries = options.maxRetries ?? 8;
    this.baseDelayMs = options.baseDelayMs ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 5000;
    this.sleep = options.sleep ?? ((milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)));
  }

  async run<T>(operation: string, tableName: string, send: () => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry += 1) {
      try {
        return await send();
      } catch (error) {
        if (!isThrottling(error)) throw error;
        this.throttled += 1;
        if (retry >= this.maxRetries) {
          throw new CapacityExhaustedError(
            `DynamoDB kept throttling ${operation} after ${this.maxRetries} retries beyond the SDK's (${(error as Error).name}): lower the capacity budget or raise the table's throughput`,
            { tableName },
            { cause: error },
          );
        }
        await this.sleep(Math.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** retry));
      }
    }
  }
}
