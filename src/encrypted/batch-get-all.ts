import type { BatchGetKeysAndAttributes } from '@aws-sdk/lib-dynamodb';
import { BatchRetriesExhaustedError } from '../errors';
import { backoff } from './backoff';
import type { NativeAttributeMap } from './document-translation';
import type { EncryptedDocumentClient } from './encrypted-document-client';

export interface BatchGetAllOptions extends Omit<BatchGetKeysAndAttributes, 'Keys'> {
  /**
   * Attempts per chunk of 100 keys before giving up on the keys still unprocessed.
   * @default 10
   */
  readonly maxAttempts?: number;
  /**
   * First backoff delay; it doubles per attempt, with full jitter.
   * @default 50
   */
  readonly baseDelayMs?: number;
}

/** DynamoDB's limit on keys per BatchGetItem request. */
const BATCH_GET_LIMIT = 100;

/**
 * Reads the items of any number of keys of one table: in chunks of 100, retrying unprocessed
 * keys with exponential backoff, as `batchWriteAll` does for writes. Items come back in no
 * particular order, and keys without an item are left out (BatchGetItem's own behaviour).
 */
export async function batchGetAll(
  client: EncryptedDocumentClient,
  tableName: string,
  keys: readonly NativeAttributeMap[],
  options: BatchGetAllOptions = {},
): Promise<NativeAttributeMap[]> {
  const { maxAttempts = 10, baseDelayMs = 50, ...request } = options;
  const items: NativeAttributeMap[] = [];
  for (let offset = 0; offset < keys.length; offset += BATCH_GET_LIMIT) {
    let pending: NativeAttributeMap[] = keys.slice(offset, offset + BATCH_GET_LIMIT);
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const output = await client.batchGet({ RequestItems: { [tableName]: { ...request, Keys: pending } } });
      items.push(...(output.Responses?.[tableName] ?? []));
      pending = output.UnprocessedKeys?.[tableName]?.Keys ?? [];
      if (pending.length === 0) break;
      if (attempt >= maxAttempts) {
        throw new BatchRetriesExhaustedError(
          `${pending.length} key(s) were still unprocessed after ${maxAttempts} attempts; DynamoDB is throttling`,
          { tableName },
          pending,
        );
      }
      await backoff(attempt, baseDelayMs);
    }
  }
  return items;
}
