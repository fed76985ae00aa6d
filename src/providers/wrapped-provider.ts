import { parseWrappingTransformation } from '../crypto/algorithms';
import { unwrapContentKey, wrapContentKey } from '../crypto/key-wrapping';
import { LocalKey } from '../crypto/local-key';
import { freshRandomBytes } from '../crypto/random-pool';
import { InvalidAlgorithmError, InvalidArgumentError, InvalidMaterialDescriptionError, UnsupportedOperationError } from '../errors';
import type { EncryptionContext } from '../encryptor/encryption-context';
import { MaterialDescriptionKeys } from '../format/material-description-keys';
import { DEFAULT_CONTENT_KEY_SPEC, parseKeySpec } from '../materials/content-key-spec';
import type { DecryptionMaterials, EncryptionMaterials } from '../materials/cryptographic-materials';
import { RawDecryptionMaterials, RawEncryptionMaterials } from '../materials/raw-materials';
import { decodeWrappedKey, encodeWrappedKey } from '../materials/wrapped-key-description';
import type { CryptographicMaterialsProvider } from './cryptographic-materials-provider';

export interface WrappedMaterialsProviderOptions {
  /**
   * Wraps each item's fresh content key: an AES key (AESWrap) or an RSA public key (RSA-OAEP).
   * @default none: the provider can only decrypt
   */
  readonly wrappingKey?: LocalKey;
  /**
   * Unwraps content keys on read: the same AES key, or the RSA private key.
   * @default none: the provider can only encrypt
   */
  readonly unwrappingKey?: LocalKey;
  /**
   * Signs items: an HMAC secret or an RSA private key. A provider that only decrypts may be
   * given the RSA public key instead.
   */
  readonly signingKey: LocalKey;
  /**
   * Verifies item signatures.
   * @default the signing key (an RSA private key verifies with its public half)
   */
  readonly verificationKey?: LocalKey;
  /**
   * Extra pairs recorded in every item's material description. `amzn-ddb-env-alg` chooses the
   * content key (`AES/128`, `AES/192`, `AES/256`) and `amzn-ddb-wrap-alg` the wrapping
   * transformation; other pairs are kept as given.
   * @default {}
   */
  readonly materialDescription?: Readonly<Record<string, string>>;
}

const CONTENT_KEY_ALGORITHM = 'AES';
const VALID_CONTENT_KEY_BITS: ReadonlySet<number> = new Set([128, 192, 256]);

/**
 * Envelope encryption (the Python client's `WrappedCryptographicMaterialsProvider`): every item
 * gets a fresh AES content key, wrapped under a long-lived key and stored in the item's
 * description as `amzn-ddb-env-key`.
 */
export class WrappedMaterialsProvider implements CryptographicMaterialsProvider {
  private readonly wrappingKey?: LocalKey;
  private readonly unwrappingKey?: LocalKey;
  private readonly signingKey: LocalKey;
  private readonly verificationKey: LocalKey;
  private readonly configuredDescription: Readonly<Record<string, string>>;
  private readonly contentKeySpec: string;
  private readonly contentKeyBytes: number;
  private readonly wrappingTransformation?: string;

  constructor(options: WrappedMaterialsProviderOptions) {
    if (options.wrappingKey === undefined && options.unwrappingKey === undefined) {
      throw new InvalidArgumentError('WrappedMaterialsProvider needs a wrappingKey, an unwrappingKey, or both');
    }
    this.wrappingKey = options.wrappingKey;
    this.unwrappingKey = options.unwrappingKey;
    this.signingKey = options.signingKey;
    this.verificationKey = options.verificationKey ?? options.signingKey;
    this.configuredDescription = Object.freeze({ ...(options.materialDescription ?? {}) });

    this.contentKeySpec = this.configuredDescription[MaterialDescriptionKeys.CONTENT_KEY_ALGORITHM] ?? DEFAULT_CONTENT_KEY_SPEC;
    const spec = parseKeySpec(this.contentKeySpec, MaterialDescriptionKeys.CONTENT_KEY_ALGORITHM);
    const bits = spec.bits ?? 256;
    if (spec.algorithm !== CONTENT_KEY_ALGORITHM || !VALID_CONTENT_KEY_BITS.has(bits)) {
      throw new InvalidAlgorithmError(
        `unsupported content key "${this.contentKeySpec}": use AES/128, AES/192 or AES/256`,
      );
    }
    this.contentKeyBytes = bits / 8;
    if (this.wrappingKey !== undefined) {
      this.wrappingTransformation =
        this.configuredDescription[MaterialDescriptionKeys.KEY_WRAPPING_ALGORITHM] ??
        defaultWrappingTransformation(this.wrappingKey);
      // A misconfigured transformation should fail here, not on the first item written.
      parseWrappingTransformation(this.wrappingTransformation);
    }
  }

