/**
 * MostRecentProvider over a MetaStore in DynamoDB Local: it picks up rotations after its TTL,
 * keeps reading old versions, and reads the table only as often as its caches say.
 */
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import type { CryptoConfig } from '../../src/encryptor/crypto-config';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { UnsupportedOperationError } from '../../src/errors';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { MaterialDescriptionKeys } from '../../src/format/material-description-keys';
import type { CryptographicMaterialsProvider } from '../../src/providers/cryptographic-materials-provider';
import { MetaStore } from '../../src/providers/meta-store';
import { GRACE_PERIOD_MS, MostRecentProvider } from '../../src/providers/most-recent-provider';
import { descriptionOf } from '../support/item-encryptor-fixtures';
import { freshStaticProvider } from '../support/fresh-static-provider';
import { localDynamoDbClient, uniqueName } from '../support/local-aws';

const MATERIAL = 'orders-key';
const TTL = 60_000;
const DATA_ITEM: DynamoDbItem = { id: { S: 'order-1' }, amount: { N: '12' } };

const client = localDynamoDbClient();
const clients: DynamoDBClient[] = [client];
const createdTables: string[] = [];

afterAll(async () => {
  await Promise.all(createdTables.map((TableName) => client.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
  for (const each of clients) each.destroy();
});

/** What protects the version items in these tests. */
const staticMetaProvider = freshStaticProvider;

/** A client whose commands are counted by name, through an SDK middleware. */
function countingClient(): { client: DynamoDBClient; counts: Map<string, number> } {
  const counted = localDynamoDbClient();
  clients.push(counted);
  const counts = new Map<string, number>();
  counted.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return { client: counted, counts };
}

/** A MetaStore table, a rotator (another MetaStore instance) and a counted one for the provider. */
async function setup() {
  const tableName = uniqueName('metastore');
  createdTables.push(tableName);
  await MetaStore.createTable(client, tableName);
  const metaProvider = staticMetaProvider();
  const rotator = new MetaStore({ tableName, materialsProvider: metaProvider, dynamoDbClient: client });
  const counting = countingClient();
  const store = new MetaStore({ tableName, materialsProvider: metaProvider, dynamoDbClient: counting.client });
  return { tableName, metaProvider, rotator, store, counts: counting.counts };
}

function dataConfig(materialsProvider: MostRecentProvider): CryptoConfig {
  return { materialsProvider, encryptionContext: { tableName: 'orders', partitionKeyName: 'id' }, attributeActions: new AttributeActions().setIndexKeys('id') };
}

async function write(provider: MostRecentProvider): Promise<{ item: DynamoDbItem; metaId: string }> {
  const item = await encryptDynamoDbItem(DATA_ITEM, dataConfig(provider));
  return { item, metaId: descriptionOf(item)[MaterialDescriptionKeys.META_ID] };
}

describe('MostRecentProvider over a MetaStore', () => {
  it('creates version 0 for a new material, picks up a rotation after its TTL, and still reads old items', async () => {
    const { rotator, store } = await setup();
    const clock = { now: 0 };
    const provider = new MostRecentProvider({ providerStore: store, materialName: MATERIAL, versionTtlMs: TTL, clock: () => clock.now });

    const first = await write(provider);
    expect(first.metaId).toBe(`${MATERIAL}#0`);
    await expect(rotator.maxVersion(MATERIAL)).resolves.toBe(0);

    await expect(rotator.newProvider(MATERIAL)).resolves.toMatchObject({ version: 1 });
    clock.now += TTL - 1;
    const beforeTtl = await write(provider);
    expect(beforeTtl.metaId).toBe(`${MATERIAL}#0`);

    clock.now += 1 + GRACE_PERIOD_MS;
    const afterTtl = await write(provider);
    expect(afterTtl.metaId).toBe(`${MATERIAL}#1`);

    for (const { item } of [first, beforeTtl, afterTtl]) {
      await expect(decryptDynamoDbItem(item, dataConfig(provider))).resolves.toEqual(DATA_ITEM);
    }
    // So does a reader that never wrote.
    const reader = new MostRecentProvider({ providerStore: rotator, materialName: MATERIAL, versionTtlMs: TTL });
    for (const { item } of [first, afterTtl]) {
      await expect(decryptDynamoDbItem(item, dataConfig(reader))).resolves.toEqual(DATA_ITEM);
    }
  });

  it('picks up a rotation with a short real TTL', async () => {
    const { rotator, store } = await setup();
    await rotator.newProvider(MATERIAL);
    const provider = new MostRecentProvider({ providerStore: store, materialName: MATERIAL, versionTtlMs: 200 });
    expect((await write(provider)).metaId).toBe(`${MATERIAL}#0`);
    await rotator.newProvider(MATERIAL);
    expect((await write(provider)).metaId).toBe(`${MATERIAL}#0`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    // The first caller after the TTL refreshes and waits for it.
    expect((await write(provider)).metaId).toBe(`${MATERIAL}#1`);
  });

  it('queries the max version once for many writers after the TTL', async () => {
    const { rotator, store, counts } = await setup();
    await rotator.newProvider(MATERIAL);
    const clock = { now: 0 };
    const provider = new MostRecentProvider({ providerStore: store, materialName: MATERIAL, versionTtlMs: TTL, clock: () => clock.now });
    await write(provider);
    expect(counts.get('QueryCommand')).toBe(1);
    await rotator.newProvider(MATERIAL);
    clock.now += TTL + GRACE_PERIOD_MS;
    const written = await Promise.all(Array.from({ length: 20 }, () => write(provider)));
    expect(new Set(written.map(({ metaId }) => metaId))).toEqual(new Set([`${MATERIAL}#1`]));
    expect(counts.get('QueryCommand')).toBe(2);
    expect(counts.get('GetItemCommand')).toBe(2);
  });

  it('reads an old version once per TTL however often it is used, and once for concurrent misses', async () => {
    const { rotator, store, counts } = await setup();
    await rotator.newProvider(MATERIAL);
    const clock = { now: 0 };
    const writer = new MostRecentProvider({ providerStore: rotator, materialName: MATERIAL, versionTtlMs: TTL });
    const { item } = await write(writer);
    await rotator.newProvider(MATERIAL);

    const provider = new MostRecentProvider({ providerStore: store, materialName: MATERIAL, versionTtlMs: TTL, clock: () => clock.now });
    const reads = () => counts.get('GetItemCommand') ?? 0;
    await Promise.all(Array.from({ length: 10 }, () => decryptDynamoDbItem(item, dataConfig(provider))));
    expect(reads()).toBe(1);
    clock.now += TTL - 1;
    await decryptDynamoDbItem(item, dataConfig(provider));
    expect(reads()).toBe(1);
    clock.now += 1;
    await expect(decryptDynamoDbItem(item, dataConfig(provider))).resolves.toEqual(DATA_ITEM);
    expect(reads()).toBe(2);
    provider.refresh();
    await decryptDynamoDbItem(item, dataConfig(provider));
    expect(reads()).toBe(3);
    expect(counts.get('PutItemCommand')).toBeUndefined();
  });

  it('stops reading within the TTL once the meta provider no longer opens the version items', async () => {
    const { tableName, metaProvider, rotator } = await setup();
    await rotator.newProvider(MATERIAL);
    const clock = { now: 0 };
    const writer = new MostRecentProvider({ providerStore: rotator, materialName: MATERIAL, versionTtlMs: TTL });
    const { item } = await write(writer);

    // Stands in for a revoked KMS permission: the meta provider now refuses every version item.
    let revoked = false;
    const revocable: CryptographicMaterialsProvider = {
      encryptionMaterials: (context) => metaProvider.encryptionMaterials(context),
      decryptionMaterials: (context) =>
        revoked ? Promise.reject(new UnsupportedOperationError('access revoked', { tableName })) : metaProvider.decryptionMaterials(context),
    };
    const store = new MetaStore({ tableName, materialsProvider: revocable, dynamoDbClient: client });
    const provider = new MostRecentProvider({ providerStore: store, materialName: MATERIAL, versionTtlMs: TTL, clock: () => clock.now });
    await expect(decryptDynamoDbItem(item, dataConfig(provider))).resolves.toEqual(DATA_ITEM);
    revoked = true;
    clock.now += TTL - 1;
    await expect(decryptDynamoDbItem(item, dataConfig(provider))).resolves.toEqual(DATA_ITEM);
    clock.now += 1;
    await expect(decryptDynamoDbItem(item, dataConfig(provider))).rejects.toThrow(UnsupportedOperationError);
  });
});
