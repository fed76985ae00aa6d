import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient, type _Record as StreamsRecord } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { itemToJson } from '../../src/format/dynamodb-json';
import { deliveredStreamRecord, readStreamRecords as readAllStreamRecords } from '../../src/pipeline/stream-event-source';
import { localAwsEndpoints } from './local-aws';
import { createPkSkTable } from './tables';

/**
 * Stream events for the fan-out tests, made from REAL DynamoDB Local stream records, shaped the
 * way Lambda's event source mapping delivers them (src/pipeline/stream-event-source.ts).
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

/** Every record of the stream, oldest first (see src/pipeline/stream-event-source.ts). */
export async function readStreamRecords(streamArn: string, client: DynamoDBStreamsClient = localStreamsClient()): Promise<StreamsRecord[]> {
  return readAllStreamRecords(client, streamArn);
}

/** One record exactly as Lambda delivers it. */
export function lambdaRecord(record: StreamsRecord, streamArn: string): DynamoDBRecord {
  return deliveredStreamRecord(record, streamArn) as DynamoDBRecord;
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
