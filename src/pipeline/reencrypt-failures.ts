import { DynamoDbEncryptionError, KmsError, KmsThrottlingError } from '../errors';
import { isKmsUnavailable } from '../providers/kms-errors';
import { CapacityExhaustedError } from './reencrypt-errors';

/**
 * Whether an error is about one item (it does not verify, cannot be decrypted or encrypted,
 * DynamoDB refused its write as invalid): count it and go on. Anything else (KMS or DynamoDB
 * throttled beyond every retry or unreachable, permissions, a missing table) would fail every
 * item after it, so the run stops at its last checkpoint instead of marking them all failed.
 */
export function isItemFailure(error: unknown): boolean {
  if (error instanceof KmsThrottlingError || error instanceof CapacityExhaustedError) return false;
  // KMS unavailable (5xx, broken connections, unreachable) would fail the next item the same way.
  if (error instanceof KmsError) return !isKmsUnavailable(error);
  if (error instanceof DynamoDbEncryptionError) return true;
  return (error as { name?: unknown } | null | undefined)?.name === 'ValidationException';
}
