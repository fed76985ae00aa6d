import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { decryptAttributeValues, encryptAttributeValues } from '../../src/crypto/attribute-cipher';
import { DecryptionError, EncryptionError } from '../../src/errors';

const CBC = { 16: 'aes-128-cbc', 24: 'aes-192-cbc', 32: 'aes-256-cbc' } as const;

function referenceEncrypt(key: Buffer, iv: Buffer, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv(CBC[key.length as 16 | 24 | 32], key, iv);
  return Buffer.concat([iv, cipher.update(plaintext), cipher.final()]);
}

describe('AES-CBC over one ECB cipher per item', () => {
  it('gives byte for byte what node’s AES-CBC gives, and decrypts back (any sizes, any key length)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 24, 32),
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 100 }), { minLength: 1, maxLength: 12 }),
        (keyLength, plaintexts) => {
          const key = randomBytes(keyLength);
          const ivs = randomBytes(16 * plaintexts.length);
          const encrypted = encryptAttributeValues(createSecretKey(key), plaintexts, ivs);
          encrypted.forEach((value, index) => {
            expect(value).toEqual(referenceEncrypt(key, ivs.subarray(index * 16, index * 16 + 16), plaintexts[index]));
          });
          const decrypted = decryptAttributeValues(createSecretKey(key), encrypted);
          expect(decrypted.map((value) => Buffer.from(value))).toEqual(plaintexts.map((value) => Buffer.from(value)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decrypts what node’s AES-CBC encrypted', () => {
    const key = randomBytes(32);
    const values = ['a', 'x'.repeat(16), 'y'.repeat(95)].map((text) => referenceEncrypt(key, randomBytes(16), Buffer.from(text)));
    expect(decryptAttributeValues(createSecretKey(key), values).map((value) => value.toString())).toEqual(['a', 'x'.repeat(16), 'y'.repeat(95)]);
  });

  it('rejects bad lengths and bad padding with one DecryptionError naming the position, never the bytes', () => {
    const key = randomBytes(16);
    const good = referenceEncrypt(key, randomBytes(16), Buffer.from('secret value'));
    expect(() => decryptAttributeValues(createSecretKey(key), [good, good.subarray(0, 31)])).toThrow(/value 2 .*invalid length/);
    const wrongKey = createSecretKey(randomBytes(16));
    // A wrong key yields valid padding now and then; over many values, every failure is the same error.
    let failures = 0;
    for (let attempt = 0; attempt < 50; attempt += 1) {
      try {
        decryptAttributeValues(wrongKey, [referenceEncrypt(key, randomBytes(16), Buffer.from('secret value'))]);
      } catch (error) {
        expect(error).toBeInstanceOf(DecryptionError);
        expect((error as Error).message).toBe('encrypted value 1 did not decrypt: wrong key or corrupted value');
        failures += 1;
      }
    }
    expect(failures).toBeGreaterThan(40);
    const tampered = Buffer.from(good);
    tampered[tampered.length - 1] ^= 0x01;
    expect(() => decryptAttributeValues(createSecretKey(key), [tampered])).toThrow(DecryptionError);
    const reference = createDecipheriv('aes-128-cbc', key, tampered.subarray(0, 16));
    expect(() => Buffer.concat([reference.update(tampered.subarray(16)), reference.final()])).toThrow();
  });

  it('refuses a key that is not AES and IVs of the wrong size', () => {
    expect(() => encryptAttributeValues(createSecretKey(randomBytes(20)), [Buffer.from('a')], randomBytes(16))).toThrow(EncryptionError);
    expect(() => encryptAttributeValues(createSecretKey(randomBytes(16)), [Buffer.from('a')], randomBytes(8))).toThrow(EncryptionError);
    expect(() => decryptAttributeValues(createSecretKey(randomBytes(20)), [randomBytes(32)])).toThrow(DecryptionError);
  });
});
