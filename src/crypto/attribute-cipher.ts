/**
 * Per-attribute encryption (FORMAT.md §4): AES-CBC with PKCS#7 padding and a fresh random
 * 16-byte IV per attribute, stored as `IV || ciphertext`.
 *
 * There is no per-attribute MAC in this format: integrity comes from the item signature,
 * which callers must verify before decrypting. That is also why a padding failure here is
 * reported as one generic DecryptionError — the message must not help a padding oracle.
 *
 * This is the hot path (about a dozen calls per item), so the functions take an already
 * parsed KeyObject, pick the cipher by key size with a map lookup, and copy bytes once.
 */
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import { DecryptionError, EncryptionError, type ErrorLocation } from '../errors';
import { aesCbcCipherName, isAesKeySize } from './algorithms';

/** AES block size; also the IV size. */
export const AES_BLOCK_BYTES = 16;

/** Stored length of an encrypted value whose plaintext is `plaintextLength` bytes. */
export function encryptedAttributeLength(plaintextLength: number): number {
  return AES_BLOCK_BYTES + AES_BLOCK_BYTES * (Math.floor(plaintextLength / AES_BLOCK_BYTES) + 1);
}

/**
 * Encrypt one serialized attribute value. Returns `iv || AES-CBC(key, iv, plaintext)`.
 * The IV must be fresh and random for every call (see `randomIvs`).
 */
export function encryptAttributeValue(
  key: KeyObject,
  plaintext: Uint8Array,
  iv: Uint8Array,
  location: ErrorLocation = {},
): Buffer {
  const cipherName = cbcCipherFor(key, location, EncryptionError);
  if (iv.length !== AES_BLOCK_BYTES) {
    throw new EncryptionError(`IV must be ${AES_BLOCK_BYTES} bytes, got ${iv.length}`, location);
  }
  const cipher = createCipheriv(cipherName, key, iv);
  const body = cipher.update(plaintext);
  const tail = cipher.final();
  return Buffer.concat([iv, body, tail], AES_BLOCK_BYTES + body.length + tail.length);
}

/**
 * Decrypt one stored value (`iv || ciphertext`) and remove the PKCS#7 padding.
 * Any failure — bad length, bad padding (wrong key or corrupted data) — is a DecryptionError.
 */
export function decryptAttributeValue(key: KeyObject, stored: Uint8Array, location: ErrorLocation = {}): Buffer {
  const cipherName = cbcCipherFor(key, location, DecryptionError);
  // At least one IV plus one ciphertext block, whole blocks only: anything else was never
  // produced by AES-CBC, so reject it before touching the cipher.
  if (stored.length < 2 * AES_BLOCK_BYTES || stored.length % AES_BLOCK_BYTES !== 0) {
    throw new DecryptionError(
      `Encrypted value has invalid length ${stored.length} (must be a multiple of ${AES_BLOCK_BYTES}, at least ${2 * AES_BLOCK_BYTES})`,
      location,
    );
  }
  const iv = stored.subarray(0, AES_BLOCK_BYTES);
  const ciphertext = stored.subarray(AES_BLOCK_BYTES);
  try {
    const decipher = createDecipheriv(cipherName, key, iv);
    const body = decipher.update(ciphertext);
    const tail = decipher.final();
    return tail.length === 0 ? body : Buffer.concat([body, tail], body.length + tail.length);
  } catch (cause) {
    throw new DecryptionError('Decryption failed: wrong key or corrupted value', location, { cause });
  }
}

/**
 * `count` fresh random 16-byte IVs from ONE read of the random generator: one call per item
 * instead of one per attribute. The IVs are non-overlapping views of the same buffer.
 */
export function randomIvs(count: number): Buffer[] {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new EncryptionError(`IV count must be a non-negative integer, got ${count}`);
  }
  const pool = randomBytes(AES_BLOCK_BYTES * count);
  const ivs = new Array<Buffer>(count);
  for (let i = 0; i < count; i++) ivs[i] = pool.subarray(i * AES_BLOCK_BYTES, (i + 1) * AES_BLOCK_BYTES);
  return ivs;
}

type ErrorClass = typeof EncryptionError | typeof DecryptionError;

function cbcCipherFor(key: KeyObject, location: ErrorLocation, ErrorType: ErrorClass): string {
  const size = key.type === 'secret' ? key.symmetricKeySize : undefined;
  if (size === undefined || !isAesKeySize(size)) {
    throw new ErrorType('Attribute encryption key must be an AES secret key of 16, 24 or 32 bytes', location);
  }
  return aesCbcCipherName(size);
}
