/**
 * The decrypted stream fan-out end to end on local backends: items written through
 * EncryptedClient (Direct KMS on the local KMS) to a DynamoDB Local table with a stream; the
 * REAL stream records read with GetRecords and shaped as Lambda delivers them; the Lambda handler
 * (configured from environment variables, as deployed) delivering to moto's SQS (standard and
 * FIFO), SNS (observed through a subscribed queue) and EventBridge (a rule targeting a queue).
 * Covers in-order delivery per item, a tampered item dead-lettered without its values while
 * later records still go through, both plaintext policies, a failing target and a KMS outage
 * reported as batchItemFailures from the right record, a KMS denial retried but a record under a
 * foreign key dead-lettered, and log lines free of plaintext.
 */
import { DeleteTableCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { _Record as StreamsRecord } from '@aws-sdk/client-dynamodb-streams';
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { createStreamDecryptHandler, type StreamDecryptHandler } from '../../lambda/stream-decrypt';
import { observability } from '../../lambda/observability';
import { EncryptedClient } from '../../src/encrypted/encrypted-client';
import { TableInfo } from '../../src/encrypted/table-info';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import { EnvironmentNames as Names } from '../../src/pipeline/environment-names';
import { readStreamConfig } from '../../src/pipeline/pipeline-config';
import { streamDecryptorFor } from '../../src/pipeline/stream-decryptor-from-config';
import { STREAM_EVENT_SOURCE } from '../../src/pipeline/fan-out-eventbridge';
import { AwsKmsMaterialsProvider } from '../../src/providers/aws-kms-provider';
import { localDynamoDbClient, localKmsClient, uniqueName } from '../support/local-aws';
import { createStreamTable, lambdaStreamEvent, readStreamRecords } from '../support/stream-events';

// Secret-looking values: none may appear in a log line or a dead-letter message.
const SECRET_A = 'card-4111-1111-1111-1111-SECRET-A';
const SECRET_D = 'card-5500-0000-0000-0004-SECRET-D';
const PLAINTEXT_SECRET = 'plaintext-ssn-078-05-1120-SECRET-C';

// Messages as parsed JSON, navigated freely in assertions.
type Json = Record<string, any>;

/**
 * The local KMS, except that Decrypt of an item's data key fails with what `failure` returns for
 * the item's partition key (and the KeyId asked for); undefined lets the call through.
 */
function kmsFailingDecrypt(failure: (pk: string | undefined, keyId: string | undefined) => Error | undefined): KMSClient {
  const client = localKmsClient();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { EncryptionContext?: Record<string, string>; KeyId?: string };
      const error = context.commandName === 'DecryptCommand' ? failure(input.EncryptionContext?.pk, input.KeyId) : undefined;
      if (error !== undefined) throw error;
      return next(args);
    },
    { step: 'initialize', name: 'kmsFailingDecrypt' },
  );
  return client;
}

/** An error as the SDK rejects with for a KMS service answer. */
function kmsServiceError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

