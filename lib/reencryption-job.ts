import { CfnElement, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { TableActions } from '../src/pipeline/table-actions';
import { reEncryptEnvironment } from './pipeline-environment';
import { pipelineFunction, type PipelineFunctionOptions } from './pipeline-function';
import { checkWholeNumber } from './prop-checks';
import { isAlias, type ItemEncryption } from './item-encryption';

/** Most iterations an inline Map runs at once; above it the job uses a Distributed Map. */
const INLINE_MAP_MAX_CONCURRENCY = 40;
/**
 * Most segments a job may have: the Map collects one result per segment (about 170 bytes) into
 * one state output, which Step Functions caps at 256 KiB. A thousand segments of a few GB each
 * cover tables of terabytes.
 */
const MAX_TOTAL_SEGMENTS = 1000;
/**
 * Shortest function timeout: the handler stops at a checkpoint once less than its safety margin
 * (ScanReEncryptor's `safetyMarginMs`, 10 s) remains, so 30 s leaves each invocation at least 20 s
 * of work instead of loops that barely start a page.
 */
const MIN_TIMEOUT = Duration.seconds(30);
/**
 * Errors of the Lambda service rather than of the handler: the invocation was throttled (many
 * segments starting at once against the account's or the function's concurrency), or it failed
 * or its answer was lost in Lambda or in the Step Functions integration. The handler's work is
 * safe to run again (a segment resumes from the checkpoint it was given), so they are retried.
 * The CDK's `retryOnServiceExceptions` default covers all but the throttling, without jitter.
 */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.TooManyRequestsException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
];

export interface ReEncryptionJobOptions extends PipelineFunctionOptions {
  /**
   * Parallel-scan segments the table is split into; each is processed by a loop of Lambda
   * invocations, each resuming at the previous one's checkpoint.
   * @default 4
   */
  readonly totalSegments?: number;
  /**
   * Segments processed at once (bounds the load on the table and KMS).
   * @default - totalSegments, at most 40 for an inline Map and 1000 for a Distributed Map
   */
  readonly maxConcurrency?: number;
  /**
   * Run segments as child executions of a Distributed Map, for large segment counts (an inline
   * Map runs at most 40 at once and keeps every iteration in one execution history).
   * @default - true when totalSegments is above 40
   */
  readonly distributedMap?: boolean;
  /**
   * Capacity units per second one segment may consume; the job's budget is this times the
   * concurrency. Use it to leave capacity to the application on a provisioned table.
   * @default - unlimited (DynamoDB throttling is still backed off)
   */
  readonly readCapacityPerSecond?: number;
  /**
   * Write capacity units per second one segment may consume, like `readCapacityPerSecond`.
   * @default - unlimited (DynamoDB throttling is still backed off)
   */
  readonly writeCapacityPerSecond?: number;
  /**
   * An attribute every writer increments, used in the write condition of plaintext items too
   * large to compare value by value.
   * @default - plaintext items are compared value by value
   */
  readonly versionAttribute?: string;
  /**
   * Start the job on a schedule (e.g. weekly, to catch items written by other tools).
   * @default - started by hand (or by `startOnKeyRotation`)
   */
  readonly schedule?: events.Schedule;
  /**
   * Start the job when KMS rotates the table's key (EventBridge "KMS CMK Rotation"), with
   * `rotateMaterials`: a new MetaStore version, wrapped under the new key material, and every
   * item moved to it. Needs most-recent materials: Direct KMS items stay readable under a rotated
   * key, and KMS rotation keeps their key ARN, so there is nothing to re-encrypt.
   * @default false
   */
  readonly startOnKeyRotation?: boolean;
  /**
   * Longest the whole job may run.
   * @default Duration.days(7)
   */
  readonly jobTimeout?: Duration;
}

export interface ReEncryptionJobProps extends ReEncryptionJobOptions {
  /** The table to re-encrypt and the encryption settings its items are moved to. */
  readonly encryption: ItemEncryption;
}

/**
 * Re-encrypts a table (after a key or materials rotation), or encrypts a plaintext one
 * (backfill): a Step Functions state machine maps over the scan segments, loops each segment's
 * Lambda on its checkpoint until the segment is done, and sums the counts. The execution fails
 * (and `failedAlarm` fires) when any item could not be processed or kept changing under it.
 *
 * Input (all optional): `{ "dryRun": true, "filter": { "attribute": "status", "equals": "open" },
 * "rotateMaterials": true }`; `rotateMaterials` (most-recent materials) first creates a new
 * MetaStore version, so the run moves every item to new keys.
 * Output: `{ "totalSegments", "dryRun", "counts": { scanned, encrypted, reencrypted, ... } }`.
 */
