/**
 * The re-encryptor's parts that need no AWS: request validation, the write conditions and the
 * write it builds, item equality, filters, classifiers, the capacity budget, throttling backoff
 * and which failures stop a run.
 */
import { TableInfo } from '../../src/encrypted/table-info';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import { InvalidArgumentError, KmsError, KmsThrottlingError, SignatureVerificationError } from '../../src/errors';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { ReservedAttributes } from '../../src/format/material-description-keys';
import { CapacityBudget } from '../../src/pipeline/reencrypt-capacity';
import { descriptionEntryClassifier, kmsKeyClassifier, mostRecentVersionClassifier, sameKmsKey } from '../../src/pipeline/reencrypt-classifier';
import { MAX_EXPRESSION_BYTES, unchangedCondition } from '../../src/pipeline/reencrypt-conditions';
import { CapacityExhaustedError, ConditionTooLargeError, ItemFilterError, ReEncryptRequestError, ReEncryptSegmentError } from '../../src/pipeline/reencrypt-errors';
import { isItemFailure } from '../../src/pipeline/reencrypt-failures';
import { matchesFilter } from '../../src/pipeline/reencrypt-filter';
import { sameItem } from '../../src/pipeline/reencrypt-item-equality';
import { segmentCheckpointToJson, segmentRequestFromJson, validateSegmentRequest } from '../../src/pipeline/reencrypt-request';
import { ThrottleRetry } from '../../src/pipeline/reencrypt-throttling';
import { reEncryptWrite } from '../../src/pipeline/reencrypt-write-request';
import { NoKnownVersionError, type ProviderStore } from '../../src/providers/provider-store';
import { emptyCounts } from '../../src/pipeline/reencrypt-counts';
import { ScanReEncryptor, type ScanReEncryptorOptions } from '../../src/pipeline/scan-reencryptor';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { freshStaticProvider } from '../support/fresh-static-provider';

const SIG = ReservedAttributes.SIGNATURE;
const DESC = ReservedAttributes.MATERIAL_DESCRIPTION;
const tableInfo = new TableInfo({ name: 'orders', primaryIndex: { partition: 'pk', sort: 'sk' } });
const actions = new AttributeActions({ attributeActions: { note: CryptoAction.DO_NOTHING } }).setIndexKeys('pk', 'sk');

function problemsOf(work: () => unknown): readonly string[] {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(ReEncryptRequestError);
    return (error as ReEncryptRequestError).problems;
  }
  throw new Error('expected a ReEncryptRequestError');
}

describe('segment requests', () => {
  it('accepts a minimal request and defaults dryRun to false', () => {
    expect(validateSegmentRequest({ segment: 0, totalSegments: 1 })).toEqual({ segment: 0, totalSegments: 1, dryRun: false, exclusiveStartKey: undefined, filter: undefined });
  });

  it('names what is missing or wrong, all at once', () => {
    expect(problemsOf(() => validateSegmentRequest({}))).toEqual([
      expect.stringContaining('segment is missing'),
      expect.stringContaining('totalSegments is missing'),
    ]);
    expect(problemsOf(() => validateSegmentRequest({ segment: 4, totalSegments: 4 }))).toEqual([expect.stringMatching(/segment 4 is out of range.*0 to 3/)]);
    expect(problemsOf(() => validateSegmentRequest({ segment: -1, totalSegments: 0, dryRun: 'yes' }))).toEqual([
      expect.stringContaining('segment must be a whole number'),
      expect.stringContaining('totalSegments must be a whole number from 1'),
      expect.stringContaining('dryRun must be true or false'),
    ]);
    expect(problemsOf(() => validateSegmentRequest(null))).toEqual([expect.stringContaining('must be an object')]);
    expect(problemsOf(() => validateSegmentRequest({ segment: 0, totalSegments: 1, exclusiveStartKey: 'pk' }))).toEqual([
      expect.stringContaining('exclusiveStartKey must be an object of AttributeValues'),
    ]);
  });

  it('never quotes a value that may be data', () => {
    const problems = problemsOf(() =>
      segmentRequestFromJson({ segment: 'secret-segment', totalSegments: 2, filter: { attribute: 'card', equals: null }, exclusiveStartKey: { pk: { Q: 'secret-key' } } }),
    );
    const text = problems.join(' ');
    expect(text).not.toMatch(/secret/);
    expect(text).toMatch(/segment must be a whole number >= 0, got a string/);
    expect(text).toMatch(/filter must be/);
    expect(text).toMatch(/exclusiveStartKey must be a key in DynamoDB JSON/);
  });

  it('round-trips a binary checkpoint through JSON, as a Lambda returns and receives it', () => {
    const key: DynamoDbItem = { pk: { S: 'a' }, sk: { B: new Uint8Array([0, 255, 7]) } };
    const json = JSON.parse(JSON.stringify(segmentCheckpointToJson(key)));
    expect(json).toEqual({ pk: { S: 'a' }, sk: { B: 'AP8H' } });
    const request = segmentRequestFromJson({ segment: 1, totalSegments: 2, exclusiveStartKey: json, filter: { attribute: 'kind', equals: { N: '1.50' } } });
    expect(Buffer.from(request.exclusiveStartKey?.sk.B as Uint8Array)).toEqual(Buffer.from([0, 255, 7]));
    expect(request.filter).toEqual({ attribute: 'kind', equals: { N: '1.50' } });
  });
});

