import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { backoff } from '../encrypted/backoff';
import type { TableInfo } from '../encrypted/table-info';
import { writeKey } from '../encrypted/unprocessed-writes';
import { ConcurrencyLimiter } from '../providers/concurrency-limiter';
import { awsErrorName, ingestFailure, type IngestFailure } from './ingest-failure';
import { isThrottling } from './dynamodb-throttling';
import { putEncryptedItem, type EncryptedIngestItem } from './ingest-put';

export interface BatchWriteEncryptedOptions {
  /** Attempts per chunk of 25 before reporting its still-unprocessed items as not written. */
  readonly maxAttempts: number;
  /** First backoff delay; doubles per attempt, with full jitter. */
  readonly baseDelayMs: number;
  /** Chunks in flight at once. */
  readonly concurrency: number;
}

const BATCH_WRITE_LIMIT = 25;

/**
 * Writes items that are already encrypted with BatchWriteItem, 25 at a time. Unprocessed items
 * are sent again, as the same ciphertext, after a backoff. Unlike `EncryptedClient.batchWriteAll`
 * it reports per item instead of throwing: items still unprocessed after `maxAttempts` are
 * `not-written` failures, and a chunk DynamoDB refuses as a whole (one item it finds invalid
 * sinks all 25) is written again item by item so only the bad item fails.
 */
export async function batchWriteEncrypted(
  client: DynamoDBClient,
  table: TableInfo,
  items: readonly EncryptedIngestItem[],
  options: BatchWriteEncryptedOptions,
): Promise<IngestFailure[]> {
  const limiter = new ConcurrencyLimiter(options.concurrency);
  const chunks: EncryptedIngestItem[][] = [];
  for (let offset = 0; offset < items.length; offset += BATCH_WRITE_LIMIT) chunks.push(items.slice(offset, offset + BATCH_WRITE_LIMIT));
  const failures = await Promise.all(chunks.map((chunk) => limiter.run(() => writeChunk(client, table, chunk, options))));
  return failures.flat();
}

async function writeChunk(
  client: DynamoDBClient,
  table: TableInfo,
  chunk: readonly EncryptedIngestItem[],
  options: BatchWriteEncryptedOptions,
): Promise<IngestFailure[]> {
  // DynamoDB echoes unprocessed requests back as new objects: find ours again by primary key.
  const byKey = new Map(chunk.map((entry) => [writeKey(table, putRequest(entry)), entry]));
  let pending: EncryptedIngestItem[] = [...chunk];
  for (let attempt = 1; ; attempt += 1) {
    try {
      const output = await client.send(new BatchWriteItemCommand({ RequestItems: { [table.name]: pending.map(putRequest) } }));
      const unprocessed = output.UnprocessedItems?.[table.name] ?? [];
      pending = unprocessed.map((request) => byKey.get(writeKey(table, request))).filter((entry) => entry !== undefined);
    } catch (error) {
      if (awsErrorName(error) === 'ValidationException') return writeOneByOne(client, table, pending);
      if (!isThrottling(error)) throw error;
      // The whole request was throttled: every pending item is still pending.
    }
    if (pending.length === 0) return [];
    if (attempt >= options.maxAttempts) {
      return pending.map((entry) =>
        ingestFailure(entry.index, 'not-written', `DynamoDB kept returning the item unprocessed for ${options.maxAttempts} attempts: send it again later`),
      );
    }
    await backoff(attempt, options.baseDelayMs);
  }
}

async function writeOneByOne(client: DynamoDBClient, table: TableInfo, chunk: readonly EncryptedIngestItem[]): Promise<IngestFailure[]> {
  const failures = await Promise.all(chunk.map((entry) => putEncryptedItem(client, table.name, table.primaryIndex.partition, entry, false)));
  return failures.filter((failure) => failure !== undefined);
}

function putRequest(entry: EncryptedIngestItem): WriteRequest {
  return { PutRequest: { Item: entry.item } };
}
