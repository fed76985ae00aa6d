import type { EncryptedClient } from '../encrypted/encrypted-client';
import type { TableCrypto } from '../encrypted/table-crypto';
import type { TableInfo } from '../encrypted/table-info';
import { writeKey } from '../encrypted/unprocessed-writes';
import { EncryptionError, InvalidArgumentError, SerializationError } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';
import { runStoppingAtFailure } from './all-settled';
import { batchWriteEncrypted, heldBack } from './ingest-batch-write';
import { ingestFailure, type IngestFailure, type IngestResult } from './ingest-failure';
import { checkIngestItem } from './ingest-item-check';
import { describeKeySchema, keySchemaFromTableInfo, type IngestKeySchema } from './ingest-key-schema';
import { putEncryptedItem, type EncryptedIngestItem } from './ingest-put';

export interface IngestWriterOptions {
  /** Encrypts with its materials provider and attribute actions, and sends with its DynamoDB client. */
  readonly encryptedClient: EncryptedClient;
  readonly tableName: string;
  /**
   * Never overwrite: each item is a PutItem conditional on its primary key being absent, and an
   * existing item is an `exists` failure, unless it verifies and holds exactly the item's values
   * (an earlier delivery of the same request wrote it): that item counts as written.
   * Otherwise items go in BatchWriteItem chunks of 25.
   * @default false
   */
  readonly createOnly?: boolean;
  /**
   * The key attributes and their types.
   * @default learned with one DescribeTable on first use
   */
  readonly keySchema?: IngestKeySchema;
  /**
   * Requests in flight at once (BatchWriteItem chunks, or PutItems when create-only).
   * @default 8
   */
  readonly concurrency?: number;
  /**
   * Attempts per chunk before its still-unprocessed items are reported `not-written`.
   * @default 10
   */
  readonly maxAttempts?: number;
  /**
   * First backoff delay between attempts; doubles per attempt, with full jitter.
   * @default 50
   */
  readonly baseDelayMs?: number;
}

export interface IngestWriteOptions {
  /**
   * Write nothing when any item is invalid (the result then lists every invalid item and
   * `written` is 0), so a caller can fix the request and send it again without duplicates.
   *
   * Some items pass every check here and are still refused by DynamoDB (a number out of its
   * range, an empty set): that is known only once a write is sent. A request of at most 25
   * items (one BatchWriteItem, refused as a whole) still writes nothing; the refused item is
   * `invalid` and the others `not-written`. In a larger request, or with create-only (one
   * PutItem per item), writes sent before the refusal may have succeeded: `written` counts
   * them, no write is started after the refusal, and every item not written is in `failures`.
   * @default false: valid items are written, invalid ones reported
   */
  readonly allOrNothing?: boolean;
}

export type IngestValidation = { readonly index: number; readonly ok: true } | { readonly index: number; readonly ok: false; readonly reason: string };

/**
 * Encrypts and writes plaintext items coming from outside (a Lambda event, a CLI, a container):
 * the engine of the ingest pipeline.
 *
 * Items are native JSON values, marshalled with `@aws-sdk/util-dynamodb` (`removeUndefinedValues`);
 * the `AttributeValue` form is not recognised, and numbers are JavaScript numbers, so integers
 * beyond ±2^53 are refused rather than rounded. Each item is checked (an object; convertible;
 * partition and sort key present, non-empty and of the table's key types, index keys of their
 * types; no reserved attribute name; no primary key twice in one request; within 400 KB once
 * encrypted) and encrypted exactly once: retries of unprocessed items send the same ciphertext.
 * Failures name the item's position and the attribute, never a value.
 */
export class IngestWriter {
  readonly tableName: string;
  readonly createOnly: boolean;
  private readonly encryptedClient: EncryptedClient;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private keySchema?: Promise<IngestKeySchema>;