describe('write conditions', () => {
  const plaintext: DynamoDbItem = { pk: { S: 'a' }, sk: { N: '1' }, card: { S: 'x' }, note: { S: 'n' } };
  const encrypted: DynamoDbItem = { ...plaintext, card: { B: new Uint8Array([1]) }, [DESC]: { B: new Uint8Array([0]) }, [SIG]: { B: new Uint8Array([9, 9]) } };

  it('an encrypted item: the signature, plus the unsigned attributes when the whole item is replaced', () => {
    const update = unchangedCondition(encrypted, { attributeActions: actions, tableName: 'orders', scope: 'signed' });
    expect(update.ConditionExpression).toBe('#ddbecSig = :ddbecSig');
    expect(update.ExpressionAttributeValues[':ddbecSig']).toEqual({ B: new Uint8Array([9, 9]) });
    const put = unchangedCondition(encrypted, { attributeActions: actions, tableName: 'orders', scope: 'all' });
    expect(put.ConditionExpression).toBe('#ddbecSig = :ddbecSig AND #c0 = :c0');
    expect(put.ExpressionAttributeNames['#c0']).toBe('note');
  });

  it('a plaintext item: no signature yet and every value read (or the version attribute)', () => {
    const update = unchangedCondition(plaintext, { attributeActions: actions, tableName: 'orders', scope: 'signed' });
    expect(update.ConditionExpression).toBe('attribute_not_exists(#ddbecSig) AND #c0 = :c0 AND #c1 = :c1 AND #c2 = :c2');
    expect(Object.values(update.ExpressionAttributeNames)).toEqual([SIG, 'pk', 'sk', 'card']);
    const versioned = unchangedCondition({ ...plaintext, version: { N: '7' } }, { attributeActions: actions, tableName: 'orders', scope: 'all', versionAttribute: 'version' });
    expect(versioned.ConditionExpression).toBe('attribute_not_exists(#ddbecSig) AND #c0 = :c0');
    expect(versioned.ExpressionAttributeValues[':c0']).toEqual({ N: '7' });
  });

  it('refuses a condition over the 4 KB expression limit, pointing at versionAttribute', () => {
    const wide: DynamoDbItem = { pk: { S: 'a' }, sk: { N: '1' } };
    for (let index = 0; index < 400; index += 1) wide[`attribute${index}`] = { N: String(index) };
    expect(() => unchangedCondition(wide, { attributeActions: actions, tableName: 'orders', scope: 'signed' })).toThrow(ConditionTooLargeError);
    expect(() => unchangedCondition(wide, { attributeActions: actions, tableName: 'orders', scope: 'signed' })).toThrow(/versionAttribute/);
    expect(unchangedCondition({ ...wide, v: { N: '1' } }, { attributeActions: actions, tableName: 'orders', scope: 'signed', versionAttribute: 'v' }).ConditionExpression.length).toBeLessThan(MAX_EXPRESSION_BYTES);
  });

  it('writes with an UpdateItem that leaves the keys and the DO_NOTHING attributes alone', () => {
    const write = reEncryptWrite(encrypted, { ...encrypted, [SIG]: { B: new Uint8Array([8]) } }, { tableInfo, attributeActions: actions });
    expect(write.command).toBe('UpdateItem');
    const input = write.input as { UpdateExpression: string; ExpressionAttributeNames: Record<string, string>; Key: DynamoDbItem; ReturnValues: string };
    const setNames = input.UpdateExpression.replace(/^SET /, '').split(',').map((assignment) => input.ExpressionAttributeNames[assignment.split('=')[0]]);
    expect(setNames.sort()).toEqual([DESC, SIG, 'card'].sort());
    expect(input.Key).toEqual({ pk: { S: 'a' }, sk: { N: '1' } });
    // The signature guards everything set; an attribute added meanwhile is left alone, so the old item is not needed.
    expect(input.ReturnValues).toBe('NONE');
    expect((reEncryptWrite(plaintext, encrypted, { tableInfo, attributeActions: actions }).input as { ReturnValues: string }).ReturnValues).toBe('ALL_OLD');
    // A concurrent change of a DO_NOTHING attribute is not a difference; an added signed attribute is.
    expect(write.replacedExpected({ ...encrypted, note: { S: 'changed' }, other: { NULL: true } })).toBe(false);
    expect(write.replacedExpected({ ...encrypted, note: { S: 'changed' } })).toBe(true);
    expect(write.after({ ...encrypted, note: { S: 'changed' } })).toMatchObject({ note: { S: 'changed' }, [SIG]: { B: new Uint8Array([8]) } });
  });

  it('replaces an encrypted item with a PutItem on its signature alone when no attribute can be DO_NOTHING', () => {
    const allSigned = new AttributeActions().setIndexKeys('pk', 'sk');
    const stored = { ...encrypted, note: { B: new Uint8Array([2]) } };
    const write = reEncryptWrite(stored, { ...stored, [SIG]: { B: new Uint8Array([8]) } }, { tableInfo, attributeActions: allSigned });
    expect(write.command).toBe('PutItem');
    expect(write.input).toMatchObject({ ConditionExpression: '#ddbecSig = :ddbecSig', ReturnValues: 'NONE' });
    // A plaintext item still gets the UpdateItem that reports an added attribute.
    expect(reEncryptWrite(plaintext, stored, { tableInfo, attributeActions: allSigned }).command).toBe('UpdateItem');
  });

  it('falls back to a whole-item PutItem when the SET list would break the expression limit', () => {
    const wide: DynamoDbItem = { ...encrypted };
    for (let index = 0; index < 500; index += 1) wide[`attribute${index}`] = { N: String(index) };
    const write = reEncryptWrite(wide, wide, { tableInfo, attributeActions: actions });
    expect(write.command).toBe('PutItem');
    expect((write.input as { ConditionExpression: string }).ConditionExpression).toBe('#ddbecSig = :ddbecSig AND #c0 = :c0');
    expect(write.replacedExpected({ ...wide, note: { S: 'changed' } })).toBe(false);
  });
});

