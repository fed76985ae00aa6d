/**
 * RSAES-PKCS1-v1_5 (RFC 8017 §7.2) — only to READ old Java items.
 *
 * Old Java wrapped items carry no `amzn-ddb-wrap-alg`; the content key was then wrapped with
 * the key's own algorithm name `RSA`, which JCE expands to `RSA/ECB/PKCS1Padding`
 * (FORMAT.md §8.2). Node 20 refuses PKCS#1 v1.5 private decryption (CVE-2023-46809, the
 * Marvin attack), so the EME-PKCS1-v1_5 decoding is done here around raw RSA, without early
 * exits on secret data and with a single error for every failure.
 *
 * A Bleichenbacher-style oracle remains inherent to PKCS#1 v1.5 whenever success and failure
 * are observable at all; new items are never written with it (see key-wrapping.ts).
 */
import { constants, publicEncrypt, type KeyObject } from 'node:crypto';
import { InvalidArgumentError, UnwrappingError, type ErrorLocation } from '../errors';
import { ctByteEquals, ctIsZero, ctLessThan, rawRsaDecrypt, rsaModulusBytes } from './rsa-raw';

const UNWRAP_FAILED = 'RSA-PKCS1 unwrap failed';

/** EM = 0x00 || 0x02 || PS (at least 8 non-zero bytes) || 0x00 || M. */
const MIN_PADDING_STRING_BYTES = 8;
const OVERHEAD_BYTES = 3 + MIN_PADDING_STRING_BYTES;

/** Encrypt with RSAES-PKCS1-v1_5 (Node still supports the encryption side). For tests and tooling. */
export function rsaPkcs1Encrypt(publicKey: KeyObject, message: Uint8Array): Buffer {
  const k = rsaModulusBytes(publicKey);
  if (message.length > k - OVERHEAD_BYTES) {
    throw new InvalidArgumentError(`RSA-PKCS1 message too long: ${message.length} bytes, at most ${k - OVERHEAD_BYTES}`);
  }
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, message);
}

/** Decrypt an RSAES-PKCS1-v1_5 ciphertext. Every failure is the same UnwrappingError. */
export function rsaPkcs1Decrypt(privateKey: KeyObject, ciphertext: Uint8Array, location: ErrorLocation = {}): Buffer {
  if (privateKey.type !== 'private') throw new InvalidArgumentError('RSA-PKCS1 decryption needs an RSA private key');
  const k = rsaModulusBytes(privateKey);
  // Public values only: the ciphertext must be exactly one modulus long.
  if (ciphertext.length !== k || k < OVERHEAD_BYTES) throw new UnwrappingError(UNWRAP_FAILED, location);

  const em = rawRsaDecrypt(privateKey, ciphertext, k, UNWRAP_FAILED, location);
  let bad = (1 - ctIsZero(em[0])) | (1 - ctByteEquals(em[1], 0x02));

  // Find the first zero byte after the block type; visit every byte regardless.
  let found = 0;
  let separatorIndex = 0;
  for (let i = 2; i < k; i++) {
    const isSeparator = (1 - found) & ctIsZero(em[i]);
    separatorIndex += isSeparator * i;
    found |= isSeparator;
  }
  bad |= 1 - found;
  // PS must be at least 8 bytes: the separator may not be before index 2 + 8.
  bad |= ctLessThan(separatorIndex, 2 + MIN_PADDING_STRING_BYTES);

  if (bad !== 0) throw new UnwrappingError(UNWRAP_FAILED, location);
  return em.subarray(separatorIndex + 1);
}
