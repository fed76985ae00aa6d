import { Annotations, Duration, Token } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TableActions } from '../src/pipeline/table-actions';
import { ingestEnvironment } from './pipeline-environment';
import { pipelineFunction, type PipelineFunctionOptions } from './pipeline-function';
import { checkWholeNumber } from './prop-checks';
import type { ItemEncryption } from './item-encryption';

/** Where plaintext items come from, besides a direct invoke (always possible for those granted it). */
export enum IngestSource {
  /** A Lambda Function URL taking an HTTP POST with one item or a JSON array. */
  FUNCTION_URL = 'FUNCTION_URL',
  /** An SQS queue: each message one item or a JSON array; failed messages go to its dead-letter queue. */
  QUEUE = 'QUEUE',
}

export interface IngestFunctionOptions extends PipelineFunctionOptions {
  /**
   * The sources besides direct invocation.
   * @default [] (invoke only)
   */
  readonly sources?: IngestSource[];
  /**
   * Who may call the Function URL.
   * @default lambda.FunctionUrlAuthType.AWS_IAM (callers sign requests; grant them with `grantInvokeUrl`)
   */
  readonly functionUrlAuthType?: lambda.FunctionUrlAuthType;
  /**
   * The queue to read when `sources` includes QUEUE.
   * @default - a new encrypted queue with a dead-letter queue
   */
  readonly existingQueue?: sqs.IQueue;
  /**
   * Messages per invocation from the queue.
   * @default 10
   */
  readonly queueBatchSize?: number;
  /**
   * How long the queue event source gathers messages before invoking; needed for batches above 10.
   * @default - none: invoke as soon as messages arrive
   */
  readonly queueMaxBatchingWindow?: Duration;
  /**
   * Receives of a message before the new queue moves it to its dead-letter queue.
   * @default 3
   */
  readonly maxReceiveCount?: number;
  /**
   * Write with a conditional PutItem that never overwrites an existing item (HTTP 409 / a failed
   * message when one exists) instead of BatchWriteItem. The function may then decrypt, to tell
   * an earlier delivery of the same item from another writer's.
   * @default false
   */
  readonly createOnly?: boolean;
}

export interface IngestFunctionProps extends IngestFunctionOptions {
  /** The table and its encryption settings. */
  readonly encryption: ItemEncryption;
}

/**
 * The ingest Lambda: takes plaintext items (invoke, Function URL, SQS), validates them against
 * the table, encrypts and writes them. Needs only to encrypt and write: it cannot read the table,
 * and decrypts only with `createOnly` (an item found in the way of a write).
 */
export class IngestFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  /** Set when `sources` includes FUNCTION_URL. */
  readonly functionUrl?: lambda.FunctionUrl;
  /** Set when `sources` includes QUEUE. */
  readonly queue?: sqs.IQueue;
  /** The dead-letter queue of a queue this construct created. */
  readonly deadLetterQueue?: sqs.IQueue;
  /** Fires on any function error. */
  readonly errorsAlarm: cloudwatch.Alarm;
  /** Fires when a message reaches the dead-letter queue (new queue only). */
  readonly deadLetterQueueAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: IngestFunctionProps) {
    super(scope, id);
    const sources = new Set(props.sources ?? []);
    if (props.existingQueue !== undefined && !sources.has(IngestSource.QUEUE)) {
      throw new Error('IngestFunction: existingQueue is given but sources does not include IngestSource.QUEUE');
    }
    const queueBatchSize = props.queueBatchSize ?? 10;
    checkWholeNumber('IngestFunction', 'queueBatchSize', queueBatchSize, 1, 10_000);
    if (!Token.isUnresolved(queueBatchSize) && queueBatchSize > 10 && props.queueMaxBatchingWindow === undefined) {
      throw new Error('IngestFunction: queueBatchSize above 10 needs queueMaxBatchingWindow (SQS hands over at most 10 messages without one)');
    }
    const { encryption } = props;
    const timeout = props.timeout ?? Duration.seconds(30);
    this.function = pipelineFunction(this, 'Function', {
      ...props,
      handler: 'ingest',
      description: 'Encrypts plaintext items and writes them to the encrypted table',
      environment: ingestEnvironment(encryption.environment(), { createOnly: props.createOnly ?? false }),
      defaultTimeout: timeout,
    });
    encryption.grantEncrypt(this.function);
    // Create-only ingest verifies an item found in the way, to count an earlier delivery of the
    // same item as written; that item may be under any trusted key.
    if (props.createOnly === true) encryption.grantDecrypt(this.function);
    encryption.table.grant(this.function, ...TableActions.ingest);
    this.errorsAlarm = this.function.metricErrors({ period: Duration.minutes(1) }).createAlarm(this, 'ErrorsAlarm', {
      alarmDescription: 'The ingest function failed (items were not written)',
      threshold: 1,
      evaluationPeriods: 1,
    });

    if (sources.has(IngestSource.FUNCTION_URL)) {
      this.functionUrl = this.function.addFunctionUrl({ authType: props.functionUrlAuthType ?? lambda.FunctionUrlAuthType.AWS_IAM });
    }
    if (sources.has(IngestSource.QUEUE)) {
      if (props.existingQueue !== undefined) {
        this.queue = props.existingQueue;
        if (props.existingQueue instanceof sqs.Queue && props.existingQueue.deadLetterQueue === undefined) {
          // Without one, a message that keeps failing is retried until its retention ends, then lost.
          Annotations.of(this).addWarningV2(
            'ddbec:ingestQueueWithoutDeadLetterQueue',
            'IngestFunction: existingQueue has no dead-letter queue: messages that keep failing are dropped when their retention period ends. Give it a deadLetterQueue.',
          );
        }
      } else {
        const deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
          encryption: sqs.QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          retentionPeriod: Duration.days(14),
        });
        this.deadLetterQueue = deadLetterQueue;
        this.queue = new sqs.Queue(this, 'Queue', {
          encryption: sqs.QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          // Lambda's guidance: at least six times the function timeout, so a message is not
          // delivered again while an invocation that throttles and retries still works on it.
          // A timeout given as a token has no value here: then the longest Lambda timeout's six times.
          visibilityTimeout: timeout.isUnresolved() ? Duration.minutes(6 * 15) : Duration.seconds(timeout.toSeconds() * 6),
          deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 3 },
        });
        this.deadLetterQueueAlarm = deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }).createAlarm(this, 'DeadLetterQueueAlarm', {
          alarmDescription: 'Ingest messages could not be written and are in the dead-letter queue',
          threshold: 1,
          evaluationPeriods: 1,
        });
      }
      this.function.addEventSource(new SqsEventSource(this.queue, { batchSize: queueBatchSize, maxBatchingWindow: props.queueMaxBatchingWindow, reportBatchItemFailures: true }));
    }
  }

  /** Lets `grantee` invoke the function directly with `{ items: [...] }`. */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.function.grantInvoke(grantee);
  }

  /** Lets `grantee` call the Function URL (IAM auth). */
  grantInvokeUrl(grantee: iam.IGrantable): iam.Grant {
    if (this.functionUrl === undefined) throw new Error('IngestFunction: grantInvokeUrl needs IngestSource.FUNCTION_URL in sources');
    return this.functionUrl.grantInvokeUrl(grantee);
  }

  /** Lets `grantee` send items to the ingest queue. */
  grantSendItems(grantee: iam.IGrantable): iam.Grant {
    if (this.queue === undefined) throw new Error('IngestFunction: grantSendItems needs IngestSource.QUEUE in sources');
    return this.queue.grantSendMessages(grantee);
  }
}
