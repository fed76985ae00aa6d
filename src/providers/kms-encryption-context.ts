import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { InvalidArgumentError } from '../errors';
import type { EncryptionContext } from '../encryptor/encryption-context';

/**
 * The KMS encryption context of the Direct KMS provider (FORMAT.md §8.3). KMS binds it to the
 * data key, so an item copied to another key value or table, or whose algorithms were edited
 * in its (unsigned) description, cannot get its data key back.
 */
export const KmsContextKeys = {
  CONTENT_KEY_ALGORITHM: '*amzn-ddb-env-alg*',
  SIGNING_KEY_ALGORITHM: '*amzn-ddb-sig-alg*',
  TABLE_NAME: '*aws-kms-table*',
} as const;

export function kmsEncryptionContext(
  context: EncryptionContext,
  contentKeySpec: string,
  signingKeySpec: string,
): Record<string, string> {
  const kmsContext: Record<string, string> = {
    [KmsContextKeys.CONTENT_KEY_ALGORITHM]: contentKeySpec,
    [KmsContextKeys.SIGNING_KEY_ALGORITHM]: signingKeySpec,
  };
  for (const keyName of [context.partitionKeyName, context.sortKeyName]) {
    if (keyName === undefined) continue;
    const value = context.attributes?.[keyName];
    if (value === undefined) {
      // Python skips a missing key attribute; Java fails. Failing keeps the context complete.
      throw new InvalidArgumentError('the item lacks a primary key attribute the KMS encryption context needs', {
        tableName: context.tableName,
        attributeName: keyName,
      });
    }
    kmsContext[keyName] = keyValueText(value, keyName, context.tableName);
  }
  if (context.tableName !== undefined) kmsContext[KmsContextKeys.TABLE_NAME] = context.tableName;
  return kmsContext;
}

/** Numbers go in as stored, not normalized (FORMAT.md §9.9); binary as standard base64. */
function keyValueText(value: AttributeValue, keyName: string, tableName: string | undefined): string {
  if (typeof value.S === 'string') return value.S;
  if (typeof value.N === 'string') return value.N;
  if (value.B instanceof Uint8Array) return Buffer.from(value.B.buffer, value.B.byteOffset, value.B.byteLength).toString('base64');
  throw new InvalidArgumentError('a primary key attribute must be of type S, N or B', { tableName, attributeName: keyName });
}
