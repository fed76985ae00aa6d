import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { loggableError } from '../src/pipeline/loggable-error';
import { checkTimeReserve, DEFAULT_TIME_RESERVE_MS, InvocationTimeBudget } from '../src/pipeline/invocation-time-budget';
import { readStreamConfig } from '../src/pipeline/pipeline-config';
import type { StreamDecryptor } from '../src/pipeline/stream-decryptor';
import { regionalKmsClients } from '../src/pipeline/materials-from-config';
import { streamDecryptorFor } from '../src/pipeline/stream-decryptor-from-config';
import { deployedHandler } from './deployed-handler';
import { measuredInvocation, observability } from './observability';

/**
 * The decrypted stream fan-out Lambda (DynamoDB Streams event source, ReportBatchItemFailures on).
 *
 * Records are processed here in order by StreamDecryptor rather than by Powertools'
 * BatchProcessor: the processor settles every record on its own, while a stream must stop at the
 * first failure and report it and everything after it, or later records would be delivered
 * before an earlier one that is retried.
 */

export interface StreamDecryptDependencies {
  readonly decryptor: StreamDecryptor;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * Stop taking new records this long before the Lambda timeout and report the rest for retry:
   * a timed-out invocation would have Lambda retry the whole batch. At most a fifth of the time
   * the invocation started with, so a short timeout still leaves time to work.
   * @default DEFAULT_TIME_RESERVE_MS (5000)
   */
  readonly timeReserveMs?: number;
}

export type StreamDecryptHandler = (event: DynamoDBStreamEvent, context?: Context) => Promise<DynamoDBBatchResponse>;

export function createStreamDecryptHandler(dependencies: StreamDecryptDependencies): StreamDecryptHandler {
  const { decryptor, logger, metrics } = dependencies;
  const reserveMs = checkTimeReserve(dependencies.timeReserveMs ?? DEFAULT_TIME_RESERVE_MS);
  return async (event, context) => {
    if (context !== undefined) logger.addContext(context);
    // ColdStart, and InvocationFailures when the handler throws, flushed with the counts below.
    return measuredInvocation(metrics, context, () => processBatch(event, context));
  };

  async function processBatch(event: DynamoDBStreamEvent, context: Context | undefined): Promise<DynamoDBBatchResponse> {
    const budget = InvocationTimeBudget.of(context, reserveMs);
    const shouldStop = budget === undefined ? undefined : () => budget.shouldStop();
    try {
      const result = await decryptor.process(event, { shouldStop });
      metrics.addMetric('RecordsDelivered', MetricUnit.Count, result.delivered);
      metrics.addMetric('RecordsDeadLettered', MetricUnit.Count, result.deadLettered.length);
      metrics.addMetric('DeliveryFailures', MetricUnit.Count, result.stoppedAt?.deliveryFailure === true ? 1 : 0);
      // Also counts records held back by a KMS or DescribeTable failure, which DeliveryFailures does not.
      metrics.addMetric('RecordsRetried', MetricUnit.Count, result.batchItemFailures.length);
      // Reasons name tables and attributes; keys and values stay in the dead-letter queue.
      for (const record of result.deadLettered) logger.warn('record sent to the dead-letter queue', { ...record });
      if (result.stoppedAt !== undefined) {
        logger.error('batch stopped; Lambda retries from the reported record', { ...result.stoppedAt, retried: result.batchItemFailures.length });
      }
      logger.info('stream batch processed', {
        records: result.records,
        delivered: result.delivered,
        passedThrough: result.passedThrough,
        deadLettered: result.deadLettered.length,
        retried: result.batchItemFailures.length,
      });
      return { batchItemFailures: result.batchItemFailures };
    } catch (error) {
      // Only a non-stream event (or a bug) gets here: Lambda retries the whole invocation.
      logger.error('stream batch failed', loggableError(error));
      throw error;
    }
  }
}

/** Everything from the environment, built once per container. */
export function dependenciesFromEnvironment(environment: Readonly<Record<string, string | undefined>> = process.env): StreamDecryptDependencies {
  const config = readStreamConfig(environment);
  const clients = {
    dynamoDb: new DynamoDBClient({}),
    ...regionalKmsClients(),
    sqs: new SQSClient({}),
    sns: new SNSClient({}),
    eventBridge: new EventBridgeClient({}),
  };
  return { decryptor: streamDecryptorFor(config, clients), ...observability('stream-decrypt') };
}

/** The deployed handler (see deployedHandler for when it is built and how a bad configuration shows). */
export const handler: StreamDecryptHandler = deployedHandler('stream-decrypt', () => createStreamDecryptHandler(dependenciesFromEnvironment()));
