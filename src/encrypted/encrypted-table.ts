import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  type DeleteCommandInput,
  type DeleteCommandOutput,
  type GetCommandInput,
  type GetCommandOutput,
  type PutCommandInput,
  type PutCommandOutput,
  type QueryCommandInput,
  type QueryCommandOutput,
  type ScanCommandInput,
  type ScanCommandOutput,
  type TranslateConfig,
  type UpdateCommandInput,
  type UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { InvalidArgumentError } from '../errors';
import { batchGetAll, type BatchGetAllOptions } from './batch-get-all';
import type { NativeAttributeMap } from './document-translation';
import { EncryptedClient, type BatchWriteAllOptions, type EncryptedClientOptions } from './encrypted-client';
import { EncryptedDocumentClient } from './encrypted-document-client';
import type { TableInfo } from './table-info';

/** An `EncryptedTable` with its own encryption configuration over a plain DynamoDB client. */
export interface EncryptedTableOptions extends Omit<EncryptedClientOptions, 'client' | 'tableInfos'> {
  readonly tableName: string;
  /** Sends the requests: a `DynamoDBClient`, or a `DynamoDBDocumentClient` (whose translateConfig then applies). */
  readonly client: DynamoDBClient | DynamoDBDocumentClient;
  /**
   * The table's indexes, so that no DescribeTable permission is needed. Its name must be `tableName`.
   * @default learned with DescribeTable on first use
   */
  readonly tableInfo?: TableInfo;
  /**
   * How native values are marshalled and unmarshalled.
   * @default the document client's translateConfig, or lib-dynamodb's defaults
   */
  readonly translateConfig?: TranslateConfig;
}

/** An `EncryptedTable` over an encrypted client that already holds the encryption configuration. */
export interface SharedClientEncryptedTableOptions {
  readonly tableName: string;
  readonly client: EncryptedClient | EncryptedDocumentClient;
  /**
   * How native values are marshalled and unmarshalled (only with an `EncryptedClient`; an
   * `EncryptedDocumentClient` brings its own).
   * @default lib-dynamodb's defaults
   */
  readonly translateConfig?: TranslateConfig;
}

export type TablePutItemOptions = Omit<PutCommandInput, 'TableName' | 'Item'>;
export type TableGetItemOptions = Omit<GetCommandInput, 'TableName' | 'Key'>;
export type TableDeleteItemOptions = Omit<DeleteCommandInput, 'TableName' | 'Key'>;
export type TableUpdateItemOptions = Omit<UpdateCommandInput, 'TableName' | 'Key'>;
export type TableQueryOptions = Omit<QueryCommandInput, 'TableName'>;
export type TableScanOptions = Omit<ScanCommandInput, 'TableName'>;

/** Options that belong to the shared client when one is given, and would be silently ignored here. */
const CLIENT_LEVEL_OPTIONS = ['materialsProvider', 'attributeActions', 'tableInfo', 'autoRefreshTableIndexes'] as const;

/**
 * One encrypted table (the Python client's `EncryptedTable`): items go in and come out as native
 * JavaScript values, and are encrypted, signed, verified and decrypted on the way. Operations
 * take the `@aws-sdk/lib-dynamodb` inputs without `TableName` (and without `Item` / `Key`, which
 * are their first argument) and return its outputs.
 *
 * ```ts
 * const table = new EncryptedTable({ tableName: 'orders', client: new DynamoDBClient({}), materialsProvider });
 * await table.putItem({ id: 'order-1', total: 12, note: 'fragile' });
 * const { Item } = await table.getItem({ id: 'order-1' });
 * ```
 */
export class EncryptedTable {
  readonly tableName: string;
  /** The document client all operations go through; other tables can share it. */
  readonly documentClient: EncryptedDocumentClient;

