import { DescribeTableCommand, type DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import type { TableInfo } from '../encrypted/table-info';
import { InvalidArgumentError } from '../errors';

/** The scalar types DynamoDB allows for key attributes. */
export type KeyAttributeType = 'S' | 'N' | 'B';

/**
 * The key attributes ingest must check before writing, with their types. `TableInfo` carries
 * key names only; DynamoDB refuses a whole BatchWriteItem when one item has a key of the wrong
 * type, so ingest checks types itself to reject only that item.
 */
export interface IngestKeySchema {
  readonly partitionKey: string;
  readonly sortKey?: string;
  /** Every key attribute of the table and of its secondary indexes, with its declared type. */
  readonly attributeTypes: Readonly<Record<string, KeyAttributeType>>;
}

const KEY_TYPES: readonly string[] = ['S', 'N', 'B'];

/** The key schema of a DescribeTable answer: key names from KeySchema, types from AttributeDefinitions. */
export function keySchemaFromDescription(table: TableDescription): IngestKeySchema {
  return keySchemaOf(
    table.TableName,
    table.KeySchema?.find((element) => element.KeyType === 'HASH')?.AttributeName,
    table.KeySchema?.find((element) => element.KeyType === 'RANGE')?.AttributeName,
    (table.AttributeDefinitions ?? []).map((definition) => [definition.AttributeName, definition.AttributeType]),
  );
}

/**
 * The key schema of a TableInfo learned with DescribeTable (which carries the key types), so
 * that ingest does not describe the table a second time; undefined when it has no types.
 */
export function keySchemaFromTableInfo(info: TableInfo): IngestKeySchema | undefined {
  if (info.attributeTypes === undefined) return undefined;
  return keySchemaOf(info.name, info.primaryIndex.partition, info.primaryIndex.sort, Object.entries(info.attributeTypes));
}

function keySchemaOf(
  tableName: string | undefined,
  partitionKey: string | undefined,
  sortKey: string | undefined,
  definitions: ReadonlyArray<readonly [string | undefined, string | undefined]>,
): IngestKeySchema {
  const attributeTypes: Record<string, KeyAttributeType> = {};
  for (const [name, type] of definitions) {
    if (name === undefined || type === undefined || !KEY_TYPES.includes(type)) {
      throw new InvalidArgumentError('DescribeTable returned an attribute definition without a name or with a type other than S, N or B', { tableName });
    }
    attributeTypes[name] = type as KeyAttributeType;
  }
  if (partitionKey === undefined || attributeTypes[partitionKey] === undefined || (sortKey !== undefined && attributeTypes[sortKey] === undefined)) {
    throw new InvalidArgumentError('DescribeTable returned no typed partition key', { tableName });
  }
  return { partitionKey, sortKey, attributeTypes };
}

/** Learns the key schema with one DescribeTable. */
export async function describeKeySchema(client: DynamoDBClient, tableName: string): Promise<IngestKeySchema> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (Table === undefined) throw new InvalidArgumentError('DescribeTable returned no table description', { tableName });
  return keySchemaFromDescription(Table);
}
