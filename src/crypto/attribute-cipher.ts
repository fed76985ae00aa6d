/**
 * Per-attribute encryption (FORMAT.md §4): AES-CBC with PKCS#7 padding and a fresh random
 * 16-byte IV per attribute, stored as `IV || ciphertext`.
 *
 * All the encrypted attributes of one item go through ONE cipher object instead of one per
 * attribute: the per-call cost of node:crypto, not AES itself, dominates on values of a few
 * blocks.
 *
 * - decryption: the stored values, IVs included, back to back through one AES-CBC decryption
 *   (no padding). CBC decrypts each block with the block before it, so an attribute's first
 *   block is taken with its own IV, whatever came before; only the blocks in the IVs' places
 *   come out as garbage, and they are dropped.
 * - encryption: CBC on top of the raw block cipher (AES-ECB, no padding): block j of every
 *   attribute still being encrypted goes through the cipher in one call, after XOR with that
 *   attribute's previous ciphertext block (or IV): as many calls as the longest value has
 *   blocks. (One CBC stream cannot do it: each attribute must start from its own random IV.)
 *
 * The output is byte for byte what AES-CBC/PKCS#7 gives (tests compare with node's aes-*-cbc).
 * There is no per-attribute MAC in this format: integrity comes from the item signature, which
 * callers verify before decrypting, so the padding check here is no padding oracle; it still
 * reports one generic error for every failure.
 */
import { createCipheriv, createDecipheriv, type KeyObject } from 'node:crypto';
import { DecryptionError, EncryptionError, type ErrorLocation } from '../errors';
import { aesCbcCipherName, aesEcbCipherName, isAesKeySize } from './algorithms';

/** AES block size; also the IV size. */
export const AES_BLOCK_BYTES = 16;

/** Stored length of an encrypted value whose plaintext is `plaintextLength` bytes. */
export function encryptedAttributeLength(plaintextLength: number): number {
  return AES_BLOCK_BYTES + AES_BLOCK_BYTES * (Math.floor(plaintextLength / AES_BLOCK_BYTES) + 1);
}

/** One value: `iv || AES-CBC(key, iv, plaintext)`. The IV must be fresh and random. */
export function encryptAttributeValue(key: KeyObject, plaintext: Uint8Array, iv: Uint8Array, location: ErrorLocation = {}): Buffer {
  return encryptAttributeValues(key, [plaintext], iv, location)[0];
}

/** One stored value (`iv || ciphertext`), padding removed; any failure is a DecryptionError. */
export function decryptAttributeValue(key: KeyObject, stored: Uint8Array, location: ErrorLocation = {}): Buffer {
  return decryptAttributeValues(key, [stored], location)[0];
}

const BLOCK = AES_BLOCK_BYTES;
const ZERO_BLOCK = Buffer.alloc(AES_BLOCK_BYTES);

/** The AES key size in bytes, after checking `key` is an AES secret key. */
function aesKeySizeOf(key: KeyObject, location: ErrorLocation, ErrorClass: typeof EncryptionError | typeof DecryptionError): number {
  const size = key.symmetricKeySize;
  if (key.type !== 'secret' || size === undefined || !isAesKeySize(size)) {
    throw new ErrorClass('the attribute key must be an AES-128, AES-192 or AES-256 secret key', location);
  }
  return size;
}

/**
 * Encrypts each plaintext with its IV; returns `iv || ciphertext` per plaintext, in order.
 * `ivs` holds one fresh random 16-byte IV per plaintext, back to back.
 */
