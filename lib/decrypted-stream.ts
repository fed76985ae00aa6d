import { Duration, Token, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { streamEnvironment } from './pipeline-environment';
import { pipelineFunction, type PipelineFunctionOptions } from './pipeline-function';
import { checkWholeNumber } from './prop-checks';
import type { ItemEncryption } from './item-encryption';

/** What happens to stream records of items that were never encrypted (plaintext in the table). */
export enum PlaintextRecords {
  /** Delivered as they are, marked as plaintext. */
  PASS_THROUGH = 'pass-through',
  /** Sent to the dead-letter queue with their keys' names, like items that fail verification. */
  DEAD_LETTER = 'dead-letter',
}

export interface DecryptedStreamOptions extends PipelineFunctionOptions {
  /**
   * SQS queues (standard or FIFO) each decrypted record is sent to.
   * @default - none given; a new queue is created when no target of any kind is given
   */
  readonly targetQueues?: sqs.IQueue[];
  /**
   * SNS topics each decrypted record is published to.
   * @default - none
   */
  readonly targetTopics?: sns.ITopic[];
  /**
   * EventBridge buses each decrypted record is put on, addressed by ARN, so a bus of another
   * account or region (imported with `EventBus.fromEventBusArn`) is reached.
   * @default - none
   */
  readonly targetEventBuses?: events.IEventBus[];
  /**
   * Create an SNS topic as a target (encrypted, TLS only), exposed as `targetTopic`.
   * @default false
   */
  readonly createTopic?: boolean;
  /**
   * Create an EventBridge bus as a target, exposed as `targetEventBus`.
   * @default false
   */
  readonly createEventBus?: boolean;
  /**
   * Make the queue created when no target is given a FIFO queue: messages are grouped by table
   * and partition key, so consumers see each item's changes in order.
   * @default false
   */
  readonly fifo?: boolean;
  /**
   * What happens to records of items that were never encrypted.
   * @default PlaintextRecords.DEAD_LETTER
   */
  readonly plaintextRecords?: PlaintextRecords;
  /**
   * Where records whose item fails verification (tampered, or under an untrusted key) go, with
   * the reason and the keys, never the plaintext. They do not block the shard.
   * @default - a new encrypted queue
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Where Lambda sends a description of the records it gives up on after `retryAttempts` or
   * `maxRecordAge` (targets down for long): records are never dropped silently.
   * @default - a new encrypted queue
   */
  readonly failureDestination?: sqs.IQueue;
  /**
   * Most stream records per invocation.
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * How long the event source gathers records before invoking.
   * @default - none: records are handed over as soon as they arrive
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Retries of a failing batch before Lambda gives up on its records and reports them to `failureDestination`.
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * Age past which Lambda stops retrying a record and reports it to `failureDestination`.
   * @default Duration.days(1)
   */
  readonly maxRecordAge?: Duration;
  /** Split a failing batch in two and retry each half, to isolate a bad record sooner. @default true */
  readonly bisectBatchOnError?: boolean;
  /**
   * Where in the stream a new event source mapping starts reading.
   * @default lambda.StartingPosition.TRIM_HORIZON (nothing still in the stream is missed)
   */
  readonly startingPosition?: lambda.StartingPosition;
  /**
   * Concurrent batches per shard. Above 1, records of one item stay in order but records of
   * different items may be delivered out of order: keep 1 when consumers need table order.
   * @default 1
   */
  readonly parallelizationFactor?: number;
}

export interface DecryptedStreamProps extends DecryptedStreamOptions {
  /**
   * The table (with a NEW_AND_OLD_IMAGES stream; for an imported table give `tableStreamArn`)
   * and its encryption settings.
   */
  readonly encryption: ItemEncryption;
}

/**
 * Decrypts the table's stream records and delivers them, in order, to SQS queues (standard or
 * FIFO), SNS topics and EventBridge buses. Failures are reported per record
 * (`ReportBatchItemFailures`), so a retry starts at the first undelivered record.
 */
export class DecryptedStream extends Construct {
  readonly function: nodejs.NodejsFunction;
  /** The stream event source (its mapping id and ARN are exposed there). */
  readonly eventSource: DynamoEventSource;
  /** The queue created when no target was given. */
  readonly targetQueue?: sqs.Queue;
  /** The topic created with `createTopic`. */
  readonly targetTopic?: sns.Topic;
  /** The bus created with `createEventBus`. */
  readonly targetEventBus?: events.EventBus;
  readonly deadLetterQueue: sqs.IQueue;
  readonly failureDestination: sqs.IQueue;
  /** Fires when a record fails verification (or is plaintext under DEAD_LETTER). */
  readonly deadLetterQueueAlarm: cloudwatch.Alarm;
  /** Fires when Lambda gave up on records. */
  readonly failureDestinationAlarm: cloudwatch.Alarm;
  /** Fires when the stream's oldest unprocessed record is over 5 minutes old. */
  readonly iteratorAgeAlarm: cloudwatch.Alarm;
  readonly errorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DecryptedStreamProps) {
    super(scope, id);
    const { encryption } = props;
    if (encryption.table.tableStreamArn === undefined) {
      throw new Error(
        'DecryptedStream: the table has no stream. Create it with stream: StreamViewType.NEW_AND_OLD_IMAGES, or import it with Table.fromTableAttributes({ tableStreamArn })',
      );
    }
    const viewType = streamViewTypeOf(encryption.table);
    if (viewType !== undefined && viewType !== dynamodb.StreamViewType.NEW_AND_OLD_IMAGES) {
      throw new Error(
        `DecryptedStream: the table's stream is ${viewType}, but the records must carry both images to be verified and delivered: use StreamViewType.NEW_AND_OLD_IMAGES`,
      );
    }
    const parallelizationFactor = props.parallelizationFactor ?? 1;
    checkWholeNumber('DecryptedStream', 'parallelizationFactor', parallelizationFactor, 1, 10);
    const batchSize = props.batchSize ?? 100;
    checkWholeNumber('DecryptedStream', 'batchSize', batchSize, 1, 10_000);
    if (props.createTopic === true) {
      // SNS encrypts with its AWS managed key; the stream's plaintext never rests unencrypted.
      this.targetTopic = new sns.Topic(this, 'TargetTopic', { enforceSSL: true, masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns') });
    }
    if (props.createEventBus === true) this.targetEventBus = new events.EventBus(this, 'TargetEventBus');
    const targetTopics = [...(props.targetTopics ?? []), ...(this.targetTopic === undefined ? [] : [this.targetTopic])];
    const targetEventBuses = [...(props.targetEventBuses ?? []), ...(this.targetEventBus === undefined ? [] : [this.targetEventBus])];
    const givenTargets = (props.targetQueues?.length ?? 0) + targetTopics.length + targetEventBuses.length;
    if (props.fifo === true && givenTargets > 0) {
      throw new Error('DecryptedStream: fifo applies to the queue created when no other target is given; pass your own FIFO queue in targetQueues instead');
    }
    if (givenTargets === 0) {
      this.targetQueue = new sqs.Queue(this, 'TargetQueue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        ...(props.fifo === true ? { fifo: true } : {}),
      });
      Validations.of(this.targetQueue).acknowledge({
        id: 'AwsSolutions::AwsSolutions-SQS3',
        reason: "The consumers' queue: how often they may fail a message and where it goes then is theirs to set (addToResourcePolicy / a redrive policy)",
      });
    }
    const targetQueues = [...(props.targetQueues ?? []), ...(this.targetQueue === undefined ? [] : [this.targetQueue])];
    this.deadLetterQueue = props.deadLetterQueue ?? newRecordQueue(this, 'DeadLetterQueue');
    this.failureDestination = props.failureDestination ?? newRecordQueue(this, 'FailureDestination');

    this.function = pipelineFunction(this, 'Function', {
      ...props,
      handler: 'stream-decrypt',
      description: 'Decrypts DynamoDB stream records of the encrypted table and delivers them to its targets',
      environment: streamEnvironment(encryption.environment(), {
        targetQueueUrls: targetQueues.map((queue) => queue.queueUrl),
        targetTopicArns: targetTopics.map((topic) => topic.topicArn),
        // PutEvents takes an ARN as EventBusName; a name would mean a bus of this account and region.
        targetEventBusArns: targetEventBuses.map((bus) => bus.eventBusArn),
        deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
        plaintextRecords: props.plaintextRecords ?? PlaintextRecords.DEAD_LETTER,
      }),
      // Well above the 5 s the handler keeps in reserve to report unfinished records itself.
      defaultTimeout: Duration.minutes(1),
    });
    encryption.grantDecrypt(this.function);
    for (const queue of targetQueues) queue.grantSendMessages(this.function);
    for (const topic of targetTopics) topic.grantPublish(this.function);
    for (const bus of targetEventBuses) bus.grantPutEventsTo(this.function);
    this.deadLetterQueue.grantSendMessages(this.function);
    Validations.of(this.function.role as iam.IRole).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams, added by the DynamoDB event source, supports no resource-level permission; every other action is scoped to a resource',
    });

    this.eventSource = new DynamoEventSource(encryption.table, {
      startingPosition: props.startingPosition ?? lambda.StartingPosition.TRIM_HORIZON,
      batchSize,
      maxBatchingWindow: props.maxBatchingWindow,
      reportBatchItemFailures: true,
      bisectBatchOnError: props.bisectBatchOnError ?? true,
      retryAttempts: props.retryAttempts ?? 10,
      maxRecordAge: props.maxRecordAge ?? Duration.days(1),
      parallelizationFactor,
      onFailure: new SqsDlq(this.failureDestination),
    });
    this.function.addEventSource(this.eventSource);

    const minute = { period: Duration.minutes(1) };
    this.deadLetterQueueAlarm = this.deadLetterQueue.metricApproximateNumberOfMessagesVisible(minute).createAlarm(this, 'DeadLetterQueueAlarm', {
      alarmDescription: 'Stream records failed verification (tampered, or under an untrusted key) and are in the dead-letter queue',
      threshold: 1,
      evaluationPeriods: 1,
    });
    this.failureDestinationAlarm = this.failureDestination.metricApproximateNumberOfMessagesVisible(minute).createAlarm(this, 'FailureDestinationAlarm', {
      alarmDescription: 'Lambda gave up on stream records after its retries; they were not delivered',
      threshold: 1,
      evaluationPeriods: 1,
    });
    this.iteratorAgeAlarm = this.function.metric('IteratorAge', { statistic: 'Maximum', ...minute }).createAlarm(this, 'IteratorAgeAlarm', {
      alarmDescription: 'Decrypted stream delivery is falling behind the table',
      threshold: Duration.minutes(5).toMilliseconds(),
      evaluationPeriods: 5,
    });
    this.errorsAlarm = this.function.metricErrors(minute).createAlarm(this, 'ErrorsAlarm', {
      alarmDescription: 'The stream decryption function failed',
      threshold: 1,
      evaluationPeriods: 1,
    });
  }
}

function newRecordQueue(scope: Construct, id: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions::AwsSolutions-SQS3',
    reason: 'This queue is itself where failed records end up (verification dead letters, or the event source on-failure destination), watched by an alarm',
  });
  return queue;
}

/** The stream view type of a table defined in this app, when it can be read; undefined otherwise (imported tables, tokens). */
function streamViewTypeOf(table: dynamodb.ITable): string | undefined {
  const resource = table.node.defaultChild;
  const specification = resource instanceof dynamodb.CfnTable || resource instanceof dynamodb.CfnGlobalTable ? resource.streamSpecification : undefined;
  if (specification === undefined || Token.isUnresolved(specification)) return undefined;
  const viewType = (specification as { streamViewType?: unknown }).streamViewType;
  return typeof viewType === 'string' && !Token.isUnresolved(viewType) ? viewType : undefined;
}
