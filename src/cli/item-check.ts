import type { TableCrypto } from '../encrypted/table-crypto';
import { DynamoDbEncryptionError, KmsError } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';
import { ReservedAttributes } from '../format/material-description-keys';

/** What reading one stored item found. */
export type ItemCheck =
  | { readonly outcome: 'valid'; readonly plaintext: DynamoDbItem }
  /** Neither a signature nor a material description: never encrypted. */
  | { readonly outcome: 'plaintext' }
  /** Fails verification or decryption: changed, damaged, or under materials not allowed. */
  | { readonly outcome: 'tampered'; readonly reason: string };

/**
 * Verifies and decrypts one item. Failures about the item are returned as `tampered` with the
 * error's class (never its message: it could quote the item); failures of KMS itself (no
 * access, unreachable, throttled) are thrown, since every other item would fail the same way
 * and calling them all tampered would be false.
 */
export async function checkItem(item: Readonly<DynamoDbItem>, crypto: TableCrypto): Promise<ItemCheck> {
  if (item[ReservedAttributes.SIGNATURE] === undefined && item[ReservedAttributes.MATERIAL_DESCRIPTION] === undefined) return { outcome: 'plaintext' };
  try {
    return { outcome: 'valid', plaintext: await crypto.decrypt(item as DynamoDbItem) };
  } catch (error) {
    if (error instanceof KmsError || !(error instanceof DynamoDbEncryptionError)) throw error;
    return { outcome: 'tampered', reason: error.name };
  }
}
