/**
 * IngestWriter against DynamoDB Local (static materials: the crypto is not what is tested here):
 * valid items land encrypted and decrypt through EncryptedClient; every kind of bad item is a
 * per-item failure that names the item and attribute and never a value; create-only never
 * overwrites; unprocessed items are retried as the same ciphertext; a chunk DynamoDB refuses
 * as a whole only fails its bad item.
 */
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type BatchWriteItemCommandOutput,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { EncryptedClient } from '../../src/encrypted/encrypted-client';
import { TableInfo } from '../../src/encrypted/table-info';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import { InvalidArgumentError } from '../../src/errors';
import { ReservedAttributes } from '../../src/format/material-description-keys';
import type { IngestFailure } from '../../src/pipeline/ingest-failure';
import { IngestWriter, type IngestWriterOptions } from '../../src/pipeline/ingest-writer';
import type { CryptographicMaterialsProvider } from '../../src/providers/cryptographic-materials-provider';
import { freshStaticProvider } from '../support/fresh-static-provider';
import { localDynamoDbClient, uniqueName } from '../support/local-aws';

const SECRET = 'SECRET-CARD-4111111111111111';
const ddb = localDynamoDbClient();
const provider = freshStaticProvider();
const actions = new AttributeActions({ defaultAction: CryptoAction.ENCRYPT_AND_SIGN, attributeActions: { note: CryptoAction.DO_NOTHING } });
const createdTables: string[] = [];

let table: string;
let binaryTable: string;

async function createTable(input: Omit<CreateTableCommandInput, 'TableName' | 'BillingMode'>): Promise<string> {
  const TableName = uniqueName('ingest');
  createdTables.push(TableName);
  await ddb.send(new CreateTableCommand({ TableName, BillingMode: 'PAY_PER_REQUEST', ...input }));
  return TableName;
}

beforeAll(async () => {
  [table, binaryTable] = await Promise.all([
    createTable({
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
        { AttributeName: 'gpk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [{ IndexName: 'by-group', KeySchema: [{ AttributeName: 'gpk', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
    }),
    createTable({ AttributeDefinitions: [{ AttributeName: 'bk', AttributeType: 'B' }], KeySchema: [{ AttributeName: 'bk', KeyType: 'HASH' }] }),
  ]);
});

afterAll(async () => {
  await Promise.all(createdTables.map((TableName) => ddb.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
  ddb.destroy();
});

function encryptedClient(client: DynamoDBClient = ddb, materialsProvider: CryptographicMaterialsProvider = provider): EncryptedClient {
  return new EncryptedClient({ client, materialsProvider, attributeActions: actions });
}

function writerFor(options: Partial<IngestWriterOptions> = {}): IngestWriter {
  return new IngestWriter({ encryptedClient: encryptedClient(), tableName: table, ...options });
}

async function rawItem(pk: string, sk: number) {
  return (await ddb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: pk }, sk: { N: String(sk) } } }))).Item;
}

async function decrypted(pk: string, sk: number) {
  const { Item } = await encryptedClient().getItem({ TableName: table, Key: { pk: { S: pk }, sk: { N: String(sk) } } });
  return Item === undefined ? undefined : unmarshall(Item);
}

function prefix(run: string): (n: number) => string {
  return (n) => `${run}-${n}`;
}

