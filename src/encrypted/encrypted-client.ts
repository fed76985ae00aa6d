import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type BatchGetItemCommandInput,
  type BatchGetItemCommandOutput,
  type BatchWriteItemCommandInput,
  type BatchWriteItemCommandOutput,
  type DeleteItemCommandInput,
  type DeleteItemCommandOutput,
  type DynamoDBClient,
  type GetItemCommandInput,
  type GetItemCommandOutput,
  type PutItemCommandInput,
  type PutItemCommandOutput,
  type QueryCommandInput,
  type QueryCommandOutput,
  type ScanCommandInput,
  type ScanCommandOutput,
  type TransactGetItemsCommandInput,
  type TransactGetItemsCommandOutput,
  type TransactWriteItem,
  type TransactWriteItemsCommandInput,
  type TransactWriteItemsCommandOutput,
  type UpdateItemCommandInput,
  type UpdateItemCommandOutput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { paginate } from './paginate';
import { AttributeActions } from '../encryptor/attribute-actions';
import { BatchRetriesExhaustedError, BatchWriteInterruptedError, InvalidArgumentError } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';
import type { CryptographicMaterialsProvider } from '../providers/cryptographic-materials-provider';
import { SingleFlight } from '../providers/single-flight';
import { backoff } from './backoff';
import { decryptingConditionFailure } from './condition-failure';
import { project, projectionOf, withoutProjection } from './projection';
import { TableCrypto } from './table-crypto';
import { TableInfo } from './table-info';
import { TransactionCiphertexts } from './transaction-ciphertexts';
import { UnprocessedWrites, writeKey } from './unprocessed-writes';

export interface EncryptedClientOptions {
  /** The DynamoDB client that sends the (encrypted) requests. */
  readonly client: DynamoDBClient;
  /** Supplies keys per item: Wrapped, Direct KMS, MostRecent... */
  readonly materialsProvider: CryptographicMaterialsProvider;
  /**
   * What to do with each attribute. Index key attributes are always SIGN_ONLY.
   * @default every other attribute ENCRYPT_AND_SIGN
   */
  readonly attributeActions?: AttributeActions;
  /**
   * Tables described up front, so that no DescribeTable permission is needed for them.
   * @default [] (learned with DescribeTable on first use)
   */
  readonly tableInfos?: readonly TableInfo[];
  /**
   * Learn unknown tables with DescribeTable. When false, every table must be in `tableInfos`.
   * @default true
   */
  readonly autoRefreshTableIndexes?: boolean;
}

export interface BatchWriteAllOptions {
  /**
   * Attempts per chunk of 25 requests before giving up on the requests still unprocessed.
   * @default 10
   */
  readonly maxAttempts?: number;
  /**
   * First backoff delay; it doubles per attempt, with full jitter.
   * @default 50
   */
  readonly baseDelayMs?: number;
}

const BATCH_WRITE_LIMIT = 25;

/**
 * A DynamoDB client that encrypts and signs items on the way in and verifies and decrypts them
 * on the way out (the Python client's `EncryptedClient`). Operations take and return the
 * `@aws-sdk/client-dynamodb` inputs and outputs, with plaintext items.
 *
 * Beyond the reference clients: BatchWriteItem returns unprocessed items as the caller's
 * plaintext and `batchWriteAll` retries them without encrypting again; transactions encrypt their
 * Put items (once per ClientRequestToken, so that a retry is accepted); items returned with a
 * failed condition are verified and decrypted; UpdateItem is refused on signed attributes;
 * expressions that compare encrypted attributes, and reads of indexes whose items cannot be
 * verified, are refused with an error that says what to do instead.
 */
export class EncryptedClient {
  readonly client: DynamoDBClient;
  readonly materialsProvider: CryptographicMaterialsProvider;
  readonly attributeActions: AttributeActions;
  private readonly autoRefreshTableIndexes: boolean;
  private readonly tables = new Map<string, TableCrypto>();
  private readonly describing = new SingleFlight<string, TableCrypto>();
  private readonly unprocessed = new UnprocessedWrites();
  private readonly transactionPuts = new TransactionCiphertexts();

