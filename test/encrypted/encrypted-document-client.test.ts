/**
 * EncryptedDocumentClient against DynamoDB Local: every operation takes and returns native
 * values, stores ciphertext, interoperates with the item encryptor, and surfaces the
 * EncryptedClient's refusals as typed errors.
 */
import {
  ConditionalCheckFailedException,
  DeleteTableCommand,
  PutItemCommand,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { LocalKey } from '../../src/crypto/local-key';
import { EncryptedDocumentClient } from '../../src/encrypted/encrypted-document-client';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import type { CryptoConfig } from '../../src/encryptor/crypto-config';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { SerializationError, UnsupportedOperationError } from '../../src/errors';
import { ReservedAttributes } from '../../src/format/material-description-keys';
import { WrappedMaterialsProvider } from '../../src/providers/wrapped-provider';
import { createTagKindTable, rawItemOf, tagKindTableConfig } from '../support/tag-kind-table';
import { localDynamoDbClient, uniqueName } from '../support/local-aws';

const client = localDynamoDbClient();
const documentClient = DynamoDBDocumentClient.from(client);
const wrappingKey = LocalKey.generateAes(256);
const materialsProvider = new WrappedMaterialsProvider({ wrappingKey, unwrappingKey: wrappingKey, signingKey: LocalKey.generateHmac('HmacSHA256', 32) });
const overrides = { leave_me: CryptoAction.DO_NOTHING, visits: CryptoAction.DO_NOTHING };
const attributeActions = new AttributeActions({ defaultAction: CryptoAction.ENCRYPT_AND_SIGN, attributeActions: overrides });
let tableName: string;
let encrypted: EncryptedDocumentClient;

/** Every plaintext value worth hiding contains this, so one search of the raw item finds any leak. */
const SENTINEL = 'sentinel';

/** Native values of every kind DynamoDB stores. `tag` and `kind` are GSI keys. */
function sampleItem(pk: string, sk: number): Record<string, unknown> {
  return {
    pk,
    sk,
    tag: 'blue',
    kind: 'widget',
    secret: `secret-${SENTINEL}-${pk}-${sk}`,
    amount: 12.5,
    flag: true,
    off: false,
    nothing: null,
    list: [1, `list-${SENTINEL}`, false, null, { inner: `nested-${SENTINEL}` }],
    map: { a: 1, b: ['x', `map-${SENTINEL}`], c: { d: new Uint8Array([1, 2, 3]) } },
    strings: new Set([`set-${SENTINEL}-1`, `set-${SENTINEL}-2`]),
    numbers: new Set([1, 2.5, 3]),
    blob: new Uint8Array([9, 8, 7]),
    blobs: new Set([new Uint8Array([1]), new Uint8Array([2, 3])]),
    leave_me: 'alone',
    visits: 0,
  };
}

function tableConfig(): CryptoConfig {
  return tagKindTableConfig(tableName, materialsProvider, overrides);
}

const rawItem = (pk: string, sk: number) => rawItemOf(client, tableName, pk, sk);

/** The error `request` fails with (the test fails if it succeeds). */
async function caught(request: Promise<unknown>): Promise<Error> {
  return request.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (error: unknown) => error as Error,
  );
}

beforeAll(async () => {
  tableName = uniqueName('encrypted-document-client');
  await createTagKindTable(client, tableName);
  encrypted = new EncryptedDocumentClient({ documentClient, materialsProvider, attributeActions });
});

afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  client.destroy();
});

