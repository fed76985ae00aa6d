/**
 * The fault-injection scenarios of issue #8, shared by test/hardening/fault-pipelines.test.ts
 * (reduced scale) and bench/hardening-faults.ts (full scale). Each runs one pipeline through
 * its real Lambda handler, with DynamoDB / KMS / SQS clients that fail a seeded share of
 * requests (test/hardening/fault-injection.ts), drives it the way AWS would (SQS redelivery,
 * Step Functions retries from the checkpoint, the stream event source mapping's
 * batchItemFailures), then checks the end state with clean clients: every item written or
 * delivered exactly once, none lost, none corrupted.
 *
 * Needs the local backends (`scripts/with-local-aws`).
 */
import { createHash, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { createIngestHandler } from '../../lambda/ingest';
import { createReEncryptSegmentHandler } from '../../lambda/reencrypt-segment';
import { createStreamDecryptHandler } from '../../lambda/stream-decrypt';
import { EncryptedClient } from '../../src/encrypted/encrypted-client';
import { TableCrypto } from '../../src/encrypted/table-crypto';
import { TableInfo } from '../../src/encrypted/table-info';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import { decryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { KmsThrottlingError } from '../../src/errors';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { itemFromJson } from '../../src/format/dynamodb-json';
import { EnvironmentNames as Names } from '../../src/pipeline/environment-names';
import { deduplicationId } from '../../src/pipeline/fan-out-target';
import { readStreamConfig } from '../../src/pipeline/pipeline-config';
import { streamDecryptorFor } from '../../src/pipeline/stream-decryptor-from-config';
import { AwsKmsMaterialsProvider } from '../../src/providers/aws-kms-provider';
import { localDynamoDbClient, localKmsClient, uniqueName } from '../support/local-aws';
import { scanTable } from '../support/cli-run';
import { createStreamTable, lambdaStreamEvent, readStreamRecords } from '../support/stream-events';
import { createPkSkTable, samplePlaintextItem } from '../support/tables';
import { FaultInjector, type FaultCounts, type FaultKind } from './fault-injection';
import { FifoConsumer, judgeCopies, trackSends } from './fifo-consumer';
import { createKmsKey, sleep, type HardeningCounts } from './crash-support';

export interface FaultScenarioResult extends HardeningCounts {
  /** Faults by kind, phase and command, and scenario-specific figures (redeliveries, resends...). */
  readonly details: {
    readonly faults: FaultCounts;
    readonly durationMs: number;
    readonly [name: string]: unknown;
  };
}

export interface FaultScenarioOptions {
  readonly items: number;
  /** @default 0.1 */
  readonly rate?: number;
  /** @default 8 */
  readonly seed?: number;
}

const ATTRIBUTE_ACTIONS = JSON.stringify({ default: 'ENCRYPT_AND_SIGN', attributes: { note: 'SIGN_ONLY' } });
/** The actions ATTRIBUTE_ACTIONS configures, for the writers and auditors outside the handlers. */
const attributeActions = () => new AttributeActions({ attributeActions: { note: CryptoAction.SIGN_ONLY } }).setIndexKeys('pk', 'sk');

/** Handlers' logger and metrics, silent: a fault run logs thousands of (expected) failures. */
function quietObservability(serviceName: string): { logger: Logger; metrics: Metrics } {
  const saved = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  try {
    return { logger: new Logger({ serviceName, logLevel: 'SILENT' }), metrics: new Metrics({ serviceName, namespace: 'FaultInjection' }) };
  } finally {
    if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = saved;
  }
}


const keyOf = (item: Readonly<DynamoDbItem>) => `${item.pk?.S}/${item.sk?.N}`;

/**
 * Compares a table with what it should hold: `lost` = expected keys missing, `unexpected` = items
 * under a key nobody sent, `corrupted` = items that decrypt to something else (`notDecryptable`:
 * those the materials given cannot open at all, counted in `corrupted` too). A keyed table holds
 * a key once, so the table alone cannot show an item written twice: see `trackAcknowledgedWrites`.
 */
async function auditTable(
  dynamoDb: DynamoDBClient,
  table: TableInfo,
  provider: AwsKmsMaterialsProvider,
  expected: ReadonlyMap<string, DynamoDbItem>,
): Promise<{ lost: number; unexpected: number; corrupted: number; notDecryptable: number }> {
  const config = new TableCrypto(table, provider, attributeActions()).config;
  const stored = await scanTable(dynamoDb, table.name);
  const seen = new Set<string>();
  let unexpected = 0;
  let corrupted = 0;
  let notDecryptable = 0;
  for (const item of stored) {
    const key = keyOf(item);
    if (!expected.has(key)) unexpected += 1;
    seen.add(key);
    const want = expected.get(key);
    if (want === undefined) continue;
    try {
      if (!isDeepStrictEqual(normalize(await decryptDynamoDbItem(item, config)), normalize(want))) corrupted += 1;
    } catch {
      notDecryptable += 1;
    }
  }
  const lost = [...expected.keys()].filter((key) => !seen.has(key)).length;
  return { lost, unexpected, corrupted: corrupted + notDecryptable, notDecryptable };
}

/**
 * Counts, per key (`pk/sk`), the writes to `tableName` that DynamoDB acknowledged to the client:
 * PutItem and UpdateItem attempts that succeeded, and the put requests of a BatchWriteItem
 * attempt that succeeded, less those it returned unprocessed. The middleware sits inside the
 * SDK's retries and outside the fault injector (step finalizeRequest; the injector is at
 * deserialize), so an attempt whose answer a fault threw away is not counted: such a write may
 * have landed, and a write again after it is legitimate. What is counted is every write the code
 * under test was told it made.
 */
function trackAcknowledgedWrites(client: DynamoDBClient, tableName: string): ReadonlyMap<string, number> {
  const writes = new Map<string, number>();
  const add = (item: Record<string, unknown> | undefined) => {
    if (item === undefined) return;
    const key = keyOf(item as DynamoDbItem);
    writes.set(key, (writes.get(key) ?? 0) + 1);
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as {
        TableName?: string;
        Item?: Record<string, unknown>;
        Key?: Record<string, unknown>;
        RequestItems?: Record<string, Array<{ PutRequest?: { Item?: Record<string, unknown> } }>>;
      };
      switch (context.commandName) {
        case 'PutItemCommand':
          if (input.TableName === tableName) add(input.Item);
          break;
        case 'UpdateItemCommand':
          if (input.TableName === tableName) add(input.Key);
          break;
        case 'BatchWriteItemCommand': {
          const output = result.output as { UnprocessedItems?: Record<string, Array<{ PutRequest?: { Item?: Record<string, unknown> } }>> };
          const unprocessed = new Set((output.UnprocessedItems?.[tableName] ?? []).map((request) => keyOf((request.PutRequest?.Item ?? {}) as DynamoDbItem)));
          for (const request of input.RequestItems?.[tableName] ?? []) {
            const item = request.PutRequest?.Item;
            if (item !== undefined && !unprocessed.has(keyOf(item as DynamoDbItem))) add(item);
          }
          break;
        }
        default:
      }
      return result;
    },
    { step: 'finalizeRequest', name: 'trackAcknowledgedWrites', priority: 'low' },
  );
  return writes;
}

/** Writes of a key beyond what `allowed(key)` permits, summed over keys; and how many keys had any. */
function extraWrites(writes: ReadonlyMap<string, number>, allowed: (key: string) => number): { extraWrites: number; keysWrittenTooOften: number } {
  let extra = 0;
  let keys = 0;
  for (const [key, count] of writes) {
    const beyond = count - allowed(key);
    if (beyond > 0) {
      extra += beyond;
      keys += 1;
    }
  }
  return { extraWrites: extra, keysWrittenTooOften: keys };
}

/** The `pk/sk` of each item of an ingest message body (a JSON array of native items). */
function keysOfIngestBody(body: string): string[] {
  return (JSON.parse(body) as Array<Record<string, unknown>>).map((item) => `${String(item.pk)}/${String(item.sk)}`);
}

/** Sets compared as sets: DynamoDB and the serializer may order their members differently. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value) || value instanceof Uint8Array) return value;
  const entries = Object.entries(value as Record<string, unknown>).map(([name, inner]): [string, unknown] => {
    if ((name === 'SS' || name === 'NS') && Array.isArray(inner)) return [name, [...(inner as string[])].sort()];
    return [name, normalize(inner)];
  });
  return Object.fromEntries(entries);
}

function faultyClients(injector: FaultInjector, faulty: { dynamoDb?: boolean; kms?: boolean; sqs?: boolean }) {
  const dynamoDb = localDynamoDbClient();
  const kms = localKmsClient();
  const sqs = new SQSClient({});
  if (faulty.dynamoDb === true) injector.attach(dynamoDb, 'dynamodb');
  if (faulty.kms === true) injector.attach(kms, 'kms');
  if (faulty.sqs === true) injector.attach(sqs, 'sqs');
  return { dynamoDb, kms, sqs, destroy: () => [dynamoDb, kms, sqs].forEach((client) => client.destroy()) };
}

// ───────────────────────────── ingest ─────────────────────────────

/** A native-JSON order as a client would send it to the ingest queue; `version` changes its values. */
function ingestItem(index: number, version: number): Record<string, unknown> {
  const id = String(index).padStart(5, '0');
  return {
    pk: `customer-${id}`,
    sk: index % 7,
    card: `secret-card-${id}-v${version}`,
    amount: index + version / 4,
    tags: ['a', `tag-${id}`],
    nested: { list: [`deep-${id}`, version % 2 === 0] },
    note: `note-${id}-v${version}`,
    version,
  };
}

interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  receiveCount: number;
}

