/**
 * RSAES-OAEP (RFC 8017 §7.1) with independently chosen OAEP and MGF1 hashes.
 *
 * The wrapped materials provider writes `RSA/ECB/OAEPWithSHA-256AndMGF1Padding`, which in JCE
 * (and in the Python client, on purpose) means OAEP hash SHA-256 but MGF1 with SHA-1, empty
 * label (FORMAT.md §8.2). Node's `oaepHash` sets both hashes at once, so that parameter set
 * cannot be expressed; we do EME-OAEP ourselves around raw RSA.
 *
 * Decoding follows RFC 8017 §7.1.2 step 3 and its note: every check (leading byte Y, lHash,
 * the zero run and the 0x01 separator) is evaluated without early exit, the results are
 * folded into one flag, and every failure produces the same UnwrappingError. A distinguishable
 * failure would be Manger's oracle.
 */
import { createHash, randomBytes, type KeyObject } from 'node:crypto';
import { InvalidArgumentError, UnwrappingError, type ErrorLocation } from '../errors';
import { HASH_LENGTH_BYTES, type HashName } from './algorithms';
import { ctByteEquals, ctBytesDiffer, ctIsZero, rawRsaDecrypt, rawRsaEncrypt, rsaModulusBytes } from './rsa-raw';

export interface RsaOaepOptions {
  /** Hash for the label digest (and, in JCE naming, the "OAEPWith<hash>" part). Default sha256. */
  readonly oaepHash?: HashName;
  /** Hash for the MGF1 mask generation function. Default sha1 (the JCE default). */
  readonly mgf1Hash?: HashName;
  /** OAEP label; empty by default (the format never uses one). */
  readonly label?: Uint8Array;
}

const UNWRAP_FAILED = 'RSA-OAEP unwrap failed';
const EMPTY = new Uint8Array(0);

/** Encrypt `message` with RSA-OAEP under an RSA public key (a private key also works). */
export function rsaOaepEncrypt(publicKey: KeyObject, message: Uint8Array, options: RsaOaepOptions = {}): Buffer {
  const { oaepHash, mgf1Hash, label } = resolveOptions(options);
  const k = rsaModulusBytes(publicKey);
  const hLen = HASH_LENGTH_BYTES[oaepHash];
  const maxMessage = k - 2 * hLen - 2;
  if (message.length > maxMessage) {
    throw new InvalidArgumentError(
      `RSA-OAEP message too long: ${message.length} bytes, at most ${Math.max(maxMessage, 0)} for this key and hash`,
    );
  }

  // EM = 0x00 || maskedSeed || maskedDB, DB = lHash || PS || 0x01 || M
  const em = Buffer.alloc(k);
  const seed = em.subarray(1, 1 + hLen);
  const db = em.subarray(1 + hLen);
  createHash(oaepHash).update(label).digest().copy(db, 0);
  db[db.length - message.length - 1] = 0x01;
  db.set(message, db.length - message.length);
  randomBytes(hLen).copy(seed);

  xorInPlace(db, mgf1(mgf1Hash, seed, db.length));
  xorInPlace(seed, mgf1(mgf1Hash, db, hLen));
  return rawRsaEncrypt(publicKey, em);
}

/**
 * Decrypt an RSA-OAEP ciphertext with an RSA private key. Every failure — wrong key, wrong
 * hashes, corrupted ciphertext, wrong length — is the same UnwrappingError.
 */
export function rsaOaepDecrypt(
  privateKey: KeyObject,
  ciphertext: Uint8Array,
  options: RsaOaepOptions = {},
  location: ErrorLocation = {},
): Buffer {
  const { oaepHash, mgf1Hash, label } = resolveOptions(options);
  if (privateKey.type !== 'private') throw new InvalidArgumentError('RSA-OAEP decryption needs an RSA private key');
  const k = rsaModulusBytes(privateKey);
  const hLen = HASH_LENGTH_BYTES[oaepHash];
  // Length checks depend only on public values (key size, ciphertext length, hash).
  if (ciphertext.length !== k || k < 2 * hLen + 2) throw new UnwrappingError(UNWRAP_FAILED, location);

  const em = rawRsaDecrypt(privateKey, ciphertext, k, UNWRAP_FAILED, location);
  const maskedSeed = em.subarray(1, 1 + hLen);
  const maskedDb = em.subarray(1 + hLen);
  const seed = Buffer.from(maskedSeed);
  xorInPlace(seed, mgf1(mgf1Hash, maskedDb, hLen));
  const db = Buffer.from(maskedDb);
  xorInPlace(db, mgf1(mgf1Hash, seed, db.length));

  const expectedLHash = createHash(oaepHash).update(label).digest();
  let bad = 1 - ctIsZero(em[0]);
  bad |= ctBytesDiffer(db.subarray(0, hLen), expectedLHash);

  // Find the 0x01 separator after lHash || PS. Before it, only zero bytes are allowed.
  // Every byte is visited; the state lives in 0/1 flags combined arithmetically.
  let found = 0;
  let separatorIndex = 0;
  let badPadding = 0;
  for (let i = hLen; i < db.length; i++) {
    const byte = db[i];
    const stillLooking = 1 - found;
    const isOne = ctByteEquals(byte, 0x01);
    const isSeparator = stillLooking & isOne;
    separatorIndex += isSeparator * i;
    badPadding |= stillLooking & (1 - isOne) & (1 - ctIsZero(byte));
    found |= isSeparator;
  }
  bad |= (1 - found) | badPadding;

  if (bad !== 0) throw new UnwrappingError(UNWRAP_FAILED, location);
  return db.subarray(separatorIndex + 1);
}

/** MGF1 (RFC 8017 B.2.1): hash(seed || counter) blocks until `length` bytes. */
export function mgf1(hash: HashName, seed: Uint8Array, length: number): Buffer {
  const hLen = HASH_LENGTH_BYTES[hash];
  const blocks = Math.ceil(length / hLen);
  const output = Buffer.allocUnsafe(blocks * hLen);
  const counter = Buffer.alloc(4);
  for (let i = 0; i < blocks; i++) {
    counter.writeUInt32BE(i, 0);
    createHash(hash).update(seed).update(counter).digest().copy(output, i * hLen);
  }
  return output.subarray(0, length);
}

function xorInPlace(target: Uint8Array, mask: Uint8Array): void {
  for (let i = 0; i < target.length; i++) target[i] ^= mask[i];
}

function resolveOptions(options: RsaOaepOptions): Required<RsaOaepOptions> {
  const oaepHash = options.oaepHash ?? 'sha256';
  const mgf1Hash = options.mgf1Hash ?? 'sha1';
  for (const hash of [oaepHash, mgf1Hash]) {
    if (!Object.hasOwn(HASH_LENGTH_BYTES, hash)) throw new InvalidArgumentError(`Unsupported OAEP hash "${String(hash)}"`);
  }
  return { oaepHash, mgf1Hash, label: options.label ?? EMPTY };
}
