import {
  CreateTableCommand,
  waitUntilTableExists,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDbItem } from '../../src/format/attribute-value';

/**
 * Creates an on-demand table keyed `pk` (S) + `sk` (N), the shape most tests and benches use,
 * and waits until it is ACTIVE. `extra` adds indexes, streams and their attribute definitions.
 */
export async function createPkSkTable(
  client: DynamoDBClient,
  tableName: string,
  extra: Omit<Partial<CreateTableCommandInput>, 'TableName' | 'KeySchema'> & { AttributeDefinitions?: AttributeDefinition[] } = {},
): Promise<TableDescription> {
  const { TableDescription: description } = await client.send(
    new CreateTableCommand({
      BillingMode: 'PAY_PER_REQUEST',
      ...extra,
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
        ...(extra.AttributeDefinitions ?? []),
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  await waitUntilTableExists({ client, minDelay: 1, maxWaitTime: 60 }, { TableName: tableName });
  return description ?? { TableName: tableName };
}

/** A global secondary index on one string attribute, with the given projection. */
export function stringIndex(indexName: string, attribute: string, projectionType: 'ALL' | 'KEYS_ONLY') {
  return { IndexName: indexName, KeySchema: [{ AttributeName: attribute, KeyType: 'HASH' as const }], Projection: { ProjectionType: projectionType } };
}

/**
 * A plaintext order-like item for tables keyed pk (S) / sk (N), with every kind of value the
 * serializer has (number, set, nested map and list), and a `category` to filter on.
 */
export function samplePlaintextItem(index: number): DynamoDbItem {
  const id = String(index).padStart(4, '0');
  return {
    pk: { S: `customer-${id}` },
    sk: { N: String(index % 7) },
    card: { S: `secret-card-${id}` },
    amount: { N: `${index}.25` },
    tags: { SS: ['a', `tag-${id}`] },
    nested: { M: { list: { L: [{ S: `deep-${id}` }, { BOOL: true }] } } },
    category: { S: index % 3 === 0 ? 'gold' : 'plain' },
  };
}
