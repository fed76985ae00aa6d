/**
 * MetaStore against DynamoDB Local: table creation, versioning, concurrent rotation, and what a
 * tampered version item does (fails, and stays as it is).
 */
import {
  DeleteTableCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import type { CryptoConfig } from '../../src/encryptor/crypto-config';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { DynamoDbEncryptionError, InvalidArgumentError, SignatureVerificationError } from '../../src/errors';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { MaterialDescriptionKeys, ReservedAttributes } from '../../src/format/material-description-keys';
import type { CryptographicMaterialsProvider } from '../../src/providers/cryptographic-materials-provider';
import { MetaStore } from '../../src/providers/meta-store';
import { NoKnownVersionError } from '../../src/providers/provider-store';
import { StaticMaterialsProvider } from '../../src/providers/static-provider';
import { descriptionOf } from '../support/item-encryptor-fixtures';
import { freshStaticProvider } from '../support/fresh-static-provider';
import { localDynamoDbClient, uniqueName } from '../support/local-aws';

const MATERIAL = 'orders-key';
const DATA_ITEM: DynamoDbItem = { id: { S: 'order-1' }, amount: { N: '12' }, note: { S: 'fragile' } };

const client = localDynamoDbClient();
// A second client, so that the two MetaStore instances of the race test share no connection pool.
const otherClient = localDynamoDbClient();
const createdTables: string[] = [];

afterAll(async () => {
  await Promise.all(createdTables.map((TableName) => client.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
  client.destroy();
  otherClient.destroy();
});

/** What protects the version items in these tests. */
const staticMetaProvider = freshStaticProvider;

async function newTable(options?: Parameters<typeof MetaStore.createTable>[2]): Promise<string> {
  const tableName = uniqueName('metastore');
  createdTables.push(tableName);
  await MetaStore.createTable(client, tableName, options);
  return tableName;
}

async function newMetaStore(): Promise<{ tableName: string; metaProvider: StaticMaterialsProvider; store: MetaStore }> {
  const tableName = await newTable();
  const metaProvider = staticMetaProvider();
  return { tableName, metaProvider, store: new MetaStore({ tableName, materialsProvider: metaProvider, dynamoDbClient: client }) };
}

function dataConfig(materialsProvider: CryptographicMaterialsProvider): CryptoConfig {
  return { materialsProvider, encryptionContext: { tableName: 'orders', partitionKeyName: 'id' }, attributeActions: new AttributeActions().setIndexKeys('id') };
}

async function rawVersionItems(tableName: string, materialName: string): Promise<DynamoDbItem[]> {
  const response = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'N = :name',
      ExpressionAttributeValues: { ':name': { S: materialName } },
      ConsistentRead: true,
    }),
  );
  return response.Items ?? [];
}

async function rawVersionItem(tableName: string, materialName: string, version: number): Promise<DynamoDbItem | undefined> {
  const response = await client.send(
    new GetItemCommand({ TableName: tableName, Key: { N: { S: materialName }, V: { N: String(version) } }, ConsistentRead: true }),
  );
  return response.Item;
}

describe('MetaStore.createTable', () => {
  it('creates N (S, partition) + V (N, sort), on-demand by default, and returns once it is ACTIVE', async () => {
    const tableName = await newTable();
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'N', KeyType: 'HASH' },
      { AttributeName: 'V', KeyType: 'RANGE' },
    ]);
    expect(Table?.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'N', AttributeType: 'S' },
        { AttributeName: 'V', AttributeType: 'N' },
      ]),
    );
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('creates a provisioned table when capacity is given', async () => {
    const tableName = await newTable({ readCapacityUnits: 2, writeCapacityUnits: 3 });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 2, WriteCapacityUnits: 3 });
  });

  it('refuses PROVISIONED without capacity before calling DynamoDB', async () => {
    await expect(MetaStore.createTable(client, uniqueName('metastore'), { billingMode: 'PROVISIONED' })).rejects.toThrow(InvalidArgumentError);
  });

  it('lets DynamoDB errors through unchanged (the table exists already)', async () => {
    const tableName = await newTable();
    await expect(MetaStore.createTable(client, tableName)).rejects.toMatchObject({ name: 'ResourceInUseException' });
  });
});