  constructor(options: EncryptedClientOptions) {
    if (options?.client === undefined) throw new InvalidArgumentError('EncryptedClient needs a DynamoDB client');
    if (options.materialsProvider === undefined) throw new InvalidArgumentError('EncryptedClient needs a materialsProvider');
    this.client = options.client;
    this.materialsProvider = options.materialsProvider;
    this.attributeActions = options.attributeActions ?? new AttributeActions();
    this.autoRefreshTableIndexes = options.autoRefreshTableIndexes ?? true;
    for (const info of options.tableInfos ?? []) this.tables.set(info.name, this.tableCryptoFor(info));
  }

  /** The table's crypto configuration, learning the table with DescribeTable when needed. */
  async tableCrypto(tableName: string | undefined): Promise<TableCrypto> {
    if (tableName === undefined) throw new InvalidArgumentError('the request names no TableName');
    const known = this.tables.get(tableName);
    if (known !== undefined) return known;
    if (!this.autoRefreshTableIndexes) {
      throw new InvalidArgumentError('the table is not in tableInfos and autoRefreshTableIndexes is off', { tableName });
    }
    return this.describing.run(tableName, async () => {
      const table = this.tableCryptoFor(await TableInfo.fromDescribeTable(this.client, tableName));
      this.tables.set(tableName, table);
      return table;
    });
  }

  private tableCryptoFor(info: TableInfo): TableCrypto {
    return new TableCrypto(info, this.materialsProvider, this.attributeActions);
  }

  async putItem(input: PutItemCommandInput): Promise<PutItemCommandOutput> {
    const table = await this.tableCrypto(input.TableName);
    table.assertComparable('ConditionExpression', input.ConditionExpression, input.ExpressionAttributeNames);
    table.assertComparableMap('Expected', input.Expected);
    const request = new PutItemCommand({ ...input, Item: await table.encrypt(requireItem(input.Item, table)) });
    const output = await decryptingConditionFailure(this.client.send(request), () => table);
    return { ...output, Attributes: await decryptWhole(table, output.Attributes, input.ReturnValues) };
  }

  async getItem(input: GetItemCommandInput): Promise<GetItemCommandOutput> {
    const table = await this.tableCrypto(input.TableName);
    const projection = projectionOf(input.ProjectionExpression, input.AttributesToGet, input.ExpressionAttributeNames);
    const output = await this.client.send(new GetItemCommand(withoutProjection(input, [])));
    return { ...output, Item: output.Item === undefined ? undefined : project(await table.decrypt(output.Item), projection) };
  }

  async deleteItem(input: DeleteItemCommandInput): Promise<DeleteItemCommandOutput> {
    const table = await this.tableCrypto(input.TableName);
    table.assertComparable('ConditionExpression', input.ConditionExpression, input.ExpressionAttributeNames);
    table.assertComparableMap('Expected', input.Expected);
    const output = await decryptingConditionFailure(this.client.send(new DeleteItemCommand(input)), () => table);
    return { ...output, Attributes: await decryptWhole(table, output.Attributes, input.ReturnValues) };
  }

  async updateItem(input: UpdateItemCommandInput): Promise<UpdateItemCommandOutput> {
    const table = await this.tableCrypto(input.TableName);
    table.assertUpdatable(input.UpdateExpression, input.ExpressionAttributeNames, input.AttributeUpdates);
    table.assertComparable('ConditionExpression', input.ConditionExpression, input.ExpressionAttributeNames);
    table.assertComparableMap('Expected', input.Expected);
    const output = await decryptingConditionFailure(this.client.send(new UpdateItemCommand(table.existingItemsOnly(input))), () => table);
    // UPDATED_OLD / UPDATED_NEW return DO_NOTHING attributes only: nothing to verify or decrypt.
    return { ...output, Attributes: await decryptWhole(table, output.Attributes, input.ReturnValues) };
  }