function sqsEvent(messages: readonly QueuedMessage[]): SQSEvent {
  const now = String(Date.now());
  return {
    Records: messages.map((message) => ({
      messageId: message.messageId,
      receiptHandle: `AQEB${randomUUID().replace(/-/g, '')}`,
      body: message.body,
      attributes: { ApproximateReceiveCount: String(message.receiveCount), SentTimestamp: now, SenderId: 'AIDAIENQZJOLO23YVJ4VO', ApproximateFirstReceiveTimestamp: now },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(message.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:ingest-queue',
      awsRegion: 'us-east-1',
    })),
  };
}

/**
 * Delivers messages to an SQS-triggered handler as Lambda's event source mapping does: batches
 * of `batchSize`, `concurrency` invocations at once; a message reported in batchItemFailures (or
 * in a batch whose invocation threw) becomes visible again and is delivered again, up to
 * `maxReceiveCount` receives, after which it goes to the "dead-letter queue" returned here.
 */
async function deliverSqs(
  handler: (event: SQSEvent) => Promise<unknown>,
  bodies: readonly string[],
  options: { batchSize?: number; concurrency?: number; maxReceiveCount?: number } = {},
): Promise<{ invocations: number; redeliveries: number; invocationErrors: number; deadLettered: QueuedMessage[] }> {
  const { batchSize = 10, concurrency = 4, maxReceiveCount = 10 } = options;
  const queue: QueuedMessage[] = bodies.map((body) => ({ messageId: randomUUID(), body, receiveCount: 0 }));
  const deadLettered: QueuedMessage[] = [];
  let invocations = 0;
  let redeliveries = 0;
  let invocationErrors = 0;
  let inFlight = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const batch = queue.splice(0, batchSize);
      if (batch.length === 0) {
        if (inFlight === 0) return;
        await sleep(5); // another worker's failures may come back
        continue;
      }
      inFlight += 1;
      for (const message of batch) message.receiveCount += 1;
      invocations += 1;
      let failed: Set<string>;
      try {
        const response = (await handler(sqsEvent(batch))) as { batchItemFailures?: Array<{ itemIdentifier: string }> };
        failed = new Set((response.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
      } catch {
        invocationErrors += 1;
        failed = new Set(batch.map((message) => message.messageId));
      }
      for (const message of batch) {
        if (!failed.has(message.messageId)) continue;
        if (message.receiveCount >= maxReceiveCount) deadLettered.push(message);
        else {
          redeliveries += 1;
          queue.push(message);
        }
      }
      inFlight -= 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { invocations, redeliveries, invocationErrors, deadLettered };
}

/**
 * Ingest through the SQS-triggered ingest handler with DynamoDB and KMS failing at `rate`: wave
 * 1 writes every item (two items per message), wave 2 rewrites every third item with new values.
 * The table must hold every item once, with its latest values. `duplicated`: writes DynamoDB
 * acknowledged beyond one per delivery of a message holding the item (a redelivered message is
 * written again, legitimately; a write lost to an injected fault is not acknowledged, so the
 * write after it is not counted twice), plus items stored under a key nobody sent.
 */
export async function ingestUnderFaults(options: FaultScenarioOptions): Promise<FaultScenarioResult> {
  const started = Date.now();
  const { items: count, rate = 0.1, seed = 8 } = options;
  const clean = { dynamoDb: localDynamoDbClient(), kms: localKmsClient() };
  const injector = new FaultInjector({ seed, rate });
  const faulty = faultyClients(injector, { dynamoDb: true, kms: true });
  const tableName = uniqueName('fault-ingest');
  const table = new TableInfo({ name: tableName, primaryIndex: { partition: 'pk', sort: 'sk' } });
  const acknowledged = trackAcknowledgedWrites(faulty.dynamoDb, tableName);
  try {
    await createPkSkTable(clean.dynamoDb, tableName);
    const keyArn = await createKmsKey(clean.kms, 'fault injection: ingest');
    const ingest = createIngestHandler({
      environment: {
        [Names.TABLE_NAME]: tableName,
        [Names.MATERIALS]: 'direct-kms',
        [Names.KMS_KEY_ID]: keyArn,
        [Names.ATTRIBUTE_ACTIONS]: ATTRIBUTE_ACTIONS,
      },
      clients: { dynamoDb: faulty.dynamoDb, kms: faulty.kms },
      ...quietObservability('fault-ingest'),
    });
    // Each delivery of a message may write each of its items once.
    const deliveries = new Map<string, number>();
    const handler = (event: SQSEvent, ...rest: unknown[]) => {
      for (const record of event.Records) for (const key of keysOfIngestBody(record.body)) deliveries.set(key, (deliveries.get(key) ?? 0) + 1);
      return (ingest as (event: SQSEvent, ...rest: unknown[]) => Promise<unknown>)(event, ...rest);
    };
    const latest = new Map<string, Record<string, unknown>>();
    const messagesOf = (indexes: number[], version: number): string[] => {
      const bodies: string[] = [];
      for (let offset = 0; offset < indexes.length; offset += 2) {
        const items = indexes.slice(offset, offset + 2).map((index) => ingestItem(index, version));
        for (const item of items) latest.set(`${item.pk}/${item.sk}`, item);
        bodies.push(JSON.stringify(items));
      }
      return bodies;
    };
    const all = Array.from({ length: count }, (_, index) => index);
    const wave1 = await deliverSqs(handler, messagesOf(all, 1));
    const wave2 = await deliverSqs(handler, messagesOf(all.filter((index) => index % 3 === 0), 2));
    const faults = injector.snapshot();
    injector.setRate(0);

    const expected = new Map([...latest].map(([key, item]) => [key, marshall(item) as DynamoDbItem]));
    const audit = await auditTable(clean.dynamoDb, table, new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: clean.kms, strict: true }), expected);
    const writes = extraWrites(acknowledged, (key) => deliveries.get(key) ?? 0);
    return {
      scenario: 'ingest (SQS handler, 10% faults on DynamoDB and KMS)',
      faultsInjected: faults.total,
      items: count,
      lost: audit.lost,
      duplicated: writes.extraWrites + audit.unexpected,
      corrupted: audit.corrupted,
      details: {
        faults,
        durationMs: Date.now() - started,
        notDecryptable: audit.notDecryptable,
        unexpectedKeys: audit.unexpected,
        ...writes,
        acknowledgedWrites: [...acknowledged.values()].reduce((sum, count) => sum + count, 0),
        invocations: wave1.invocations + wave2.invocations,
        redeliveries: wave1.redeliveries + wave2.redeliveries,
        invocationErrors: wave1.invocationErrors + wave2.invocationErrors,
        deadLettered: wave1.deadLettered.length + wave2.deadLettered.length,
        ambiguousWrites: injector.countFor(['BatchWriteItemCommand', 'PutItemCommand'], 'after'),
      },
    };
  } finally {
    await clean.dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    faulty.destroy();
    clean.dynamoDb.destroy();
    clean.kms.destroy();
  }
}

// ───────────────────────────── re-encryption ─────────────────────────────

function orderItem(index: number): DynamoDbItem {
  return { ...samplePlaintextItem(index), note: { S: `note-${String(index).padStart(5, '0')}` } };
}

/**
 * A table under KMS key A re-encrypted to key B by the re-encryption handler, `totalSegments`
 * segments in parallel, each looped on its checkpoint with a short time budget (a few pages per
 * invocation) and, when an invocation fails, retried with the same input as Step Functions'
 * Retry does. DynamoDB and KMS fail at `rate`. Every item must end under key B (strict) and
 * decrypt to its original plaintext. `duplicated`: re-encryption writes that landed beyond one
 * per item, plus items stored under a key nobody wrote. The table has a stream, and each write
 * that lands is one MODIFY record, whether or not its answer reached the client. One per item is
 * all a correct run makes: every write is conditional on the item being unchanged since it was
 * read, so a write retried after its answer was lost fails its condition, and the item, read
 * again, is found current; a second landed write re-encrypted an item that was already current.
 */
export async function reEncryptUnderFaults(options: FaultScenarioOptions & { totalSegments?: number }): Promise<FaultScenarioResult> {
  const started = Date.now();
  const { items: count, rate = 0.1, seed = 8, totalSegments = 4 } = options;
  const clean = { dynamoDb: localDynamoDbClient(), kms: localKmsClient() };
  const injector = new FaultInjector({ seed, rate: 0 });
  const faulty = faultyClients(injector, { dynamoDb: true, kms: true });
  const tableName = uniqueName('fault-reencrypt');
  const table = new TableInfo({ name: tableName, primaryIndex: { partition: 'pk', sort: 'sk' } });
  try {
    const streamArn = await createStreamTable(clean.dynamoDb, tableName);
    const [keyA, keyB] = [await createKmsKey(clean.kms, 'fault injection: old key'), await createKmsKey(clean.kms, 'fault injection: new key')];
    const items = Array.from({ length: count }, (_, index) => orderItem(index));
    const writer = new EncryptedClient({
      client: clean.dynamoDb,
      materialsProvider: new AwsKmsMaterialsProvider({ keyId: keyA, kmsClient: clean.kms }),
      attributeActions: attributeActions(),
      tableInfos: [table],
    });
    for (let offset = 0; offset < items.length; offset += 500) {
      await writer.batchWriteAll({ [tableName]: items.slice(offset, offset + 500).map((Item) => ({ PutRequest: { Item } })) });
    }

    const handler = createReEncryptSegmentHandler({
      environment: {
        [Names.TABLE_NAME]: tableName,
        [Names.PARTITION_KEY_NAME]: 'pk',
      [Names.SECONDARY_INDEXES]: 'none',
        [Names.SORT_KEY_NAME]: 'sk',
        [Names.MATERIALS]: 'direct-kms',
        [Names.KMS_KEY_ID]: keyB,
        [Names.ALLOWED_KMS_KEY_IDS]: `${keyB},${keyA}`,
        [Names.ATTRIBUTE_ACTIONS]: ATTRIBUTE_ACTIONS,
      },
      clients: { dynamoDb: faulty.dynamoDb, kms: faulty.kms },
      reEncryptorOptions: { pageSize: 10, safetyMarginMs: 10_000, throttleRetry: { baseDelayMs: 20, maxDelayMs: 500 } },
      ...quietObservability('fault-reencrypt'),
    });
    injector.setRate(rate);

    const stats = { invocations: 0, failedInvocations: 0, interruptedInvocations: 0, failedItems: 0, conflicts: 0, errorNames: {} as Record<string, number> };
    const runSegment = async (segment: number): Promise<void> => {
      let exclusiveStartKey: Record<string, unknown> | undefined;
      let retries = 0;
      for (;;) {
        // A fake Lambda context: plenty of time for the first three pages, then the margin is reached.
        let calls = 0;
        const context = { getRemainingTimeInMillis: () => (calls++ < 3 ? 900_000 : 1_000) };
        stats.invocations += 1;
        try {
          const result = await handler({ segment, totalSegments, ...(exclusiveStartKey === undefined ? {} : { exclusiveStartKey }) }, context);
          stats.failedItems += result.counts.failed;
          stats.conflicts += result.counts.conflicts;
          if (result.interruptedBy !== undefined) stats.interruptedInvocations += 1;
          retries = 0;
          exclusiveStartKey = result.lastEvaluatedKey;
          if (exclusiveStartKey === undefined) return;
        } catch (error) {
          // Step Functions' Retry: the same input again, after a backoff, a bounded number of times.
          stats.failedInvocations += 1;
          const name = (error as Error).name;
          stats.errorNames[name] = (stats.errorNames[name] ?? 0) + 1;
          retries += 1;
          if (retries > 20) throw error;
          await sleep(Math.min(1_000, 20 * 2 ** retries));
        }
      }
    };
    await Promise.all(Array.from({ length: totalSegments }, (_, segment) => runSegment(segment)));
    const faults = injector.snapshot();
    injector.setRate(0);

    const audit = await auditTable(
      clean.dynamoDb,
      table,
      new AwsKmsMaterialsProvider({ keyId: keyB, kmsClient: clean.kms, strict: true }),
      new Map(items.map((item) => [keyOf(item), item])),
    );
    // Writes that landed, per key, from the stream: the fill made the INSERTs, each re-encryption write a MODIFY.
    const landed = new Map<string, number>();
    for (const record of await readStreamRecords(streamArn)) {
      if (record.eventName !== 'MODIFY') continue;
      const key = keyOf(record.dynamodb?.Keys as DynamoDbItem);
      landed.set(key, (landed.get(key) ?? 0) + 1);
    }
    const writes = extraWrites(landed, () => 1);
    // An item still under key A (strict key B cannot open it) was left behind: lost to the rotation.
    return {
      scenario: 're-encryption (segment handler + Step Functions retries, 10% faults on DynamoDB and KMS)',
      faultsInjected: faults.total,
      items: count,
      lost: audit.lost + audit.notDecryptable,
      duplicated: writes.extraWrites + audit.unexpected,
      corrupted: audit.corrupted - audit.notDecryptable,
      details: {
        faults,
        durationMs: Date.now() - started,
        ...stats,
        ambiguousWrites: injector.countFor(['PutItemCommand', 'UpdateItemCommand'], 'after'),
        unexpectedKeys: audit.unexpected,
        ...writes,
        landedWrites: [...landed.values()].reduce((sum, written) => sum + written, 0),
      },
    };
  } finally {
    await clean.dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    faulty.destroy();
    clean.dynamoDb.destroy();
    clean.kms.destroy();
  }
}

// ───────────────────────────── stream fan-out ─────────────────────────────

function streamItem(index: number, version: number): DynamoDbItem {
  const id = String(index).padStart(5, '0');
  return {
    pk: { S: `customer-${id}` },
    sk: { N: '1' },
    card: { S: `secret-card-${id}-v${version}` },
    amount: { N: `${index}.${version}` },
    nested: { M: { list: { L: [{ S: `deep-${id}` }, { BOOL: version % 2 === 0 }] } } },
    note: { S: `note-${id}` },
    version: { N: String(version) },
  };
}

/**
 * The stream fan-out handler on REAL DynamoDB Local stream records (every item inserted, every
 * other one modified, every fifth of those removed), delivered in batches as the event source
 * mapping does (a batch with batchItemFailures is retried from the first reported record), to a
 * FIFO queue, with KMS and SQS failing at `rate`. The queue is drained while records are
 * delivered (at most `maxQueueDepth` waiting); second copies only moto delivers are counted
 * apart (fifo-consumer.ts).
 */
export async function streamUnderFaults(options: FaultScenarioOptions & { batchSize?: number; maxQueueDepth?: number }): Promise<FaultScenarioResult> {
  const started = Date.now();
  const { items: count, rate = 0.1, seed = 8, batchSize = 100, maxQueueDepth = 200 } = options;
  const clean = { dynamoDb: localDynamoDbClient(), kms: localKmsClient(), sqs: new SQSClient({}) };
  const injector = new FaultInjector({ seed, rate: 0 });
  const faulty = faultyClients(injector, { kms: true, sqs: true });
  // Every SendMessage attempt that reaches the server and every failed one, by deduplication id:
  // a resend is excused only after a failed send of the record or a retried batch (judgeCopies).
  const sends = trackSends(faulty.sqs);
  const tableName = uniqueName('fault-stream');
  const table = new TableInfo({ name: tableName, primaryIndex: { partition: 'pk', sort: 'sk' } });
  const queues: string[] = [];
  try {
    const streamArn = await createStreamTable(clean.dynamoDb, tableName);
    const keyArn = await createKmsKey(clean.kms, 'fault injection: stream');
    const writer = new EncryptedClient({
      client: clean.dynamoDb,
      materialsProvider: new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: clean.kms }),
      attributeActions: attributeActions(),
      tableInfos: [table],
    });
    const write = async (batch: DynamoDbItem[]) => {
      for (let offset = 0; offset < batch.length; offset += 500) {
        await writer.batchWriteAll({ [tableName]: batch.slice(offset, offset + 500).map((Item) => ({ PutRequest: { Item } })) });
      }
    };
    const indexes = Array.from({ length: count }, (_, index) => index);
    await write(indexes.map((index) => streamItem(index, 1)));
    await write(indexes.filter((index) => index % 2 === 0).map((index) => streamItem(index, 2)));
    const removed = indexes.filter((index) => index % 10 === 0);
    for (let offset = 0; offset < removed.length; offset += 500) {
      await writer.batchWriteAll({
        [tableName]: removed.slice(offset, offset + 500).map((index) => ({ DeleteRequest: { Key: { pk: streamItem(index, 1).pk, sk: streamItem(index, 1).sk } } })),
      });
    }
    const records = await readStreamRecords(streamArn);

    const run = uniqueName('fault');
    const target = (await clean.sqs.send(new CreateQueueCommand({ QueueName: `${run}-target.fifo`, Attributes: { FifoQueue: 'true' } }))).QueueUrl as string;
    const deadLetter = (await clean.sqs.send(new CreateQueueCommand({ QueueName: `${run}-dlq` }))).QueueUrl as string;
    queues.push(target, deadLetter);
    const env = {
      [Names.TABLE_NAME]: tableName,
      [Names.PARTITION_KEY_NAME]: 'pk',
      [Names.SECONDARY_INDEXES]: 'none',
      [Names.SORT_KEY_NAME]: 'sk',
      [Names.MATERIALS]: 'direct-kms',
      [Names.KMS_KEY_ID]: keyArn,
      [Names.ATTRIBUTE_ACTIONS]: ATTRIBUTE_ACTIONS,
      [Names.TARGET_QUEUE_URLS]: target,
      [Names.DEAD_LETTER_QUEUE_URL]: deadLetter,
    };
    const decryptor = streamDecryptorFor(readStreamConfig(env), {
      dynamoDb: clean.dynamoDb,
      kms: faulty.kms,
      sqs: faulty.sqs,
      sns: new SNSClient({}),
      eventBridge: new EventBridgeClient({}),
    });
    const handler = createStreamDecryptHandler({ decryptor, ...quietObservability('fault-stream') });
    const consumer = new FifoConsumer(clean.sqs, target);
    injector.setRate(rate);

    // The event source mapping: one shard's records in order; a batch is retried from its first reported failure.
    const stats = { invocations: 0, partialBatches: 0, invocationErrors: 0, abandoned: 0 };
    /** Invocations that were handed each record (by sequence number): above 1 once its batch was retried. */
    const deliveries = new Map<string, number>();
    let position = 0;
    let attemptsHere = 0;
    let admittedUpTo = 0;
    try {
      while (position < records.length) {
        const batch = records.slice(position, position + batchSize);
        // Each record is admitted once; a batch sent again from its failed record adds none.
        if (position + batch.length > admittedUpTo) {
          await consumer.admit(position + batch.length - admittedUpTo, maxQueueDepth);
          admittedUpTo = position + batch.length;
        }
        stats.invocations += 1;
        for (const record of batch) deliveries.set(record.dynamodb?.SequenceNumber as string, (deliveries.get(record.dynamodb?.SequenceNumber as string) ?? 0) + 1);
        let advance = batch.length;
        try {
          const { batchItemFailures } = await handler(lambdaStreamEvent(batch, streamArn), {
            getRemainingTimeInMillis: () => 900_000,
          } as Context);
          if (batchItemFailures.length > 0) {
            stats.partialBatches += 1;
            const first = batch.findIndex((record) => record.dynamodb?.SequenceNumber === batchItemFailures[0].itemIdentifier);
            advance = first < 0 ? 0 : first;
          }
        } catch {
          stats.invocationErrors += 1;
          advance = 0;
        }
        if (advance === 0) {
          attemptsHere += 1;
          if (attemptsHere > 50) {
            // Lambda's maximum retry attempts: the record would go to the on-failure destination.
            stats.abandoned += 1;
            advance = 1;
          }
        }
        if (advance > 0) attemptsHere = 0;
        position += advance;
      }
    } catch (error) {
      await consumer.finish().catch(() => undefined); // stop receiving before reporting the failure
      throw error;
    }
    const faults = injector.snapshot();
    injector.setRate(0);

    // Expected: one message per record, with the image that was written.
    const expected = new Map<string, { pk: string; newImage?: DynamoDbItem; oldImage?: DynamoDbItem }>();
    for (const record of records) {
      const pk = record.dynamodb?.Keys?.pk?.S as string;
      const index = Number(pk.slice('customer-'.length));
      // The images are encrypted: the versions follow from what was written (v1 inserted, even items modified to v2, removed from their latest).
      const latest = index % 2 === 0 ? 2 : 1;
      const eventName = record.eventName;
      expected.set(record.dynamodb?.SequenceNumber as string, {
        pk,
        newImage: eventName === 'INSERT' ? streamItem(index, 1) : eventName === 'MODIFY' ? streamItem(index, 2) : undefined,
        oldImage: eventName === 'MODIFY' ? streamItem(index, 1) : eventName === 'REMOVE' ? streamItem(index, latest) : undefined,
      });
    }
    const bodies = await consumer.finish();
    const deadLettered = (await new FifoConsumer(clean.sqs, deadLetter).finish()).length;
    const received = new Map<string, number>();
    const lastSequence = new Map<string, bigint>();
    let corrupted = 0;
    let outOfOrder = 0;
    for (const body of bodies) {
      const message = JSON.parse(body) as { sequenceNumber: string; keys: Record<string, unknown>; newImage?: Record<string, unknown> | null; oldImage?: Record<string, unknown> | null };
      const copiesBefore = received.get(message.sequenceNumber) ?? 0;
      received.set(message.sequenceNumber, copiesBefore + 1);
      const want = expected.get(message.sequenceNumber);
      const image = (json?: Record<string, unknown> | null) => (json === undefined || json === null ? undefined : itemFromJson(json));
      if (want === undefined || !isDeepStrictEqual(image(message.newImage), want.newImage) || !isDeepStrictEqual(image(message.oldImage), want.oldImage)) {
        if (process.env.FAULT_DEBUG === '1' && corrupted === 0) console.error(JSON.stringify({ got: [image(message.newImage), image(message.oldImage)], want }));
        corrupted += 1;
      }
      // Order is judged on first copies; second copies are judged by judgeCopies below.
      if (copiesBefore > 0) continue;
      const pk = unmarshall(itemFromJson(message.keys) as never).pk as string;
      const sequence = BigInt(message.sequenceNumber);
      if ((lastSequence.get(pk) ?? -1n) >= sequence) outOfOrder += 1;
      lastSequence.set(pk, sequence);
    }
    const lost = [...expected.keys()].filter((sequence) => !received.has(sequence)).length;
    const deduplicationIds = new Map(records.map((record) => [record.dynamodb?.SequenceNumber as string, deduplicationId(record.eventID, record.dynamodb?.SequenceNumber)]));
    const { duplicated, motoDedupMisses } = judgeCopies(
      received,
      new Set(expected.keys()),
      (sequence) => deduplicationIds.get(sequence),
      (sequence) => deliveries.get(sequence) ?? 0,
      sends,
    );
    const resent = [...sends.reached.values()].filter((count) => count > 1).length;
    return {
      scenario: 'stream fan-out (stream handler to a FIFO queue, 10% faults on KMS and SQS)',
      faultsInjected: faults.total,
      items: records.length,
      lost,
      duplicated,
      corrupted,
      details: {
        faults,
        durationMs: Date.now() - started,
        ...stats,
        records: records.length,
        messages: bodies.length,
        outOfOrder,
        deadLettered,
        ambiguousSends: injector.countFor(['SendMessageCommand'], 'after'),
        recordsSentTwiceOrMore: resent,
        motoDedupMisses,
        motoRedeliveries: consumer.redelivered,
      },
    };
  } finally {
    await Promise.all(queues.map((QueueUrl) => clean.sqs.send(new DeleteQueueCommand({ QueueUrl })).catch(() => undefined)));
    await clean.dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    faulty.destroy();
    clean.dynamoDb.destroy();
    clean.kms.destroy();
    clean.sqs.destroy();
  }
}

