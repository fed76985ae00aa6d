import { readFile } from 'node:fs/promises';
import type { DynamoDbItem } from '../format/attribute-value';
import { addCounts, emptyCounts, type ReEncryptCounts } from '../pipeline/reencrypt-counts';
import { segmentCheckpointToJson, segmentRequestFromJson } from '../pipeline/reencrypt-request';
import { AtomicFile } from './atomic-file';
import { CliError, ExitCodes } from './cli-error';
import { sameTarget, targetFromJson, targetText, type JobCommand, type JobTarget } from './job-target';

/** Where one parallel-scan segment stands. */
export interface SegmentProgress {
  readonly segment: number;
  /** Every item before this key was processed; undefined with `done` false means "from the start". */
  lastEvaluatedKey?: DynamoDbItem;
  done: boolean;
  /** Summed over every run of the segment recorded in the file. */
  counts: ReEncryptCounts;
  failureReasons: Record<string, number>;
}

/** A whole job's state: enough to resume each segment exactly where it stopped. */
export interface JobProgress {
  readonly tableName: string;
  readonly totalSegments: number;
  readonly dryRun: boolean;
  /** What the job is for: resuming it with other materials would skip items not under them. */
  readonly target: JobTarget;
  readonly segments: SegmentProgress[];
}

/** What a run expects of a checkpoint it resumes. */
export type JobIdentity = Pick<JobProgress, 'tableName' | 'totalSegments' | 'dryRun' | 'target'>;

const FORMAT = 'ddbec-checkpoint/2';
/** Checkpoints of earlier versions did not record the target, so they cannot be checked against a run. */
const UNCHECKABLE_FORMATS = new Set(['ddbec-checkpoint/1']);
const START_OVER = 'use a new --checkpoint file, or delete this one to start over';
const ADVICE = `${START_OVER} (to resume it, give the settings of the run that wrote it)`;

export function freshJobProgress(identity: JobIdentity): JobProgress {
  const { tableName, totalSegments, dryRun, target } = identity;
  return {
    tableName,
    totalSegments,
    dryRun,
    target,
    segments: Array.from({ length: totalSegments }, (_, segment) => ({ segment, done: false, counts: emptyCounts(), failureReasons: {} })),
  };
}

export function jobComplete(job: JobProgress): boolean {
  return job.segments.every((segment) => segment.done);
}

export function jobCounts(job: JobProgress): { counts: ReEncryptCounts; failureReasons: Record<string, number> } {
  const counts = emptyCounts();
  const failureReasons: Record<string, number> = {};
  for (const segment of job.segments) {
    addCounts(counts, segment.counts);
    for (const [reason, count] of Object.entries(segment.failureReasons)) failureReasons[reason] = (failureReasons[reason] ?? 0) + count;
  }
  return { counts, failureReasons };
}

/**
 * The `--checkpoint FILE` of encrypt-table and reencrypt. Each save writes a temporary file,
 * fsyncs it and renames it over the old one, so a kill at any moment leaves either the previous
 * state or the new one, never half a file; a failed save removes its temporary file. Saves are
 * queued one after another and each writes the state as it is then, so concurrent segments
 * cannot interleave their writes.
 */
export class CheckpointFile {
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly path: string) {}

  /**
   * The saved job, or undefined when the file does not exist yet. A file for another table,
   * segment count, kind of run (dry or not), command or target materials is refused: resuming
   * it would skip or repeat items.
   */
  async load(expected: JobIdentity): Promise<JobProgress | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CliError(`cannot read the checkpoint file ${this.path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const job = parseCheckpoint(text, this.path);
    const mismatch = (saved: string, given: string) => new CliError(`the checkpoint file ${this.path} is for ${saved}, not ${given}: ${ADVICE}`);
    if (job.tableName !== expected.tableName) throw mismatch(`table "${job.tableName}"`, `"${expected.tableName}"`);
    if (job.totalSegments !== expected.totalSegments) throw mismatch(`--segments ${job.totalSegments}`, String(expected.totalSegments));
    if (job.dryRun !== expected.dryRun) throw mismatch(`a run with --dry-run ${job.dryRun}`, String(expected.dryRun));
    if (job.target.command !== expected.target.command) throw mismatch(job.target.command, expected.target.command);
    if (!sameTarget(job.target.materials, expected.target.materials)) {
      throw mismatch(`a job to ${targetText(job.target.materials)}`, `to ${targetText(expected.target.materials)}`);
    }
    return job;
  }

  /** Queues a write of the job as it is when the write starts; resolves once it is on disk. */
  save(job: JobProgress): Promise<void> {
    const write = this.queue.then(() => this.write(job));
    this.queue = write.catch(() => undefined);
    return write;
  }

  private async write(job: JobProgress): Promise<void> {
    let file: AtomicFile | undefined;
    try {
      file = await AtomicFile.create(this.path);
      await file.write(`${JSON.stringify(checkpointJson(job), null, 2)}\n`);
      await file.commit();
    } catch (error) {
      await file?.discard();
      throw new CliError(`cannot write the checkpoint file ${this.path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, ExitCodes.FAILURE);
    }
  }
}

