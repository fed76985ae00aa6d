import type { LocalKey } from '../crypto/local-key';
import { InvalidArgumentError } from '../errors';
import type { DecryptionMaterials, EncryptionMaterials } from './cryptographic-materials';

export interface RawEncryptionMaterialsOptions {
  /** HMAC secret or RSA private key. */
  readonly signingKey: LocalKey;
  /**
   * AES key for ENCRYPT_AND_SIGN attributes.
   * @default none: the materials can only sign
   */
  readonly encryptionKey?: LocalKey;
  /**
   * Pairs to record in every item's material description.
   * @default {}
   */
  readonly materialDescription?: Readonly<Record<string, string>>;
}

export interface RawDecryptionMaterialsOptions {
  /** HMAC secret or RSA public key. */
  readonly verificationKey: LocalKey;
  /**
   * AES key for ENCRYPT_AND_SIGN attributes.
   * @default none: the materials can only verify
   */
  readonly decryptionKey?: LocalKey;
  /** @default {} */
  readonly materialDescription?: Readonly<Record<string, string>>;
}

/** Encryption materials made of keys the caller holds (the Python client's `RawEncryptionMaterials`). */
export class RawEncryptionMaterials implements EncryptionMaterials {
  readonly signingKey: LocalKey;
  readonly encryptionKey?: LocalKey;
  readonly materialDescription: Readonly<Record<string, string>>;

  constructor(options: RawEncryptionMaterialsOptions) {
    assertSigningKey(options.signingKey, 'signingKey', ['SYMMETRIC', 'PRIVATE']);
    if (options.encryptionKey !== undefined) assertAesKey(options.encryptionKey, 'encryptionKey');
    this.signingKey = options.signingKey;
    this.encryptionKey = options.encryptionKey;
    this.materialDescription = Object.freeze({ ...(options.materialDescription ?? {}) });
    Object.freeze(this);
  }
}

/** Decryption materials made of keys the caller holds (the Python client's `RawDecryptionMaterials`). */
export class RawDecryptionMaterials implements DecryptionMaterials {
  readonly verificationKey: LocalKey;
  readonly decryptionKey?: LocalKey;
  readonly materialDescription: Readonly<Record<string, string>>;

  constructor(options: RawDecryptionMaterialsOptions) {
    // A private key verifies too (its public half is derived), so decrypt-only setups may pass either.
    assertSigningKey(options.verificationKey, 'verificationKey', ['SYMMETRIC', 'PUBLIC', 'PRIVATE']);
    if (options.decryptionKey !== undefined) assertAesKey(options.decryptionKey, 'decryptionKey');
    this.verificationKey = options.verificationKey;
    this.decryptionKey = options.decryptionKey;
    this.materialDescription = Object.freeze({ ...(options.materialDescription ?? {}) });
    Object.freeze(this);
  }
}

export function assertAesKey(key: LocalKey, role: string): void {
  if (key.algorithm !== 'AES' || key.keyType !== 'SYMMETRIC') {
    throw new InvalidArgumentError(`${role} must be a symmetric AES key, got ${key.algorithm} (${key.keyType})`);
  }
}

export function assertSigningKey(key: LocalKey, role: string, keyTypes: ReadonlyArray<LocalKey['keyType']>): void {
  if (!keyTypes.includes(key.keyType) || key.algorithm === 'AES') {
    throw new InvalidArgumentError(
      `${role} must be an HMAC secret or an RSA ${keyTypes.includes('PUBLIC') ? 'public or private' : 'private'} key, got ${key.algorithm} (${key.keyType})`,
    );
  }
}
