import type { TableInfo } from '../encrypted/table-info';
import type { DynamoDbItem } from '../format/attribute-value';
import type { AwsClients } from '../pipeline/materials-from-config';
import type { ReEncryptConfig } from '../pipeline/pipeline-config';
import { addCounts } from '../pipeline/reencrypt-counts';
import { ReEncryptSegmentError } from '../pipeline/reencrypt-errors';
import { reEncryptorFromConfig } from '../pipeline/reencrypt-from-config';
import type { ScanReEncryptor, ScanReEncryptorOptions } from '../pipeline/scan-reencryptor';
import { freshJobProgress, jobComplete, jobCounts, type CheckpointFile, type JobProgress, type SegmentProgress } from './checkpoint-file';
import type { Interruption } from './interruption';
import { jobTarget, type JobCommand } from './job-target';
import { nativeJson } from './native-json';
import type { ProgressReporter } from './progress';

/**
 * How long one `processSegment` call may run before it returns a checkpoint. The engine stops
 * at the first page boundary once the time is up (after at least one page), so a checkpoint is
 * saved about this often per segment, and an interrupted job loses nothing it must redo.
 */
const RUN_MILLISECONDS = 1000;

export interface ReEncryptionJobOptions {
  /** Recorded in the checkpoint with the target materials: a file of another job is refused. */
  readonly command: JobCommand;
  readonly config: ReEncryptConfig;
  readonly clients: AwsClients;
  readonly tableInfo: TableInfo;
  readonly totalSegments: number;
  /** Segments processed at once, each by its own engine with its share of the rate. */
  readonly concurrency: number;
  /** Capacity units per second for the whole job (reads and writes each), split between the concurrent segments. */
  readonly rate?: number;
  /** Items per Scan page: the grain of the checkpoints. */
  readonly pageSize: number;
  readonly dryRun: boolean;
  readonly checkpoint?: CheckpointFile;
  readonly interruption: Interruption;
  /** Made once the starting point is known, so that a resumed job's bar starts where it stood. */
  readonly progress: (alreadyScanned: number) => ProgressReporter;
  /** How many failed items' keys to print. */
  readonly maxKeys: number;
}

export interface ReEncryptionJobResult {
  readonly job: JobProgress;
  /** The job stopped on Ctrl-C / SIGTERM before every segment was done. */
  readonly interrupted: boolean;
  /** The checkpoint file already said the job was complete: nothing was scanned. */
  readonly alreadyComplete: boolean;
  readonly resumed: boolean;
}

/**
 * Runs every segment of an encrypt-table or reencrypt job with `ScanReEncryptor`, as a loop of
 * short `processSegment` runs per segment: after each run the segment's checkpoint
 * (`lastEvaluatedKey`, every item before it done) and counts are saved, so a job killed at any
 * moment resumes from its last save, and items written after it are found current and left alone.
 */
export async function runReEncryptionJob(options: ReEncryptionJobOptions): Promise<ReEncryptionJobResult> {
  const { tableInfo, totalSegments, dryRun, checkpoint, interruption } = options;
  const identity = { tableName: tableInfo.name, totalSegments, dryRun, target: await jobTarget(options.command, options.config.materials, options.clients) };
  const saved = await checkpoint?.load(identity);
  const job = saved ?? freshJobProgress(identity);
  if (saved !== undefined && jobComplete(saved)) return { job, interrupted: false, alreadyComplete: true, resumed: true };
  // The file exists from the start, so that a kill before the first page still leaves a valid one.
  await checkpoint?.save(job);

  const progress = options.progress(jobCounts(job).counts.scanned);
  let printedKeys = 0;
  const onItemFailure = (key: DynamoDbItem, error: unknown) => {
    printedKeys += 1;
    if (printedKeys <= options.maxKeys) progress.note(`ddbec: item ${nativeJson(key)} left unchanged: ${(error as { name?: string }).name ?? 'Error'}`);
    else if (printedKeys === options.maxKeys + 1) progress.note(`ddbec: more items failed; their keys are not printed (--max-keys ${options.maxKeys})`);
  };
  const pending = job.segments.filter((segment) => !segment.done);
  const lanes = Math.min(options.concurrency, pending.length);
  const reEncryptor = () => reEncryptorFromConfig(options.config, options.clients, engineOptions(options, lanes, onItemFailure));

  let failure: { error: unknown } | undefined;
  const stopRequested = () => interruption.requested || failure !== undefined;
  const report = () => {
    const { counts } = jobCounts(job);
    const { scanned, ...details } = counts;
    progress.update({ scanned, details });
  };

  const runSegment = async (engine: ScanReEncryptor, segment: SegmentProgress): Promise<void> => {
    while (!segment.done && !stopRequested()) {
      const startedAt = performance.now();
      try {
        const result = await engine.processSegment(
          { segment: segment.segment, totalSegments, exclusiveStartKey: segment.lastEvaluatedKey, dryRun },
          { remainingTimeMs: () => RUN_MILLISECONDS - (performance.now() - startedAt), shouldStop: stopRequested },
        );
        segment.lastEvaluatedKey = result.lastEvaluatedKey;
        segment.done = result.lastEvaluatedKey === undefined;
        record(segment, result.counts, result.failureReasons);
      } catch (error) {
        // The engine let every started write finish and says up to where all items are done.
        if (error instanceof ReEncryptSegmentError) {
          segment.lastEvaluatedKey = error.lastEvaluatedKey;
          record(segment, error.counts, {});
        }
        failure ??= { error };
      }
      report();
      // A save that fails is the job's failure: every lane stops at its next page boundary,
      // instead of this lane alone leaving while the others go on unsaved. It wins over an
      // earlier failure, which would otherwise be reported as "progress saved".
      await checkpoint?.save(job).catch((error: unknown) => {
        failure = { error };
      });
    }
  };

  const lane = async (): Promise<void> => {
    const engine = reEncryptor();
    for (let segment = pending.shift(); segment !== undefined && !stopRequested(); segment = pending.shift()) await runSegment(engine, segment);
  };
  try {
    await Promise.all(
      Array.from({ length: lanes }, () =>
        lane().catch((error: unknown) => {
          failure ??= { error };
        }),
      ),
    );
  } finally {
    report();
    progress.finish(failure === undefined);
  }
  if (failure !== undefined) throw failure.error;
  return { job, interrupted: interruption.requested && !jobComplete(job), alreadyComplete: false, resumed: saved !== undefined };
}

function record(segment: SegmentProgress, counts: Parameters<typeof addCounts>[1], failureReasons: Record<string, number>): void {
  addCounts(segment.counts, counts);
  for (const [reason, count] of Object.entries(failureReasons)) segment.failureReasons[reason] = (segment.failureReasons[reason] ?? 0) + count;
}

function engineOptions(options: ReEncryptionJobOptions, lanes: number, onItemFailure: ScanReEncryptorOptions['onItemFailure']): Parameters<typeof reEncryptorFromConfig>[2] {
  const { rate } = options;
  // Each lane has its own engine and so its own capacity budget: each gets its share. Without
  // --rate, the configuration's per-segment budget (DDBEC_*_CAPACITY_PER_SECOND) applies.
  const share = rate === undefined ? undefined : rate / lanes;
  return {
    // The run's time is the checkpoint interval, not a Lambda's timeout: no margin to keep.
    safetyMarginMs: 0,
    pageSize: options.pageSize,
    onItemFailure,
    ...(share === undefined ? {} : { readCapacityPerSecond: share, writeCapacityPerSecond: share }),
  };
}
