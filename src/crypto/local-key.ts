/**
 * A key held in process memory, named the way the Java client names keys (JCA algorithm +
 * key type). Every provider hands the item encryptor keys of this one shape.
 *
 * Why a class around `KeyObject`:
 *  - Parsing a key (DER decoding, OpenSSL key setup) is far more expensive than using it.
 *    The KeyObject is built once here and reused for every attribute and signature.
 *  - The algorithm/type combination is validated once, at construction, so the hot paths
 *    only dispatch on already-checked facts.
 *  - Key bytes are copied into the KeyObject and never kept or printed: `toJSON`, `toString`
 *    and `util.inspect` show only the algorithm and the key type, so a key that ends up in a
 *    log line leaks nothing.
 */
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeySync,
  randomBytes,
  KeyObject,
} from 'node:crypto';
import { inspect } from 'node:util';
import { InvalidAlgorithmError, InvalidArgumentError } from '../errors';
import {
  AES_KEY_ALGORITHM,
  RSA_KEY_ALGORITHM,
  isAesKeySize,
  isHmacAlgorithm,
  isRsaSignatureAlgorithm,
} from './algorithms';

export type KeyType = 'SYMMETRIC' | 'PUBLIC' | 'PRIVATE';
export type KeyEncoding = 'RAW' | 'DER';

/** Build a key from encoded bytes (RAW for symmetric keys, DER SPKI / PKCS#8 for RSA). */
export interface LocalKeyBytesOptions {
  readonly key: Uint8Array;
  readonly algorithm: string;
  readonly keyType: KeyType;
  readonly encoding: KeyEncoding;
}

/** Wrap an existing KeyObject; the key type is taken from the KeyObject itself. */
export interface LocalKeyObjectOptions {
  readonly keyObject: KeyObject;
  readonly algorithm: string;
}

export type LocalKeyOptions = LocalKeyBytesOptions | LocalKeyObjectOptions;

/** Which family an algorithm name belongs to; decides the valid key types and encodings. */
type AlgorithmFamily = 'AES' | 'HMAC' | 'RSA';

export class LocalKey {
  /** JCA algorithm name, e.g. `AES`, `HmacSHA256`, `SHA256withRSA`, `RSA`. */
  readonly algorithm: string;
  readonly keyType: KeyType;
  /** The parsed key, created once and reused for every operation. */
  readonly keyObject: KeyObject;
  /** RSA modulus size in bits; undefined for symmetric keys. */
  readonly modulusLengthBits: number | undefined;
  /** Symmetric key length in bytes; undefined for RSA keys. */
  readonly symmetricKeySizeBytes: number | undefined;

  constructor(options: LocalKeyOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('LocalKey options must be an object');
    }
    const { algorithm } = options;
    if (typeof algorithm !== 'string' || algorithm.length === 0) {
      throw new InvalidArgumentError('LocalKey algorithm must be a non-empty string');
    }
    const family = algorithmFamily(algorithm);

    let keyObject: KeyObject;
    let keyType: KeyType;
    if ('keyObject' in options) {
      if (!(options.keyObject instanceof KeyObject)) {
        throw new InvalidArgumentError('LocalKey keyObject must be a node:crypto KeyObject');
      }
      keyObject = options.keyObject;
      keyType = keyTypeOf(keyObject);
    } else {
      keyType = options.keyType;
      keyObject = importKeyBytes(options, family);
    }

    validateKey(keyObject, keyType, family, algorithm);

