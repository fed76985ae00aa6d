/**
 * The error hierarchy. Every error the library raises on purpose is a `DynamoDbEncryptionError`,
 * so callers can tell "the item or configuration is wrong" from bugs and SDK failures.
 *
 * Messages name attributes, tables and algorithms. They never carry a plaintext attribute value
 * or a byte of key material: messages end up in logs, and logs are not encrypted.
 */

/** Where an error happened, for messages: the table and, when known, the attribute. */
export interface ErrorLocation {
  readonly tableName?: string;
  readonly attributeName?: string;
}

export class DynamoDbEncryptionError extends Error {
  readonly tableName?: string;
  readonly attributeName?: string;

  constructor(message: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    super(withLocation(message, location), options);
    this.name = new.target.name;
    this.tableName = location.tableName;
    this.attributeName = location.attributeName;
  }
}

/** A caller passed something the library cannot work with (configuration or item shape). */
export class InvalidArgumentError extends DynamoDbEncryptionError {}

/** An attribute value cannot be put into canonical form (unknown type, bad number, ...). */
export class SerializationError extends DynamoDbEncryptionError {}

/** Canonical bytes are malformed (truncated, unknown tag, trailing data, ...). */
export class DeserializationError extends DynamoDbEncryptionError {}

/** `*amzn-ddb-map-desc*` is malformed or has an unsupported version. */
export class InvalidMaterialDescriptionError extends DynamoDbEncryptionError {}

/** An algorithm name (in a key, a description or a configuration) is unknown or unsupported. */
export class InvalidAlgorithmError extends DynamoDbEncryptionError {}

/** The signature is missing or does not match: the item was tampered with or the wrong key is used. */
export class SignatureVerificationError extends DynamoDbEncryptionError {}

/** Signing failed (e.g. the materials carry no signing key). */
export class SigningError extends DynamoDbEncryptionError {}

/** An encrypted attribute or a wrapped key could not be decrypted. */
export class DecryptionError extends DynamoDbEncryptionError {}

/** Encryption failed, or the encrypted item would break a DynamoDB limit. */
export class EncryptionError extends DynamoDbEncryptionError {}

/** A wrapped content key could not be unwrapped (wrong key, corrupted, unknown wrapping). */
export class UnwrappingError extends DynamoDbEncryptionError {}

/** The requested operation cannot be done safely on encrypted items. */
export class UnsupportedOperationError extends DynamoDbEncryptionError {}

/** The message `error` was constructed with, without the location its constructor appended (to build it again elsewhere). */
export function messageWithoutLocation(error: DynamoDbEncryptionError): string {
  const suffix = withLocation('', { tableName: error.tableName, attributeName: error.attributeName });
  return suffix !== '' && error.message.endsWith(suffix) ? error.message.slice(0, -suffix.length) : error.message;
}

function withLocation(message: string, location: ErrorLocation): string {
  const parts: string[] = [];
  if (location.attributeName !== undefined) parts.push(`attribute "${location.attributeName}"`);
  if (location.tableName !== undefined) parts.push(`table "${location.tableName}"`);
  return parts.length === 0 ? message : `${message} (${parts.join(', ')})`;
}

/** AWS KMS failed or could not be reached (after the SDK's own retries). */
export class KmsError extends DynamoDbEncryptionError {
  /** The KMS error name (`AccessDeniedException`, `TimeoutError`...), when KMS or the SDK gave one. */
  readonly kmsErrorName?: string;

  constructor(message: string, location: ErrorLocation = {}, options?: { cause?: unknown; kmsErrorName?: string }) {
    super(message, location, options);
    this.kmsErrorName = options?.kmsErrorName;
  }
}

/** KMS kept throttling the requests after every retry: slow down or raise the KMS quota. */
export class KmsThrottlingError extends KmsError {}

/**
 * A batch helper gave up with requests DynamoDB still reported unprocessed (it kept
 * throttling). `unprocessed` holds them, as the caller passed them, so that nothing is lost.
 */
export class BatchRetriesExhaustedError extends DynamoDbEncryptionError {
  /**
   * The requests left, in the caller's plaintext. Not enumerable: loggers (Powertools, the Lambda
   * runtime's report of an uncaught error), `util.inspect` and JSON.stringify copy an error's
   * enumerable properties, and these hold plaintext values.
   */
  declare readonly unprocessed: unknown;

  constructor(message: string, location: ErrorLocation, unprocessed: unknown, options?: { cause?: unknown }) {
    super(message, location, options);
    Object.defineProperty(this, 'unprocessed', { value: unprocessed, enumerable: false, writable: false, configurable: false });
  }
}

/**
 * A batch helper stopped on an error DynamoDB answered (it refused a request, or kept failing
 * through the SDK's retries) after part of the requests were written. `unprocessed` holds every
 * request not known to be written, as the caller passed them (puts and deletes can be sent
 * again safely); the error that stopped it is the cause.
 */
export class BatchWriteInterruptedError extends BatchRetriesExhaustedError {}
