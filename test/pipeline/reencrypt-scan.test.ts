/**
 * ScanReEncryptor against DynamoDB Local and the local KMS: backfill of a plaintext table,
 * Direct KMS and MetaStore rotations, second runs that write nothing, dry runs, filters,
 * concurrent writers whose updates survive, resuming from checkpoints, and throttling.
 */
import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  GetItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { LocalKey } from '../../src/crypto/local-key';
import { EncryptedClient } from '../../src/encrypted/encrypted-client';
import { TableCrypto } from '../../src/encrypted/table-crypto';
import { TableInfo } from '../../src/encrypted/table-info';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import { decryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { deserializeMaterialDescription } from '../../src/format/material-description';
import { ReservedAttributes } from '../../src/format/material-description-keys';
import { RawDecryptionMaterials, RawEncryptionMaterials } from '../../src/materials/raw-materials';
import { descriptionEntryClassifier, kmsKeyClassifier, mostRecentVersionClassifier } from '../../src/pipeline/reencrypt-classifier';
import { addCounts, emptyCounts, type ReEncryptCounts } from '../../src/pipeline/reencrypt-counts';
import { ReEncryptSegmentError } from '../../src/pipeline/reencrypt-errors';
import { ScanReEncryptor, type ScanReEncryptorOptions } from '../../src/pipeline/scan-reencryptor';
import { AwsKmsMaterialsProvider, KmsDecryptionMaterials } from '../../src/providers/aws-kms-provider';
import type { CryptographicMaterialsProvider } from '../../src/providers/cryptographic-materials-provider';
import { MetaStore } from '../../src/providers/meta-store';
import { MostRecentProvider } from '../../src/providers/most-recent-provider';
import { StaticMaterialsProvider } from '../../src/providers/static-provider';
import { freshStaticProvider } from '../support/fresh-static-provider';
import { localDynamoDbClient, localKmsClient, uniqueName } from '../support/local-aws';
import { createPkSkTable, samplePlaintextItem } from '../support/tables';

const SIG = ReservedAttributes.SIGNATURE;
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand']);
const actions = () => new AttributeActions({ attributeActions: { note: CryptoAction.DO_NOTHING } });

const dynamoDb = localDynamoDbClient();
const kms = localKmsClient();
const tables: string[] = [];
const clients: Array<DynamoDBClient | KMSClient> = [dynamoDb, kms];

afterAll(async () => {
  await Promise.all(tables.map((TableName) => dynamoDb.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
  for (const client of clients) client.destroy();
});

async function createTable(prefix = 'reencrypt'): Promise<TableInfo> {
  const name = uniqueName(prefix);
  tables.push(name);
  await createPkSkTable(dynamoDb, name);
  return new TableInfo({ name, primaryIndex: { partition: 'pk', sort: 'sk' } });
}

function plainItem(index: number): DynamoDbItem {
  return { ...samplePlaintextItem(index), note: { S: `note-${String(index).padStart(4, '0')}` } };
}

const keyText = (item: DynamoDbItem) => `${item.pk.S}/${item.sk.N}`;

async function fillPlaintext(table: TableInfo, items: DynamoDbItem[]): Promise<void> {
  for (let offset = 0; offset < items.length; offset += 25) {
    const requests: WriteRequest[] = items.slice(offset, offset + 25).map((Item) => ({ PutRequest: { Item } }));
    const { UnprocessedItems } = await dynamoDb.send(new BatchWriteItemCommand({ RequestItems: { [table.name]: requests } }));
    expect(Object.keys(UnprocessedItems ?? {})).toHaveLength(0);
  }
}

async function fillEncrypted(table: TableInfo, items: DynamoDbItem[], provider: CryptographicMaterialsProvider): Promise<void> {
  const writer = new EncryptedClient({ client: dynamoDb, materialsProvider: provider, attributeActions: actions(), tableInfos: [table] });
  await writer.batchWriteAll({ [table.name]: items.map((Item) => ({ PutRequest: { Item } })) });
}

async function scanAll(table: TableInfo): Promise<DynamoDbItem[]> {
  const items: DynamoDbItem[] = [];
  let ExclusiveStartKey: DynamoDbItem | undefined;
  do {
    const page = await dynamoDb.send(new ScanCommand({ TableName: table.name, ExclusiveStartKey, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey !== undefined);
  return items;
}

/** Every item in the table decrypts with `provider` alone and equals `expected` (by key). */
async function expectAllDecrypt(table: TableInfo, provider: CryptographicMaterialsProvider, expected: Map<string, DynamoDbItem>): Promise<DynamoDbItem[]> {
  const config = new TableCrypto(table, provider, actions()).config;
  const stored = await scanAll(table);
  expect(stored).toHaveLength(expected.size);
  for (const item of stored) {
    expect(item[SIG]).toBeDefined();
    expect(item.card?.S).toBeUndefined(); // ciphertext, never the plaintext string
    await expect(decryptDynamoDbItem(item, config)).resolves.toEqual(expected.get(keyText(item)));
  }
  return stored;
}

/** A DynamoDB client whose writes are counted per key; `before` runs before each write is sent. */
function instrumentedClient(before?: (command: string, key: string) => Promise<void>) {
  const client = localDynamoDbClient();
  clients.push(client);
  const writes = new Map<string, number>();
  let total = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName as string;
      if (WRITES.has(command)) {
        const input = args.input as { Key?: DynamoDbItem; Item?: DynamoDbItem };
        const key = keyText((input.Key ?? input.Item) as DynamoDbItem);
        writes.set(key, (writes.get(key) ?? 0) + 1);
        total += 1;
        await before?.(command, key);
      }
      return next(args);
    },
    { step: 'initialize', name: 'countReEncryptWrites' },
  );
  return { client, writes, total: () => total };
}

function reEncryptor(table: TableInfo, options: Partial<ScanReEncryptorOptions> & Pick<ScanReEncryptorOptions, 'materialsProvider' | 'classifier'>): ScanReEncryptor {
  return new ScanReEncryptor({ client: dynamoDb, table, attributeActions: actions(), pageSize: 25, ...options });
}

function expectOutcomesAddUp(counts: ReEncryptCounts): void {
  const { scanned, encrypted, reencrypted, alreadyCurrent, conflicts, failed, skipped, deleted } = counts;
  expect(encrypted + reencrypted + alreadyCurrent + conflicts + failed + skipped + deleted).toBe(scanned);
}

function namedStaticProvider(name: string): StaticMaterialsProvider {
  const encryptionKey = LocalKey.generateAes(256);
  const signingKey = LocalKey.generateHmac('HmacSHA256', 32);
  return new StaticMaterialsProvider({
    encryptionMaterials: new RawEncryptionMaterials({ signingKey, encryptionKey, materialDescription: { 'key-name': name } }),
    decryptionMaterials: new RawDecryptionMaterials({ verificationKey: signingKey, decryptionKey: encryptionKey }),
  });
}

async function createKmsKey(): Promise<string> {
  return (await kms.send(new CreateKeyCommand({ Description: 'reencrypt tests' }))).KeyMetadata?.Arn as string;
}

describe('ScanReEncryptor', () => {
  it('backfills a plaintext table of 300 items with 4 segments; a second run writes nothing', async () => {
    const table = await createTable();
    const items = Array.from({ length: 300 }, (_, index) => plainItem(index));
    await fillPlaintext(table, items);
    // Keys named in the description, and a classifier that looks for that name.
    const provider = namedStaticProvider('orders-2025');
    const { client, writes, total } = instrumentedClient();
    const engine = reEncryptor(table, { client, materialsProvider: provider, classifier: descriptionEntryClassifier('key-name', 'orders-2025') });

    const first = await engine.processTable({ totalSegments: 4 });
    expect(first.counts).toMatchObject({ scanned: 300, encrypted: 300, reencrypted: 0, alreadyCurrent: 0, conflicts: 0, failed: 0, skipped: 0 });
    expectOutcomesAddUp(first.counts);
    expect(writes.size).toBe(300);
    expect([...writes.values()].every((count) => count === 1)).toBe(true);
    await expectAllDecrypt(table, provider, new Map(items.map((item) => [keyText(item), item])));

    const second = await engine.processTable({ totalSegments: 4 });
    expect(second.counts).toMatchObject({ scanned: 300, alreadyCurrent: 300, encrypted: 0, reencrypted: 0 });
    expect(total()).toBe(300); // no write in the second run
  });

  it('re-encrypts a Direct KMS table from key A to key B; afterwards B alone (strict) decrypts every item', async () => {
    const table = await createTable();
    const [keyA, keyB] = [await createKmsKey(), await createKmsKey()];
    const items = Array.from({ length: 60 }, (_, index) => plainItem(index));
    await fillEncrypted(table, items, new AwsKmsMaterialsProvider({ keyId: keyA, kmsClient: kms }));
    const target = new AwsKmsMaterialsProvider({ keyId: keyB, kmsClient: kms, allowedKeyIds: [keyB, keyA] });
    const { client, total } = instrumentedClient();
    const engine = reEncryptor(table, { client, materialsProvider: target, classifier: kmsKeyClassifier({ keyId: keyB, kmsClient: kms }) });

    const first = await engine.processTable({ totalSegments: 2 });
    expect(first.counts).toMatchObject({ scanned: 60, reencrypted: 60, alreadyCurrent: 0, failed: 0, conflicts: 0 });
    await expectAllDecrypt(table, new AwsKmsMaterialsProvider({ keyId: keyB, kmsClient: kms, strict: true }), new Map(items.map((item) => [keyText(item), item])));
    // The old key no longer opens anything: Decrypt naming key A for a data key under B is a key
    // mismatch (real KMS: IncorrectKeyException; moto: an AccessDeniedException without a message,
    // not an authorization failure naming key A), an UnwrappingError: another key wrapped it.
    const onlyA = new TableCrypto(table, new AwsKmsMaterialsProvider({ keyId: keyA, kmsClient: kms, strict: true }), actions()).config;
    await expect(decryptDynamoDbItem((await scanAll(table))[0], onlyA)).rejects.toThrow(
      /^strict mode: KMS would not decrypt the item's data key with any of the 1 allowed key\(s\) \(\w+\): another key wrapped it/,
    );

    const second = await engine.processTable({ totalSegments: 2 });
    expect(second.counts).toMatchObject({ scanned: 60, alreadyCurrent: 60, reencrypted: 0 });
    expect(total()).toBe(60);
  });

  it('moves a MostRecent table to the newest MetaStore version, and a second run neither writes nor decrypts', async () => {
    const table = await createTable();
    const metaStoreTable = uniqueName('reencrypt-metastore');
    tables.push(metaStoreTable);
    await MetaStore.createTable(dynamoDb, metaStoreTable);
    const metaStore = new MetaStore({ tableName: metaStoreTable, materialsProvider: freshStaticProvider(), dynamoDbClient: dynamoDb });
    const provider = new MostRecentProvider({ providerStore: metaStore, materialName: 'orders', versionTtlMs: 600_000 });
    const items = Array.from({ length: 50 }, (_, index) => plainItem(index));
    await fillEncrypted(table, items, provider); // version 0
    expect((await metaStore.newProvider('orders')).version).toBe(1);

    const { client, total } = instrumentedClient();
    const decrypts = { count: 0 };
    const counting: CryptographicMaterialsProvider = {
      encryptionMaterials: (context) => provider.encryptionMaterials(context),
      decryptionMaterials: (context) => (decrypts.count++, provider.decryptionMaterials(context)),
      refresh: () => provider.refresh(),
    };
    const engine = reEncryptor(table, { client, materialsProvider: counting, classifier: mostRecentVersionClassifier({ providerStore: metaStore, materialName: 'orders' }) });
    const first = await engine.processTable({ totalSegments: 3 });
    expect(first.counts).toMatchObject({ scanned: 50, reencrypted: 50, failed: 0 });
    const stored = await expectAllDecrypt(table, provider, new Map(items.map((item) => [keyText(item), item])));
    for (const item of stored) {
      expect(deserializeMaterialDescription(item[ReservedAttributes.MATERIAL_DESCRIPTION].B as Uint8Array).get('amzn-ddb-meta-id')).toBe('orders#1');
    }

    decrypts.count = 0;
    const second = await engine.processTable({ totalSegments: 3 });
    expect(second.counts).toMatchObject({ scanned: 50, alreadyCurrent: 50 });
    expect(total()).toBe(50);
    expect(decrypts.count).toBe(0);
  });

  it('a dry run counts what it would do and writes nothing; a filter limits the work to matching items', async () => {
    const table = await createTable();
    const items = Array.from({ length: 40 }, (_, index) => plainItem(index));
    await fillPlaintext(table, items);
    const provider = freshStaticProvider();
    const { client, total } = instrumentedClient();
    const engine = reEncryptor(table, { client, materialsProvider: provider, classifier: () => true });

    const dry = await engine.processTable({ totalSegments: 2, dryRun: true });
    expect(dry.counts).toMatchObject({ scanned: 40, encrypted: 40 });
    expect(total()).toBe(0);
    expect((await scanAll(table)).every((item) => item[SIG] === undefined)).toBe(true);

    const gold = items.filter((item) => item.category.S === 'gold').length;
    const filtered = await engine.processTable({ totalSegments: 2, filter: { attribute: 'category', equals: 'gold' } });
    expect(filtered.counts).toMatchObject({ scanned: 40, encrypted: gold, skipped: 40 - gold });
    expect(total()).toBe(gold);
    const stored = await scanAll(table);
    expect(stored.filter((item) => item[SIG] !== undefined)).toHaveLength(gold);
    // The filter sees decrypted values too: encrypted gold items are current (the classifier says so), the rest plaintext.
    const again = await engine.processTable({ totalSegments: 1, filter: (item) => item.category.S === 'gold' });
    expect(again.counts).toMatchObject({ alreadyCurrent: gold, skipped: 40 - gold });
  });

  it('a dry run with MostRecent materials writes nowhere, not even a first MetaStore version; the real run then creates it', async () => {
    const table = await createTable();
    const items = Array.from({ length: 12 }, (_, index) => plainItem(index));
    await fillPlaintext(table, items);
    const metaStoreTable = uniqueName('reencrypt-dry-metastore');
    tables.push(metaStoreTable);
    await MetaStore.createTable(dynamoDb, metaStoreTable);
    // One client for the table and the MetaStore: every write it sends, to either, is seen.
    const client = localDynamoDbClient();
    clients.push(client);
    const writes: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (WRITES.has(context.commandName as string)) writes.push(`${context.commandName} ${(args.input as { TableName?: string }).TableName}`);
        return next(args);
      },
      { step: 'initialize', name: 'recordWrites' },
    );
    const metaStore = new MetaStore({ tableName: metaStoreTable, materialsProvider: freshStaticProvider(), dynamoDbClient: client });
    const provider = new MostRecentProvider({ providerStore: metaStore, materialName: 'orders', versionTtlMs: 600_000 });
    const engine = reEncryptor(table, { client, materialsProvider: provider, classifier: mostRecentVersionClassifier({ providerStore: metaStore, materialName: 'orders' }) });

    const dry = await engine.processTable({ totalSegments: 2, dryRun: true });
    expect(dry.counts).toMatchObject({ scanned: 12, encrypted: 12, failed: 0 });
    expect(writes).toEqual([]);
    await expect(metaStore.maxVersion('orders')).rejects.toThrow(/has no version/);

    const real = await engine.processTable({ totalSegments: 2 });
    expect(real.counts).toMatchObject({ scanned: 12, encrypted: 12, failed: 0 });
    expect(await metaStore.maxVersion('orders')).toBe(0);
    expect(writes.filter((write) => write.endsWith(` ${table.name}`))).toHaveLength(12);
    await expectAllDecrypt(table, provider, new Map(items.map((item) => [keyText(item), item])));
  });

  it('counts items that do not verify as failed, by error class, and goes on', async () => {
    const table = await createTable();
    const items = Array.from({ length: 10 }, (_, index) => plainItem(index));
    const provider = freshStaticProvider();
    await fillEncrypted(table, items, provider);
    // Tamper with one signed attribute behind the encryption client's back.
    await dynamoDb.send(new UpdateItemCommand({ TableName: table.name, Key: { pk: items[3].pk, sk: items[3].sk }, UpdateExpression: 'SET category = :c', ExpressionAttributeValues: { ':c': { S: 'tampered' } } }));
    const failedKeys: DynamoDbItem[] = [];
    const engine = reEncryptor(table, { materialsProvider: freshStaticProvider(), sourceMaterialsProvider: provider, classifier: () => false, onItemFailure: (key) => failedKeys.push(key) });
    const result = await engine.processTable({ totalSegments: 1 });
    expect(result.counts).toMatchObject({ scanned: 10, reencrypted: 9, failed: 1 });
    expect(result.failureReasons).toEqual({ SignatureVerificationError: 1 });
    expect(failedKeys).toEqual([{ pk: items[3].pk, sk: items[3].sk }]);
  });

  describe('concurrent writers', () => {
    it('keeps every update a writer makes during a KMS rotation; conflicts are retried, then counted', async () => {
      const table = await createTable();
      const [keyA, keyB] = [await createKmsKey(), await createKmsKey()];
      const items = Array.from({ length: 40 }, (_, index) => plainItem(index));
      const oldProvider = new AwsKmsMaterialsProvider({ keyId: keyA, kmsClient: kms });
      await fillEncrypted(table, items, oldProvider);
      const target = new AwsKmsMaterialsProvider({ keyId: keyB, kmsClient: kms, allowedKeyIds: [keyB, keyA] });
      // An application not yet moved to key B, and one that already was.
      const oldWriter = new EncryptedClient({ client: dynamoDb, materialsProvider: oldProvider, attributeActions: actions(), tableInfos: [table] });
      const newWriter = new EncryptedClient({ client: dynamoDb, materialsProvider: target, attributeActions: actions(), tableInfos: [table] });
      const expected = new Map(items.map((item) => [keyText(item), item]));
      const byKey = new Map(items.map((item) => [keyText(item), item]));
      const stubborn = keyText(items[5]); // changed before every attempt: ends as a conflict
      let stubbornWrites = 0;
      const interfered = new Set<string>();

      const { client } = instrumentedClient(async (_command, key) => {
        const index = Number(key.slice('customer-'.length, 'customer-'.length + 4));
        if (key === stubborn) {
          stubbornWrites += 1;
          const updated = { ...byKey.get(key)!, card: { S: `writer-card-${stubbornWrites}` } };
          await oldWriter.putItem({ TableName: table.name, Item: updated });
          expected.set(key, updated);
        } else if (index % 4 === 0 && !interfered.has(key)) {
          // Once, before the re-encryptor's write: a full rewrite, half with the old key, half with the new.
          interfered.add(key);
          const updated = { ...byKey.get(key)!, card: { S: `writer-card-${key}` }, amount: { N: '1' } };
          await (index % 8 === 0 ? oldWriter : newWriter).putItem({ TableName: table.name, Item: updated });
          expected.set(key, updated);
        } else if (index % 4 === 1 && !interfered.has(key)) {
          // An UpdateItem of a DO_NOTHING attribute, which leaves the signature as it was.
          interfered.add(key);
          await oldWriter.updateItem({ TableName: table.name, Key: { pk: byKey.get(key)!.pk, sk: byKey.get(key)!.sk }, UpdateExpression: 'SET note = :n', ExpressionAttributeValues: { ':n': { S: 'writer-note' } } });
          expected.set(key, { ...expected.get(key)!, note: { S: 'writer-note' } });
        }
      });
      const engine = reEncryptor(table, { client, materialsProvider: target, classifier: kmsKeyClassifier({ keyId: keyB }), concurrency: 8 });
      const { counts } = await engine.processTable({ totalSegments: 2 });

      const rewritten = [...interfered].filter((key) => Number(key.slice(9, 13)) % 4 === 0).length;
      expectOutcomesAddUp(counts);
      expect(counts.conflicts).toBe(1);
      expect(counts.failed).toBe(0);
      expect(counts.retried).toBe(rewritten + 3);
      // Rewritten with the new key by the writer: current on the re-read, not written again.
      expect(counts.alreadyCurrent).toBe([...interfered].filter((key) => Number(key.slice(9, 13)) % 8 === 4).length);

      // Every writer's value is in the table; every item but the stubborn one is under key B alone.
      const stored = await scanAll(table);
      const anyKey = new TableCrypto(table, new AwsKmsMaterialsProvider({ keyId: keyB, kmsClient: kms, allowedKeyIds: [keyB, keyA] }), actions()).config;
      const onlyB = new TableCrypto(table, new AwsKmsMaterialsProvider({ keyId: keyB, kmsClient: kms, strict: true }), actions()).config;
      for (const item of stored) {
        const key = keyText(item);
        await expect(decryptDynamoDbItem(item, anyKey)).resolves.toEqual(expected.get(key));
        if (key !== stubborn) await expect(decryptDynamoDbItem(item, onlyB)).resolves.toEqual(expected.get(key));
      }
      expect(stubbornWrites).toBe(4);
    });

    it('backfill: a plaintext writer changing a value causes a retry; one adding an attribute is caught by ALL_OLD and repaired', async () => {
      const table = await createTable();
      const items = Array.from({ length: 20 }, (_, index) => plainItem(index));
      await fillPlaintext(table, items);
      const provider = freshStaticProvider();
      const expected = new Map(items.map((item) => [keyText(item), item]));
      const interfered = new Set<string>();
      const { client } = instrumentedClient(async (_command, key) => {
        if (interfered.has(key)) return;
        interfered.add(key);
        const item = expected.get(key)!;
        const Key = { pk: item.pk, sk: item.sk };
        if (Number(item.sk.N) % 2 === 0) {
          await dynamoDb.send(new UpdateItemCommand({ TableName: table.name, Key, UpdateExpression: 'SET card = :c', ExpressionAttributeValues: { ':c': { S: `changed-${key}` } } }));
          expected.set(key, { ...item, card: { S: `changed-${key}` } });
        } else {
          // Not among the attributes read, so no condition can see it.
          await dynamoDb.send(new UpdateItemCommand({ TableName: table.name, Key, UpdateExpression: 'SET added = :a', ExpressionAttributeValues: { ':a': { S: `added-${key}` } } }));
          expected.set(key, { ...item, added: { S: `added-${key}` } });
        }
      });
      const engine = reEncryptor(table, { client, materialsProvider: provider, classifier: () => true });
      const { counts } = await engine.processTable({ totalSegments: 1 });
      const odd = items.filter((item) => Number(item.sk.N) % 2 === 1).length;
      expect(counts).toMatchObject({ scanned: 20, encrypted: 20, conflicts: 0, failed: 0, retried: 20 - odd, repaired: odd });
      await expectAllDecrypt(table, provider, expected);
    });

    it('leaves an item deleted during the scan deleted', async () => {
      const table = await createTable();
      const items = Array.from({ length: 5 }, (_, index) => plainItem(index));
      await fillPlaintext(table, items);
      const { client } = instrumentedClient(async (_command, key) => {
        if (key !== keyText(items[2])) return;
        await dynamoDb.send(new DeleteItemCommand({ TableName: table.name, Key: { pk: items[2].pk, sk: items[2].sk } }));
      });
      const engine = reEncryptor(table, { client, materialsProvider: freshStaticProvider(), classifier: () => true });
      const { counts } = await engine.processTable({ totalSegments: 1 });
      expect(counts).toMatchObject({ scanned: 5, encrypted: 4, deleted: 1 });
      const gone = await dynamoDb.send(new GetItemCommand({ TableName: table.name, Key: { pk: items[2].pk, sk: items[2].sk }, ConsistentRead: true }));
      expect(gone.Item).toBeUndefined();
    });
  });

  it('resumes from checkpoints when the time budget runs out after each page: every item written exactly once', async () => {
    const table = await createTable();
    const items = Array.from({ length: 120 }, (_, index) => plainItem(index));
    await fillPlaintext(table, items);
    const provider = freshStaticProvider();
    const { client, writes } = instrumentedClient();
    const engine = reEncryptor(table, { client, materialsProvider: provider, classifier: () => true, pageSize: 10 });
    const total = emptyCounts();
    let invocations = 0;
    for (let segment = 0; segment < 3; segment += 1) {
      let exclusiveStartKey: DynamoDbItem | undefined;
      do {
        // A fake Lambda context: plenty of time at the start, almost none after the first page.
        let calls = 0;
        const remainingTimeMs = () => (calls++ === 0 ? 900_000 : 3_000);
        const result = await engine.processSegment({ segment, totalSegments: 3, exclusiveStartKey }, { remainingTimeMs });
        expect(result.counts.scanned).toBeLessThanOrEqual(10);
        addCounts(total, result.counts);
        exclusiveStartKey = result.lastEvaluatedKey;
        invocations += 1;
      } while (exclusiveStartKey !== undefined);
    }
    expect(invocations).toBeGreaterThanOrEqual(12);
    expect(total).toMatchObject({ scanned: 120, encrypted: 120, retried: 0 });
    expect(writes.size).toBe(120);
    expect([...writes.values()].every((count) => count === 1)).toBe(true);
    await expectAllDecrypt(table, provider, new Map(items.map((item) => [keyText(item), item])));
  });

  it('never starts a page it has no time left to finish, and reads ahead only once a page\'s time is known', async () => {
    const table = await createTable();
    const items = Array.from({ length: 40 }, (_, index) => plainItem(index));
    await fillPlaintext(table, items);
    const provider = freshStaticProvider();
    // Every write takes at least 100 ms of real time: a page of 10 items, 2 at a time, at least
    // half a second by the engine's own measure of its slowest page (performance.now()), however
    // loaded the machine is.
    const events: string[] = [];
    const { client, writes } = instrumentedClient(async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      events.push('write');
    });
    const writesDone = () => events.filter((event) => event === 'write').length;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ScanCommand') events.push('scan');
        return next(args);
      },
      { step: 'initialize', name: 'recordScans' },
    );
    const engine = reEncryptor(table, { client, materialsProvider: provider, classifier: () => true, pageSize: 10, concurrency: 2, safetyMarginMs: 1_000 });

    // An injected clock, not the wall clock: 2 s of budget, of which each finished write uses
    // 50 ms (10 writes, 2 at a time, make the half second the page takes). After the first page
    // 1.5 s are left; with 1 s of margin and a page measured at >= 0.5 s there is no time for
    // two more (read ahead), nor for one, on a machine of any speed.
    const asked: Array<{ writes: number; remaining: number }> = [];
    const remainingTimeMs = () => {
      const remaining = 2_000 - 50 * writesDone();
      asked.push({ writes: writesDone(), remaining });
      return remaining;
    };
    const first = await engine.processSegment({ segment: 0, totalSegments: 1 }, { remainingTimeMs });
    // One page, and only one: one Scan, its 10 writes, and a checkpoint to resume from after it.
    expect(events.filter((event) => event === 'scan')).toHaveLength(1);
    expect(writesDone()).toBe(10);
    expect(first.counts).toMatchObject({ scanned: 10, encrypted: 10 });
    expect(writes.size).toBe(10);
    expect([...writes.values()].every((count) => count === 1)).toBe(true);
    expect(first.lastEvaluatedKey).toBeDefined();
    const order = (await scanAll(table)).map(keyText);
    expect(keyText(first.lastEvaluatedKey as DynamoDbItem)).toBe(order[9]);
    // The stop was the budget's doing: it was asked once the page was done and 1.5 s were left.
    expect(asked).toContainEqual({ writes: 10, remaining: 1_500 });

    // Plenty of time: the second page is asked for only once the first is done.
    events.length = 0;
    const rest = await engine.processSegment({ segment: 0, totalSegments: 1, exclusiveStartKey: first.lastEvaluatedKey }, { remainingTimeMs: () => 600_000 });
    expect(rest).toMatchObject({ lastEvaluatedKey: undefined, counts: { scanned: 30, encrypted: 30 } });
    expect(events.slice(0, 12)).toEqual(['scan', ...Array.from({ length: 10 }, () => 'write'), 'scan']);
    expect(writes.size).toBe(40);
    expect([...writes.values()].every((count) => count === 1)).toBe(true);
  });

  it('a failure on a page started while the one before is still writing: the checkpoint stops before the failed page', async () => {
    const table = await createTable();
    const items = Array.from({ length: 40 }, (_, index) => plainItem(index));
    await fillPlaintext(table, items);
    // Scan order of segment 0 of 1 is stable: the first page's items and the failing one (on the second page).
    const order = (await scanAll(table)).map(keyText);
    const firstPage = new Set(order.slice(0, 10));
    const failing = order[14];
    const { client } = instrumentedClient(async (_command, key) => {
      // The first page's writes are slow, so the second page's items run while it finishes.
      if (firstPage.has(key)) await new Promise((resolve) => setTimeout(resolve, 150));
      if (key === failing) throw Object.assign(new Error('the service is unavailable'), { name: 'ServiceUnavailable' });
    });
    const provider = freshStaticProvider();
    const engine = reEncryptor(table, { client, materialsProvider: provider, classifier: () => true, pageSize: 10, concurrency: 4 });
    const error = await engine.processSegment({ segment: 0, totalSegments: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ReEncryptSegmentError);
    const checkpoint = (error as ReEncryptSegmentError).lastEvaluatedKey;
    // Exactly the first page: it finished after the failure on the second one, which is not covered.
    expect(checkpoint === undefined ? undefined : keyText(checkpoint)).toBe(order[9]);
    const stored = new Map((await scanAll(table)).map((item) => [keyText(item), item]));
    for (const key of order.slice(0, 10)) expect(stored.get(key)?.[SIG]).toBeDefined();
    expect(stored.get(failing)?.[SIG]).toBeUndefined();

    const rest = await reEncryptor(table, { materialsProvider: provider, classifier: () => true, pageSize: 10 }).processSegment({ segment: 0, totalSegments: 1, exclusiveStartKey: checkpoint });
    expect(rest.lastEvaluatedKey).toBeUndefined();
    expect(rest.counts.failed).toBe(0);
    await expectAllDecrypt(table, provider, new Map(items.map((item) => [keyText(item), item])));
  });

  it('stops at the next page boundary when asked to (a container told to shut down)', async () => {
    const table = await createTable();
    await fillPlaintext(table, Array.from({ length: 30 }, (_, index) => plainItem(index)));
    const engine = reEncryptor(table, { materialsProvider: freshStaticProvider(), classifier: () => true, pageSize: 10 });
    const first = await engine.processSegment({ segment: 0, totalSegments: 1 }, { shouldStop: () => true });
    expect(first.counts.scanned).toBe(10);
    expect(first.lastEvaluatedKey).toBeDefined();
    const rest = await engine.processSegment({ segment: 0, totalSegments: 1, exclusiveStartKey: first.lastEvaluatedKey });
    expect(rest.counts).toMatchObject({ scanned: 20, encrypted: 20 });
    expect(rest.lastEvaluatedKey).toBeUndefined();
  });

  it('backs off when DynamoDB throttles beyond the SDK retries, and keeps to a capacity budget', async () => {
    const table = await createTable();
    const items = Array.from({ length: 12 }, (_, index) => plainItem(index));
    await fillPlaintext(table, items);
    let throttles = 0;
    const { client } = instrumentedClient(async () => {
      if (throttles < 3) {
        throttles += 1;
        throw Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' });
      }
    });
    const provider = freshStaticProvider();
    const engine = reEncryptor(table, {
      client,
      materialsProvider: provider,
      classifier: () => true,
      throttleRetry: { baseDelayMs: 5 },
      writeCapacityPerSecond: 20,
      concurrency: 4,
    });
    const started = performance.now();
    const { counts } = await engine.processTable({ totalSegments: 1 });
    expect(counts).toMatchObject({ scanned: 12, encrypted: 12, failed: 0 });
    expect(throttles).toBe(3);
    // 12 writes of one unit each at 20 per second, from a full bucket of 20: no wait needed,
    // while at 4 per second (a full bucket of 4, then 8 more) they take about 2 seconds.
    expect(performance.now() - started).toBeLessThan(1_500);
    const slow = reEncryptor(table, { materialsProvider: provider, classifier: () => false, writeCapacityPerSecond: 4 });
    const slowStarted = performance.now();
    await expect(slow.processTable({ totalSegments: 1 })).resolves.toMatchObject({ counts: { reencrypted: 12 } });
    expect(performance.now() - slowStarted).toBeGreaterThan(1_700);
  });

  it('items with hundreds of attributes: a versionAttribute for the condition, a whole-item PutItem for the write', async () => {
    const table = await createTable();
    const wide: DynamoDbItem = { pk: { S: 'wide' }, sk: { N: '1' }, version: { N: '7' }, note: { S: 'unsigned' } };
    for (let index = 0; index < 450; index += 1) wide[`field${index}`] = { S: `value-${index}` };
    await fillPlaintext(table, [wide, plainItem(1)]);
    const commands: string[] = [];
    const { client } = instrumentedClient(async (command) => void commands.push(command));
    const first = namedStaticProvider('first');

    const withoutVersion = await reEncryptor(table, { client, materialsProvider: first, classifier: descriptionEntryClassifier('key-name', 'first') }).processTable({ totalSegments: 1 });
    expect(withoutVersion.counts).toMatchObject({ encrypted: 1, failed: 1 });
    expect(withoutVersion.failureReasons).toEqual({ ConditionTooLargeError: 1 });

    const withVersion = reEncryptor(table, { client, materialsProvider: first, classifier: descriptionEntryClassifier('key-name', 'first'), versionAttribute: 'version' });
    expect((await withVersion.processTable({ totalSegments: 1 })).counts).toMatchObject({ encrypted: 1, alreadyCurrent: 1 });
    expect(commands).toEqual(['UpdateItemCommand', 'PutItemCommand']);

    // Rotation: the signature (and the DO_NOTHING note) guard the whole-item PutItem.
    const second = namedStaticProvider('second');
    const rotating = reEncryptor(table, { client, materialsProvider: second, sourceMaterialsProvider: first, classifier: descriptionEntryClassifier('key-name', 'second') });
    expect((await rotating.processTable({ totalSegments: 1 })).counts).toMatchObject({ reencrypted: 2 });
    await expectAllDecrypt(table, second, new Map([wide, plainItem(1)].map((item) => [keyText(item), item])));
  });

  it('checks a checkpoint against the table keys', async () => {
    const table = await createTable();
    const engine = reEncryptor(table, { materialsProvider: freshStaticProvider(), classifier: () => true });
    await expect(engine.processSegment({ segment: 0, totalSegments: 1, exclusiveStartKey: { id: { S: 'x' } } })).rejects.toThrow(/lacks the table's key attribute\(s\) "pk", "sk"/);
    await expect(engine.processSegment({ segment: 2, totalSegments: 2 })).rejects.toThrow(/segment 2 is out of range/);
  });

  it('KMS decryption materials carry the key ARN KMS reported', async () => {
    const keyArn = await createKmsKey();
    const provider = new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: kms });
    const context = { tableName: 't', partitionKeyName: 'pk', attributes: { pk: { S: 'a' } } };
    const encryption = await provider.encryptionMaterials(context);
    const materials = await provider.decryptionMaterials({ ...context, materialDescription: encryption.materialDescription });
    expect(materials).toBeInstanceOf(KmsDecryptionMaterials);
    expect((materials as KmsDecryptionMaterials).kmsKeyArn).toBe(keyArn);
  });
});
