import { constants, createHash, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { InvalidArgumentError, UnwrappingError } from '../../src/errors';
import type { HashName } from '../../src/crypto/algorithms';
import { mgf1, rsaOaepDecrypt, rsaOaepEncrypt } from '../../src/crypto/rsa-oaep';
import { rawRsaEncrypt } from '../../src/crypto/rsa-raw';
import { binaryAttribute, ciphertextItems, parseDescription, vectorKey } from './helpers';

const publicKey = vectorKey('rsaEncPub').keyObject;
const privateKey = vectorKey('rsaEncPriv').keyObject;

describe('RSA-OAEP — compatibility with node\'s OAEP when both hashes are equal', () => {
  it.each<HashName>(['sha1', 'sha256'])('%s: ours → node and node → ours', (hash) => {
    const message = randomBytes(32);
    const ours = rsaOaepEncrypt(publicKey, message, { oaepHash: hash, mgf1Hash: hash });
    expect(ours).toHaveLength(256);
    expect(privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, ours)).toEqual(message);

    const theirs = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, message);
    expect(rsaOaepDecrypt(privateKey, theirs, { oaepHash: hash, mgf1Hash: hash })).toEqual(message);
  });

  it('node\'s OAEP with a label round-trips through ours', () => {
    const label = Buffer.from('a label');
    const message = Buffer.from('message');
    const theirs = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: label },
      message,
    );
    expect(rsaOaepDecrypt(privateKey, theirs, { oaepHash: 'sha256', mgf1Hash: 'sha256', label })).toEqual(message);
    expect(() => rsaOaepDecrypt(privateKey, theirs, { oaepHash: 'sha256', mgf1Hash: 'sha256' })).toThrow(UnwrappingError);
  });
});

describe('RSA-OAEP — real vectors (python/wrapped-rsa-rsa-1.json)', () => {
  const items = Object.values(ciphertextItems('python/wrapped-rsa-rsa-1.json'))
    .flat()
    .filter((item) => item['*amzn-ddb-map-desc*'] !== undefined);

  it('has items whose description names OAEPWithSHA-256AndMGF1Padding', () => {
    expect(items.length).toBeGreaterThan(5);
  });

  it('unwraps every env-key with SHA-256 + MGF1-SHA-1 to a 32-byte key, and not with all-SHA-256', () => {
    for (const item of items) {
      const description = parseDescription(binaryAttribute(item, '*amzn-ddb-map-desc*'));
      expect(description.get('amzn-ddb-wrap-alg')).toBe('RSA/ECB/OAEPWithSHA-256AndMGF1Padding');
      expect(description.get('amzn-ddb-env-alg')).toBe('AES/256');
      const wrapped = Buffer.from(description.get('amzn-ddb-env-key')!, 'base64');
      expect(wrapped).toHaveLength(256);
      expect(rsaOaepDecrypt(privateKey, wrapped)).toHaveLength(32);
      expect(rsaOaepDecrypt(privateKey, wrapped, { oaepHash: 'sha256', mgf1Hash: 'sha1' })).toHaveLength(32);
      expect(() => rsaOaepDecrypt(privateKey, wrapped, { oaepHash: 'sha256', mgf1Hash: 'sha256' })).toThrow(
        new UnwrappingError('RSA-OAEP unwrap failed'),
      );
      // node cannot express the mixed set either way.
      for (const oaepHash of ['sha1', 'sha256']) {
        expect(() => privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, wrapped)).toThrow();
      }
    }
  });
});

describe('RSA-OAEP — default parameters (SHA-256 / MGF1-SHA-1)', () => {
  it('round-trips messages up to the maximum length', () => {
    for (const length of [0, 1, 16, 32, 256 - 2 * 32 - 2]) {
      const message = randomBytes(length);
      const ciphertext = rsaOaepEncrypt(publicKey, message);
      expect(ciphertext).toHaveLength(256);
      expect(rsaOaepDecrypt(privateKey, ciphertext)).toEqual(message);
    }
  });

  it('is randomized', () => {
    const message = Buffer.alloc(32, 9);
    expect(rsaOaepEncrypt(publicKey, message).equals(rsaOaepEncrypt(publicKey, message))).toBe(false);
  });

  it('rejects messages that are too long', () => {
    expect(() => rsaOaepEncrypt(publicKey, new Uint8Array(256 - 2 * 32 - 1))).toThrow(InvalidArgumentError);
    expect(() => rsaOaepEncrypt(publicKey, new Uint8Array(256 - 2 * 64 - 1), { oaepHash: 'sha512' })).toThrow(InvalidArgumentError);
  });

  it('round-trips with other hash combinations and 1024/3072-bit keys', () => {
    const combinations = [['sha512', 'sha1'], ['sha384', 'sha224'], ['sha1', 'sha512']] as const;
    for (const modulusLength of [1024, 3072]) {
      const pair = generateKeyPairSync('rsa', { modulusLength });
      for (const [oaepHash, mgf1Hash] of combinations) {
        // A 1024-bit modulus (128 bytes) cannot hold 2·64 + 2 bytes of SHA-512 OAEP overhead.
        if (modulusLength === 1024 && oaepHash === 'sha512') continue;
        const message = randomBytes(20);
        const ciphertext = rsaOaepEncrypt(pair.publicKey, message, { oaepHash, mgf1Hash });
        expect(rsaOaepDecrypt(pair.privateKey, ciphertext, { oaepHash, mgf1Hash })).toEqual(message);
      }
    }
  });

  it('rejects a hash too large for the modulus on both sides', () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => rsaOaepEncrypt(pair.publicKey, new Uint8Array(0), { oaepHash: 'sha512' })).toThrow(InvalidArgumentError);
    const ciphertext = rsaOaepEncrypt(pair.publicKey, new Uint8Array(16));
    expect(() => rsaOaepDecrypt(pair.privateKey, ciphertext, { oaepHash: 'sha512' })).toThrow(UnwrappingError);
  });
});

