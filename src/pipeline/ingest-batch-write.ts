import { BatchWriteItemCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { backoff } from '../encrypted/backoff';
import type { TableInfo } from '../encrypted/table-info';
import { writeKey } from '../encrypted/unprocessed-writes';
import { allSettledThenThrow, runStoppingAtFailure } from './all-settled';
import { awsErrorName, ingestFailure, type IngestFailure } from './ingest-failure';
import { isThrottling } from './dynamodb-throttling';
import { probeEncryptedItem, putEncryptedItem, type EncryptedIngestItem } from './ingest-put';

export interface BatchWriteEncryptedOptions {
  /** Attempts per chunk of 25 before reporting its still-unprocessed items as not written. */
  readonly maxAttempts: number;
  /** First backoff delay; doubles per attempt, with full jitter. */
  readonly baseDelayMs: number;
  /** Chunks in flight at once. */
  readonly concurrency: number;
  /**
   * A chunk DynamoDB refuses as a whole is not written at all: its items are checked without
   * writing, so the bad one is named and the others reported `not-written`; and no chunk is
   * started after it (those items are `not-written` too). Chunks already written stay written.
   * @default false: the refused chunk is written item by item, so only the bad item fails
   */
  readonly allOrNothing?: boolean;
}

const BATCH_WRITE_LIMIT = 25;

/** Why a valid item of an all-or-nothing request was not written. */
const HELD_BACK = 'not written: DynamoDB refused another item of the request, which is written all or nothing';

/**
 * Writes items that are already encrypted with BatchWriteItem, 25 at a time. Unprocessed items
 * are sent again, as the same ciphertext, after a backoff. Unlike `EncryptedClient.batchWriteAll`
 * it reports per item instead of throwing: items still unprocessed after `maxAttempts` are
 * `not-written` failures, and a chunk DynamoDB refuses as a whole (one item it finds invalid
 * sinks all 25) is written again item by item so only the bad item fails, or, `allOrNothing`,
 * not written at all.
 */
export async function batchWriteEncrypted(
  client: DynamoDBClient,
  table: TableInfo,
  items: readonly EncryptedIngestItem[],
  options: BatchWriteEncryptedOptions,
): Promise<IngestFailure[]> {
  const chunks: EncryptedIngestItem[][] = [];
  for (let offset = 0; offset < items.length; offset += BATCH_WRITE_LIMIT) chunks.push(items.slice(offset, offset + BATCH_WRITE_LIMIT));
  const refusal: Refusal = { refused: false };
  // After a failure the call throws: chunks not started are not sent, so nothing is still
  // writing once it has (their items were not written: the caller reports them failed).
  const failures = await runStoppingAtFailure(
    chunks,
    options.concurrency,
    (chunk, failed) => (options.allOrNothing === true && refusal.refused ? Promise.resolve(chunk.map(heldBack)) : writeChunk(client, table, chunk, options, refusal, failed)),
    [],
  );
  return failures.flat();
}

/** Set once DynamoDB refused a chunk of an all-or-nothing request: chunks not yet started stay unwritten. */
interface Refusal {
  refused: boolean;
}

async function writeChunk(
  client: DynamoDBClient,
  table: TableInfo,
  chunk: readonly EncryptedIngestItem[],
  options: BatchWriteEncryptedOptions,
  refusal: Refusal,
  failed: () => boolean,
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
      if (awsErrorName(error) === 'ValidationException') {
        if (options.allOrNothing !== true) return writeOneByOne(client, table, pending);
        refusal.refused = true;
        return findRefused(client, table, pending);
      }
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
    if (failed()) return []; // another chunk failed meanwhile: the call throws, this chunk's rest stays unsent
  }
}

async function writeOneByOne(client: DynamoDBClient, table: TableInfo, chunk: readonly EncryptedIngestItem[]): Promise<IngestFailure[]> {
  const failures = await allSettledThenThrow(chunk.map((entry) => putEncryptedItem(client, table.name, table.primaryIndex.partition, entry)));
  return failures.filter((failure) => failure !== undefined);
}

/** The items of a refused chunk, none written: the ones DynamoDB refuses are `invalid`, the others held back. */
async function findRefused(client: DynamoDBClient, table: TableInfo, chunk: readonly EncryptedIngestItem[]): Promise<IngestFailure[]> {
  const verdicts = await allSettledThenThrow(chunk.map((entry) => probeEncryptedItem(client, table.name, table.primaryIndex.partition, entry)));
  return chunk.map((entry, position) => {
    const verdict = verdicts[position];
    return verdict === undefined || verdict === 'unknown' ? heldBack(entry) : verdict;
  });
}

/** The failure of a valid item held back because DynamoDB refused another item of an all-or-nothing request. */
export function heldBack(entry: EncryptedIngestItem): IngestFailure {
  return ingestFailure(entry.index, 'not-written', HELD_BACK);
}

function putRequest(entry: EncryptedIngestItem): WriteRequest {
  return { PutRequest: { Item: entry.item } };
}
