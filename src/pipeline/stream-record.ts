import { DynamoDbEncryptionError } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';
import { itemFromJson } from '../format/dynamodb-json';
import { MalformedStreamEventError, MalformedStreamRecordError } from './stream-errors';

/**
 * One DynamoDB Streams record as Lambda delivers it (the `Records[]` of a DynamoDBStreamEvent):
 * images and keys in DynamoDB JSON, binary as base64 text. Declared here rather than taken from
 * `@types/aws-lambda` so that the engine does not depend on Lambda; the Lambda type fits it.
 */
export interface LambdaStreamRecord {
  readonly eventID?: string;
  readonly eventName?: string;
  readonly eventSourceARN?: string;
  readonly dynamodb?: {
    readonly ApproximateCreationDateTime?: number;
    readonly Keys?: Readonly<Record<string, unknown>>;
    readonly NewImage?: Readonly<Record<string, unknown>>;
    readonly OldImage?: Readonly<Record<string, unknown>>;
    readonly SequenceNumber?: string;
    readonly StreamViewType?: string;
  };
}

export type StreamEventName = 'INSERT' | 'MODIFY' | 'REMOVE';

/** A record checked and converted to the SDK's `AttributeValue` form (binary as `Uint8Array`). */
export interface ParsedStreamRecord {
  readonly eventID?: string;
  readonly eventName: StreamEventName;
  readonly tableName: string;
  readonly keys: DynamoDbItem;
  readonly newImage?: DynamoDbItem;
  readonly oldImage?: DynamoDbItem;
  readonly sequenceNumber: string;
  /** Epoch seconds, as Lambda delivers it. */
  readonly approximateCreationDateTime?: number;
}

/** What can be told about a record even when it is malformed: enough to dead-letter it with keys. */
export interface RecordIdentity {
  readonly eventID?: string;
  readonly eventName?: string;
  readonly tableName?: string;
  /** As delivered (DynamoDB JSON), when it is at least an object. */
  readonly keys?: Readonly<Record<string, unknown>>;
  readonly sequenceNumber?: string;
}

// arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL (also the aws-cn / aws-us-gov partitions).
const STREAM_ARN = /^arn:aws[a-z-]*:dynamodb:[^:]*:[^:]*:table\/([A-Za-z0-9_.-]{1,255})\/stream\/[^/]+$/;
const EVENT_NAMES: readonly string[] = ['INSERT', 'MODIFY', 'REMOVE'];
// A stream view names which images every record of the stream carries.
const CARRIES_NEW = new Set(['NEW_IMAGE', 'NEW_AND_OLD_IMAGES']);
const CARRIES_OLD = new Set(['OLD_IMAGE', 'NEW_AND_OLD_IMAGES']);

/** The table a stream ARN belongs to, or undefined when the text is no DynamoDB stream ARN. */
export function tableNameFromStreamArn(arn: unknown): string | undefined {
  return typeof arn === 'string' ? STREAM_ARN.exec(arn)?.[1] : undefined;
}

/** The `Records` of an invocation; anything that is not a stream event at all is refused as a whole. */
export function recordsOf(event: unknown): readonly unknown[] {
  const records = (event as { Records?: unknown } | null | undefined)?.Records;
  if (!Array.isArray(records)) {
    throw new MalformedStreamEventError('the event has no Records array: it is not a DynamoDB Streams event');
  }
  return records;
}

export function identityOf(record: unknown): RecordIdentity {
  const fields = isObject(record) ? (record as LambdaStreamRecord) : {};
  const dynamodb = isObject(fields.dynamodb) ? fields.dynamodb : {};
  return {
    eventID: stringOrUndefined(fields.eventID),
    eventName: stringOrUndefined(fields.eventName),
    tableName: tableNameFromStreamArn(fields.eventSourceARN),
    keys: isObject(dynamodb.Keys) ? dynamodb.Keys : undefined,
    sequenceNumber: stringOrUndefined(dynamodb.SequenceNumber),
  };
}

/**
 * Checks a record's shape and converts its keys and images. Images the stream view promises must
 * be there (a REMOVE's OldImage is optional: a KEYS_ONLY-like delivery of deletes still says
 * which item went). Throws MalformedStreamRecordError, naming what is wrong but no value.
 */
export function parseStreamRecord(record: unknown): ParsedStreamRecord {
  if (!isObject(record)) throw new MalformedStreamRecordError('a stream record must be an object');
  const fields = record as LambdaStreamRecord;
  const tableName = tableNameFromStreamArn(fields.eventSourceARN);
  if (tableName === undefined) {
    throw new MalformedStreamRecordError('the record has no eventSourceARN of the form arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL');
  }
  const location = { tableName };
  const eventName = fields.eventName;
  if (typeof eventName !== 'string' || !EVENT_NAMES.includes(eventName)) {
    throw new MalformedStreamRecordError('the record has no eventName INSERT, MODIFY or REMOVE', location);
  }
  const dynamodb = fields.dynamodb;
  if (!isObject(dynamodb)) throw new MalformedStreamRecordError('the record has no dynamodb section', location);
  const sequenceNumber = dynamodb.SequenceNumber;
  if (typeof sequenceNumber !== 'string' || sequenceNumber === '') {
    throw new MalformedStreamRecordError('the record has no SequenceNumber', location);
  }
  const viewType = typeof dynamodb.StreamViewType === 'string' ? dynamodb.StreamViewType : 'NEW_AND_OLD_IMAGES';
  const keys = converted(dynamodb.Keys, 'Keys', tableName);
  if (keys === undefined || Object.keys(keys).length === 0) throw new MalformedStreamRecordError('the record has no Keys', location);
  const newImage = converted(dynamodb.NewImage, 'NewImage', tableName);
  const oldImage = converted(dynamodb.OldImage, 'OldImage', tableName);
  if (newImage === undefined && eventName !== 'REMOVE' && CARRIES_NEW.has(viewType)) {
    throw new MalformedStreamRecordError(`the ${eventName} record has no NewImage although the stream view is ${viewType}`, location);
  }
  if (oldImage === undefined && eventName === 'MODIFY' && CARRIES_OLD.has(viewType)) {
    throw new MalformedStreamRecordError(`the MODIFY record has no OldImage although the stream view is ${viewType}`, location);
  }
  const created = dynamodb.ApproximateCreationDateTime;
  return {
    eventID: stringOrUndefined(fields.eventID),
    eventName: eventName as StreamEventName,
    tableName,
    keys,
    newImage,
    oldImage,
    sequenceNumber,
    approximateCreationDateTime: typeof created === 'number' && Number.isFinite(created) ? created : undefined,
  };
}

function converted(json: unknown, what: string, tableName: string): DynamoDbItem | undefined {
  if (json === undefined || json === null) return undefined;
  try {
    return itemFromJson(json);
  } catch (error) {
    // The converter's messages name the attribute and the expected type, never the value.
    const detail = error instanceof DynamoDbEncryptionError ? `: ${error.message}` : '';
    throw new MalformedStreamRecordError(`the record's ${what} is not DynamoDB JSON${detail}`, { tableName });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