describe('MetaStore versions', () => {
  it('newProvider creates versions 0, 1, 2 and maxVersion follows', async () => {
    const { store } = await newMetaStore();
    await expect(store.maxVersion(MATERIAL)).rejects.toThrow(NoKnownVersionError);
    const created = [await store.newProvider(MATERIAL), await store.newProvider(MATERIAL), await store.newProvider(MATERIAL)];
    expect(created.map((provider) => [provider.materialName, provider.version])).toEqual([
      [MATERIAL, 0],
      [MATERIAL, 1],
      [MATERIAL, 2],
    ]);
    await expect(store.maxVersion(MATERIAL)).resolves.toBe(2);
    // Materials are independent of each other.
    await expect(store.maxVersion('other-key')).rejects.toThrow(NoKnownVersionError);
  });

  it('stores version items encrypted and signed under the meta provider, with N and V readable', async () => {
    const { tableName, store } = await newMetaStore();
    await store.newProvider(MATERIAL);
    const stored = await rawVersionItem(tableName, MATERIAL, 0);
    expect(stored?.N).toEqual({ S: MATERIAL });
    expect(stored?.V).toEqual({ N: '0' });
    for (const name of ['t', 'encAlg', 'enc', 'intAlg', 'int']) expect(Object.keys(stored?.[name] ?? {})).toEqual(['B']);
    expect(stored?.[ReservedAttributes.SIGNATURE]?.B).toBeDefined();
    expect(stored?.[ReservedAttributes.MATERIAL_DESCRIPTION]?.B).toBeDefined();
  });

  it('provider(name, version) opens data items written with that version, from another MetaStore instance', async () => {
    const { tableName, metaProvider, store } = await newMetaStore();
    const writers = [await store.newProvider(MATERIAL), await store.newProvider(MATERIAL)];
    const items = await Promise.all(writers.map((writer) => encryptDynamoDbItem(DATA_ITEM, dataConfig(writer))));
    expect(items.map((item) => descriptionOf(item)[MaterialDescriptionKeys.META_ID])).toEqual([`${MATERIAL}#0`, `${MATERIAL}#1`]);

    const reader = new MetaStore({ tableName, materialsProvider: metaProvider, dynamoDbClient: client });
    for (const [version, item] of items.entries()) {
      const provider = await reader.provider(MATERIAL, version);
      expect(provider.version).toBe(version);
      await expect(decryptDynamoDbItem(item, dataConfig(provider))).resolves.toEqual(DATA_ITEM);
    }
    // A different version's keys do not open it.
    await expect(decryptDynamoDbItem(items[0], dataConfig(await reader.provider(MATERIAL, 1)))).rejects.toThrow(DynamoDbEncryptionError);
  });

  it('provider(name) returns the newest version, creating version 0 only for a material that has none', async () => {
    const { tableName, store } = await newMetaStore();
    const first = await store.provider(MATERIAL);
    expect(first.version).toBe(0);
    await store.newProvider(MATERIAL);
    await expect(store.provider(MATERIAL)).resolves.toMatchObject({ version: 1 });
    expect(await rawVersionItems(tableName, MATERIAL)).toHaveLength(2);
  });

  it('a missing version is NoKnownVersionError and is never created by a read', async () => {
    const { tableName, store } = await newMetaStore();
    await expect(store.provider(MATERIAL, 0)).rejects.toThrow(NoKnownVersionError);
    await store.newProvider(MATERIAL);
    const error = await store.provider(MATERIAL, 5).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NoKnownVersionError);
    expect((error as Error).message).toMatch(`material "${MATERIAL}" has no version 5`);
    expect((error as Error).message).toMatch(`table "${tableName}"`);
    expect((await rawVersionItems(tableName, MATERIAL)).map((item) => item.V.N)).toEqual(['0']);
  });

  it('refuses material names the data items could not name, and versions that are not integers >= 0', async () => {
    const { store } = await newMetaStore();
    await expect(store.newProvider('a#b')).rejects.toThrow(InvalidArgumentError);
    await expect(store.provider('')).rejects.toThrow(InvalidArgumentError);
    await expect(store.provider(MATERIAL, -1)).rejects.toThrow(InvalidArgumentError);
    await expect(store.provider(MATERIAL, 1.5)).rejects.toThrow(InvalidArgumentError);
  });

  it('a meta provider with other keys cannot read the versions', async () => {
    const { tableName, store } = await newMetaStore();
    await store.newProvider(MATERIAL);
    const stranger = new MetaStore({ tableName, materialsProvider: staticMetaProvider(), dynamoDbClient: client });
    await expect(stranger.provider(MATERIAL, 0)).rejects.toThrow(SignatureVerificationError);
  });

  it('lets DynamoDB errors through unchanged (no such table)', async () => {
    const store = new MetaStore({ tableName: uniqueName('missing'), materialsProvider: staticMetaProvider(), dynamoDbClient: client });
    const error = await store.newProvider(MATERIAL).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(error).not.toBeInstanceOf(DynamoDbEncryptionError);
  });
});

