import { ScanCommand, type DynamoDBClient, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { TableCrypto } from '../encrypted/table-crypto';
import { TableInfo } from '../encrypted/table-info';
import { AttributeActions } from '../encryptor/attribute-actions';
import { InvalidArgumentError } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';
import { ConcurrencyLimiter } from '../providers/concurrency-limiter';
import type { CryptographicMaterialsProvider } from '../providers/cryptographic-materials-provider';
import { CapacityBudget } from './reencrypt-capacity';
import { asClassifier, type MaterialsClassifier, type MaterialsClassifierLike } from './reencrypt-classifier';
import { addCounts, emptyCounts, type ReEncryptCounts } from './reencrypt-counts';
import { ReEncryptRequestError, ReEncryptSegmentError } from './reencrypt-errors';
import type { ItemFilter } from './reencrypt-filter';
import { isItemFailure, isTransientAwsFailure } from './reencrypt-failures';
import { ItemProcessor, type ItemRunOptions } from './reencrypt-item-processor';
import { validateSegmentRequest, type ReEncryptSegmentRequest } from './reencrypt-request';
import { ThrottleRetry, type ThrottleRetryOptions } from './reencrypt-throttling';

export interface ScanReEncryptorOptions {
  readonly client: DynamoDBClient;
  /** The table, or its name (then learned once with DescribeTable, which also finds the index keys to keep signed). */
  readonly table: TableInfo | string;
  /** The target materials: every item written is encrypted with these. */
  readonly materialsProvider: CryptographicMaterialsProvider;
  /**
   * Decrypts the items found, whatever materials they are under: Direct KMS with
   * `allowedKeyIds: [new, old...]`, a MostRecent provider (reads any MetaStore version)...
   * @default materialsProvider
   */
  readonly sourceMaterialsProvider?: CryptographicMaterialsProvider;
  /** Tells items already under the target materials from the others (`kmsKeyClassifier`, `mostRecentVersionClassifier`...). */
  readonly classifier: MaterialsClassifierLike;
  /** @default every attribute ENCRYPT_AND_SIGN (index keys are always SIGN_ONLY) */
  readonly attributeActions?: AttributeActions;
  /**
   * An attribute that every writer changes on every write (an optimistic-locking version).
   * When an item has it, the write condition compares it instead of each value read: needed for
   * plaintext items with so many attributes that the value-by-value condition would break
   * DynamoDB's 4 KB expression limit (those items otherwise fail with ConditionTooLargeError).
   * It is not changed by re-encryption.
   */
  readonly versionAttribute?: string;
  /**
   * Read and write capacity units per second this instance may use (Scan and GetItem; writes),
   * from what DynamoDB reports consumed (ReturnConsumedCapacity TOTAL, asked for only when a
   * budget is set). Segments run by one instance share them; separate
   * Lambdas each have their own, so give each totalSegments-th of the table's budget.
   * @default unlimited
   */
  readonly readCapacityPerSecond?: number;
  readonly writeCapacityPerSecond?: number;
  /** Items per Scan page; a checkpoint falls at each page boundary. @default 100 */
  readonly pageSize?: number;
  /**
   * Items processed at once in a segment. The next page's first items start as the slots of the
   * last ones of the page before free up; a checkpoint still covers only whole pages. @default 16
   */
  readonly concurrency?: number;
  /** New attempts after a write found the item changed, each after a consistent re-read. @default 3 */
  readonly maxConflictRetries?: number;
  /** Strongly consistent Scan (twice the read capacity). Writes are conditional either way. @default false */
  readonly consistentRead?: boolean;
  /**
   * With a time budget, no new page is started once less than the larger of this and
   * `safetyFraction` of the starting budget remains, plus the slowest page so far (checked as
   * each page is about to start, including one read ahead). Until a first page has finished
   * its time is unknown, so no page is read ahead of it.
   * @default 10000
   */
  readonly safetyMarginMs?: number;
  /** @default 0 */
  readonly safetyFraction?: number;
  /**
   * Call `refresh()` on the providers at the start of each run, so that a MostRecent provider
   * encrypts with the version the classifier calls newest, not one cached before a rotation.
   * @default true
   */
  readonly refreshProvidersOnStart?: boolean;
  /** Backoff beyond the SDK's retries when DynamoDB throttles. */
  readonly throttleRetry?: ThrottleRetryOptions;
  /** Told about each failed item: its primary key and the error. For a caller's own records; never logged here. */
  readonly onItemFailure?: (key: DynamoDbItem, error: unknown) => void;
}

export interface SegmentRunOptions {
  /**
   * Milliseconds left before the caller must return (a Lambda's `context.getRemainingTimeInMillis`).
   * @default no limit: the segment runs to its end
   */
  readonly remainingTimeMs?: () => number;
  /** Asked before each new page: true stops at the next page boundary (a container's SIGTERM...). */
  readonly shouldStop?: () => boolean;
}

export interface ReEncryptSegmentResult {
  /**
   * Where to resume: every item before it was processed. Undefined when the segment is finished.
   */
  readonly lastEvaluatedKey?: DynamoDbItem;
  readonly counts: ReEncryptCounts;
  /** How many items failed, by error class (never messages: they could quote a value). */
  readonly failureReasons: Record<string, number>;
}

/**
 * Re-encrypts (or backfill-encrypts) a table by scanning it: one parallel-scan segment per call,
 * page by page, stopping at a page boundary when the time budget runs low and returning that
 * boundary as an exact checkpoint. A plain class: a Lambda, the CLI or a container drives it.
 *
 * Every scanned item is classified: plaintext → encrypted with the target materials; under
 * older materials → decrypted with the source provider and encrypted with the target one;
 * current → left alone. Every write is conditional on the item being unchanged since it was
 * read (see `reEncryptWrite`), so a concurrent writer's update is never lost; when the item did
 * change it is read again and decided again, up to `maxConflictRetries` times, then counted
 * as a conflict and left as the other writer left it.
 */
export class ScanReEncryptor {
  private readonly options: ScanReEncryptorOptions;
  private readonly classifier: MaterialsClassifier;
  private readonly readBudget: CapacityBudget;
  private readonly writeBudget: CapacityBudget;
  private readonly throttle: ThrottleRetry;
  private readonly pageSize: number;
  private readonly concurrency: number;
  private readonly maxConflictRetries: number;
  private processorPromise?: Promise<{ tableInfo: TableInfo; processor: ItemProcessor }>;
  private lastScanUnits?: number;

  constructor(options: ScanReEncryptorOptions) {
    if (options?.client === undefined) throw new InvalidArgumentError('ScanReEncryptor needs a DynamoDB client');
    if (options.table === undefined || options.table === '') throw new InvalidArgumentError('ScanReEncryptor needs the table (a TableInfo or a table name)');
    if (options.materialsProvider === undefined) throw new InvalidArgumentError('ScanReEncryptor needs the target materialsProvider');
    if (options.classifier === undefined) {
      throw new InvalidArgumentError('ScanReEncryptor needs a classifier to tell current items from old ones (kmsKeyClassifier, mostRecentVersionClassifier...)');
    }
    this.options = options;
    this.classifier = asClassifier(options.classifier);
    this.readBudget = new CapacityBudget({ unitsPerSecond: options.readCapacityPerSecond });
    this.writeBudget = new CapacityBudget({ unitsPerSecond: options.writeCapacityPerSecond });
    this.throttle = new ThrottleRetry(options.throttleRetry);
    this.pageSize = wholeNumber(options.pageSize ?? 100, 'pageSize', 1);
    this.concurrency = wholeNumber(options.concurrency ?? 16, 'concurrency', 1);
    this.maxConflictRetries = wholeNumber(options.maxConflictRetries ?? 3, 'maxConflictRetries', 0);
  }

  /**
   * Processes one segment from `exclusiveStartKey` (or its beginning) until it ends or the time
   * budget runs low. Items that cannot be processed are counted `failed` and skipped; a failure
   * of DynamoDB or KMS as a whole stops the run with `ReEncryptSegmentError`, which carries the
   * checkpoint to resume from. Before the first page (DescribeTable, the classifier's `prepare`),
   * only a failure that passes with time (throttling, a 5xx answer, a broken connection) is one;
   * any other is thrown as is, since retrying would fail the same way.
   */
  async processSegment(request: ReEncryptSegmentRequest, run: SegmentRunOptions = {}): Promise<ReEncryptSegmentResult> {
    return this.runSegment(request, run, true);
  }

  /**
   * Runs every segment of the table at once in this process, each to its end (no time budget):
   * for the CLI, a container, tests and benchmarks. When one segment stops on an error, the
   * others stop at their next page boundary, and the first error is thrown (a caller that must
   * resume each segment exactly drives them with `processSegment` instead).
   */
  async processTable(options: { totalSegments: number; dryRun?: boolean; filter?: ItemFilter }): Promise<Omit<ReEncryptSegmentResult, 'lastEvaluatedKey'>> {
    const { totalSegments, dryRun, filter } = options;
    const { tableInfo } = await this.processor();
    validateSegmentRequest({ segment: 0, totalSegments, dryRun, filter }, tableInfo.name);
    await this.prepare();
    let failed = false;
    const run: SegmentRunOptions = { shouldStop: () => failed };
    const settled = await Promise.allSettled(
      Array.from({ length: totalSegments }, (_, segment) =>
        this.runSegment({ segment, totalSegments, dryRun, filter }, run, false).catch((error: unknown) => {
          failed = true;
          throw error;
        }),
      ),
    );
    const counts = emptyCounts();
    const failureReasons: Record<string, number> = {};
    for (const result of settled) {
      if (result.status === 'rejected') throw result.reason;
      addCounts(counts, result.value.counts);
      for (const [reason, count] of Object.entries(result.value.failureReasons)) failureReasons[reason] = (failureReasons[reason] ?? 0) + count;
    }
    return { counts, failureReasons };
  }

  private async runSegment(request: ReEncryptSegmentRequest, run: SegmentRunOptions, prepare: boolean): Promise<ReEncryptSegmentResult> {
    // The request is checked before any AWS call: a malformed one fails the same way however
    // often it is retried, so it stays a ReEncryptRequestError (which the job does not retry).
    const { segment, totalSegments, exclusiveStartKey, dryRun = false, filter } = validateSegmentRequest(request, this.tableName());
    let tableInfo: TableInfo;
    let processor: ItemProcessor;
    try {
      ({ tableInfo, processor } = await this.processor());
      assertCheckpoint(exclusiveStartKey, tableInfo);
      if (prepare) await this.prepare();
    } catch (error) {
      // Only a failure that passes with time (DescribeTable, a MetaStore query or a KMS DescribeKey
      // throttled, a 5xx answer, a broken connection) is a ReEncryptSegmentError, which the job
      // retries from where the segment was asked to start. Anything else (a wrong table or alias,
      // access denied, a bad MetaStore item or configuration, a bug) would fail the same way on
      // every retry: it is thrown as is, and the job fails at once, naming it.
      if (!isTransientAwsFailure(error)) throw error;
      throw new ReEncryptSegmentError(
        `segment ${segment} of ${totalSegments} could not start: ${(error as Error | undefined)?.name ?? 'an error'} (retry from the same exclusiveStartKey)`,
        this.tableName(),
        exclusiveStartKey,
        emptyCounts(),
        { cause: error },
      );
    }

    const counts = emptyCounts();
    const failureReasons: Record<string, number> = {};
    const itemRun: ItemRunOptions = { dryRun, filter };
    const stopBelowMs = this.stopThreshold(run);
    // One limit for the whole segment rather than one per page: the next page's items start as
    // the slots of this page's last ones free up, instead of the page draining to its slowest
    // write while the thread that does the cryptography sits idle.
    const limiter = new ConcurrencyLimiter(this.concurrency);
    const stopping: { fatal?: { error: unknown } } = {};
    // Pages whose items were started, oldest first: at most the one finishing and the one started.
    const started: StartedPage[] = [];
    let checkpoint = exclusiveStartKey;
    let slowestPageMs = 0;
    let pagesFinished = 0;
    // Every item of the oldest page and the ones before it is done: an exact checkpoint.
    const finishOldest = async (): Promise<void> => {
      const page = started[0];
      await page.settled;
      // A page that is not all done stays first: the checkpoint can go no further.
      if (page.fatal !== undefined) throw page.fatal.error;
      started.shift();
      checkpoint = page.lastEvaluatedKey;
      slowestPageMs = Math.max(slowestPageMs, performance.now() - page.startedAt);
      pagesFinished += 1;
    };
    const scan = (startKey: DynamoDbItem | undefined) => {
      const page = this.scanPage(tableInfo, segment, totalSegments, startKey);
      page.catch(() => undefined); // awaited below; a failure while the previous page is processed is not unhandled
      return page;
    };
    // A page's time runs from when it was asked for until its last item is done, so it includes
    // finishing the page before it: the slowest page so far is what starting one more may cost.
    const timeLeftFor = (pages: number): boolean =>
      run.remainingTimeMs === undefined || run.remainingTimeMs() >= stopBelowMs + pages * slowestPageMs;
    let next: Promise<ScanCommandOutput> | undefined = scan(checkpoint);
    try {
      for (let first = true; next !== undefined; first = false) {
        const startedAt = performance.now();
        const page: ScanCommandOutput = await next;
        next = undefined;
        // Asked again now, however long ago the page was asked for: once its items start, the
        // run waits for them. At least one page per call, so that a run always makes progress;
        // a page left unstarted is read again by the next run, from the checkpoint.
        if (!first && (!timeLeftFor(1) || run.shouldStop?.() === true)) break;
        counts.scanned += page.Items?.length ?? 0;
        started.push(this.startPage(processor, tableInfo, page.Items ?? [], itemRun, counts, failureReasons, limiter, stopping, page.LastEvaluatedKey, startedAt));
        // With a budget, nothing is read ahead until one page's time is known: before that,
        // the margin alone would have to cover pages of any length.
        if (run.remainingTimeMs !== undefined && pagesFinished === 0) await finishOldest();
        // The next page is read while this one is processed, unless there will not be time to
        // process it too: this one and the next, two pages' time.
        if (page.LastEvaluatedKey !== undefined && timeLeftFor(2) && run.shouldStop?.() !== true) next = scan(page.LastEvaluatedKey);
        if (started.length > 1) await finishOldest();
      }
      while (started.length > 0) await finishOldest();
    } catch (error) {
      // Nothing may still be writing when the run reports its checkpoint. Pages already started
      // are let finish (after a failed Scan they can), and those done in order still move it.
      await Promise.all(started.map((page) => page.settled));
      while (started.length > 0 && started[0].fatal === undefined) await finishOldest();
      throw new ReEncryptSegmentError(
        `segment ${segment} of ${totalSegments} stopped: ${(error as Error | undefined)?.name ?? 'an error'} (resume from lastEvaluatedKey)`,
        tableInfo.name,
        checkpoint,
        counts,
        { cause: error, checkpointMoved: pagesFinished > 0, failureReasons },
      );
    }
    return { lastEvaluatedKey: checkpoint, counts, failureReasons };
  }

  private tableName(): string {
    const { table } = this.options;
    return typeof table === 'string' ? table : table.name;
  }

  private processor(): Promise<{ tableInfo: TableInfo; processor: ItemProcessor }> {
    this.processorPromise ??= (async () => {
      const { client, table } = this.options;
      const tableInfo = typeof table === 'string' ? await TableInfo.fromDescribeTable(client, table) : table;
      const actions = this.options.attributeActions ?? new AttributeActions();
      const target = this.options.materialsProvider;
      const processor = new ItemProcessor({
        client,
        tableInfo,
        sourceConfig: new TableCrypto(tableInfo, this.options.sourceMaterialsProvider ?? target, actions).config,
        targetConfig: new TableCrypto(tableInfo, target, actions).config,
        classifier: this.classifier,
        versionAttribute: this.options.versionAttribute,
        maxConflictRetries: this.maxConflictRetries,
        readBudget: this.readBudget,
        writeBudget: this.writeBudget,
        throttle: this.throttle,
      });
      return { tableInfo, processor };
    })();
    // A failed DescribeTable is not cached: the next run asks again.
    this.processorPromise.catch(() => (this.processorPromise = undefined));
    return this.processorPromise;
  }

  private async prepare(): Promise<void> {
    if (this.options.refreshProvidersOnStart !== false) {
      this.options.materialsProvider.refresh?.();
      if (this.options.sourceMaterialsProvider !== this.options.materialsProvider) this.options.sourceMaterialsProvider?.refresh?.();
    }
    await this.classifier.prepare?.();
  }

  private stopThreshold(run: SegmentRunOptions): number {
    if (run.remainingTimeMs === undefined) return 0;
    const margin = this.options.safetyMarginMs ?? 10_000;
    const fraction = this.options.safetyFraction ?? 0;
    return Math.max(margin, fraction * run.remainingTimeMs());
  }

  private async scanPage(tableInfo: TableInfo, segment: number, totalSegments: number, startKey: DynamoDbItem | undefined): Promise<ScanCommandOutput> {
    // A page is estimated at what the previous one cost; settle() corrects the estimate.
    const estimate = Math.max(1, this.lastScanUnits ?? Math.ceil(this.pageSize / 10));
    await this.readBudget.take(estimate);
    const page = await this.throttle.run('Scan', tableInfo.name, () =>
      this.options.client.send(
        new ScanCommand({
          TableName: tableInfo.name,
          Segment: segment,
          TotalSegments: totalSegments,
          ExclusiveStartKey: startKey,
          Limit: this.pageSize,
          ConsistentRead: this.options.consistentRead,
          // Only a budget needs the figure; unasked, the responses are smaller.
          ReturnConsumedCapacity: this.readBudget.unlimited ? undefined : 'TOTAL',
        }),
      ),
    );
    this.readBudget.settle(estimate, page.ConsumedCapacity?.CapacityUnits);
    if (page.ConsumedCapacity?.CapacityUnits !== undefined) this.lastScanUnits = Math.ceil(page.ConsumedCapacity.CapacityUnits);
    return page;
  }

  /**
   * Starts a page's items through the segment's limiter; the returned page settles once every
   * one of them has, failed or not (a fatal error is recorded on the page, never thrown, so that
   * nothing is still writing when the run reports its checkpoint). After a fatal error anywhere
   * in the segment, items not yet started are left alone.
   */
  private startPage(
    processor: ItemProcessor,
    tableInfo: TableInfo,
    items: readonly DynamoDbItem[],
    run: ItemRunOptions,
    counts: ReEncryptCounts,
    failureReasons: Record<string, number>,
    limiter: ConcurrencyLimiter,
    stopping: { fatal?: { error: unknown } },
    lastEvaluatedKey: DynamoDbItem | undefined,
    startedAt: number,
  ): StartedPage {
    const page: StartedPage = { lastEvaluatedKey, startedAt, settled: Promise.resolve() };
    page.settled = Promise.all(
      items.map((item) =>
        limiter.run(async () => {
          if (stopping.fatal !== undefined) {
            page.fatal ??= stopping.fatal; // not processed: the page is not done
            return;
          }
          try {
            counts[await processor.process(item, run, counts)] += 1;
          } catch (error) {
            if (!isItemFailure(error)) {
              page.fatal ??= { error };
              stopping.fatal ??= page.fatal;
              return;
            }
            counts.failed += 1;
            const reason = (error as { name?: string }).name ?? 'Error';
            failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
            this.options.onItemFailure?.(primaryKey(item, tableInfo), error);
          }
        }),
      ),
    ).then(() => undefined);
    return page;
  }
}

/** A page whose items were handed to the segment's limiter. */
interface StartedPage {
  /** Resolves (never rejects) once every item of the page has been processed or skipped. */
  settled: Promise<void>;
  /** Set when an item met a failure of DynamoDB or KMS as a whole, or was skipped after one. */
  fatal?: { error: unknown };
  readonly lastEvaluatedKey?: DynamoDbItem;
  /** When the page was asked for (performance.now()), for the time budget. */
  readonly startedAt: number;
}

function primaryKey(item: Readonly<DynamoDbItem>, tableInfo: TableInfo): DynamoDbItem {
  const { partition, sort } = tableInfo.primaryIndex;
  return sort === undefined ? { [partition]: item[partition] } : { [partition]: item[partition], [sort]: item[sort] };
}

function assertCheckpoint(key: DynamoDbItem | undefined, tableInfo: TableInfo): void {
  if (key === undefined) return;
  const { partition, sort } = tableInfo.primaryIndex;
  const missing = [partition, sort].filter((name): name is string => name !== undefined && key[name] === undefined);
  if (missing.length > 0) {
    throw new ReEncryptRequestError([`exclusiveStartKey lacks the table's key attribute(s) ${missing.map((name) => `"${name}"`).join(', ')}`], tableInfo.name);
  }
}

function wholeNumber(value: number, name: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new InvalidArgumentError(`${name} must be a whole number >= ${min}, got ${String(value)}`);
  return value;
}