describe('item equality and filters', () => {
  it('compares numbers by value, sets regardless of order, binary by bytes', () => {
    expect(sameItem({ n: { N: '1.50' }, s: { SS: ['a', 'b'] }, b: { B: Buffer.from('x') } }, { n: { N: '1.5' }, s: { SS: ['b', 'a'] }, b: { B: new Uint8Array([120]) } })).toBe(true);
    expect(sameItem({ m: { M: { a: { L: [{ S: 'x' }] } } } }, { m: { M: { a: { L: [{ S: 'y' }] } } } })).toBe(false);
    expect(sameItem({ a: { S: '1' } }, { a: { N: '1' } })).toBe(false);
    expect(sameItem({ a: { S: '1' } }, { a: { S: '1' }, b: { S: '2' } })).toBe(false);
  });

  it('matches { attribute, equals } and functions; a throwing function is an ItemFilterError without its message', async () => {
    const item: DynamoDbItem = { kind: { S: 'gold' }, count: { N: '2.0' }, flag: { BOOL: true } };
    await expect(matchesFilter(item, { attribute: 'kind', equals: 'gold' })).resolves.toBe(true);
    await expect(matchesFilter(item, { attribute: 'count', equals: 2 })).resolves.toBe(true);
    await expect(matchesFilter(item, { attribute: 'flag', equals: false })).resolves.toBe(false);
    await expect(matchesFilter(item, { attribute: 'missing', equals: 'gold' })).resolves.toBe(false);
    await expect(matchesFilter(item, (plaintext) => plaintext.kind.S === 'gold')).resolves.toBe(true);
    const failing = matchesFilter(item, () => {
      throw new TypeError('value gold is bad');
    });
    await expect(failing).rejects.toThrow(ItemFilterError);
    await expect(failing).rejects.not.toThrow(/gold/);
  });
});

