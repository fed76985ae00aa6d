import { DynamoDbEncryptionError } from '../errors';

/**
 * What ingest reports for an item it did not write. `index` is the item's position in the
 * request; `reason` names the item and the attribute, never a value, so it may be logged and
 * returned to the caller as it is.
 *
 * - `invalid`: the item itself is wrong (shape, keys, reserved names, size, or DynamoDB refused
 *   it); sending it again unchanged fails again.
 * - `exists`: create-only ingest found an item with the same primary key.
 * - `not-written`: the item is fine and may be sent again: DynamoDB kept throttling, or another
 *   item of an all-or-nothing request was refused by DynamoDB.
 */
export type IngestFailureCode = 'invalid' | 'exists' | 'not-written';

export interface IngestFailure {
  readonly index: number;
  readonly code: IngestFailureCode;
  readonly reason: string;
}

export interface IngestResult {
  /** Items written (encrypted) to the table. */
  readonly written: number;
  /** One entry per item not written, in request order. */
  readonly failures: IngestFailure[];
}

/** A failure for item `index`: the reason starts with the item's position. */
export function ingestFailure(index: number, code: IngestFailureCode, reason: string): IngestFailure {
  return { index, code, reason: `item ${index}: ${reason}` };
}

/** The name of an AWS error, for reasons: its message may describe the request, its name never does. */
export function awsErrorName(error: unknown): string {
  const name = (error as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && /^[A-Za-z.]+$/.test(name) ? name : 'an unnamed error';
}

/**
 * Not every item of a unit of work (an SQS message) was written; `failures` says which and why.
 * Thrown so that the batch processor reports the message as failed.
 */
export class IngestItemsNotWrittenError extends DynamoDbEncryptionError {
  constructor(
    readonly failures: readonly IngestFailure[],
    readonly written: number,
  ) {
    super(`${failures.length} item(s) not written (${written} written): ${failures.map((failure) => failure.reason).join('; ')}`);
  }
}
