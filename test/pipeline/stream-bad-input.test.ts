/**
 * Bad input to the stream fan-out: events that are not stream events at all (a typed error for
 * the whole invocation), malformed records (dead-lettered with the reason, later records still
 * delivered), records of a table the fan-out is not configured for, and missing configuration
 * (a ConfigurationError naming every missing variable). No backend is needed: SDK clients are
 * stubbed at their middleware, so what would be sent is observed without sending it.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { createStreamDecryptHandler, dependenciesFromEnvironment, handler } from '../../lambda/stream-decrypt';
import { observability } from '../../lambda/observability';
import { TableCrypto } from '../../src/encrypted/table-crypto';
import { TableInfo } from '../../src/encrypted/table-info';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { EnvironmentNames as Names } from '../../src/pipeline/environment-names';
import type { FanOutMessage, FanOutTarget } from '../../src/pipeline/fan-out-target';
import { ConfigurationError, readStreamConfig } from '../../src/pipeline/pipeline-config';
import { MalformedStreamEventError } from '../../src/pipeline/stream-errors';
import { StreamDecryptor } from '../../src/pipeline/stream-decryptor';
import { streamDecryptorFor } from '../../src/pipeline/stream-decryptor-from-config';
import { tableNameFromStreamArn } from '../../src/pipeline/stream-record';
import { freshStaticProvider } from '../support/fresh-static-provider';
import { syntheticStreamRecord } from '../support/stream-events';

const TABLE = 'orders';
const STREAM_ARN = `arn:aws:dynamodb:us-east-1:111122223333:table/${TABLE}/stream/2024-01-01T00:00:00.000`;
const SECRET = 'secret-value-0000-1111';

/** What `run` throws; fails the test when it throws nothing. */
function thrownBy(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, but nothing was thrown');
}

class MemoryTarget implements FanOutTarget {
  readonly description = 'memory';
  readonly messages: FanOutMessage[] = [];
  async deliver(message: FanOutMessage): Promise<void> {
    this.messages.push(message);
  }
  get bodies(): Array<Record<string, any>> {
    return this.messages.map((message) => JSON.parse(message.body));
  }
}

/** An SQS client that answers SendMessage itself and records the inputs. */
function stubbedSqs(): { client: SQSClient; sent: Array<{ QueueUrl: string; MessageBody: string }> } {
  const client = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const sent: Array<{ QueueUrl: string; MessageBody: string }> = [];
  client.middlewareStack.add(
    () => async (args) => {
      sent.push(args.input as { QueueUrl: string; MessageBody: string });
      return { output: { MessageId: String(sent.length), $metadata: {} }, response: {} } as never;
    },
    { step: 'initialize', name: 'answerLocally' },
  );
  return { client, sent };
}