export function encryptAttributeValues(
  key: KeyObject,
  plaintexts: readonly Uint8Array[],
  ivs: Uint8Array,
  location: ErrorLocation = {},
): Buffer[] {
  const cipherName = aesEcbCipherName(aesKeySizeOf(key, location, EncryptionError));
  if (ivs.length !== BLOCK * plaintexts.length) {
    throw new EncryptionError(`expected ${plaintexts.length} IVs of ${BLOCK} bytes, got ${ivs.length} bytes`, location);
  }
  // Each output starts as IV || PKCS#7-padded plaintext, then is encrypted in place block by block.
  const outputs = plaintexts.map((plaintext, index) => {
    const padding = BLOCK - (plaintext.length % BLOCK);
    const output = Buffer.allocUnsafe(BLOCK + plaintext.length + padding);
    output.set(ivs.subarray(index * BLOCK, (index + 1) * BLOCK), 0);
    output.set(plaintext, BLOCK);
    output.fill(padding, BLOCK + plaintext.length);
    return output;
  });
  const cipher = createCipheriv(cipherName, key, null);
  cipher.setAutoPadding(false);
  const longest = outputs.reduce((blocks, output) => Math.max(blocks, output.length / BLOCK - 1), 0);
  const round = Buffer.allocUnsafe(BLOCK * outputs.length);
  for (let block = 0; block < longest; block += 1) {
    const offset = BLOCK * (block + 1);
    let used = 0;
    for (const output of outputs) {
      if (output.length <= offset) continue;
      // P xor previous ciphertext block (the IV for the first block). Plain loops, not
      // Buffer.copy: a copy call per 16-byte block cost more than the AES itself.
      xorBlocksInto(round, used, output, offset, output, offset - BLOCK);
      used += BLOCK;
    }
    const encrypted = cipher.update(round.subarray(0, used));
    let position = 0;
    for (const output of outputs) {
      if (output.length <= offset) continue;
      for (let index = 0; index < BLOCK; index += 1) output[offset + index] = encrypted[position + index];
      position += BLOCK;
    }
  }
  cipher.final();
  return outputs;
}

/** target[targetOffset..+16) = left[leftOffset..+16) xor right[rightOffset..+16). */
function xorBlocksInto(target: Buffer, targetOffset: number, left: Uint8Array, leftOffset: number, right: Uint8Array, rightOffset: number): void {
  for (let index = 0; index < BLOCK; index += 1) target[targetOffset + index] = left[leftOffset + index] ^ right[rightOffset + index];
}

/**
 * Decrypts each stored `iv || ciphertext` value and removes its PKCS#7 padding. Any failure
 * (bad length, bad padding) is a DecryptionError naming the value's position, and its attribute
 * when `attributeNames` gives one per value, never its bytes.
 */
export function decryptAttributeValues(
  key: KeyObject,
  stored: readonly Uint8Array[],
  location: ErrorLocation = {},
  attributeNames?: readonly string[],
): Buffer[] {
  const at = (index: number): ErrorLocation => (attributeNames === undefined ? location : { ...location, attributeName: attributeNames[index] });
  const cipherName = aesCbcCipherName(aesKeySizeOf(key, location, DecryptionError));
  let total = 0;
  stored.forEach((value, index) => {
    if (value.length < 2 * BLOCK || value.length % BLOCK !== 0) {
      throw new DecryptionError(`encrypted value ${index + 1} has an invalid length ${value.length} (whole 16-byte blocks after the IV)`, at(index));
    }
    total += value.length;
  });
  const stream = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const value of stored) {
    stream.set(value, offset);
    offset += value.length;
  }
  // The chaining value before the first block does not matter: that block is the first IV.
  const decipher = createDecipheriv(cipherName, key, ZERO_BLOCK);
  decipher.setAutoPadding(false);
  const blocks = decipher.update(stream);
  decipher.final();

  const plaintexts: Buffer[] = [];
  offset = 0;
  stored.forEach((value, index) => {
    offset += BLOCK; // the block decrypted in the IV's place
    const length = value.length - BLOCK;
    const padding = blocks[offset + length - 1];
    let bad = padding === 0 || padding > BLOCK ? 1 : 0;
    const checked = Math.min(Math.max(padding, 1), BLOCK);
    for (let position = length - checked; position < length; position += 1) bad |= blocks[offset + position] ^ padding;
    if (bad !== 0) throw new DecryptionError(`encrypted value ${index + 1} did not decrypt: wrong key or corrupted value`, at(index));
    plaintexts.push(blocks.subarray(offset, offset + length - padding));
    offset += length;
  });
  return plaintexts;
}