  constructor(options: EncryptedTableOptions | SharedClientEncryptedTableOptions) {
    if (typeof options?.tableName !== 'string' || options.tableName === '') throw new InvalidArgumentError('EncryptedTable needs a tableName');
    const { tableName, client } = options;
    this.tableName = tableName;
    if (client instanceof EncryptedClient || client instanceof EncryptedDocumentClient) {
      for (const name of CLIENT_LEVEL_OPTIONS) {
        if ((options as Partial<EncryptedTableOptions>)[name] !== undefined) {
          throw new InvalidArgumentError(`${name} is configured on the encrypted client the table is given, not on the table`, { tableName });
        }
      }
      if (client instanceof EncryptedDocumentClient) {
        if (options.translateConfig !== undefined) {
          throw new InvalidArgumentError('translateConfig is configured on the EncryptedDocumentClient the table is given, not on the table', { tableName });
        }
        this.documentClient = client;
      } else {
        this.documentClient = EncryptedDocumentClient.from(client, options.translateConfig);
      }
      return;
    }
    if (client === undefined) throw new InvalidArgumentError('EncryptedTable needs a client', { tableName });
    const { tableInfo, translateConfig, tableName: _tableName, client: _client, ...clientOptions } = options as EncryptedTableOptions;
    if (tableInfo !== undefined && tableInfo.name !== tableName) {
      throw new InvalidArgumentError(`tableInfo describes table "${tableInfo.name}", not this table`, { tableName });
    }
    const tableInfos = tableInfo === undefined ? [] : [tableInfo];
    if (client instanceof DynamoDBDocumentClient && translateConfig === undefined) {
      this.documentClient = new EncryptedDocumentClient({ ...clientOptions, tableInfos, documentClient: client });
    } else {
      this.documentClient = EncryptedDocumentClient.from(new EncryptedClient({ ...clientOptions, tableInfos, client }), translateConfig);
    }
  }

  putItem(item: NativeAttributeMap, options: TablePutItemOptions = {}): Promise<PutCommandOutput> {
    return this.documentClient.put({ ...options, TableName: this.tableName, Item: item });
  }

  getItem(key: NativeAttributeMap, options: TableGetItemOptions = {}): Promise<GetCommandOutput> {
    return this.documentClient.get({ ...options, TableName: this.tableName, Key: key });
  }

  deleteItem(key: NativeAttributeMap, options: TableDeleteItemOptions = {}): Promise<DeleteCommandOutput> {
    return this.documentClient.delete({ ...options, TableName: this.tableName, Key: key });
  }

  /** Only DO_NOTHING attributes can be updated in place; signed ones need getItem + putItem. */
  updateItem(key: NativeAttributeMap, options: TableUpdateItemOptions): Promise<UpdateCommandOutput> {
    return this.documentClient.update({ ...options, TableName: this.tableName, Key: key });
  }

  query(options: TableQueryOptions): Promise<QueryCommandOutput> {
    return this.documentClient.query({ ...options, TableName: this.tableName });
  }

  scan(options: TableScanOptions = {}): Promise<ScanCommandOutput> {
    return this.documentClient.scan({ ...options, TableName: this.tableName });
  }

  /** Every page of a query, following LastEvaluatedKey. */
  paginateQuery(options: TableQueryOptions): AsyncGenerator<QueryCommandOutput> {
    return this.documentClient.paginateQuery({ ...options, TableName: this.tableName });
  }

  /** Every page of a scan (or of one parallel-scan segment), following LastEvaluatedKey. */
  paginateScan(options: TableScanOptions = {}): AsyncGenerator<ScanCommandOutput> {
    return this.documentClient.paginateScan({ ...options, TableName: this.tableName });
  }

  /** Puts every item, in chunks of 25, each encrypted once and retried until processed. */
  batchWriteItems(items: readonly NativeAttributeMap[], options?: BatchWriteAllOptions): Promise<void> {
    return this.documentClient.batchWriteAll({ [this.tableName]: items.map((Item) => ({ PutRequest: { Item } })) }, options);
  }

  /** Deletes the items of every key, in chunks of 25, retried until processed. */
  batchDeleteItems(keys: readonly NativeAttributeMap[], options?: BatchWriteAllOptions): Promise<void> {
    return this.documentClient.batchWriteAll({ [this.tableName]: keys.map((Key) => ({ DeleteRequest: { Key } })) }, options);
  }

  /** The items of every key, in no particular order; keys without an item are left out. */
  batchGetItems(keys: readonly NativeAttributeMap[], options?: BatchGetAllOptions): Promise<NativeAttributeMap[]> {
    return batchGetAll(this.documentClient, this.tableName, keys, options);
  }
}
