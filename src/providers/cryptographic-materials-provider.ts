import type { EncryptionContext } from '../encryptor/encryption-context';
import type { DecryptionMaterials, EncryptionMaterials } from '../materials/cryptographic-materials';

/**
 * Supplies keys per item (the Python client's `CryptographicMaterialsProvider`). Asynchronous
 * because real providers call KMS or read a MetaStore table.
 */
export interface CryptographicMaterialsProvider {
  /** Materials to write the item in `context.attributes` (plaintext). */
  encryptionMaterials(context: EncryptionContext): Promise<EncryptionMaterials>;
  /** Materials to read the item in `context.attributes`, described by `context.materialDescription`. */
  decryptionMaterials(context: EncryptionContext): Promise<DecryptionMaterials>;
  /** Drops cached state, so that the next call sees current keys. */
  refresh?(): void;
}