describe('EncryptedDocumentClient', () => {
  it('put and get round-trip native values, and DynamoDB holds only ciphertext', async () => {
    const item = sampleItem('round-trip', 1);
    await encrypted.put({ TableName: tableName, Item: item });
    const { Item } = await encrypted.get({ TableName: tableName, Key: { pk: 'round-trip', sk: 1 } });
    expect(Item).toEqual(item);

    const raw = await rawItem('round-trip', 1);
    expect(JSON.stringify(raw)).not.toContain(SENTINEL);
    for (const name of ['secret', 'amount', 'flag', 'nothing', 'list', 'map', 'strings', 'numbers', 'blob', 'blobs']) {
      expect(Object.keys(raw?.[name] ?? {})).toEqual(['B']);
    }
    expect(raw?.pk).toEqual({ S: 'round-trip' });
    expect(raw?.sk).toEqual({ N: '1' });
    // GSI keys stay readable for DynamoDB (signed, not encrypted) although the default encrypts.
    expect(raw?.tag).toEqual({ S: 'blue' });
    expect(raw?.kind).toEqual({ S: 'widget' });
    expect(raw?.leave_me).toEqual({ S: 'alone' });
    expect(raw?.[ReservedAttributes.SIGNATURE]?.B).toBeDefined();
    expect(raw?.[ReservedAttributes.MATERIAL_DESCRIPTION]?.B).toBeDefined();
  });

  it('writes items decryptDynamoDbItem opens, and reads items encryptDynamoDbItem wrote', async () => {
    const written = sampleItem('interop', 1);
    await encrypted.put({ TableName: tableName, Item: written });
    await expect(decryptDynamoDbItem((await rawItem('interop', 1))!, tableConfig())).resolves.toEqual(marshall(written));

    const foreign = sampleItem('interop', 2);
    await client.send(new PutItemCommand({ TableName: tableName, Item: await encryptDynamoDbItem(marshall(foreign), tableConfig()) }));
    expect((await encrypted.get({ TableName: tableName, Key: { pk: 'interop', sk: 2 } })).Item).toEqual(foreign);
  });

  it('returns decrypted old and new items from put, update and delete', async () => {
    const item = sampleItem('returns', 1);
    await encrypted.put({ TableName: tableName, Item: item });
    const replaced = await encrypted.put({ TableName: tableName, Item: { ...item, amount: 7 }, ReturnValues: 'ALL_OLD' });
    expect(replaced.Attributes).toEqual(item);

    const updated = await encrypted.update({
      TableName: tableName,
      Key: { pk: 'returns', sk: 1 },
      UpdateExpression: 'SET leave_me = :text ADD visits :one',
      ConditionExpression: 'attribute_exists(secret)',
      ExpressionAttributeValues: { ':text': 'changed', ':one': 1 },
      ReturnValues: 'ALL_NEW',
    });
    expect(updated.Attributes).toEqual({ ...item, amount: 7, leave_me: 'changed', visits: 1 });
    // The update touched DO_NOTHING attributes only: the item still verifies.
    await expect(decryptDynamoDbItem((await rawItem('returns', 1))!, tableConfig())).resolves.toMatchObject({ visits: { N: '1' } });

    const deleted = await encrypted.delete({ TableName: tableName, Key: { pk: 'returns', sk: 1 }, ReturnValues: 'ALL_OLD' });
    expect(deleted.Attributes).toEqual({ ...item, amount: 7, leave_me: 'changed', visits: 1 });
    await expect(encrypted.get({ TableName: tableName, Key: { pk: 'returns', sk: 1 } })).resolves.toMatchObject({ Item: undefined });
  });

  it('refuses to update signed attributes and to filter on encrypted ones, naming the attribute', async () => {
    await encrypted.put({ TableName: tableName, Item: sampleItem('refused', 1) });
    const update = encrypted.update({
      TableName: tableName,
      Key: { pk: 'refused', sk: 1 },
      UpdateExpression: 'SET #s = :value',
      ExpressionAttributeNames: { '#s': 'secret' },
      ExpressionAttributeValues: { ':value': `new-${SENTINEL}` },
    });
    await expect(update).rejects.toThrow(UnsupportedOperationError);
    await expect(update).rejects.toThrow(/attribute "secret"/);
    await expect(update).rejects.not.toThrow(SENTINEL);
    await expect(
      encrypted.update({ TableName: tableName, Key: { pk: 'refused', sk: 1 }, UpdateExpression: 'SET tag = :t', ExpressionAttributeValues: { ':t': 'red' } }),
    ).rejects.toThrow(UnsupportedOperationError);

    const filter = encrypted.query({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: 'secret = :value',
      ExpressionAttributeValues: { ':pk': 'refused', ':value': `x-${SENTINEL}` },
    });
    await expect(filter).rejects.toThrow(UnsupportedOperationError);
    await expect(filter).rejects.not.toThrow(SENTINEL);
    await expect(encrypted.scan({ TableName: tableName, ScanFilter: { amount: { ComparisonOperator: 'GT', AttributeValueList: [1] } } })).rejects.toThrow(
      UnsupportedOperationError,
    );
    // The item is unchanged and still verifies.
    expect((await encrypted.get({ TableName: tableName, Key: { pk: 'refused', sk: 1 } })).Item).toEqual(sampleItem('refused', 1));
  });

  it('queries, scans and paginates with native keys, filters on plaintext attributes and projections', async () => {
    const items = Array.from({ length: 30 }, (_, index): Record<string, unknown> => ({ ...sampleItem('listing', index), leave_me: index % 2 === 0 ? 'even' : 'odd' }));
    await encrypted.batchWriteAll({ [tableName]: items.map((Item) => ({ PutRequest: { Item } })) });

    const pages = [];
    for await (const page of encrypted.paginateQuery({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND sk >= :from',
      ExpressionAttributeValues: { ':pk': 'listing', ':from': 0 },
      Limit: 7,
    })) {
      pages.push(page);
    }
    expect(pages.length).toBeGreaterThan(4);
    expect(pages[0].LastEvaluatedKey).toEqual({ pk: 'listing', sk: 6 });
    expect(pages.flatMap((page) => page.Items)).toEqual(items);

    const odd = await encrypted.query({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: 'leave_me = :odd',
      ProjectionExpression: '#s, map, sk',
      ExpressionAttributeNames: { '#s': 'secret' },
      ExpressionAttributeValues: { ':pk': 'listing', ':odd': 'odd' },
    });
    expect(odd.Items).toHaveLength(15);
    expect(odd.Items?.[0]).toEqual({ sk: 1, secret: items[1].secret, map: items[1].map });

    const scanned = [];
    for await (const page of encrypted.paginateScan({ TableName: tableName, Limit: 10, FilterExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'listing' } })) {
      scanned.push(...(page.Items ?? []));
    }
    expect(scanned).toHaveLength(30);
    expect(new Set(scanned.map((item) => item.secret))).toEqual(new Set(items.map((item) => item.secret)));
  });

  it('queries a GSI that projects ALL, and refuses one that projects keys only', async () => {
    const item = { ...sampleItem('gsi', 1), tag: 'gsi-tag', kind: 'gsi-kind' };
    await encrypted.put({ TableName: tableName, Item: item });
    const byTag = await encrypted.query({ TableName: tableName, IndexName: 'by_tag', KeyConditionExpression: 'tag = :tag', ExpressionAttributeValues: { ':tag': 'gsi-tag' } });
    expect(byTag.Items).toEqual([item]);
    await expect((await rawItem('gsi', 1))?.tag).toEqual({ S: 'gsi-tag' });

    const byKind = encrypted.query({ TableName: tableName, IndexName: 'by_kind', KeyConditionExpression: 'kind = :kind', ExpressionAttributeValues: { ':kind': 'gsi-kind' } });
    await expect(byKind).rejects.toThrow(UnsupportedOperationError);
    await expect(byKind).rejects.toThrow(/project ALL/);
  });

  it('batchWrite and batchGet round-trip native items, keys and projections', async () => {
    const items = [sampleItem('batch', 1), sampleItem('batch', 2), sampleItem('batch', 3)];
    await encrypted.put({ TableName: tableName, Item: sampleItem('batch', 4) });
    const written = await encrypted.batchWrite({
      RequestItems: { [tableName]: [...items.map((Item) => ({ PutRequest: { Item } })), { DeleteRequest: { Key: { pk: 'batch', sk: 4 } } }] },
    });
    expect(written.UnprocessedItems).toEqual({});

    const read = await encrypted.batchGet({
      RequestItems: { [tableName]: { Keys: [1, 2, 3, 4].map((sk) => ({ pk: 'batch', sk })), ConsistentRead: true } },
    });
    expect(read.UnprocessedKeys).toEqual({});
    expect(read.Responses?.[tableName]?.sort((a, b) => a.sk - b.sk)).toEqual(items);

    const projected = await encrypted.batchGet({
      RequestItems: { [tableName]: { Keys: [{ pk: 'batch', sk: 2 }], ProjectionExpression: 'blobs, numbers' } },
    });
    expect(projected.Responses?.[tableName]).toEqual([{ blobs: items[1].blobs, numbers: items[1].numbers }]);
  });

  it('batchWrite reuses the ciphertext of an item sent again unchanged, and encrypts a changed one afresh', async () => {
    const encryptions = jest.spyOn(materialsProvider, 'encryptionMaterials');
    try {
      const item = sampleItem('resend', 1);
      const send = () => encrypted.batchWrite({ RequestItems: { [tableName]: [{ PutRequest: { Item: item } }] } });
      await send();
      await send();
      expect(encryptions).toHaveBeenCalledTimes(1);
      // The same object, changed (a loop reusing one object): the change must be written.
      item.sk = 2;
      item.secret = 'changed';
      await send();
      expect(encryptions).toHaveBeenCalledTimes(2);
      expect((await encrypted.get({ TableName: tableName, Key: { pk: 'resend', sk: 2 } })).Item).toEqual(item);
    } finally {
      encryptions.mockRestore();
    }
  });

  it('transactWrite encrypts its Put items and transactGet decrypts and projects', async () => {
    await encrypted.put({ TableName: tableName, Item: sampleItem('transact', 1) });
    await encrypted.put({ TableName: tableName, Item: sampleItem('transact', 2) });
    const fresh = sampleItem('transact', 3);
    await encrypted.transactWrite({
      TransactItems: [
        { Put: { TableName: tableName, Item: fresh, ConditionExpression: 'attribute_not_exists(pk)' } },
        { Update: { TableName: tableName, Key: { pk: 'transact', sk: 1 }, UpdateExpression: 'SET visits = :n', ExpressionAttributeValues: { ':n': 5 } } },
        { Delete: { TableName: tableName, Key: { pk: 'transact', sk: 2 } } },
      ],
    });
    const stored = await rawItem('transact', 3);
    expect(stored?.secret?.B).toBeDefined();
    expect(JSON.stringify(stored)).not.toContain(SENTINEL);

    const { Responses } = await encrypted.transactGet({
      TransactItems: [
        { Get: { TableName: tableName, Key: { pk: 'transact', sk: 1 } } },
        { Get: { TableName: tableName, Key: { pk: 'transact', sk: 2 } } },
        { Get: { TableName: tableName, Key: { pk: 'transact', sk: 3 }, ProjectionExpression: 'secret, nothing' } },
      ],
    });
    expect(Responses?.map((response) => response.Item)).toEqual([
      { ...sampleItem('transact', 1), visits: 5 },
      undefined,
      { secret: fresh.secret, nothing: null },
    ]);

    const signedUpdate = encrypted.transactWrite({
      TransactItems: [{ Update: { TableName: tableName, Key: { pk: 'transact', sk: 1 }, UpdateExpression: 'SET amount = :n', ExpressionAttributeValues: { ':n': 1 } } }],
    });
    await expect(signedUpdate).rejects.toThrow(UnsupportedOperationError);
  });

  it('a failed condition with ReturnValuesOnConditionCheckFailure ALL_OLD carries the item in native values, verified', async () => {
    const item = sampleItem('condition-failed', 1);
    await encrypted.put({ TableName: tableName, Item: item });
    const failure = async (request: Promise<unknown>) => request.then(() => undefined, (error: unknown) => error as Record<string, unknown>);
    const put = await failure(encrypted.put({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
    expect(put).toBeInstanceOf(ConditionalCheckFailedException);
    expect(put?.Item).toEqual(item);
    const update = await failure(
      encrypted.update({
        TableName: tableName,
        Key: { pk: 'condition-failed', sk: 1 },
        UpdateExpression: 'SET leave_me = :v',
        ConditionExpression: 'leave_me = :other',
        ExpressionAttributeValues: { ':v': 'v', ':other': 'other' },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    expect(update?.name).toBe('ConditionalCheckFailedException');
    expect(update?.Item).toEqual(item);
    const transaction = await failure(
      encrypted.transactWrite({
        TransactItems: [
          { Put: { TableName: tableName, Item: sampleItem('condition-failed', 2) } },
          { Delete: { TableName: tableName, Key: { pk: 'condition-failed', sk: 1 }, ConditionExpression: 'attribute_not_exists(secret)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
        ],
      }),
    );
    expect(transaction).toBeInstanceOf(TransactionCanceledException);
    const reasons = (transaction as unknown as TransactionCanceledException).CancellationReasons;
    expect(reasons?.map((reason) => reason.Item)).toEqual([undefined, item]);
    expect(JSON.stringify(reasons)).not.toContain(ReservedAttributes.SIGNATURE);
  });

  it('refuses a stored number JavaScript cannot hold, and a condition value it cannot marshall, naming attribute and table but never the value', async () => {
    // 22 significant digits in an encrypted attribute, as another client may write them.
    const digits = '123456789012345678901.5';
    const stored = await encryptDynamoDbItem({ ...marshall({ pk: 'big-number', sk: 1, tag: 'blue', kind: 'widget' }), secret: { N: digits } }, tableConfig());
    await client.send(new PutItemCommand({ TableName: tableName, Item: stored }));
    const refusals = [
      await caught(encrypted.get({ TableName: tableName, Key: { pk: 'big-number', sk: 1 } })),
      await caught(encrypted.query({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'big-number' } })),
      await caught(encrypted.transactGet({ TransactItems: [{ Get: { TableName: tableName, Key: { pk: 'big-number', sk: 1 } } }] })),
    ];
    for (const error of refusals) {
      expect(error).toBeInstanceOf(SerializationError);
      expect(error.message).toContain('attribute "secret"');
      expect(error.message).toContain(`table "${tableName}"`);
      expect(error.message).toContain('wrapNumbers');
      expect(error.message).not.toContain('1234567890');
      expect(error.cause).toBeUndefined();
    }
    // A failed condition stays the condition failure callers catch by name; the old item, which
    // cannot be converted, is left out of it.
    const conditionFailed = await caught(
      encrypted.put({ TableName: tableName, Item: sampleItem('big-number', 1), ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
    );
    expect(conditionFailed).toBeInstanceOf(ConditionalCheckFailedException);
    expect((conditionFailed as ConditionalCheckFailedException).Item).toBeUndefined();
    // A legacy condition value beyond Number.MAX_SAFE_INTEGER: marshall would quote it.
    const condition = await caught(
      encrypted.update({
        TableName: tableName,
        Key: { pk: 'big-number', sk: 1 },
        AttributeUpdates: { visits: { Action: 'ADD', Value: 1 } },
        Expected: { visits: { Value: 9007199254740993 } },
      }),
    );
    expect(condition).toBeInstanceOf(SerializationError);
    expect(condition.message).toContain('attribute "visits"');
    expect(condition.message).toContain(`table "${tableName}"`);
    expect(condition.message).not.toContain('900719925474099');
  });

  it('update with the legacy AttributeUpdates on a DO_NOTHING attribute', async () => {
    const item = sampleItem('attribute-updates', 1);
    await encrypted.put({ TableName: tableName, Item: item });
    const { Attributes } = await encrypted.update({
      TableName: tableName,
      Key: { pk: 'attribute-updates', sk: 1 },
      AttributeUpdates: { visits: { Action: 'ADD', Value: 2 }, leave_me: { Action: 'PUT', Value: 'legacy' } },
      Expected: { leave_me: { Value: 'alone' } },
      ReturnValues: 'ALL_NEW',
    });
    expect(Attributes).toEqual({ ...item, visits: 2, leave_me: 'legacy' });
    await expect(
      encrypted.update({ TableName: tableName, Key: { pk: 'attribute-updates', sk: 2 }, AttributeUpdates: { visits: { Action: 'ADD', Value: 1 } } }),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(await rawItem('attribute-updates', 2)).toBeUndefined();
  });

  it('transactWrite retried with the same ClientRequestToken and the same items is accepted', async () => {
    const items = [sampleItem('transact-retry', 1), sampleItem('transact-retry', 2)];
    const input = { ClientRequestToken: uniqueName('token'), TransactItems: items.map((Item) => ({ Put: { TableName: tableName, Item } })) };
    await encrypted.transactWrite(input);
    const stored = await rawItem('transact-retry', 1);
    await encrypted.transactWrite(input);
    expect(await rawItem('transact-retry', 1)).toEqual(stored);
    expect((await encrypted.get({ TableName: tableName, Key: { pk: 'transact-retry', sk: 2 } })).Item).toEqual(items[1]);
  });

  it('marshals with the document client translateConfig', async () => {
    const translated = DynamoDBDocumentClient.from(localDynamoDbClient(), {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
      unmarshallOptions: { wrapNumbers: true },
    });
    try {
      const withOptions = new EncryptedDocumentClient({ documentClient: translated, materialsProvider, attributeActions });
      class Point {
        constructor(
          readonly x: number,
          readonly y: number,
        ) {}
      }
      await withOptions.put({ TableName: tableName, Item: { pk: 'translate', sk: 1, point: new Point(1, 2), gone: undefined, map: { gone: undefined, big: 12345678901234567890n } } });
      const { Item } = await withOptions.get({ TableName: tableName, Key: { pk: 'translate', sk: 1 } });
      expect(Object.keys(Item ?? {}).sort()).toEqual(['map', 'pk', 'point', 'sk']);
      expect(String(Item?.map.big)).toBe('12345678901234567890');
      expect(String(Item?.point.x)).toBe('1');
    } finally {
      translated.destroy();
    }
  });
});
