/**
 * `npm start`: the whole system, end to end, on this machine.
 *
 * Starts DynamoDB Local and the local KMS/SQS (unless already given through AWS_ENDPOINT_URL_*),
 * creates what EncryptedTableConstruct would (an orders table with a NEW_AND_OLD_IMAGES stream,
 * a KMS key, a MetaStore, a FIFO target queue and a dead-letter queue, and the handlers'
 * DDBEC_* environment, written by the construct's own code), then runs the real Lambda handlers
 * in process with events shaped as Lambda delivers them:
 *
 * 1. ingest: sample orders arrive as SQS batches and one Function URL POST;
 * 2. one stored item, raw (ciphertext) and decrypted;
 * 3. rotation: KMS rotates the key, and the re-encryption handler makes a new MetaStore version;
 * 4. re-encryption: parallel scan segments, each a loop of invocations resumed from checkpoints;
 * 5. the table's real stream, in batches of 100, through the stream handler to the FIFO queue;
 *
 * and prints a summary. Exits 0 only when every ingested item was re-encrypted and its changes
 * were delivered decrypted. Ctrl-C stops it and the backends it started.
 */
import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, waitUntilTableExists, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateKeyCommand, KMSClient, RotateKeyOnDemandCommand } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { createIngestHandler } from '../../lambda/ingest';
import { createReEncryptSegmentHandler } from '../../lambda/reencrypt-segment';
import { createStreamDecryptHandler } from '../../lambda/stream-decrypt';
import { commonEnvironment, ingestEnvironment, reEncryptEnvironment, streamEnvironment } from '../../lib/pipeline-environment';
import { EncryptedTable } from '../../src/encrypted/encrypted-table';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import { materialsProviderFor } from '../../src/pipeline/materials-from-config';
import { readIngestConfig, readStreamConfig } from '../../src/pipeline/pipeline-config';
import { addCounts, emptyCounts } from '../../src/pipeline/reencrypt-counts';
import { deliveredStreamRecord, readStreamRecords } from '../../src/pipeline/stream-event-source';
import { streamDecryptorFor } from '../../src/pipeline/stream-decryptor-from-config';
import { MetaStore } from '../../src/providers/meta-store';
import { startLocalAws, stopOnSignals, type LocalAwsBackends } from '../local-aws';
import { functionUrlPost, lambdaContext, sqsEvent } from './lambda-events';
import { progress } from './progress';
import { sampleOrders, type SampleOrder } from './sample-orders';

const ORDERS = Number(process.env.START_ORDERS ?? 2000);
const ORDERS_PER_MESSAGE = 5;
const MESSAGES_PER_BATCH = 10;
const SEGMENTS = 4;
const STREAM_BATCH_SIZE = 100;
/** The re-encryption Lambda's simulated timeout: short, so segments go from checkpoint to checkpoint. */
const REENCRYPT_INVOCATION_MS = 1500;
/** Backends of our own start empty; shared ones (AWS_ENDPOINT_URL_*) get names no earlier run took. */
const NAME_SUFFIX = process.env.AWS_ENDPOINT_URL_DYNAMODB === undefined ? '' : `-${randomBytes(4).toString('hex')}`;
const TABLE = `orders${NAME_SUFFIX}`;
const META_STORE = `orders-meta-store${NAME_SUFFIX}`;

interface Summary {
  ingested: number;
  rejected: number;
  reencrypted: number;
  reencryptFailures: number;
  reencryptInvocations: number;
  streamRecords: number;
  delivered: number;
  deadLettered: number;
  streamRetries: number;
  messagesInQueue: number;
  kmsCalls: number;
}

async function main(): Promise<number> {
  const started = Date.now();
  const backends = await localBackends();
  const releaseSignals = backends === undefined ? undefined : stopOnSignals(backends, (signal) => process.stdout.write(`\n${signal}: stopping the local backends...\n`));
  try {
    return await run(started);
  } finally {
    releaseSignals?.();
    await backends?.stop();
  }
}

async function localBackends(): Promise<LocalAwsBackends | undefined> {
  if (process.env.AWS_ENDPOINT_URL_DYNAMODB !== undefined) {
    console.log(`Using the backends of AWS_ENDPOINT_URL_* (${process.env.AWS_ENDPOINT_URL_DYNAMODB})`);
    return undefined;
  }
  console.log('Starting DynamoDB Local and the local KMS/SQS...');
  const backends = await startLocalAws();
  Object.assign(process.env, backends.env);
  return backends;
}