  async encryptionMaterials(context: EncryptionContext): Promise<EncryptionMaterials> {
    if (this.wrappingKey === undefined || this.wrappingTransformation === undefined) {
      throw new UnsupportedOperationError('this WrappedMaterialsProvider has no wrappingKey, so it cannot encrypt', {
        tableName: context.tableName,
      });
    }
    const contentKeyBytes = freshRandomBytes(this.contentKeyBytes);
    try {
      const wrapped = wrapContentKey(this.wrappingKey, this.wrappingTransformation, contentKeyBytes, { tableName: context.tableName });
      return new RawEncryptionMaterials({
        signingKey: this.signingKey,
        encryptionKey: new LocalKey({ key: contentKeyBytes, algorithm: CONTENT_KEY_ALGORITHM, keyType: 'SYMMETRIC', encoding: 'RAW' }),
        materialDescription: {
          ...this.configuredDescription,
          [MaterialDescriptionKeys.WRAPPED_KEY]: encodeWrappedKey(wrapped),
          [MaterialDescriptionKeys.CONTENT_KEY_ALGORITHM]: this.contentKeySpec,
          [MaterialDescriptionKeys.KEY_WRAPPING_ALGORITHM]: this.wrappingTransformation,
        },
      });
    } finally {
      // The LocalKey holds its own copy; do not leave the raw bytes in a pooled buffer.
      contentKeyBytes.fill(0);
    }
  }

  async decryptionMaterials(context: EncryptionContext): Promise<DecryptionMaterials> {
    if (this.unwrappingKey === undefined) {
      throw new UnsupportedOperationError('this WrappedMaterialsProvider has no unwrappingKey, so it cannot decrypt', {
        tableName: context.tableName,
      });
    }
    const description = context.materialDescription ?? {};
    const wrappedText = description[MaterialDescriptionKeys.WRAPPED_KEY];
    if (wrappedText === undefined) {
      throw new InvalidMaterialDescriptionError('the item was not written by a wrapped provider: its description lacks "amzn-ddb-env-key"', {
        tableName: context.tableName,
      });
    }
    // Without amzn-ddb-env-alg the Python client reads the key as AES (its default AES/256 is
    // used for the algorithm name only), whatever its length: so do we.
    const contentKeySpecText = description[MaterialDescriptionKeys.CONTENT_KEY_ALGORITHM] ?? CONTENT_KEY_ALGORITHM;
    const spec = parseKeySpec(contentKeySpecText, MaterialDescriptionKeys.CONTENT_KEY_ALGORITHM);
    if (spec.algorithm !== CONTENT_KEY_ALGORITHM) {
      throw new InvalidAlgorithmError(`unsupported content key algorithm "${spec.algorithm}"`, { tableName: context.tableName });
    }
    const contentKeyBytes = unwrapContentKey(
      this.unwrappingKey,
      description[MaterialDescriptionKeys.KEY_WRAPPING_ALGORITHM],
      decodeWrappedKey(wrappedText, context.tableName),
      { tableName: context.tableName },
      spec.bits === undefined ? undefined : [spec.bits / 8],
    );
    try {
      if (spec.bits !== undefined && spec.bits !== contentKeyBytes.length * 8) {
        throw new InvalidMaterialDescriptionError(
          `the unwrapped content key has ${contentKeyBytes.length * 8} bits but the description says ${spec.bits}`,
          { tableName: context.tableName },
        );
      }
      return new RawDecryptionMaterials({
        verificationKey: this.verificationKey,
        decryptionKey: new LocalKey({ key: contentKeyBytes, algorithm: CONTENT_KEY_ALGORITHM, keyType: 'SYMMETRIC', encoding: 'RAW' }),
        materialDescription: description,
      });
    } finally {
      contentKeyBytes.fill(0);
    }
  }
}

function defaultWrappingTransformation(wrappingKey: LocalKey): string {
  if (wrappingKey.algorithm === 'AES') return 'AESWrap';
  if (wrappingKey.algorithm === 'RSA') return 'RSA/ECB/OAEPWithSHA-256AndMGF1Padding';
  throw new InvalidAlgorithmError(
    `a wrapping key must be an AES key or an RSA public key (algorithm "RSA"), got "${wrappingKey.algorithm}"`,
  );
}
