import { createDecipheriv } from 'node:crypto';
import { LocalKey } from '../../src/crypto/local-key';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import {
  DecryptionError,
  InvalidAlgorithmError,
  InvalidArgumentError,
  InvalidMaterialDescriptionError,
  UnsupportedOperationError,
  UnwrappingError,
} from '../../src/errors';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { MaterialDescriptionKeys } from '../../src/format/material-description-keys';
import { WrappedMaterialsProvider } from '../../src/providers/wrapped-provider';
import { rsaPkcs1Encrypt } from '../../src/crypto/rsa-pkcs1';
import { rawRsaEncrypt } from '../../src/crypto/rsa-raw';
import { vectorKey } from '../crypto/helpers';
import { TABLE, aesKey, caught, descriptionOf, hmacKey, makeConfig, withDescription } from '../support/item-encryptor-fixtures';

const ENV_KEY = MaterialDescriptionKeys.WRAPPED_KEY;
const ENV_ALG = MaterialDescriptionKeys.CONTENT_KEY_ALGORITHM;
const WRAP_ALG = MaterialDescriptionKeys.KEY_WRAPPING_ALGORITHM;
const RSA_OAEP = 'RSA/ECB/OAEPWithSHA-256AndMGF1Padding';
const AES_WRAP_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

const item = (): DynamoDbItem => ({ pk: { S: 'order-1' }, sk: { N: '3' }, total: { N: '12.5' }, note: { S: 'deliver to back door' } });

const aesProvider = (materialDescription?: Record<string, string>) =>
  new WrappedMaterialsProvider({ wrappingKey: aesKey(), unwrappingKey: aesKey(), signingKey: hmacKey(), materialDescription });

const rsaProvider = () =>
  new WrappedMaterialsProvider({
    wrappingKey: vectorKey('rsaEncPub'),
    unwrappingKey: vectorKey('rsaEncPriv'),
    signingKey: vectorKey('rsaSignPriv'),
  });

function unwrapWithNode(wrappingKey: Buffer, wrapped: Buffer): Buffer {
  const cipher = `id-aes${wrappingKey.length * 8}-wrap`;
  const decipher = createDecipheriv(cipher, wrappingKey, AES_WRAP_IV);
  return Buffer.concat([decipher.update(wrapped), decipher.final()]);
}