describe('IngestWriter', () => {
  it('learns the key types from the DescribeTable the encrypted client already makes: one call, not two', async () => {
    const client = localDynamoDbClient();
    const described: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'DescribeTableCommand') described.push(context.commandName);
        return next(args);
      },
      { step: 'initialize', name: 'countDescribeTable' },
    );
    const writer = new IngestWriter({ encryptedClient: encryptedClient(client), tableName: table });
    const key = prefix(uniqueName('describe-once'));
    await expect(writer.write([{ pk: key(1), sk: 1, card: SECRET }])).resolves.toMatchObject({ written: 1, failures: [] });
    await expect(writer.write([{ pk: key(2), sk: 'not a number' }])).resolves.toMatchObject({ written: 0, failures: [{ index: 0, code: 'invalid' }] });
    expect(described).toHaveLength(1);
    client.destroy();
  });

  it('writes valid items encrypted and reports every bad one by position and attribute, never by value', async () => {
    const key = prefix(uniqueName('mixed'));
    const items: unknown[] = [
      { pk: key(0), sk: 0, card: SECRET, nested: { list: [1, 'x', true, null], flag: false } },
      SECRET,
      { sk: 2, card: SECRET },
      { pk: 4111111111111111 - 1, sk: 3, card: SECRET },
      { pk: key(4), sk: '4', card: SECRET },
      { pk: key(5), sk: 5, [ReservedAttributes.SIGNATURE]: SECRET },
      { pk: key(6), sk: 6, big: SECRET.repeat(15_000) },
      { pk: key(7), sk: 7, near: 'x'.repeat(400 * 1024 - 100) },
      { pk: '', sk: 8, card: SECRET },
      { pk: key(9), sk: 9, gpk: 4111 },
      { pk: key(10), sk: 10, amount: 2 ** 60 },
      null,
      [SECRET],
      { pk: key(0), sk: 0, card: 'again' },
      { pk: key(14), sk: 14, '': SECRET },
      { pk: key(15), sk: 15, gpk: 'group', note: 'left alone', skipped: undefined },
      JSON.parse(`{"pk": "${key(16)}", "sk": 16, "map": {"inner": {"__proto__": {"card": "${SECRET}"}}}}`),
      JSON.parse(`{"pk": "${key(17)}", "sk": 17, "__proto__": "${SECRET}"}`),
    ];
    const result = await writerFor().write(items);

    expect(result.written).toBe(2);
    expect(result.failures.map((failure) => failure.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17]);
    expect(result.failures.every((failure) => failure.code === 'invalid')).toBe(true);
    const reasons = Object.fromEntries(result.failures.map((failure: IngestFailure) => [failure.index, failure.reason]));
    expect(reasons[1]).toBe('item 1: is not an object of attributes (got a string)');
    expect(reasons[2]).toBe('item 2: has no partition key attribute "pk"');
    expect(reasons[3]).toBe('item 3: partition key attribute "pk" must be a string (S), got a number (N)');
    expect(reasons[4]).toBe('item 4: sort key attribute "sk" must be a number (N), got a string (S)');
    expect(reasons[5]).toContain(`attribute "${ReservedAttributes.SIGNATURE}" is reserved`);
    expect(reasons[6]).toMatch(/^item 6: is \d+ bytes before encryption, over DynamoDB's 409600-byte item limit$/);
    expect(reasons[7]).toMatch(/^item 7: the encrypted item is \d+ bytes, over DynamoDB's 409600-byte item limit/);
    expect(reasons[8]).toBe('item 8: partition key attribute "pk" is empty, which DynamoDB refuses for key attributes');
    expect(reasons[9]).toBe('item 9: index key attribute "gpk" must be a string (S), got a number (N)');
    expect(reasons[10]).toMatch(/^item 10: attribute "amount" cannot be converted to a DynamoDB value \(it holds NaN, Infinity or a number beyond/);
    expect(reasons[11]).toBe('item 11: is not an object of attributes (got null)');
    expect(reasons[12]).toBe('item 12: is not an object of attributes (got an array)');
    expect(reasons[13]).toBe('item 13: has the same primary key as item 0: a request may write each key once');
    expect(reasons[14]).toBe('item 14: has an attribute with an empty name');
    expect(reasons[16]).toBe('item 16: attribute "map" is or holds a map key "__proto__", which JavaScript marshalling would drop');
    expect(reasons[17]).toBe('item 17: attribute "__proto__" is or holds a map key "__proto__", which JavaScript marshalling would drop');
    const everything = JSON.stringify(result);
    expect(everything).not.toContain('SECRET');
    expect(everything).not.toContain('4111');

    // Stored as ciphertext and signed; read back through the helpers as the plaintext.
    const raw = await rawItem(key(0), 0);
    expect(raw?.pk).toEqual({ S: key(0) });
    expect(raw?.card.B).toBeInstanceOf(Uint8Array);
    expect(raw?.nested.B).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(raw?.card.B as Uint8Array).toString('latin1')).not.toContain('4111');
    expect(raw?.[ReservedAttributes.SIGNATURE]?.B).toBeInstanceOf(Uint8Array);
    expect(await decrypted(key(0), 0)).toEqual({ pk: key(0), sk: 0, card: SECRET, nested: { list: [1, 'x', true, null], flag: false } });
    expect((await rawItem(key(15), 15))?.note).toEqual({ S: 'left alone' });
    expect(await decrypted(key(15), 15)).toEqual({ pk: key(15), sk: 15, gpk: 'group', note: 'left alone' });
    expect(await rawItem(key(7), 7)).toBeUndefined();
  });

  it('validates without writing, and writes nothing when asked for all or nothing', async () => {
    const key = prefix(uniqueName('dry'));
    const items = [{ pk: key(0), sk: 0, card: SECRET }, { pk: key(1) }];
    const writer = writerFor();
    expect(await writer.validate(items)).toEqual([
      { index: 0, ok: true },
      { index: 1, ok: false, reason: 'item 1: has no sort key attribute "sk"' },
    ]);
    expect(await writer.write(items, { allOrNothing: true })).toEqual({
      written: 0,
      failures: [{ index: 1, code: 'invalid', reason: 'item 1: has no sort key attribute "sk"' }],
    });
    expect(await rawItem(key(0), 0)).toBeUndefined();
    expect(await writer.write([])).toEqual({ written: 0, failures: [] });
    await expect(writer.write('items' as unknown as unknown[])).rejects.toThrow(InvalidArgumentError);
  });

  it('create-only never overwrites: an existing item is an "exists" failure, new items are written', async () => {
    const key = prefix(uniqueName('create'));
    const writer = writerFor({ createOnly: true });
    expect(await writer.write([{ pk: key(0), sk: 0, card: 'first' }])).toEqual({ written: 1, failures: [] });
    const second = await writer.write([{ pk: key(1), sk: 1, card: 'new' }, { pk: key(0), sk: 0, card: SECRET }]);
    expect(second).toEqual({
      written: 1,
      failures: [{ index: 1, code: 'exists', reason: 'item 1: an item with this primary key already exists (create-only ingest)' }],
    });
    expect((await decrypted(key(0), 0))?.card).toBe('first');
    expect((await decrypted(key(1), 1))?.card).toBe('new');
    // Without create-only the same write replaces the item.
    expect(await writerFor().write([{ pk: key(0), sk: 0, card: 'replaced' }])).toEqual({ written: 1, failures: [] });
    expect((await decrypted(key(0), 0))?.card).toBe('replaced');
  });

  it('create-only counts an item an earlier delivery wrote as written, and only one that holds the same values', async () => {
    const key = prefix(uniqueName('redelivered'));
    // The first PutItem of item 1 is throttled beyond the SDK's retries, as DynamoDB may.
    const send = ddb.send.bind(ddb) as (command: unknown) => Promise<unknown>;
    let throttled = false;
    const flaky = { send: async (command: unknown) => {
      if (command instanceof PutItemCommand && command.input.Item?.pk.S === key(1) && !throttled) {
        throttled = true;
        throw Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' });
      }
      return send(command);
    } } as unknown as DynamoDBClient;
    const writer = new IngestWriter({ encryptedClient: encryptedClient(flaky), tableName: table, createOnly: true });
    const message = [{ pk: key(0), sk: 0, card: SECRET, amounts: [1, 2.5], tags: new Set(['a', 'b']) }, { pk: key(1), sk: 1, card: SECRET }];
    const first = await writer.write(message, { allOrNothing: true });
    expect(first).toMatchObject({ written: 1, failures: [{ index: 1, code: 'not-written' }] });
    // The message is delivered again: item 0 is in the table already, as this delivery would write it.
    expect(await writer.write(message, { allOrNothing: true })).toEqual({ written: 2, failures: [] });
    expect(await writer.write(message, { allOrNothing: true })).toEqual({ written: 2, failures: [] });
    expect(await decrypted(key(0), 0)).toEqual({ pk: key(0), sk: 0, card: SECRET, amounts: [1, 2.5], tags: new Set(['a', 'b']) });

    // Other values, an extra attribute, or the same values stored in plaintext (unverified): another writer's item.
    const exists = (index: number) => ({ index, code: 'exists', reason: `item ${index}: an item with this primary key already exists (create-only ingest)` });
    expect(await writer.write([{ pk: key(0), sk: 0, card: 'other', amounts: [1, 2.5], tags: new Set(['a', 'b']) }])).toEqual({ written: 0, failures: [exists(0)] });
    expect(await writer.write([{ pk: key(1), sk: 1 }])).toEqual({ written: 0, failures: [exists(0)] });
    await ddb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: key(2) }, sk: { N: '2' }, card: { S: SECRET } } }));
    expect(await writer.write([{ pk: key(2), sk: 2, card: SECRET }])).toEqual({ written: 0, failures: [exists(0)] });
    expect((await decrypted(key(0), 0))?.card).toBe(SECRET);
  });

  it('writes many items in chunks of 25', async () => {
    const run = uniqueName('many');
    const items = Array.from({ length: 60 }, (_, index) => ({ pk: run, sk: index, card: SECRET }));
    expect(await writerFor({ concurrency: 3 }).write(items)).toEqual({ written: 60, failures: [] });
    const { Items } = await ddb.send(new ScanCommand({ TableName: table, FilterExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: run } } }));
    expect(Items).toHaveLength(60);
  });

  it('retries unprocessed items with the same ciphertext, and reports them when DynamoDB never takes them', async () => {
    const run = uniqueName('unprocessed');
    const items = Array.from({ length: 10 }, (_, index) => ({ pk: run, sk: index, card: SECRET }));
    let encryptions = 0;
    const countingProvider: CryptographicMaterialsProvider = {
      encryptionMaterials: (context) => {
        encryptions += 1;
        return provider.encryptionMaterials(context);
      },
      decryptionMaterials: (context) => provider.decryptionMaterials(context),
    };
    const sentCiphertexts = new Map<string, string>();
    let batchCalls = 0;
    const send = ddb.send.bind(ddb) as (command: unknown) => Promise<unknown>;
    const flaky = { send: async (command: unknown) => {
      if (!(command instanceof BatchWriteItemCommand)) return send(command);
      batchCalls += 1;
      const requests = command.input.RequestItems?.[table] ?? [];
      for (const request of requests) {
        const item = request.PutRequest?.Item ?? {};
        const ciphertext = Buffer.from(item.card.B as Uint8Array).toString('base64');
        const sk = item.sk.N as string;
        // The same item must come back as the same ciphertext: it was not encrypted again.
        expect(sentCiphertexts.get(sk) ?? ciphertext).toBe(ciphertext);
        sentCiphertexts.set(sk, ciphertext);
      }
      // First call: DynamoDB takes 4 and hands back the rest.
      const [taken, left] = batchCalls === 1 ? [requests.slice(0, 4), requests.slice(4)] : [requests, []];
      await send(new BatchWriteItemCommand({ RequestItems: { [table]: taken } }));
      return { UnprocessedItems: left.length === 0 ? {} : { [table]: left } } satisfies Partial<BatchWriteItemCommandOutput>;
    } } as unknown as DynamoDBClient;
    const writer = new IngestWriter({ encryptedClient: encryptedClient(flaky, countingProvider), tableName: table, baseDelayMs: 1 });
    expect(await writer.write(items)).toEqual({ written: 10, failures: [] });
    expect(batchCalls).toBe(2);
    expect(encryptions).toBe(10);
    expect((await decrypted(run, 9))?.card).toBe(SECRET);

    const throttled = { send: async (command: unknown) =>
      command instanceof BatchWriteItemCommand ? { UnprocessedItems: command.input.RequestItems } : send(command),
    } as unknown as DynamoDBClient;
    const stuck = new IngestWriter({ encryptedClient: encryptedClient(throttled), tableName: table, maxAttempts: 2, baseDelayMs: 1 });
    const result = await stuck.write(items.slice(0, 2));
    expect(result.written).toBe(0);
    expect(result.failures).toEqual([0, 1].map((index) => ({
      index,
      code: 'not-written',
      reason: `item ${index}: DynamoDB kept returning the item unprocessed for 2 attempts: send it again later`,
    })));
  });

  it('a chunk failing with an error DynamoDB answers stops the write: nothing is sent after, and it rejects only once no write is in flight', async () => {
    const run = uniqueName('chunk-fails');
    const items = Array.from({ length: 300 }, (_, index) => ({ pk: run, sk: index, card: SECRET }));
    const send = ddb.send.bind(ddb) as (command: unknown) => Promise<unknown>;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const failure = Object.assign(new Error('Internal server error'), { name: 'InternalServerError' });
    let inFlight = 0;
    let rejected = false;
    let sentAfterRejection = 0;
    const chunksSent = new Set<string>();
    const chunksWritten = new Set<string>();
    const failing = { send: async (command: unknown) => {
      if (!(command instanceof BatchWriteItemCommand)) return send(command);
      if (rejected) sentAfterRejection += 1;
      const requests = command.input.RequestItems?.[table] ?? [];
      const firstKey = requests[0]?.PutRequest?.Item?.sk.N as string;
      chunksSent.add(firstKey);
      inFlight += 1;
      try {
        // Chunk 0 fails after 100 ms; chunk 25 keeps coming back unprocessed (retried meanwhile); the others take 60 ms.
        if (firstKey === '0') {
          await sleep(100);
          throw failure;
        }
        if (firstKey === '25') return { UnprocessedItems: { [table]: requests } } satisfies Partial<BatchWriteItemCommandOutput>;
        await sleep(60);
        const output = await send(command);
        chunksWritten.add(firstKey);
        return output;
      } finally {
        inFlight -= 1;
      }
    } } as unknown as DynamoDBClient;
    const writer = new IngestWriter({ encryptedClient: encryptedClient(failing), tableName: table, concurrency: 4, baseDelayMs: 5, maxAttempts: 1000 });
    const outcome = await writer.write(items).then(
      () => undefined,
      (error: unknown) => {
        rejected = true;
        return { error, inFlight };
      },
    );
    expect(outcome?.error).toBe(failure);
    expect(outcome?.inFlight).toBe(0);
    await sleep(150);
    expect(sentAfterRejection).toBe(0);
    // Chunks 0 to 3 at once, a few more in the slots that freed up; none of the last ones.
    expect(chunksSent.size).toBeGreaterThanOrEqual(4);
    expect(chunksSent.size).toBeLessThan(12);
    expect(chunksSent.has('275')).toBe(false);
    const { Items } = await ddb.send(new ScanCommand({ TableName: table, FilterExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: run } }, ConsistentRead: true }));
    expect(Items).toHaveLength(25 * chunksWritten.size);
  });

  it('writes a chunk DynamoDB refuses as a whole item by item, so only the bad item fails', async () => {
    const run = uniqueName('refused');
    // A DO_NOTHING number outside DynamoDB's range is neither signed nor encrypted: only DynamoDB sees it.
    const items = [{ pk: run, sk: 0, card: SECRET }, { pk: run, sk: 1, note: 1e-140 }, { pk: run, sk: 2, card: SECRET }];
    const result = await writerFor().write(items);
    expect(result).toEqual({ written: 2, failures: [{ index: 1, code: 'invalid', reason: 'item 1: DynamoDB refused the item (ValidationException)' }] });
    expect((await decrypted(run, 2))?.card).toBe(SECRET);
  });

  it('all or nothing: a chunk DynamoDB refuses as a whole is not written at all, the bad item named, and no later chunk is started', async () => {
    const run = uniqueName('refused-whole');
    const items = [{ pk: run, sk: 0, card: SECRET }, { pk: run, sk: 1, note: 1e-140 }, { pk: run, sk: 2, card: SECRET }];
    const heldBack = (index: number) => ({ index, code: 'not-written', reason: `item ${index}: not written: DynamoDB refused another item of the request, which is written all or nothing` });
    expect(await writerFor().write(items, { allOrNothing: true })).toEqual({
      written: 0,
      failures: [heldBack(0), { index: 1, code: 'invalid', reason: 'item 1: DynamoDB refused the item (ValidationException)' }, heldBack(2)],
    });
    for (const sk of [0, 1, 2]) expect(await rawItem(run, sk)).toBeUndefined();

    // More than one chunk: the chunk written before the refusal stays written, and says so.
    const many = Array.from({ length: 60 }, (_, sk) => (sk === 30 ? { pk: `${run}-many`, sk, note: 1e-140 } : { pk: `${run}-many`, sk, card: SECRET }));
    const result = await writerFor({ concurrency: 1 }).write(many, { allOrNothing: true });
    expect(result.written).toBe(25);
    expect(result.failures).toHaveLength(35);
    expect(result.failures.filter((failure) => failure.code === 'invalid').map((failure) => failure.index)).toEqual([30]);
    expect(await rawItem(`${run}-many`, 24)).toBeDefined();
    for (const sk of [25, 31, 50, 59]) expect(await rawItem(`${run}-many`, sk)).toBeUndefined();
  });

  it('checks binary keys and refuses configured key names that are not the table\'s', async () => {
    const writer = new IngestWriter({ encryptedClient: encryptedClient(), tableName: binaryTable });
    const result = await writer.write([{ bk: new Uint8Array([1, 2, 3]), card: SECRET }, { bk: 'AQID', card: SECRET }]);
    expect(result).toEqual({
      written: 1,
      failures: [{ index: 1, code: 'invalid', reason: 'item 1: partition key attribute "bk" must be binary (B), got a string (S)' }],
    });

    const misconfigured = new EncryptedClient({
      client: ddb,
      materialsProvider: provider,
      tableInfos: [new TableInfo({ name: table, primaryIndex: { partition: 'id' } })],
    });
    await expect(new IngestWriter({ encryptedClient: misconfigured, tableName: table }).write([{ id: 'x' }])).rejects.toThrow(
      /configured key names \(id\) are not the table's \(pk, sk\)/,
    );
  });
});
