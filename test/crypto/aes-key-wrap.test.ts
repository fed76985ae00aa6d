import { createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { InvalidArgumentError, UnwrappingError } from '../../src/errors';
import { unwrapKey, wrapKey } from '../../src/crypto/aes-key-wrap';
import { ciphertextItems, hex, parseDescription, binaryAttribute, vectorKey } from './helpers';

const KEK_256 = hex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');

describe('AES key wrap (RFC 3394)', () => {
  // RFC 3394 §4 test vectors.
  it.each([
    ['4.1 128-bit KEK, 128-bit key', '000102030405060708090A0B0C0D0E0F', '00112233445566778899AABBCCDDEEFF', '1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5'],
    ['4.2 192-bit KEK, 128-bit key', '000102030405060708090A0B0C0D0E0F1011121314151617', '00112233445566778899AABBCCDDEEFF', '96778B25AE6CA435 F92B5B97C050AED2 468AB8A17AD84E5D'],
    ['4.3 256-bit KEK, 128-bit key', '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F', '00112233445566778899AABBCCDDEEFF', '64E8C3F9CE0F5BA2 63E9777905818A2A 93C8191E7D6E8AE7'],
    ['4.6 256-bit KEK, 256-bit key', '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F', '00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F', '28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21'],
  ])('%s', (_name, kek, keyData, ciphertext) => {
    const wrappingKey = createSecretKey(hex(kek));
    expect(wrapKey(wrappingKey, hex(keyData))).toEqual(hex(ciphertext));
    expect(unwrapKey(wrappingKey, hex(ciphertext))).toEqual(hex(keyData));
  });

  it('unwraps the FORMAT.md §8.2 worked example (python/wrapped-aes-hmac-1.json)', () => {
    const wrapped = Buffer.from('E41C4Y3sSH3S4Gc5DBwv1Hk8tuUzsJ34JalqX4AJKFEY0sD76m1lVw==', 'base64');
    expect(wrapped.toString('hex')).toBe('138d42e18dec487dd2e067390c1c2fd4793cb6e533b09df825a96a5f8009285118d2c0fbea6d6557');
    expect(unwrapKey(vectorKey('aesKey').keyObject, wrapped).toString('hex')).toBe(
      'd10ceec5d93e36ce1515ff9c467d9ab846033e67ad1acd6e6caef53c0a7feebd',
    );
  });

  it('unwraps every env-key of the Java wrapped-aes-hmac vector to a 32-byte key', () => {
    const tables = ciphertextItems('java/wrapped-aes-hmac-1.json');
    let count = 0;
    for (const items of Object.values(tables)) {
      for (const item of items) {
        if (item['*amzn-ddb-map-desc*'] === undefined) continue;
        const description = parseDescription(binaryAttribute(item, '*amzn-ddb-map-desc*'));
        expect(description.get('amzn-ddb-wrap-alg')).toBe('AESWrap');
        const wrapped = Buffer.from(description.get('amzn-ddb-env-key')!.replace(/\s+/g, ''), 'base64');
        expect(unwrapKey(vectorKey('aesKey').keyObject, wrapped)).toHaveLength(32);
        count++;
      }
    }
    expect(count).toBeGreaterThan(0);
  });

  it('round-trips random keys under every KEK size', () => {
    for (const kekSize of [16, 24, 32]) {
      const wrappingKey = createSecretKey(randomBytes(kekSize));
      for (const keySize of [16, 24, 32, 64]) {
        const contentKey = randomBytes(keySize);
        const wrapped = wrapKey(wrappingKey, contentKey);
        expect(wrapped).toHaveLength(keySize + 8);
        expect(unwrapKey(wrappingKey, wrapped)).toEqual(contentKey);
      }
    }
  });

  it('fails the integrity check with a wrong key or a corrupted blob', () => {
    const wrapped = wrapKey(createSecretKey(KEK_256), randomBytes(32));
    expect(() => unwrapKey(createSecretKey(randomBytes(32)), wrapped)).toThrow(UnwrappingError);
    for (const position of [0, 7, 8, 39]) {
      const corrupted = Buffer.from(wrapped);
      corrupted[position] ^= 1;
      expect(() => unwrapKey(createSecretKey(KEK_256), corrupted, { tableName: 'T' })).toThrow(
        'AES key unwrap failed: wrong key or corrupted wrapped key (table "T")',
      );
    }
  });

  it('rejects wrapped blobs of invalid length', () => {
    for (const length of [0, 8, 16, 23, 25, 41]) {
      expect(() => unwrapKey(createSecretKey(KEK_256), new Uint8Array(length))).toThrow(UnwrappingError);
    }
  });

  it('rejects content keys that are not a multiple of 8 bytes, or shorter than 16', () => {
    for (const length of [0, 8, 15, 17, 31]) {
      expect(() => wrapKey(createSecretKey(KEK_256), new Uint8Array(length))).toThrow(InvalidArgumentError);
    }
  });

  it('rejects non-AES wrapping keys', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    expect(() => wrapKey(rsa, randomBytes(32))).toThrow(InvalidArgumentError);
    expect(() => wrapKey(createSecretKey(randomBytes(20)), randomBytes(32))).toThrow(InvalidArgumentError);
    expect(() => unwrapKey(createSecretKey(randomBytes(8)), randomBytes(40))).toThrow(InvalidArgumentError);
  });
});
