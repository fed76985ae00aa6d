/**
 * EncryptedTable against DynamoDB Local: bound to one table, native values in and out, over any
 * of the four clients it accepts, with ciphertext at rest and the same refusals as the clients.
 */
import {
  DeleteTableCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { LocalKey } from '../../src/crypto/local-key';
import { EncryptedClient } from '../../src/encrypted/encrypted-client';
import { EncryptedDocumentClient } from '../../src/encrypted/encrypted-document-client';
import { EncryptedTable } from '../../src/encrypted/encrypted-table';
import { TableInfo } from '../../src/encrypted/table-info';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import type { CryptoConfig } from '../../src/encryptor/crypto-config';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { InvalidArgumentError, UnsupportedOperationError } from '../../src/errors';
import { ReservedAttributes } from '../../src/format/material-description-keys';
import { WrappedMaterialsProvider } from '../../src/providers/wrapped-provider';
import { createTagKindTable, rawItemOf, tagKindTableConfig } from '../support/tag-kind-table';
import { localDynamoDbClient, uniqueName } from '../support/local-aws';

const client = localDynamoDbClient();
const wrappingKey = LocalKey.generateAes(256);
const materialsProvider = new WrappedMaterialsProvider({ wrappingKey, unwrappingKey: wrappingKey, signingKey: LocalKey.generateHmac('HmacSHA256', 32) });
const overrides = { leave_me: CryptoAction.DO_NOTHING };
const attributeActions = new AttributeActions({ defaultAction: CryptoAction.ENCRYPT_AND_SIGN, attributeActions: overrides });
let tableName: string;
let table: EncryptedTable;

/** Every plaintext value worth hiding contains this, so one search of the raw item finds any leak. */
const SENTINEL = 'sentinel';

function sampleItem(pk: string, sk: number): Record<string, unknown> {
  return {
    pk,
    sk,
    tag: 'green',
    kind: 'gadget',
    secret: `secret-${SENTINEL}-${pk}-${sk}`,
    price: -0.25,
    ok: true,
    none: null,
    list: [`list-${SENTINEL}`, 2, [true, null]],
    map: { nested: { text: `map-${SENTINEL}`, bytes: new Uint8Array([4, 5]) } },
    strings: new Set([`set-${SENTINEL}`]),
    numbers: new Set([10, 20]),
    blob: new Uint8Array([0, 255]),
    blobs: new Set([new Uint8Array([7])]),
    leave_me: 'alone',
  };
}

function tableInfo(name = tableName): TableInfo {
  return new TableInfo({
    name,
    primaryIndex: { partition: 'pk', sort: 'sk' },
    secondaryIndexes: [
      { name: 'by_tag', partition: 'tag', projectionType: 'ALL' },
      { name: 'by_kind', partition: 'kind', projectionType: 'KEYS_ONLY' },
    ],
  });
}

function tableConfig(): CryptoConfig {
  return tagKindTableConfig(tableName, materialsProvider, overrides);
}

const rawItem = (pk: string, sk: number) => rawItemOf(client, tableName, pk, sk);

beforeAll(async () => {
  tableName = uniqueName('encrypted-table');
  await createTagKindTable(client, tableName);
  // Learned with DescribeTable, as by default.
  table = new EncryptedTable({ tableName, client, materialsProvider, attributeActions });
});

afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  client.destroy();
});