describe('classifiers', () => {
  it('compares KMS key ids and ARNs', async () => {
    const arn = 'arn:aws:kms:us-east-1:111122223333:key/1234';
    expect(sameKmsKey(arn, arn)).toBe(true);
    expect(sameKmsKey('1234', arn)).toBe(true);
    expect(sameKmsKey('5678', arn)).toBe(false);
    const classifier = kmsKeyClassifier({ keyId: '1234' });
    await expect(classifier.isCurrent({ description: {}, materials: { kmsKeyArn: arn } as never })).resolves.toBe(true);
    await expect(classifier.isCurrent({ description: {}, materials: { kmsKeyArn: arn.replace('1234', '9') } as never })).resolves.toBe(false);
    // Materials from another provider carry no KMS key: never current, so re-encrypted.
    await expect(classifier.isCurrent({ description: {}, materials: {} as never })).resolves.toBe(false);
    expect(() => kmsKeyClassifier({ keyId: 'alias/orders' })).toThrow(/kmsClient/);
  });

  it('MostRecent: current is the newest version the store names, read again at each prepare()', async () => {
    let newest: number | undefined;
    const store = { maxVersion: async () => {
      if (newest === undefined) throw new NoKnownVersionError('none');
      return newest;
    } } as unknown as ProviderStore;
    const classifier = mostRecentVersionClassifier({ providerStore: store, materialName: 'orders' });
    expect(classifier.decidesFromDescription).toBe(true);
    await classifier.prepare?.();
    await expect(classifier.isCurrent({ description: { 'amzn-ddb-meta-id': 'orders#0' } })).resolves.toBe(false);
    newest = 0;
    await classifier.prepare?.();
    await expect(classifier.isCurrent({ description: { 'amzn-ddb-meta-id': 'orders#0' } })).resolves.toBe(true);
    newest = 1;
    await classifier.prepare?.();
    await expect(classifier.isCurrent({ description: { 'amzn-ddb-meta-id': 'orders#0' } })).resolves.toBe(false);
    await expect(classifier.isCurrent({ description: { 'amzn-ddb-meta-id': 'other#1' } })).resolves.toBe(false);
  });

  it('a description entry', () => {
    const classifier = descriptionEntryClassifier('key-name', 'new');
    expect(classifier.isCurrent({ description: { 'key-name': 'new' } })).toBe(true);
    expect(classifier.isCurrent({ description: { 'key-name': 'old' } })).toBe(false);
  });
});

describe('CapacityBudget', () => {
  it('holds the rate, lets a request bigger than a second wait for a full bucket, and corrects estimates', async () => {
    let now = 0;
    const waits: number[] = [];
    const budget = new CapacityBudget({
      unitsPerSecond: 10,
      clock: () => now,
      sleep: async (milliseconds) => {
        waits.push(milliseconds);
        now += milliseconds;
      },
    });
    await budget.take(10); // the bucket starts full
    expect(waits).toEqual([]);
    await budget.take(5);
    expect(now).toBeCloseTo(500);
    budget.settle(5, 15); // it cost 10 more than estimated: the next request waits that off
    await budget.take(1);
    expect(now).toBeCloseTo(1600);
    await budget.take(50); // more than one second's worth: waits for a full bucket, then goes into debt
    expect(now).toBeCloseTo(2600);
    await budget.take(1);
    expect(now).toBeCloseTo(2600 + 4100);
  });

  it('is free when unlimited', async () => {
    const budget = new CapacityBudget();
    expect(budget.unlimited).toBe(true);
    await budget.take(1e9);
  });
});

