import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDbItem } from '../format/attribute-value';

export interface SegmentScanOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly totalSegments: number;
  /** Segments scanned at once (default: all); the others wait for a free lane. */
  readonly concurrency?: number;
  /** Items per Scan page (DynamoDB's Limit); default: as many as fit in 1 MB. */
  readonly pageSize?: number;
  /** Asked before each page: true stops every segment at its next page boundary (Ctrl-C). */
  readonly shouldStop: () => boolean;
  /** Called with each page, awaited before the segment asks for the next (backpressure). */
  readonly onPage: (items: DynamoDbItem[]) => Promise<void>;
}

export interface SegmentScanResult {
  /** Every segment read to its end: a stop asked for after the last page lost nothing. */
  readonly complete: boolean;
}

/**
 * A read-only parallel scan (export, verify), page by page, at most `concurrency` segments at
 * a time. When one segment fails the others stop at their next page, and the first failure is
 * thrown.
 */
export async function scanSegments(options: SegmentScanOptions): Promise<SegmentScanResult> {
  let failed = false;
  let finishedSegments = 0;
  const waiting = Array.from({ length: options.totalSegments }, (_, index) => index);
  const stopping = () => failed || options.shouldStop();
  const scanSegment = async (index: number): Promise<void> => {
    let startKey: DynamoDbItem | undefined;
    do {
      if (stopping()) return;
      const page = await options.client.send(
        new ScanCommand({ TableName: options.tableName, Segment: index, TotalSegments: options.totalSegments, ExclusiveStartKey: startKey, Limit: options.pageSize }),
      );
      await options.onPage(page.Items ?? []);
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    finishedSegments += 1;
  };
  const lane = async (): Promise<void> => {
    for (let index = waiting.shift(); index !== undefined && !stopping(); index = waiting.shift()) await scanSegment(index);
  };
  const lanes = Math.min(options.concurrency ?? options.totalSegments, options.totalSegments);
  const settled = await Promise.allSettled(
    Array.from({ length: lanes }, () =>
      lane().catch((error: unknown) => {
        failed = true;
        throw error;
      }),
    ),
  );
  const rejected = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
  return { complete: finishedSegments === options.totalSegments };
}
