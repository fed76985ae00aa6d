/**
 * EncryptedClient against DynamoDB Local (and the local KMS), with three materials providers:
 * every operation encrypts on the way in and decrypts on the way out, the raw table holds only
 * ciphertext for encrypted attributes, items interoperate with encryptDynamoDbItem /
 * decryptDynamoDbItem, unsafe requests are refused with typed errors, and table indexes are
 * learned with one DescribeTable per table or taken from explicit TableInfos.
 */
import { randomBytes, randomInt } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  TransactionCanceledException,
  type AttributeValue,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { EncryptedClient } from '../../src/encrypted/encrypted-client';
import { TableInfo } from '../../src/encrypted/table-info';
import { LocalKey } from '../../src/crypto/local-key';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import type { CryptoConfig } from '../../src/encryptor/crypto-config';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { DynamoDbEncryptionError, InvalidArgumentError, SignatureVerificationError, UnsupportedOperationError } from '../../src/errors';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { ReservedAttributes } from '../../src/format/material-description-keys';
import { AwsKmsMaterialsProvider } from '../../src/providers/aws-kms-provider';
import type { CryptographicMaterialsProvider } from '../../src/providers/cryptographic-materials-provider';
import { MetaStore } from '../../src/providers/meta-store';
import { MostRecentProvider } from '../../src/providers/most-recent-provider';
import { WrappedMaterialsProvider } from '../../src/providers/wrapped-provider';
import { freshStaticProvider } from '../support/fresh-static-provider';
import { createPkSkTable } from '../support/tables';
import { localDynamoDbClient, localKmsClient, uniqueName } from '../support/local-aws';

const { ENCRYPT_AND_SIGN, SIGN_ONLY, DO_NOTHING } = CryptoAction;

const ddb = localDynamoDbClient();
const kms: KMSClient = localKmsClient();
const dynamoDbClients: DynamoDBClient[] = [ddb];
const createdTables: string[] = [];

