import { createSecretKey, randomBytes } from 'node:crypto';
import { InvalidAlgorithmError, InvalidArgumentError, UnwrappingError } from '../../src/errors';
import {
  aesEcbCipherName,
  aesWrapCipherName,
  hmacHash,
  parseWrappingTransformation,
  rsaSignatureHash,
} from '../../src/crypto/algorithms';
import { unwrapContentKey, wrapContentKey } from '../../src/crypto/key-wrapping';
import { LocalKey } from '../../src/crypto/local-key';
import { rsaOaepDecrypt } from '../../src/crypto/rsa-oaep';
import { rsaPkcs1Encrypt } from '../../src/crypto/rsa-pkcs1';
import { binaryAttribute, ciphertextItems, parseDescription, vectorKey } from './helpers';

describe('algorithm tables', () => {
  it('map JCA names to node names', () => {
    expect(['HmacSHA224', 'HmacSHA256', 'HmacSHA384', 'HmacSHA512'].map(hmacHash)).toEqual(['sha224', 'sha256', 'sha384', 'sha512']);
    expect(['SHA224withRSA', 'SHA256withRSA', 'SHA384withRSA', 'SHA512withRSA'].map(rsaSignatureHash)).toEqual([
      'sha224', 'sha256', 'sha384', 'sha512',
    ]);
    expect([16, 24, 32].map(aesEcbCipherName)).toEqual(['aes-128-ecb', 'aes-192-ecb', 'aes-256-ecb']);
    expect([16, 24, 32].map(aesWrapCipherName)).toEqual(['id-aes128-wrap', 'id-aes192-wrap', 'id-aes256-wrap']);
  });

  it('raise InvalidAlgorithmError naming the unknown algorithm', () => {
    expect(() => hmacHash('HmacMD5')).toThrow(new InvalidAlgorithmError('Unsupported HMAC algorithm "HmacMD5"'));
    expect(() => rsaSignatureHash('SHA1withRSA')).toThrow(/"SHA1withRSA"/);
    expect(() => aesEcbCipherName(20)).toThrow(InvalidAlgorithmError);
    expect(() => aesWrapCipherName(8)).toThrow(InvalidAlgorithmError);
    expect(() => hmacHash('toString')).toThrow(InvalidAlgorithmError);
  });

  it('decode wrapping transformations; OAEPWith<hash> always means MGF1-SHA-1', () => {
    expect(parseWrappingTransformation('AESWrap')).toEqual({ kind: 'AES_KEY_WRAP' });
    expect(parseWrappingTransformation('RSA')).toEqual({ kind: 'RSA_PKCS1_V1_5' });
    expect(parseWrappingTransformation('RSA/ECB/PKCS1Padding')).toEqual({ kind: 'RSA_PKCS1_V1_5' });
    expect(parseWrappingTransformation('RSA/ECB/OAEPPadding')).toEqual({ kind: 'RSA_OAEP', oaepHash: 'sha1', mgf1Hash: 'sha1' });
    for (const [name, hash] of [['SHA-1', 'sha1'], ['SHA-256', 'sha256'], ['SHA256', 'sha256'], ['SHA-384', 'sha384'], ['SHA-512', 'sha512']]) {
      expect(parseWrappingTransformation(`RSA/ECB/OAEPWith${name}AndMGF1Padding`)).toEqual({
        kind: 'RSA_OAEP',
        oaepHash: hash,
        mgf1Hash: 'sha1',
      });
    }
    for (const bad of ['aeswrap', 'RSA/ECB/OAEPWithMD5AndMGF1Padding', 'RSA/NONE/NoPadding', 'kms', '']) {
      expect(() => parseWrappingTransformation(bad)).toThrow(new InvalidAlgorithmError(`Unsupported wrapping algorithm "${bad}"`));
    }
    expect(() => parseWrappingTransformation('AES')).toThrow(/AES\/ECB key unwrapping .* is not supported/);
  });
});