describe('RSA-OAEP — every padding failure is the same error', () => {
  const k = 256;
  const hLen = 32;
  /** Build an EME-OAEP block by hand (SHA-256 / MGF1-SHA-1) with a chosen defect, then encrypt raw. */
  function encodeWithDefect(defect: 'none' | 'y' | 'lhash' | 'no-separator' | 'nonzero-ps'): Buffer {
    const message = Buffer.from('0123456789abcdef');
    const db = Buffer.alloc(k - hLen - 1);
    createHash('sha256').update(Buffer.alloc(0)).digest().copy(db);
    if (defect === 'lhash') db[3] ^= 1;
    const separator = db.length - message.length - 1;
    if (defect !== 'no-separator') db[separator] = 0x01;
    if (defect === 'nonzero-ps') db[separator - 5] = 0x07;
    message.copy(db, separator + 1);
    const seed = randomBytes(hLen);
    const dbMask = mgf1('sha1', seed, db.length);
    const maskedDb = Buffer.from(db.map((byte, i) => byte ^ dbMask[i]));
    const seedMask = mgf1('sha1', maskedDb, hLen);
    const maskedSeed = Buffer.from(seed.map((byte, i) => byte ^ seedMask[i]));
    const em = Buffer.concat([Buffer.from([defect === 'y' ? 0x01 : 0x00]), maskedSeed, maskedDb]);
    return rawRsaEncrypt(publicKey, em);
  }

  it('decodes a correctly hand-built block (the test encoder is right)', () => {
    expect(rsaOaepDecrypt(privateKey, encodeWithDefect('none')).toString()).toBe('0123456789abcdef');
  });

  it.each(['y', 'lhash', 'no-separator', 'nonzero-ps'] as const)('defect %s → UnwrappingError "RSA-OAEP unwrap failed"', (defect) => {
    let caught: unknown;
    try {
      rsaOaepDecrypt(privateKey, encodeWithDefect(defect), {}, { tableName: 'T' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnwrappingError);
    expect((caught as Error).message).toBe('RSA-OAEP unwrap failed (table "T")');
  });

  it('wrong length, out-of-range ciphertext, corrupted ciphertext and the wrong key give the same error', () => {
    const good = rsaOaepEncrypt(publicKey, randomBytes(32));
    const corrupted = Buffer.from(good);
    corrupted[100] ^= 1;
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    for (const bad of [good.subarray(1), Buffer.concat([good, Buffer.alloc(1)]), Buffer.alloc(256, 0xff), corrupted]) {
      expect(() => rsaOaepDecrypt(privateKey, bad)).toThrow(new UnwrappingError('RSA-OAEP unwrap failed'));
    }
    expect(() => rsaOaepDecrypt(otherKey, good)).toThrow(new UnwrappingError('RSA-OAEP unwrap failed'));
  });

  it('rejects a public key for decryption and unknown hashes', () => {
    expect(() => rsaOaepDecrypt(publicKey, Buffer.alloc(256))).toThrow(InvalidArgumentError);
    expect(() => rsaOaepEncrypt(publicKey, Buffer.alloc(1), { oaepHash: 'md5' as HashName })).toThrow(InvalidArgumentError);
    expect(() => rsaOaepEncrypt(publicKey, Buffer.alloc(1), { mgf1Hash: 'toString' as HashName })).toThrow(InvalidArgumentError);
  });
});

describe('mgf1', () => {
  it('matches RFC 8017 B.2.1 by construction: Hash(seed || counter) blocks, truncated', () => {
    const seed = Buffer.from('seed');
    const expected = Buffer.concat([0, 1, 2].map((counter) => {
      const c = Buffer.alloc(4);
      c.writeUInt32BE(counter);
      return createHash('sha1').update(seed).update(c).digest();
    })).subarray(0, 50);
    expect(mgf1('sha1', seed, 50)).toEqual(expected);
    expect(mgf1('sha256', seed, 0)).toHaveLength(0);
  });
});