afterAll(async () => {
  await Promise.all(createdTables.map((TableName) => ddb.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
  for (const client of dynamoDbClients) client.destroy();
  kms.destroy();
});

// ---------------------------------------------------------------------------------------------
// Tables and items

/**
 * pk/sk primary key; GSIs projecting ALL, KEYS_ONLY and INCLUDE; an LSI projecting KEYS_ONLY.
 * Every key attribute is stored as plaintext; everything else but `label` and `note` is encrypted.
 */
const GSI_ALL = 'by-group';
const GSI_KEYS_ONLY = 'by-kpk';
const GSI_INCLUDE = 'by-ipk';
const LSI_KEYS_ONLY = 'by-rank';

async function createDataTable(prefix: string): Promise<string> {
  const TableName = uniqueName(prefix);
  createdTables.push(TableName);
  const input: CreateTableCommandInput = {
    TableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' },
      { AttributeName: 'gpk', AttributeType: 'S' },
      { AttributeName: 'gsk', AttributeType: 'N' },
      { AttributeName: 'kpk', AttributeType: 'S' },
      { AttributeName: 'ipk', AttributeType: 'S' },
      { AttributeName: 'rank', AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: GSI_ALL,
        KeySchema: [
          { AttributeName: 'gpk', KeyType: 'HASH' },
          { AttributeName: 'gsk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      { IndexName: GSI_KEYS_ONLY, KeySchema: [{ AttributeName: 'kpk', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
      {
        IndexName: GSI_INCLUDE,
        KeySchema: [{ AttributeName: 'ipk', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['label', 'note'] },
      },
    ],
    LocalSecondaryIndexes: [
      {
        IndexName: LSI_KEYS_ONLY,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'rank', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
  };
  await ddb.send(new CreateTableCommand(input));
  return TableName;
}

/** The same table described by hand, as a user would pass it in `tableInfos`. */
function explicitTableInfo(name: string): TableInfo {
  return new TableInfo({
    name,
    primaryIndex: { partition: 'pk', sort: 'sk' },
    secondaryIndexes: [
      { name: GSI_ALL, partition: 'gpk', sort: 'gsk', projectionType: 'ALL' },
      { name: GSI_KEYS_ONLY, partition: 'kpk', projectionType: 'KEYS_ONLY' },
      { name: GSI_INCLUDE, partition: 'ipk', projectionType: 'INCLUDE', nonKeyAttributes: ['label', 'note'] },
      { name: LSI_KEYS_ONLY, partition: 'pk', sort: 'rank', projectionType: 'KEYS_ONLY', local: true },
    ],
  });
}

async function createSimpleTable(prefix: string): Promise<string> {
  const TableName = uniqueName(prefix);
  createdTables.push(TableName);
  await createPkSkTable(ddb, TableName);
  return TableName;
}

/** The key attributes say ENCRYPT_AND_SIGN on purpose: the client must keep them readable and signed. */
function actions(): AttributeActions {
  return new AttributeActions({
    defaultAction: ENCRYPT_AND_SIGN,
    attributeActions: { pk: ENCRYPT_AND_SIGN, sk: ENCRYPT_AND_SIGN, gpk: ENCRYPT_AND_SIGN, gsk: ENCRYPT_AND_SIGN, label: SIGN_ONLY, note: DO_NOTHING },
  });
}

const KEY_ATTRIBUTES = ['pk', 'sk', 'gpk', 'gsk', 'kpk', 'ipk', 'rank'];
const ENCRYPTED_ATTRIBUTES = ['secret', 'card', 'tags', 'blob', 'amount', 'flag'];
const SIG = ReservedAttributes.SIGNATURE;
const DESC = ReservedAttributes.MATERIAL_DESCRIPTION;

/** An item whose encrypted attributes hold distinctive values, so that any leak would show. */
function plainItem(pk: string, sk: number, group = pk): DynamoDbItem {
  const token = randomBytes(6).toString('hex');
  return {
    pk: { S: pk },
    sk: { N: String(sk) },
    gpk: { S: `group-${group}` },
    gsk: { N: String(sk) },
    kpk: { S: `kpk-${token}` },
    ipk: { S: `ipk-${token}` },
    rank: { N: String(1000 + sk) },
    secret: { S: `secret-${token}` },
    card: {
      M: {
        holder: { S: `holder-${token}` },
        digits: { N: `4111${randomInt(10_000_000, 99_999_999)}` },
        history: { L: [{ S: `visit-${token}` }, { N: `${randomInt(10_000_000, 99_999_999)}` }, { NULL: true }] },
      },
    },
    tags: { SS: [`tag-${token}-a`, `tag-${token}-b`] },
    blob: { B: randomBytes(24) },
    amount: { N: `${randomInt(10_000_000, 99_999_999)}.25` },
    flag: { BOOL: true },
    label: { S: `label-${token}` },
    note: { S: `note-${token}` },
  };
}

const keyOf = (item: DynamoDbItem): DynamoDbItem => ({ pk: item.pk, sk: item.sk });

/** Every scalar inside a value, as text (binary as base64). */
function leaves(value: AttributeValue): string[] {
  if (value.S !== undefined) return [value.S];
  if (value.N !== undefined) return [value.N];
  if (value.B !== undefined) return [Buffer.from(value.B).toString('base64')];
  if (value.SS !== undefined) return value.SS;
  if (value.NS !== undefined) return value.NS;
  if (value.BS !== undefined) return value.BS.map((member) => Buffer.from(member).toString('base64'));
  if (value.M !== undefined) return Object.values(value.M).flatMap(leaves);
  if (value.L !== undefined) return value.L.flatMap(leaves);
  return [];
}

/** A JSON-able copy: binary as base64, set members sorted (DynamoDB does not keep their order). */
function canonical(value: unknown): unknown {
  if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).map(([name, member]): [string, unknown] => {
    const copy = canonical(member);
    return ['SS', 'NS', 'BS'].includes(name) && Array.isArray(copy) ? [name, [...copy].map((entry) => JSON.stringify(entry)).sort()] : [name, copy];
  });
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)));
}

const jsonOf = (item: DynamoDbItem): string => JSON.stringify(canonical(item));

function byKey(items: readonly DynamoDbItem[]): DynamoDbItem[] {
  return [...items].sort((a, b) => `${a.pk.S}|${a.sk.N?.padStart(8, '0')}`.localeCompare(`${b.pk.S}|${b.sk.N?.padStart(8, '0')}`));
}

async function rawGet(TableName: string, key: DynamoDbItem): Promise<DynamoDbItem | undefined> {
  return (await ddb.send(new GetItemCommand({ TableName, Key: key, ConsistentRead: true }))).Item;
}

/**
 * The raw table holds `plain` as ciphertext: every encrypted attribute is binary, no scalar of an
 * encrypted attribute appears anywhere in the stored item, keys and the sign-only / do-nothing
 * attributes are stored as they are, and decryptDynamoDbItem with the table's config gives `plain` back.
 */
async function expectStoredEncrypted(TableName: string, config: CryptoConfig, plain: DynamoDbItem): Promise<DynamoDbItem> {
  const raw = await rawGet(TableName, keyOf(plain));
  expect(raw).toBeDefined();
  const stored = raw as DynamoDbItem;
  const json = jsonOf(stored);
  for (const name of ENCRYPTED_ATTRIBUTES) {
    expect(Object.keys(stored[name])).toEqual(['B']);
    for (const leaf of leaves(plain[name])) expect(json).not.toContain(leaf);
  }
  for (const name of [...KEY_ATTRIBUTES, 'label', 'note']) expect(canonical(stored[name])).toEqual(canonical(plain[name]));
  expect(stored[SIG]?.B).toBeInstanceOf(Uint8Array);
  expect(stored[DESC]?.B).toBeInstanceOf(Uint8Array);
  expect(canonical(await decryptDynamoDbItem(stored, config))).toEqual(canonical(plain));
  return stored;
}

/** A DynamoDB client counting its commands by name (and DescribeTable by table). */
function countingClient(): { client: DynamoDBClient; commands: Map<string, number>; describedTables: string[] } {
  const client = localDynamoDbClient();
  dynamoDbClients.push(client);
  const commands = new Map<string, number>();
  const describedTables: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      commands.set(name, (commands.get(name) ?? 0) + 1);
      if (name === 'DescribeTableCommand') describedTables.push((args.input as { TableName: string }).TableName);
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return { client, commands, describedTables };
}

// ---------------------------------------------------------------------------------------------
// Providers

function wrappedProvider(): WrappedMaterialsProvider {
  const wrappingKey = LocalKey.generateAes(256);
  return new WrappedMaterialsProvider({ wrappingKey, unwrappingKey: wrappingKey, signingKey: LocalKey.generateHmac('HmacSHA256', 32) });
}

interface ProviderCase {
  readonly name: string;
  make(): Promise<CryptographicMaterialsProvider>;
}

const PROVIDERS: ProviderCase[] = [
  { name: 'WrappedMaterialsProvider (AESWrap + HmacSHA256)', make: async () => wrappedProvider() },
  {
    name: 'AwsKmsMaterialsProvider (a key in the local KMS)',
    make: async () => {
      const created = await kms.send(new CreateKeyCommand({ Description: 'encrypted-client tests' }));
      return new AwsKmsMaterialsProvider({ keyId: created.KeyMetadata?.Arn as string, kmsClient: kms });
    },
  },
  {
    name: 'MostRecentProvider over a MetaStore',
    make: async () => {
      const tableName = uniqueName('ec-metastore');
      createdTables.push(tableName);
      await MetaStore.createTable(ddb, tableName);
      const store = new MetaStore({ tableName, materialsProvider: freshStaticProvider(), dynamoDbClient: ddb });
      return new MostRecentProvider({ providerStore: store, materialName: 'orders', versionTtlMs: 60_000 });
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Every operation, with every provider

describe.each(PROVIDERS)('EncryptedClient with $name', ({ make }) => {
  let table: string;
  let client: EncryptedClient;
  let config: CryptoConfig;
  const stored = (plain: DynamoDbItem) => expectStoredEncrypted(table, config, plain);
  const put = (item: DynamoDbItem) => client.putItem({ TableName: table, Item: item });

  beforeAll(async () => {
    const [tableName, provider] = await Promise.all([createDataTable('ec-orders'), make()]);
    table = tableName;
    client = new EncryptedClient({ client: ddb, materialsProvider: provider, attributeActions: actions() });
    config = (await client.tableCrypto(table)).config;
  });

  it('keeps primary and GSI/LSI keys as signed plaintext although the actions say ENCRYPT_AND_SIGN', async () => {
    expect(actions().action('pk')).toBe(ENCRYPT_AND_SIGN);
    for (const name of KEY_ATTRIBUTES) expect(config.attributeActions.action(name)).toBe(SIGN_ONLY);
    expect(config.attributeActions.action('secret')).toBe(ENCRYPT_AND_SIGN);
    expect(config.attributeActions.action('note')).toBe(DO_NOTHING);
    expect(config.encryptionContext).toMatchObject({ tableName: table, partitionKeyName: 'pk', sortKeyName: 'sk' });

    const item = plainItem(uniqueName('keys'), 1);
    await put(item);
    const raw = await stored(item);
    // Signed: a changed index key no longer verifies. (Primary keys are also in the KMS
    // context, so with KMS the data key is refused before the signature is checked.)
    for (const name of ['gpk', 'kpk', 'ipk']) {
      await expect(decryptDynamoDbItem({ ...raw, [name]: { S: 'moved' } }, config)).rejects.toThrow(SignatureVerificationError);
    }
    for (const name of ['gsk', 'rank']) {
      await expect(decryptDynamoDbItem({ ...raw, [name]: { N: '999999' } }, config)).rejects.toThrow(SignatureVerificationError);
    }
    await expect(decryptDynamoDbItem({ ...raw, pk: { S: 'moved' } }, config)).rejects.toThrow(DynamoDbEncryptionError);
    await expect(decryptDynamoDbItem({ ...raw, sk: { N: '999999' } }, config)).rejects.toThrow(DynamoDbEncryptionError);
    // The unsigned DO_NOTHING attribute may change.
    await expect(decryptDynamoDbItem({ ...raw, note: { S: 'changed' } }, config)).resolves.toMatchObject({ note: { S: 'changed' } });
  });

  // DynamoDB stores "1.50" as "1.5": with Direct KMS, the key text is bound to the data key, so
  // the item must be encrypted under the text DynamoDB will return (FORMAT.md §9 item 9).
  it('reads back an item whose sort key number was written in another form than DynamoDB stores it', async () => {
    for (const [written, storedText] of [['1.50', '1.5'], ['1e-7', '0.0000001'], ['0100', '100']]) {
      const item: DynamoDbItem = { ...plainItem(uniqueName('number-key'), 1), sk: { N: written } };
      await put(item);
      const raw = await rawGet(table, keyOf(item));
      expect(raw?.sk).toEqual({ N: storedText });
      const read = await client.getItem({ TableName: table, Key: keyOf(item), ConsistentRead: true });
      expect(canonical(read.Item)).toEqual(canonical({ ...item, sk: { N: storedText } }));
      const queried = await client.query({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': item.pk }, ConsistentRead: true });
      expect(queried.Items?.map((found) => found.secret)).toEqual([item.secret]);
    }
  });

  it('putItem encrypts, returns ALL_OLD decrypted, and leaves the caller item unchanged', async () => {
    const first = plainItem(uniqueName('put'), 1);
    const firstCopy = canonical(first);
    const created = await client.putItem({ TableName: table, Item: first, ReturnValues: 'ALL_OLD' });
    expect(created.Attributes).toBeUndefined();
    expect(canonical(first)).toEqual(firstCopy);
    await stored(first);

    const second = { ...plainItem(first.pk.S as string, 1), pk: first.pk };
    const replaced = await client.putItem({ TableName: table, Item: second, ReturnValues: 'ALL_OLD' });
    expect(canonical(replaced.Attributes)).toEqual(firstCopy);
    await stored(second);
  });

  it('getItem decrypts, applies ProjectionExpression with #name placeholders and AttributesToGet, and misses cleanly', async () => {
    const item = plainItem(uniqueName('get'), 7);
    await put(item);
    const whole = await client.getItem({ TableName: table, Key: keyOf(item), ConsistentRead: true });
    expect(canonical(whole.Item)).toEqual(canonical(item));

    const projected = await client.getItem({
      TableName: table,
      Key: keyOf(item),
      ProjectionExpression: '#s, label, #c.holder, #amount',
      ExpressionAttributeNames: { '#s': 'secret', '#c': 'card', '#amount': 'amount' },
    });
    expect(Object.keys(projected.Item ?? {}).sort()).toEqual(['amount', 'card', 'label', 'secret']);
    expect(projected.Item?.secret).toEqual(item.secret);
    expect(projected.Item?.label).toEqual(item.label);
    expect(projected.Item?.amount).toEqual(item.amount);
    // Whole items are read and verified, then projected as DynamoDB would: `card.holder` keeps only that path.
    expect(projected.Item?.card).toEqual({ M: { holder: item.card.M?.holder } });

    const legacy = await client.getItem({ TableName: table, Key: keyOf(item), AttributesToGet: ['pk', 'tags'] });
    expect(canonical(legacy.Item)).toEqual(canonical({ pk: item.pk, tags: item.tags }));

    const missing = await client.getItem({ TableName: table, Key: { pk: { S: 'no-such-item' }, sk: { N: '0' } } });
    expect(missing.Item).toBeUndefined();
  });

  it('deleteItem returns ALL_OLD decrypted and removes the item; a condition on an encrypted attribute existing is allowed', async () => {
    const item = plainItem(uniqueName('delete'), 2);
    await put(item);
    await stored(item);
    const deleted = await client.deleteItem({
      TableName: table,
      Key: keyOf(item),
      ConditionExpression: 'attribute_exists(#s) AND label = :label',
      ExpressionAttributeNames: { '#s': 'secret' },
      ExpressionAttributeValues: { ':label': item.label },
      ReturnValues: 'ALL_OLD',
    });
    expect(canonical(deleted.Attributes)).toEqual(canonical(item));
    expect(await rawGet(table, keyOf(item))).toBeUndefined();
  });

  it('updateItem on a DO_NOTHING attribute returns ALL_NEW decrypted, and the item still decrypts after', async () => {
    const item = plainItem(uniqueName('update'), 3);
    await put(item);
    const updated = await client.updateItem({
      TableName: table,
      Key: keyOf(item),
      UpdateExpression: 'SET #n = :note',
      ConditionExpression: 'attribute_exists(secret) AND label = :label',
      ExpressionAttributeNames: { '#n': 'note' },
      ExpressionAttributeValues: { ':note': { S: 'updated note' }, ':label': item.label },
      ReturnValues: 'ALL_NEW',
    });
    const expected = { ...item, note: { S: 'updated note' } };
    expect(canonical(updated.Attributes)).toEqual(canonical(expected));
    await stored(expected);
    const read = await client.getItem({ TableName: table, Key: keyOf(item), ConsistentRead: true });
    expect(canonical(read.Item)).toEqual(canonical(expected));

    // UPDATED_NEW returns only the DO_NOTHING attribute, as stored; ALL_OLD the whole old item.
    const partial = await client.updateItem({
      TableName: table,
      Key: keyOf(item),
      UpdateExpression: 'SET note = :note',
      ExpressionAttributeValues: { ':note': { S: 'third note' } },
      ReturnValues: 'UPDATED_NEW',
    });
    expect(partial.Attributes).toEqual({ note: { S: 'third note' } });
    const old = await client.updateItem({ TableName: table, Key: keyOf(item), UpdateExpression: 'REMOVE note', ReturnValues: 'ALL_OLD' });
    expect(canonical(old.Attributes)).toEqual(canonical({ ...item, note: { S: 'third note' } }));
    const { note: _removed, ...withoutNote } = item;
    const afterRemove = await client.getItem({ TableName: table, Key: keyOf(item), ConsistentRead: true });
    expect(canonical(afterRemove.Item)).toEqual(canonical(withoutNote));
  });

  it('query and paginateQuery decrypt every page (table, GSI projecting ALL), each item once', async () => {
    const partition = uniqueName('query');
    const items = Array.from({ length: 7 }, (_, index) => plainItem(partition, index));
    await Promise.all(items.map(put));
    for (const item of items) await stored(item);

    const pages = [];
    for await (const page of client.paginateQuery({
      TableName: table,
      KeyConditionExpression: '#p = :p AND sk >= :zero',
      ExpressionAttributeNames: { '#p': 'pk' },
      ExpressionAttributeValues: { ':p': { S: partition }, ':zero': { N: '0' } },
      Limit: 2,
      ConsistentRead: true,
    })) {
      pages.push(page);
    }
    expect(pages.length).toBeGreaterThanOrEqual(4);
    const seen = pages.flatMap((page) => page.Items ?? []);
    expect(seen.map((item) => item.sk.N)).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    expect(canonical(seen)).toEqual(canonical(items));

    const viaIndex = [];
    for await (const page of client.paginateQuery({
      TableName: table,
      IndexName: GSI_ALL,
      KeyConditionExpression: 'gpk = :g',
      ExpressionAttributeValues: { ':g': { S: `group-${partition}` } },
      Limit: 3,
    })) {
      viaIndex.push(...(page.Items ?? []));
    }
    expect(canonical(byKey(viaIndex))).toEqual(canonical(items));

    // One page, filtered on a SIGN_ONLY attribute and projected: allowed.
    const filtered = await client.query({
      TableName: table,
      KeyConditionExpression: 'pk = :p',
      FilterExpression: 'label = :label',
      ProjectionExpression: '#s, sk',
      ExpressionAttributeNames: { '#s': 'secret' },
      ExpressionAttributeValues: { ':p': { S: partition }, ':label': items[4].label },
      Select: 'SPECIFIC_ATTRIBUTES',
    });
    expect(filtered.Items).toEqual([{ sk: items[4].sk, secret: items[4].secret }]);

    // The same query through the plain client sees only ciphertext.
    const raw = await ddb.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: partition } } }));
    expect(raw.Items).toHaveLength(7);
    for (const [index, rawItem] of (raw.Items ?? []).entries()) expect(jsonOf(rawItem)).not.toContain(items[index].secret.S);
  });

  it('scan and paginateScan decrypt every page; every stored item is seen exactly once', async () => {
    const prefix = uniqueName('scan');
    const items = Array.from({ length: 6 }, (_, index) => plainItem(`${prefix}-${index % 3}`, index));
    await Promise.all(items.map(put));

    const rawKeys: string[] = [];
    let start: DynamoDbItem | undefined;
    do {
      const page = await ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
      rawKeys.push(...(page.Items ?? []).map((item) => `${item.pk.S}|${item.sk.N}`));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);

    const pages = [];
    for await (const page of client.paginateScan({ TableName: table, Limit: 3, ConsistentRead: true })) pages.push(page);
    const seen = pages.flatMap((page) => page.Items ?? []);
    expect(pages.length).toBeGreaterThan(3);
    const seenKeys = seen.map((item) => `${item.pk.S}|${item.sk.N}`);
    expect(new Set(seenKeys).size).toBe(seenKeys.length);
    expect(seenKeys.sort()).toEqual(rawKeys.sort());
    const ours = byKey(seen.filter((item) => item.pk.S?.startsWith(prefix)));
    expect(canonical(ours)).toEqual(canonical(byKey(items)));

    // A filter on a key attribute, and an existence check on an encrypted one, are allowed.
    const filtered = [];
    for await (const page of client.paginateScan({
      TableName: table,
      FilterExpression: 'begins_with(pk, :prefix) AND attribute_exists(secret)',
      ExpressionAttributeValues: { ':prefix': { S: prefix } },
      Limit: 4,
    })) {
      filtered.push(...(page.Items ?? []));
    }
    expect(canonical(byKey(filtered))).toEqual(canonical(byKey(items)));
  });

  it('batchGetItem decrypts every response, with and without a projection', async () => {
    const items = Array.from({ length: 3 }, (_, index) => plainItem(uniqueName('batch-get'), index));
    await Promise.all(items.map(put));
    const missing = { pk: { S: 'no-such-item' }, sk: { N: '0' } };
    const whole = await client.batchGetItem({ RequestItems: { [table]: { Keys: [...items.map(keyOf), missing], ConsistentRead: true } } });
    expect(canonical(byKey(whole.Responses?.[table] ?? []))).toEqual(canonical(byKey(items)));
    expect(whole.UnprocessedKeys ?? {}).toEqual({});

    const projected = await client.batchGetItem({
      RequestItems: { [table]: { Keys: items.map(keyOf), ProjectionExpression: 'pk, sk, #s', ExpressionAttributeNames: { '#s': 'secret' } } },
    });
    expect(canonical(byKey(projected.Responses?.[table] ?? []))).toEqual(
      canonical(byKey(items.map((item) => ({ pk: item.pk, sk: item.sk, secret: item.secret })))),
    );
  });

  it('batchWriteItem encrypts puts and sends deletes', async () => {
    const doomed = Array.from({ length: 2 }, (_, index) => plainItem(uniqueName('batch-delete'), index));
    await Promise.all(doomed.map(put));
    const fresh = Array.from({ length: 3 }, (_, index) => plainItem(uniqueName('batch-put'), index));
    const output = await client.batchWriteItem({
      RequestItems: {
        [table]: [...fresh.map((Item) => ({ PutRequest: { Item } })), ...doomed.map((item) => ({ DeleteRequest: { Key: keyOf(item) } }))],
      },
    });
    expect(output.UnprocessedItems).toEqual({});
    for (const item of fresh) await stored(item);
    for (const item of doomed) expect(await rawGet(table, keyOf(item))).toBeUndefined();
  });

  it('transactWriteItems encrypts Put, allows Update of DO_NOTHING, ConditionCheck and Delete', async () => {
    const [updated, checked, doomed, fresh] = ['tx-update', 'tx-check', 'tx-delete', 'tx-put'].map((name) => plainItem(uniqueName(name), 1));
    await Promise.all([updated, checked, doomed].map(put));
    await client.transactWriteItems({
      TransactItems: [
        { Put: { TableName: table, Item: fresh, ConditionExpression: 'attribute_not_exists(pk)' } },
        {
          Update: {
            TableName: table,
            Key: keyOf(updated),
            UpdateExpression: 'SET note = :note',
            ConditionExpression: 'attribute_exists(secret)',
            ExpressionAttributeValues: { ':note': { S: 'noted in a transaction' } },
          },
        },
        {
          ConditionCheck: {
            TableName: table,
            Key: keyOf(checked),
            ConditionExpression: 'attribute_exists(#s) AND label = :label',
            ExpressionAttributeNames: { '#s': 'secret' },
            ExpressionAttributeValues: { ':label': checked.label },
          },
        },
        { Delete: { TableName: table, Key: keyOf(doomed), ConditionExpression: 'attribute_exists(card)' } },
      ],
    });
    await stored(fresh);
    await stored({ ...updated, note: { S: 'noted in a transaction' } });
    await stored(checked);
    expect(await rawGet(table, keyOf(doomed))).toBeUndefined();
    const read = await client.getItem({ TableName: table, Key: keyOf(updated), ConsistentRead: true });
    expect(read.Item?.note).toEqual({ S: 'noted in a transaction' });

    // A failing ConditionCheck cancels the encrypted Put with it.
    const never = plainItem(uniqueName('tx-never'), 1);
    await expect(
      client.transactWriteItems({
        TransactItems: [
          { Put: { TableName: table, Item: never } },
          { ConditionCheck: { TableName: table, Key: keyOf(checked), ConditionExpression: 'label = :other', ExpressionAttributeValues: { ':other': { S: 'other' } } } },
        ],
      }),
    ).rejects.toMatchObject({ name: 'TransactionCanceledException' });
    expect(await rawGet(table, keyOf(never))).toBeUndefined();
  });

  it('transactGetItems decrypts every item, with projections, and leaves a missing one undefined', async () => {
    const [first, second] = [plainItem(uniqueName('tx-get'), 1), plainItem(uniqueName('tx-get'), 2)];
    await Promise.all([first, second].map(put));
    const output = await client.transactGetItems({
      TransactItems: [
        { Get: { TableName: table, Key: keyOf(first) } },
        { Get: { TableName: table, Key: keyOf(second), ProjectionExpression: '#s, #c', ExpressionAttributeNames: { '#s': 'secret', '#c': 'card' } } },
        { Get: { TableName: table, Key: { pk: { S: 'no-such-item' }, sk: { N: '0' } } } },
      ],
    });
    expect(output.Responses).toHaveLength(3);
    expect(canonical(output.Responses?.[0].Item)).toEqual(canonical(first));
    expect(canonical(output.Responses?.[1].Item)).toEqual(canonical({ secret: second.secret, card: second.card }));
    expect(output.Responses?.[2].Item).toBeUndefined();
  });

  it('reads items written with encryptDynamoDbItem and a plain PutItem (get, query, batchGet, transactGet)', async () => {
    const item = plainItem(uniqueName('raw-written'), 5);
    await ddb.send(new PutItemCommand({ TableName: table, Item: await encryptDynamoDbItem(item, config) }));
    await stored(item);
    expect(canonical((await client.getItem({ TableName: table, Key: keyOf(item) })).Item)).toEqual(canonical(item));
    const queried = await client.query({ TableName: table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': item.pk } });
    expect(canonical(queried.Items)).toEqual(canonical([item]));
    const batch = await client.batchGetItem({ RequestItems: { [table]: { Keys: [keyOf(item)] } } });
    expect(canonical(batch.Responses?.[table])).toEqual(canonical([item]));
    const transact = await client.transactGetItems({ TransactItems: [{ Get: { TableName: table, Key: keyOf(item) } }] });
    expect(canonical(transact.Responses?.[0].Item)).toEqual(canonical(item));
  });
});

// ---------------------------------------------------------------------------------------------
// Refusals

describe('EncryptedClient refuses what cannot work on encrypted items, saying what to do', () => {
  let table: string;
  let client: EncryptedClient;
  let sent: Map<string, number>;
  let item: DynamoDbItem;
  const key = () => keyOf(item);

  beforeAll(async () => {
    table = await createDataTable('ec-refusals');
    const counting = countingClient();
    sent = counting.commands;
    client = new EncryptedClient({ client: counting.client, materialsProvider: wrappedProvider(), attributeActions: actions() });
    item = plainItem(uniqueName('refusal'), 1);
    await client.putItem({ TableName: table, Item: item });
  });

  /** Runs `request`, expects an UnsupportedOperationError naming `attribute` and the table, and no request sent. */
  async function expectRefused(request: () => Promise<unknown>, attribute: string | undefined, advice: RegExp): Promise<void> {
    const before = [...sent.entries()].filter(([name]) => name !== 'DescribeTableCommand').reduce((sum, [, count]) => sum + count, 0);
    const failure = request();
    await expect(failure).rejects.toThrow(UnsupportedOperationError);
    await expect(failure).rejects.toThrow(advice);
    await expect(failure).rejects.toThrow(`table "${table}"`);
    if (attribute !== undefined) {
      await expect(failure).rejects.toThrow(`attribute "${attribute}"`);
      await expect(failure).rejects.toMatchObject({ attributeName: attribute, tableName: table });
    }
    const after = [...sent.entries()].filter(([name]) => name !== 'DescribeTableCommand').reduce((sum, [, count]) => sum + count, 0);
    expect(after).toBe(before);
  }

  const FILTER_ADVICE = /filter after decrypting instead, or make the attribute SIGN_ONLY/;
  const UPDATE_ADVICE = /read the item, change it and write it back with PutItem, or make the attribute DO_NOTHING/;

  it('a FilterExpression on an encrypted attribute (query and scan, direct or via #name)', async () => {
    await expectRefused(
      () =>
        client.query({
          TableName: table,
          KeyConditionExpression: 'pk = :p',
          FilterExpression: 'secret = :s',
          ExpressionAttributeValues: { ':p': item.pk, ':s': item.secret },
        }),
      'secret',
      FILTER_ADVICE,
    );
    await expectRefused(
      () =>
        client.scan({
          TableName: table,
          FilterExpression: 'label = :l OR begins_with(#c.holder, :h)',
          ExpressionAttributeNames: { '#c': 'card' },
          ExpressionAttributeValues: { ':l': item.label, ':h': { S: 'holder' } },
        }),
      'card',
      /FilterExpression compares an encrypted attribute/,
    );
    await expectRefused(
      () => client.scan({ TableName: table, ScanFilter: { amount: { ComparisonOperator: 'GT', AttributeValueList: [{ N: '1' }] } } }),
      'amount',
      FILTER_ADVICE,
    );
  });

  it('a ConditionExpression on an encrypted attribute (put, delete, update, transactions)', async () => {
    const condition = { ConditionExpression: 'size(tags) > :n', ExpressionAttributeValues: { ':n': { N: '1' } } };
    await expectRefused(() => client.putItem({ TableName: table, Item: item, ...condition }), 'tags', /ConditionExpression compares/);
    await expectRefused(() => client.deleteItem({ TableName: table, Key: key(), ...condition }), 'tags', FILTER_ADVICE);
    await expectRefused(
      () =>
        client.updateItem({
          TableName: table,
          Key: key(),
          UpdateExpression: 'SET note = :note',
          ConditionExpression: 'amount > :n',
          ExpressionAttributeValues: { ':note': { S: 'x' }, ':n': { N: '1' } },
        }),
      'amount',
      FILTER_ADVICE,
    );
    await expectRefused(() => client.putItem({ TableName: table, Item: item, Expected: { secret: { Exists: true, Value: item.secret } } }), 'secret', FILTER_ADVICE);
    await expectRefused(
      () => client.transactWriteItems({ TransactItems: [{ ConditionCheck: { TableName: table, Key: key(), ...condition } }] }),
      'tags',
      FILTER_ADVICE,
    );
    await expectRefused(
      () => client.transactWriteItems({ TransactItems: [{ Delete: { TableName: table, Key: key(), ConditionExpression: 'flag = :t', ExpressionAttributeValues: { ':t': { BOOL: true } } } }] }),
      'flag',
      FILTER_ADVICE,
    );
  });

  it('a KeyConditionExpression on an encrypted attribute', async () => {
    await expectRefused(
      () =>
        client.query({
          TableName: table,
          KeyConditionExpression: 'pk = :p AND #s = :s',
          ExpressionAttributeNames: { '#s': 'secret' },
          ExpressionAttributeValues: { ':p': item.pk, ':s': item.secret },
        }),
      'secret',
      /KeyConditionExpression compares an encrypted attribute/,
    );
    await expectRefused(
      () => client.query({ TableName: table, KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [item.pk] }, secret: { ComparisonOperator: 'EQ', AttributeValueList: [item.secret] } } }),
      'secret',
      FILTER_ADVICE,
    );
  });

  it('updateItem of a SIGN_ONLY or ENCRYPT_AND_SIGN attribute, or copying an encrypted value', async () => {
    const values = { ':v': { S: 'new' } };
    await expectRefused(() => client.updateItem({ TableName: table, Key: key(), UpdateExpression: 'SET secret = :v', ExpressionAttributeValues: values }), 'secret', UPDATE_ADVICE);
    await expectRefused(
      () => client.updateItem({ TableName: table, Key: key(), UpdateExpression: 'SET #l = :v', ExpressionAttributeNames: { '#l': 'label' }, ExpressionAttributeValues: values }),
      'label',
      /UpdateItem would change a signed attribute without re-signing the item/,
    );
    await expectRefused(() => client.updateItem({ TableName: table, Key: key(), UpdateExpression: 'SET note = :v REMOVE card.holder', ExpressionAttributeValues: values }), 'card', UPDATE_ADVICE);
    await expectRefused(() => client.updateItem({ TableName: table, Key: key(), UpdateExpression: 'ADD amount :n', ExpressionAttributeValues: { ':n': { N: '1' } } }), 'amount', UPDATE_ADVICE);
    await expectRefused(() => client.updateItem({ TableName: table, Key: key(), UpdateExpression: 'SET gpk = :v', ExpressionAttributeValues: values }), 'gpk', UPDATE_ADVICE);
    await expectRefused(() => client.updateItem({ TableName: table, Key: key(), AttributeUpdates: { label: { Action: 'PUT', Value: { S: 'x' } } } }), 'label', UPDATE_ADVICE);
    // Copying ciphertext into a DO_NOTHING attribute is refused as a read of an encrypted attribute.
    await expectRefused(
      () => client.updateItem({ TableName: table, Key: key(), UpdateExpression: 'SET note = secret' }),
      'secret',
      /UpdateExpression reads an encrypted attribute.*compute the new value and pass it in ExpressionAttributeValues/,
    );
    await expect(client.updateItem({ TableName: table, Key: key(), UpdateExpression: 'SET note = secret' })).rejects.not.toThrow(FILTER_ADVICE);
    const read = await client.getItem({ TableName: table, Key: key(), ConsistentRead: true });
    expect(canonical(read.Item)).toEqual(canonical(item));
  });

  it('a transactWriteItems Update of a signed attribute (and nothing of the transaction is written)', async () => {
    const fresh = plainItem(uniqueName('tx-refused'), 1);
    await expectRefused(
      () =>
        client.transactWriteItems({
          TransactItems: [
            { Put: { TableName: table, Item: fresh } },
            { Update: { TableName: table, Key: key(), UpdateExpression: 'SET label = :v', ExpressionAttributeValues: { ':v': { S: 'x' } } } },
          ],
        }),
      'label',
      UPDATE_ADVICE,
    );
    await expectRefused(
      () => client.transactWriteItems({ TransactItems: [{ Update: { TableName: table, Key: key(), UpdateExpression: 'REMOVE secret' } }] }),
      'secret',
      UPDATE_ADVICE,
    );
    expect(await rawGet(table, keyOf(fresh))).toBeUndefined();
  });

  it('a query or scan of a GSI that does not project ALL (KEYS_ONLY / INCLUDE not covering the signature), with advice that can be followed', async () => {
    const keysOnly = () => client.query({ TableName: table, IndexName: GSI_KEYS_ONLY, KeyConditionExpression: 'kpk = :k', ExpressionAttributeValues: { ':k': item.kpk } });
    const GSI_ADVICE = /project ALL into the index, or read the keys from the index with the plain DynamoDB client and then get the items through this helper/;
    await expectRefused(keysOnly, undefined, GSI_ADVICE);
    await expectRefused(keysOnly, undefined, new RegExp(`index "${GSI_KEYS_ONLY}" projects KEYS_ONLY`));
    await expectRefused(
      () => client.query({ TableName: table, IndexName: GSI_INCLUDE, KeyConditionExpression: 'ipk = :i', ExpressionAttributeValues: { ':i': item.ipk } }),
      undefined,
      /projects INCLUDE, and it cannot be known to include .*project ALL into the index/,
    );
    await expectRefused(() => client.scan({ TableName: table, IndexName: GSI_KEYS_ONLY }), undefined, GSI_ADVICE);
    // The advice, followed: keys from the index with the plain client, items through the helper.
    const raw = await ddb.send(new QueryCommand({ TableName: table, IndexName: GSI_KEYS_ONLY, KeyConditionExpression: 'kpk = :k', ExpressionAttributeValues: { ':k': item.kpk } }));
    expect(raw.Items).toEqual([{ kpk: item.kpk, pk: item.pk, sk: item.sk }]);
    const fetched = await client.batchGetItem({ RequestItems: { [table]: { Keys: (raw.Items ?? []).map(keyOf) } } });
    expect(canonical(fetched.Responses?.[table])).toEqual(canonical([item]));
  });

  it('allows attribute_exists / attribute_not_exists of an encrypted attribute, and DynamoDB evaluates them', async () => {
    const replacement = { ...plainItem(item.pk.S as string, 1), pk: item.pk };
    await expect(
      client.putItem({ TableName: table, Item: replacement, ConditionExpression: 'attribute_not_exists(secret)' }),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    await client.putItem({
      TableName: table,
      Item: replacement,
      ConditionExpression: 'attribute_exists(#s) AND attribute_exists(card) AND NOT attribute_exists(#absent)',
      ExpressionAttributeNames: { '#s': 'secret', '#absent': 'absent' },
    });
    await expectStoredEncrypted(table, (await client.tableCrypto(table)).config, replacement);
    const scanned = await client.scan({
      TableName: table,
      FilterExpression: 'attribute_exists(tags) AND pk = :p',
      ExpressionAttributeValues: { ':p': item.pk },
      ConsistentRead: true,
    });
    expect(canonical(scanned.Items)).toEqual(canonical([replacement]));
    item = replacement;
  });
});

// ---------------------------------------------------------------------------------------------
// Table indexes: explicit TableInfo, or DescribeTable once per table

describe('EncryptedClient table indexes', () => {
  let tableA: string;
  let tableB: string;
  const provider = wrappedProvider();

  beforeAll(async () => {
    [tableA, tableB] = await Promise.all([createDataTable('ec-info-a'), createDataTable('ec-info-b')]);
  });

  it('with explicit TableInfos and autoRefreshTableIndexes off, never calls DescribeTable', async () => {
    const { client: counted, commands } = countingClient();
    const client = new EncryptedClient({
      client: counted,
      materialsProvider: provider,
      attributeActions: actions(),
      tableInfos: [explicitTableInfo(tableA)],
      autoRefreshTableIndexes: false,
    });
    const items = Array.from({ length: 4 }, (_, index) => plainItem(uniqueName('explicit'), index, 'explicit'));
    await client.putItem({ TableName: tableA, Item: items[0] });
    await client.batchWriteItem({ RequestItems: { [tableA]: [{ PutRequest: { Item: items[1] } }] } });
    await client.transactWriteItems({ TransactItems: [{ Put: { TableName: tableA, Item: items[2] } }] });
    await client.updateItem({ TableName: tableA, Key: keyOf(items[0]), UpdateExpression: 'SET note = :n', ExpressionAttributeValues: { ':n': { S: 'n' } } });
    await client.putItem({ TableName: tableA, Item: items[3] });
    await client.deleteItem({ TableName: tableA, Key: keyOf(items[3]) });
    expect((await client.getItem({ TableName: tableA, Key: keyOf(items[1]) })).Item).toBeDefined();
    const viaIndex = await client.query({ TableName: tableA, IndexName: GSI_ALL, KeyConditionExpression: 'gpk = :g', ExpressionAttributeValues: { ':g': { S: 'group-explicit' } } });
    expect(viaIndex.Items).toHaveLength(3);
    expect((await client.scan({ TableName: tableA })).Items?.length).toBeGreaterThanOrEqual(3);
    await client.batchGetItem({ RequestItems: { [tableA]: { Keys: items.slice(0, 3).map(keyOf) } } });
    await client.transactGetItems({ TransactItems: [{ Get: { TableName: tableA, Key: keyOf(items[2]) } }] });
    await expect(client.query({ TableName: tableA, IndexName: GSI_KEYS_ONLY, KeyConditionExpression: 'kpk = :k', ExpressionAttributeValues: { ':k': items[0].kpk } })).rejects.toThrow(/project ALL/);
    expect(commands.get('DescribeTableCommand') ?? 0).toBe(0);
    expect(commands.get('PutItemCommand')).toBe(2);

    // A table it was not told about is refused, without asking DynamoDB.
    const unknown = client.getItem({ TableName: tableB, Key: keyOf(items[0]) });
    await expect(unknown).rejects.toThrow(InvalidArgumentError);
    await expect(unknown).rejects.toThrow(/not in tableInfos and autoRefreshTableIndexes is off.*table "/);
    expect(commands.get('DescribeTableCommand') ?? 0).toBe(0);

    // What it wrote, a client that learned the table with DescribeTable reads, and the other way round.
    const auto = new EncryptedClient({ client: ddb, materialsProvider: provider, attributeActions: actions() });
    const learned = (await auto.tableCrypto(tableA)).tableInfo;
    expect([...learned.protectedIndexKeys].sort()).toEqual([...explicitTableInfo(tableA).protectedIndexKeys].sort());
    const [first] = (await auto.batchGetItem({ RequestItems: { [tableA]: { Keys: [keyOf(items[1])] } } })).Responses?.[tableA] ?? [];
    expect(canonical(first)).toEqual(canonical(items[1]));
    const autoWritten = plainItem(uniqueName('auto-written'), 1);
    await auto.putItem({ TableName: tableA, Item: autoWritten });
    expect(canonical((await client.getItem({ TableName: tableA, Key: keyOf(autoWritten) })).Item)).toEqual(canonical(autoWritten));
  });

  it('learns each table with exactly one DescribeTable, even under concurrent first use', async () => {
    const { client: counted, describedTables, commands } = countingClient();
    const client = new EncryptedClient({ client: counted, materialsProvider: provider, attributeActions: actions() });
    const items = Array.from({ length: 8 }, (_, index) => plainItem(uniqueName('concurrent'), index));
    await Promise.all([
      ...items.map((item) => client.putItem({ TableName: tableB, Item: item })),
      ...items.map((item) => client.getItem({ TableName: tableA, Key: keyOf(item) })),
      client.query({ TableName: tableA, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'nobody' } } }),
      client.scan({ TableName: tableB, Limit: 1 }),
      client.tableCrypto(tableA),
      client.tableCrypto(tableB),
      client.transactGetItems({ TransactItems: items.slice(0, 4).map((item) => ({ Get: { TableName: tableA, Key: keyOf(item) } })) }),
      client.batchWriteItem({ RequestItems: { [tableA]: items.slice(0, 3).map((Item) => ({ PutRequest: { Item } })) } }),
    ]);
    expect([...describedTables].sort()).toEqual([tableA, tableB].sort());
    await client.getItem({ TableName: tableA, Key: keyOf(items[0]) });
    await client.putItem({ TableName: tableB, Item: plainItem(uniqueName('later'), 1) });
    expect(commands.get('DescribeTableCommand')).toBe(2);
    // The learned indexes protect GSI and LSI keys, and know which indexes project ALL.
    const info = (await client.tableCrypto(tableB)).tableInfo;
    expect([...info.protectedIndexKeys].sort()).toEqual(['gpk', 'gsk', 'ipk', 'kpk', 'pk', 'rank', 'sk']);
    expect(info.secondaryIndex(GSI_INCLUDE)).toMatchObject({ projectionType: 'INCLUDE', nonKeyAttributes: ['label', 'note'] });
    for (const item of items) await expectStoredEncrypted(tableB, (await client.tableCrypto(tableB)).config, item);
  });
});

// ---------------------------------------------------------------------------------------------
// Edge cases found while testing, and how they are handled.

describe('EncryptedClient: edge cases', () => {
  let table: string;
  beforeAll(async () => {
    table = await createSimpleTable('ec-bugs');
  });

  // A deliberate difference (README, compatibility table): the helpers sign every index key
  // whatever the actions say, where the Python helpers leave a key DO_NOTHING under a DO_NOTHING
  // default. Such an item is refused by the helpers and still readable with the reference actions.
  it('refuses an item whose keys are unsigned (DO_NOTHING default, as the Python helpers write it); the item encryptor reads it', async () => {
    const provider = wrappedProvider();
    const doNothingDefault = () => new AttributeActions({ defaultAction: DO_NOTHING, attributeActions: { secret: ENCRYPT_AND_SIGN } });
    const referenceStyle: CryptoConfig = {
      materialsProvider: provider,
      encryptionContext: { tableName: table, partitionKeyName: 'pk', sortKeyName: 'sk' },
      attributeActions: doNothingDefault().setIndexKeys('pk', 'sk'),
    };
    expect(referenceStyle.attributeActions.action('pk')).toBe(DO_NOTHING);
    const item: DynamoDbItem = { pk: { S: uniqueName('do-nothing-keys') }, sk: { N: '1' }, secret: { S: 'secret value' } };
    const stored = await encryptDynamoDbItem(item, referenceStyle);
    await ddb.send(new PutItemCommand({ TableName: table, Item: stored }));
    const client = new EncryptedClient({ client: ddb, materialsProvider: provider, attributeActions: doNothingDefault() });
    await expect(client.getItem({ TableName: table, Key: keyOf(item) })).rejects.toThrow(SignatureVerificationError);
    await expect(decryptDynamoDbItem(stored, referenceStyle)).resolves.toEqual(item);
  });

  // An encrypted attribute is one binary value: `card.holder` never exists in DynamoDB's eyes, so
  // only top-level existence checks are allowed on encrypted attributes.
  it('refuses attribute_exists / attribute_not_exists of a nested path inside an encrypted attribute', async () => {
    const client = new EncryptedClient({ client: ddb, materialsProvider: wrappedProvider(), attributeActions: actions() });
    const item: DynamoDbItem = { pk: { S: uniqueName('nested-exists') }, sk: { N: '1' }, card: { M: { holder: { S: 'holder name' } } } };
    await client.putItem({ TableName: table, Item: item });
    await expect(client.putItem({ TableName: table, Item: item, ConditionExpression: 'attribute_exists(card.holder)' })).rejects.toThrow(
      UnsupportedOperationError,
    );
  });

  // An UpdateItem upsert would create an item without signature or description, which no read
  // could verify: the helper makes updates conditional on the item existing.
  it('updateItem of a DO_NOTHING attribute does not create an unreadable item when the key does not exist', async () => {
    const client = new EncryptedClient({ client: ddb, materialsProvider: wrappedProvider(), attributeActions: actions() });
    const key = { pk: { S: uniqueName('upsert') }, sk: { N: '1' } };
    await expect(
      client.updateItem({ TableName: table, Key: key, UpdateExpression: 'SET note = :n', ExpressionAttributeValues: { ':n': { S: 'n' } } }),
    ).rejects.toThrow(/conditional request failed/i);
    expect(await rawGet(table, key)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Items DynamoDB returns inside a failed condition (ReturnValuesOnConditionCheckFailure)

describe('EncryptedClient: the item returned with a failed condition is verified and decrypted', () => {
  let table: string;
  let other: string;
  let client: EncryptedClient;
  let config: CryptoConfig;

  beforeAll(async () => {
    [table, other] = await Promise.all([createDataTable('ec-ccf'), createDataTable('ec-ccf-other')]);
    client = new EncryptedClient({ client: ddb, materialsProvider: wrappedProvider(), attributeActions: actions() });
    config = (await client.tableCrypto(table)).config;
  });

  /** The error a request fails with. */
  async function failure(request: Promise<unknown>): Promise<Record<string, unknown> & Error> {
    const error = await request.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(Error);
    return error as Record<string, unknown> & Error;
  }

  /** Stores `item` with one signed attribute changed after signing: it no longer verifies. */
  async function putTampered(item: DynamoDbItem): Promise<void> {
    const stored = await encryptDynamoDbItem(item, config);
    await ddb.send(new PutItemCommand({ TableName: table, Item: { ...stored, label: { S: 'changed after signing' } } }));
  }

  it('putItem, deleteItem and updateItem: the same ConditionalCheckFailedException, holding the plaintext item', async () => {
    const item = plainItem(uniqueName('ccf'), 1);
    await client.putItem({ TableName: table, Item: item });
    const failures = [
      await failure(client.putItem({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })),
      await failure(
        client.deleteItem({
          TableName: table,
          Key: keyOf(item),
          ConditionExpression: 'label = :other',
          ExpressionAttributeValues: { ':other': { S: 'other' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
      await failure(
        client.updateItem({
          TableName: table,
          Key: keyOf(item),
          UpdateExpression: 'SET note = :n',
          ConditionExpression: 'attribute_not_exists(secret)',
          ExpressionAttributeValues: { ':n': { S: 'n' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    ];
    for (const error of failures) {
      expect(error).toBeInstanceOf(ConditionalCheckFailedException);
      expect(error.name).toBe('ConditionalCheckFailedException');
      expect(canonical(error.Item)).toEqual(canonical(item));
    }
    // Nothing changed, and the stored item still verifies.
    await expectStoredEncrypted(table, config, item);
  });

  it('transactWriteItems: each cancellation reason holds its plaintext item, decrypted with the table of its own transaction item', async () => {
    const [checked, doomed, fresh] = [plainItem(uniqueName('tx-ccf'), 1), plainItem(uniqueName('tx-ccf'), 2), plainItem(uniqueName('tx-ccf'), 3)];
    await client.putItem({ TableName: table, Item: checked });
    await client.putItem({ TableName: other, Item: doomed });
    const error = await failure(
      client.transactWriteItems({
        TransactItems: [
          { Put: { TableName: other, Item: fresh, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
          {
            ConditionCheck: {
              TableName: table,
              Key: keyOf(checked),
              ConditionExpression: 'label = :other',
              ExpressionAttributeValues: { ':other': { S: 'other' } },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          { Delete: { TableName: other, Key: keyOf(doomed), ConditionExpression: 'attribute_not_exists(secret)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
        ],
      }),
    );
    expect(error).toBeInstanceOf(TransactionCanceledException);
    const reasons = (error as unknown as TransactionCanceledException).CancellationReasons ?? [];
    expect(reasons.map((reason) => reason.Code)).toEqual(['None', 'ConditionalCheckFailed', 'ConditionalCheckFailed']);
    expect(reasons[0].Item).toBeUndefined();
    expect(canonical(reasons[1].Item)).toEqual(canonical(checked));
    expect(canonical(reasons[2].Item)).toEqual(canonical(doomed));
    expect(await rawGet(other, keyOf(fresh))).toBeUndefined();
  });

  it('an item that does not verify is not handed out: SignatureVerificationError, the DynamoDB error (without the item) as its cause', async () => {
    const item = plainItem(uniqueName('ccf-tampered'), 1);
    await putTampered(item);
    const error = await failure(
      client.putItem({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
    );
    expect(error).toBeInstanceOf(SignatureVerificationError);
    expect(error.message).toMatch(/failed condition \(ReturnValuesOnConditionCheckFailure\) does not verify/);
    expect(error.message).toContain(`table "${table}"`);
    expect(error.Item).toBeUndefined();
    expect(error.cause).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error.cause as ConditionalCheckFailedException).Item).toBeUndefined();

    const transaction = await failure(
      client.transactWriteItems({
        TransactItems: [{ ConditionCheck: { TableName: table, Key: keyOf(item), ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } }],
      }),
    );
    expect(transaction).toBeInstanceOf(SignatureVerificationError);
    const cause = transaction.cause as TransactionCanceledException;
    expect(cause).toBeInstanceOf(TransactionCanceledException);
    expect(cause.CancellationReasons?.[0].Code).toBe('ConditionalCheckFailed');
    expect(cause.CancellationReasons?.[0].Item).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// UpdateItem with the legacy AttributeUpdates / Expected parameters

describe('EncryptedClient: legacy UpdateItem parameters get the existence check in their own form', () => {
  let table: string;
  let client: EncryptedClient;
  let config: CryptoConfig;

  beforeAll(async () => {
    table = await createDataTable('ec-legacy-update');
    client = new EncryptedClient({ client: ddb, materialsProvider: wrappedProvider(), attributeActions: actions() });
    config = (await client.tableCrypto(table)).config;
  });

  it('AttributeUpdates on a DO_NOTHING attribute updates the item, which still verifies', async () => {
    const item = plainItem(uniqueName('attribute-updates'), 1);
    await client.putItem({ TableName: table, Item: item });
    const output = await client.updateItem({ TableName: table, Key: keyOf(item), AttributeUpdates: { note: { Action: 'PUT', Value: { S: 'legacy note' } } }, ReturnValues: 'ALL_NEW' });
    expect(canonical(output.Attributes)).toEqual(canonical({ ...item, note: { S: 'legacy note' } }));
    await expectStoredEncrypted(table, config, { ...item, note: { S: 'legacy note' } });
    await client.updateItem({ TableName: table, Key: keyOf(item), AttributeUpdates: { note: { Action: 'DELETE' } } });
    const { note: _removed, ...withoutNote } = item;
    expect(canonical((await client.getItem({ TableName: table, Key: keyOf(item), ConsistentRead: true })).Item)).toEqual(canonical(withoutNote));
  });

  it('AttributeUpdates, alone or with Expected, never creates an item for a missing key', async () => {
    const key = { pk: { S: uniqueName('legacy-upsert') }, sk: { N: '1' } };
    const note = { note: { Action: 'PUT' as const, Value: { S: 'n' } } };
    await expect(client.updateItem({ TableName: table, Key: key, AttributeUpdates: note })).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    // `label` NULL holds for a missing item: the existence check is added beside it, not replaced by it.
    await expect(
      client.updateItem({ TableName: table, Key: key, AttributeUpdates: note, Expected: { label: { ComparisonOperator: 'NULL' } } }),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(await rawGet(table, key)).toBeUndefined();
  });

  it("keeps the caller's Expected entries, and their own partition key entry when it implies the item exists", async () => {
    const item = plainItem(uniqueName('legacy-expected'), 1);
    await client.putItem({ TableName: table, Item: item });
    const update = (Expected: NonNullable<Parameters<EncryptedClient['updateItem']>[0]['Expected']>, value: string) =>
      client.updateItem({ TableName: table, Key: keyOf(item), AttributeUpdates: { note: { Action: 'PUT', Value: { S: value } } }, Expected });
    await update({ label: { Value: item.label } }, 'label matched');
    await expect(update({ label: { Value: { S: 'other' } } }, 'never')).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    await update({ pk: { ComparisonOperator: 'EQ', AttributeValueList: [item.pk] } }, 'pk matched');
    await expect(update({ pk: { ComparisonOperator: 'EQ', AttributeValueList: [{ S: 'other' }] } }, 'never')).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    // An existence check on an encrypted attribute is allowed in Expected too.
    await update({ secret: { ComparisonOperator: 'NOT_NULL' }, pk: { Value: item.pk } }, 'secret exists');
    await expectStoredEncrypted(table, config, { ...item, note: { S: 'secret exists' } });
  });

  it('refuses a partition key entry that cannot hold with the check, or OR-ed entries', async () => {
    const item = plainItem(uniqueName('legacy-refused'), 1);
    await client.putItem({ TableName: table, Item: item });
    const note = { note: { Action: 'PUT' as const, Value: { S: 'n' } } };
    const absent = client.updateItem({ TableName: table, Key: keyOf(item), AttributeUpdates: note, Expected: { pk: { Exists: false } } });
    await expect(absent).rejects.toThrow(UnsupportedOperationError);
    await expect(absent).rejects.toThrow(/create items with PutItem.*attribute "pk"/);
    const notEqual = client.updateItem({ TableName: table, Key: keyOf(item), AttributeUpdates: note, Expected: { pk: { ComparisonOperator: 'NE', AttributeValueList: [{ S: 'x' }] } } });
    await expect(notEqual).rejects.toThrow(/use UpdateExpression and ConditionExpression instead/);
    const alternatives = client.updateItem({
      TableName: table,
      Key: keyOf(item),
      AttributeUpdates: note,
      Expected: { label: { ComparisonOperator: 'NULL' }, note: { ComparisonOperator: 'NOT_NULL' } },
      ConditionalOperator: 'OR',
    });
    await expect(alternatives).rejects.toThrow(/ConditionalOperator OR cannot also require the item to exist/);
  });
});

// ---------------------------------------------------------------------------------------------
// Legacy existence checks on encrypted attributes

describe('EncryptedClient: legacy existence checks on encrypted attributes are allowed, and DynamoDB evaluates them', () => {
  let table: string;
  let client: EncryptedClient;

  beforeAll(async () => {
    table = await createDataTable('ec-legacy-exists');
    client = new EncryptedClient({ client: ddb, materialsProvider: wrappedProvider(), attributeActions: actions() });
  });

  it('Expected NULL / NOT_NULL / Exists, ScanFilter and QueryFilter NOT_NULL / NULL', async () => {
    const item = plainItem(uniqueName('legacy-exists'), 1);
    await client.putItem({ TableName: table, Item: item });
    await expect(client.putItem({ TableName: table, Item: item, Expected: { secret: { Exists: false } } })).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    await expect(client.putItem({ TableName: table, Item: item, Expected: { card: { ComparisonOperator: 'NULL' } } })).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
    });
    await client.putItem({ TableName: table, Item: item, Expected: { secret: { ComparisonOperator: 'NOT_NULL' }, absent: { Exists: false } } });
    await client.deleteItem({ TableName: table, Key: keyOf(item), Expected: { tags: { ComparisonOperator: 'NOT_NULL' } } });
    expect(await rawGet(table, keyOf(item))).toBeUndefined();

    const kept = plainItem(uniqueName('legacy-filter'), 1);
    const { amount: _amount, ...withoutAmount } = plainItem(kept.pk.S as string, 2);
    await Promise.all([kept, withoutAmount].map((Item) => client.putItem({ TableName: table, Item })));
    const scanned = await client.scan({
      TableName: table,
      ScanFilter: { amount: { ComparisonOperator: 'NOT_NULL' }, pk: { ComparisonOperator: 'EQ', AttributeValueList: [kept.pk] } },
      ConsistentRead: true,
    });
    expect(canonical(scanned.Items)).toEqual(canonical([kept]));
    const queried = await client.query({
      TableName: table,
      KeyConditions: { pk: { ComparisonOperator: 'EQ', AttributeValueList: [kept.pk] } },
      QueryFilter: { amount: { ComparisonOperator: 'NULL' } },
      ConsistentRead: true,
    });
    expect(canonical(queried.Items)).toEqual(canonical([withoutAmount]));
    // A comparison is still refused.
    await expect(client.scan({ TableName: table, ScanFilter: { amount: { ComparisonOperator: 'EQ', AttributeValueList: [kept.amount] } } })).rejects.toThrow(
      UnsupportedOperationError,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The reserved attributes are the encryptor's alone

describe('EncryptedClient: UpdateItem never writes the signature or the material description', () => {
  let table: string;

  beforeAll(async () => {
    table = await createDataTable('ec-reserved-update');
  });

  it.each([
    ['a DO_NOTHING default', () => new AttributeActions({ defaultAction: DO_NOTHING, attributeActions: { secret: ENCRYPT_AND_SIGN } })],
    ['an ENCRYPT_AND_SIGN default', actions],
  ])('refuses SET / REMOVE / ADD / DELETE and AttributeUpdates of them under %s, and the item still verifies', async (_name, makeActions) => {
    const client = new EncryptedClient({ client: ddb, materialsProvider: wrappedProvider(), attributeActions: makeActions() });
    const item = plainItem(uniqueName('reserved'), 1);
    await client.putItem({ TableName: table, Item: item });
    const names = { '#sig': SIG, '#desc': DESC };
    const requests: Array<[string, () => Promise<unknown>]> = [
      [SIG, () => client.updateItem({ TableName: table, Key: keyOf(item), UpdateExpression: 'REMOVE #sig', ExpressionAttributeNames: names })],
      [DESC, () => client.updateItem({ TableName: table, Key: keyOf(item), UpdateExpression: 'SET note = :n, #desc = :n', ExpressionAttributeNames: names, ExpressionAttributeValues: { ':n': { B: new Uint8Array([1]) } } })],
      [SIG, () => client.updateItem({ TableName: table, Key: keyOf(item), UpdateExpression: 'ADD #sig :s', ExpressionAttributeNames: { '#sig': SIG }, ExpressionAttributeValues: { ':s': { NS: ['1'] } } })],
      [DESC, () => client.updateItem({ TableName: table, Key: keyOf(item), UpdateExpression: 'DELETE #desc :s', ExpressionAttributeNames: { '#desc': DESC }, ExpressionAttributeValues: { ':s': { SS: ['x'] } } })],
      [SIG, () => client.updateItem({ TableName: table, Key: keyOf(item), AttributeUpdates: { [SIG]: { Action: 'DELETE' } } })],
      [DESC, () => client.transactWriteItems({ TransactItems: [{ Update: { TableName: table, Key: keyOf(item), UpdateExpression: 'REMOVE #desc', ExpressionAttributeNames: { '#desc': DESC } } }] })],
    ];
    for (const [attribute, request] of requests) {
      const refused = request();
      await expect(refused).rejects.toThrow(UnsupportedOperationError);
      await expect(refused).rejects.toMatchObject({ attributeName: attribute, tableName: table });
      await expect(refused).rejects.toThrow(/only the encryptor writes.*write the whole item with PutItem/);
    }
    expect(canonical((await client.getItem({ TableName: table, Key: keyOf(item), ConsistentRead: true })).Item)).toEqual(canonical(item));
  });
});

// ---------------------------------------------------------------------------------------------
// TransactWriteItems retried with the same ClientRequestToken

describe('EncryptedClient: a transaction retried with its ClientRequestToken sends the same ciphertext', () => {
  let table: string;
  let client: EncryptedClient;
  let provider: WrappedMaterialsProvider;

  beforeAll(async () => {
    table = await createDataTable('ec-idempotent');
    provider = wrappedProvider();
    client = new EncryptedClient({ client: ddb, materialsProvider: provider, attributeActions: actions() });
  });

  it('the retry succeeds (no IdempotentParameterMismatchException), and encrypts nothing again', async () => {
    const item = plainItem(uniqueName('tx-retry'), 1);
    const other = plainItem(uniqueName('tx-retry'), 2);
    const input = {
      ClientRequestToken: uniqueName('token'),
      TransactItems: [{ Put: { TableName: table, Item: item } }, { Put: { TableName: table, Item: other } }],
    };
    const encryptions = jest.spyOn(provider, 'encryptionMaterials');
    try {
      await client.transactWriteItems(input);
      const stored = await rawGet(table, keyOf(item));
      // A caller retrying after a timeout: same token, same objects (here in a new request object).
      await client.transactWriteItems({ ...input, TransactItems: [...input.TransactItems] });
      expect(encryptions).toHaveBeenCalledTimes(2);
      expect(canonical(await rawGet(table, keyOf(item)))).toEqual(canonical(stored));
    } finally {
      encryptions.mockRestore();
    }
    // Another token is another request: encrypted afresh (DynamoDB writes it again).
    const next = await client.transactWriteItems({ ...input, ClientRequestToken: uniqueName('token') });
    expect(next).toBeDefined();
    expect(canonical((await client.getItem({ TableName: table, Key: keyOf(other), ConsistentRead: true })).Item)).toEqual(canonical(other));
  });

  it('an item object changed since is encrypted afresh, never sent with its old content', async () => {
    const item = plainItem(uniqueName('tx-changed'), 1);
    const token = uniqueName('token');
    await client.transactWriteItems({ ClientRequestToken: token, TransactItems: [{ Put: { TableName: table, Item: item } }] });
    item.note = { S: 'changed after the first attempt' };
    // DynamoDB sees a different request under the same token, as it would without encryption.
    await expect(client.transactWriteItems({ ClientRequestToken: token, TransactItems: [{ Put: { TableName: table, Item: item } }] })).rejects.toMatchObject({
      name: 'IdempotentParameterMismatchException',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Index reads: LSIs fetch whole items, COUNT anywhere, INCLUDE when it covers the signature

describe('EncryptedClient: reads of indexes that do not project ALL', () => {
  let table: string;
  let client: EncryptedClient;
  const partition = uniqueName('lsi');
  const items = [1, 2, 3].map((sk) => plainItem(partition, sk));

  beforeAll(async () => {
    table = await createDataTable('ec-index-reads');
    client = new EncryptedClient({ client: ddb, materialsProvider: wrappedProvider(), attributeActions: actions() });
    await Promise.all(items.map((Item) => client.putItem({ TableName: table, Item })));
  });

  const lsiQuery = { KeyConditionExpression: 'pk = :p AND #r >= :r', ExpressionAttributeNames: { '#r': 'rank' }, ExpressionAttributeValues: { ':p': { S: partition }, ':r': { N: '1002' } } };

  it('a KEYS_ONLY LSI returns what the index projects, verified from whole items (learned and explicit TableInfo)', async () => {
    const explicit = new EncryptedClient({ client: ddb, materialsProvider: client.materialsProvider, attributeActions: actions(), tableInfos: [explicitTableInfo(table)] });
    for (const reader of [client, explicit]) {
      const output = await reader.query({ TableName: table, IndexName: LSI_KEYS_ONLY, ...lsiQuery });
      expect(canonical(output.Items)).toEqual(canonical(items.slice(1).map((item) => ({ pk: item.pk, sk: item.sk, rank: item.rank }))));
    }
    const whole = await client.query({ TableName: table, IndexName: LSI_KEYS_ONLY, Select: 'ALL_ATTRIBUTES', ...lsiQuery });
    expect(canonical(whole.Items)).toEqual(canonical(items.slice(1)));
    const projected = await client.query({
      TableName: table,
      IndexName: LSI_KEYS_ONLY,
      ...lsiQuery,
      ProjectionExpression: '#s, #r',
      ExpressionAttributeNames: { ...lsiQuery.ExpressionAttributeNames, '#s': 'secret' },
      Select: 'SPECIFIC_ATTRIBUTES',
    });
    expect(canonical(projected.Items)).toEqual(canonical(items.slice(1).map((item) => ({ secret: item.secret, rank: item.rank }))));
    const scanned = await client.scan({ TableName: table, IndexName: LSI_KEYS_ONLY, Select: 'ALL_ATTRIBUTES' });
    expect(canonical(byKey(scanned.Items ?? []))).toEqual(canonical(items));
  });

  it('Select COUNT works on any index', async () => {
    const keysOnly = await client.query({ TableName: table, IndexName: GSI_KEYS_ONLY, Select: 'COUNT', KeyConditionExpression: 'kpk = :k', ExpressionAttributeValues: { ':k': items[0].kpk } });
    expect(keysOnly.Count).toBe(1);
    expect(keysOnly.Items).toBeUndefined();
    const include = await client.scan({ TableName: table, IndexName: GSI_INCLUDE, Select: 'COUNT' });
    expect(include.Count).toBe(3);
    const lsi = await client.query({ TableName: table, IndexName: LSI_KEYS_ONLY, Select: 'COUNT', ...lsiQuery });
    expect(lsi.Count).toBe(2);
  });

  it('a GSI projecting INCLUDE is read when it includes the signature, the description and every signed attribute', async () => {
    const TableName = uniqueName('ec-include');
    createdTables.push(TableName);
    await createPkSkTable(ddb, TableName, {
      AttributeDefinitions: [
        { AttributeName: 'ipk', AttributeType: 'S' },
        { AttributeName: 'jpk', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [
        { IndexName: 'covered', KeySchema: [{ AttributeName: 'ipk', KeyType: 'HASH' }], Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [SIG, DESC, 'secret', 'jpk'] } },
        { IndexName: 'uncovered', KeySchema: [{ AttributeName: 'jpk', KeyType: 'HASH' }], Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [SIG, DESC, 'ipk'] } },
      ],
    });
    // Only `secret` (and the keys) are signed: the signed attributes are known.
    const doNothingDefault = new AttributeActions({ defaultAction: DO_NOTHING, attributeActions: { secret: ENCRYPT_AND_SIGN } });
    const reader = new EncryptedClient({ client: ddb, materialsProvider: wrappedProvider(), attributeActions: doNothingDefault });
    const item: DynamoDbItem = { pk: { S: uniqueName('include') }, sk: { N: '1' }, ipk: { S: 'i' }, jpk: { S: 'j' }, secret: { S: 'include secret' }, other: { S: 'not projected' } };
    await reader.putItem({ TableName, Item: item });
    const covered = await reader.query({ TableName, IndexName: 'covered', KeyConditionExpression: 'ipk = :i', ExpressionAttributeValues: { ':i': item.ipk } });
    const { other: _other, ...projected } = item;
    expect(canonical(covered.Items)).toEqual(canonical([projected]));
    const uncovered = reader.query({ TableName, IndexName: 'uncovered', KeyConditionExpression: 'jpk = :j', ExpressionAttributeValues: { ':j': item.jpk } });
    await expect(uncovered).rejects.toThrow(UnsupportedOperationError);
    await expect(uncovered).rejects.toThrow(/projects INCLUDE without secret, which verifying its items needs.*project ALL/);
    await expect(uncovered).rejects.toMatchObject({ attributeName: 'secret', tableName: TableName });
  });
});
