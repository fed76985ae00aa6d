import { DynamoDbEncryptionError, InvalidArgumentError } from '../errors';
import type { PlaintextRecordPolicy } from './pipeline-config';
import type { FanOutMessage, FanOutTarget } from './fan-out-target';
import { DeliveryError } from './stream-errors';
import { prefetchInOrder } from './stream-prefetch';
import { recordsOf, type RecordIdentity } from './stream-record';
import { StreamRecordDecryptor, type RecordOutcome, type StreamTables } from './stream-record-decryptor';

export type { StreamTables } from './stream-record-decryptor';

export interface StreamDecryptorOptions {
  /** Each record's table crypto configuration, by the table name in its eventSourceARN (an EncryptedClient will do). */
  readonly tables: StreamTables;
  /** Every decrypted record goes to each of these. */
  readonly targets: readonly FanOutTarget[];
  /** Records that fail verification (and plaintext ones, by policy) go here, with reason and keys only. */
  readonly deadLetter: FanOutTarget;
  /**
   * Records of items never encrypted: deliver them as they are (flagged in `unverifiedImages`),
   * or dead-letter them.
   */
  readonly plaintextRecords: PlaintextRecordPolicy;
  /**
   * Records verified and decrypted ahead of the one being delivered.
   * @default 16
   */
  readonly decryptConcurrency?: number;
  /**
   * Messages larger than this are dead-lettered (SQS, SNS and EventBridge all stop at 256 KiB,
   * including their envelope).
   * @default 261120 (255 KiB)
   */
  readonly maxMessageBytes?: number;
}

export interface ProcessOptions {
  /**
   * Checked before each record but the first (so every invocation makes progress); true stops
   * the batch there, the rest being reported for retry (e.g. the Lambda timeout nears).
   */
  readonly shouldStop?: () => boolean;
}

/** A record sent to the dead-letter queue: what logs may say about it (no keys, no values). */
export interface DeadLetteredRecord {
  readonly errorName: string;
  readonly reason: string;
  readonly tableName?: string;
  readonly eventID?: string;
  readonly sequenceNumber?: string;
}

/** Why the batch stopped early. */
export interface BatchStop {
  readonly sequenceNumber?: string;
  readonly errorName: string;
  /** Only for the library's own errors, whose messages are known to carry no value. */
  readonly reason?: string;
  /** True when a target failed; false when the record could not be prepared (KMS, DescribeTable) or time ran out. */
  readonly deliveryFailure: boolean;
}

export interface StreamBatchResult {
  /** For Lambda's ReportBatchItemFailures: the first unfinished record and every record after it. */
  readonly batchItemFailures: Array<{ itemIdentifier: string }>;
  readonly records: number;
  readonly delivered: number;
  /** Of those delivered, how many carried a plaintext image passed through by policy. */
  readonly passedThrough: number;
  readonly deadLettered: readonly DeadLetteredRecord[];
  readonly stoppedAt?: BatchStop;
}

const DEFAULT_DECRYPT_CONCURRENCY = 16;
const DEFAULT_MAX_MESSAGE_BYTES = 255 * 1024;

/**
 * The decrypted stream fan-out: verifies and decrypts each DynamoDB Streams record of a Lambda
 * batch and delivers it to every target, strictly in the batch's order.
 *
 * - A record whose item fails verification, is malformed, too large, or plaintext under the
 *   `dead-letter` policy goes to the dead-letter target and counts as handled: one bad item must
 *   not block the shard behind it. The policy looks at the image holding the item's current
 *   state: a MODIFY from a plaintext OldImage to a NewImage that verifies is delivered without
 *   the OldImage (`unverifiedImages` says so), while one from an encrypted OldImage to a
 *   plaintext NewImage is always dead-lettered (`EncryptionDowngradeError`).
 * - A delivery failure (or a KMS / DescribeTable failure) stops the batch. The failed record and
 *   every one after it are reported in `batchItemFailures`, so Lambda retries from there and
 *   skips nothing. Delivery is at least once: a retried record may reach a target that took it
 *   the first time (standard queues, topics and buses see it twice; FIFO targets drop the
 *   duplicate by the record's eventID, within their five-minute window).
 * - Records are decrypted up to `decryptConcurrency` ahead of delivery, to overlap crypto and
 *   KMS calls with the network, but each is delivered only after the one before it.
 */
export class StreamDecryptor {
  private readonly decryptor: StreamRecordDecryptor;
  private readonly targets: readonly FanOutTarget[];
  private readonly deadLetter: FanOutTarget;
  private readonly decryptConcurrency: number;

