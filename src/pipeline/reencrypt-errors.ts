import { DynamoDbEncryptionError, InvalidArgumentError } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';
import type { ReEncryptCounts } from './reencrypt-counts';

/**
 * A re-encryption request (segment, totalSegments, checkpoint, filter...) is malformed. Every
 * problem is listed; messages name fields, never the values given for them (a filter value or a
 * checkpoint key may be data).
 */
export class ReEncryptRequestError extends InvalidArgumentError {
  constructor(
    readonly problems: readonly string[],
    tableName?: string,
  ) {
    super(`invalid re-encryption request: ${problems.join('; ')}`, { tableName });
  }
}

/**
 * The "unchanged since read" condition for an item would exceed DynamoDB's 4 KB expression
 * limit (an item with very many attributes): name a `versionAttribute` that writers change on
 * every write, and the condition compares that instead.
 */
export class ConditionTooLargeError extends DynamoDbEncryptionError {}

/**
 * A segment stopped on a failure that is not about one item (Scan failed, DynamoDB kept
 * throttling). `lastEvaluatedKey` is the last exact checkpoint (every item before it was
 * processed): resume from it. `counts` and `failureReasons` are what this run did before it
 * stopped; `checkpointMoved` says whether it finished any page, so that `lastEvaluatedKey` is
 * past where the run was asked to start.
 */
export class ReEncryptSegmentError extends DynamoDbEncryptionError {
  readonly checkpointMoved: boolean;
  readonly failureReasons: Readonly<Record<string, number>>;

  constructor(
    message: string,
    tableName: string,
    readonly lastEvaluatedKey: DynamoDbItem | undefined,
    readonly counts: ReEncryptCounts,
    options: { cause?: unknown; checkpointMoved?: boolean; failureReasons?: Readonly<Record<string, number>> } = {},
  ) {
    super(message, { tableName }, options.cause === undefined ? undefined : { cause: options.cause });
    this.checkpointMoved = options.checkpointMoved ?? false;
    this.failureReasons = options.failureReasons ?? {};
  }
}

/** DynamoDB kept throttling a request after the SDK's retries and ours. */
export class CapacityExhaustedError extends DynamoDbEncryptionError {}

/** A caller's filter function threw: the item is counted failed and left alone. */
export class ItemFilterError extends DynamoDbEncryptionError {}
