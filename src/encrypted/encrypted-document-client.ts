import type { WriteRequest } from '@aws-sdk/client-dynamodb';
import { paginate } from './paginate';
import type {
  BatchGetCommandInput,
  BatchGetCommandOutput,
  BatchWriteCommandInput,
  BatchWriteCommandOutput,
  BatchWriteWriteRequest,
  DeleteCommandInput,
  DeleteCommandOutput,
  DynamoDBDocumentClient,
  GetCommandInput,
  GetCommandOutput,
  PutCommandInput,
  PutCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
  ScanCommandInput,
  ScanCommandOutput,
  TransactGetCommandInput,
  TransactGetCommandOutput,
  TransactWriteCommandInput,
  TransactWriteCommandOutput,
  TranslateConfig,
  UpdateCommandInput,
  UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { isDeepStrictEqual } from 'node:util';
import { BatchRetriesExhaustedError, InvalidArgumentError, messageWithoutLocation } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';
import { DocumentTranslation, type NativeAttributeMap } from './document-translation';
import { EncryptedClient, type BatchWriteAllOptions, type EncryptedClientOptions } from './encrypted-client';

export interface EncryptedDocumentClientOptions extends Omit<EncryptedClientOptions, 'client'> {
  /**
   * Sends the requests; its `translateConfig` (marshall / unmarshall options) says how native
   * values become `AttributeValue`s and back, as it would for the document client's own commands.
   */
  readonly documentClient: DynamoDBDocumentClient;
}

/** Wraps an `EncryptedClient` that already exists, sharing its tables, provider and caches. */
export interface EncryptedDocumentClientFromOptions {
  readonly encryptedClient: EncryptedClient;
  /**
   * How native values are marshalled and unmarshalled.
   * @default lib-dynamodb's defaults (no options)
   */
  readonly translateConfig?: TranslateConfig;
}

/**
 * The `@aws-sdk/lib-dynamodb` counterpart of `EncryptedClient` (the Python client's
 * `EncryptedResource` / `EncryptedTable` item helpers): operations take and return the document
 * client's inputs and outputs in native JavaScript values. It only converts: every item is
 * marshalled to the `AttributeValue` form, which is what gets signed, and handed to an
 * `EncryptedClient`, which encrypts, verifies, decrypts and refuses unsafe requests.
 */
export class EncryptedDocumentClient {
  readonly encryptedClient: EncryptedClient;
  private readonly documentClient?: DynamoDBDocumentClient;
  private readonly fixedTranslateConfig?: TranslateConfig;
  /**
   * The `AttributeValue` form last sent for each native Put item, so that resending the same,
   * unchanged item (an unprocessed one, or a transaction retried with its ClientRequestToken)
   * hands `EncryptedClient` the very object it encrypted before, and its ciphertext is reused.
   */
  private readonly sentPutItems = new WeakMap<object, DynamoDbItem>();

  constructor(options: EncryptedDocumentClientOptions | EncryptedDocumentClientFromOptions) {
    if (options !== undefined && 'encryptedClient' in options) {
      if (!(options.encryptedClient instanceof EncryptedClient)) throw new InvalidArgumentError('encryptedClient must be an EncryptedClient');
      this.encryptedClient = options.encryptedClient;
      this.fixedTranslateConfig = options.translateConfig;
      return;
    }
    if (options?.documentClient === undefined) throw new InvalidArgumentError('EncryptedDocumentClient needs a documentClient');
    const { documentClient, ...clientOptions } = options;
    // The document client shares its DynamoDBClient's configuration and middleware stack, and
    // sends plain DynamoDB commands unchanged: it serves as that client.
    this.encryptedClient = new EncryptedClient({ ...clientOptions, client: documentClient });
    this.documentClient = documentClient;
  }

  /** Mirrors `DynamoDBDocumentClient.from`: native values over an existing `EncryptedClient`. */
  static from(encryptedClient: EncryptedClient, translateConfig?: TranslateConfig): EncryptedDocumentClient {
    return new EncryptedDocumentClient({ encryptedClient, translateConfig });
  }

  /** The marshall / unmarshall options in force, read per request as lib-dynamodb does. */
  get translateConfig(): TranslateConfig | undefined {
    return this.documentClient?.config.translateConfig ?? this.fixedTranslateConfig;
  }

  async put(input: PutCommandInput): Promise<PutCommandOutput> {
    const translation = this.translation(input.TableName);
    const { Item, Expected, ExpressionAttributeValues, ...rest } = input;
    const output = await translation.nativeConditionFailure(this.encryptedClient.putItem({
      ...rest,
      Item: translation.toAttributeMap(Item),
      Expected: translation.toAttributeConditions(Expected),
      ExpressionAttributeValues: translation.toAttributeMap(ExpressionAttributeValues),
    }));
    return { ...output, Attributes: translation.toNativeMap(output.Attributes), ItemCollectionMetrics: translation.toNativeMetrics(output.ItemCollectionMetrics) };
  }

  async get(input: GetCommandInput): Promise<GetCommandOutput> {
    const translation = this.translation(input.TableName);
    const output = await this.encryptedClient.getItem({ ...input, Key: translation.toAttributeMap(input.Key) });
    return { ...output, Item: translation.toNativeMap(output.Item) };
  }

  async delete(input: DeleteCommandInput): Promise<DeleteCommandOutput> {
    const translation = this.translation(input.TableName);
    const { Key, Expected, ExpressionAttributeValues, ...rest } = input;
    const output = await translation.nativeConditionFailure(this.encryptedClient.deleteItem({
      ...rest,
      Key: translation.toAttributeMap(Key),
      Expected: translation.toAttributeConditions(Expected),
      ExpressionAttributeValues: translation.toAttributeMap(ExpressionAttributeValues),
    }));
    return { ...output, Attributes: translation.toNativeMap(output.Attributes), ItemCollectionMetrics: translation.toNativeMetrics(output.ItemCollectionMetrics) };
  }

  async update(input: UpdateCommandInput): Promise<UpdateCommandOutput> {
    const translation = this.translation(input.TableName);
    const { Key, AttributeUpdates, Expected, ExpressionAttributeValues, ...rest } = input;
    const output = await translation.nativeConditionFailure(this.encryptedClient.updateItem({
      ...rest,
      Key: translation.toAttributeMap(Key),
      AttributeUpdates: translation.toAttributeConditions(AttributeUpdates),
      Expected: translation.toAttributeConditions(Expected),
      ExpressionAttributeValues: translation.toAttributeMap(ExpressionAttributeValues),
    }));
    return { ...output, Attributes: translation.toNativeMap(output.Attributes), ItemCollectionMetrics: translation.toNativeMetrics(output.ItemCollectionMetrics) };
  }

  async query(input: QueryCommandInput): Promise<QueryCommandOutput> {
    const translation = this.translation(input.TableName);
    const { KeyConditions, QueryFilter, ExclusiveStartKey, ExpressionAttributeValues, ...rest } = input;
    const output = await this.encryptedClient.query({
      ...rest,
      KeyConditions: translation.toAttributeConditions(KeyConditions),
      QueryFilter: translation.toAttributeConditions(QueryFilter),
      ExclusiveStartKey: translation.toAttributeMap(ExclusiveStartKey),
      ExpressionAttributeValues: translation.toAttributeMap(ExpressionAttributeValues),
    });
    return { ...output, Items: translation.toNativeMaps(output.Items), LastEvaluatedKey: translation.toNativeMap(output.LastEvaluatedKey) };
  }

  async scan(input: ScanCommandInput): Promise<ScanCommandOutput> {
    const translation = this.translation(input.TableName);
    const { ScanFilter, ExclusiveStartKey, ExpressionAttributeValues, ...rest } = input;
    const output = await this.encryptedClient.scan({
      ...rest,
      ScanFilter: translation.toAttributeConditions(ScanFilter),
      ExclusiveStartKey: translation.toAttributeMap(ExclusiveStartKey),
      ExpressionAttributeValues: translation.toAttributeMap(ExpressionAttributeValues),
    });
    return { ...output, Items: translation.toNativeMaps(output.Items), LastEvaluatedKey: translation.toNativeMap(output.LastEvaluatedKey) };
  }

  /** Every page of a query, following LastEvaluatedKey. */
  paginateQuery(input: QueryCommandInput): AsyncGenerator<QueryCommandOutput> {
    return paginate(input, (page) => this.query(page));
  }

  /** Every page of a scan (or of one parallel-scan segment), following LastEvaluatedKey. */
  paginateScan(input: ScanCommandInput): AsyncGenerator<ScanCommandOutput> {
    return paginate(input, (page) => this.scan(page));
  }

  /** BatchGetItem; `UnprocessedKeys` come back in the caller's form, ready to be sent again. */
  async batchGet(input: BatchGetCommandInput): Promise<BatchGetCommandOutput> {
    const translation = this.translation();
    const requestItems = Object.fromEntries(
      Object.entries(input.RequestItems ?? {}).map(([tableName, request]) => [
        tableName,
        { ...request, Keys: request.Keys?.map((key) => translation.forTable(tableName).toAttributeMap(key)) },
      ]),
    );
    const output = await this.encryptedClient.batchGetItem({ ...input, RequestItems: requestItems });
    const responses = Object.fromEntries(
      Object.entries(output.Responses ?? {}).map(([tableName, items]) => [tableName, translation.forTable(tableName).toNativeMaps(items) ?? []]),
    );
    const unprocessedKeys =
      output.UnprocessedKeys === undefined
        ? undefined
        : Object.fromEntries(
            Object.entries(output.UnprocessedKeys).map(([tableName, request]) => [
              tableName,
              { ...request, Keys: request.Keys?.map((key) => translation.forTable(tableName).toNativeMap(key)) },
            ]),
          );
    return { ...output, Responses: responses, UnprocessedKeys: unprocessedKeys };
  }

  /**
   * BatchWriteItem. `UnprocessedItems` comes back as the caller's own request objects; sending
   * them again, unchanged, reuses their ciphertext instead of encrypting them a second time.
   */
  async batchWrite(input: BatchWriteCommandInput): Promise<BatchWriteCommandOutput> {
    const translation = this.translation();
    const requests = this.writeRequestsFor(input.RequestItems ?? {}, translation);
    const output = await this.encryptedClient.batchWriteItem({ ...input, RequestItems: requests.converted });
    // EncryptedClient hands back the request objects it was given, so they map to the caller's.
    const unprocessed = requests.callerRequestsOf(output.UnprocessedItems ?? {});
    return { ...output, UnprocessedItems: unprocessed, ItemCollectionMetrics: translation.toNativeMetricsByTable(output.ItemCollectionMetrics) };
  }

  /**
   * Writes any number of requests: in chunks of 25, encrypting each Put item once, retrying
   * unprocessed requests with backoff (see `EncryptedClient.batchWriteAll`).
   */
  async batchWriteAll(requestItems: Readonly<Record<string, readonly BatchWriteWriteRequest[]>>, options?: BatchWriteAllOptions): Promise<void> {
    const requests = this.writeRequestsFor(requestItems, this.translation());
    try {
      await this.encryptedClient.batchWriteAll(requests.converted, options);
    } catch (error) {
      if (!(error instanceof BatchRetriesExhaustedError)) throw error;
      // The requests left, as this caller passed them (native values), in an error of the same class.
      const unprocessed = requests.callerRequestsOf(error.unprocessed as Record<string, WriteRequest[]>);
      const ErrorClass = error.constructor as typeof BatchRetriesExhaustedError;
      throw new ErrorClass(messageWithoutLocation(error), { tableName: error.tableName }, unprocessed, { cause: error.cause });
    }
  }

  /**
   * The caller's write requests per table in `AttributeValue` form, and the way back: requests
   * EncryptedClient hands back (the objects it was given) map to the caller's own objects.
   */
  private writeRequestsFor(requestItems: Readonly<Record<string, readonly BatchWriteWriteRequest[]>>, translation: DocumentTranslation) {
    const callerRequests = new Map<WriteRequest, BatchWriteWriteRequest>();
    const converted = Object.fromEntries(
      Object.entries(requestItems).map(([tableName, requests]) => [
        tableName,
        requests.map((request) => {
          const writeRequest = this.toWriteRequest(request, translation.forTable(tableName));
          callerRequests.set(writeRequest, request);
          return writeRequest;
        }),
      ]),
    );
    const callerRequestsOf = (returned: Readonly<Record<string, WriteRequest[]>>): Record<string, BatchWriteWriteRequest[]> =>
      Object.fromEntries(
        Object.entries(returned).map(([tableName, list]) => [
          tableName,
          list.map((request) => callerRequests.get(request) ?? this.toNativeWriteRequest(request, translation.forTable(tableName))),
        ]),
      );
    return { converted, callerRequestsOf };
  }

  async transactWrite(input: TransactWriteCommandInput): Promise<TransactWriteCommandOutput> {
    const translation = this.translation();
    const transactItems = input.TransactItems?.map(({ ConditionCheck, Put, Delete, Update, ...rest }) => {
      // One action per transaction item: its table is the one named in conversion errors.
      const table = translation.forTable((ConditionCheck ?? Put ?? Delete ?? Update)?.TableName);
      return {
        ...rest,
        ConditionCheck: ConditionCheck && {
          ...ConditionCheck,
          Key: table.toAttributeMap(ConditionCheck.Key),
          ExpressionAttributeValues: table.toAttributeMap(ConditionCheck.ExpressionAttributeValues),
        },
        Put: Put && {
          ...Put,
          // The same object for the same unchanged item, so that a retry reuses its ciphertext.
          Item: this.putItemAttributes(Put.Item, table),
          ExpressionAttributeValues: table.toAttributeMap(Put.ExpressionAttributeValues),
        },
        Delete: Delete && {
          ...Delete,
          Key: table.toAttributeMap(Delete.Key),
          ExpressionAttributeValues: table.toAttributeMap(Delete.ExpressionAttributeValues),
        },
        Update: Update && {
          ...Update,
          Key: table.toAttributeMap(Update.Key),
          ExpressionAttributeValues: table.toAttributeMap(Update.ExpressionAttributeValues),
        },
      };
    });
    const output = await translation.nativeConditionFailure(this.encryptedClient.transactWriteItems({ ...input, TransactItems: transactItems }));
    return { ...output, ItemCollectionMetrics: translation.toNativeMetricsByTable(output.ItemCollectionMetrics) };
  }

  async transactGet(input: TransactGetCommandInput): Promise<TransactGetCommandOutput> {
    const translation = this.translation();
    const transactItems = input.TransactItems?.map(({ Get, ...rest }) => ({ ...rest, Get: Get && { ...Get, Key: translation.forTable(Get.TableName).toAttributeMap(Get.Key) } }));
    const output = await this.encryptedClient.transactGetItems({ ...input, TransactItems: transactItems });
    return {
      ...output,
      Responses: output.Responses?.map((response, index) => ({ ...response, Item: translation.forTable(input.TransactItems?.[index]?.Get?.TableName).toNativeMap(response.Item) })),
    };
  }

  /** The conversions in force now, naming `tableName` in their errors. */
  private translation(tableName?: string): DocumentTranslation {
    return new DocumentTranslation(this.translateConfig, tableName);
  }

  private toWriteRequest(request: BatchWriteWriteRequest, translation: DocumentTranslation): WriteRequest {
    const { PutRequest, DeleteRequest, ...rest } = request;
    return {
      ...rest,
      PutRequest: PutRequest && { ...PutRequest, Item: this.putItemAttributes(PutRequest.Item, translation) },
      DeleteRequest: DeleteRequest && { ...DeleteRequest, Key: translation.toAttributeMap(DeleteRequest.Key) },
    };
  }

  private putItemAttributes(item: NativeAttributeMap | undefined, translation: DocumentTranslation): DynamoDbItem | undefined {
    if (item === undefined) return undefined;
    const attributes = translation.toAttributeMap(item);
    const previous = this.sentPutItems.get(item);
    // Compared, not trusted: the caller may have changed the item since, and must not get the old ciphertext.
    if (previous !== undefined && isDeepStrictEqual(previous, attributes)) return previous;
    this.sentPutItems.set(item, attributes);
    return attributes;
  }

  private toNativeWriteRequest(request: WriteRequest, translation: DocumentTranslation): BatchWriteWriteRequest {
    const { PutRequest, DeleteRequest, ...rest } = request;
    return {
      ...rest,
      PutRequest: PutRequest && { ...PutRequest, Item: translation.toNativeMap(PutRequest.Item) },
      DeleteRequest: DeleteRequest && { ...DeleteRequest, Key: translation.toNativeMap(DeleteRequest.Key) },
    };
  }
}
