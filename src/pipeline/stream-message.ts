import type { DynamoDbItem } from '../format/attribute-value';
import { itemToJson } from '../format/dynamodb-json';
import type { ParsedStreamRecord, RecordIdentity, StreamEventName } from './stream-record';

/**
 * The JSON documents the fan-out sends.
 *
 * Images and keys are in DynamoDB JSON (`{"S": "..."}`, `{"N": "..."}`, binary as base64), the
 * form Lambda itself delivers stream images in, rather than native values: it is lossless
 * (numbers keep all 38 digits, sets stay sets, binary stays binary) where plain JSON is not, and a
 * consumer turns it into native values with `unmarshall` of `@aws-sdk/util-dynamodb`.
 */
export type DynamoDbJsonItem = Record<string, unknown>;

/** What a target receives for each record: the record, with its images verified and decrypted. */
export interface StreamMessage {
  readonly eventName: StreamEventName;
  readonly tableName: string;
  readonly keys: DynamoDbJsonItem;
  /** Absent for REMOVE (and for streams that do not carry it). */
  readonly newImage?: DynamoDbJsonItem;
  /** Absent for INSERT (and for streams that do not carry it). */
  readonly oldImage?: DynamoDbJsonItem;
  readonly sequenceNumber: string;
  /** Epoch seconds, as the stream record gives it. */
  readonly approximateCreationDateTime?: number;
}

/**
 * What the dead-letter queue receives for a record that could not be delivered as it is: why,
 * and which item, so the item can be looked at in the table. Never an image: a tampered item's
 * values are not to be trusted, and a plaintext item's values are exactly what must not leak.
 */
export interface DeadLetterMessage {
  /** The error's message: it names the table and attribute, never a value. */
  readonly reason: string;
  /** The error class: SignatureVerificationError, PlaintextRecordError, MalformedStreamRecordError... */
  readonly errorName: string;
  readonly tableName?: string;
  readonly eventName?: string;
  readonly keys?: Readonly<Record<string, unknown>>;
  readonly eventID?: string;
  readonly sequenceNumber?: string;
}

export function streamMessage(record: ParsedStreamRecord, newImage: DynamoDbItem | undefined, oldImage: DynamoDbItem | undefined): StreamMessage {
  return {
    eventName: record.eventName,
    tableName: record.tableName,
    keys: itemToJson(record.keys),
    newImage: newImage === undefined ? undefined : itemToJson(newImage),
    oldImage: oldImage === undefined ? undefined : itemToJson(oldImage),
    sequenceNumber: record.sequenceNumber,
    approximateCreationDateTime: record.approximateCreationDateTime,
  };
}

export function deadLetterMessage(identity: RecordIdentity, error: Error): DeadLetterMessage {
  return {
    reason: error.message,
    errorName: error.name,
    tableName: identity.tableName,
    eventName: identity.eventName,
    keys: identity.keys,
    eventID: identity.eventID,
    sequenceNumber: identity.sequenceNumber,
  };
}
