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
 * are observable at all, so content keys are unwrapped with implicit rejection
 * (`rsaPkcs1DecryptContentKey`): a ciphertext that does not decode to a key of an allowed length
 * gives a key derived from it and a secret instead of an error, and fails later exactly like a
 * wrong key does. New items are never written with PKCS#1 v1.5 (see key-wrapping.ts).
 */
import { constants, createHmac, hash, publicEncrypt, type KeyObject } from 'node:crypto';
import { InvalidArgumentError, UnwrappingError, type ErrorLocation } from '../errors';
import { ctByteEquals, ctIsZero, ctLessThan, rawRsaDecrypt, rsaModulusBytes } from './rsa-raw';

/** The secret behind each private key's synthetic content keys, derived once per key. */
const rejectionSecrets = new WeakMap<KeyObject, Buffer>();

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
  const { bad, separatorIndex } = decodeBlock(em);
  if (bad !== 0) throw new UnwrappingError(UNWRAP_FAILED, location);
  return em.subarray(separatorIndex + 1);
}

/** EME-PKCS1-v1_5 decoding of `em`, without branches on it: `bad` is 1 when it does not conform. */
function decodeBlock(em: Uint8Array): { bad: number; separatorIndex: number } {
  let bad = (1 - ctIsZero(em[0])) | (1 - ctByteEquals(em[1], 0x02));
  // Find the first zero byte after the block type; visit every byte regardless.
  let found = 0;
  let separatorIndex = 0;
  for (let i = 2; i < em.length; i++) {
    const isSeparator = (1 - found) & ctIsZero(em[i]);
    separatorIndex += isSeparator * i;
    found |= isSeparator;
  }
  bad |= 1 - found;
  // PS must be at least 8 bytes: the separator may not be before index 2 + 8.
  bad |= ctLessThan(separatorIndex, 2 + MIN_PADDING_STRING_BYTES);
  return { bad, separatorIndex };
}

/**
 * Unwraps a content key of one of `allowedLengths` bytes with implicit rejection: when the
 * ciphertext is not PKCS#1 v1.5 conforming, or its message has another length, the result is a
 * synthetic key (HMAC-SHA256 of the ciphertext under a secret derived from the private key, of
 * an allowed length it also picks), not an error. The caller then fails to decrypt with it just as
 * with a wrong key, so nobody who can store ciphertexts and watch errors learns which of them
 * conform (Bleichenbacher's oracle). Only a ciphertext that is not one modulus long, public
 * information, is still an UnwrappingError.
 */
export function rsaPkcs1DecryptContentKey(
  privateKey: KeyObject,
  ciphertext: Uint8Array,
  allowedLengths: readonly number[],
  location: ErrorLocation = {},
): Buffer {
  if (privateKey.type !== 'private') throw new InvalidArgumentError('RSA-PKCS1 decryption needs an RSA private key');
  const k = rsaModulusBytes(privateKey);
  if (allowedLengths.length === 0 || allowedLengths.some((length) => !Number.isInteger(length) || length < 1 || length > Math.min(32, k - OVERHEAD_BYTES))) {
    throw new InvalidArgumentError(`RSA-PKCS1 content key lengths must be whole numbers from 1 to 32, got ${allowedLengths.join(', ')}`);
  }
  if (ciphertext.length !== k || k < OVERHEAD_BYTES) throw new UnwrappingError(UNWRAP_FAILED, location);

  const synthetic = createHmac('sha256', rejectionSecret(privateKey)).update(ciphertext).digest();
  const syntheticLength = allowedLengths[synthetic[0] % allowedLengths.length];
  let em: Buffer;
  try {
    em = rawRsaDecrypt(privateKey, ciphertext, k, UNWRAP_FAILED, location);
  } catch {
    // Only a ciphertext not below the modulus fails here: public, but rejected the same way.
    em = Buffer.alloc(k);
  }
  const decoded = decodeBlock(em);
  let bad = decoded.bad;
  const messageLength = k - decoded.separatorIndex - 1;
  let lengthAllowed = 0;
  for (const length of allowedLengths) lengthAllowed |= ctIsZero((messageLength ^ length) & 0xff) & ctLessThan(messageLength, 256);
  bad |= 1 - lengthAllowed;

  // Every byte taken from both sources and selected by mask, whichever wins.
  const keep = (bad - 1) & 0xff; // 0xff when conforming, 0 otherwise
  const length = (messageLength & -(1 - bad)) | (syntheticLength & -bad);
  const key = Buffer.alloc(length);
  for (let i = 0; i < length; i++) key[i] = (em[k - length + i] & keep) | (synthetic[i] & ~keep & 0xff);
  em.fill(0);
  synthetic.fill(0);
  return key;
}

function rejectionSecret(privateKey: KeyObject): Buffer {
  let secret = rejectionSecrets.get(privateKey);
  if (secret === undefined) {
    const der = privateKey.export({ type: 'pkcs1', format: 'der' });
    secret = hash('sha256', Buffer.concat([Buffer.from('DDBEC RSA-PKCS1 implicit rejection\0', 'utf8'), der]), 'buffer');
    der.fill(0);
    rejectionSecrets.set(privateKey, secret);
  }
  return secret;
}
