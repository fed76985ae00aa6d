/**
 * MostRecentProvider over a MetaStore in DynamoDB Local (and moto's KMS): it picks up rotations after its TTL,
 * keeps reading old versions, and reads the table only as often as its caches say.
 */
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, DescribeKeyCommand, DisableKeyCommand, DisabledException, type KMSClient } from '@aws-sdk/client-kms';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import type { CryptoConfig } from '../../src/encryptor/crypto-config';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { KmsError } from '../../src/errors';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { MaterialDescriptionKeys } from '../../src/format/material-description-keys';
import { AwsKmsMaterialsProvider } from '../../src/providers/aws-kms-provider';
import { MetaStore } from '../../src/providers/meta-store';
import { GRACE_PERIOD_MS, MostRecentProvider } from '../../src/providers/most-recent-provider';
import { descriptionOf } from '../support/item-encryptor-fixtures';
import { freshStaticProvider } from '../support/fresh-static-provider';
import { localDynamoDbClient, localKmsClient, uniqueName } from '../support/local-aws';

const MATERIAL = 'orders-key';
const TTL = 60_000;
const DATA_ITEM: DynamoDbItem = { id: { S: 'order-1' }, amount: { N: '12' } };

const client = localDynamoDbClient();
const clients: Array<DynamoDBClient | KMSClient> = [client];
const createdTables: string[] = [];

afterAll(async () => {
  await Promise.all(createdTables.map((TableName) => client.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
  for (const each of clients) each.destroy();
});

/** What protects the version items in these tests (the KMS-revocation one uses a KMS key). */
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
    // The version items are protected by a KMS key (a Direct KMS provider for the MetaStore, as
    // the Python client's KMS-backed MetaStore would be); revoking access is disabling that key.
    const kms = localKmsClient();
    clients.push(kms);
    const created = await kms.send(new CreateKeyCommand({ Description: 'most-recent test: protects the MetaStore' }));
    const keyId = created.KeyMetadata?.Arn as string;
    // moto's DisableKey and DescribeKey look the key up by its id only (an ARN is a 500 there).
    const bareKeyId = created.KeyMetadata?.KeyId as string;
    const tableName = uniqueName('metastore');
    createdTables.push(tableName);
    await MetaStore.createTable(client, tableName);
    const rotator = new MetaStore({ tableName, materialsProvider: new AwsKmsMaterialsProvider({ keyId, kmsClient: kms }), dynamoDbClient: client });
    await rotator.newProvider(MATERIAL);
    const writer = new MostRecentProvider({ providerStore: rotator, materialName: MATERIAL, versionTtlMs: TTL });
    const { item } = await write(writer);

    // The reader's KMS client. moto 5.2.1 records DisableKey (DescribeKey then says Disabled) but
    // still answers Decrypt, GenerateDataKey and Encrypt with a disabled key: its KMS backend
    // never looks at the key state (checked against moto server, and in moto/kms/models.py). So
    // this middleware refuses them as KMS does, with DisabledException, whenever moto reports
    // the key Disabled: the refusal follows the key's real state in moto, not a test flag.
    const readerKms = localKmsClient();
    clients.push(readerKms);
    const kmsCalls: string[] = [];
    readerKms.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? 'unknown';
        kmsCalls.push(command);
        if (command === 'DecryptCommand' || command === 'GenerateDataKeyCommand' || command === 'EncryptCommand') {
          const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: bareKeyId }));
          if (KeyMetadata?.KeyState === 'Disabled') throw new DisabledException({ message: `${keyId} is disabled.`, $metadata: { httpStatusCode: 400 } });
        }
        return next(args);
      },
      { step: 'initialize', name: 'enforceDisabledKey' },
    );
    const store = new MetaStore({ tableName, materialsProvider: new AwsKmsMaterialsProvider({ keyId, kmsClient: readerKms }), dynamoDbClient: client });
    const clock = { now: 0 };
    const provider = new MostRecentProvider({ providerStore: store, materialName: MATERIAL, versionTtlMs: TTL, clock: () => clock.now });
    await expect(decryptDynamoDbItem(item, dataConfig(provider))).resolves.toEqual(DATA_ITEM);
    expect(kmsCalls).toEqual(['DecryptCommand']);

    await kms.send(new DisableKeyCommand({ KeyId: bareKeyId }));
    // Within the TTL the version already opened is used from the cache: KMS is not asked.
    clock.now += TTL - 1;
    await expect(decryptDynamoDbItem(item, dataConfig(provider))).resolves.toEqual(DATA_ITEM);
    expect(kmsCalls).toEqual(['DecryptCommand']);
    // Once it expires the version item is read again, KMS refuses to open it, and so does the provider.
    clock.now += 1;
    const failure = decryptDynamoDbItem(item, dataConfig(provider));
    await expect(failure).rejects.toBeInstanceOf(KmsError);
    await expect(failure).rejects.toMatchObject({ kmsErrorName: 'DisabledException' });
    expect(kmsCalls).toEqual(['DecryptCommand', 'DecryptCommand']);
  });
});