describe('wrapContentKey / unwrapContentKey', () => {
  const aesKey = vectorKey('aesKey');
  const rsaPub = vectorKey('rsaEncPub');
  const rsaPriv = vectorKey('rsaEncPriv');

  it('AESWrap round-trips and unwraps the §8.2 example', () => {
    const contentKey = randomBytes(32);
    const wrapped = wrapContentKey(aesKey, 'AESWrap', contentKey);
    expect(wrapped).toHaveLength(40);
    expect(unwrapContentKey(aesKey, 'AESWrap', wrapped)).toEqual(contentKey);
    const example = Buffer.from('E41C4Y3sSH3S4Gc5DBwv1Hk8tuUzsJ34JalqX4AJKFEY0sD76m1lVw==', 'base64');
    expect(unwrapContentKey(aesKey, 'AESWrap', example).toString('hex')).toBe(
      'd10ceec5d93e36ce1515ff9c467d9ab846033e67ad1acd6e6caef53c0a7feebd',
    );
  });

  it('RSA-OAEP-SHA256/MGF1-SHA1 round-trips and matches the mixed-hash primitive', () => {
    const contentKey = randomBytes(32);
    const wrapped = wrapContentKey(rsaPub, 'RSA/ECB/OAEPWithSHA-256AndMGF1Padding', contentKey);
    expect(unwrapContentKey(rsaPriv, 'RSA/ECB/OAEPWithSHA-256AndMGF1Padding', wrapped)).toEqual(contentKey);
    expect(rsaOaepDecrypt(rsaPriv.keyObject, wrapped, { oaepHash: 'sha256', mgf1Hash: 'sha1' })).toEqual(contentKey);
    expect(() => unwrapContentKey(rsaPriv, 'RSA/ECB/OAEPWithSHA-512AndMGF1Padding', wrapped)).toThrow(UnwrappingError);
  });

  it('unwraps real Python OAEP items and old Java PKCS#1 items (transformation from the description or the key)', () => {
    const cases: Array<[string, number]> = [['python/wrapped-rsa-rsa-1.json', 0], ['java/wrapped-rsa-rsa-1.json', 0]];
    for (const entry of cases) {
      for (const item of Object.values(ciphertextItems(entry[0])).flat()) {
        if (item['*amzn-ddb-map-desc*'] === undefined) continue;
        const description = parseDescription(binaryAttribute(item, '*amzn-ddb-map-desc*'));
        const wrapped = Buffer.from(description.get('amzn-ddb-env-key')!.replace(/\s+/g, ''), 'base64');
        const contentKey = unwrapContentKey(rsaPriv, description.get('amzn-ddb-wrap-alg'), wrapped);
        expect([16, 32]).toContain(contentKey.length);
        entry[1]++;
      }
    }
    expect(cases.every(([, count]) => count > 0)).toBe(true);
  });

  it('with no transformation uses the key algorithm: RSA → PKCS#1 v1.5', () => {
    const contentKey = randomBytes(16);
    const wrapped = rsaPkcs1Encrypt(rsaPub.keyObject, contentKey);
    expect(unwrapContentKey(rsaPriv, undefined, wrapped)).toEqual(contentKey);
    expect(unwrapContentKey(rsaPriv, 'RSA/ECB/PKCS1Padding', wrapped)).toEqual(contentKey);
  });

  it('with no transformation and an AES key explains that AES/ECB unwrapping is unsupported', () => {
    expect(() => unwrapContentKey(aesKey, undefined, randomBytes(48))).toThrow(InvalidAlgorithmError);
    expect(() => unwrapContentKey(aesKey, undefined, randomBytes(48))).toThrow(/AES\/ECB key unwrapping/);
  });

  it('refuses to write PKCS#1 v1.5 and unknown transformations', () => {
    expect(() => wrapContentKey(rsaPub, 'RSA', randomBytes(32))).toThrow(InvalidAlgorithmError);
    expect(() => wrapContentKey(rsaPub, 'RSA/ECB/PKCS1Padding', randomBytes(32))).toThrow(InvalidAlgorithmError);
    expect(() => wrapContentKey(aesKey, 'AES/GCM/NoPadding', randomBytes(32))).toThrow(InvalidAlgorithmError);
    expect(() => unwrapContentKey(rsaPriv, 'kms', randomBytes(32))).toThrow(new InvalidAlgorithmError('Unsupported wrapping algorithm "kms"'));
  });

  it('rejects key/transformation mismatches', () => {
    expect(() => wrapContentKey(rsaPub, 'AESWrap', randomBytes(32))).toThrow(InvalidArgumentError);
    expect(() => wrapContentKey(vectorKey('hmacKey'), 'AESWrap', randomBytes(32))).toThrow(InvalidArgumentError);
    expect(() => wrapContentKey(aesKey, 'RSA/ECB/OAEPWithSHA-256AndMGF1Padding', randomBytes(32))).toThrow(InvalidArgumentError);
    expect(() => unwrapContentKey(rsaPub, 'RSA/ECB/OAEPWithSHA-256AndMGF1Padding', randomBytes(256))).toThrow(InvalidArgumentError);
    expect(() => unwrapContentKey(rsaPub, undefined, randomBytes(256))).toThrow(InvalidArgumentError);
    expect(() => unwrapContentKey(aesKey, 'RSA', randomBytes(256))).toThrow(InvalidArgumentError);
    const hmacAsAes = LocalKey.fromKeyObject(createSecretKey(Buffer.alloc(16)), 'HmacSHA256');
    expect(() => unwrapContentKey(hmacAsAes, 'AESWrap', randomBytes(40))).toThrow(InvalidArgumentError);
  });

  it('an RSA key under a signature algorithm name can wrap too (its algorithm is not the transformation)', () => {
    const signPub = vectorKey('rsaSignPub');
    const contentKey = randomBytes(32);
    const wrapped = wrapContentKey(signPub, 'RSA/ECB/OAEPWithSHA-256AndMGF1Padding', contentKey);
    expect(unwrapContentKey(rsaPriv, 'RSA/ECB/OAEPWithSHA-256AndMGF1Padding', wrapped)).toEqual(contentKey);
    // ...but with no transformation recorded, "SHA256withRSA" is not a wrapping algorithm.
    expect(() => unwrapContentKey(vectorKey('rsaSignPriv'), undefined, wrapped)).toThrow(InvalidAlgorithmError);
  });
});