describe('stream fan-out bad input', () => {
  const provider = freshStaticProvider();
  const table = new TableCrypto(new TableInfo({ name: TABLE, primaryIndex: { partition: 'pk', sort: 'sk' } }), provider, new AttributeActions());
  let good: DynamoDBStreamEvent['Records'][number];

  beforeAll(async () => {
    good = syntheticStreamRecord({
      eventID: 'good',
      eventName: 'INSERT',
      streamArn: STREAM_ARN,
      keys: { pk: { S: 'p' }, sk: { N: '1' } },
      newImage: await table.encrypt({ pk: { S: 'p' }, sk: { N: '1' }, value: { S: SECRET } }),
      sequenceNumber: '900',
    });
  });

  const recordWith = (changes: Record<string, unknown>, dynamodb: Record<string, unknown> = {}, sequence = '100') =>
    ({ ...good, eventID: `bad-${sequence}`, ...changes, dynamodb: { ...good.dynamodb, SequenceNumber: sequence, ...dynamodb } }) as typeof good;

  function decryptorWith(target: FanOutTarget, deadLetter: FanOutTarget): StreamDecryptor {
    return new StreamDecryptor({ tables: { tableCrypto: async () => table }, targets: [target], deadLetter, plaintextRecords: 'dead-letter' });
  }

  it('refuses an event without a Records array as a whole, with a typed error', async () => {
    const decryptor = decryptorWith(new MemoryTarget(), new MemoryTarget());
    for (const event of [{}, null, undefined, { Records: 'x' }, 'text']) {
      await expect(decryptor.process(event)).rejects.toBeInstanceOf(MalformedStreamEventError);
    }
    const lambda = createStreamDecryptHandler({ decryptor, ...observability('stream-decrypt') });
    await expect(lambda({} as DynamoDBStreamEvent)).rejects.toBeInstanceOf(MalformedStreamEventError);
  });

  it('dead-letters malformed records with the reason and keys, and delivers the records after them', async () => {
    const target = new MemoryTarget();
    const deadLetter = new MemoryTarget();
    const malformed = [
      recordWith({ eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:not-a-stream' }, {}, '101'),
      recordWith({ eventName: 'UPSERT' }, {}, '102'),
      recordWith({}, { NewImage: undefined }, '103'),
      recordWith({ eventName: 'MODIFY' }, { OldImage: undefined }, '104'),
      recordWith({}, { NewImage: { ...good.dynamodb?.NewImage, value: { B: 'not base64!' } } }, '105'),
      recordWith({}, { Keys: undefined }, '106'),
      recordWith({}, { NewImage: { ...good.dynamodb?.NewImage, value: { S: 42 } } }, '107'),
    ];
    const result = await decryptorWith(target, deadLetter).process({ Records: [...malformed, good] });
    expect(result.batchItemFailures).toEqual([]);
    expect(result.delivered).toBe(1);
    expect(deadLetter.bodies.map((body) => [body.sequenceNumber, body.errorName])).toEqual(
      ['101', '102', '103', '104', '105', '106', '107'].map((sequence) => [sequence, 'MalformedStreamRecordError']),
    );
    expect(deadLetter.bodies[0].reason).toContain('eventSourceARN');
    expect(deadLetter.bodies[2].reason).toContain('no NewImage');
    expect(deadLetter.bodies[4]).toMatchObject({ tableName: TABLE, keys: { pk: { S: 'p' }, sk: { N: '1' } } });
    expect(deadLetter.bodies[4].reason).toContain('"value"');
    for (const message of deadLetter.messages) expect(message.body).not.toContain(SECRET);
    expect(target.bodies.map((body) => body.newImage.value.S)).toEqual([SECRET]);
  });

  it('delivers a REMOVE without OldImage and a KEYS_ONLY record with their keys only', async () => {
    const target = new MemoryTarget();
    const remove = recordWith({ eventName: 'REMOVE' }, { NewImage: undefined }, '201');
    const keysOnly = recordWith({}, { NewImage: undefined, StreamViewType: 'KEYS_ONLY' }, '202');
    const result = await decryptorWith(target, new MemoryTarget()).process({ Records: [remove, keysOnly] });
    expect(result.delivered).toBe(2);
    expect(target.bodies).toEqual([
      { eventName: 'REMOVE', tableName: TABLE, keys: { pk: { S: 'p' }, sk: { N: '1' } }, sequenceNumber: '201', approximateCreationDateTime: 1_700_000_000 },
      { eventName: 'INSERT', tableName: TABLE, keys: { pk: { S: 'p' }, sk: { N: '1' } }, sequenceNumber: '202', approximateCreationDateTime: 1_700_000_000 },
    ]);
  });

  it('reports a record that has no sequence number with an empty identifier when it cannot be dead-lettered (Lambda then retries the batch)', async () => {
    const failing: FanOutTarget = { description: 'broken', deliver: () => Promise.reject(new Error('down')) };
    const result = await decryptorWith(new MemoryTarget(), failing).process({ Records: [recordWith({}, { SequenceNumber: undefined, NewImage: undefined })] });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '' }]);
  });

  it('reads the table from a stream ARN', () => {
    expect(tableNameFromStreamArn(STREAM_ARN)).toBe(TABLE);
    expect(tableNameFromStreamArn('arn:aws-cn:dynamodb:cn-north-1:1:table/a.b_c-d/stream/label')).toBe('a.b_c-d');
    expect(tableNameFromStreamArn(`arn:aws:dynamodb:ddblocal:000000000000:table/${TABLE}`)).toBeUndefined();
    expect(tableNameFromStreamArn(42)).toBeUndefined();
  });

  it('dead-letters records of a table the fan-out is not configured for, and names the reason', async () => {
    const { client: sqs, sent } = stubbedSqs();
    const config = readStreamConfig({
      [Names.TABLE_NAME]: 'other-table',
      [Names.PARTITION_KEY_NAME]: 'pk',
      [Names.SECONDARY_INDEXES]: 'none',
      [Names.SORT_KEY_NAME]: 'sk',
      [Names.MATERIALS]: 'direct-kms',
      [Names.KMS_KEY_ID]: 'arn:aws:kms:us-east-1:111122223333:key/unused',
      [Names.TARGET_QUEUE_URLS]: 'https://sqs.us-east-1.amazonaws.com/111122223333/target.fifo',
      [Names.DEAD_LETTER_QUEUE_URL]: 'https://sqs.us-east-1.amazonaws.com/111122223333/dead-letter',
    });
    const decryptor = streamDecryptorFor(
      config,
      { dynamoDb: new DynamoDBClient({ region: 'us-east-1' }), kms: new KMSClient({ region: 'us-east-1' }), sqs, sns: new SNSClient({ region: 'us-east-1' }), eventBridge: new EventBridgeClient({ region: 'us-east-1' }) },
      { materialsProvider: provider },
    );
    const result = await decryptor.process({ Records: [good] });
    expect(result.batchItemFailures).toEqual([]);
    expect(sent).toHaveLength(1);
    expect(sent[0].QueueUrl).toMatch(/dead-letter$/);
    expect(JSON.parse(sent[0].MessageBody)).toMatchObject({ errorName: 'InvalidArgumentError', tableName: TABLE, reason: expect.stringContaining('other-table') });
  });

  it('fails with a ConfigurationError naming every missing setting', async () => {
    expect(() => dependenciesFromEnvironment({})).toThrow(ConfigurationError);
    const error = thrownBy(() => dependenciesFromEnvironment({ [Names.TABLE_NAME]: TABLE }));
    expect(error).toBeInstanceOf(ConfigurationError);
    const problems = (error as ConfigurationError).problems.join('\n');
    for (const name of [Names.MATERIALS, Names.KMS_KEY_ID, Names.DEAD_LETTER_QUEUE_URL, Names.TARGET_QUEUE_URLS]) expect(problems).toContain(name);
    // Only what is missing: the table name was given.
    expect(problems).not.toContain(Names.TABLE_NAME);
    // The deployed handler, with no DDBEC_* variable set, fails every invocation the same way.
    const saved = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('DDBEC_')));
    for (const name of Object.keys(saved)) delete process.env[name];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await expect(handler({ Records: [good] })).rejects.toBeInstanceOf(ConfigurationError);
      await expect(handler({ Records: [good] })).rejects.toBeInstanceOf(ConfigurationError);
    } finally {
      write.mockRestore();
      out.mockRestore();
      Object.assign(process.env, saved);
    }
  });
});
