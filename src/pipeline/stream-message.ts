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
  /**
   * Absent for INSERT (and for streams that do not carry it), and when it is named in
   * `unverifiedImages` under the `dead-letter` plaintext policy.
   */
  readonly oldImage?: DynamoDbJsonItem;
  /**
   * The images of the record that were stored unencrypted, so nothing vouches for them; absent
   * when every image was verified. Under the `pass-through` plaintext policy such an image is
   * delivered as it was read. Under `dead-letter` a record is delivered only when its current
   * state (NewImage) verifies: a plaintext OldImage (the first encrypted write of an item, as a
   * backfill makes) is then left out, and named here.
   */
  readonly unverifiedImages?: ReadonlyArray<'newImage' | 'oldImage'>;
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

/**
 * Characters SQS refuses in a message body (it allows #x9 | #xA | #xD | #x20-#xD7FF |
 * #xE000-#xFFFD | #x10000-#x10FFFF and answers InvalidMessageContents to anything else).
 * JSON.stringify escapes the C0 controls and lone surrogates already; U+FFFE and U+FFFF, which
 * a DynamoDB string may hold, it leaves as they are.
 */
const REFUSED_BY_SQS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/**
 * A message as the JSON text the targets are sent. Characters SQS would refuse are written as
 * `\uXXXX` escapes: the JSON means the same, and a record holding one does not block its shard
 * behind a message no queue takes. They can only occur inside JSON strings, where an escape is
 * always valid.
 */
export function messageJson(message: StreamMessage | DeadLetterMessage): string {
  // Every refused character is in the Basic Multilingual Plane: one code unit, one escape.
  return JSON.stringify(message).replace(REFUSED_BY_SQS, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function streamMessage(
  record: ParsedStreamRecord,
  newImage: DynamoDbItem | undefined,
  oldImage: DynamoDbItem | undefined,
  unverifiedImages: ReadonlyArray<'newImage' | 'oldImage'> = [],
): StreamMessage {
  return {
    eventName: record.eventName,
    tableName: record.tableName,
    keys: itemToJson(record.keys),
    newImage: newImage === undefined ? undefined : itemToJson(newImage),
    oldImage: oldImage === undefined ? undefined : itemToJson(oldImage),
    ...(unverifiedImages.length === 0 ? {} : { unverifiedImages }),
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
