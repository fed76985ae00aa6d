/**
 * The stream fan-out under load (issue #8, part 3).
 *
 * `items` items are written `versions` times each (an INSERT, then MODIFYs, each version in its
 * own round so that the stream holds them in write order) through EncryptedClient with MostRecent
 * materials (a MetaStore protected by a local KMS key: one KMS call per version, local crypto per
 * item) to a DynamoDB Local table with a NEW_AND_OLD_IMAGES stream. The REAL stream records are
 * read (readStreamRecords), shaped as Lambda delivers them (deliveredStreamRecord) and handed in
 * batches of 100 to the Lambda handler (createStreamDecryptHandler over streamDecryptorFor, built
 * from the construct's environment variables) that delivers them to a moto SQS FIFO queue; a
 * batch reporting batchItemFailures is sent again from the first failed record, as Lambda does.
 * The queue is drained while records are delivered (moto's FIFO gets slower with depth; see
 * fifo-consumer.ts, which also says why moto-only second copies are counted apart).
 * Some SendMessage calls of the handler fail (sendFailureRate), before or after the message was
 * sent, so batches are retried and records sent twice.
 *
 * Checked at the target: every record arrived (`lost`), none twice (`duplicated`), each body
 * decrypted to exactly the plaintext of its version, old image included (`corrupted`), and each
 * item's versions arrived in write order (`outOfOrder`, items whose sequence is not 1..versions).
 */
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBRecord } from 'aws-lambda';
import { createStreamDecryptHandler } from '../../lambda/stream-decrypt';
import { EncryptedClient } from '../../src/encrypted/encrypted-client';
import { TableInfo } from '../../src/encrypted/table-info';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { itemFromJson } from '../../src/format/dynamodb-json';
import { deduplicationId } from '../../src/pipeline/fan-out-target';
import { EnvironmentNames as Names } from '../../src/pipeline/environment-names';
import { materialsProviderFor } from '../../src/pipeline/materials-from-config';
import { readStreamConfig } from '../../src/pipeline/pipeline-config';
import { deliveredStreamRecord, readStreamRecords } from '../../src/pipeline/stream-event-source';
import { streamDecryptorFor } from '../../src/pipeline/stream-decryptor-from-config';
import { MetaStore } from '../../src/providers/meta-store';
import { localDynamoDbClient, localKmsClient, uniqueName } from '../support/local-aws';
import { createStreamTable, localStreamsClient } from '../support/stream-events';
import { createKmsKey, keyText, mapLimit, sameItem, scenarioSeed, seededRandom, type HardeningRow, type Scale } from './crash-support';
import { FifoConsumer, judgeCopies, trackSends } from './fifo-consumer';