async function run(started: number): Promise<number> {
  // The handlers' own logs: warnings and errors only, and no metric lines, to keep the story readable.
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const quiet = (serviceName: string) => ({ logger: new Logger({ serviceName, logLevel: 'WARN' }), metrics: new Metrics({ serviceName, namespace: 'DynamoDbEncryption' }) });
  const summary: Summary = { ingested: 0, rejected: 0, reencrypted: 0, reencryptFailures: 0, reencryptInvocations: 0, streamRecords: 0, delivered: 0, deadLettered: 0, streamRetries: 0, messagesInQueue: 0, kmsCalls: 0 };

  const dynamoDb = new DynamoDBClient({});
  const kms = new KMSClient({});
  kms.middlewareStack.add((next) => async (args) => {
    summary.kmsCalls += 1;
    return next(args);
  }, { step: 'initialize', name: 'countKmsCalls' });
  const sqs = new SQSClient({});
  const clients = { dynamoDb, kms, sqs, sns: new SNSClient({}), eventBridge: new EventBridgeClient({}) };

  // ---- what the construct creates ----
  console.log('\n1. Creating what EncryptedTableConstruct deploys');
  const keyArn = (await kms.send(new CreateKeyCommand({ Description: 'orders: protects the MetaStore versions' }))).KeyMetadata?.Arn as string;
  const { TableDescription } = await dynamoDb.send(
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [
        { AttributeName: 'customerId', AttributeType: 'S' },
        { AttributeName: 'orderId', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'customerId', KeyType: 'HASH' },
        { AttributeName: 'orderId', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await waitUntilTableExists({ client: dynamoDb, maxWaitTime: 60 }, { TableName: TABLE });
  await MetaStore.createTable(dynamoDb, META_STORE);
  const targetQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `orders-changes${NAME_SUFFIX}.fifo`, Attributes: { FifoQueue: 'true' } }))).QueueUrl as string;
  const deadLetterQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `orders-dead-letters${NAME_SUFFIX}` }))).QueueUrl as string;
  const materials = { kind: 'most-recent' as const, kmsKeyId: keyArn, allowedKmsKeyIds: [keyArn], metaStoreTableName: META_STORE, materialName: TABLE, versionTtlMs: 60_000 };
  const common = commonEnvironment({
    tableName: TABLE,
    materials,
    defaultAction: CryptoAction.ENCRYPT_AND_SIGN,
    attributeActions: { customerId: CryptoAction.SIGN_ONLY, orderId: CryptoAction.SIGN_ONLY, status: CryptoAction.SIGN_ONLY, createdAt: CryptoAction.SIGN_ONLY },
  });
  console.log(`   table "${TABLE}" (stream ${TableDescription?.StreamSpecification?.StreamViewType}), KMS key ${keyArn.split('/').pop()}, MetaStore "${META_STORE}", FIFO target queue, dead-letter queue`);
  console.log('   encrypted and signed: customer, shippingAddress, cardFingerprint, lineItems, total, giftMessage; signed only: keys, status, createdAt');

  // ---- 1. ingest ----
  console.log(`\n2. Ingesting ${ORDERS} orders: SQS batches and a Function URL POST, through lambda/ingest.ts`);
  const ingest = createIngestHandler({ environment: ingestEnvironment(common, { createOnly: false }), clients, ...quiet('ingest') });
  const orders = sampleOrders(ORDERS);
  const viaHttp = orders.slice(0, 20);
  const httpAnswer = (await ingest(functionUrlPost(viaHttp), lambdaContext('ingest', 30_000))) as { statusCode: number; body: string };
  if (httpAnswer.statusCode !== 200) throw new Error(`the Function URL POST was answered ${httpAnswer.statusCode}`);
  summary.ingested += (JSON.parse(httpAnswer.body) as { written: number }).written;
  const messages: string[] = [];
  for (let index = viaHttp.length; index < orders.length; index += ORDERS_PER_MESSAGE) messages.push(JSON.stringify(orders.slice(index, index + ORDERS_PER_MESSAGE)));
  const ingestBar = progress('ingest (orders)', orders.length);
  ingestBar.update(summary.ingested);
  for (let index = 0; index < messages.length; index += MESSAGES_PER_BATCH) {
    const batch = messages.slice(index, index + MESSAGES_PER_BATCH);
    const answer = (await ingest(sqsEvent(batch, 'arn:aws:sqs:us-east-1:000000000000:orders-ingest'), lambdaContext('ingest', 30_000))) as { batchItemFailures: unknown[] };
    const failedMessages = answer.batchItemFailures.length;
    summary.rejected += failedMessages * ORDERS_PER_MESSAGE;
    summary.ingested += batch.reduce((sum, body) => sum + (JSON.parse(body) as unknown[]).length, 0) - failedMessages * ORDERS_PER_MESSAGE;
    ingestBar.update(summary.ingested);
  }
  ingestBar.stop();

  // ---- 2. one item, raw and decrypted ----
  const sample = orders[42];
  const key = { customerId: { S: sample.customerId }, orderId: { S: sample.orderId } };
  const raw = (await dynamoDb.send(new GetItemCommand({ TableName: TABLE, Key: key }))).Item as Record<string, AttributeValue>;
  console.log(`\n3. Order ${sample.orderId} as stored (what DynamoDB, its backups and its stream hold):`);
  console.log(indent(describeRaw(raw)));
  const materialsProvider = materialsProviderFor(materials, { dynamoDb, kms });
  const reader = new EncryptedTable({ tableName: TABLE, client: dynamoDb, materialsProvider, attributeActions: readIngestConfig(common).attributeActions });
  const decrypted = (await reader.getItem({ customerId: sample.customerId, orderId: sample.orderId })).Item as SampleOrder;
  console.log('   ...and decrypted and verified with EncryptedTable:');
  console.log(indent(JSON.stringify(decrypted, null, 2).split('\n').slice(0, 24).join('\n')));

  // ---- 3. rotation ----
  console.log('\n4. Rotating: KMS rotates the key, then the re-encryption handler makes a new MetaStore version');
  await kms.send(new RotateKeyOnDemandCommand({ KeyId: keyArn }));
  const reEncrypt = createReEncryptSegmentHandler({
    environment: reEncryptEnvironment(common, {}),
    clients: { dynamoDb, kms },
    ...quiet('reencrypt'),
    reEncryptorOptions: { pageSize: 50 },
  });
  const rotation = await reEncrypt({ rotateMaterials: true }, lambdaContext('reencrypt-segment', 60_000));
  console.log(`   MetaStore material "${rotation.rotated.materialName}" is now at version ${rotation.rotated.version}`);

  // ---- 4. re-encryption ----
  console.log(`\n5. Re-encrypting the table: ${SEGMENTS} parallel scan segments, each invocation resuming from the last checkpoint`);
  const totals = emptyCounts();
  const reencryptBar = progress('re-encrypt (items)', summary.ingested);
  await Promise.all(
    Array.from({ length: SEGMENTS }, async (_, segment) => {
      let exclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const answer = await reEncrypt({ segment, totalSegments: SEGMENTS, exclusiveStartKey }, lambdaContext('reencrypt-segment', REENCRYPT_INVOCATION_MS));
        summary.reencryptInvocations += 1;
        addCounts(totals, answer.counts);
        reencryptBar.update(totals.scanned);
        exclusiveStartKey = answer.lastEvaluatedKey;
      } while (exclusiveStartKey !== undefined);
    }),
  );
  reencryptBar.stop();
  summary.reencrypted = totals.reencrypted;
  summary.reencryptFailures = totals.failed + totals.conflicts;

  // ---- 5. the stream ----
  console.log(`\n6. The table's stream, ${STREAM_BATCH_SIZE} records a batch, through lambda/stream-decrypt.ts to the FIFO queue`);
  const streamEnvironmentValues = streamEnvironment(common, {
    targetQueueUrls: [targetQueueUrl],
    targetTopicArns: [],
    targetEventBusArns: [],
    deadLetterQueueUrl,
    plaintextRecords: 'dead-letter',
  });
  const streamHandler = createStreamDecryptHandler({ decryptor: streamDecryptorFor(readStreamConfig(streamEnvironmentValues), clients), ...quiet('stream-decrypt') });
  const streamArn = TableDescription?.LatestStreamArn as string;
  const records = await readStreamRecords(new DynamoDBStreamsClient({}), streamArn);
  summary.streamRecords = records.length;
  const streamBar = progress('stream (records)', records.length);
  let position = 0;
  // The consumer side reads as records arrive, as a downstream service would (and moto's FIFO
  // queue slows down with every message it holds).
  const delivered: string[] = [];
  while (position < records.length) {
    const batch = records.slice(position, position + STREAM_BATCH_SIZE);
    const event = { Records: batch.map((record) => deliveredStreamRecord(record, streamArn)) } as DynamoDBStreamEvent;
    const { batchItemFailures } = await streamHandler(event, lambdaContext('stream-decrypt', 60_000));
    // As the event source mapping with ReportBatchItemFailures: resume at the first failed record.
    const failedAt = batchItemFailures.length === 0 ? batch.length : batch.findIndex((record) => record.dynamodb?.SequenceNumber === batchItemFailures[0].itemIdentifier);
    if (failedAt < batch.length) {
      summary.streamRetries += 1;
      if (summary.streamRetries > 10) throw new Error('the stream handler kept failing the same records');
    }
    position += Math.max(0, failedAt);
    summary.delivered += Math.max(0, failedAt);
    delivered.push(...(await drainQueue(sqs, targetQueueUrl)));
    streamBar.update(position);
  }
  streamBar.stop();

  // ---- what arrived ----
  delivered.push(...(await drainQueue(sqs, targetQueueUrl)));
  summary.messagesInQueue = delivered.length;
  summary.deadLettered = (await drainQueue(sqs, deadLetterQueueUrl)).length;
  const decryptedOrderIds = new Set(
    delivered
      .map((body) => JSON.parse(body) as { eventName: string; newImage?: Record<string, { S?: string; M?: unknown }> })
      .filter((message) => message.eventName === 'MODIFY' && message.newImage?.cardFingerprint?.S !== undefined && message.newImage.customer?.M !== undefined)
      .map((message) => message.newImage?.orderId?.S),
  );

  // ---- summary ----
  const seconds = (Date.now() - started) / 1000;
  console.log('\nSummary');
  const rows: Array<[string, string]> = [
    ['items ingested', String(summary.ingested)],
    ['items rejected at ingest', String(summary.rejected)],
    ['items re-encrypted', `${summary.reencrypted} (${summary.reencryptInvocations} invocations over ${SEGMENTS} segments)`],
    ['re-encryption failures', String(summary.reencryptFailures)],
    ['stream records delivered', `${summary.delivered} of ${summary.streamRecords} (${summary.messagesInQueue} messages in the FIFO queue)`],
    ['orders seen decrypted downstream', `${decryptedOrderIds.size} (re-encryption changes, images decrypted)`],
    ['dead-lettered records', String(summary.deadLettered)],
    ['KMS calls', String(summary.kmsCalls)],
    ['wall time', `${seconds.toFixed(1)} s`],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  for (const [name, value] of rows) console.log(`  ${name.padEnd(width)}  ${value}`);

  const everythingThrough =
    summary.ingested === orders.length &&
    summary.reencrypted === summary.ingested &&
    summary.reencryptFailures === 0 &&
    summary.delivered === summary.streamRecords &&
    summary.messagesInQueue === summary.streamRecords &&
    summary.deadLettered === 0 &&
    decryptedOrderIds.size === summary.ingested;
  console.log(everythingThrough ? '\nEvery ingested order was re-encrypted and delivered decrypted.' : '\nSOMETHING DID NOT GO THROUGH: see the summary above.');
  for (const client of [dynamoDb, kms, sqs, clients.sns, clients.eventBridge]) client.destroy();
  return everythingThrough ? 0 : 1;
}

/** Every message body in the queue, deleting as it reads (the queue is ours alone). */
async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60 }));
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((message) => message.Body as string));
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }));
  }
}

/** A stored item for display: binary values (ciphertext) as the start of their base64. */
function describeRaw(item: Record<string, AttributeValue>): string {
  return Object.entries(item)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => {
      if (value.B !== undefined) return `${name}: B ${Buffer.from(value.B).toString('base64').slice(0, 48)}... (${value.B.length} bytes)`;
      return `${name}: ${JSON.stringify(value)}`;
    })
    .join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `   ${line}`)
    .join('\n');
}

export function start(): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`npm start failed: ${(error as Error).stack ?? String(error)}`);
      process.exit(1);
    },
  );
}
