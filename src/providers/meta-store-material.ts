import { LocalKey } from '../crypto/local-key';
import { InvalidMaterialDescriptionError, DynamoDbEncryptionError } from '../errors';
import { AttributeActions } from '../encryptor/attribute-actions';
import { CryptoAction } from '../encryptor/crypto-action';
import type { EncryptionContext } from '../encryptor/encryption-context';
import type { DynamoDbItem } from '../format/attribute-value';
import { MaterialDescriptionKeys } from '../format/material-description-keys';
import { WrappedMaterialsProvider } from './wrapped-provider';

/**
 * One version of MetaStore materials (FORMAT.md §8.4): the item layout, its protection, and the
 * wrapped provider it stands for. Shared by the MetaStore table code and the offline vector runner.
 */

import { META_STORE_PARTITION_KEY, META_STORE_SORT_KEY } from './meta-store-keys';

export { META_STORE_PARTITION_KEY, META_STORE_SORT_KEY };
const MATERIAL_TYPE_VERSION = '0';
const ENCRYPTION_ALGORITHM = 'AES';
const INTEGRITY_ALGORITHM = 'HmacSHA256';

/** The error raised when a MetaStore item is not a valid materials version. */
export class InvalidMetaStoreItemError extends DynamoDbEncryptionError {}

/** `N` and `V` stay readable (they are the table's key); the key material is encrypted. */
export function metaStoreAttributeActions(): AttributeActions {
  return new AttributeActions({
    defaultAction: CryptoAction.ENCRYPT_AND_SIGN,
    attributeActions: { [META_STORE_PARTITION_KEY]: CryptoAction.SIGN_ONLY, [META_STORE_SORT_KEY]: CryptoAction.SIGN_ONLY },
  });
}

export function metaStoreEncryptionContext(metaStoreTableName: string): EncryptionContext {
  return { tableName: metaStoreTableName, partitionKeyName: META_STORE_PARTITION_KEY, sortKeyName: META_STORE_SORT_KEY };
}

/** The plaintext item that stores one version: an AES-256 wrapping key and an HMAC-SHA256 key. */
export function materialVersionItem(
  materialName: string,
  version: number,
  encryptionKey: Uint8Array,
  integrityKey: Uint8Array,
): DynamoDbItem {
  return {
    [META_STORE_PARTITION_KEY]: { S: materialName },
    [META_STORE_SORT_KEY]: { N: String(version) },
    t: { S: MATERIAL_TYPE_VERSION },
    encAlg: { S: ENCRYPTION_ALGORITHM },
    enc: { B: encryptionKey },
    intAlg: { S: INTEGRITY_ALGORITHM },
    int: { B: integrityKey },
  };
}

/**
 * The provider for one version, built from its decrypted item. The meta-id description pair
 * tells readers which version wrapped an item.
 */
export function providerForMaterialVersion(
  materialName: string,
  version: number,
  decryptedItem: Readonly<DynamoDbItem>,
  metaStoreTableName?: string,
): WrappedMaterialsProvider {
  const location = { tableName: metaStoreTableName };
  const field = (name: string) => decryptedItem[name];
  if (field('t')?.S !== MATERIAL_TYPE_VERSION) {
    throw new InvalidMetaStoreItemError(`material "${materialName}" version ${version} has an unsupported material type`, location);
  }
  const encryptionAlgorithm = field('encAlg')?.S;
  const integrityAlgorithm = field('intAlg')?.S;
  const encryptionKey = field('enc')?.B;
  const integrityKey = field('int')?.B;
  if (encryptionAlgorithm !== ENCRYPTION_ALGORITHM || integrityAlgorithm === undefined || !/^Hmac/.test(integrityAlgorithm)) {
    throw new InvalidMetaStoreItemError(
      // Not the values themselves: they are encrypted attributes of the MetaStore item.
      `material "${materialName}" version ${version} names unsupported algorithms (expected "encAlg" ${ENCRYPTION_ALGORITHM} and an Hmac "intAlg")`,
      location,
    );
  }
  if (encryptionKey === undefined || integrityKey === undefined) {
    throw new InvalidMetaStoreItemError(`material "${materialName}" version ${version} lacks its "enc" or "int" key`, location);
  }
  const wrappingKey = new LocalKey({ key: encryptionKey, algorithm: ENCRYPTION_ALGORITHM, keyType: 'SYMMETRIC', encoding: 'RAW' });
  return new WrappedMaterialsProvider({
    wrappingKey,
    unwrappingKey: wrappingKey,
    signingKey: new LocalKey({ key: integrityKey, algorithm: integrityAlgorithm, keyType: 'SYMMETRIC', encoding: 'RAW' }),
    materialDescription: { [MaterialDescriptionKeys.META_ID]: metaId(materialName, version) },
  });
}

export function metaId(materialName: string, version: number): string {
  return `${materialName}#${version}`;
}

/**
 * The version named by an item's `amzn-ddb-meta-id`. The material name in it is not trusted:
 * readers use their own configured name (the reference clients do the same). Java's rule is
 * applied: one `#`, then decimal digits.
 */
export function versionFromDescription(description: Readonly<Record<string, string>>, tableName?: string): number {
  const value = description[MaterialDescriptionKeys.META_ID];
  const match = value === undefined ? null : /^[^#]*#([0-9]{1,15})$/.exec(value);
  if (match === null) {
    throw new InvalidMaterialDescriptionError(
      value === undefined
        ? 'the item was not written by a MetaStore provider: its description has no "amzn-ddb-meta-id"'
        : 'the "amzn-ddb-meta-id" in the description is malformed (expected NAME#VERSION)',
      { tableName },
    );
  }
  return Number(match[1]);
}
