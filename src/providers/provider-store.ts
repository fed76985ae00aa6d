import type { EncryptionContext } from '../encryptor/encryption-context';
import { DynamoDbEncryptionError, InvalidArgumentError } from '../errors';
import type { DecryptionMaterials, EncryptionMaterials } from '../materials/cryptographic-materials';
import type { CryptographicMaterialsProvider } from './cryptographic-materials-provider';

/**
 * Where versioned materials live (the Python client's `ProviderStore`). `MetaStore` is the one
 * implementation; `MostRecentProvider` depends only on this contract, so tests can stand in a
 * store of their own.
 */
export interface ProviderStore {
  /**
   * The provider of `version` of the material. Without a version: the newest one, creating
   * version 0 when the material has none. A missing version is `NoKnownVersionError`; reading
   * never creates a version that was asked for by number.
   */
  provider(materialName: string, version?: number): Promise<VersionedMaterialsProvider>;
  /** The highest version of the material; `NoKnownVersionError` when it has none. */
  maxVersion(materialName: string): Promise<number>;
  /**
   * Creates the next version (0 for a new material) and returns it. When another writer claims
   * that version first, returns the winner's version rather than creating one more.
   */
  newProvider(materialName: string): Promise<VersionedMaterialsProvider>;
}

/** The material (or the asked-for version of it) is not in the store. */
export class NoKnownVersionError extends DynamoDbEncryptionError {}

/**
 * A provider for one version of a material, which says which version it is. Callers need the
 * number (to cache by it, to report what was written) and Python's trick of reading it back
 * from the provider's private description has no TypeScript equivalent.
 */
export class VersionedMaterialsProvider implements CryptographicMaterialsProvider {
  constructor(
    readonly materialName: string,
    readonly version: number,
    private readonly delegate: CryptographicMaterialsProvider,
  ) {}

  encryptionMaterials(context: EncryptionContext): Promise<EncryptionMaterials> {
    return this.delegate.encryptionMaterials(context);
  }

  decryptionMaterials(context: EncryptionContext): Promise<DecryptionMaterials> {
    return this.delegate.decryptionMaterials(context);
  }
}

/**
 * Data items name their version as `NAME#VERSION`, and readers split at the `#`: a name with a
 * `#` in it could be written but never read back, so it is refused up front.
 */
export function assertMaterialName(materialName: unknown, tableName?: string): asserts materialName is string {
  if (typeof materialName !== 'string' || materialName.length === 0 || materialName.includes('#')) {
    throw new InvalidArgumentError('materialName must be a non-empty string without "#"', { tableName });
  }
}

export function assertVersion(version: unknown, tableName?: string): asserts version is number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw new InvalidArgumentError(`a material version must be an integer >= 0, got ${String(version)}`, { tableName });
  }
}
