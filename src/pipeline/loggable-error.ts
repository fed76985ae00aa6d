import { DynamoDbEncryptionError } from '../errors';

/**
 * What may be logged of an unexpected error. The library's own messages name attributes and
 * tables only; other messages (SDK, JSON, runtime) may quote the data they choked on, so only
 * their class name is kept.
 */
export function loggableError(error: unknown): { errorName: string; errorMessage?: string } {
  const errorName = error instanceof Error ? error.name : typeof error;
  if (error instanceof DynamoDbEncryptionError) return { errorName, errorMessage: error.message };
  return { errorName };
}