  constructor(options: StreamDecryptorOptions) {
    if (options?.tables === undefined) throw new InvalidArgumentError('StreamDecryptor needs tables (e.g. an EncryptedClient)');
    if (!Array.isArray(options.targets) || options.targets.length === 0) throw new InvalidArgumentError('StreamDecryptor needs at least one target');
    if (options.deadLetter === undefined) throw new InvalidArgumentError('StreamDecryptor needs a dead-letter target');
    if (options.plaintextRecords !== 'pass-through' && options.plaintextRecords !== 'dead-letter') {
      throw new InvalidArgumentError('plaintextRecords must be "pass-through" or "dead-letter"');
    }
    const concurrency = options.decryptConcurrency ?? DEFAULT_DECRYPT_CONCURRENCY;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new InvalidArgumentError('decryptConcurrency must be an integer >= 1');
    this.decryptor = new StreamRecordDecryptor({
      tables: options.tables,
      plaintextRecords: options.plaintextRecords,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    });
    this.targets = [...options.targets];
    this.deadLetter = options.deadLetter;
    this.decryptConcurrency = concurrency;
  }

  /** Processes a whole DynamoDBStreamEvent; an event without a Records array is a MalformedStreamEventError. */
  async process(event: unknown, options: ProcessOptions = {}): Promise<StreamBatchResult> {
    return this.processRecords(recordsOf(event), options);
  }

  async processRecords(records: readonly unknown[], options: ProcessOptions = {}): Promise<StreamBatchResult> {
    let delivered = 0;
    let passedThrough = 0;
    const deadLettered: DeadLetteredRecord[] = [];
    let index = 0;
    let stoppedAt: BatchStop | undefined;
    const outcomes = prefetchInOrder(records, this.decryptConcurrency, (record) => this.decryptor.prepare(record));
    for await (const outcome of outcomes) {
      const outOfTime = index > 0 && options.shouldStop?.() === true;
      stoppedAt = outOfTime ? { sequenceNumber: outcome.identity.sequenceNumber, errorName: 'TimeBudgetExhausted', deliveryFailure: false } : undefined;
      stoppedAt ??= await this.handle(outcome);
      if (stoppedAt !== undefined) break;
      if (outcome.kind === 'deliver') {
        delivered += 1;
        if (outcome.passedThrough) passedThrough += 1;
      } else if (outcome.kind === 'dead-letter') {
        deadLettered.push(deadLetteredRecord(outcome.identity, outcome.error));
      }
      index += 1;
    }
    const batchItemFailures = stoppedAt === undefined ? [] : records.slice(index).map((record) => ({ itemIdentifier: identifierOf(record) }));
    return { batchItemFailures, records: records.length, delivered, passedThrough, deadLettered, stoppedAt };
  }

  /** Sends one record where its outcome says; returns why the batch must stop, if it must. */
  private async handle(outcome: RecordOutcome): Promise<BatchStop | undefined> {
    const sequenceNumber = outcome.identity.sequenceNumber;
    if (outcome.kind === 'retry') return { sequenceNumber, ...describe(outcome.error), deliveryFailure: false };
    const targets = outcome.kind === 'deliver' ? this.targets : [this.deadLetter];
    const failure = await deliverToAll(targets, outcome.message);
    return failure === undefined ? undefined : { sequenceNumber, ...describe(failure.reason), deliveryFailure: true };
  }
}

/** Targets are independent of each other, so one record goes to all of them at once. */
async function deliverToAll(targets: readonly FanOutTarget[], message: FanOutMessage): Promise<PromiseRejectedResult | undefined> {
  const results = await Promise.allSettled(targets.map((target) => target.deliver(message)));
  return results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
}

function describe(error: unknown): { errorName: string; reason?: string } {
  if (error instanceof DeliveryError) return { errorName: error.errorName, reason: error.message };
  if (error instanceof DynamoDbEncryptionError) return { errorName: error.name, reason: error.message };
  const name = (error as { name?: unknown } | null)?.name;
  return { errorName: typeof name === 'string' ? name : 'UnknownError' };
}

function deadLetteredRecord(identity: RecordIdentity, error: Error): DeadLetteredRecord {
  return { errorName: error.name, reason: error.message, tableName: identity.tableName, eventID: identity.eventID, sequenceNumber: identity.sequenceNumber };
}

/**
 * Lambda retries from the lowest sequence number reported. A record without one cannot be named;
 * an empty identifier makes Lambda retry the whole batch, which is the safe reading.
 */
function identifierOf(record: unknown): string {
  const sequenceNumber = (record as { dynamodb?: { SequenceNumber?: unknown } } | null)?.dynamodb?.SequenceNumber;
  return typeof sequenceNumber === 'string' ? sequenceNumber : '';
}
