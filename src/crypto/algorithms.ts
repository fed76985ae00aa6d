/**
 * Algorithm name tables.
 *
 * Items, keys and material descriptions name algorithms the way the Java (JCA/JCE) client
 * does — `HmacSHA256`, `SHA256withRSA`, `AESWrap`, `RSA/ECB/OAEPWithSHA-256AndMGF1Padding` —
 * because those strings are part of the wire format. `node:crypto` wants OpenSSL names
 * (`sha256`, `aes-128-cbc`, `id-aes128-wrap`). This file is the one place that translates
 * between the two, so that every unknown name fails the same way: an InvalidAlgorithmError
 * that names the algorithm (algorithm names are not secret, so naming them is safe).
 */
import { InvalidAlgorithmError, type ErrorLocation } from '../errors';

/** The hash names this library hands to `node:crypto`. */
export type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/** Output length in bytes of each supported hash (needed by OAEP and HKDF bounds). */
export const HASH_LENGTH_BYTES: Readonly<Record<HashName, number>> = Object.freeze({
  sha1: 20,
  sha224: 28,
  sha256: 32,
  sha384: 48,
  sha512: 64,
});

/** JCA HMAC key algorithm → hash. Python supports all four; Java vectors only use SHA-256. */
const HMAC_ALGORITHMS: ReadonlyMap<string, HashName> = new Map<string, HashName>([
  ['HmacSHA224', 'sha224'],
  ['HmacSHA256', 'sha256'],
  ['HmacSHA384', 'sha384'],
  ['HmacSHA512', 'sha512'],
]);

/** JCA RSASSA-PKCS1-v1_5 signature algorithm → hash. */
const RSA_SIGNATURE_ALGORITHMS: ReadonlyMap<string, HashName> = new Map<string, HashName>([
  ['SHA224withRSA', 'sha224'],
  ['SHA256withRSA', 'sha256'],
  ['SHA384withRSA', 'sha384'],
  ['SHA512withRSA', 'sha512'],
]);

/** The JCA name of the bare RSA key algorithm (used for wrapping keys and by old Java items). */
export const RSA_KEY_ALGORITHM = 'RSA';

/** The JCA name of an AES key. */
export const AES_KEY_ALGORITHM = 'AES';

/** AES key sizes in bytes (AES-128/192/256). */
export const AES_KEY_SIZES_BYTES: readonly number[] = Object.freeze([16, 24, 32]);

/** AES key size in bytes → the raw block cipher over which attribute encryption computes AES-CBC (FORMAT.md §4). */
const AES_ECB_CIPHERS: ReadonlyMap<number, string> = new Map([
  [16, 'aes-128-ecb'],
  [24, 'aes-192-ecb'],
  [32, 'aes-256-ecb'],
]);

/** AES key size in bytes → CBC cipher (attribute decryption, FORMAT.md §4). */
const AES_CBC_CIPHERS: ReadonlyMap<number, string> = new Map([
  [16, 'aes-128-cbc'],
  [24, 'aes-192-cbc'],
  [32, 'aes-256-cbc'],
]);

/** AES key size in bytes → RFC 3394 key-wrap cipher (FORMAT.md §8.2 `AESWrap`). */
const AES_WRAP_CIPHERS: ReadonlyMap<number, string> = new Map([
  [16, 'id-aes128-wrap'],
  [24, 'id-aes192-wrap'],
  [32, 'id-aes256-wrap'],
]);

export function isHmacAlgorithm(algorithm: string): boolean {
  return HMAC_ALGORITHMS.has(algorithm);
}

export function isRsaSignatureAlgorithm(algorithm: string): boolean {
  return RSA_SIGNATURE_ALGORITHMS.has(algorithm);
}

/** Hash behind a JCA HMAC algorithm name, e.g. `HmacSHA256` → `sha256`. */
export function hmacHash(algorithm: string): HashName {
  const hash = HMAC_ALGORITHMS.get(algorithm);
  if (hash === undefined) throw new InvalidAlgorithmError(`Unsupported HMAC algorithm "${algorithm}"`);
  return hash;
}

/** Hash behind a JCA RSA signature algorithm name, e.g. `SHA256withRSA` → `sha256`. */
export function rsaSignatureHash(algorithm: string): HashName {
  const hash = RSA_SIGNATURE_ALGORITHMS.get(algorithm);
  if (hash === undefined) {
    throw new InvalidAlgorithmError(`Unsupported RSA signature algorithm "${algorithm}"`);
  }
  return hash;
}

/** Whether `size` bytes is a valid AES key size. */
export function isAesKeySize(sizeBytes: number): boolean {
  return AES_KEY_SIZES_BYTES.includes(sizeBytes);
}