describe('throttling and failures', () => {
  it('backs off beyond the SDK on throttling, then gives up with CapacityExhaustedError', async () => {
    const sleeps: number[] = [];
    const retry = new ThrottleRetry({ maxRetries: 3, baseDelayMs: 10, sleep: async (milliseconds) => void sleeps.push(milliseconds) });
    let calls = 0;
    const throttled = Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    await expect(retry.run('UpdateItem', 'orders', async () => (++calls < 3 ? Promise.reject(throttled) : 'done'))).resolves.toBe('done');
    expect(sleeps).toHaveLength(2);
    await expect(retry.run('Scan', 'orders', () => Promise.reject(throttled))).rejects.toThrow(CapacityExhaustedError);
    await expect(retry.run('Scan', 'orders', () => Promise.reject(new Error('other')))).rejects.toThrow('other');
  });

  it('tells item failures from failures that would stop every item', () => {
    expect(isItemFailure(new SignatureVerificationError('bad'))).toBe(true);
    expect(isItemFailure(Object.assign(new Error('x'), { name: 'ValidationException' }))).toBe(true);
    expect(isItemFailure(new KmsError('denied', {}, { kmsErrorName: 'AccessDeniedException' }))).toBe(true);
    expect(isItemFailure(new KmsError('down', {}, { kmsErrorName: 'ECONNREFUSED' }))).toBe(false);
    expect(isItemFailure(new KmsThrottlingError('slow'))).toBe(false);
    // KMS unavailable after every retry says nothing about the item: the segment stops at its
    // checkpoint to be retried, rather than skipping the item (found by fault injection).
    expect(isItemFailure(new KmsError('503', {}, { kmsErrorName: 'ServiceUnavailable' }))).toBe(false);
    expect(isItemFailure(new KmsError('reset', {}, { kmsErrorName: 'ECONNRESET' }))).toBe(false);
    const serverError = Object.assign(new Error('boom'), { name: 'SomethingNew', $metadata: { httpStatusCode: 502 } });
    expect(isItemFailure(new KmsError('5xx', {}, { kmsErrorName: 'SomethingNew', cause: serverError }))).toBe(false);
    expect(isItemFailure(new CapacityExhaustedError('slow'))).toBe(false);
    expect(isItemFailure(Object.assign(new Error('x'), { name: 'ResourceNotFoundException' }))).toBe(false);
  });
});

