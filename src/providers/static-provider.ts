import { UnsupportedOperationError } from '../errors';
import type { EncryptionContext } from '../encryptor/encryption-context';
import type { DecryptionMaterials, EncryptionMaterials } from '../materials/cryptographic-materials';
import type { CryptographicMaterialsProvider } from './cryptographic-materials-provider';

export interface StaticMaterialsProviderOptions {
  /**
   * Returned for every item written.
   * @default none: encrypting raises UnsupportedOperationError
   */
  readonly encryptionMaterials?: EncryptionMaterials;
  /**
   * Returned for every item read.
   * @default none: decrypting raises UnsupportedOperationError
   */
  readonly decryptionMaterials?: DecryptionMaterials;
}

/**
 * Always the same materials (the Python client's `StaticCryptographicMaterialsProvider`). The
 * data key is used directly, nothing is wrapped: suitable for tests and for keys managed outside.
 */
export class StaticMaterialsProvider implements CryptographicMaterialsProvider {
  private readonly encryption?: EncryptionMaterials;
  private readonly decryption?: DecryptionMaterials;

  constructor(options: StaticMaterialsProviderOptions) {
    this.encryption = options.encryptionMaterials;
    this.decryption = options.decryptionMaterials;
  }

  async encryptionMaterials(context: EncryptionContext): Promise<EncryptionMaterials> {
    if (this.encryption === undefined) {
      throw new UnsupportedOperationError('this StaticMaterialsProvider has no encryption materials', {
        tableName: context.tableName,
      });
    }
    return this.encryption;
  }

  async decryptionMaterials(context: EncryptionContext): Promise<DecryptionMaterials> {
    if (this.decryption === undefined) {
      throw new UnsupportedOperationError('this StaticMaterialsProvider has no decryption materials', {
        tableName: context.tableName,
      });
    }
    return this.decryption;
  }
}