    this.algorithm = algorithm;
    this.keyType = keyType;
    this.keyObject = keyObject;
    this.modulusLengthBits = family === 'RSA' ? keyObject.asymmetricKeyDetails?.modulusLength : undefined;
    this.symmetricKeySizeBytes = family === 'RSA' ? undefined : keyObject.symmetricKeySize;
    Object.freeze(this);
  }

  /** Wrap an existing KeyObject (e.g. from `generateKeyPairSync`) under a JCA algorithm name. */
  static fromKeyObject(keyObject: KeyObject, algorithm: string): LocalKey {
    return new LocalKey({ keyObject, algorithm });
  }

  /** A fresh random AES key (128, 192 or 256 bits). */
  static generateAes(bits: number): LocalKey {
    if (!isAesKeySize(bits / 8)) {
      throw new InvalidArgumentError(`AES key size must be 128, 192 or 256 bits, got ${bits}`);
    }
    return LocalKey.fromKeyObject(generateKeySync('aes', { length: bits }), AES_KEY_ALGORITHM);
  }

  /** A fresh random HMAC key of `bytes` bytes (default: the hash output length is a good choice). */
  static generateHmac(algorithm: string, bytes: number): LocalKey {
    if (!isHmacAlgorithm(algorithm)) {
      throw new InvalidAlgorithmError(`"${algorithm}" is not an HMAC algorithm`);
    }
    if (!Number.isSafeInteger(bytes) || bytes < 1) {
      throw new InvalidArgumentError(`HMAC key length must be a positive integer, got ${bytes}`);
    }
    return LocalKey.fromKeyObject(createSecretKey(randomBytes(bytes)), algorithm);
  }

  /** Only public facts: the algorithm and the key type. */
  toJSON(): { algorithm: string; keyType: KeyType } {
    return { algorithm: this.algorithm, keyType: this.keyType };
  }

  toString(): string {
    return `LocalKey(${this.algorithm}, ${this.keyType})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function algorithmFamily(algorithm: string): AlgorithmFamily {
  if (algorithm === AES_KEY_ALGORITHM) return 'AES';
  if (isHmacAlgorithm(algorithm)) return 'HMAC';
  if (algorithm === RSA_KEY_ALGORITHM || isRsaSignatureAlgorithm(algorithm)) return 'RSA';
  throw new InvalidAlgorithmError(`Unsupported key algorithm "${algorithm}"`);
}

function keyTypeOf(keyObject: KeyObject): KeyType {
  switch (keyObject.type) {
    case 'secret':
      return 'SYMMETRIC';
    case 'public':
      return 'PUBLIC';
    case 'private':
      return 'PRIVATE';
  }
}

/** Parse encoded key bytes. Only the combinations the format uses are accepted. */
function importKeyBytes(options: LocalKeyBytesOptions, family: AlgorithmFamily): KeyObject {
  const { key, keyType, encoding, algorithm } = options;
  if (!(key instanceof Uint8Array)) throw new InvalidArgumentError('LocalKey key must be a Uint8Array');
  if (key.length === 0) throw new InvalidArgumentError(`${algorithm} key must not be empty`);

  if (family === 'AES' || family === 'HMAC') {
    if (keyType !== 'SYMMETRIC' || encoding !== 'RAW') {
      throw new InvalidArgumentError(
        `${algorithm} keys must be SYMMETRIC with RAW encoding (got ${String(keyType)}/${String(encoding)})`,
      );
    }
    return createSecretKey(key);
  }

  // RSA: only DER (SPKI for public keys, PKCS#8 for private keys). PEM is text and is
  // rejected by the DER parser, which is what we want — there is one accepted encoding.
  if (encoding !== 'DER') {
    throw new InvalidArgumentError(`${algorithm} keys must use DER encoding (got ${String(encoding)})`);
  }
  const der = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  try {
    if (keyType === 'PUBLIC') return createPublicKey({ key: der, format: 'der', type: 'spki' });
    if (keyType === 'PRIVATE') return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch (cause) {
    // The OpenSSL message describes the parse failure, never the key bytes.
    throw new InvalidArgumentError(`Cannot parse ${keyType} ${algorithm} key as DER`, {}, { cause });
  }
  throw new InvalidArgumentError(`${algorithm} keys must be PUBLIC or PRIVATE (got ${String(keyType)})`);
}

/** Check that the parsed key matches the algorithm's family. */
function validateKey(keyObject: KeyObject, keyType: KeyType, family: AlgorithmFamily, algorithm: string): void {
  if (family === 'AES' || family === 'HMAC') {
    if (keyType !== 'SYMMETRIC' || keyObject.type !== 'secret') {
      throw new InvalidArgumentError(`${algorithm} keys must be SYMMETRIC (got ${keyType})`);
    }
    const size = keyObject.symmetricKeySize ?? 0;
    if (family === 'AES' && !isAesKeySize(size)) {
      throw new InvalidArgumentError(`AES key must be 16, 24 or 32 bytes, got ${size}`);
    }
    // Short HMAC keys are deliberately accepted: the upstream test vectors use an 8-byte key.
    if (family === 'HMAC' && size < 1) throw new InvalidArgumentError(`${algorithm} key must not be empty`);
    return;
  }
  if (keyType === 'SYMMETRIC' || keyObject.type === 'secret') {
    throw new InvalidArgumentError(`${algorithm} keys must be PUBLIC or PRIVATE (got ${keyType})`);
  }
  if (keyObject.asymmetricKeyType !== 'rsa') {
    throw new InvalidArgumentError(
      `${algorithm} key must be an RSA key (got ${String(keyObject.asymmetricKeyType)})`,
    );
  }
}
