/**
 * lambda/reencrypt-segment.ts with a Lambda-shaped context against DynamoDB Local and the local
 * KMS: a Direct KMS rotation driven through JSON checkpoints (a binary sort key included), bad
 * events, missing configuration, a fatal failure, and captured logs that carry no plaintext.
 */
import type { Context } from 'aws-lambda';
import { CreateTableCommand, DeleteTableCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createReEncryptSegmentHandler, handler as coldStartHandler, type ReEncryptSegmentResponse } from '../../lambda/reencrypt-segment';
import { observability } from '../../lambda/observability';
import { EncryptedClient } from '../../src/encrypted/encrypted-client';
import { TableCrypto } from '../../src/encrypted/table-crypto';
import { TableInfo } from '../../src/encrypted/table-info';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import { decryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { EnvironmentNames as Names } from '../../src/pipeline/environment-names';
import { ConfigurationError } from '../../src/pipeline/pipeline-config';
import { addCounts, emptyCounts } from '../../src/pipeline/reencrypt-counts';
import { ReEncryptRequestError, ReEncryptSegmentError } from '../../src/pipeline/reencrypt-errors';
import { AwsKmsMaterialsProvider } from '../../src/providers/aws-kms-provider';
import { localDynamoDbClient, localKmsClient, uniqueName } from '../support/local-aws';

const dynamoDb = localDynamoDbClient();
const kms = localKmsClient();
const tableName = uniqueName('reencrypt-handler');
const table = new TableInfo({ name: tableName, primaryIndex: { partition: 'pk', sort: 'sk' } });
const actions = () => new AttributeActions({ attributeActions: { note: CryptoAction.DO_NOTHING } });
const ITEMS = 30;
let keyA: string;
let keyB: string;
let environment: Record<string, string>;
let items: DynamoDbItem[];

/** Everything written to stdout and stderr (where Powertools logs and metrics go) while a test runs. */
const captured: string[] = [];
beforeEach(() => {
  captured.length = 0;
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  }
});
afterEach(() => jest.restoreAllMocks());

function lambdaContext(remaining: () => number): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'reencrypt-segment',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:reencrypt-segment',
    memoryLimitInMB: '512',
    awsRequestId: `request-${Math.random()}`,
    logGroupName: '/aws/lambda/reencrypt-segment',
    logStreamName: '2025/01/01/[$LATEST]abc',
    getRemainingTimeInMillis: remaining,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Plenty of time on the first call, under the safety margin after the first page. */
function shortBudget(): Context {
  let calls = 0;
  return lambdaContext(() => (calls++ === 0 ? 900_000 : 5_000));
}

/** What Lambda does to an event and a response: JSON both ways. */
const viaJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

beforeAll(async () => {
  await dynamoDb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'B' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
  keyA = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;
  keyB = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;
  items = Array.from({ length: ITEMS }, (_, index) => ({
    pk: { S: `customer-${index % 4}` },
    sk: { B: Buffer.from([index, 0xfe, 0x7f]) },
    card: { S: `secret-card-${1000 + index}` },
    note: { S: `unsigned-note-${1000 + index}` },
  }));
  const writer = new EncryptedClient({ client: dynamoDb, materialsProvider: new AwsKmsMaterialsProvider({ keyId: keyA, kmsClient: kms }), attributeActions: actions(), tableInfos: [table] });
  await writer.batchWriteAll({ [tableName]: items.map((Item) => ({ PutRequest: { Item } })) });
  // One item that no longer verifies.
  await dynamoDb.send(
    new UpdateItemCommand({ TableName: tableName, Key: { pk: items[7].pk, sk: items[7].sk }, UpdateExpression: 'SET card = :c', ExpressionAttributeValues: { ':c': { B: Buffer.from('forged-secret-card') } } }),
  );
  environment = {
    [Names.TABLE_NAME]: tableName,
    [Names.PARTITION_KEY_NAME]: 'pk',
      [Names.SECONDARY_INDEXES]: 'none',
    [Names.SORT_KEY_NAME]: 'sk',
    [Names.MATERIALS]: 'direct-kms',
    [Names.KMS_KEY_ID]: keyB,
    [Names.ALLOWED_KMS_KEY_IDS]: `${keyB},${keyA}`,
    [Names.ATTRIBUTE_ACTIONS]: JSON.stringify({ attributes: { note: 'DO_NOTHING' } }),
  };
});

