import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbEncryptionError, KmsError } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';
import { awsErrorName, ingestFailure, type IngestFailure } from './ingest-failure';
import { isThrottling } from './dynamodb-throttling';
import { sameItem } from './reencrypt-item-equality';

/** DynamoDB wrote an item under a condition that can never hold: the table is not behaving as DynamoDB does. */
export class IngestProbeError extends DynamoDbEncryptionError {
  constructor(tableName: string) {
    super('DynamoDB accepted a put whose condition can never hold, while checking an item without writing it', { tableName });
  }
}

/** An item already encrypted and signed, with its position in the caller's request. */
export interface EncryptedIngestItem {
  readonly index: number;
  readonly item: DynamoDbItem;
  /** What `item` decrypts to: a create-only put compares it with an item it finds in the way. */
  readonly plaintext: DynamoDbItem;
}

/**
 * Create-only: how to read an item found under the same primary key, to tell an earlier
 * delivery of the same item (written, then reported failed because another item of the
 * message was not) from another writer's item.
 */
export interface CreateOnly {
  /** Verifies and decrypts a stored item with the configuration the ingest encrypts with. */
  readonly decrypt: (stored: DynamoDbItem) => Promise<DynamoDbItem>;
}

/**
 * Writes one encrypted item with PutItem. With `createOnly` the put is conditional on no item
 * having the partition key (with the sort key, when the table has one, that still means "this
 * primary key": the condition is evaluated against the item with the same full key). An item
 * found in the way that verifies and holds exactly the values being written counts as written:
 * a message delivered again after a partial failure would otherwise fail for ever.
 * Item-level refusals come back as a failure; anything else (permissions, a missing table, KMS
 * unreachable while reading the item found) is thrown, because no other item would fare better.
 */
export async function putEncryptedItem(
  client: DynamoDBClient,
  tableName: string,
  partitionKey: string,
  encrypted: EncryptedIngestItem,
  createOnly?: CreateOnly,
): Promise<IngestFailure | undefined> {
  const condition =
    createOnly === undefined
      ? {}
      : {
          ConditionExpression: 'attribute_not_exists(#ingestPartitionKey)',
          ExpressionAttributeNames: { '#ingestPartitionKey': partitionKey },
          // The item in the way comes back with the refusal: no second read, no race with a later write.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
        };
  try {
    await client.send(new PutItemCommand({ TableName: tableName, Item: encrypted.item, ...condition }));
    return undefined;
  } catch (error) {
    const name = awsErrorName(error);
    if (name === 'ConditionalCheckFailedException' && createOnly !== undefined) {
      // ConditionalCheckFailedException carries it as `Item` (ALL_OLD asked for above).
      const stored = (error as { Item?: DynamoDbItem }).Item;
      if (stored !== undefined && (await holdsSameValues(stored, encrypted.plaintext, createOnly))) return undefined;
      return ingestFailure(encrypted.index, 'exists', 'an item with this primary key already exists (create-only ingest)');
    }
    if (name === 'ValidationException') return ingestFailure(encrypted.index, 'invalid', 'DynamoDB refused the item (ValidationException)');
    if (isThrottling(error)) return ingestFailure(encrypted.index, 'not-written', `DynamoDB kept throttling the write (${name}): send the item again later`);
    throw error;
  }
}

/**
 * An item that does not verify (tampered, other keys, plaintext) or decrypts to other values is
 * someone else's: `exists`. KMS failing says nothing about the item, so it is thrown and the
 * whole write is tried again later rather than reported `exists` for good.
 */
async function holdsSameValues(stored: DynamoDbItem, plaintext: DynamoDbItem, createOnly: CreateOnly): Promise<boolean> {
  try {
    return sameItem(await createOnly.decrypt(stored), plaintext);
  } catch (error) {
    if (error instanceof DynamoDbEncryptionError && !(error instanceof KmsError)) return false;
    throw error;
  }
}

/**
 * Asks DynamoDB whether it would take the item, without writing it: a PutItem whose condition
 * can never hold. DynamoDB validates the item (number range, empty sets, size...) before it
 * evaluates a condition, so a ValidationException names a bad item and ConditionalCheckFailed
 * a good one. It costs a write unit per KB, like the write it stands for: it is only used to
 * find the bad item of a batch DynamoDB refused, when nothing of that batch may be written.
 * Resolves to the failure of a bad item, undefined for a good one, `unknown` when DynamoDB kept
 * throttling; anything else is thrown, as by `putEncryptedItem`.
 */
export async function probeEncryptedItem(
  client: DynamoDBClient,
  tableName: string,
  partitionKey: string,
  encrypted: EncryptedIngestItem,
): Promise<IngestFailure | undefined | 'unknown'> {
  try {
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: encrypted.item,
        ConditionExpression: 'attribute_exists(#ingestPartitionKey) AND attribute_not_exists(#ingestPartitionKey)',
        ExpressionAttributeNames: { '#ingestPartitionKey': partitionKey },
      }),
    );
  } catch (error) {
    const name = awsErrorName(error);
    if (name === 'ConditionalCheckFailedException') return undefined;
    if (name === 'ValidationException') return ingestFailure(encrypted.index, 'invalid', 'DynamoDB refused the item (ValidationException)');
    if (isThrottling(error)) return 'unknown';
    throw error;
  }
  // A condition that cannot hold held: nothing sensible can be said of the table, so stop here.
  throw new IngestProbeError(tableName);
}
