/**
 * Raw RSA (RSAEP / RSADP, no padding) plus the small constant-time helpers the padding
 * decoders share.
 *
 * Why raw RSA: the reference clients use two RSA encryption paddings that `node:crypto`
 * cannot do for us — OAEP with different OAEP and MGF1 hashes, and PKCS#1 v1.5 decryption,
 * which Node 20 refuses since the CVE-2023-46809 fix. So the paddings are encoded/decoded in
 * TypeScript around `RSA_NO_PADDING` operations (OpenSSL still applies blinding to those).
 *
 * The constant-time helpers work on small non-negative integers (bytes, 0/1 flags) with
 * arithmetic and bit operations only, never branching on their inputs. JavaScript gives no
 * hard guarantee about the machine code, but this removes the data-dependent branches and
 * early exits that make padding oracles easy to measure.
 */
import { constants, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { InvalidArgumentError, UnwrappingError, type ErrorLocation } from '../errors';

/** Modulus length in bytes (k in RFC 8017) of an RSA KeyObject, or an error for non-RSA keys. */
export function rsaModulusBytes(key: KeyObject): number {
  const bits = key.asymmetricKeyType === 'rsa' ? key.asymmetricKeyDetails?.modulusLength : undefined;
  if (bits === undefined) throw new InvalidArgumentError('An RSA public or private key is required');
  return Math.ceil(bits / 8);
}

/** RSAEP: `em` must be exactly k bytes and, as an integer, below the modulus. */
export function rawRsaEncrypt(key: KeyObject, em: Uint8Array): Buffer {
  return publicEncrypt({ key, padding: constants.RSA_NO_PADDING }, em);
}

/**
 * RSADP, returning exactly k bytes (left-padded with zeros). The only failure here — the
 * ciphertext not being below the modulus — depends on public data alone; it is still
 * reported with the caller's single generic error, without the OpenSSL cause.
 */
export function rawRsaDecrypt(
  key: KeyObject,
  ciphertext: Uint8Array,
  modulusBytes: number,
  failureMessage: string,
  location: ErrorLocation,
): Buffer {
  let em: Buffer;
  try {
    em = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, ciphertext);
  } catch {
    // No `cause`: every failure of a padding decoder must be the very same error.
    throw new UnwrappingError(failureMessage, location);
  }
  if (em.length === modulusBytes) return em;
  const padded = Buffer.alloc(modulusBytes);
  em.copy(padded, modulusBytes - em.length);
  return padded;
}

/** 1 if `b` (0..255) is zero, else 0 — without a branch. */
export function ctIsZero(b: number): number {
  return ((b - 1) >>> 8) & 1;
}

/** 1 if bytes `a` and `b` are equal, else 0. */
export function ctByteEquals(a: number, b: number): number {
  return ctIsZero((a ^ b) & 0xff);
}

/** 1 if the equal-length byte ranges differ anywhere, else 0; always reads every byte. */
export function ctBytesDiffer(a: Uint8Array, b: Uint8Array): number {
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return 1 - ctIsZero(diff);
}

/** 1 if `a < b` for non-negative integers below 2^31, else 0. */
export function ctLessThan(a: number, b: number): number {
  return ((a - b) >>> 31) & 1;
}
