import type { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDbEncryptionError, KmsError, KmsThrottlingError, UnwrappingError, type ErrorLocation } from '../errors';

const THROTTLING = new Set(['ThrottlingException', 'LimitExceededException', 'TooManyRequestsException', 'RequestLimitExceeded']);
/** KMS's answers when the ciphertext, its encryption context or the requested key do not match. */
const WRONG_CIPHERTEXT = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT', 'TimeoutError']);
/**
 * Failures that pass with time and say nothing about the request: throttling, KMS's own 5xx
 * answers, and a connection that broke or timed out after it was made. Not an endpoint that
 * cannot be reached at all (refused, unknown host): that fails fast, naming the endpoint.
 */
const TRANSIENT = new Set([
  ...THROTTLING,
  'KMSInternalException',
  'DependencyTimeoutException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'InternalError',
  'ECONNRESET',
  'ETIMEDOUT',
  'TimeoutError',
]);

/** Whether a KMS failure (the SDK's, or the library's KmsError made of it) is worth trying again. */
export function isTransientKmsFailure(error: unknown): boolean {
  if (error instanceof KmsError) return (error.kmsErrorName !== undefined && TRANSIENT.has(error.kmsErrorName)) || isServerError(error.cause);
  if (error instanceof DynamoDbEncryptionError) return false;
  return TRANSIENT.has(errorName(error)) || isServerError(error);
}

/**
 * Whether a KMS failure says KMS itself is unavailable (throttled beyond every retry, failing, or
 * not reachable at all) rather than anything about the request: the next call would fail the same way.
 */
export function isKmsUnavailable(error: KmsError): boolean {
  return isTransientKmsFailure(error) || (error.kmsErrorName !== undefined && UNREACHABLE.has(error.kmsErrorName));
}

function isServerError(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}

/**
 * Turns a KMS SDK failure (after the SDK's retries) into the library's typed errors, naming the
 * endpoint when KMS could not be reached at all.
 */
export async function kmsFailure(
  error: unknown,
  operation: 'GenerateDataKey' | 'Decrypt',
  client: KMSClient,
  location: ErrorLocation,
): Promise<DynamoDbEncryptionError> {
  if (error instanceof DynamoDbEncryptionError) return error;
  const name = errorName(error);
  // An AccessDenied that is no refusal of this caller ("The ciphertext refers to a customer
  // master key that does not exist ... or you are not allowed to access") is about the item too.
  if (operation === 'Decrypt' && (WRONG_CIPHERTEXT.has(name) || (name === 'AccessDeniedException' && !isAuthorizationFailure(error)))) {
    return new UnwrappingError(
      `KMS refused to decrypt the data key (${name}): the item was moved to another key value or table, its description was changed, or another KMS key wrapped it`,
      location,
      { cause: error },
    );
  }
  if (THROTTLING.has(name)) {
    return new KmsThrottlingError(`KMS throttled ${operation} after every retry (${name}); lower the request rate or raise the KMS quota`, location, {
      cause: error,
      kmsErrorName: name,
    });
  }
  if (UNREACHABLE.has(name)) {
    return new KmsError(`cannot reach KMS at ${await describeEndpoint(client)} for ${operation} (${name})`, location, {
      cause: error,
      kmsErrorName: name,
    });
  }
  return new KmsError(`KMS ${operation} failed (${name})`, location, { cause: error, kmsErrorName: name });
}

/** IAM's or the key policy's refusal of this caller ("... is not authorized to perform: ..."), not KMS's AccessDenied about a ciphertext. */
export function isAuthorizationFailure(error: unknown): boolean {
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' && message.includes('not authorized to perform');
}

function errorName(error: unknown): string {
  if (error === null || typeof error !== 'object') return 'UnknownError';
  const record = error as { name?: unknown; code?: unknown; cause?: unknown };
  // Network failures carry a Node error code (ECONNREFUSED...), possibly on a wrapped cause.
  if (typeof record.code === 'string' && UNREACHABLE.has(record.code)) return record.code;
  const causeCode = (record.cause as { code?: unknown } | undefined)?.code;
  if (typeof causeCode === 'string' && UNREACHABLE.has(causeCode)) return causeCode;
  // The SDK sometimes wraps a network error it cannot recognize, keeping only its message.
  const message = (error as { message?: unknown }).message;
  const wrappedCode = typeof message === 'string' ? /\b(E[A-Z_]+)\b/.exec(message)?.[1] : undefined;
  if (wrappedCode !== undefined && UNREACHABLE.has(wrappedCode)) return wrappedCode;
  return typeof record.name === 'string' ? record.name : 'UnknownError';
}

/** Where the client sends requests: its configured endpoint, or the region's public one. */
export async function describeEndpoint(client: KMSClient): Promise<string> {
  try {
    const endpoint = await client.config.endpoint?.();
    if (endpoint !== undefined) {
      const port = endpoint.port === undefined ? '' : `:${endpoint.port}`;
      return `${endpoint.protocol}//${endpoint.hostname}${port}${endpoint.path === '/' ? '' : endpoint.path}`;
    }
  } catch {
    // Fall through to the region.
  }
  const fromEnvironment = process.env.AWS_ENDPOINT_URL_KMS ?? process.env.AWS_ENDPOINT_URL;
  if (fromEnvironment !== undefined) return fromEnvironment;
  try {
    return `kms.${await client.config.region()}.amazonaws.com`;
  } catch {
    return 'the KMS endpoint (no region configured)';
  }
}
