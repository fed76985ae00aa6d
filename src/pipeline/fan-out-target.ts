import { createHash } from 'node:crypto';

/** One message on its way to the targets: the JSON body and what ordered targets need to keep order. */
export interface FanOutMessage {
  /** A JSON object (a StreamMessage or a DeadLetterMessage). */
  readonly body: string;
  /** Same item, same group: FIFO queues and topics keep the order of messages of one group. */
  readonly groupId: string;
  /** Stable for one stream record, so a record sent again after a retry is dropped by FIFO targets. */
  readonly deduplicationId: string;
  /** INSERT, MODIFY, REMOVE (the EventBridge detail type), or DeadLetter. */
  readonly kind: string;
  readonly time?: Date;
}

/** Somewhere messages go: an SQS queue, an SNS topic, an event bus, or an in-memory list in tests. */
export interface FanOutTarget {
  /** Names the target in logs and errors, e.g. `SQS queue https://...`. */
  readonly description: string;
  /** Resolves once the target has the message; rejects with a DeliveryError otherwise. */
  deliver(message: FanOutMessage): Promise<void>;
}

/**
 * The FIFO message group of an item: the table and the partition key value, hashed. A group id
 * is at most 128 printable ASCII characters while key values are up to 2 KB of any text or bytes,
 * so the value cannot be used as it is; the hash keeps one group per partition key.
 */
export function messageGroupId(tableName: string, partitionKey: unknown): string {
  return createHash('sha256').update(tableName).update('\0').update(JSON.stringify(partitionKey ?? null)).digest('hex');
}

const DEDUPLICATION_ID = /^[\x21-\x7e]{1,128}$/;

/** The record's eventID when it is a valid deduplication id (it always is from DynamoDB), else its sequence number. */
export function deduplicationId(eventID: string | undefined, sequenceNumber: string | undefined): string {
  if (eventID !== undefined && DEDUPLICATION_ID.test(eventID)) return eventID;
  if (sequenceNumber !== undefined && DEDUPLICATION_ID.test(sequenceNumber)) return sequenceNumber;
  return createHash('sha256').update(`${eventID ?? ''}\0${sequenceNumber ?? ''}`).digest('hex');
}
