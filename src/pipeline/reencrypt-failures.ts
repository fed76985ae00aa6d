import { DynamoDbEncryptionError, KmsError, KmsThrottlingError } from '../errors';
import { CapacityExhaustedError } from './reencrypt-errors';

/** KMS failures that say nothing about the item: the next item would fail the same way. */
const SYSTEMIC_KMS_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'TimeoutError',
  'KMSInternalException',
  'DependencyTimeoutException',
]);

/**
 * Whether an error is about one item (it does not verify, cannot be decrypted or encrypted,
 * DynamoDB refused its write as invalid): count it and go on. Anything else (KMS or DynamoDB
 * throttled beyond every retry or unreachable, permissions, a missing table) would fail every
 * item after it, so the run stops at its last checkpoint instead of marking them all failed.
 */
export function isItemFailure(error: unknown): boolean {
  if (error instanceof KmsThrottlingError || error instanceof CapacityExhaustedError) return false;
  if (error instanceof KmsError) return error.kmsErrorName === undefined || !SYSTEMIC_KMS_ERRORS.has(error.kmsErrorName);
  if (error instanceof DynamoDbEncryptionError) return true;
  return (error as { name?: unknown } | null | undefined)?.name === 'ValidationException';
}
