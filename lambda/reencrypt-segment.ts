/**
 * The scan re-encryption / backfill Lambda: one invocation processes one parallel-scan segment
 * until it ends or the invocation nears its timeout, and returns a checkpoint to be passed back
 * as `exclusiveStartKey` (a Step Functions loop, or any caller) until `lastEvaluatedKey` is absent.
 * An outage after some pages were finished also answers with their checkpoint (`interruptedBy`);
 * one before any page throws `ReEncryptSegmentError`, to be retried with the same event.
 *
 * Event: `{ segment, totalSegments, exclusiveStartKey?, dryRun?, filter?: { attribute, equals } }`,
 * keys in DynamoDB JSON (binary as base64); or `{ rotateMaterials: true }` to create a new
 * MetaStore version first (most-recent materials), answered with `{ rotated: { materialName,
 * version } }`. Configuration: the DDBEC_* environment variables, read once at cold start. The
 * work is `ScanReEncryptor`'s and `rotateMaterials`'s; this file only translates.
 */
import type { Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { regionalKmsClients, type AwsClients } from '../src/pipeline/materials-from-config';
import { readReEncryptConfig, type ReEncryptConfig } from '../src/pipeline/pipeline-config';
import type { ReEncryptCounts } from '../src/pipeline/reencrypt-counts';
import { ReEncryptRequestError, ReEncryptSegmentError } from '../src/pipeline/reencrypt-errors';
import { reEncryptorFromConfig } from '../src/pipeline/reencrypt-from-config';
import { segmentCheckpointToJson, segmentRequestFromJson } from '../src/pipeline/reencrypt-request';
import { isMaterialsRotationRequest, rotateMaterials, type MaterialsRotationResult } from '../src/pipeline/reencrypt-rotation';
import type { ScanReEncryptor } from '../src/pipeline/scan-reencryptor';
import { loggableError } from '../src/pipeline/loggable-error';
import { deployedHandler } from './deployed-handler';
import { measuredInvocation, observability } from './observability';

export interface ReEncryptSegmentResponse {
  /** Pass back as `exclusiveStartKey`; absent when the segment is finished. DynamoDB JSON. */
  readonly lastEvaluatedKey?: Record<string, unknown>;
  readonly counts: ReEncryptCounts;
  readonly failureReasons: Record<string, number>;
  /**
   * Present when the run stopped early on an outage (throttling DynamoDB kept up, KMS, a 5xx) after
   * finishing some pages: the class name of the failure. `lastEvaluatedKey` is then where to
   * resume, at once (the run has already backed off). A run that finished no page throws
   * `ReEncryptSegmentError` instead, to be retried from the same checkpoint after a pause.
   */
  readonly interruptedBy?: string;
}

/** The answer to `{ rotateMaterials: true }`. */
export interface MaterialsRotationResponse {
  readonly rotated: MaterialsRotationResult;
}

export interface ReEncryptSegmentDependencies {
  /** @default built from the environment (`readReEncryptConfig`) */
  readonly reEncryptor?: Pick<ScanReEncryptor, 'processSegment'>;
  /** @default a new MetaStore version of the configured material (`rotateMaterials`) */
  readonly rotateMaterials?: () => Promise<MaterialsRotationResult>;
  /** Where the configuration is read when no reEncryptor is given. @default process.env */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** @default new clients with the SDK's defaults, and KMS in each key ARN's region (`regionalKmsClients`) */
  readonly clients?: AwsClients;
  /** Engine settings the environment does not carry (page size, capacity budgets...), when built from it. */
  readonly reEncryptorOptions?: Parameters<typeof reEncryptorFromConfig>[2];
  /** @default observability('reencrypt') */
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

export interface ReEncryptSegmentHandler {
  (event: { readonly rotateMaterials: true }, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<MaterialsRotationResponse>;
  (event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<ReEncryptSegmentResponse>;
}

/**
 * Builds the handler. Without a reEncryptor it reads the configuration now, so a missing or
 * invalid setting fails here (cold start) with a `ConfigurationError` naming each variable.
 */
export function createReEncryptSegmentHandler(dependencies: ReEncryptSegmentDependencies = {}): ReEncryptSegmentHandler {
  const defaults = dependencies.logger === undefined || dependencies.metrics === undefined ? observability('reencrypt') : undefined;
  const logger = dependencies.logger ?? (defaults as { logger: Logger }).logger;
  const metrics = dependencies.metrics ?? (defaults as { metrics: Metrics }).metrics;
  const fromEnvironment = dependencies.reEncryptor === undefined || dependencies.rotateMaterials === undefined ? configuredWork(dependencies) : undefined;
  const reEncryptor = dependencies.reEncryptor ?? (fromEnvironment as ConfiguredWork).reEncryptor;
  const rotate = dependencies.rotateMaterials ?? (fromEnvironment as ConfiguredWork).rotateMaterials;

  const handle = async (event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<ReEncryptSegmentResponse | MaterialsRotationResponse> => {
    if (typeof (context as Partial<Context>).functionName === 'string') logger.addContext(context as Context);
    // ColdStart, and InvocationFailures when the invocation throws (a bad request included), flushed with the counts.
    return measuredInvocation(metrics, context, () => work(event, context));
  };
  const work = async (event: unknown, context: Pick<Context, 'getRemainingTimeInMillis'>): Promise<ReEncryptSegmentResponse | MaterialsRotationResponse> => {
    if (isMaterialsRotationRequest(event)) {
      try {
        const rotated = await rotate();
        logger.info('materials rotated: new items and re-encrypted ones use this version', { ...rotated });
        metrics.addMetric('MaterialsRotated', MetricUnit.Count, 1);
        return { rotated };
      } catch (error) {
        logger.error('materials rotation failed', loggableError(error));
        throw error;
      }
    }
    let request;
    try {
      request = segmentRequestFromJson(event);
    } catch (error) {
      // The problems name fields, never the values given.
      if (error instanceof ReEncryptRequestError) logger.error('invalid re-encryption request', { errorName: error.name, problems: error.problems });
      throw error;
    }
    const where = { segment: request.segment, totalSegments: request.totalSegments, dryRun: request.dryRun === true, resumed: request.exclusiveStartKey !== undefined };
    try {
      const result = await reEncryptor.processSegment(request, { remainingTimeMs: () => context.getRemainingTimeInMillis() });
      const finished = result.lastEvaluatedKey === undefined;
      // Counts and error classes only: never a key or attribute value.
      logger.info(finished ? 're-encryption segment finished' : 're-encryption segment paused at a checkpoint', {
        ...where,
        finished,
        counts: result.counts,
        failureReasons: result.failureReasons,
      });
      recordCounts(metrics, result.counts, request.dryRun === true);
      return { lastEvaluatedKey: segmentCheckpointToJson(result.lastEvaluatedKey), counts: result.counts, failureReasons: result.failureReasons };
    } catch (error) {
      if (error instanceof ReEncryptSegmentError && error.checkpointMoved && error.lastEvaluatedKey !== undefined) {
        // Pages were finished before the outage: answering with their checkpoint keeps them done
        // (and counted). Thrown, the invocation would be retried from where it started, and
        // everything since read and checked again. The next invocation meets the outage again
        // at once if it lasts, and, having moved nothing, throws: that one is retried with backoff.
        const interruptedBy = (error.cause as Error | undefined)?.name ?? 'Error';
        logger.warn('re-encryption segment interrupted; resume from the returned checkpoint', { ...where, interruptedBy, counts: error.counts });
        recordCounts(metrics, error.counts, request.dryRun === true);
        metrics.addMetric('SegmentInterruptions', MetricUnit.Count, 1);
        return { lastEvaluatedKey: segmentCheckpointToJson(error.lastEvaluatedKey), counts: error.counts, failureReasons: { ...error.failureReasons }, interruptedBy };
      }
      if (error instanceof ReEncryptSegmentError) {
        logger.error('re-encryption segment stopped before finishing a page; retry from the same checkpoint', {
          ...where,
          errorName: error.name,
          causeName: (error.cause as Error | undefined)?.name,
          counts: error.counts,
        });
        recordCounts(metrics, error.counts, request.dryRun === true);
      } else {
        // The library's own messages name fields and tables only; others keep their class name.
        logger.error('re-encryption segment failed', { ...where, ...loggableError(error) });
      }
      throw error;
    }
  };
  // The event decides the answer's shape; the overloads let callers see which one they get.
  return handle as ReEncryptSegmentHandler;
}

interface ConfiguredWork {
  readonly reEncryptor: Pick<ScanReEncryptor, 'processSegment'>;
  readonly rotateMaterials: () => Promise<MaterialsRotationResult>;
}

function configuredWork(dependencies: ReEncryptSegmentDependencies): ConfiguredWork {
  const config: ReEncryptConfig = readReEncryptConfig(dependencies.environment ?? process.env);
  const clients = dependencies.clients ?? { dynamoDb: new DynamoDBClient({}), ...regionalKmsClients() };
  return {
    reEncryptor: reEncryptorFromConfig(config, clients, dependencies.reEncryptorOptions),
    rotateMaterials: () => rotateMaterials(config.materials, clients),
  };
}

function recordCounts(metrics: Metrics, counts: ReEncryptCounts, dryRun: boolean): void {
  // A dry run's counts are what would have happened: kept apart so dashboards do not mix them.
  const prefix = dryRun ? 'DryRun' : '';
  for (const [name, value] of Object.entries(counts)) {
    metrics.addMetric(`${prefix}${name.charAt(0).toUpperCase()}${name.slice(1)}`, MetricUnit.Count, value);
  }
}

/** The deployed handler (see deployedHandler for when it is built and how a bad configuration shows). */
export const handler = deployedHandler('reencrypt-segment', () => createReEncryptSegmentHandler());
