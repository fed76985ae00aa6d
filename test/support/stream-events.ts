import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamsRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue as LambdaAttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { itemToJson } from '../../src/format/dynamodb-json';
import { localAwsEndpoints } from './local-aws';
import { createPkSkTable } from './tables';

/**
 * Stream events for the fan-out tests, made from REAL DynamoDB Local stream records: read with
 * DescribeStream / GetShardIterator / GetRecords, then shaped the way Lambda's event source
 * mapping delivers them (DynamoDB JSON with binary as base64 text, creation time in epoch
 * seconds, eventSourceARN = the stream ARN).
 */

export function localStreamsClient(): DynamoDBStreamsClient {
  localAwsEndpoints();
  return new DynamoDBStreamsClient({});
}

/** A `pk` (S) / `sk` (N) table whose stream carries NEW_AND_OLD_IMAGES, as the fan-out expects. */
export async function createStreamTable(dynamoDb: DynamoDBClient, tableName: string): Promise<string> {
  const TableDescription = await createPkSkTable(dynamoDb, tableName, {
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  });
  if (TableDescription?.LatestStreamArn === undefined) throw new Error(`table ${tableName} was created without a stream`);
  return TableDescription.LatestStreamArn;
}

/** The table's current stream ARN (the table must have a StreamSpecification). */
export async function streamArnOf(dynamoDb: DynamoDBClient, tableName: string): Promise<string> {
  const { Table } = await dynamoDb.send(new DescribeTableCommand({ TableName: tableName }));
  if (Table?.LatestStreamArn === undefined) throw new Error(`table ${tableName} has no stream`);
  return Table.LatestStreamArn;
}

/**
 * Every record of the stream, oldest first, shard by shard (DynamoDB Local has one). An open
 * shard always hands out a next iterator; the first empty page means we have read everything.
 */
export async function readStreamRecords(streamArn: string, client: DynamoDBStreamsClient = localStreamsClient()): Promise<StreamsRecord[]> {
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
export function lambdaRecord(record: StreamsRecord, streamArn: string): DynamoDBRecord {
  const stream = record.dynamodb ?? {};
  const created = stream.ApproximateCreationDateTime;
  const dynamodb: NonNullable<DynamoDBRecord['dynamodb']> = {
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

export function lambdaStreamEvent(records: readonly StreamsRecord[], streamArn: string): DynamoDBStreamEvent {
  return { Records: records.map((record) => lambdaRecord(record, streamArn)) };
}

/** Reads the table's stream and returns it as one Lambda event, with the records read. */
export async function streamEventOf(
  dynamoDb: DynamoDBClient,
  tableName: string,
): Promise<{ event: DynamoDBStreamEvent; streamArn: string; records: StreamsRecord[] }> {
  const streamArn = await streamArnOf(dynamoDb, tableName);
  const records = await readStreamRecords(streamArn);
  return { event: lambdaStreamEvent(records, streamArn), streamArn, records };
}

function json(item: Record<string, unknown> | undefined): Record<string, LambdaAttributeValue> | undefined {
  // The streams client's AttributeValue has the same shape as DynamoDB's: binary as Uint8Array.
  return item === undefined ? undefined : (itemToJson(item as DynamoDbItem) as Record<string, LambdaAttributeValue>);
}

function compareSequenceNumbers(a: string | undefined, b: string | undefined): number {
  const left = BigInt(a ?? '0');
  const right = BigInt(b ?? '0');
  return left < right ? -1 : left > right ? 1 : 0;
}

/** A stream record built in process (no table), shaped as Lambda delivers it: for unit tests and benches. */
export function syntheticStreamRecord(fields: {
  readonly eventID: string;
  readonly eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly streamArn: string;
  readonly keys: DynamoDbItem;
  readonly newImage?: DynamoDbItem;
  readonly oldImage?: DynamoDbItem;
  readonly sequenceNumber: string;
  readonly approximateCreationDateTime?: number;
  readonly sizeBytes?: number;
}): DynamoDBRecord {
  return {
    eventID: fields.eventID,
    eventName: fields.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: fields.streamArn,
    dynamodb: {
      ApproximateCreationDateTime: fields.approximateCreationDateTime ?? 1_700_000_000,
      Keys: itemToJson(fields.keys) as never,
      ...(fields.newImage === undefined ? {} : { NewImage: itemToJson(fields.newImage) as never }),
      ...(fields.oldImage === undefined ? {} : { OldImage: itemToJson(fields.oldImage) as never }),
      SequenceNumber: fields.sequenceNumber,
      SizeBytes: fields.sizeBytes ?? 100,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}