describe('WrappedMaterialsProvider', () => {
  describe('AES wrapping', () => {
    it('round-trips an item through the item encryptor', async () => {
      const config = makeConfig(aesProvider());
      const encrypted = await encryptDynamoDbItem(item(), config);
      expect(encrypted.note.B).toBeDefined();
      await expect(decryptDynamoDbItem(encrypted, config)).resolves.toEqual(item());
    });

    it('describes the item with a 40-byte AESWrap env-key, env-alg AES/256 and wrap-alg AESWrap', async () => {
      const encrypted = await encryptDynamoDbItem(item(), makeConfig(aesProvider()));
      const description = descriptionOf(encrypted);
      expect(description[ENV_ALG]).toBe('AES/256');
      expect(description[WRAP_ALG]).toBe('AESWrap');
      expect(description[ENV_KEY]).toMatch(/^[A-Za-z0-9+/]{54}==$/);
      expect(Buffer.from(description[ENV_KEY], 'base64')).toHaveLength(40);
      expect(description[MaterialDescriptionKeys.SYMMETRIC_ENCRYPTION_MODE]).toBe('/CBC/PKCS5Padding');
      expect(description[MaterialDescriptionKeys.SIGNING_ALGORITHM]).toBe('HmacSHA256');
    });

    it('wraps the very content key it hands out, with RFC 3394 under the wrapping key', async () => {
      const materials = await aesProvider().encryptionMaterials({ tableName: TABLE });
      const contentKey = materials.encryptionKey!.keyObject.export();
      expect(contentKey).toHaveLength(32);
      const wrapped = Buffer.from(materials.materialDescription[ENV_KEY], 'base64');
      expect(unwrapWithNode(Buffer.from(aesKey().keyObject.export()), wrapped)).toEqual(contentKey);
    });

    it('unwraps the FORMAT.md §8.2 worked example to the documented content key', async () => {
      const materials = await aesProvider().decryptionMaterials({
        tableName: 'HashKeyOnly',
        materialDescription: {
          [ENV_KEY]: 'E41C4Y3sSH3S4Gc5DBwv1Hk8tuUzsJ34JalqX4AJKFEY0sD76m1lVw==',
          [ENV_ALG]: 'AES/256',
          [WRAP_ALG]: 'AESWrap',
        },
      });
      expect(materials.decryptionKey!.keyObject.export().toString('hex')).toBe(
        'd10ceec5d93e36ce1515ff9c467d9ab846033e67ad1acd6e6caef53c0a7feebd',
      );
      expect(materials.verificationKey.algorithm).toBe('HmacSHA256');
    });

    it('uses a fresh content key for every item', async () => {
      const provider = aesProvider();
      const first = await provider.encryptionMaterials({ tableName: TABLE });
      const second = await provider.encryptionMaterials({ tableName: TABLE });
      expect(first.materialDescription[ENV_KEY]).not.toBe(second.materialDescription[ENV_KEY]);
      expect(first.encryptionKey!.keyObject.equals(second.encryptionKey!.keyObject)).toBe(false);
    });

    it('works with a 256-bit wrapping key too', async () => {
      const wrappingKey = LocalKey.generateAes(256);
      const provider = new WrappedMaterialsProvider({ wrappingKey, unwrappingKey: wrappingKey, signingKey: hmacKey() });
      const config = makeConfig(provider);
      await expect(decryptDynamoDbItem(await encryptDynamoDbItem(item(), config), config)).resolves.toEqual(item());
    });
  });

  describe('RSA-OAEP wrapping', () => {
    it('round-trips an item, with wrap-alg RSA/ECB/OAEPWithSHA-256AndMGF1Padding and a modulus-sized env-key', async () => {
      const config = makeConfig(rsaProvider());
      const encrypted = await encryptDynamoDbItem(item(), config);
      const description = descriptionOf(encrypted);
      expect(description[WRAP_ALG]).toBe(RSA_OAEP);
      expect(description[ENV_ALG]).toBe('AES/256');
      expect(Buffer.from(description[ENV_KEY], 'base64')).toHaveLength(256);
      expect(description[MaterialDescriptionKeys.SIGNING_ALGORITHM]).toBe('SHA256withRSA');
      await expect(decryptDynamoDbItem(encrypted, config)).resolves.toEqual(item());
    });

    it('an encrypt-only instance (public keys) writes what a decrypt-only instance (private key) reads', async () => {
      const writer = new WrappedMaterialsProvider({ wrappingKey: vectorKey('rsaEncPub'), signingKey: vectorKey('rsaSignPriv') });
      const reader = new WrappedMaterialsProvider({ unwrappingKey: vectorKey('rsaEncPriv'), signingKey: vectorKey('rsaSignPub') });
      const encrypted = await encryptDynamoDbItem(item(), makeConfig(writer));
      await expect(decryptDynamoDbItem(encrypted, makeConfig(reader))).resolves.toEqual(item());
    });
  });

  describe('content key size', () => {
    it.each([
      ['AES/128', 16, 24],
      ['AES/192', 24, 32],
      ['AES/256', 32, 40],
      ['AES', 32, 40],
    ])('env-alg %s configured gives %i-byte content keys wrapped to %i bytes', async (spec, keyBytes, wrappedBytes) => {
      const provider = aesProvider({ [ENV_ALG]: spec });
      const materials = await provider.encryptionMaterials({ tableName: TABLE });
      expect(materials.encryptionKey!.symmetricKeySizeBytes).toBe(keyBytes);
      expect(materials.materialDescription[ENV_ALG]).toBe(spec);
      expect(Buffer.from(materials.materialDescription[ENV_KEY], 'base64')).toHaveLength(wrappedBytes);
      const config = makeConfig(provider);
      const encrypted = await encryptDynamoDbItem(item(), config);
      expect(descriptionOf(encrypted)[ENV_ALG]).toBe(spec);
      await expect(decryptDynamoDbItem(encrypted, config)).resolves.toEqual(item());
    });

    it.each(['DES/56', 'AES/100', 'AES/512', 'AES/0', 'AES/abc', 'RC4', '/256', 'AES/'])(
      'refuses the content key %p at construction with InvalidAlgorithmError',
      (spec) => {
        expect(() => aesProvider({ [ENV_ALG]: spec })).toThrow(InvalidAlgorithmError);
      },
    );
  });

  describe('missing keys', () => {
    it('refuses to be built without a wrapping or an unwrapping key', () => {
      expect(() => new WrappedMaterialsProvider({ signingKey: hmacKey() })).toThrow(InvalidArgumentError);
    });

    it('without a wrappingKey it cannot encrypt (UnsupportedOperationError naming the table)', async () => {
      const provider = new WrappedMaterialsProvider({ unwrappingKey: aesKey(), signingKey: hmacKey() });
      await expect(provider.encryptionMaterials({ tableName: TABLE })).rejects.toThrow(UnsupportedOperationError);
      const error = await caught(() => encryptDynamoDbItem(item(), makeConfig(provider)));
      expect(error).toBeInstanceOf(UnsupportedOperationError);
      expect(error.message).toContain(`"${TABLE}"`);
    });

    it('without an unwrappingKey it cannot decrypt (UnsupportedOperationError naming the table)', async () => {
      const encrypted = await encryptDynamoDbItem(item(), makeConfig(aesProvider()));
      const provider = new WrappedMaterialsProvider({ wrappingKey: aesKey(), signingKey: hmacKey() });
      const error = await caught(() => decryptDynamoDbItem(encrypted, makeConfig(provider)));
      expect(error).toBeInstanceOf(UnsupportedOperationError);
      expect(error.message).toContain(`"${TABLE}"`);
    });

    it('refuses a wrapping key that is neither AES nor RSA', () => {
      expect(() => new WrappedMaterialsProvider({ wrappingKey: hmacKey(), signingKey: hmacKey() })).toThrow(InvalidAlgorithmError);
    });

    it('refuses an unknown configured wrapping algorithm at construction, not on the first item', () => {
      expect(() => aesProvider({ 'amzn-ddb-wrap-alg': 'Rot13' })).toThrow(InvalidAlgorithmError);
      expect(() => aesProvider({ 'amzn-ddb-wrap-alg': 'AES' })).toThrow(/AESWrap/);
    });
  });

  describe('unwrapping failures', () => {
    const otherAesKey = () => new LocalKey({ key: Buffer.alloc(16, 7), algorithm: 'AES', keyType: 'SYMMETRIC', encoding: 'RAW' });
    const wrongKeyProvider = () => new WrappedMaterialsProvider({ wrappingKey: otherAesKey(), unwrappingKey: otherAesKey(), signingKey: hmacKey() });

    it('a wrong AES unwrapping key raises UnwrappingError', async () => {
      const encrypted = await encryptDynamoDbItem(item(), makeConfig(aesProvider()));
      await expect(decryptDynamoDbItem(encrypted, makeConfig(wrongKeyProvider()))).rejects.toThrow(UnwrappingError);
    });

    it('the UnwrappingError names the table', async () => {
      const encrypted = await encryptDynamoDbItem(item(), makeConfig(aesProvider()));
      const error = await caught(() => decryptDynamoDbItem(encrypted, makeConfig(wrongKeyProvider())));
      expect(error).toBeInstanceOf(UnwrappingError);
      expect(error.message).toContain(`"${TABLE}"`);
    });

    it.each(['AES/128', 'AES/192'])('refuses env-alg %s when the unwrapped key has 256 bits', async (spec) => {
      const config = makeConfig(aesProvider());
      const encrypted = await encryptDynamoDbItem(item(), config);
      const tampered = withDescription(encrypted, { ...descriptionOf(encrypted), [ENV_ALG]: spec });
      const error = await caught(() => decryptDynamoDbItem(tampered, config));
      expect(error).toBeInstanceOf(InvalidMaterialDescriptionError);
      expect(error.message).toContain(`"${TABLE}"`);
    });

    it('refuses an env-alg naming another algorithm', async () => {
      const config = makeConfig(aesProvider());
      const encrypted = await encryptDynamoDbItem(item(), config);
      const tampered = withDescription(encrypted, { ...descriptionOf(encrypted), [ENV_ALG]: 'DESede/168' });
      await expect(decryptDynamoDbItem(tampered, config)).rejects.toThrow(InvalidAlgorithmError);
    });

    it('refuses a description with no env-key', async () => {
      const config = makeConfig(aesProvider());
      const encrypted = await encryptDynamoDbItem(item(), config);
      const { [ENV_KEY]: _removed, ...rest } = descriptionOf(encrypted);
      await expect(decryptDynamoDbItem(withDescription(encrypted, rest), config)).rejects.toThrow(InvalidMaterialDescriptionError);
    });

    it('reads a description with no env-alg as an AES key of any size, as the Python client does', async () => {
      for (const spec of ['AES/128', 'AES/256']) {
        const config = makeConfig(aesProvider({ [ENV_ALG]: spec }));
        const encrypted = await encryptDynamoDbItem(item(), config);
        const { [ENV_ALG]: _removed, ...rest } = descriptionOf(encrypted);
        await expect(decryptDynamoDbItem(withDescription(encrypted, rest), config)).resolves.toEqual(item());
      }
    });

    it('refuses an env-key that is not base64', async () => {
      const config = makeConfig(aesProvider());
      const encrypted = await encryptDynamoDbItem(item(), config);
      const tampered = withDescription(encrypted, { ...descriptionOf(encrypted), [ENV_KEY]: '!!!not base64!!!' });
      await expect(decryptDynamoDbItem(tampered, config)).rejects.toThrow(InvalidMaterialDescriptionError);
    });

    it('a legacy (PKCS#1 v1.5) env-key that does not conform, or conforms with the wrong length, fails like a wrong key: no oracle', async () => {
      const config = makeConfig(rsaProvider());
      const encrypted = await encryptDynamoDbItem(item(), config);
      const { [WRAP_ALG]: _oaep, ...legacy } = descriptionOf(encrypted); // no wrap-alg: the key's "RSA", PKCS#1 v1.5
      const publicKey = vectorKey('rsaEncPub').keyObject;
      const nonConforming = rawRsaEncrypt(publicKey, Buffer.concat([Buffer.from([0x00, 0x01]), Buffer.alloc(254, 0x55)]));
      const wrongLength = rsaPkcs1Encrypt(publicKey, Buffer.alloc(16, 7)); // env-alg says AES/256
      const errors = await Promise.all(
        [nonConforming, wrongLength].map((wrapped) => caught(() => decryptDynamoDbItem(withDescription(encrypted, { ...legacy, [ENV_KEY]: wrapped.toString('base64') }), config))),
      );
      // The class a wrong key gives (its message varies only as a wrong key's does: padding, or the value).
      for (const error of errors) expect(error).toBeInstanceOf(DecryptionError);
    });

    it('refuses an RSA-wrapped item when the reader only has an AES key', async () => {
      const encrypted = await encryptDynamoDbItem(item(), makeConfig(rsaProvider()));
      const reader = new WrappedMaterialsProvider({ unwrappingKey: aesKey(), signingKey: vectorKey('rsaSignPub') });
      await expect(decryptDynamoDbItem(encrypted, makeConfig(reader))).rejects.toThrow(InvalidArgumentError);
    });
  });

  describe('instances and descriptions', () => {
    it('items written by one instance decrypt with another built from the same keys', async () => {
      const writer = aesProvider();
      const reader = new WrappedMaterialsProvider({
        unwrappingKey: new LocalKey({ key: Buffer.from(aesKey().keyObject.export()), algorithm: 'AES', keyType: 'SYMMETRIC', encoding: 'RAW' }),
        signingKey: hmacKey(),
      });
      const encrypted = await encryptDynamoDbItem(item(), makeConfig(writer));
      await expect(decryptDynamoDbItem(encrypted, makeConfig(reader))).resolves.toEqual(item());
    });

    it('keeps custom description entries in the item, and the configured wrap-alg', async () => {
      const provider = aesProvider({ team: 'billing', 'region-hint': 'eu-west-1', [WRAP_ALG]: 'AESWrap' });
      const config = makeConfig(provider);
      const encrypted = await encryptDynamoDbItem(item(), config);
      const description = descriptionOf(encrypted);
      expect(description.team).toBe('billing');
      expect(description['region-hint']).toBe('eu-west-1');
      expect(description[WRAP_ALG]).toBe('AESWrap');
      await expect(decryptDynamoDbItem(encrypted, config)).resolves.toEqual(item());
    });

    it('replaces a configured env-key with the real wrapped key', async () => {
      const provider = aesProvider({ [ENV_KEY]: 'AAAA' });
      const materials = await provider.encryptionMaterials({ tableName: TABLE });
      expect(Buffer.from(materials.materialDescription[ENV_KEY], 'base64')).toHaveLength(40);
    });

    it('is not affected by later changes to the description object it was given', async () => {
      const configured: Record<string, string> = { team: 'billing' };
      const provider = aesProvider(configured);
      configured.team = 'changed';
      configured[ENV_ALG] = 'AES/128';
      const materials = await provider.encryptionMaterials({ tableName: TABLE });
      expect(materials.materialDescription.team).toBe('billing');
      expect(materials.encryptionKey!.symmetricKeySizeBytes).toBe(32);
    });
  });
});
