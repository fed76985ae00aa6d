import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDbItem } from '../format/attribute-value';

export interface SegmentScanOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly totalSegments: number;
  /** Asked before each page: true stops every segment at its next page boundary (Ctrl-C). */
  readonly shouldStop: () => boolean;
  /** Called with each page, awaited before the segment asks for the next (backpressure). */
  readonly onPage: (items: DynamoDbItem[]) => Promise<void>;
}

/**
 * A read-only parallel scan (export, verify): every segment at once, page by page. When one
 * segment fails the others stop at their next page, and the first failure is thrown.
 */
export async function scanSegments(options: SegmentScanOptions): Promise<void> {
  let failed = false;
  const segment = async (index: number): Promise<void> => {
    let startKey: DynamoDbItem | undefined;
    do {
      if (failed || options.shouldStop()) return;
      const page = await options.client.send(
        new ScanCommand({ TableName: options.tableName, Segment: index, TotalSegments: options.totalSegments, ExclusiveStartKey: startKey }),
      );
      await options.onPage(page.Items ?? []);
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  };
  const settled = await Promise.allSettled(
    Array.from({ length: options.totalSegments }, (_, index) =>
      segment(index).catch((error: unknown) => {
        failed = true;
        throw error;
      }),
    ),
  );
  const rejected = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
}
