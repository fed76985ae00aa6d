/**
 * The ingest Lambda: plaintext items in, encrypted items in the table. One handler for three
 * event shapes (see src/pipeline/ingest-event.ts):
 *
 * - direct invoke `{ "items": [...] }` → `{ written, failures }`; valid items are written even
 *   when others are not, and each failure says which item and why;
 * - SQS batch (each body one item or an array) → `{ batchItemFailures }`; a message is written
 *   whole or not at all when one of its items is invalid, and fails when any item is not
 *   written, so SQS delivers it again (or to its dead-letter queue). Messages of a standard
 *   queue are written side by side; those of a FIFO queue one after the other, and after the
 *   first failure the rest of that message's group is reported failed unwritten, so that a
 *   message delivered again can never overwrite a later one of its group (other groups go on).
 *   Once the invocation nears its timeout (`timeReserveMs`), messages not yet started are
 *   reported failed unwritten rather than left to a timeout that would fail the whole batch,
 *   messages already written included;
 * - HTTP POST (Function URL, API Gateway v1/v2; body one item or an array) → 200 `{ written }`;
 *   400 `{ written: 0, failures }` when any item is invalid, and then nothing is written, so the
 *   caller can fix the request and send it again without duplicates. An item DynamoDB itself
 *   refuses (a number out of its range, an empty set) is found only by writing: in a request of
 *   at most 25 items (not create-only) nothing is written either, but in a larger or create-only
 *   request writes sent before the refusal stay written, and the 400 then says so
 *   (`{ written, failures, message }`, failures listing every item not written; see
 *   `IngestWriteOptions.allOrNothing`). 409 (create-only and an item exists) or 503 (DynamoDB or
 *   KMS throttled, with `retry-after`) `{ written, failures }`; 400 for a missing body or
 *   malformed JSON; 405 for other methods; 500 for any other failure (details in the logs).
 *
 * Nothing here logs, returns or throws an item value: reasons name item positions and
 * attributes. Configuration is read once per cold start; when it is invalid every invocation
 * fails with the ConfigurationError naming the variables to set.
 */
