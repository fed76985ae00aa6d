import type { DynamoDbItem } from '../format/attribute-value';

/**
 * What the encryptor and the materials provider know about the item being processed (the
 * Python client's `EncryptionContext`).
 *
 * - `tableName` is signed (first block of the string to sign) and goes into KMS contexts.
 * - `partitionKeyName` / `sortKeyName` name the primary key: those attributes are never
 *   encrypted, and the KMS provider binds their values into its encryption context.
 * - `attributes` is the item (plaintext on write, as stored on read); the encryptor fills it.
 * - `materialDescription` is the parsed `*amzn-ddb-map-desc*` on read; the encryptor fills it.
 */
export interface EncryptionContext {
  readonly tableName?: string;
  readonly partitionKeyName?: string;
  readonly sortKeyName?: string;
  readonly attributes?: Readonly<DynamoDbItem>;
  readonly materialDescription?: Readonly<Record<string, string>>;
}
