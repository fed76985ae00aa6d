import { createSecretKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { InvalidAlgorithmError, InvalidArgumentError } from '../../src/errors';
import { LocalKey } from '../../src/crypto/local-key';
import { vectorKey, vectorKeyBytes } from './helpers';

describe('LocalKey', () => {
  it('loads every vector key with its JCA algorithm and type', () => {
    expect(vectorKey('aesKey')).toMatchObject({ algorithm: 'AES', keyType: 'SYMMETRIC', symmetricKeySizeBytes: 16 });
    expect(vectorKey('hmacKey')).toMatchObject({ algorithm: 'HmacSHA256', keyType: 'SYMMETRIC', symmetricKeySizeBytes: 8 });
    expect(vectorKey('rsaEncPub')).toMatchObject({ algorithm: 'RSA', keyType: 'PUBLIC', modulusLengthBits: 2048 });
    expect(vectorKey('rsaEncPriv')).toMatchObject({ algorithm: 'RSA', keyType: 'PRIVATE', modulusLengthBits: 2048 });
    expect(vectorKey('rsaSignPub')).toMatchObject({ algorithm: 'SHA256withRSA', keyType: 'PUBLIC' });
    expect(vectorKey('rsaSignPriv')).toMatchObject({ algorithm: 'SHA256withRSA', keyType: 'PRIVATE' });
    expect(vectorKey('aesKey').keyObject).toBeInstanceOf(KeyObject);
    expect(vectorKey('aesKey').modulusLengthBits).toBeUndefined();
    expect(vectorKey('rsaEncPub').symmetricKeySizeBytes).toBeUndefined();
  });

  it.each([16, 24, 32])('accepts %i-byte AES keys', (size) => {
    const key = new LocalKey({ key: new Uint8Array(size), algorithm: 'AES', keyType: 'SYMMETRIC', encoding: 'RAW' });
    expect(key.keyObject.symmetricKeySize).toBe(size);
  });

  it.each([0, 1, 8, 15, 17, 31, 33, 64])('rejects %i-byte AES keys', (size) => {
    expect(
      () => new LocalKey({ key: new Uint8Array(size), algorithm: 'AES', keyType: 'SYMMETRIC', encoding: 'RAW' }),
    ).toThrow(InvalidArgumentError);
  });

  it.each(['HmacSHA224', 'HmacSHA256', 'HmacSHA384', 'HmacSHA512'])('accepts short and long %s keys', (algorithm) => {
    for (const size of [1, 8, 200]) {
      const key = new LocalKey({ key: new Uint8Array(size).fill(7), algorithm, keyType: 'SYMMETRIC', encoding: 'RAW' });
      expect(key.symmetricKeySizeBytes).toBe(size);
    }
  });

  it('rejects an empty HMAC key', () => {
    expect(
      () => new LocalKey({ key: new Uint8Array(0), algorithm: 'HmacSHA256', keyType: 'SYMMETRIC', encoding: 'RAW' }),
    ).toThrow(InvalidArgumentError);
    expect(() => LocalKey.fromKeyObject(createSecretKey(Buffer.alloc(0)), 'HmacSHA256')).toThrow(InvalidArgumentError);
  });

  it('rejects symmetric algorithms with asymmetric types or DER encoding', () => {
    const key = new Uint8Array(16);
    expect(() => new LocalKey({ key, algorithm: 'AES', keyType: 'PUBLIC', encoding: 'RAW' })).toThrow(InvalidArgumentError);
    expect(() => new LocalKey({ key, algorithm: 'AES', keyType: 'SYMMETRIC', encoding: 'DER' })).toThrow(InvalidArgumentError);
    expect(() => new LocalKey({ key, algorithm: 'HmacSHA256', keyType: 'PRIVATE', encoding: 'RAW' })).toThrow(
      InvalidArgumentError,
    );
  });

  it('rejects RSA algorithms with symmetric type, RAW encoding, PEM text or the wrong DER structure', () => {
    const spki = vectorKeyBytes('rsaEncPub');
    const pkcs8 = vectorKeyBytes('rsaEncPriv');
    for (const algorithm of ['RSA', 'SHA256withRSA']) {
      expect(() => new LocalKey({ key: spki, algorithm, keyType: 'SYMMETRIC', encoding: 'DER' })).toThrow(InvalidArgumentError);
      expect(() => new LocalKey({ key: spki, algorithm, keyType: 'PUBLIC', encoding: 'RAW' })).toThrow(InvalidArgumentError);
      // A private key in the public slot and vice versa: the DER structure does not match.
      expect(() => new LocalKey({ key: pkcs8, algorithm, keyType: 'PUBLIC', encoding: 'DER' })).toThrow(InvalidArgumentError);
      expect(() => new LocalKey({ key: spki, algorithm, keyType: 'PRIVATE', encoding: 'DER' })).toThrow(InvalidArgumentError);
    }
    const pem = Buffer.from(
      `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64')}\n-----END PUBLIC KEY-----\n`,
      'utf8',
    );
    expect(() => new LocalKey({ key: pem, algorithm: 'RSA', keyType: 'PUBLIC', encoding: 'DER' })).toThrow(InvalidArgumentError);
    expect(() => new LocalKey({ key: Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]), algorithm: 'RSA', keyType: 'PUBLIC', encoding: 'DER' })).toThrow(
      InvalidArgumentError,
    );
  });

  it('rejects non-RSA asymmetric keys under RSA algorithm names', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = ec.publicKey.export({ format: 'der', type: 'spki' });
    expect(() => new LocalKey({ key: der, algorithm: 'SHA256withRSA', keyType: 'PUBLIC', encoding: 'DER' })).toThrow(
      /must be an RSA key \(got ec\)/,
    );
    expect(() => LocalKey.fromKeyObject(ec.privateKey, 'RSA')).toThrow(InvalidArgumentError);
  });

  it('rejects unknown algorithms with an InvalidAlgorithmError naming the algorithm', () => {
    for (const algorithm of ['DES', 'HmacMD5', 'SHA1withRSA', 'aes', 'SHA256withECDSA']) {
      expect(() => new LocalKey({ key: new Uint8Array(16), algorithm, keyType: 'SYMMETRIC', encoding: 'RAW' })).toThrow(
        new InvalidAlgorithmError(`Unsupported key algorithm "${algorithm}"`),
      );
    }
  });

  it('rejects malformed options', () => {
    expect(() => new LocalKey(undefined as never)).toThrow(InvalidArgumentError);
    expect(() => new LocalKey({ key: new Uint8Array(16), algorithm: '', keyType: 'SYMMETRIC', encoding: 'RAW' })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new LocalKey({ key: 'abc' as never, algorithm: 'AES', keyType: 'SYMMETRIC', encoding: 'RAW' })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new LocalKey({ keyObject: {} as never, algorithm: 'AES' })).toThrow(InvalidArgumentError);
  });

  it('wraps existing KeyObjects, deriving the key type', () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(LocalKey.fromKeyObject(pair.publicKey, 'SHA512withRSA')).toMatchObject({ keyType: 'PUBLIC', modulusLengthBits: 1024 });
    expect(LocalKey.fromKeyObject(pair.privateKey, 'RSA').keyType).toBe('PRIVATE');
    expect(LocalKey.fromKeyObject(createSecretKey(Buffer.alloc(32)), 'AES').keyType).toBe('SYMMETRIC');
    expect(() => LocalKey.fromKeyObject(pair.publicKey, 'AES')).toThrow(InvalidArgumentError);
    expect(() => LocalKey.fromKeyObject(createSecretKey(Buffer.alloc(32)), 'RSA')).toThrow(InvalidArgumentError);
  });

  it('generates AES and HMAC keys', () => {
    for (const bits of [128, 192, 256]) {
      const key = LocalKey.generateAes(bits);
      expect(key).toMatchObject({ algorithm: 'AES', symmetricKeySizeBytes: bits / 8 });
    }
    const a = LocalKey.generateAes(256).keyObject.export();
    const b = LocalKey.generateAes(256).keyObject.export();
    expect(a.equals(b)).toBe(false);
    expect(LocalKey.generateHmac('HmacSHA384', 48)).toMatchObject({ algorithm: 'HmacSHA384', symmetricKeySizeBytes: 48 });
    expect(() => LocalKey.generateAes(64)).toThrow(InvalidArgumentError);
    expect(() => LocalKey.generateHmac('AES', 32)).toThrow(InvalidAlgorithmError);
    expect(() => LocalKey.generateHmac('HmacSHA256', 0)).toThrow(InvalidArgumentError);
  });

  it('is immutable', () => {
    const key = vectorKey('aesKey');
    expect(Object.isFrozen(key)).toBe(true);
    expect(() => {
      (key as { algorithm: string }).algorithm = 'HmacSHA256';
    }).toThrow(TypeError);
  });

  it('never shows key bytes in JSON, toString or inspect', () => {
    const material = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const key = new LocalKey({ key: material, algorithm: 'AES', keyType: 'SYMMETRIC', encoding: 'RAW' });
    const renderings = [JSON.stringify(key), String(key), inspect(key, { depth: 10, showHidden: true }), `${key}`];
    expect(JSON.parse(JSON.stringify(key))).toEqual({ algorithm: 'AES', keyType: 'SYMMETRIC' });
    expect(inspect(key)).toBe('LocalKey(AES, SYMMETRIC)');
    for (const text of renderings) {
      expect(text).not.toContain('00112233');
      expect(text).not.toContain(material.toString('base64').slice(0, 10));
    }
  });

  it('copies the key bytes: later changes to the caller buffer do not affect the key', () => {
    const material = Buffer.alloc(16, 1);
    const key = new LocalKey({ key: material, algorithm: 'AES', keyType: 'SYMMETRIC', encoding: 'RAW' });
    material.fill(2);
    expect(key.keyObject.export().equals(Buffer.alloc(16, 1))).toBe(true);
  });
});