import { BatchProcessor, EventType, SqsFifoPartialProcessorAsync, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { EncryptedClient } from '../src/encrypted/encrypted-client';
import { ConcurrencyLimiter } from '../src/providers/concurrency-limiter';
import { classifyIngestEvent, IngestEventError, itemsFromJson, type SqsMessage } from '../src/pipeline/ingest-event';
import { IngestItemsNotWrittenError, type IngestResult } from '../src/pipeline/ingest-failure';
import type { IngestKeySchema } from '../src/pipeline/ingest-key-schema';
import { loggableError } from '../src/pipeline/loggable-error';
import { INGEST_RETRY_AFTER_SECONDS, ingestThrottling, throttledRequestAnswer } from '../src/pipeline/ingest-throttling';
import { checkTimeReserve, DEFAULT_TIME_RESERVE_MS, IngestNotStartedError, InvocationTimeBudget } from '../src/pipeline/invocation-time-budget';
import { IngestWriter } from '../src/pipeline/ingest-writer';
import { materialsProviderFor, regionalKmsClients, tableInfoFor, type AwsClients } from '../src/pipeline/materials-from-config';
import { readIngestConfig, type IngestConfig } from '../src/pipeline/pipeline-config';
import { deployedHandler } from './deployed-handler';
import { measuredInvocation, observability } from './observability';

export interface IngestHandlerDependencies {
  /** @default read with `readIngestConfig(environment)` */
  readonly config?: IngestConfig;
  /** @default process.env */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** @default new clients from the Lambda's own region and credentials, and KMS in each key ARN's region (`regionalKmsClients`) */
  readonly clients?: AwsClients;
  /** Key attribute types; @default learned with DescribeTable on first use. */
  readonly keySchema?: IngestKeySchema;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /**
   * SQS batches: stop starting messages this long before the Lambda timeout and report the rest
   * failed, unwritten: a timed-out invocation would fail the whole batch, messages already
   * written included. At most a fifth of the time the invocation started with, so a short
   * timeout still leaves time to work (the stream fan-out's rule and default).
   * @default DEFAULT_TIME_RESERVE_MS (5000)
   */
  readonly timeReserveMs?: number;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export type IngestResponse = IngestResult | { batchItemFailures: Array<{ itemIdentifier: string }> } | HttpResponse;
export type IngestHandler = (event: unknown, context?: Context) => Promise<IngestResponse>;

/** SQS messages written at once: a batch can hold thousands, DynamoDB and KMS want bounded load. */
const MESSAGES_IN_FLIGHT = 16;

/** Builds the handler; reads and checks the configuration now, so a bad one fails at cold start. */
export function createIngestHandler(dependencies: IngestHandlerDependencies = {}): IngestHandler {
  const config = dependencies.config ?? readIngestConfig(dependencies.environment ?? process.env);
  const clients = dependencies.clients ?? { dynamoDb: new DynamoDBClient({}), ...regionalKmsClients() };
  const defaults = observability('ingest');
  const logger = dependencies.logger ?? defaults.logger;
  const metrics = dependencies.metrics ?? defaults.metrics;
  const timeReserveMs = checkTimeReserve(dependencies.timeReserveMs ?? DEFAULT_TIME_RESERVE_MS);
  const tableInfo = tableInfoFor(config.table);
  const writer = new IngestWriter({
    encryptedClient: new EncryptedClient({
      client: clients.dynamoDb,
      materialsProvider: materialsProviderFor(config.materials, clients),
      attributeActions: config.attributeActions,
      tableInfos: tableInfo === undefined ? [] : [tableInfo],
    }),
    tableName: config.table.tableName,
    createOnly: config.createOnly,
    keySchema: dependencies.keySchema,
  });

  return async (event, context) => {
    if (context !== undefined) logger.addContext(context);
    const counts = { written: 0, rejected: 0 };
    const tally = (result: IngestResult): IngestResult => {
      counts.written += result.written;
      counts.rejected += result.failures.length;
      return result;
    };
    // ColdStart, and InvocationFailures for a throw or an HTTP 5xx, flushed with these counts.
    return measuredInvocation(metrics, context, async () => {
      try {
        const ingestEvent = classifyIngestEvent(event);
        if (ingestEvent.kind === 'direct') {
          const result = tally(await writer.write(ingestEvent.items));
          if (result.failures.length > 0) logger.warn('items not written', { written: result.written, failures: result.failures });
          return result;
        }
        if (ingestEvent.kind === 'sqs') return await ingestSqs(writer, ingestEvent.records, tally, logger, context, InvocationTimeBudget.of(context, timeReserveMs));
        return await ingestHttp(writer, ingestEvent.method, ingestEvent.body, tally, logger);
      } catch (error) {
        logger.error('ingest failed', loggableError(error));
        throw error;
      } finally {
        metrics.addMetric('ItemsWritten', MetricUnit.Count, counts.written);
        metrics.addMetric('ItemsRejected', MetricUnit.Count, counts.rejected);
      }
    }, isServerError);
  };
}

/** An HTTP answer the caller cannot fix by changing its request: the invocation failed. */
function isServerError(response: IngestResponse): boolean {
  return 'statusCode' in response && response.statusCode >= 500;
}

async function ingestSqs(
  writer: IngestWriter,
  records: SqsMessage[],
  tally: (result: IngestResult) => IngestResult,
  logger: Logger,
  context: Context | undefined,
  budget: InvocationTimeBudget | undefined,
): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }> {
  let notStarted = 0;
  const ingestMessage = async (record: SqsMessage): Promise<void> => {
    try {
      budget?.assertTimeToStart();
      const result = tally(await writer.write(itemsFromJson(record.body, 'the message body'), { allOrNothing: true }));
      if (result.failures.length > 0) throw new IngestItemsNotWrittenError(result.failures, result.written);
    } catch (error) {
      if (error instanceof IngestNotStartedError) notStarted += 1;
      else if (error instanceof IngestItemsNotWrittenError) logger.warn('SQS message not written', { messageId: record.messageId, failures: error.failures });
      else logger.error('SQS message not written', { messageId: record.messageId, ...loggableError(error) });
      throw error;
    }
  };
  // Two messages of a FIFO group may hold the same item: were they settled independently, the
  // older one failing now and succeeding on redelivery would overwrite the newer one. So after
  // a failure the group's later messages fail unprocessed; other groups' are independent.
  const fifo = records.some((record) => record.attributes?.MessageGroupId !== undefined);
  // A batch whose every message fails answers with every messageId too, rather than throwing:
  // the response then says which messages failed, and SQS treats them the same way.
  const options = { context, throwOnFullBatchFailure: false };
  const limiter = new ConcurrencyLimiter(MESSAGES_IN_FLIGHT);
  const response = fifo
    ? await processPartialResponse({ Records: records }, ingestMessage, new SqsFifoPartialProcessorAsync(), { ...options, skipGroupOnError: true })
    : await processPartialResponse({ Records: records }, (record: SqsMessage) => limiter.run(() => ingestMessage(record)), new BatchProcessor(EventType.SQS), options);
  if (notStarted > 0) {
    logger.warn('SQS messages not started: the invocation neared its timeout; they are reported failed and delivered again', {
      notStarted,
      reserveMs: budget?.reserveMs,
      remainingMs: budget?.remainingMs(),
    });
  }
  return response;
}

async function ingestHttp(
  writer: IngestWriter,
  method: string,
  body: string | undefined,
  tally: (result: IngestResult) => IngestResult,
  logger: Logger,
): Promise<HttpResponse> {
  if (method !== 'POST') return respond(405, { message: 'use POST with a JSON body: one item or an array of items' }, { allow: 'POST' });
  if (body === undefined || body.trim() === '') return respond(400, { message: 'the request has no body: send one item or an array of items as JSON' });
  let items: unknown[];
  try {
    items = itemsFromJson(body, 'the request body');
  } catch (error) {
    if (error instanceof IngestEventError) return respond(400, { message: error.message });
    throw error;
  }
  let result: IngestResult;
  try {
    result = tally(await writer.write(items, { allOrNothing: true }));
  } catch (error) {
    const throttling = ingestThrottling(error);
    if (throttling !== undefined) {
      logger.warn('HTTP ingest throttled', { service: throttling.service, ...loggableError(error) });
      const answer = throttledRequestAnswer(items.length, throttling, writer.createOnly);
      // Counted as a throttled write's 503 is: every item of the request not written.
      tally({ written: 0, failures: answer.failures });
      return respond(503, answer, RETRY_AFTER);
    }
    logger.error('HTTP ingest failed', loggableError(error));
    return respond(500, { message: "the items could not be written: see the function's logs" });
  }
  if (result.failures.length === 0) return respond(200, { written: result.written });
  logger.warn('items not written', { written: result.written, failures: result.failures });
  const codes = new Set(result.failures.map((failure) => failure.code));
  // An invalid item fails again however often the request is sent: that is the answer to fix first.
  const statusCode = codes.has('invalid') ? 400 : codes.has('not-written') ? 503 : 409;
  if (statusCode === 400 && result.written > 0) {
    const message = `DynamoDB refused an item after ${result.written} item(s) of this request were written (they stay written); ` +
      'every item not written is in failures: fix the invalid ones and send those again';
    return respond(statusCode, { written: result.written, failures: result.failures, message });
  }
  return respond(statusCode, { written: result.written, failures: result.failures }, statusCode === 503 ? RETRY_AFTER : {});
}

/** Sent with every 503: DynamoDB or KMS throttled the request. */
const RETRY_AFTER = { 'retry-after': String(INGEST_RETRY_AFTER_SECONDS) };

function respond(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** The deployed handler (see deployedHandler for when it is built and how a bad configuration shows). */
export const handler = deployedHandler('ingest', () => createIngestHandler());
