import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDbItem } from '../format/attribute-value';
import { awsErrorName, ingestFailure, type IngestFailure } from './ingest-failure';
import { isThrottling } from './dynamodb-throttling';

/** An item already encrypted and signed, with its position in the caller's request. */
export interface EncryptedIngestItem {
  readonly index: number;
  readonly item: DynamoDbItem;
}

/**
 * Writes one encrypted item with PutItem. With `createOnly` the put is conditional on no item
 * having the partition key (with the sort key, when the table has one, that still means "this
 * primary key": the condition is evaluated against the item with the same full key).
 * Item-level refusals come back as a failure; anything else (permissions, a missing table) is
 * thrown, because no other item would fare better.
 */
export async function putEncryptedItem(
  client: DynamoDBClient,
  tableName: string,
  partitionKey: string,
  encrypted: EncryptedIngestItem,
  createOnly: boolean,
): Promise<IngestFailure | undefined> {
  const condition = createOnly
    ? { ConditionExpression: 'attribute_not_exists(#ingestPartitionKey)', ExpressionAttributeNames: { '#ingestPartitionKey': partitionKey } }
    : {};
  try {
    await client.send(new PutItemCommand({ TableName: tableName, Item: encrypted.item, ...condition }));
    return undefined;
  } catch (error) {
    const name = awsErrorName(error);
    if (name === 'ConditionalCheckFailedException') return ingestFailure(encrypted.index, 'exists', 'an item with this primary key already exists (create-only ingest)');
    if (name === 'ValidationException') return ingestFailure(encrypted.index, 'invalid', 'DynamoDB refused the item (ValidationException)');
    if (isThrottling(error)) return ingestFailure(encrypted.index, 'not-written', `DynamoDB kept throttling the write (${name}): send the item again later`);
    throw error;
  }
}