function checkpointJson(job: JobProgress): Record<string, unknown> {
  const { counts } = jobCounts(job);
  return {
    format: FORMAT,
    tableName: job.tableName,
    totalSegments: job.totalSegments,
    dryRun: job.dryRun,
    command: job.target.command,
    // Key ids and table names only: nothing secret.
    materials: job.target.materials,
    complete: jobComplete(job),
    updatedAt: new Date().toISOString(),
    counts,
    segments: job.segments.map((segment) => ({
      segment: segment.segment,
      done: segment.done,
      // Keys are signed, never encrypted, plaintext: safe to keep in a file.
      lastEvaluatedKey: segmentCheckpointToJson(segment.lastEvaluatedKey) ?? null,
      counts: segment.counts,
      failureReasons: segment.failureReasons,
    })),
  };
}

function parseCheckpoint(text: string, path: string): JobProgress {
  const broken = (why: string) => new CliError(`the checkpoint file ${path} is not a ddbec checkpoint (${why}): give another file, or delete it to start over`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw broken('not JSON');
  }
  if (json !== null && typeof json === 'object' && typeof json.format === 'string' && UNCHECKABLE_FORMATS.has(json.format)) {
    throw new CliError(
      `the checkpoint file ${path} was written by an earlier ddbec (${json.format}) that did not record the command and materials of its job, so it cannot be checked against this run: ${START_OVER}`,
    );
  }
  if (json === null || typeof json !== 'object' || json.format !== FORMAT) throw broken(`no "format": "${FORMAT}"`);
  const { tableName, totalSegments, dryRun, command, materials, segments } = json;
  if (typeof tableName !== 'string' || typeof totalSegments !== 'number' || typeof dryRun !== 'boolean' || !Array.isArray(segments)) {
    throw broken('tableName, totalSegments, dryRun or segments missing');
  }
  const target = targetFromJson(materials);
  if (!isJobCommand(command) || target === undefined) throw broken('command or materials missing');
  if (segments.length !== totalSegments) throw broken(`${segments.length} segments recorded for totalSegments ${totalSegments}`);
  return {
    tableName,
    totalSegments,
    dryRun,
    target: { command, materials: target },
    segments: segments.map((entry: unknown, index) => {
      const fields = (entry ?? {}) as Record<string, unknown>;
      if (fields.segment !== index || typeof fields.done !== 'boolean') throw broken(`segment ${index} is malformed`);
      let lastEvaluatedKey: DynamoDbItem | undefined;
      try {
        // The engine's own reader of checkpoints that crossed JSON (as in the Step Functions loop).
        lastEvaluatedKey = segmentRequestFromJson({ segment: index, totalSegments, exclusiveStartKey: fields.lastEvaluatedKey }).exclusiveStartKey;
      } catch {
        throw broken(`segment ${index} has a malformed lastEvaluatedKey`);
      }
      return {
        segment: index,
        done: fields.done,
        lastEvaluatedKey,
        counts: addCounts(emptyCounts(), countsFrom(fields.counts)),
        failureReasons: numbersFrom(fields.failureReasons),
      };
    }),
  };
}

function isJobCommand(value: unknown): value is JobCommand {
  return value === 'encrypt-table' || value === 'reencrypt';
}

function countsFrom(value: unknown): ReEncryptCounts {
  const counts = emptyCounts();
  const given = numbersFrom(value);
  for (const name of Object.keys(counts) as Array<keyof ReEncryptCounts>) counts[name] = given[name] ?? 0;
  return counts;
}

function numbersFrom(value: unknown): Record<string, number> {
  if (value === null || typeof value !== 'object') return {};
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
}