describe('a segment that cannot start', () => {
  const checkpoint: DynamoDbItem = { pk: { S: 'secret-pk' }, sk: { N: '7' } };
  const throttled = (name: string) => Object.assign(new Error('Rate exceeded'), { name, $metadata: { httpStatusCode: 400 } });
  const description = {
    Table: {
      TableName: 'orders',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }],
    },
  };

  /** A DynamoDB client answering DescribeTable (unless `describe` throws) and an empty Scan; records the commands sent. */
  function fakeDynamoDb(describe: () => unknown = () => description) {
    const sent: string[] = [];
    const client = {
      send: async (command: { constructor: { name: string } }) => {
        const name = command.constructor.name;
        sent.push(name);
        if (name === 'DescribeTableCommand') return describe();
        if (name === 'ScanCommand') return { Items: [] };
        throw new Error(`unexpected ${name}`);
      },
    } as unknown as DynamoDBClient;
    return { client, sent };
  }

  const engine = (options: Partial<ScanReEncryptorOptions> & Pick<ScanReEncryptorOptions, 'client'>) =>
    new ScanReEncryptor({ table: 'orders', materialsProvider: freshStaticProvider(), classifier: () => true, ...options });

  async function segmentError(work: Promise<unknown>): Promise<ReEncryptSegmentError> {
    const error = await work.then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(ReEncryptSegmentError);
    return error as ReEncryptSegmentError;
  }

  it('a throttled DescribeTable stops it with ReEncryptSegmentError at the request\'s checkpoint (retried by the job); the next run asks again', async () => {
    let describes = 0;
    const { client, sent } = fakeDynamoDb(() => {
      if (++describes === 1) throw throttled('LimitExceededException');
      return description;
    });
    const reEncryptor = engine({ client });
    const error = await segmentError(reEncryptor.processSegment({ segment: 1, totalSegments: 4, exclusiveStartKey: checkpoint }));
    expect(error.lastEvaluatedKey).toEqual(checkpoint);
    expect(error.counts).toEqual(emptyCounts());
    expect((error.cause as Error).name).toBe('LimitExceededException');
    expect(error.message).toMatch(/segment 1 of 4.*LimitExceededException/);
    expect(error.message).not.toMatch(/secret/);
    expect(sent).toEqual(['DescribeTableCommand']);
    await expect(reEncryptor.processSegment({ segment: 1, totalSegments: 4, exclusiveStartKey: checkpoint })).resolves.toMatchObject({ lastEvaluatedKey: undefined });
    // From the start of the segment, the checkpoint to retry from is the start again.
    const fromStart = await segmentError(engine({ client: fakeDynamoDb(() => Promise.reject(throttled('ThrottlingException'))).client }).processSegment({ segment: 0, totalSegments: 1 }));
    expect(fromStart.lastEvaluatedKey).toBeUndefined();
  });

  it('a throttled classifier prepare (the MetaStore query, a KMS DescribeKey) stops it with ReEncryptSegmentError at the request\'s checkpoint', async () => {
    const store = { maxVersion: () => Promise.reject(throttled('ProvisionedThroughputExceededException')) } as unknown as ProviderStore;
    const { client, sent } = fakeDynamoDb();
    const metaStore = await segmentError(
      engine({ client, table: tableInfo, classifier: mostRecentVersionClassifier({ providerStore: store, materialName: 'orders' }) }).processSegment({
        segment: 0,
        totalSegments: 2,
        exclusiveStartKey: checkpoint,
      }),
    );
    expect(metaStore.lastEvaluatedKey).toEqual(checkpoint);
    expect(metaStore.counts).toEqual(emptyCounts());
    expect((metaStore.cause as Error).name).toBe('ProvisionedThroughputExceededException');
    expect(sent).toEqual([]); // nothing scanned

    const kmsClient = { send: () => Promise.reject(throttled('ThrottlingException')) } as unknown as KMSClient;
    const kms = await segmentError(
      engine({ client, table: tableInfo, classifier: kmsKeyClassifier({ keyId: 'alias/orders', kmsClient }) }).processSegment({ segment: 1, totalSegments: 2, exclusiveStartKey: checkpoint }),
    );
    expect(kms.lastEvaluatedKey).toEqual(checkpoint);
    expect((kms.cause as Error).name).toBe('ThrottlingException');

    // A provider whose refresh fails is a failure of the run too, not of the request.
    const provider = Object.assign(freshStaticProvider(), {
      refresh: () => {
        throw throttled('ProvisionedThroughputExceededException');
      },
    });
    const refresh = await segmentError(engine({ client, table: tableInfo, materialsProvider: provider }).processSegment({ segment: 0, totalSegments: 1, exclusiveStartKey: checkpoint }));
    expect(refresh.lastEvaluatedKey).toEqual(checkpoint);
  });

  it('a DynamoDB or KMS 5xx, a broken connection or a KMS that cannot be reached is retried too (ReEncryptSegmentError)', async () => {
    const serverError = Object.assign(new Error('internal'), { name: 'InternalServerError', $metadata: { httpStatusCode: 500 } });
    const describe = await segmentError(engine({ client: fakeDynamoDb(() => Promise.reject(serverError)).client }).processSegment({ segment: 0, totalSegments: 1, exclusiveStartKey: checkpoint }));
    expect(describe.cause).toBe(serverError);
    expect(describe.lastEvaluatedKey).toEqual(checkpoint);
    // Whatever its name, a 5xx answer.
    const unnamed503 = Object.assign(new Error('unavailable'), { name: 'UnknownError', $metadata: { httpStatusCode: 503 } });
    await segmentError(engine({ client: fakeDynamoDb(() => Promise.reject(unnamed503)).client }).processSegment({ segment: 0, totalSegments: 1 }));

    const { client } = fakeDynamoDb();
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const kmsClient = { send: () => Promise.reject(reset) } as unknown as KMSClient;
    const kms = await segmentError(engine({ client, table: tableInfo, classifier: kmsKeyClassifier({ keyId: 'alias/orders', kmsClient }) }).processSegment({ segment: 0, totalSegments: 1 }));
    expect(kms.cause).toBe(reset);
    const unreachable = new KmsError('cannot reach KMS at http://127.0.0.1:1 for Decrypt (ECONNREFUSED)', {}, { kmsErrorName: 'ECONNREFUSED' });
    const custom = { prepare: () => Promise.reject(unreachable), isCurrent: () => true };
    await segmentError(engine({ client, table: tableInfo, classifier: custom }).processSegment({ segment: 0, totalSegments: 1 }));
    const kmsThrottled = new KmsThrottlingError('KMS throttled', {});
    await segmentError(engine({ client, table: tableInfo, classifier: { prepare: () => Promise.reject(kmsThrottled), isCurrent: () => true } }).processSegment({ segment: 0, totalSegments: 1 }));
  });

  it('a failure that would fail the same way again (wrong table, access denied, bad configuration, a bug) is thrown as is, not retried', async () => {
    const notFound = Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 } });
    const { client, sent } = fakeDynamoDb(() => Promise.reject(notFound));
    await expect(engine({ client }).processSegment({ segment: 0, totalSegments: 1, exclusiveStartKey: checkpoint })).rejects.toBe(notFound);
    expect(sent).toEqual(['DescribeTableCommand']);
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    await expect(engine({ client: fakeDynamoDb(() => Promise.reject(denied)).client }).processSegment({ segment: 0, totalSegments: 1 })).rejects.toBe(denied);

    const working = fakeDynamoDb();
    const bug = new TypeError("Cannot read properties of undefined (reading 'Arn')");
    const classifier = { prepare: () => Promise.reject(bug), isCurrent: () => true };
    await expect(engine({ client: working.client, table: tableInfo, classifier }).processSegment({ segment: 0, totalSegments: 1 })).rejects.toBe(bug);
    expect(working.sent).toEqual([]); // nothing scanned

    const aliasNotFound = Object.assign(new Error('Alias not found'), { name: 'NotFoundException', $metadata: { httpStatusCode: 400 } });
    const kmsClient = { send: () => Promise.reject(aliasNotFound) } as unknown as KMSClient;
    await expect(
      engine({ client: working.client, table: tableInfo, classifier: kmsKeyClassifier({ keyId: 'alias/orders', kmsClient }) }).processSegment({ segment: 0, totalSegments: 1 }),
    ).rejects.toBe(aliasNotFound);
    // A library error (a bad MetaStore item, a missing argument) is about the configuration or the data.
    const invalid = new InvalidArgumentError('KMS DescribeKey returned no key ARN for the target alias');
    await expect(engine({ client: working.client, table: tableInfo, classifier: { prepare: () => Promise.reject(invalid), isCurrent: () => true } }).processSegment({ segment: 0, totalSegments: 1 })).rejects.toBe(invalid);
    // A KMS error that is about the request, not KMS being unavailable.
    const disabled = new KmsError('KMS Decrypt failed (DisabledException)', {}, { kmsErrorName: 'DisabledException' });
    await expect(engine({ client: working.client, table: tableInfo, classifier: { prepare: () => Promise.reject(disabled), isCurrent: () => true } }).processSegment({ segment: 0, totalSegments: 1 })).rejects.toBe(disabled);
  });

  it('bad input stays a ReEncryptRequestError (not retried), even while DescribeTable is throttled', async () => {
    const { client, sent } = fakeDynamoDb(() => Promise.reject(throttled('LimitExceededException')));
    await expect(engine({ client }).processSegment({ segment: 4, totalSegments: 4 })).rejects.toThrow(ReEncryptRequestError);
    expect(sent).toEqual([]);
    const working = fakeDynamoDb();
    const badCheckpoint = engine({ client: working.client }).processSegment({ segment: 0, totalSegments: 1, exclusiveStartKey: { pk: { S: 'secret-pk' } } });
    await expect(badCheckpoint).rejects.toThrow(ReEncryptRequestError);
    await expect(badCheckpoint).rejects.toThrow(/lacks the table's key attribute\(s\) "sk"/);
    expect(working.sent).toEqual(['DescribeTableCommand']);
  });
});
