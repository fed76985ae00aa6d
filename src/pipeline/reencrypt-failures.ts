import { DynamoDbEncryptionError, KmsError, KmsThrottlingError } from '../errors';
import { isKmsUnavailable, isTransientKmsFailure } from '../providers/kms-errors';
import { isThrottling } from './dynamodb-throttling';
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

/**
 * Whether a DynamoDB or KMS failure passes with time and says nothing about the request or the
 * configuration: DynamoDB or KMS throttling, a KMS error for which KMS is unavailable, or an SDK
 * error that is a 5xx answer or a connection broken or timed out (`isTransientKmsFailure` judges
 * those by name and HTTP status, whichever service answered). A library error other than a
 * KmsError (a bad MetaStore item, an invalid argument) never is.
 */
export function isTransientAwsFailure(error: unknown): boolean {
  if (error instanceof KmsThrottlingError) return true;
  if (error instanceof KmsError) return isKmsUnavailable(error);
  return isThrottling(error) || isTransientKmsFailure(error);
}
