import { DynamoDbEncryptionError, InvalidArgumentError, type ErrorLocation } from '../errors';

/**
 * The stream fan-out's own errors. Like every library error, messages name tables, attributes,
 * targets and stream positions, never an attribute value: they reach logs and dead-letter queues.
 */

/** The invocation is not a DynamoDB Streams event at all (no `Records` array): nothing can be processed. */
export class MalformedStreamEventError extends InvalidArgumentError {}

/**
 * One record cannot be understood (no table in its `eventSourceARN`, missing keys or images,
 * an unknown event name, images that are not DynamoDB JSON). Retrying would not change it, so it
 * is dead-lettered rather than left to block the shard.
 */
export class MalformedStreamRecordError extends InvalidArgumentError {}

/** An image was never encrypted (no signature, no material description) and the policy is `dead-letter`. */
export class PlaintextRecordError extends DynamoDbEncryptionError {}

/**
 * A MODIFY took an encrypted item to a plaintext one: its signature and material description
 * were removed. Whatever the plaintext policy, that is never delivered: it is how an attacker
 * with write access would swap in values of their own.
 */
export class EncryptionDowngradeError extends DynamoDbEncryptionError {}

/** The message for a record is over the targets' size limit; it can never be sent, so it is dead-lettered. */
export class MessageTooLargeError extends DynamoDbEncryptionError {}

/**
 * A target refused or could not take a message. The SDK error's name (and HTTP status) is kept,
 * its message is not: a service may quote what it was sent.
 */
export class DeliveryError extends DynamoDbEncryptionError {
  constructor(
    readonly target: string,
    readonly errorName: string,
    readonly httpStatusCode?: number,
    location: ErrorLocation = {},
  ) {
    super(`delivery to ${target} failed (${errorName}${httpStatusCode === undefined ? '' : `, HTTP ${httpStatusCode}`})`, location);
  }

  /** Wraps whatever a target's SDK call threw, keeping only its name and status. */
  static from(target: string, error: unknown, location: ErrorLocation = {}): DeliveryError {
    if (error instanceof DeliveryError) return error;
    const record = (error ?? {}) as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
    const name = typeof record.name === 'string' && record.name !== '' ? record.name : 'UnknownError';
    const status = typeof record.$metadata?.httpStatusCode === 'number' ? record.$metadata.httpStatusCode : undefined;
    return new DeliveryError(target, name, status, location);
  }
}