// ───────────────────────────── KMS throttling burst ─────────────────────────────

/**
 * A KMS throttling burst (`burstRate` of KMS requests throttled, nothing else failing) while
 * items are ingested by direct invocations of the ingest handler, `chunk` items each; the burst
 * ends after the first `burstShare` of the chunks. A direct invocation surfaces a KMS failure
 * that outlived every retry as a thrown error (a KmsThrottlingError): `typedFailures` counts them
 * and the chunk is sent again, so the run completes either way.
 */
export async function kmsThrottlingBurst(
  options: FaultScenarioOptions & { burstRate?: number; burstShare?: number; chunk?: number; concurrency?: number; kmsMaxAttempts?: number },
): Promise<FaultScenarioResult & { typedFailures: number }> {
  const started = Date.now();
  const { items: count, seed = 8, burstRate = 0.3, burstShare = 0.6, chunk = 25, concurrency = 4, kmsMaxAttempts } = options;
  const clean = { dynamoDb: localDynamoDbClient(), kms: localKmsClient() };
  const injector = new FaultInjector({ seed, rate: 0, kinds: ['throttling'] });
  const kms = injector.attach(new KMSClient(kmsMaxAttempts === undefined ? {} : { maxAttempts: kmsMaxAttempts }), 'kms');
  const tableName = uniqueName('fault-kms-burst');
  const table = new TableInfo({ name: tableName, primaryIndex: { partition: 'pk', sort: 'sk' } });
  // The handler's own DynamoDB client (not faulty here), so that its acknowledged writes are counted.
  const handlerDynamoDb = localDynamoDbClient();
  const acknowledged = trackAcknowledgedWrites(handlerDynamoDb, tableName);
  try {
    await createPkSkTable(clean.dynamoDb, tableName);
    const keyArn = await createKmsKey(clean.kms, 'fault injection: KMS burst');
    const handler = createIngestHandler({
      environment: { [Names.TABLE_NAME]: tableName, [Names.MATERIALS]: 'direct-kms', [Names.KMS_KEY_ID]: keyArn, [Names.ATTRIBUTE_ACTIONS]: ATTRIBUTE_ACTIONS },
      clients: { dynamoDb: handlerDynamoDb, kms },
      ...quietObservability('fault-kms-burst'),
    });
    const items = Array.from({ length: count }, (_, index) => ingestItem(index, 1));
    const chunks: Array<Record<string, unknown>[]> = [];
    for (let offset = 0; offset < items.length; offset += chunk) chunks.push(items.slice(offset, offset + chunk));
    let typedFailures = 0;
    const failureNames: Record<string, number> = {};
    let notWritten = 0;
    injector.setRate(burstRate);
    let next = 0;
    const burstEnd = Math.ceil(chunks.length * burstShare);
    const worker = async (): Promise<void> => {
      for (let position = next++; position < chunks.length; position = next++) {
        if (position >= burstEnd) injector.setRate(0);
        await ingestChunk(chunks[position]);
      }
    };
    // Each invocation may write each item of its chunk once (a chunk is sent again after a failure).
    const deliveries = new Map<string, number>();
    const ingestChunk = async (itemsOfChunk: Record<string, unknown>[]): Promise<void> => {
      for (let attempt = 0; ; attempt += 1) {
        for (const item of itemsOfChunk) deliveries.set(`${String(item.pk)}/${String(item.sk)}`, (deliveries.get(`${String(item.pk)}/${String(item.sk)}`) ?? 0) + 1);
        try {
          const result = (await handler({ items: itemsOfChunk })) as { failures: unknown[] };
          notWritten += result.failures.length;
          break;
        } catch (error) {
          typedFailures += 1;
          const name = error instanceof KmsThrottlingError ? 'KmsThrottlingError' : (error as Error).name;
          failureNames[name] = (failureNames[name] ?? 0) + 1;
          if (attempt >= 10) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const faults = injector.snapshot();
    injector.setRate(0);
    const expected = new Map(items.map((item) => [`${item.pk}/${item.sk}`, marshall(item) as DynamoDbItem]));
    const audit = await auditTable(clean.dynamoDb, table, new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: clean.kms, strict: true }), expected);
    const writes = extraWrites(acknowledged, (key) => deliveries.get(key) ?? 0);
    return {
      scenario: `KMS throttling burst (${Math.round(burstRate * 100)}% of KMS requests throttled for ${Math.round(burstShare * 100)}% of the run; ingest by direct invoke)`,
      faultsInjected: faults.total,
      items: count,
      lost: audit.lost,
      duplicated: writes.extraWrites + audit.unexpected,
      corrupted: audit.corrupted,
      typedFailures,
      details: {
        faults,
        durationMs: Date.now() - started,
        typedFailures,
        failureNames,
        notWritten,
        kmsMaxAttempts: kmsMaxAttempts ?? 'SDK default (3)',
        unexpectedKeys: audit.unexpected,
        ...writes,
        acknowledgedWrites: [...acknowledged.values()].reduce((sum, written) => sum + written, 0),
      },
    };
  } finally {
    await clean.dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    kms.destroy();
    handlerDynamoDb.destroy();
    clean.dynamoDb.destroy();
    clean.kms.destroy();
  }
}

export type { FaultKind };