describe('EncryptedTable', () => {
  it('putItem and getItem round-trip native values, and DynamoDB holds only ciphertext', async () => {
    const item = sampleItem('round-trip', 1);
    await table.putItem(item);
    expect((await table.getItem({ pk: 'round-trip', sk: 1 }, { ConsistentRead: true })).Item).toEqual(item);

    const raw = await rawItem('round-trip', 1);
    expect(JSON.stringify(raw)).not.toContain(SENTINEL);
    for (const name of ['secret', 'price', 'ok', 'none', 'list', 'map', 'strings', 'numbers', 'blob', 'blobs']) {
      expect(Object.keys(raw?.[name] ?? {})).toEqual(['B']);
    }
    expect(raw).toMatchObject({ pk: { S: 'round-trip' }, sk: { N: '1' }, tag: { S: 'green' }, kind: { S: 'gadget' }, leave_me: { S: 'alone' } });
    expect(raw?.[ReservedAttributes.SIGNATURE]?.B).toBeDefined();
  });

  it('writes items decryptDynamoDbItem opens, and reads items encryptDynamoDbItem wrote', async () => {
    const written = sampleItem('interop', 1);
    await table.putItem(written);
    await expect(decryptDynamoDbItem((await rawItem('interop', 1))!, tableConfig())).resolves.toEqual(marshall(written));

    const foreign = sampleItem('interop', 2);
    await client.send(new PutItemCommand({ TableName: tableName, Item: await encryptDynamoDbItem(marshall(foreign), tableConfig()) }));
    expect((await table.getItem({ pk: 'interop', sk: 2 })).Item).toEqual(foreign);
  });

  it('works the same over a DynamoDBDocumentClient, an EncryptedClient or an EncryptedDocumentClient, with explicit TableInfo', async () => {
    const documentClient = DynamoDBDocumentClient.from(localDynamoDbClient());
    try {
      const encryptedClient = new EncryptedClient({ client, materialsProvider, attributeActions, tableInfos: [tableInfo()], autoRefreshTableIndexes: false });
      const tables = [
        new EncryptedTable({ tableName, client: documentClient, materialsProvider, attributeActions, tableInfo: tableInfo(), autoRefreshTableIndexes: false }),
        new EncryptedTable({ tableName, client: encryptedClient }),
        new EncryptedTable({ tableName, client: EncryptedDocumentClient.from(encryptedClient) }),
      ];
      for (const [index, each] of tables.entries()) {
        const item = sampleItem('clients', index);
        await each.putItem(item);
        // Written through one, read through another: all share the one table configuration.
        expect((await table.getItem({ pk: 'clients', sk: index })).Item).toEqual(item);
        expect((await each.getItem({ pk: 'round-trip', sk: 1 })).Item).toEqual(sampleItem('round-trip', 1));
      }
    } finally {
      documentClient.destroy();
    }
  });

  it('refuses configuration that would be ignored or contradicts the table', () => {
    const encryptedClient = new EncryptedClient({ client, materialsProvider });
    expect(() => new EncryptedTable({ tableName, client: encryptedClient, materialsProvider } as never)).toThrow(InvalidArgumentError);
    expect(() => new EncryptedTable({ tableName, client, materialsProvider, tableInfo: tableInfo('another-table') })).toThrow(/another-table/);
    expect(() => new EncryptedTable({ tableName: '', client, materialsProvider })).toThrow(InvalidArgumentError);
  });

  it('updateItem changes DO_NOTHING attributes, keeps the item verifiable, and refuses signed ones', async () => {
    const item = sampleItem('update', 1);
    await table.putItem(item);
    const updated = await table.updateItem(
      { pk: 'update', sk: 1 },
      { UpdateExpression: 'SET leave_me = :value', ExpressionAttributeValues: { ':value': 'changed' }, ReturnValues: 'ALL_NEW' },
    );
    expect(updated.Attributes).toEqual({ ...item, leave_me: 'changed' });
    await expect(decryptDynamoDbItem((await rawItem('update', 1))!, tableConfig())).resolves.toMatchObject({ leave_me: { S: 'changed' } });

    const signed = table.updateItem({ pk: 'update', sk: 1 }, { UpdateExpression: 'REMOVE secret' });
    await expect(signed).rejects.toThrow(UnsupportedOperationError);
    await expect(signed).rejects.toThrow(/attribute "secret"/);
    expect((await table.getItem({ pk: 'update', sk: 1 })).Item).toEqual({ ...item, leave_me: 'changed' });
  });

  it('deleteItem returns the decrypted old item', async () => {
    const item = sampleItem('delete', 1);
    await table.putItem(item);
    expect((await table.deleteItem({ pk: 'delete', sk: 1 }, { ReturnValues: 'ALL_OLD' })).Attributes).toEqual(item);
    expect((await table.getItem({ pk: 'delete', sk: 1 })).Item).toBeUndefined();
  });

  it('queries and scans with paginators, projections and filters on plaintext attributes only', async () => {
    const items = Array.from({ length: 12 }, (_, index): Record<string, unknown> => ({ ...sampleItem('listing', index), leave_me: `n${index % 3}` }));
    await table.batchWriteItems(items);

    const pages = [];
    for await (const page of table.paginateQuery({ KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'listing' }, Limit: 5 })) pages.push(page);
    expect(pages.flatMap((page) => page.Items)).toEqual(items);

    const projected = await table.query({
      KeyConditionExpression: 'pk = :pk AND sk < :three',
      FilterExpression: 'leave_me <> :skip',
      ProjectionExpression: 'secret, strings',
      ExpressionAttributeValues: { ':pk': 'listing', ':three': 3, ':skip': 'n1' },
    });
    expect(projected.Items).toEqual([0, 2].map((index) => ({ secret: items[index].secret, strings: items[index].strings })));

    const scanned = [];
    for await (const page of table.paginateScan({ Limit: 4, FilterExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'listing' } })) {
      scanned.push(...(page.Items ?? []));
    }
    expect(scanned.sort((a, b) => a.sk - b.sk)).toEqual(items);

    const filtered = table.scan({ FilterExpression: 'contains(secret, :text)', ExpressionAttributeValues: { ':text': SENTINEL } });
    await expect(filtered).rejects.toThrow(UnsupportedOperationError);
    await expect(filtered).rejects.not.toThrow(SENTINEL);
  });

  it('queries a GSI that projects ALL, and refuses one that projects keys only', async () => {
    const item = { ...sampleItem('gsi', 1), tag: 'table-gsi-tag', kind: 'table-gsi-kind' };
    await table.putItem(item);
    const { Items } = await table.query({ IndexName: 'by_tag', KeyConditionExpression: 'tag = :tag', ExpressionAttributeValues: { ':tag': 'table-gsi-tag' } });
    expect(Items).toEqual([item]);
    expect((await rawItem('gsi', 1))?.tag).toEqual({ S: 'table-gsi-tag' });

    const keysOnly = table.query({ IndexName: 'by_kind', KeyConditionExpression: 'kind = :kind', ExpressionAttributeValues: { ':kind': 'table-gsi-kind' } });
    await expect(keysOnly).rejects.toThrow(UnsupportedOperationError);
    await expect(keysOnly).rejects.toThrow(/project ALL/);
  });

  it('batchWriteItems, batchGetItems and batchDeleteItems handle more items than one request takes', async () => {
    const items = Array.from({ length: 110 }, (_, index) => sampleItem('batch', index));
    await table.batchWriteItems(items);
    const keys = items.map(({ pk, sk }) => ({ pk, sk }));
    const read = await table.batchGetItems(keys, { ConsistentRead: true });
    expect(read.sort((a, b) => a.sk - b.sk)).toEqual(items);
    const projected = await table.batchGetItems(keys.slice(0, 2), { ProjectionExpression: 'sk, blob' });
    expect(projected.sort((a, b) => a.sk - b.sk)).toEqual([0, 1].map((index) => ({ sk: index, blob: items[index].blob })));

    await table.batchDeleteItems(keys);
    await expect(table.batchGetItems(keys, { ConsistentRead: true })).resolves.toEqual([]);
  });
});
