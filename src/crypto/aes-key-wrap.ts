/**
 * RFC 3394 AES key wrap — the `AESWrap` transformation of the wrapped materials provider
 * (FORMAT.md §8.2). OpenSSL implements it as the `id-aes{128,192,256}-wrap` ciphers; we only
 * choose the cipher by wrapping-key size and pin the RFC's default IV. The integrity check
 * of the unwrap (the recovered IV must equal A6A6A6A6A6A6A6A6) is what tells a wrong key or a
 * corrupted blob apart from success.
 */
import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { InvalidArgumentError, UnwrappingError, type ErrorLocation } from '../errors';
import { aesWrapCipherName, isAesKeySize } from './algorithms';

/** RFC 3394 §2.2.3.1 default initial value. */
const DEFAULT_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

/** RFC 3394 works on 64-bit blocks, at least two of them. */
const SEMIBLOCK_BYTES = 8;
const MIN_KEY_DATA_BYTES = 2 * SEMIBLOCK_BYTES;

/** Wrap `contentKey` (a multiple of 8 bytes, at least 16) under an AES wrapping key. */
export function wrapKey(wrappingKey: KeyObject, contentKey: Uint8Array): Buffer {
  const cipherName = wrapCipherFor(wrappingKey);
  if (contentKey.length < MIN_KEY_DATA_BYTES || contentKey.length % SEMIBLOCK_BYTES !== 0) {
    throw new InvalidArgumentError(
      `AES key wrap needs a key of at least ${MIN_KEY_DATA_BYTES} bytes in multiples of ${SEMIBLOCK_BYTES}, got ${contentKey.length}`,
    );
  }
  const cipher = createCipheriv(cipherName, wrappingKey, DEFAULT_IV);
  return Buffer.concat([cipher.update(contentKey), cipher.final()]);
}

/** Unwrap an RFC 3394 blob. A wrong key or a corrupted blob is an UnwrappingError. */
export function unwrapKey(wrappingKey: KeyObject, wrapped: Uint8Array, location: ErrorLocation = {}): Buffer {
  const cipherName = wrapCipherFor(wrappingKey);
  if (wrapped.length < MIN_KEY_DATA_BYTES + SEMIBLOCK_BYTES || wrapped.length % SEMIBLOCK_BYTES !== 0) {
    throw new UnwrappingError(`AES-wrapped key has invalid length ${wrapped.length}`, location);
  }
  let unwrapped: Buffer | undefined;
  try {
    const decipher = createDecipheriv(cipherName, wrappingKey, DEFAULT_IV);
    unwrapped = decipher.update(wrapped);
    const rest = decipher.final();
    if (rest.length === 0) return unwrapped;
    // Not expected (OpenSSL unwraps in update), but then no unzeroed part is left behind.
    const whole = Buffer.concat([unwrapped, rest]);
    unwrapped.fill(0);
    rest.fill(0);
    return whole;
  } catch (cause) {
    unwrapped?.fill(0);
    throw new UnwrappingError('AES key unwrap failed: wrong key or corrupted wrapped key', location, { cause });
  }
}

function wrapCipherFor(wrappingKey: KeyObject): string {
  const size = wrappingKey.type === 'secret' ? wrappingKey.symmetricKeySize : undefined;
  if (size === undefined || !isAesKeySize(size)) {
    throw new InvalidArgumentError('AES key wrap needs an AES secret key of 16, 24 or 32 bytes');
  }
  return aesWrapCipherName(size);
}
