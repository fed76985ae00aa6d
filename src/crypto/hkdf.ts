/**
 * HKDF-SHA256 (RFC 5869) without salt, as the Direct KMS provider uses it to derive the
 * encryption and signing keys from the KMS data key (FORMAT.md §8.3).
 *
 * "No salt" in RFC 5869 means a salt of HashLen zero bytes. An empty salt gives the same
 * PRK, because HMAC pads any key shorter than the block size with zeros — so passing an
 * empty buffer to `hkdfSync` is exactly the reference behaviour (a test checks both).
 */
import { hkdfSync } from 'node:crypto';
import { InvalidArgumentError } from '../errors';
import { HASH_LENGTH_BYTES } from './algorithms';

/** RFC 5869 limits the output to 255 hash blocks. */
const MAX_OUTPUT_BYTES = 255 * HASH_LENGTH_BYTES.sha256;
const NO_SALT = Buffer.alloc(0);

/** Derive `lengthBytes` bytes from `inputKeyMaterial` with the UTF-8 `info` string. */
export function hkdfSha256(inputKeyMaterial: Uint8Array, info: string, lengthBytes: number): Buffer {
  if (!(inputKeyMaterial instanceof Uint8Array) || inputKeyMaterial.length === 0) {
    throw new InvalidArgumentError('HKDF input key material must be a non-empty byte array');
  }
  if (!Number.isSafeInteger(lengthBytes) || lengthBytes < 1 || lengthBytes > MAX_OUTPUT_BYTES) {
    throw new InvalidArgumentError(`HKDF output length must be 1..${MAX_OUTPUT_BYTES} bytes, got ${lengthBytes}`);
  }
  return Buffer.from(hkdfSync('sha256', inputKeyMaterial, NO_SALT, Buffer.from(info, 'utf8'), lengthBytes));
}