  async query(input: QueryCommandInput): Promise<QueryCommandOutput> {
    const table = await this.tableCrypto(input.TableName);
    const indexRead = table.indexRead(input.IndexName, input.Select);
    table.assertComparable('KeyConditionExpression', input.KeyConditionExpression, input.ExpressionAttributeNames);
    table.assertComparable('FilterExpression', input.FilterExpression, input.ExpressionAttributeNames);
    table.assertComparableMap('KeyConditions', input.KeyConditions);
    table.assertComparableMap('QueryFilter', input.QueryFilter);
    const projection = projectionOf(input.ProjectionExpression, input.AttributesToGet, input.ExpressionAttributeNames) ?? indexRead.projection;
    const request = { ...withoutProjection(input, [input.KeyConditionExpression, input.FilterExpression]), Select: indexRead.select };
    const output = await this.client.send(new QueryCommand(request));
    return { ...output, Items: (await table.decryptAll(output.Items))?.map((item) => project(item, projection)) };
  }

  async scan(input: ScanCommandInput): Promise<ScanCommandOutput> {
    const table = await this.tableCrypto(input.TableName);
    const indexRead = table.indexRead(input.IndexName, input.Select);
    table.assertComparable('FilterExpression', input.FilterExpression, input.ExpressionAttributeNames);
    table.assertComparableMap('ScanFilter', input.ScanFilter);
    const projection = projectionOf(input.ProjectionExpression, input.AttributesToGet, input.ExpressionAttributeNames) ?? indexRead.projection;
    const request = { ...withoutProjection(input, [input.FilterExpression]), Select: indexRead.select };
    const output = await this.client.send(new ScanCommand(request));
    return { ...output, Items: (await table.decryptAll(output.Items))?.map((item) => project(item, projection)) };
  }

  /** Every page of a query, following LastEvaluatedKey. */
  paginateQuery(input: QueryCommandInput): AsyncGenerator<QueryCommandOutput> {
    return paginate(input, (page) => this.query(page));
  }

  /** Every page of a scan (or of one parallel-scan segment), following LastEvaluatedKey. */
  paginateScan(input: ScanCommandInput): AsyncGenerator<ScanCommandOutput> {
    return paginate(input, (page) => this.scan(page));
  }

  async batchGetItem(input: BatchGetItemCommandInput): Promise<BatchGetItemCommandOutput> {
    const requestItems: NonNullable<BatchGetItemCommandInput['RequestItems']> = {};
    const projections = new Map<string, ReturnType<typeof projectionOf>>();
    for (const [tableName, request] of Object.entries(input.RequestItems ?? {})) {
      await this.tableCrypto(tableName);
      projections.set(tableName, projectionOf(request.ProjectionExpression, request.AttributesToGet, request.ExpressionAttributeNames));
      requestItems[tableName] = withoutProjection(request, []);
    }
    const output = await this.client.send(new BatchGetItemCommand({ ...input, RequestItems: requestItems }));
    const responses: Record<string, DynamoDbItem[]> = {};
    for (const [tableName, items] of Object.entries(output.Responses ?? {})) {
      const table = await this.tableCrypto(tableName);
      responses[tableName] = ((await table.decryptAll(items)) ?? []).map((item) => project(item, projections.get(tableName)));
    }
    // UnprocessedKeys keep the caller's projection, so they can be sent again as they are.
    const unprocessedKeys = output.UnprocessedKeys === undefined ? undefined : Object.fromEntries(
      Object.entries(output.UnprocessedKeys).map(([tableName, keys]) => [tableName, { ...input.RequestItems?.[tableName], Keys: keys.Keys }]),
    );
    return { ...output, Responses: responses, UnprocessedKeys: unprocessedKeys };
  }

  /**
   * BatchWriteItem with Put items encrypted. `UnprocessedItems` comes back as the caller's
   * plaintext requests; passing them to `batchWriteItem` or `batchWriteAll` again reuses their
   * ciphertext instead of encrypting (and calling KMS) again.
   */
  async batchWriteItem(input: BatchWriteItemCommandInput): Promise<BatchWriteItemCommandOutput> {
    const requestItems: Record<string, WriteRequest[]> = {};
    const sent = new Map<string, WriteRequest>();
    for (const [tableName, requests] of Object.entries(input.RequestItems ?? {})) {
      const table = await this.tableCrypto(tableName);
      requestItems[tableName] = await Promise.all(
        requests.map(async (request) => {
          const encrypted = await this.encryptedWrite(table, request);
          sent.set(writeKey(table.tableInfo, encrypted), request);
          return encrypted;
        }),
      );
    }
    const output = await this.client.send(new BatchWriteItemCommand({ ...input, RequestItems: requestItems }));
    const unprocessed: Record<string, WriteRequest[]> = {};
    for (const [tableName, requests] of Object.entries(output.UnprocessedItems ?? {})) {
      const table = await this.tableCrypto(tableName);
      unprocessed[tableName] = requests.map((request) => sent.get(writeKey(table.tableInfo, request)) ?? request);
    }
    return { ...output, UnprocessedItems: unprocessed };
  }