afterAll(async () => {
  await dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  dynamoDb.destroy();
  kms.destroy();
});

/** No captured line holds a plaintext value, a key value or a forged value. */
function expectNoPlaintextLogged(): void {
  const text = captured.join('');
  for (const item of items) {
    for (const value of Object.values(item)) {
      if (value.S !== undefined) expect(text).not.toContain(value.S);
      if (value.B !== undefined) expect(text).not.toContain(Buffer.from(value.B).toString('base64'));
    }
  }
  expect(text).not.toMatch(/secret-card|forged|unsigned-note|customer-/);
}

describe('the reencrypt-segment Lambda handler', () => {
  it('re-encrypts every segment through JSON checkpoints, logging counts and metrics but no plaintext', async () => {
    const { logger, metrics } = observability('reencrypt');
    const handler = createReEncryptSegmentHandler({ environment, clients: { dynamoDb, kms }, logger, metrics, reEncryptorOptions: { pageSize: 4 } });
    const total = emptyCounts();
    const failureReasons: Record<string, number> = {};
    let invocations = 0;
    for (let segment = 0; segment < 2; segment += 1) {
      let exclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const response: ReEncryptSegmentResponse = viaJson(await handler(viaJson({ segment, totalSegments: 2, exclusiveStartKey }), shortBudget()));
        addCounts(total, response.counts);
        for (const [reason, count] of Object.entries(response.failureReasons)) failureReasons[reason] = (failureReasons[reason] ?? 0) + count;
        exclusiveStartKey = response.lastEvaluatedKey;
        invocations += 1;
      } while (exclusiveStartKey !== undefined);
    }
    expect(invocations).toBeGreaterThan(ITEMS / 4);
    expect(total).toMatchObject({ scanned: ITEMS, reencrypted: ITEMS - 1, failed: 1, conflicts: 0 });
    expect(failureReasons).toEqual({ SignatureVerificationError: 1 });

    // Everything but the forged item now opens with key B alone.
    const onlyB = new TableCrypto(table, new AwsKmsMaterialsProvider({ keyId: keyB, kmsClient: kms, strict: true }), actions()).config;
    const { Items = [] } = await dynamoDb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
    expect(Items).toHaveLength(ITEMS);
    for (const item of Items) {
      if (Buffer.from(item.sk.B as Uint8Array)[0] === 7) continue;
      await expect(decryptDynamoDbItem(item, onlyB)).resolves.toMatchObject({ card: items[Buffer.from(item.sk.B as Uint8Array)[0]].card });
    }

    const text = captured.join('');
    expect(text).toContain('re-encryption segment paused at a checkpoint');
    expect(text).toContain('re-encryption segment finished');
    expect(text).toContain('"function_name":"reencrypt-segment"');
    expect(text).toContain('SignatureVerificationError');
    expect(text).toContain('"Reencrypted"'); // an EMF metric
    expectNoPlaintextLogged();
  });

  it('a dry run through the handler reports what it would do, in DryRun metrics', async () => {
    const { logger, metrics } = observability('reencrypt');
    const handler = createReEncryptSegmentHandler({ environment, clients: { dynamoDb, kms }, logger, metrics });
    const response = await handler({ segment: 0, totalSegments: 1, dryRun: true, filter: { attribute: 'card', equals: 'secret-card-1003' } }, lambdaContext(() => 900_000));
    expect(response.lastEvaluatedKey).toBeUndefined();
    // Everything is under key B after the first test; the filter matched one item, and the forged one still fails.
    expect(response.counts).toMatchObject({ scanned: ITEMS, alreadyCurrent: 1, skipped: ITEMS - 2, failed: 1 });
    expect(captured.join('')).toContain('"DryRunAlreadyCurrent"');
    expectNoPlaintextLogged();
  });

  it('refuses bad events with typed errors naming what is wrong, never the values', async () => {
    const { logger, metrics } = observability('reencrypt');
    const handler = createReEncryptSegmentHandler({ environment, clients: { dynamoDb, kms }, logger, metrics });
    const context = lambdaContext(() => 900_000);
    await expect(handler({ totalSegments: 2 }, context)).rejects.toThrow(ReEncryptRequestError);
    await expect(handler({ totalSegments: 2 }, context)).rejects.toThrow(/segment is missing/);
    await expect(handler({ segment: 0 }, context)).rejects.toThrow(/totalSegments is missing/);
    await expect(handler({ segment: 2, totalSegments: 2 }, context)).rejects.toThrow(/segment 2 is out of range/);
    await expect(handler('segment 0', context)).rejects.toThrow(/must be an object/);
    await expect(handler({ segment: 0, totalSegments: 1, exclusiveStartKey: { id: { S: 'customer-1' } } }, context)).rejects.toThrow(/lacks the table's key attribute\(s\) "pk", "sk"/);
    const bad = handler({ segment: 0, totalSegments: 1, filter: { attribute: 'card', equals: null, hint: 'secret-card-1001' }, exclusiveStartKey: { pk: { S: 'customer-1', N: '1' } } }, context);
    await expect(bad).rejects.toThrow(/exclusiveStartKey must be a key in DynamoDB JSON.*filter must be/);
    await expect(bad).rejects.not.toThrow(/secret|customer-/);
    expect(captured.join('')).toContain('invalid re-encryption request');
    expectNoPlaintextLogged();
  });

  it('logs the safe message of an error other than ReEncryptSegmentError (a checkpoint that is not a key of the table)', async () => {
    const { logger, metrics } = observability('reencrypt');
    const handler = createReEncryptSegmentHandler({ environment, clients: { dynamoDb, kms }, logger, metrics });
    const failure = handler({ segment: 0, totalSegments: 1, exclusiveStartKey: { id: { S: 'customer-1' } } }, lambdaContext(() => 900_000));
    await expect(failure).rejects.toThrow(ReEncryptRequestError);
    const line = captured.join('').split('\n').find((entry) => entry.includes('re-encryption segment failed'));
    expect(line).toBeDefined();
    expect(JSON.parse(line as string)).toMatchObject({
      errorName: 'ReEncryptRequestError',
      errorMessage: expect.stringContaining('exclusiveStartKey lacks the table\'s key attribute(s) "pk", "sk"'),
    });
    expectNoPlaintextLogged();
  });

  it('fails at cold start on missing configuration, naming every variable', async () => {
    const { logger, metrics } = observability('reencrypt');
    expect(() => createReEncryptSegmentHandler({ environment: {}, logger, metrics })).toThrow(ConfigurationError);
    expect(() => createReEncryptSegmentHandler({ environment: { [Names.TABLE_NAME]: tableName }, logger, metrics })).toThrow(
      /DDBEC_MATERIALS is not set.*DDBEC_KMS_KEY_ID is not set/,
    );
    // The exported handler read this process's environment at import, which has no DDBEC_* settings.
    expect(Object.keys(process.env).filter((name) => name.startsWith('DDBEC_'))).toEqual([]);
    await expect(coldStartHandler({ segment: 0, totalSegments: 1 }, lambdaContext(() => 900_000))).rejects.toThrow(/DDBEC_TABLE_NAME is not set/);
  });

  it('rotates to a key of another region with its own clients: each KMS call goes to the region of the key it names', async () => {
    // A table of its own, its items under key A (the function's region), moved to a key of another region.
    const regionTable = uniqueName('reencrypt-region');
    await dynamoDb.send(
      new CreateTableCommand({
        TableName: regionTable,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    const elsewhere = new KMSClient({ region: 'eu-west-1' });
    try {
      const keyEu = (await elsewhere.send(new CreateKeyCommand({}))).KeyMetadata?.Arn as string;
      expect(keyEu).toContain(':eu-west-1:');
      expect(keyA).not.toContain(':eu-west-1:');
      const regionInfo = new TableInfo({ name: regionTable, primaryIndex: { partition: 'pk' } });
      const writer = new EncryptedClient({ client: dynamoDb, materialsProvider: new AwsKmsMaterialsProvider({ keyId: keyA, kmsClient: kms }), attributeActions: actions(), tableInfos: [regionInfo] });
      for (let index = 0; index < 3; index += 1) await writer.putItem({ TableName: regionTable, Item: { pk: { S: `region-${index}` }, card: { S: `secret-card-${index}` } } });
      const { logger, metrics } = observability('reencrypt');
      const handler = createReEncryptSegmentHandler({
        // No clients given: the deployed handler's own, one KMS client per region of the keys.
        environment: { ...environment, [Names.TABLE_NAME]: regionTable, [Names.SORT_KEY_NAME]: '', [Names.KMS_KEY_ID]: keyEu, [Names.ALLOWED_KMS_KEY_IDS]: `${keyEu},${keyA}` },
        logger,
        metrics,
      });
      const response = await handler({ segment: 0, totalSegments: 1 }, lambdaContext(() => 900_000));
      expect(response.counts).toMatchObject({ scanned: 3, reencrypted: 3, failed: 0 });
      const onlyEu = new TableCrypto(regionInfo, new AwsKmsMaterialsProvider({ keyId: keyEu, kmsClient: elsewhere, strict: true }), actions()).config;
      const { Items = [] } = await dynamoDb.send(new ScanCommand({ TableName: regionTable, ConsistentRead: true }));
      expect(Items).toHaveLength(3);
      for (const item of Items) await expect(decryptDynamoDbItem(item, onlyEu)).resolves.toMatchObject({ card: { S: `secret-card-${item.pk.S?.slice('region-'.length)}` } });
    } finally {
      elsewhere.destroy();
      await dynamoDb.send(new DeleteTableCommand({ TableName: regionTable })).catch(() => undefined);
    }
  });

  it('an outage after a finished page answers with its checkpoint and interruptedBy, a warning and a SegmentInterruptions metric', async () => {
    const { logger, metrics } = observability('reencrypt');
    const flaky = localDynamoDbClient();
    let scans = 0;
    flaky.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ScanCommand' && ++scans === 3) throw Object.assign(new Error('injected outage'), { name: 'InternalServerError' });
        return next(args);
      },
      { step: 'initialize', name: 'injectScanOutage' },
    );
    try {
      const handler = createReEncryptSegmentHandler({ environment, clients: { dynamoDb: flaky, kms }, logger, metrics, reEncryptorOptions: { pageSize: 4 } });
      // A dry run: the table is left as the tests before left it.
      const interrupted: ReEncryptSegmentResponse = viaJson(await handler({ segment: 0, totalSegments: 1, dryRun: true }, lambdaContext(() => 900_000)));
      expect(interrupted.interruptedBy).toBe('InternalServerError');
      expect(interrupted.lastEvaluatedKey).toBeDefined();
      // Two pages were read before the third Scan failed; at least the first was finished.
      expect(interrupted.counts.scanned).toBeGreaterThanOrEqual(4);
      expect(interrupted.counts.scanned).toBeLessThanOrEqual(8);
      const rest: ReEncryptSegmentResponse = viaJson(await handler(viaJson({ segment: 0, totalSegments: 1, dryRun: true, exclusiveStartKey: interrupted.lastEvaluatedKey }), lambdaContext(() => 900_000)));
      expect(rest.interruptedBy).toBeUndefined();
      expect(rest.lastEvaluatedKey).toBeUndefined();
      // Together, every item exactly once, as long as no page finished before the outage was left uncounted.
      const total = addCounts(addCounts(emptyCounts(), interrupted.counts), rest.counts);
      expect(total.scanned).toBe(ITEMS);
      expect(total.alreadyCurrent + total.failed).toBe(ITEMS);

      const lines = captured.join('').split('\n');
      const warning = lines.find((line) => line.includes('re-encryption segment interrupted'));
      expect(warning).toBeDefined();
      expect(JSON.parse(warning as string)).toMatchObject({ level: 'WARN', interruptedBy: 'InternalServerError' });
      expect(lines.some((line) => line.includes('"SegmentInterruptions"'))).toBe(true);
      expectNoPlaintextLogged();
    } finally {
      flaky.destroy();
    }
  });

  it('stops with ReEncryptSegmentError and the last checkpoint when KMS is unreachable', async () => {
    const { logger, metrics } = observability('reencrypt');
    const unreachable = new KMSClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const handler = createReEncryptSegmentHandler({ environment: { ...environment, [Names.KMS_KEY_ID]: keyA, [Names.ALLOWED_KMS_KEY_IDS]: keyA }, clients: { dynamoDb, kms: unreachable }, logger, metrics });
    const failure = handler({ segment: 0, totalSegments: 1 }, lambdaContext(() => 900_000));
    await expect(failure).rejects.toThrow(ReEncryptSegmentError);
    const error = (await failure.catch((caught: unknown) => caught)) as ReEncryptSegmentError;
    expect(error.lastEvaluatedKey).toBeUndefined(); // nothing was finished: start again from the beginning
    expect((error.cause as Error).name).toBe('KmsError');
    expect(captured.join('')).toContain('re-encryption segment stopped');
    expectNoPlaintextLogged();
    unreachable.destroy();
  });
});