/** The `aes-*-ecb` block cipher for an AES key of `sizeBytes`. */
export function aesEcbCipherName(sizeBytes: number): string {
  const name = AES_ECB_CIPHERS.get(sizeBytes);
  if (name === undefined) throw new InvalidAlgorithmError(`Unsupported AES key size: ${sizeBytes} bytes`);
  return name;
}

/** The `aes-*-cbc` cipher for an AES key of `sizeBytes`. */
export function aesCbcCipherName(sizeBytes: number): string {
  const name = AES_CBC_CIPHERS.get(sizeBytes);
  if (name === undefined) throw new InvalidAlgorithmError(`Unsupported AES key size: ${sizeBytes} bytes`);
  return name;
}

/** The `id-aes*-wrap` cipher for an AES wrapping key of `sizeBytes`. */
export function aesWrapCipherName(sizeBytes: number): string {
  const name = AES_WRAP_CIPHERS.get(sizeBytes);
  if (name === undefined) {
    throw new InvalidAlgorithmError(`Unsupported AES wrapping key size: ${sizeBytes} bytes`);
  }
  return name;
}

/** How a content key is wrapped, decoded from a JCE transformation name. */
export type WrappingTransformation =
  | { readonly kind: 'AES_KEY_WRAP' }
  | { readonly kind: 'RSA_OAEP'; readonly oaepHash: HashName; readonly mgf1Hash: HashName }
  | { readonly kind: 'RSA_PKCS1_V1_5' };

/** The transformation written by default for AES wrapping keys. */
export const AES_WRAP_TRANSFORMATION = 'AESWrap';

/** The transformation written by default for RSA wrapping keys. */
export const RSA_OAEP_SHA256_TRANSFORMATION = 'RSA/ECB/OAEPWithSHA-256AndMGF1Padding';

/**
 * The hash spelled in `OAEPWith<hash>AndMGF1Padding`. JCE accepts both `SHA-256` and `SHA256`
 * spellings, so we do too.
 */
const OAEP_DIGEST_NAMES: ReadonlyMap<string, HashName> = new Map<string, HashName>([
  ['SHA-1', 'sha1'],
  ['SHA1', 'sha1'],
  ['SHA-224', 'sha224'],
  ['SHA224', 'sha224'],
  ['SHA-256', 'sha256'],
  ['SHA256', 'sha256'],
  ['SHA-384', 'sha384'],
  ['SHA384', 'sha384'],
  ['SHA-512', 'sha512'],
  ['SHA512', 'sha512'],
]);

const OAEP_TRANSFORMATION = /^RSA\/ECB\/OAEPWith(.+)AndMGF1Padding$/;

/**
 * Decode a JCE wrapping transformation name.
 *
 * `RSA/ECB/OAEPWith<hash>AndMGF1Padding` always means MGF1 with **SHA-1**, whatever `<hash>`
 * is: that is the JCE default for these names, and Python deliberately reproduces it
 * (FORMAT.md §8.2). `RSA/ECB/OAEPPadding` is the JCE spelling of all-SHA-1 OAEP.
 * Bare `RSA` is JCE's `RSA/ECB/PKCS1Padding` (old Java items without `amzn-ddb-wrap-alg`).
 */
export function parseWrappingTransformation(transformation: string, location: ErrorLocation = {}): WrappingTransformation {
  if (transformation === AES_WRAP_TRANSFORMATION) return { kind: 'AES_KEY_WRAP' };
  if (transformation === RSA_KEY_ALGORITHM || transformation === 'RSA/ECB/PKCS1Padding') {
    return { kind: 'RSA_PKCS1_V1_5' };
  }
  if (transformation === 'RSA/ECB/OAEPPadding') {
    return { kind: 'RSA_OAEP', oaepHash: 'sha1', mgf1Hash: 'sha1' };
  }
  const oaep = OAEP_TRANSFORMATION.exec(transformation);
  if (oaep !== null) {
    const oaepHash = OAEP_DIGEST_NAMES.get(oaep[1]);
    if (oaepHash !== undefined) return { kind: 'RSA_OAEP', oaepHash, mgf1Hash: 'sha1' };
  }
  if (transformation === AES_KEY_ALGORITHM || transformation.startsWith('AES/')) {
    // JCE "AES" is AES/ECB/PKCS5Padding used as a key wrap — not RFC 3394. Neither Python
    // nor any vector supports it, and ECB wrapping is not something to add support for.
    throw new InvalidAlgorithmError(
      `Unsupported wrapping algorithm "${transformation}": AES/ECB key unwrapping (JCE "AES") is not supported; only "AESWrap" (RFC 3394) is`,
      location,
    );
  }
  throw new InvalidAlgorithmError(`Unsupported wrapping algorithm "${transformation}"`, location);
}