  /**
   * Writes any number of requests: in chunks of 25, encrypting each Put item once, retrying
   * unprocessed requests with exponential backoff. After `maxAttempts` it throws
   * `BatchRetriesExhaustedError` holding every request not written, so nothing is lost.
   *
   * Every Put item is encrypted before the first request is sent, so an item that cannot be
   * (bad input, a materials failure) fails the call with nothing written. An error DynamoDB
   * answers midway (a refused request, a failure through the SDK's retries) is thrown as a
   * `BatchWriteInterruptedError`, which holds every request not known to be written and has
   * DynamoDB's error as its cause.
   */
  async batchWriteAll(requestItems: Record<string, WriteRequest[]>, options: BatchWriteAllOptions = {}): Promise<void> {
    const maxAttempts = options.maxAttempts ?? 10;
    const baseDelayMs = options.baseDelayMs ?? 50;
    const pending: Array<[string, WriteRequest]> = Object.entries(requestItems).flatMap(([table, requests]) =>
      requests.map((request): [string, WriteRequest] => [table, request]),
    );
    // Remembered by the ciphertext memo: each chunk's batchWriteItem sends this very ciphertext.
    await Promise.all(pending.map(async ([tableName, request]) => this.encryptedWrite(await this.tableCrypto(tableName), request)));
    const notWrittenFrom = (chunk: Record<string, WriteRequest[]>, offset: number): Record<string, WriteRequest[]> =>
      group([...Object.entries(chunk).flatMap(([table, requests]) => requests.map((request): [string, WriteRequest] => [table, request])), ...pending.slice(offset + BATCH_WRITE_LIMIT)]);
    const count = (requests: Record<string, WriteRequest[]>) => Object.values(requests).reduce((sum, list) => sum + list.length, 0);
    for (let offset = 0; offset < pending.length; offset += BATCH_WRITE_LIMIT) {
      let chunk: Record<string, WriteRequest[]> = group(pending.slice(offset, offset + BATCH_WRITE_LIMIT));
      for (let attempt = 1; Object.keys(chunk).length > 0; attempt += 1) {
        let output: BatchWriteItemCommandOutput;
        try {
          output = await this.batchWriteItem({ RequestItems: chunk });
        } catch (error) {
          // Everything not yet written: this chunk (as sent) and the chunks not yet sent.
          const notWritten = notWrittenFrom(chunk, offset);
          throw new BatchWriteInterruptedError(
            `${count(notWritten)} of ${pending.length} write request(s) are not known to be written: DynamoDB failed a request (see the cause); ` +
              'the requests before them were written, and the error holds the rest to send again',
            { tableName: Object.keys(chunk)[0] },
            notWritten,
            { cause: error },
          );
        }
        chunk = Object.fromEntries(Object.entries(output.UnprocessedItems ?? {}).filter(([, requests]) => requests.length > 0));
        if (Object.keys(chunk).length === 0) break;
        if (attempt >= maxAttempts) {
          // Everything not yet written: this chunk's leftovers and the chunks not yet sent.
          const notWritten = notWrittenFrom(chunk, offset);
          throw new BatchRetriesExhaustedError(
            `${count(notWritten)} write request(s) were not written: DynamoDB kept returning unprocessed items for ${maxAttempts} attempts`,
            { tableName: Object.keys(chunk)[0] },
            notWritten,
          );
        }
        await backoff(attempt, baseDelayMs);
      }
    }
  }

