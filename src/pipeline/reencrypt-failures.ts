import { DynamoDbEncryptionError, KmsError, KmsThrottlingError } from '../errors';
import { isTransientKmsFailure } from '../providers/kms-errors';
import { CapacityExhaustedError } from './reencrypt-errors';

/** KMS could not be reached at all: every item after this one would fail the same way. */
const UNREACHABLE_KMS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/**
 * Whether an error is about one item (it does not verify, cannot be decrypted or encrypted,
 * DynamoDB refused its write as invalid): count it and go on. Anything else (KMS or DynamoDB
 * throttled beyond every retry or unreachable, permissions, a missing table) would fail every
 * item after it, so the run stops at its last checkpoint instead of marking them all failed.
 */
export function isItemFailure(error: unknown): boolean {
  if (error instanceof KmsThrottlingError || error instanceof CapacityExhaustedError) return false;
  // KMS unavailable (5xx, broken connections, unreachable) would fail the next item the same way.
  if (error instanceof KmsError) return !isTransientKmsFailure(error) && (error.kmsErrorName === undefined || !UNREACHABLE_KMS.has(error.kmsErrorName));
  if (error instanceof DynamoDbEncryptionError) return true;
  return (error as { name?: unknown } | null | undefined)?.name === 'ValidationException';
}