export interface StreamLoadOptions {
  readonly items: number;
  /** Writes per item: records = items × versions. */
  readonly versions: number;
  readonly batchSize: number;
  /**
   * Batches in flight at once, as Lambda's ParallelizationFactor: records are split by partition
   * key into this many lanes (one item's records all in one lane, in stream order), each lane
   * handing its batches to the handler one after another.
   */
  readonly parallelization: number;
  /**
   * Fraction of the handler's SendMessage calls that fail: half before the message is sent, half
   * after it was (the handler cannot tell: the record is retried and the FIFO queue's
   * deduplication must drop the second copy). Each failure makes the batch be sent again from
   * the failed record, as Lambda does with ReportBatchItemFailures.
   */
  readonly sendFailureRate: number;
  /**
   * Delivery waits while more than this many records were handed to the handler and not yet
   * received: moto's FIFO queue scans every message it holds on each send (deduplication),
   * receive and delete, so a deep queue makes it quadratically slow.
   */
  readonly maxQueueDepth: number;
  /** Consumers receiving and deleting at once (a FIFO group's next message is only handed out once the previous one is deleted). */
  readonly drainers: number;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

export const STREAM_LOAD_SCALES: Record<Scale, StreamLoadOptions> = {
  test: { items: 400, versions: 5, batchSize: 100, parallelization: 4, sendFailureRate: 0.01, maxQueueDepth: 200, drainers: 1 },
  full: { items: 20_000, versions: 5, batchSize: 100, parallelization: 8, sendFailureRate: 0.002, maxQueueDepth: 200, drainers: 1 },
};

export interface StreamLoadResult extends HardeningRow {
  readonly problems: readonly string[];
}

export function streamLoadItem(index: number, version: number): DynamoDbItem {
  const id = String(index).padStart(6, '0');
  return {
    pk: { S: `load-${id}` },
    sk: { N: '1' },
    v: { N: String(version) },
    card: { S: `card-${id}-v${version}` },
    nested: { M: { at: { N: `${version}.25` }, tags: { L: [{ S: `t-${id}` }, { BOOL: version % 2 === 0 }] } } },
    note: { S: `note-${id}-v${version}` },
  };
}

/**
 * Handler logs and EMF metrics are not the subject here: keep the output readable. A real
 * Metrics, built with metrics disabled, so that whatever the handler calls on it exists.
 */
function quietMetrics(): Metrics {
  const saved = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  try {
    return new Metrics({ serviceName: 'hardening-stream-load', namespace: 'Hardening' });
  } finally {
    if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = saved;
  }
}

export async function streamLoadScenario(options: StreamLoadOptions): Promise<StreamLoadResult> {
  const started = Date.now();
  const log = options.log ?? (() => undefined);
  const dynamoDb: DynamoDBClient = localDynamoDbClient();
  const kms: KMSClient = localKmsClient();
  const sqs = new SQSClient({});
  const handlerSqs = new SQSClient({});
  const seed = options.seed ?? scenarioSeed();
  const random = seededRandom(seed);
  let failedBeforeSend = 0;
  let failedAfterSend = 0;
  let sdkRetriedSends = 0;
  handlerSqs.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'SendMessageCommand') return next(args);
      if (random() >= options.sendFailureRate) {
        // A send the SDK itself retried may also have reached the queue more than once.
        const output = await next(args);
        if (((output.output as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1) > 1) sdkRetriedSends += 1;
        return output;
      }
      const failure = Object.assign(new Error('injected SQS failure'), { name: 'InternalFailure', $fault: 'server' });
      if (random() < 0.5) {
        failedBeforeSend += 1;
        throw failure;
      }
      await next(args);
      failedAfterSend += 1;
      throw failure;
    },
    { step: 'initialize', name: 'injectSendFailures' },
  );
  // After the injector: its failures count as failed sends (a resend after one is not a duplicate).
  const sends = trackSends(handlerSqs);
  const drainClient = new SQSClient({});
  const sns = new SNSClient({});
  const eventBridge = new EventBridgeClient({});
  const streams = localStreamsClient();
  const tableName = uniqueName('hardening-stream-load');
  const metaStoreTable = uniqueName('hardening-stream-load-meta');
  const run = uniqueName('load');
  const problems: string[] = [];
  const queues: string[] = [];
  try {
    const streamArn = await createStreamTable(dynamoDb, tableName);
    await MetaStore.createTable(dynamoDb, metaStoreTable);
    const keyArn = await createKmsKey(kms, 'stream load: MetaStore key');
    const target = (await sqs.send(new CreateQueueCommand({ QueueName: `${run}-target.fifo`, Attributes: { FifoQueue: 'true' } }))).QueueUrl as string;
    const deadLetter = (await sqs.send(new CreateQueueCommand({ QueueName: `${run}-dead-letter` }))).QueueUrl as string;
    queues.push(target, deadLetter);
    const environment = {
      [Names.TABLE_NAME]: tableName,
      [Names.PARTITION_KEY_NAME]: 'pk',
      [Names.SECONDARY_INDEXES]: 'none',
      [Names.SORT_KEY_NAME]: 'sk',
      [Names.MATERIALS]: 'most-recent',
      [Names.KMS_KEY_ID]: keyArn,
      [Names.META_STORE_TABLE_NAME]: metaStoreTable,
      [Names.MATERIAL_NAME]: 'stream-load',
      [Names.ATTRIBUTE_ACTIONS]: JSON.stringify({ default: 'ENCRYPT_AND_SIGN', attributes: { note: 'SIGN_ONLY', v: 'SIGN_ONLY' } }),
      [Names.TARGET_QUEUE_URLS]: target,
      [Names.DEAD_LETTER_QUEUE_URL]: deadLetter,
    };
    const config = readStreamConfig(environment);
    const clients = { dynamoDb, kms, sqs: handlerSqs, sns, eventBridge };

    // The writes: one round per version, so each item's versions are in the stream in order.
    const writer = new EncryptedClient({
      client: dynamoDb,
      materialsProvider: materialsProviderFor(config.materials, clients),
      attributeActions: config.attributeActions,
      tableInfos: [new TableInfo({ name: tableName, primaryIndex: { partition: 'pk', sort: 'sk' } })],
    });
    const chunkStarts = Array.from({ length: Math.ceil(options.items / 500) }, (_, index) => index * 500);
    for (let version = 1; version <= options.versions; version += 1) {
      // Within a round every item is written once, so chunks may go side by side.
      await mapLimit(chunkStarts, 4, async (offset) => {
        const items = Array.from({ length: Math.min(500, options.items - offset) }, (_, index) => streamLoadItem(offset + index, version));
        await writer.batchWriteAll({ [tableName]: items.map((Item) => ({ PutRequest: { Item } })) });
      });
    }
    const writtenAt = Date.now();
    const records = await readStreamRecords(streams, streamArn);
    const expectedRecords = options.items * options.versions;
    log(`stream-load: ${expectedRecords} writes in ${((writtenAt - started) / 1000).toFixed(1)} s; ${records.length} stream records read in ${((Date.now() - writtenAt) / 1000).toFixed(1)} s`);
    if (records.length !== expectedRecords) problems.push(`the stream holds ${records.length} records, not ${expectedRecords}`);

    const consumer = new FifoConsumer(drainClient, target, { consumers: options.drainers });
    const received: Array<Record<string, any>> = [];

    const handler = createStreamDecryptHandler({ decryptor: streamDecryptorFor(config, clients), logger: new Logger({ logLevel: 'SILENT' }), metrics: quietMetrics() });
    const deliverStarted = Date.now();
    let retriedBatches = 0;
    let handlerCalls = 0;
    /** Handler invocations that were handed each record (by sequence number): above 1 after a retried batch. */
    const deliveries = new Map<string, number>();
    const lanes: Array<typeof records> = Array.from({ length: options.parallelization }, () => []);
    for (const record of records) {
      const pk = String(record.dynamodb?.Keys?.pk?.S ?? '');
      let hash = 0;
      for (const char of pk) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;
      lanes[hash % lanes.length].push(record);
    }
    let deliveredRecords = 0;
    let nextLog = 10_000;
    const deliverLane = async (lane: typeof records) => {
      for (let offset = 0; offset < lane.length; offset += options.batchSize) {
        await consumer.admit(Math.min(options.batchSize, lane.length - offset), options.maxQueueDepth);
        let batch: DynamoDBRecord[] = lane.slice(offset, offset + options.batchSize).map((record) => deliveredStreamRecord(record, streamArn) as DynamoDBRecord);
        for (let attempt = 1; batch.length > 0; attempt += 1) {
          handlerCalls += 1;
          for (const record of batch) deliveries.set(record.dynamodb?.SequenceNumber as string, (deliveries.get(record.dynamodb?.SequenceNumber as string) ?? 0) + 1);
          const { batchItemFailures } = await handler({ Records: batch });
          if (batchItemFailures.length === 0) break;
          retriedBatches += 1;
          if (attempt >= 10) {
            problems.push(`a batch still failed after 10 attempts, from ${batchItemFailures[0].itemIdentifier}`);
            break;
          }
          const from = batch.findIndex((record) => record.dynamodb?.SequenceNumber === batchItemFailures[0].itemIdentifier);
          batch = from < 0 ? batch : batch.slice(from);
        }
        deliveredRecords += Math.min(options.batchSize, lane.length - offset);
        if (deliveredRecords >= nextLog) {
          nextLog += 10_000;
          log(`stream-load: ${deliveredRecords} records delivered, ${consumer.received} received, ${((Date.now() - deliverStarted) / 1000).toFixed(1)} s`);
        }
      }
    };
    try {
      await Promise.all(lanes.map(deliverLane));
      log(`stream-load: every record delivered in ${((Date.now() - deliverStarted) / 1000).toFixed(1)} s, ${consumer.received} received by then`);
    } finally {
      for (const body of await consumer.finish()) received.push(JSON.parse(body) as Record<string, any>);
    }
    const deliverSeconds = (Date.now() - deliverStarted) / 1000;
    log(`stream-load: delivered and drained ${received.length} messages in ${deliverSeconds.toFixed(1)} s`);

    // What arrived, per item, in the order received.
    const bySequence = new Map<string, number>();
    const versionsByKey = new Map<string, number[]>();
    let corrupted = 0;
    for (const message of received) {
      bySequence.set(message.sequenceNumber, (bySequence.get(message.sequenceNumber) ?? 0) + 1);
      const keys = message.keys as DynamoDbItem;
      const index = Number(String(keys?.pk?.S ?? '').slice('load-'.length));
      const newImage = message.newImage === undefined ? undefined : itemFromJson(message.newImage);
      const oldImage = message.oldImage === undefined ? undefined : itemFromJson(message.oldImage);
      const version = Number(newImage?.v?.N);
      const expectedOld = version > 1 ? streamLoadItem(index, version - 1) : undefined;
      const eventName = version === 1 ? 'INSERT' : 'MODIFY';
      if (message.eventName !== eventName || !sameItem(newImage, streamLoadItem(index, version)) || (expectedOld === undefined ? oldImage !== undefined : !sameItem(oldImage, expectedOld))) {
        corrupted += 1;
        if (corrupted <= 3) problems.push(`message ${message.sequenceNumber} is not what was written: ${JSON.stringify(message).slice(0, 300)}`);
      }
      const key = keyText(keys);
      versionsByKey.set(key, [...(versionsByKey.get(key) ?? []), version]);
    }
    const expectedSequences = new Set(records.map((record) => record.dynamodb?.SequenceNumber as string));
    const lost = [...expectedSequences].filter((sequence) => !bySequence.has(sequence)).length;
    // Extra sends are duplicates unless a failed send or a retried batch explains them; a second
    // copy of such a resend that moto alone delivers is counted apart (fifo-consumer.ts).
    const deduplicationIds = new Map(records.map((record) => [record.dynamodb?.SequenceNumber as string, deduplicationId(record.eventID, record.dynamodb?.SequenceNumber)]));
    const { duplicated, motoDedupMisses, duplicateRecords } = judgeCopies(
      bySequence,
      expectedSequences,
      (sequence) => deduplicationIds.get(sequence),
      (sequence) => deliveries.get(sequence) ?? 0,
      sends,
    );
    for (const sequence of duplicateRecords.slice(0, 3)) {
      const id = deduplicationIds.get(sequence) ?? '';
      problems.push(
        `record ${sequence} (deduplication id ${id}) was received ${bySequence.get(sequence) ?? 0} times, sent ${sends.reached.get(id) ?? 0} times ` +
          `in ${deliveries.get(sequence) ?? 0} deliveries with ${sends.failed.get(id) ?? 0} failed sends; SDK-retried sends: ${sdkRetriedSends}`,
      );
    }
    const inOrder = Array.from({ length: options.versions }, (_, index) => index + 1).join(',');
    let outOfOrder = 0;
    for (let index = 0; index < options.items; index += 1) {
      const key = keyText(streamLoadItem(index, 1));
      const sequence = versionsByKey.get(key) ?? [];
      // Lost or duplicated records are counted above; order is judged on what arrived.
      const arrived = [...sequence];
      const sorted = [...arrived].sort((a, b) => a - b);
      if (arrived.join(',') !== sorted.join(',')) {
        outOfOrder += 1;
        if (outOfOrder <= 3) problems.push(`${key} arrived as versions ${arrived.join(',')}, not ${inOrder}`);
      }
    }
    if (outOfOrder > 0) problems.push(`${outOfOrder} items arrived out of write order`);

    return {
      scenario: `stream-load: ${expectedRecords} real stream records -> stream handler (MostRecent) -> SQS FIFO, batches of ${options.batchSize}, ${options.parallelization} lanes`,
      faultsInjected: failedBeforeSend + failedAfterSend,
      items: expectedRecords,
      lost,
      duplicated,
      corrupted,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      details: {
        streamRecords: records.length,
        received: received.length,
        outOfOrder,
        seed,
        failedBeforeSend,
        failedAfterSend,
        retriedBatches,
        motoDedupMisses,
        motoRedeliveries: consumer.redelivered,
        sdkRetriedSends,
        handlerCalls,
        parallelization: options.parallelization,
        drainers: options.drainers,
        deliverSeconds: Math.round(deliverSeconds * 10) / 10,
        recordsPerSecond: Math.round(received.length / deliverSeconds),
      },
      problems,
    };
  } finally {
    for (const TableName of [tableName, metaStoreTable]) await dynamoDb.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
    for (const QueueUrl of queues) await sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined);
    for (const client of [dynamoDb, kms, sqs, handlerSqs, drainClient, sns, eventBridge, streams]) client.destroy();
  }
}