describe('MetaStore concurrent rotation', () => {
  it('never claims a version twice: every caller gets the stored keys of the version it reports', async () => {
    const { tableName, metaProvider, store } = await newMetaStore();
    const other = new MetaStore({ tableName, materialsProvider: metaProvider, dynamoDbClient: otherClient });
    const returned = [];
    for (let round = 0; round < 3; round += 1) {
      const calls = Array.from({ length: 8 }, (_, index) => (index % 2 === 0 ? store : other).newProvider(MATERIAL));
      returned.push(...(await Promise.all(calls)));
    }
    expect(returned).toHaveLength(24);

    const storedVersions = (await rawVersionItems(tableName, MATERIAL)).map((item) => Number(item.V.N));
    // Contiguous from 0: a lost race loads the winner's version instead of skipping ahead.
    expect(storedVersions).toEqual(storedVersions.map((_, index) => index));
    expect(new Set(returned.map((provider) => provider.version))).toEqual(new Set(storedVersions));
    // Calls of one round read the same max version, so some lost the race and loaded the winner's.
    expect(storedVersions.length).toBeLessThan(returned.length);

    // Each returned provider holds exactly the keys stored for its version.
    const reader = new MetaStore({ tableName, materialsProvider: metaProvider, dynamoDbClient: client });
    const readers = new Map(await Promise.all(storedVersions.map(async (version) => [version, await reader.provider(MATERIAL, version)] as const)));
    for (const provider of returned) {
      const item = await encryptDynamoDbItem(DATA_ITEM, dataConfig(provider));
      await expect(decryptDynamoDbItem(item, dataConfig(readers.get(provider.version)!))).resolves.toEqual(DATA_ITEM);
    }
  });
});

describe('a tampered MetaStore version item', () => {
  async function tamper(tableName: string, version: number): Promise<Uint8Array> {
    const stored = await rawVersionItem(tableName, MATERIAL, version);
    const enc = Buffer.from(stored!.enc.B!);
    enc[20] ^= 0x01;
    await client.send(new PutItemCommand({ TableName: tableName, Item: { ...stored!, enc: { B: enc } } }));
    return enc;
  }

  it('fails verification, stays as it is, and does not stop the next rotation', async () => {
    const { tableName, store } = await newMetaStore();
    await store.newProvider(MATERIAL);
    const tampered = await tamper(tableName, 0);

    await expect(store.provider(MATERIAL, 0)).rejects.toThrow(SignatureVerificationError);
    await expect(store.provider(MATERIAL)).rejects.toThrow(SignatureVerificationError);
    // Still the tampered bytes: nothing re-created or "repaired" the item.
    expect(Buffer.from((await rawVersionItem(tableName, MATERIAL, 0))!.enc.B!)).toEqual(tampered);

    const next = await store.newProvider(MATERIAL);
    expect(next.version).toBe(1);
    await expect(store.provider(MATERIAL, 1)).resolves.toMatchObject({ version: 1 });
    expect(Buffer.from((await rawVersionItem(tableName, MATERIAL, 0))!.enc.B!)).toEqual(tampered);
    await expect(store.provider(MATERIAL, 0)).rejects.toThrow(SignatureVerificationError);
  });
});
