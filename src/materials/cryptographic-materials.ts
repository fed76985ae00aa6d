import type { LocalKey } from '../crypto/local-key';

/**
 * Keys for writing one item. Immutable: a provider hands out a fresh object (or a frozen shared
 * one), and the encryptor never changes it.
 */
export interface EncryptionMaterials {
  /** Pairs written into the item's `*amzn-ddb-map-desc*` (the encryptor adds sym-mode and signingAlg). */
  readonly materialDescription: Readonly<Record<string, string>>;
  /** AES key for ENCRYPT_AND_SIGN attributes; absent for sign-only materials. */
  readonly encryptionKey?: LocalKey;
  /** HMAC secret or RSA private key that signs the item. */
  readonly signingKey: LocalKey;
}

/** Keys for reading one item. */
export interface DecryptionMaterials {
  readonly materialDescription: Readonly<Record<string, string>>;
  /** AES key for ENCRYPT_AND_SIGN attributes; absent for verify-only materials. */
  readonly decryptionKey?: LocalKey;
  /** HMAC secret or RSA public key that checks the item signature. */
  readonly verificationKey: LocalKey;
}