describe('decrypted stream fan-out on DynamoDB Local + moto', () => {
  let dynamoDb: DynamoDBClient;
  let kms: KMSClient;
  const sqs = new SQSClient({});
  const sns = new SNSClient({});
  const eventBridge = new EventBridgeClient({});
  let keyArn: string;
  let tableName: string;
  let streamArn: string;
  let records: StreamsRecord[];
  let event: DynamoDBStreamEvent;

  const logLines: string[] = [];
  let restoreOutput: () => void;

  async function createQueue(name: string, fifo = false): Promise<{ url: string; arn: string }> {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: fifo ? `${name}.fifo` : name, Attributes: fifo ? { FifoQueue: 'true' } : undefined }),
    );
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    return { url: QueueUrl as string, arn: Attributes?.QueueArn as string };
  }

  /** Every message in the queue, in the order received; each is deleted so FIFO groups move on. */
  async function drain(queueUrl: string): Promise<string[]> {
    const bodies: string[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) return bodies;
      bodies.push(...Messages.map((message) => message.Body as string));
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
    }
  }

  function environment(overrides: Record<string, string>): Record<string, string> {
    return {
      [Names.TABLE_NAME]: tableName,
      [Names.PARTITION_KEY_NAME]: 'pk',
      [Names.SECONDARY_INDEXES]: 'none',
      [Names.SORT_KEY_NAME]: 'sk',
      [Names.MATERIALS]: 'direct-kms',
      [Names.KMS_KEY_ID]: keyArn,
      [Names.ATTRIBUTE_ACTIONS]: JSON.stringify({ default: 'ENCRYPT_AND_SIGN', attributes: { note: 'SIGN_ONLY' } }),
      ...overrides,
    };
  }

  /** The handler exactly as the Lambda builds it, from environment variables, with the given clients. */
  function handlerFor(env: Record<string, string>, clients: { sqs?: SQSClient; kms?: KMSClient } = {}): StreamDecryptHandler {
    const decryptor = streamDecryptorFor(readStreamConfig(env), { dynamoDb, kms: clients.kms ?? kms, sqs: clients.sqs ?? sqs, sns, eventBridge });
    return createStreamDecryptHandler({ decryptor, ...observability('stream-decrypt') });
  }

  const item = (pk: string, card: string, note: string) => ({ pk: { S: pk }, sk: { N: '1' }, card: { S: card }, note: { S: note } });
  const keysOf = (pk: string) => ({ pk: { S: pk }, sk: { N: '1' } });

  beforeAll(async () => {
    dynamoDb = localDynamoDbClient();
    kms = localKmsClient();
    keyArn = (await kms.send(new CreateKeyCommand({ Description: 'stream fan-out tests' }))).KeyMetadata?.Arn as string;
    tableName = uniqueName('stream-fan-out');
    streamArn = await createStreamTable(dynamoDb, tableName);

    const encrypted = new EncryptedClient({
      client: dynamoDb,
      materialsProvider: new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: kms }),
      attributeActions: new AttributeActions({ defaultAction: CryptoAction.ENCRYPT_AND_SIGN, attributeActions: { note: CryptoAction.SIGN_ONLY } }),
      tableInfos: [new TableInfo({ name: tableName, primaryIndex: { partition: 'pk', sort: 'sk' } })],
    });
    // 0 INSERT a, 1 INSERT b, 2 MODIFY a, 3 REMOVE b, 4 INSERT c (plaintext), 5 INSERT d,
    // 6 MODIFY d (tampered), 7 INSERT e, 8 MODIFY a.
    await encrypted.putItem({ TableName: tableName, Item: item('a', SECRET_A, 'a-v1') });
    await encrypted.putItem({ TableName: tableName, Item: item('b', 'card-b', 'b-v1') });
    await encrypted.putItem({ TableName: tableName, Item: item('a', SECRET_A, 'a-v2') });
    await encrypted.deleteItem({ TableName: tableName, Key: keysOf('b') });
    await dynamoDb.send(new PutItemCommand({ TableName: tableName, Item: item('c', PLAINTEXT_SECRET, 'c-v1') }));
    await encrypted.putItem({ TableName: tableName, Item: item('d', SECRET_D, 'd-v1') });
    // Tampering: one flipped byte of d's ciphertext, written around the encryption client.
    const { Item: stored } = await dynamoDb.send(new GetItemCommand({ TableName: tableName, Key: keysOf('d') }));
    const ciphertext = Uint8Array.from(stored?.card.B as Uint8Array);
    ciphertext[ciphertext.length - 1] ^= 0x01;
    await dynamoDb.send(new PutItemCommand({ TableName: tableName, Item: { ...stored, card: { B: ciphertext } } }));
    await encrypted.putItem({ TableName: tableName, Item: item('e', 'card-e', 'e-v1') });
    await encrypted.putItem({ TableName: tableName, Item: item('a', SECRET_A, 'a-v3') });

    records = await readStreamRecords(streamArn);
    event = lambdaStreamEvent(records, streamArn);

    // Every line written to stdout/stderr during the tests (Powertools logs and EMF metrics go
    // there). JSON lines are kept from the console to keep the test output readable.
    const capture = (stream: NodeJS.WriteStream) => {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        const text = String(chunk);
        logLines.push(...text.split('\n').filter((line) => line !== ''));
        if (text.startsWith('{')) return true;
        return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      return () => {
        stream.write = original;
      };
    };
    const restoreStdout = capture(process.stdout);
    const restoreStderr = capture(process.stderr);
    restoreOutput = () => {
      restoreStdout();
      restoreStderr();
    };
  });

  afterAll(async () => {
    restoreOutput?.();
    await dynamoDb.send(new DeleteTableCommand({ TableName: tableName }));
  });

  it('reads real stream records shaped as Lambda delivers them', () => {
    expect(records.map((record) => `${record.eventName}:${record.dynamodb?.Keys?.pk.S}`)).toEqual([
      'INSERT:a', 'INSERT:b', 'MODIFY:a', 'REMOVE:b', 'INSERT:c', 'INSERT:d', 'MODIFY:d', 'INSERT:e', 'MODIFY:a',
    ]);
    const first = event.Records[0];
    expect(first).toMatchObject({ eventVersion: '1.1', eventSource: 'aws:dynamodb', eventSourceARN: streamArn, awsRegion: expect.any(String) });
    expect(first.dynamodb).toMatchObject({ StreamViewType: 'NEW_AND_OLD_IMAGES', Keys: keysOf('a'), SequenceNumber: expect.any(String) });
    expect(typeof first.dynamodb?.ApproximateCreationDateTime).toBe('number');
    expect(typeof first.dynamodb?.NewImage?.card.B).toBe('string'); // ciphertext, base64 as Lambda gives binary
    expect(first.dynamodb?.OldImage).toBeUndefined();
  });

  it('delivers decrypted records in order to SQS standard and FIFO, SNS and EventBridge, dead-lettering the tampered and plaintext ones', async () => {
    const run = uniqueName('fan');
    const standard = await createQueue(`${run}-standard`);
    const fifo = await createQueue(`${run}-ordered`, true);
    const deadLetter = await createQueue(`${run}-dead-letter`);
    const snsObserver = await createQueue(`${run}-sns`);
    const busObserver = await createQueue(`${run}-bus`);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: `${run}-topic` }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: snsObserver.arn, Attributes: { RawMessageDelivery: 'true' } }));
    const busName = `${run}-bus`;
    await eventBridge.send(new CreateEventBusCommand({ Name: busName }));
    await eventBridge.send(new PutRuleCommand({ Name: `${run}-rule`, EventBusName: busName, EventPattern: JSON.stringify({ source: [STREAM_EVENT_SOURCE] }) }));
    await eventBridge.send(new PutTargetsCommand({ Rule: `${run}-rule`, EventBusName: busName, Targets: [{ Id: 'observer', Arn: busObserver.arn }] }));

    const handler = handlerFor(
      environment({
        [Names.TARGET_QUEUE_URLS]: `${standard.url},${fifo.url}`,
        [Names.TARGET_TOPIC_ARNS]: TopicArn as string,
        [Names.TARGET_EVENT_BUS_NAMES]: busName,
        [Names.DEAD_LETTER_QUEUE_URL]: deadLetter.url,
        [Names.PLAINTEXT_RECORDS]: 'dead-letter',
      }),
    );
    const response = await handler(event);
    expect(response).toEqual({ batchItemFailures: [] });

    const delivered = [0, 1, 2, 3, 5, 7, 8].map((index) => records[index].dynamodb?.SequenceNumber);
    const summary = (message: Json) => `${message.eventName}:${message.keys.pk.S}:${(message.newImage ?? message.oldImage).note.S}`;
    const expected = ['INSERT:a:a-v1', 'INSERT:b:b-v1', 'MODIFY:a:a-v2', 'REMOVE:b:b-v1', 'INSERT:d:d-v1', 'INSERT:e:e-v1', 'MODIFY:a:a-v3'];

    const fromFifo = (await drain(fifo.url)).map((body) => JSON.parse(body) as Json);
    const fromStandard = (await drain(standard.url)).map((body) => JSON.parse(body) as Json);
    const fromSns = (await drain(snsObserver.url)).map((body) => JSON.parse(body) as Json);
    const fromBus = (await drain(busObserver.url)).map((body) => JSON.parse(body) as Json);
    for (const messages of [fromFifo, fromStandard, fromSns, fromBus.map((envelope) => envelope.detail)]) {
      expect(messages.map(summary)).toEqual(expected);
      expect(messages.map((message) => message.sequenceNumber)).toEqual(delivered);
    }
    // The whole message: decrypted values in DynamoDB JSON, both images of a MODIFY, the old image of a REMOVE.
    expect(fromFifo[2]).toEqual({
      eventName: 'MODIFY',
      tableName,
      keys: keysOf('a'),
      newImage: item('a', SECRET_A, 'a-v2'),
      oldImage: item('a', SECRET_A, 'a-v1'),
      sequenceNumber: records[2].dynamodb?.SequenceNumber,
      approximateCreationDateTime: event.Records[2].dynamodb?.ApproximateCreationDateTime,
    });
    expect(fromFifo[3]).toMatchObject({ eventName: 'REMOVE', keys: keysOf('b'), oldImage: item('b', 'card-b', 'b-v1') });
    expect(fromFifo[3].newImage).toBeUndefined();
    expect(fromBus[0]).toMatchObject({ source: STREAM_EVENT_SOURCE, 'detail-type': 'INSERT' });

    const deadLetters = await drain(deadLetter.url);
    expect(deadLetters.map((body) => JSON.parse(body))).toEqual([
      {
        reason: expect.stringContaining('not encrypted'),
        errorName: 'PlaintextRecordError',
        tableName,
        eventName: 'INSERT',
        keys: keysOf('c'),
        eventID: records[4].eventID,
        sequenceNumber: records[4].dynamodb?.SequenceNumber,
      },
      {
        reason: expect.stringContaining('signature'),
        errorName: 'SignatureVerificationError',
        tableName,
        eventName: 'MODIFY',
        keys: keysOf('d'),
        eventID: records[6].eventID,
        sequenceNumber: records[6].dynamodb?.SequenceNumber,
      },
    ]);
    for (const body of deadLetters) {
      expect(body).not.toContain(PLAINTEXT_SECRET);
      expect(body).not.toContain(SECRET_D);
      expect(body).not.toContain('c-v1');
      expect(body).not.toContain('d-v1');
    }
  });

  it('passes plaintext records through when the policy says so', async () => {
    const run = uniqueName('pass');
    const target = await createQueue(`${run}-target`);
    const deadLetter = await createQueue(`${run}-dead-letter`);
    const handler = handlerFor(
      environment({ [Names.TARGET_QUEUE_URLS]: target.url, [Names.DEAD_LETTER_QUEUE_URL]: deadLetter.url, [Names.PLAINTEXT_RECORDS]: 'pass-through' }),
    );
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    const messages = (await drain(target.url)).map((body) => JSON.parse(body) as Json);
    expect(messages.map((message) => message.keys.pk.S)).toEqual(['a', 'b', 'a', 'b', 'c', 'd', 'e', 'a']);
    expect(messages[4]).toMatchObject({ eventName: 'INSERT', newImage: item('c', PLAINTEXT_SECRET, 'c-v1'), unverifiedImages: ['newImage'] });
    expect(messages.filter((message) => message.unverifiedImages !== undefined)).toHaveLength(1);
    // The tampered record still goes to the dead-letter queue whatever the plaintext policy.
    expect((await drain(deadLetter.url)).map((body) => JSON.parse(body).errorName)).toEqual(['SignatureVerificationError']);
  });

  it('delivers the first encrypted write of a plaintext item without its plaintext OldImage, and dead-letters a downgrade to plaintext under either policy', async () => {
    const run = uniqueName('modify');
    const backfillTable = uniqueName('stream-backfill');
    const backfillStream = await createStreamTable(dynamoDb, backfillTable);
    try {
      const encrypted = new EncryptedClient({
        client: dynamoDb,
        materialsProvider: new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: kms }),
        attributeActions: new AttributeActions({ defaultAction: CryptoAction.ENCRYPT_AND_SIGN, attributeActions: { note: CryptoAction.SIGN_ONLY } }),
        tableInfos: [new TableInfo({ name: backfillTable, primaryIndex: { partition: 'pk', sort: 'sk' } })],
      });
      // 0 INSERT f (plaintext), 1 MODIFY f (encrypted over plaintext: a backfill), 2 MODIFY f
      // (plaintext over encrypted: a downgrade), 3 INSERT g (encrypted).
      await dynamoDb.send(new PutItemCommand({ TableName: backfillTable, Item: item('f', PLAINTEXT_SECRET, 'f-v1') }));
      await encrypted.putItem({ TableName: backfillTable, Item: item('f', SECRET_A, 'f-v2') });
      await dynamoDb.send(new PutItemCommand({ TableName: backfillTable, Item: item('f', PLAINTEXT_SECRET, 'f-v3') }));
      await encrypted.putItem({ TableName: backfillTable, Item: item('g', SECRET_D, 'g-v1') });
      const modifyRecords = await readStreamRecords(backfillStream);
      expect(modifyRecords.map((record) => record.eventName)).toEqual(['INSERT', 'MODIFY', 'MODIFY', 'INSERT']);
      const modifyEvent = lambdaStreamEvent(modifyRecords, backfillStream);

      for (const policy of ['dead-letter', 'pass-through'] as const) {
        const target = await createQueue(`${run}-${policy}-target`);
        const deadLetter = await createQueue(`${run}-${policy}-dead-letter`);
        const handler = handlerFor(
          environment({ [Names.TABLE_NAME]: backfillTable, [Names.TARGET_QUEUE_URLS]: target.url, [Names.DEAD_LETTER_QUEUE_URL]: deadLetter.url, [Names.PLAINTEXT_RECORDS]: policy }),
        );
        expect(await handler(modifyEvent)).toEqual({ batchItemFailures: [] });
        const messages = (await drain(target.url)).map((body) => JSON.parse(body) as Json);
        const deadLetters = (await drain(deadLetter.url)).map((body) => JSON.parse(body) as Json);
        const backfill = messages.find((message) => message.sequenceNumber === modifyRecords[1].dynamodb?.SequenceNumber);
        expect(backfill).toMatchObject({ eventName: 'MODIFY', newImage: item('f', SECRET_A, 'f-v2'), unverifiedImages: ['oldImage'] });
        if (policy === 'dead-letter') {
          expect(backfill?.oldImage).toBeUndefined();
          expect(messages.map((message) => message.newImage.note.S)).toEqual(['f-v2', 'g-v1']);
          expect(deadLetters.map((message) => message.errorName)).toEqual(['PlaintextRecordError', 'EncryptionDowngradeError']);
        } else {
          expect(backfill?.oldImage).toEqual(item('f', PLAINTEXT_SECRET, 'f-v1'));
          expect(messages.map((message) => message.newImage.note.S)).toEqual(['f-v1', 'f-v2', 'g-v1']);
          expect(deadLetters.map((message) => message.errorName)).toEqual(['EncryptionDowngradeError']);
        }
        expect(messages.find((message) => message.newImage.note.S === 'g-v1')?.unverifiedImages).toBeUndefined();
        const downgrade = deadLetters.find((message) => message.errorName === 'EncryptionDowngradeError');
        expect(downgrade).toMatchObject({ eventName: 'MODIFY', keys: keysOf('f'), sequenceNumber: modifyRecords[2].dynamodb?.SequenceNumber });
        expect(downgrade?.reason).toContain('an encrypted item was replaced by a plaintext one');
        expect(JSON.stringify(deadLetters)).not.toContain(PLAINTEXT_SECRET);
      }
    } finally {
      await dynamoDb.send(new DeleteTableCommand({ TableName: backfillTable }));
    }
  });

  it('stops at a failing delivery and reports that record and every later one, so the retry skips nothing', async () => {
    const run = uniqueName('fail');
    const target = await createQueue(`${run}-target`);
    const deadLetter = await createQueue(`${run}-dead-letter`);
    // SendMessage to the target fails once, for the 3rd record's message.
    const failing = new SQSClient({});
    let targetSends = 0;
    failing.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { QueueUrl?: string };
        if (context.commandName === 'SendMessageCommand' && input.QueueUrl === target.url) {
          targetSends += 1;
          if (targetSends === 3) throw Object.assign(new Error('injected outage'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
        }
        return next(args);
      },
      { step: 'initialize', name: 'failThirdSend' },
    );
    const env = environment({ [Names.TARGET_QUEUE_URLS]: target.url, [Names.DEAD_LETTER_QUEUE_URL]: deadLetter.url });
    const handler = handlerFor(env, { sqs: failing });

    const response = await handler(event);
    const sequenceNumbers = event.Records.map((record) => record.dynamodb?.SequenceNumber as string);
    expect(response.batchItemFailures).toEqual(sequenceNumbers.slice(2).map((itemIdentifier) => ({ itemIdentifier })));
    expect((await drain(target.url)).map((body) => JSON.parse(body).sequenceNumber)).toEqual(sequenceNumbers.slice(0, 2));

    // Lambda's retry starts at the lowest reported sequence number.
    const retry = { Records: event.Records.filter((record) => BigInt(record.dynamodb?.SequenceNumber as string) >= BigInt(sequenceNumbers[2])) };
    expect(await handler(retry)).toEqual({ batchItemFailures: [] });
    expect((await drain(target.url)).map((body) => JSON.parse(body).sequenceNumber)).toEqual([2, 3, 5, 7, 8].map((index) => sequenceNumbers[index]));
    expect(await drain(deadLetter.url)).toHaveLength(2);
    expect(logLines.some((line) => line.includes('ServiceUnavailable'))).toBe(true);
  });

  it('reports every record when the target queue does not exist, and a missing dead-letter queue blocks at the bad record', async () => {
    const run = uniqueName('missing');
    const target = await createQueue(`${run}-target`);
    const deadLetter = await createQueue(`${run}-dead-letter`);
    const missingUrl = target.url.replace(/[^/]+$/, `${run}-does-not-exist`);
    const sequenceNumbers = event.Records.map((record) => record.dynamodb?.SequenceNumber as string);

    const noTarget = handlerFor(environment({ [Names.TARGET_QUEUE_URLS]: missingUrl, [Names.DEAD_LETTER_QUEUE_URL]: deadLetter.url }));
    expect((await noTarget(event)).batchItemFailures).toEqual(sequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })));

    const noDeadLetter = handlerFor(environment({ [Names.TARGET_QUEUE_URLS]: target.url, [Names.DEAD_LETTER_QUEUE_URL]: missingUrl }));
    // Record 4 (plaintext) must be dead-lettered, which fails: records 0-3 are done, 4 onwards are retried.
    expect((await noDeadLetter(event)).batchItemFailures).toEqual(sequenceNumbers.slice(4).map((itemIdentifier) => ({ itemIdentifier })));
    expect(await drain(target.url)).toHaveLength(4);
  });

  it('retries a record KMS cannot decrypt for now instead of dead-lettering it', async () => {
    const run = uniqueName('kms');
    const target = await createQueue(`${run}-target`);
    const deadLetter = await createQueue(`${run}-dead-letter`);
    // KMS is unreachable for item e's data key.
    const flakyKms = kmsFailingDecrypt((pk) => (pk === 'e' ? Object.assign(new Error('connect ECONNREFUSED'), { name: 'Error', code: 'ECONNREFUSED' }) : undefined));
    const handler = handlerFor(environment({ [Names.TARGET_QUEUE_URLS]: target.url, [Names.DEAD_LETTER_QUEUE_URL]: deadLetter.url }), { kms: flakyKms });
    const sequenceNumbers = event.Records.map((record) => record.dynamodb?.SequenceNumber as string);
    expect((await handler(event)).batchItemFailures).toEqual(sequenceNumbers.slice(7).map((itemIdentifier) => ({ itemIdentifier })));
    expect(await drain(target.url)).toHaveLength(5);
    expect((await drain(deadLetter.url)).map((body) => JSON.parse(body).errorName)).toEqual(['PlaintextRecordError', 'SignatureVerificationError']);
  });

  it('retries, never dead-letters, when KMS denies Decrypt in strict mode (a lost role, grant or key policy)', async () => {
    const run = uniqueName('kms-denied');
    const target = await createQueue(`${run}-target`);
    const deadLetter = await createQueue(`${run}-dead-letter`);
    // The function's role lost kms:Decrypt on the table's key: KMS denies every Decrypt.
    const deniedKms = kmsFailingDecrypt((_pk, keyId) =>
      kmsServiceError('AccessDeniedException', `User: arn:aws:sts::123456789012:assumed-role/stream-decrypt is not authorized to perform: kms:Decrypt on resource: ${keyId}`),
    );
    // Strict mode, as the construct always deploys it.
    const env = environment({ [Names.TARGET_QUEUE_URLS]: target.url, [Names.DEAD_LETTER_QUEUE_URL]: deadLetter.url, [Names.ALLOWED_KMS_KEY_IDS]: keyArn });
    const handler = handlerFor(env, { kms: deniedKms });
    const sequenceNumbers = event.Records.map((record) => record.dynamodb?.SequenceNumber as string);
    // Record 0 already needs Decrypt: it and every later record go back to Lambda, none is lost.
    expect((await handler(event)).batchItemFailures).toEqual(sequenceNumbers.map((itemIdentifier) => ({ itemIdentifier })));
    expect(await drain(target.url)).toEqual([]);
    expect(await drain(deadLetter.url)).toEqual([]);
    expect(logLines.some((line) => line.includes('AccessDeniedException'))).toBe(true);

    // Once access is back, the same batch goes through, its bad records dead-lettered as usual.
    const restored = handlerFor(env);
    expect(await restored(event)).toEqual({ batchItemFailures: [] });
    expect((await drain(deadLetter.url)).map((body) => JSON.parse(body).errorName)).toEqual(['PlaintextRecordError', 'SignatureVerificationError']);
  });

  it("dead-letters, keys only, a record whose data key KMS says another account's key wrapped, and delivers the later records", async () => {
    const run = uniqueName('kms-foreign');
    const target = await createQueue(`${run}-target`);
    const deadLetter = await createQueue(`${run}-dead-letter`);
    // Item b's data key was planted under someone else's key: real KMS's answer is an
    // AccessDeniedException about the ciphertext, not about this caller's rights to the key.
    const foreignKms = kmsFailingDecrypt((pk) =>
      pk === 'b'
        ? kmsServiceError('AccessDeniedException', 'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.')
        : undefined,
    );
    const env = environment({ [Names.TARGET_QUEUE_URLS]: target.url, [Names.DEAD_LETTER_QUEUE_URL]: deadLetter.url, [Names.ALLOWED_KMS_KEY_IDS]: keyArn });
    const handler = handlerFor(env, { kms: foreignKms });
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    // b's records (1 INSERT, 3 REMOVE) are dead-lettered; every other good record is delivered, in order.
    expect((await drain(target.url)).map((body) => JSON.parse(body).sequenceNumber)).toEqual(
      [0, 2, 5, 7, 8].map((index) => records[index].dynamodb?.SequenceNumber),
    );
    const deadLetters = (await drain(deadLetter.url)).map((body) => JSON.parse(body) as Json);
    expect(deadLetters.map((message) => message.errorName)).toEqual(['UnwrappingError', 'UnwrappingError', 'PlaintextRecordError', 'SignatureVerificationError']);
    for (const [position, index] of [[0, 1], [1, 3]]) {
      expect(deadLetters[position]).toEqual({
        reason: expect.stringContaining('another key wrapped it'),
        errorName: 'UnwrappingError',
        tableName,
        eventName: records[index].eventName,
        keys: keysOf('b'),
        eventID: records[index].eventID,
        sequenceNumber: records[index].dynamodb?.SequenceNumber,
      });
    }
    expect(JSON.stringify(deadLetters.slice(0, 2))).not.toContain('card-b');
    expect(JSON.stringify(deadLetters.slice(0, 2))).not.toContain('b-v1');
  });

  it('wrote log lines and metrics, none holding a plaintext value', () => {
    expect(logLines.some((line) => line.includes('stream batch processed'))).toBe(true);
    expect(logLines.some((line) => line.includes('record sent to the dead-letter queue'))).toBe(true);
    expect(logLines.some((line) => line.includes('RecordsDelivered'))).toBe(true);
    for (const line of logLines) {
      for (const secret of [SECRET_A, SECRET_D, PLAINTEXT_SECRET, 'card-b', 'card-e', 'a-v1', 'a-v2', 'c-v1', 'd-v1', 'f-v1', 'f-v3']) {
        expect(line).not.toContain(secret);
      }
    }
  });
});
