/**
 * The item signature `*amzn-ddb-map-sig*` (FORMAT.md §5.3) over the string to sign.
 *
 *  - HMAC keys (`HmacSHA224/256/384/512`): HMAC with the key's hash. Verification recomputes
 *    and compares in constant time, so timing reveals nothing about how much of a forged
 *    tag was right.
 *  - RSA keys: RSASSA-PKCS1-v1_5 with the hash named by the key's algorithm
 *    (`SHA256withRSA` → SHA-256), or by `signatureAlgorithm` when given. Java records the
 *    signature algorithm in the description (`amzn-ddb-map-signingAlg`) and uses it for
 *    public-key verification; that value is what callers pass as `signatureAlgorithm`.
 *    For HMAC keys the override is ignored, as both reference clients do (Python writes
 *    `HmacSHA256` there but never reads it back).
 */
import { constants, createHmac, sign as rsaSign, timingSafeEqual, verify as rsaVerify } from 'node:crypto';
import { InvalidAlgorithmError, SigningError, type ErrorLocation } from '../errors';
import {
  RSA_KEY_ALGORITHM,
  hmacHash,
  isHmacAlgorithm,
  isRsaSignatureAlgorithm,
  rsaSignatureHash,
  type HashName,
} from './algorithms';
import type { LocalKey } from './local-key';

/** Sign `data` (the string to sign) with an HMAC secret key or an RSA private key. */
export function sign(
  key: LocalKey,
  data: Uint8Array,
  signatureAlgorithm?: string,
  location: ErrorLocation = {},
): Buffer {
  if (isHmacAlgorithm(key.algorithm)) return hmac(key, data);
  const hash = rsaHashFor(key, signatureAlgorithm, location);
  if (key.keyType !== 'PRIVATE') {
    throw new SigningError(`Cannot sign with a ${key.keyType} ${key.algorithm} key; a private key is required`, location);
  }
  try {
    return rsaSign(hash, data, { key: key.keyObject, padding: constants.RSA_PKCS1_PADDING });
  } catch (cause) {
    throw new SigningError(`RSA signing with ${hash} failed`, location, { cause });
  }
}

/**
 * Whether `signature` is a valid signature of `data`. Returns false for a wrong or malformed
 * signature; throws only for a key/algorithm that cannot verify at all (configuration error).
 * RSA verification accepts a public key, or a private key (which contains the public one).
 */
export function verify(
  key: LocalKey,
  data: Uint8Array,
  signature: Uint8Array,
  signatureAlgorithm?: string,
  location: ErrorLocation = {},
): boolean {
  if (isHmacAlgorithm(key.algorithm)) {
    const expected = hmac(key, data);
    // Lengths are public (fixed by the hash); timingSafeEqual requires equal lengths.
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }
  const hash = rsaHashFor(key, signatureAlgorithm, location);
  try {
    return rsaVerify(hash, data, { key: key.keyObject, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    // OpenSSL may throw on structurally invalid signatures; for the caller that is simply
    // "not a valid signature".
    return false;
  }
}

function hmac(key: LocalKey, data: Uint8Array): Buffer {
  return createHmac(hmacHash(key.algorithm), key.keyObject).update(data).digest();
}

/** The RSASSA-PKCS1-v1_5 hash for an RSA key, honouring an explicit signature algorithm. */
function rsaHashFor(key: LocalKey, signatureAlgorithm: string | undefined, location: ErrorLocation): HashName {
  if (key.keyType === 'SYMMETRIC') {
    throw new InvalidAlgorithmError(`A ${key.algorithm} key cannot be used for item signatures`, location);
  }
  const name = signatureAlgorithm ?? key.algorithm;
  if (name === RSA_KEY_ALGORITHM) {
    throw new InvalidAlgorithmError(
      'Key algorithm "RSA" does not name a signature hash; a signature algorithm such as "SHA256withRSA" is required',
      location,
    );
  }
  if (!isRsaSignatureAlgorithm(name)) {
    throw new InvalidAlgorithmError(`Unsupported signature algorithm "${name}"`, location);
  }
  return rsaSignatureHash(name);
}