  constructor(options: IngestWriterOptions) {
    if (options?.encryptedClient === undefined) throw new InvalidArgumentError('IngestWriter needs an EncryptedClient');
    if (typeof options.tableName !== 'string' || options.tableName === '') throw new InvalidArgumentError('IngestWriter needs a table name');
    this.encryptedClient = options.encryptedClient;
    this.tableName = options.tableName;
    this.createOnly = options.createOnly ?? false;
    this.concurrency = options.concurrency ?? 8;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.baseDelayMs = options.baseDelayMs ?? 50;
    if (options.keySchema !== undefined) this.keySchema = Promise.resolve(options.keySchema);
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1 || !Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new InvalidArgumentError('IngestWriter concurrency and maxAttempts must be whole numbers >= 1', { tableName: this.tableName });
    }
  }

  /**
   * Every check `write` makes, without writing. Items are encrypted to learn their final size,
   * so this costs what encryption costs (a KMS call per item with Direct KMS materials).
   */
  async validate(items: readonly unknown[]): Promise<IngestValidation[]> {
    const { failures } = await this.prepare(assertArray(items, this.tableName), false);
    const reasons = new Map(failures.map((failure) => [failure.index, failure.reason]));
    return items.map((_item, index): IngestValidation => {
      const reason = reasons.get(index);
      return reason === undefined ? { index, ok: true } : { index, ok: false, reason };
    });
  }

  /** Checks, encrypts and writes the items; reports every item not written, in request order. */
  async write(items: readonly unknown[], options: IngestWriteOptions = {}): Promise<IngestResult> {
    const allOrNothing = options.allOrNothing ?? false;
    const { table, encrypted, failures } = await this.prepare(assertArray(items, this.tableName), allOrNothing);
    if (allOrNothing && failures.length > 0) return { written: 0, failures };
    const writeFailures = this.createOnly ? await this.putEach(table, encrypted, allOrNothing) : await this.batchWrite(table.tableInfo, encrypted, allOrNothing);
    return {
      written: encrypted.length - writeFailures.length,
      failures: [...failures, ...writeFailures].sort((a, b) => a.index - b.index),
    };
  }

  /**
   * Checks every item, then encrypts the valid ones in parallel (the providers bound their own
   * KMS concurrency). With `stopOnInvalid`, one invalid item stops before any encryption.
   */
  private async prepare(
    items: readonly unknown[],
    stopOnInvalid: boolean,
  ): Promise<{ table: TableCrypto; encrypted: EncryptedIngestItem[]; failures: IngestFailure[] }> {
    const table = await this.encryptedClient.tableCrypto(this.tableName);
    const schema = await this.learnKeySchema(table.tableInfo);
    assertSameKeys(table.tableInfo, schema);
    const failures: IngestFailure[] = [];
    const valid: Array<{ index: number; item: DynamoDbItem }> = [];
    const firstWithKey = new Map<string, number>();
    items.forEach((value, index) => {
      const check = checkIngestItem(value, schema);
      if (!check.ok) {
        failures.push(ingestFailure(index, 'invalid', check.reason));
        return;
      }
      // BatchWriteItem refuses a request naming one key twice; sequential puts would race.
      const key = writeKey(table.tableInfo, { PutRequest: { Item: check.item } });
      const first = firstWithKey.get(key);
      if (first !== undefined) {
        failures.push(ingestFailure(index, 'invalid', `has the same primary key as item ${first}: a request may write each key once`));
        return;
      }
      firstWithKey.set(key, index);
      valid.push({ index, item: check.item });
    });
    if (stopOnInvalid && failures.length > 0) return { table, encrypted: [], failures };

    const outcomes = await Promise.all(
      valid.map(async ({ index, item }): Promise<EncryptedIngestItem | IngestFailure> => {
        try {
          return { index, item: await table.encrypt(item), plaintext: item };
        } catch (error) {
          // The item's fault (too big once encrypted, a value that cannot be canonicalized):
          // report it. KMS or provider failures are nobody's item's fault: they propagate.
          if (error instanceof InvalidArgumentError || error instanceof SerializationError || error instanceof EncryptionError) {
            return ingestFailure(index, 'invalid', error.message);
          }
          throw error;
        }
      }),
    );
    const encrypted = outcomes.filter((outcome): outcome is EncryptedIngestItem => 'item' in outcome);
    failures.push(...outcomes.filter((outcome): outcome is IngestFailure => 'reason' in outcome));
    return { table, encrypted, failures: failures.sort((a, b) => a.index - b.index) };
  }

  private batchWrite(table: TableInfo, encrypted: readonly EncryptedIngestItem[], allOrNothing: boolean): Promise<IngestFailure[]> {
    return batchWriteEncrypted(this.encryptedClient.client, table, encrypted, {
      maxAttempts: this.maxAttempts,
      baseDelayMs: this.baseDelayMs,
      concurrency: this.concurrency,
      allOrNothing,
    });
  }

  private async putEach(table: TableCrypto, encrypted: readonly EncryptedIngestItem[], allOrNothing: boolean): Promise<IngestFailure[]> {
    const { name, primaryIndex } = table.tableInfo;
    const createOnly = { decrypt: (stored: DynamoDbItem) => table.decrypt(stored) };
    let refused = false;
    // After a failure the call throws: no more puts are sent, and it waits for those in flight.
    const failures = await runStoppingAtFailure(
      encrypted,
      this.concurrency,
      async (entry): Promise<IngestFailure | undefined> => {
        // Each put stands alone, so puts already sent stay written; at least no more are sent.
        if (allOrNothing && refused) return heldBack(entry);
        const failure = await putEncryptedItem(this.encryptedClient.client, name, primaryIndex.partition, entry, createOnly);
        if (failure?.code === 'invalid') refused = true;
        return failure;
      },
      undefined,
    );
    return failures.filter((failure) => failure !== undefined);
  }

  private learnKeySchema(tableInfo: TableInfo): Promise<IngestKeySchema> {
    if (this.keySchema === undefined) {
      // The client's own DescribeTable carries the key types; only key names from configuration need another.
      const known = keySchemaFromTableInfo(tableInfo);
      const learning = known === undefined ? describeKeySchema(this.encryptedClient.client, this.tableName) : Promise.resolve(known);
      this.keySchema = learning;
      // A failed DescribeTable is not remembered: the next request asks again.
      learning.catch(() => {
        if (this.keySchema === learning) this.keySchema = undefined;
      });
    }
    return this.keySchema;
  }
}

function assertArray(items: readonly unknown[], tableName: string): readonly unknown[] {
  if (!Array.isArray(items)) throw new InvalidArgumentError('ingest takes an array of items', { tableName });
  return items;
}

/** Key names given in configuration must be the table's: otherwise every item would be signed wrongly. */
function assertSameKeys(info: TableInfo, schema: IngestKeySchema): void {
  if (info.primaryIndex.partition !== schema.partitionKey || info.primaryIndex.sort !== schema.sortKey) {
    throw new InvalidArgumentError(
      `the configured key names (${[info.primaryIndex.partition, info.primaryIndex.sort].filter(Boolean).join(', ')}) ` +
        `are not the table's (${[schema.partitionKey, schema.sortKey].filter(Boolean).join(', ')})`,
      { tableName: info.name },
    );
  }
}