  /**
   * TransactWriteItems with Put items encrypted. Retried with the same ClientRequestToken and the
   * same item objects, it sends the same ciphertext, as DynamoDB's idempotency requires.
   */
  async transactWriteItems(input: TransactWriteItemsCommandInput): Promise<TransactWriteItemsCommandOutput> {
    const token = input.ClientRequestToken;
    const prepared = await Promise.all((input.TransactItems ?? []).map((transactItem) => this.preparedTransactItem(transactItem, token)));
    const request = new TransactWriteItemsCommand({ ...input, TransactItems: prepared.map(({ transactItem }) => transactItem) });
    try {
      return await decryptingConditionFailure(this.client.send(request), (index) => prepared[index]?.table);
    } finally {
      this.transactionPuts.touch(token);
    }
  }

  private async preparedTransactItem(transactItem: TransactWriteItem, token: string | undefined): Promise<{ transactItem: TransactWriteItem; table?: TableCrypto }> {
    if (transactItem.Put !== undefined) {
      const put = transactItem.Put;
      const table = await this.tableCrypto(put.TableName);
      table.assertComparable('ConditionExpression', put.ConditionExpression, put.ExpressionAttributeNames);
      const item = requireItem(put.Item, table);
      const encrypted = await this.transactionPuts.encryptOnce(token, table.tableName, item, () => table.encrypt(item));
      return { transactItem: { ...transactItem, Put: { ...put, Item: encrypted } }, table };
    }
    if (transactItem.Update !== undefined) {
      const update = transactItem.Update;
      const table = await this.tableCrypto(update.TableName);
      table.assertUpdatable(update.UpdateExpression, update.ExpressionAttributeNames, undefined);
      table.assertComparable('ConditionExpression', update.ConditionExpression, update.ExpressionAttributeNames);
      return { transactItem: { ...transactItem, Update: table.existingItemsOnly(update) }, table };
    }
    const conditional = transactItem.Delete ?? transactItem.ConditionCheck;
    if (conditional === undefined) return { transactItem };
    const table = await this.tableCrypto(conditional.TableName);
    table.assertComparable('ConditionExpression', conditional.ConditionExpression, conditional.ExpressionAttributeNames);
    return { transactItem, table };
  }

  async transactGetItems(input: TransactGetItemsCommandInput): Promise<TransactGetItemsCommandOutput> {
    const gets = input.TransactItems ?? [];
    const tables = await Promise.all(gets.map((transactItem) => this.tableCrypto(transactItem.Get?.TableName)));
    const projections = gets.map((transactItem) =>
      projectionOf(transactItem.Get?.ProjectionExpression, undefined, transactItem.Get?.ExpressionAttributeNames),
    );
    const request = { ...input, TransactItems: gets.map((transactItem) => ({ Get: withoutProjection(transactItem.Get!, []) })) };
    const output = await this.client.send(new TransactGetItemsCommand(request));
    const responses = await Promise.all(
      (output.Responses ?? []).map(async (response, index) =>
        response.Item === undefined ? response : { ...response, Item: project(await tables[index].decrypt(response.Item), projections[index]) },
      ),
    );
    return { ...output, Responses: responses };
  }

  private async encryptedWrite(table: TableCrypto, request: WriteRequest): Promise<WriteRequest> {
    const item = request.PutRequest?.Item;
    if (item === undefined) return request;
    return { PutRequest: { Item: await this.unprocessed.encryptOnce(table.tableName, item, () => table.encrypt(item)) } };
  }
}

function requireItem(item: DynamoDbItem | undefined, table: TableCrypto): DynamoDbItem {
  if (item === undefined) throw new InvalidArgumentError('the request has no Item', { tableName: table.tableName });
  return item;
}

/** ALL_OLD / ALL_NEW return whole items, which are verified and decrypted. */
async function decryptWhole(table: TableCrypto, attributes: DynamoDbItem | undefined, returnValues: string | undefined): Promise<DynamoDbItem | undefined> {
  if (attributes === undefined || (returnValues !== 'ALL_OLD' && returnValues !== 'ALL_NEW')) return attributes;
  return table.decrypt(attributes);
}

function group(requests: Array<[string, WriteRequest]>): Record<string, WriteRequest[]> {
  const grouped: Record<string, WriteRequest[]> = {};
  for (const [table, request] of requests) (grouped[table] ??= []).push(request);
  return grouped;
}