export class ReEncryptionJob extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly totalSegments: number;
  /** Fires when an execution fails: items failed or conflicted, or a segment could not finish. */
  readonly failedAlarm: cloudwatch.Alarm;
  readonly errorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ReEncryptionJobProps) {
    super(scope, id);
    const totalSegments = props.totalSegments ?? 4;
    if (Token.isUnresolved(totalSegments)) {
      throw new Error('ReEncryptionJob: totalSegments must be a plain number, not a token (such as a CfnParameter): the state machine definition lists the segments at synth time');
    }
    checkWholeNumber('ReEncryptionJob', 'totalSegments', totalSegments, 1, MAX_TOTAL_SEGMENTS);
    const distributed = props.distributedMap ?? totalSegments > INLINE_MAP_MAX_CONCURRENCY;
    const concurrencyLimit = distributed ? 1000 : INLINE_MAP_MAX_CONCURRENCY;
    const maxConcurrency = props.maxConcurrency ?? Math.min(totalSegments, concurrencyLimit);
    checkWholeNumber('ReEncryptionJob', 'maxConcurrency', maxConcurrency, 1, concurrencyLimit, ` for ${distributed ? 'a Distributed' : 'an inline'} Map`);
    for (const name of ['readCapacityPerSecond', 'writeCapacityPerSecond'] as const) {
      const value = props[name];
      // The handler refuses these at cold start; refusing them here fails the synth instead of the job.
      if (value !== undefined && !Token.isUnresolved(value) && !(Number.isFinite(value) && value > 0)) {
        throw new Error(`ReEncryptionJob: ${name} must be a number above 0, got ${value}`);
      }
    }
    if (props.timeout !== undefined && !props.timeout.isUnresolved() && props.timeout.toMilliseconds() < MIN_TIMEOUT.toMilliseconds()) {
      throw new Error(
        `ReEncryptionJob: timeout must be at least ${MIN_TIMEOUT.toHumanString()}, got ${props.timeout.toHumanString()}: each invocation stops at least 10 seconds before its timeout to return a checkpoint`,
      );
    }
    this.totalSegments = totalSegments;
    const { encryption } = props;
    let rotationKeyArn: string | undefined;
    if (props.startOnKeyRotation === true) {
      if (encryption.materials.kind !== 'most-recent') {
        throw new Error(
          'ReEncryptionJob: startOnKeyRotation needs EncryptionMaterials.mostRecent(); with Direct KMS a rotated key keeps its ARN and KMS still decrypts every item, so there is nothing to re-encrypt (to change keys, make the new key current with the old one in previousKeys, then start the job)',
        );
      }
      rotationKeyArn = rotatingKeyArn(encryption.key);
    }

    this.function = pipelineFunction(this, 'Function', {
      ...props,
      handler: 'reencrypt-segment',
      description: 'Re-encrypts (or backfill-encrypts) one parallel-scan segment of the encrypted table, up to a checkpoint',
      environment: reEncryptEnvironment(encryption.environment(), props),
      // The handler stops at a checkpoint before the timeout, so a longer timeout means fewer loops.
      defaultTimeout: Duration.minutes(5),
    });
    // Re-encryption decrypts under old keys and encrypts under the current one.
    encryption.grantEncrypt(this.function);
    encryption.grantDecrypt(this.function);
    encryption.table.grant(this.function, ...TableActions.reEncryption);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      definitionBody: sfn.DefinitionBody.fromChainable(this.definition(totalSegments, maxConcurrency, distributed)),
      timeout: props.jobTimeout ?? Duration.days(7),
      comment: 'Re-encrypts or backfill-encrypts the table, segment by segment, from checkpoint to checkpoint',
    });
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SF1',
      reason: 'CloudWatch Logs delivery for Step Functions needs logs:*LogDelivery on Resource "*"; the execution history (90 days) and the Lambda logs record every step',
    });
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SF2',
      reason: 'X-Ray tracing needs xray:Put* on Resource "*", which this construct grants nowhere',
    });
    Validations.of(this.stateMachine).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.function.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason: "Step Functions' Lambda invoke permission also names the function's versions and aliases (ARN:*): still this one function",
    });

    const distributedMapPolicy = this.stateMachine.node.tryFindChild('DistributedMapPolicy');
    if (distributedMapPolicy !== undefined) {
      // The finding ids spell out how CDK names this state machine's executions.
      const machineName = JSON.stringify({ 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: Stack.of(this).getLogicalId(this.stateMachine.node.defaultChild as CfnElement) }] }] });
      for (const executions of [`${machineName}:*`, `${machineName}/*:*`]) {
        Validations.of(distributedMapPolicy).acknowledge({
          id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${executions}]`,
          reason: "The Distributed Map starts, describes and stops this state machine's own child executions, whose names Step Functions picks at run time",
        });
      }
    }

    if (props.schedule !== undefined) {
      new events.Rule(this, 'Schedule', { schedule: props.schedule, targets: [new targets.SfnStateMachine(this.stateMachine, { input: events.RuleTargetInput.fromObject({ trigger: 'schedule' }) })] });
    }
    if (rotationKeyArn !== undefined) {
      new events.Rule(this, 'KeyRotation', {
        description: 'Starts the re-encryption job when KMS rotates the table key',
        eventPattern: { source: ['aws.kms'], detailType: ['KMS CMK Rotation'], resources: [rotationKeyArn] },
        targets: [new targets.SfnStateMachine(this.stateMachine, { input: events.RuleTargetInput.fromObject({ trigger: 'kms-key-rotation', rotateMaterials: true }) })],
      });
    }

    this.failedAlarm = this.stateMachine.metricFailed({ period: Duration.minutes(5) }).createAlarm(this, 'FailedAlarm', {
      alarmDescription: 'A re-encryption job did not process every item (see the execution output for counts)',
      threshold: 1,
      evaluationPeriods: 1,
    });
    this.errorsAlarm = this.function.metricErrors({ period: Duration.minutes(5) }).createAlarm(this, 'ErrorsAlarm', {
      alarmDescription: 'A re-encryption segment invocation failed (Step Functions retries it from its checkpoint)',
      threshold: 1,
      evaluationPeriods: 1,
    });
  }

  /** Lets `grantee` start the job (and read its executions). */
  grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    this.stateMachine.grantRead(grantee);
    return this.stateMachine.grantStartExecution(grantee);
  }

  private definition(totalSegments: number, maxConcurrency: number, distributed: boolean): sfn.IChainable {
    const processSegment = tasks.LambdaInvoke.jsonata(this, 'ProcessSegment', {
      lambdaFunction: this.function,
      retryOnServiceExceptions: false, // retryLambdaServiceErrors, throttling included
      payload: sfn.TaskInput.fromText(
        '{% { "segment": $states.input.segment, "totalSegments": $states.input.totalSegments, "exclusiveStartKey": $states.input.checkpoint, "dryRun": $states.input.dryRun, "filter": $states.input.filter } %}',
      ),
      // Each invocation reports its own counts: they are added to the segment's so far.
      outputs:
        '{% ( $before := $states.input.counts; $now := $states.result.Payload.counts; ' +
        '{ "segment": $states.input.segment, "totalSegments": $states.input.totalSegments, "dryRun": $states.input.dryRun, "filter": $states.input.filter, ' +
        '"checkpoint": $states.result.Payload.lastEvaluatedKey, ' +
        '"counts": $merge($keys($now).( $name := $; { $name: $lookup($now, $name) + ($exists($lookup($before, $name)) ? $lookup($before, $name) : 0) } )) } ) %}',
    });
    retryLambdaServiceErrors(processSegment);
    // A segment stopped by throttling, KMS or a 5xx after finishing pages answers with their
    // checkpoint (`interruptedBy`) and the loop goes on from it. One stopped before finishing any
    // page (or by a timeout) throws, and is retried here from the checkpoint it started from. A
    // bad request or configuration is not retried: it would fail the same way.
    processSegment.addRetry({
      errors: ['ReEncryptSegmentError', 'CapacityExhaustedError', 'KmsThrottlingError', 'Sandbox.Timedout'],
      interval: Duration.seconds(10),
      backoffRate: 2,
      maxAttempts: 5,
      jitterStrategy: sfn.JitterType.FULL,
    });

    const segmentDone = sfn.Pass.jsonata(this, 'SegmentDone', { outputs: '{% { "segment": $states.input.segment, "counts": $states.input.counts } %}' });
    const loop = processSegment.next(
      sfn.Choice.jsonata(this, 'MoreInSegment')
        .when(sfn.Condition.jsonata('{% $exists($states.input.checkpoint) %}'), processSegment)
        .otherwise(segmentDone),
    );

    const mapProps = {
      items: sfn.ProvideItems.jsonata(`{% [0..${totalSegments - 1}] %}`),
      itemSelector: {
        segment: '{% $states.context.Map.Item.Value %}',
        totalSegments,
        // Passed on as given, so the handler refuses a malformed value (a "true" string, an empty
        // filter) instead of a typo silently turning a dry run into a real one.
        dryRun: '{% $exists($states.input.dryRun) ? $states.input.dryRun : false %}',
        filter: '{% $exists($states.input.filter) ? $states.input.filter : null %}',
      },
      maxConcurrency,
    };
    const segments = distributed
      ? sfn.DistributedMap.jsonata(this, 'Segments', { ...mapProps, mapExecutionType: sfn.StateMachineType.STANDARD })
      : sfn.Map.jsonata(this, 'Segments', mapProps);
    segments.itemProcessor(loop);

    const totals = sfn.Pass.jsonata(this, 'Totals', {
      outputs:
        `{% ( $all := $states.input.counts; { "totalSegments": ${totalSegments}, "dryRun": $states.context.Execution.Input.dryRun = true, ` +
        '"counts": $merge($keys($all[0]).( $name := $; { $name: $sum($all.$lookup($, $name)) } )) } ) %}',
    });
    const incomplete = sfn.Fail.jsonata(this, 'ItemsLeftBehind', {
      error: 'ReEncryptionIncomplete',
      cause: '{% "items failed: " & $string($states.input.counts.failed) & ", conflicts: " & $string($states.input.counts.conflicts) & " (left unchanged; run the job again)" %}',
    });
    // `rotateMaterials` first: the segments' runs then all see the new version as the current one.
    const newMaterialsVersion = tasks.LambdaInvoke.jsonata(this, 'NewMaterialsVersion', {
      lambdaFunction: this.function,
      retryOnServiceExceptions: false, // retryLambdaServiceErrors, throttling included
      payload: sfn.TaskInput.fromText('{% { "rotateMaterials": true } %}'),
      outputs: '{% $merge([$states.input, { "materialsVersion": $states.result.Payload.rotated.version }]) %}',
    });
    retryLambdaServiceErrors(newMaterialsVersion);
    const start = sfn.Choice.jsonata(this, 'RotateMaterialsFirst')
      .when(sfn.Condition.jsonata('{% $states.input.rotateMaterials = true %}'), newMaterialsVersion.next(segments))
      .otherwise(segments);
    segments.next(totals).next(
      sfn.Choice.jsonata(this, 'EveryItemProcessed')
        .when(sfn.Condition.jsonata('{% $states.input.counts.failed > 0 or $states.input.counts.conflicts > 0 %}'), incomplete)
        .otherwise(new sfn.Succeed(this, 'Done')),
    );
    return start;
  }
}

/**
 * Retries `LAMBDA_SERVICE_ERRORS` with backoff: 2 s doubling up to a minute, with full jitter so
 * that segments throttled together do not all come back together; ten attempts wait about six
 * minutes at most, time for a burst of segment starts to pass.
 */
function retryLambdaServiceErrors(task: tasks.LambdaInvoke): void {
  task.addRetry({
    errors: LAMBDA_SERVICE_ERRORS,
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxDelay: Duration.seconds(60),
    maxAttempts: 10,
    jitterStrategy: sfn.JitterType.FULL,
  });
}

/**
 * The ARN KMS rotation events carry: the key's, never an alias's (an alias's `keyArn` is the alias
 * ARN, which no rotation event names).
 */
function rotatingKeyArn(key: kms.IKey): string {
  if (!isAlias(key)) return key.keyArn;
  let target: kms.IKey;
  try {
    target = key.aliasTargetKey;
  } catch {
    throw new Error(
      `ReEncryptionJob: startOnKeyRotation needs the key behind the alias ${key.aliasName}, and an alias imported by name does not say which it is: import it with kms.Alias.fromAliasAttributes({ aliasName, aliasTargetKey }), or give the key itself`,
    );
  }
  return rotatingKeyArn(target);
}
