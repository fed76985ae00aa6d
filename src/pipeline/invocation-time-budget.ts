import { DynamoDbEncryptionError, InvalidArgumentError } from '../errors';

/**
 * How long before the Lambda timeout a handler stops starting work, by default: ingest stops
 * starting SQS messages, the stream fan-out stops taking records.
 */
export const DEFAULT_TIME_RESERVE_MS = 5_000;

/** The reserve, checked: a number of milliseconds >= 0. */
export function checkTimeReserve(reserveMs: number): number {
  if (typeof reserveMs !== 'number' || !Number.isFinite(reserveMs) || reserveMs < 0) {
    throw new InvalidArgumentError('the time reserve (timeReserveMs) must be a number of milliseconds >= 0');
  }
  return reserveMs;
}

/** What a handler needs of a Lambda context to watch the time. */
export interface RemainingTime {
  getRemainingTimeInMillis(): number;
}

/**
 * When to stop starting work in one invocation: once less than the reserve is left. The reserve
 * is `reserveMs` but at most a fifth of the time the invocation started with, so a short timeout
 * still leaves time to work. A message already started always finishes.
 *
 * Why: a timed-out invocation fails its whole batch. For SQS, messages already written included,
 * and SQS counts a receive against each of them; messages reported failed before the timeout
 * are received again alone, and those written are not. For a stream, Lambda retries the whole
 * batch instead of resuming from the first record not done.
 */
export class InvocationTimeBudget {
  readonly reserveMs: number;

  private constructor(
    private readonly context: RemainingTime,
    reserveMs: number,
  ) {
    this.reserveMs = reserveMs;
  }

  /**
   * The budget of one invocation, or undefined without a context that tells the remaining time
   * (a test, a container, a CLI): then every message is started.
   */
  static of(context: unknown, reserveMs: number = DEFAULT_TIME_RESERVE_MS): InvocationTimeBudget | undefined {
    checkTimeReserve(reserveMs);
    const remaining = (context as Partial<RemainingTime> | null | undefined)?.getRemainingTimeInMillis;
    if (typeof remaining !== 'function') return undefined;
    const timed = context as RemainingTime;
    return new InvocationTimeBudget(timed, Math.min(reserveMs, timed.getRemainingTimeInMillis() / 5));
  }

  remainingMs(): number {
    return this.context.getRemainingTimeInMillis();
  }

  /** Whether the time left is under the reserve: start nothing more. */
  shouldStop(): boolean {
    return this.remainingMs() < this.reserveMs;
  }

  /** Throws IngestNotStartedError when the time left is under the reserve; call before starting a message. */
  assertTimeToStart(): void {
    const remainingMs = this.remainingMs();
    if (remainingMs < this.reserveMs) throw new IngestNotStartedError(remainingMs, this.reserveMs);
  }
}

/** A unit of ingest work (an SQS message) was not started: the invocation was too near its timeout. */
export class IngestNotStartedError extends DynamoDbEncryptionError {
  constructor(
    readonly remainingMs: number,
    readonly reserveMs: number,
  ) {
    super(`not started: ${Math.round(remainingMs)} ms of the invocation left, under its ${Math.round(reserveMs)} ms reserve; it is delivered again`);
  }
}
