import { createCipheriv, createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { DecryptionError, EncryptionError } from '../../src/errors';
import {
  decryptAttributeValue,
  encryptAttributeValue,
  encryptedAttributeLength,
} from '../../src/crypto/attribute-cipher';
import { binaryAttribute, ciphertextItems, hex, vectorKey } from './helpers';

const aesKey = vectorKey('aesKey').keyObject;

function findItem(hashKey: string, rangeKey: string) {
  const item = ciphertextItems('python/static-aes-hmac-1.json').TableName.find(
    (candidate) =>
      (candidate.hashKey as { N?: string }).N === hashKey && (candidate.rangeKey as { N?: string }).N === rangeKey,
  );
  if (item === undefined) throw new Error('vector item not found');
  return item;
}

describe('attribute cipher — FORMAT.md §4 worked example', () => {
  const item = findItem('5', '7');

  it('decrypts intValue to the canonical bytes of N "123"', () => {
    const stored = binaryAttribute(item, 'intValue');
    expect(stored.toString('hex')).toBe('1936e4d756fa61b53b2b8ca2d9c544f9c477e0ad3f7aaa0fbb2a53f7bfab142c');
    expect(decryptAttributeValue(aesKey, stored).toString('hex')).toBe('006e00000003313233');
  });

  it('decrypts stringSet to SS ["?", "Cruel", "Goodbye", "World"]', () => {
    const expected = Buffer.concat([
      hex('0053 00000004'),
      hex('00000001'), Buffer.from('?'),
      hex('00000005'), Buffer.from('Cruel'),
      hex('00000007'), Buffer.from('Goodbye'),
      hex('00000005'), Buffer.from('World'),
    ]);
    expect(decryptAttributeValue(aesKey, binaryAttribute(item, 'stringSet'))).toEqual(expected);
  });

  it('re-encrypting with the stored IV reproduces the stored value byte for byte', () => {
    const stored = binaryAttribute(item, 'intValue');
    const again = encryptAttributeValue(aesKey, hex('006e00000003313233'), stored.subarray(0, 16));
    expect(again.equals(stored)).toBe(true);
  });
});

describe('attribute cipher', () => {
  it.each([16, 24, 32])('round-trips with a %i-byte key and matches plain AES-CBC', (size) => {
    const rawKey = randomBytes(size);
    const key = createSecretKey(rawKey);
    const iv = randomBytes(16);
    const plaintext = Buffer.from('attribute value bytes');
    const stored = encryptAttributeValue(key, plaintext, iv);
    const reference = createCipheriv(`aes-${size * 8}-cbc`, rawKey, iv);
    expect(stored).toEqual(Buffer.concat([iv, reference.update(plaintext), reference.final()]));
    expect(decryptAttributeValue(key, stored)).toEqual(plaintext);
  });

  it('has the documented length 16 + 16·⌈(len+1)/16⌉ and round-trips any plaintext', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (plaintext) => {
        const stored = encryptAttributeValue(aesKey, plaintext, randomBytes(16));
        expect(stored.length).toBe(16 + 16 * Math.ceil((plaintext.length + 1) / 16));
        expect(stored.length).toBe(encryptedAttributeLength(plaintext.length));
        expect(decryptAttributeValue(aesKey, stored)).toEqual(Buffer.from(plaintext));
      }),
    );
  });

  it('rejects stored values of invalid length with a DecryptionError', () => {
    for (const length of [0, 15, 16, 17, 31, 33, 47]) {
      expect(() => decryptAttributeValue(aesKey, new Uint8Array(length))).toThrow(DecryptionError);
    }
  });

  it('reports a padding failure (wrong key) as a DecryptionError carrying the location', () => {
    const stored = encryptAttributeValue(aesKey, Buffer.from('secret plaintext'), randomBytes(16));
    // A wrong key yields bad padding except with probability ~1/256 per try; try a few keys.
    let failures = 0;
    for (let i = 0; i < 8; i++) {
      try {
        decryptAttributeValue(createSecretKey(randomBytes(16)), stored, { tableName: 'T', attributeName: 'a' });
      } catch (error) {
        expect(error).toBeInstanceOf(DecryptionError);
        expect((error as DecryptionError).attributeName).toBe('a');
        expect((error as Error).message).not.toContain('secret plaintext');
        failures++;
      }
    }
    expect(failures).toBeGreaterThanOrEqual(6);
  });

  it('reports a corrupted IV that breaks the padding as a DecryptionError', () => {
    const stored = encryptAttributeValue(aesKey, Buffer.from('x'), Buffer.alloc(16));
    // In CBC, flipping IV bit k flips plaintext bit k: byte 15 is the padding byte 0x0f here.
    const tampered = Buffer.from(stored);
    tampered[15] ^= 0x20;
    expect(() => decryptAttributeValue(aesKey, tampered)).toThrow(DecryptionError);
  });

  it('rejects non-AES keys and bad IVs', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => encryptAttributeValue(rsa, Buffer.from('x'), randomBytes(16))).toThrow(EncryptionError);
    expect(() => encryptAttributeValue(createSecretKey(randomBytes(8)), Buffer.from('x'), randomBytes(16))).toThrow(EncryptionError);
    expect(() => encryptAttributeValue(aesKey, Buffer.from('x'), randomBytes(12))).toThrow(EncryptionError);
    expect(() => decryptAttributeValue(rsa, new Uint8Array(32))).toThrow(DecryptionError);
  });
});
