import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record as StreamsRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDbItem } from '../format/attribute-value';
import { itemToJson } from '../format/dynamodb-json';

/**
 * Reading a DynamoDB stream the way Lambda's event source mapping does, and shaping its records
 * as Lambda delivers them (DynamoDB JSON with binary as base64 text, creation time in epoch
 * seconds, eventSourceARN = the stream ARN): for running the stream handler outside Lambda
 * (`npm start`, tests) on real stream records.
 */

/** A stream record exactly as a Lambda DynamoDB event carries it (fits `aws-lambda`'s DynamoDBRecord). */
export interface DeliveredStreamRecord {
  readonly eventID?: string;
  readonly eventName?: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly eventVersion: string;
  readonly eventSource: string;
  readonly awsRegion?: string;
  readonly eventSourceARN: string;
  readonly dynamodb: {
    ApproximateCreationDateTime?: number;
    Keys?: Record<string, never>;
    NewImage?: Record<string, never>;
    OldImage?: Record<string, never>;
    SequenceNumber?: string;
    SizeBytes?: number;
    StreamViewType?: 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';
  };
}

/**
 * Every record of the stream, oldest first, shard by shard. An open shard always hands out a
 * next iterator; the first empty page means everything written so far has been read.
 */
export async function readStreamRecords(client: DynamoDBStreamsClient, streamArn: string): Promise<StreamsRecord[]> {
  const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const shards = [...(StreamDescription?.Shards ?? [])].sort((a, b) =>
    compareSequenceNumbers(a.SequenceNumberRange?.StartingSequenceNumber, b.SequenceNumberRange?.StartingSequenceNumber),
  );
  const records: StreamsRecord[] = [];
  for (const shard of shards) {
    let { ShardIterator: iterator } = await client.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    while (iterator !== undefined) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      if ((page.Records ?? []).length === 0) break;
      records.push(...(page.Records ?? []));
      iterator = page.NextShardIterator;
    }
  }
  return records;
}

/** One record exactly as Lambda delivers it. */
export function deliveredStreamRecord(record: StreamsRecord, streamArn: string): DeliveredStreamRecord {
  const stream = record.dynamodb ?? {};
  const created = stream.ApproximateCreationDateTime;
  const dynamodb: DeliveredStreamRecord['dynamodb'] = {
    ApproximateCreationDateTime: created === undefined ? undefined : Math.floor(created.getTime() / 1000),
    Keys: json(stream.Keys),
    NewImage: json(stream.NewImage),
    OldImage: json(stream.OldImage),
    SequenceNumber: stream.SequenceNumber,
    SizeBytes: stream.SizeBytes,
    StreamViewType: stream.StreamViewType,
  };
  // Lambda leaves out what the record does not have (an INSERT has no OldImage...).
  for (const name of Object.keys(dynamodb) as Array<keyof typeof dynamodb>) if (dynamodb[name] === undefined) delete dynamodb[name];
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: record.eventSource ?? 'aws:dynamodb',
    awsRegion: record.awsRegion,
    dynamodb,
    eventSourceARN: streamArn,
  };
}

function json(item: Record<string, unknown> | undefined): Record<string, never> | undefined {
  // The streams client's AttributeValue has the same shape as DynamoDB's: binary as Uint8Array.
  return item === undefined ? undefined : (itemToJson(item as DynamoDbItem) as Record<string, never>);
}

function compareSequenceNumbers(a: string | undefined, b: string | undefined): number {
  const left = BigInt(a ?? '0');
  const right = BigInt(b ?? '0');
  return left < right ? -1 : left > right ? 1 : 0;
}
