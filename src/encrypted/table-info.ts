import { DescribeTableCommand, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { InvalidArgumentError } from '../errors';
import type { EncryptionContext } from '../encryptor/encryption-context';

function isName(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** The key attributes of an index. */
export interface TableIndex {
  readonly partition: string;
  readonly sort?: string;
}

/** A global or local secondary index, with what it projects. */
export interface SecondaryIndex extends TableIndex {
  readonly name: string;
  /** `ALL`, `KEYS_ONLY` or `INCLUDE`. */
  readonly projectionType: string;
  readonly nonKeyAttributes?: readonly string[];
  /**
   * True for a local secondary index: reading it with `Select: 'ALL_ATTRIBUTES'` fetches whole
   * items from the table, so the helpers can verify them whatever the index projects.
   * @default false (a global secondary index)
   */
  readonly local?: boolean;
}

export interface TableInfoOptions {
  readonly name: string;
  readonly primaryIndex: TableIndex;
  /** @default [] */
  readonly secondaryIndexes?: readonly SecondaryIndex[];
  /**
   * The declared types (`S`, `N`, `B`) of the key attributes of every index, as DescribeTable's
   * AttributeDefinitions give them.
   * @default unknown
   */
  readonly attributeTypes?: Readonly<Record<string, string>>;
}

/**
 * A table's name and indexes (the Python client's `TableInfo`). Learned from DescribeTable, or
 * given explicitly so that no DescribeTable permission is needed.
 */
export class TableInfo {
  readonly name: string;
  readonly primaryIndex: TableIndex;
  readonly secondaryIndexes: readonly SecondaryIndex[];
  readonly attributeTypes?: Readonly<Record<string, string>>;

  constructor(options: TableInfoOptions) {
    if (typeof options?.name !== 'string' || options.name === '') throw new InvalidArgumentError('TableInfo needs a table name');
    if (!isName(options.primaryIndex?.partition) || (options.primaryIndex.sort !== undefined && !isName(options.primaryIndex.sort))) {
      throw new InvalidArgumentError('TableInfo needs the primary index partition key name (and sort key name, if any) as non-empty strings', { tableName: options.name });
    }
    for (const index of options.secondaryIndexes ?? []) {
      if (!isName(index?.name) || !isName(index.partition) || (index.sort !== undefined && !isName(index.sort))) {
        throw new InvalidArgumentError(`secondary index "${String(index?.name)}" needs a name and key names (non-empty strings)`, {
          tableName: options.name,
        });
      }
      if (index.local !== undefined && typeof index.local !== 'boolean') {
        throw new InvalidArgumentError(`secondary index "${index.name}": local must be true or false`, { tableName: options.name });
      }
    }
    this.name = options.name;
    this.primaryIndex = Object.freeze({ ...options.primaryIndex });
    this.secondaryIndexes = Object.freeze((options.secondaryIndexes ?? []).map((index) => Object.freeze({ ...index })));
    this.attributeTypes = options.attributeTypes === undefined ? undefined : Object.freeze({ ...options.attributeTypes });
    Object.freeze(this);
  }

  static async fromDescribeTable(client: DynamoDBClient, tableName: string): Promise<TableInfo> {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table === undefined) throw new InvalidArgumentError('DescribeTable returned no table description', { tableName });
    return TableInfo.fromDescription(Table);
  }

  static fromDescription(table: TableDescription): TableInfo {
    const name = table.TableName as string;
    const keys = (schema: TableDescription['KeySchema']): TableIndex => ({
      partition: schema?.find((element) => element.KeyType === 'HASH')?.AttributeName as string,
      sort: schema?.find((element) => element.KeyType === 'RANGE')?.AttributeName,
    });
    const secondary = [
      ...(table.GlobalSecondaryIndexes ?? []).map((index) => ({ index, local: false })),
      ...(table.LocalSecondaryIndexes ?? []).map((index) => ({ index, local: true })),
    ].map(
      ({ index, local }): SecondaryIndex => ({
        name: index.IndexName as string,
        ...keys(index.KeySchema),
        projectionType: index.Projection?.ProjectionType ?? 'ALL',
        nonKeyAttributes: index.Projection?.NonKeyAttributes,
        local,
      }),
    );
    const attributeTypes = Object.fromEntries(
      (table.AttributeDefinitions ?? []).map((definition) => [definition.AttributeName as string, definition.AttributeType as string]),
    );
    return new TableInfo({ name, primaryIndex: keys(table.KeySchema), secondaryIndexes: secondary, attributeTypes });
  }

  /**
   * Every attribute that is a key of some index: these stay readable for DynamoDB and are
   * signed, never encrypted. (The Python client protects only the primary index.)
   */
  get protectedIndexKeys(): string[] {
    const names = new Set<string>();
    for (const index of [this.primaryIndex, ...this.secondaryIndexes]) {
      names.add(index.partition);
      if (index.sort !== undefined) names.add(index.sort);
    }
    return [...names];
  }

  secondaryIndex(indexName: string): SecondaryIndex | undefined {
    return this.secondaryIndexes.find((index) => index.name === indexName);
  }

  encryptionContext(): EncryptionContext {
    return { tableName: this.name, partitionKeyName: this.primaryIndex.partition, sortKeyName: this.primaryIndex.sort };
  }
}
