import { constants, generateKeyPairSync, privateDecrypt, randomBytes } from 'node:crypto';
import { InvalidArgumentError, UnwrappingError } from '../../src/errors';
import { rsaPkcs1Decrypt, rsaPkcs1DecryptContentKey, rsaPkcs1Encrypt } from '../../src/crypto/rsa-pkcs1';
import { rawRsaEncrypt } from '../../src/crypto/rsa-raw';
import { binaryAttribute, ciphertextItems, parseDescription, vectorKey } from './helpers';

const publicKey = vectorKey('rsaEncPub').keyObject;
const privateKey = vectorKey('rsaEncPriv').keyObject;
const FAILED = new UnwrappingError('RSA-PKCS1 unwrap failed');

describe('RSAES-PKCS1-v1_5', () => {
  it('node 20 refuses PKCS#1 v1.5 private decryption (why this module exists)', () => {
    const ciphertext = rsaPkcs1Encrypt(publicKey, Buffer.from('key'));
    expect(() => privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, ciphertext)).toThrow(
      /CVE-2023-46809|no longer supported/,
    );
  });

  it('unwraps every env-key of the old Java items (no wrap-alg, CRLF inside base64)', () => {
    const items = Object.values(ciphertextItems('java/wrapped-rsa-rsa-1.json'))
      .flat()
      .filter((item) => item['*amzn-ddb-map-desc*'] !== undefined);
    expect(items.length).toBeGreaterThan(5);
    let sawLineBreaks = false;
    for (const item of items) {
      const description = parseDescription(binaryAttribute(item, '*amzn-ddb-map-desc*'));
      expect(description.has('amzn-ddb-wrap-alg')).toBe(false);
      const encoded = description.get('amzn-ddb-env-key')!;
      sawLineBreaks ||= encoded.includes('\r\n');
      const wrapped = Buffer.from(encoded.replace(/\s+/g, ''), 'base64');
      expect(wrapped).toHaveLength(256);
      const contentKey = rsaPkcs1Decrypt(privateKey, wrapped);
      expect([16, 32]).toContain(contentKey.length);
    }
    expect(sawLineBreaks).toBe(true);
  });

  it('round-trips messages of every allowed length', () => {
    for (const length of [0, 1, 16, 32, 256 - 11]) {
      const message = randomBytes(length);
      expect(rsaPkcs1Decrypt(privateKey, rsaPkcs1Encrypt(publicKey, message))).toEqual(message);
    }
    expect(() => rsaPkcs1Encrypt(publicKey, new Uint8Array(256 - 10))).toThrow(InvalidArgumentError);
  });

  /** A hand-built EM with chosen structure, encrypted with raw RSA. */
  function rawBlock(build: (em: Buffer) => void): Buffer {
    const em = Buffer.alloc(256, 0x55);
    em[0] = 0x00;
    em[1] = 0x02;
    em[256 - 17] = 0x00;
    build(em);
    return rawRsaEncrypt(publicKey, em);
  }

  it('decodes a correctly hand-built block, including a minimal 8-byte padding string', () => {
    expect(rsaPkcs1Decrypt(privateKey, rawBlock(() => undefined))).toEqual(Buffer.alloc(16, 0x55));
    const minimal = rawBlock((em) => {
      em[256 - 17] = 0x55;
      em[10] = 0x00;
    });
    expect(rsaPkcs1Decrypt(privateKey, minimal)).toHaveLength(256 - 11);
  });

  it.each<[string, (em: Buffer) => void]>([
    ['leading byte not zero', (em) => { em[0] = 0x01; }],
    ['block type 1 instead of 2', (em) => { em[1] = 0x01; }],
    ['no zero separator', (em) => { em[256 - 17] = 0x55; }],
    ['padding string shorter than 8 bytes', (em) => { em[9] = 0x00; }],
    ['separator right after block type', (em) => { em[2] = 0x00; }],
  ])('%s → the single UnwrappingError', (_name, defect) => {
    expect(() => rsaPkcs1Decrypt(privateKey, rawBlock(defect))).toThrow(FAILED);
  });

  it('wrong length, out-of-range values and the wrong key give the same error', () => {
    const good = rsaPkcs1Encrypt(publicKey, randomBytes(32));
    for (const bad of [good.subarray(1), Buffer.concat([good, Buffer.alloc(1)]), Buffer.alloc(256, 0xff)]) {
      expect(() => rsaPkcs1Decrypt(privateKey, bad)).toThrow(FAILED);
    }
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    // With a wrong key the decoded block is random; it passes the checks with probability ~2^-16.
    expect(() => rsaPkcs1Decrypt(otherKey, good)).toThrow(FAILED);
  });

  it('requires a private RSA key', () => {
    expect(() => rsaPkcs1Decrypt(publicKey, Buffer.alloc(256))).toThrow(InvalidArgumentError);
  });
});

describe('RSAES-PKCS1-v1_5 content keys, with implicit rejection', () => {
  const AES_LENGTHS = [16, 24, 32];

  function rawBlock(build: (em: Buffer) => void): Buffer {
    const em = Buffer.alloc(256, 0x55);
    em[0] = 0x00;
    em[1] = 0x02;
    em[256 - 33] = 0x00; // a 32-byte message
    build(em);
    return rawRsaEncrypt(publicKey, em);
  }

  it('returns the real key when the block conforms and the key has an allowed length', () => {
    for (const length of AES_LENGTHS) {
      const contentKey = randomBytes(length);
      expect(rsaPkcs1DecryptContentKey(privateKey, rsaPkcs1Encrypt(publicKey, contentKey), AES_LENGTHS)).toEqual(contentKey);
    }
  });

  it.each<[string, Buffer]>([
    ['leading byte not zero', rawBlock((em) => { em[0] = 0x01; })],
    ['block type 1', rawBlock((em) => { em[1] = 0x01; })],
    ['no separator', rawBlock((em) => { em[256 - 33] = 0x55; })],
    ['padding string shorter than 8 bytes', rawBlock((em) => { em[5] = 0x00; })],
    ['a conforming block with a 20-byte message', rsaPkcs1Encrypt(publicKey, randomBytes(20))],
    ['a conforming block with a 16-byte message where only 32 is allowed', rsaPkcs1Encrypt(publicKey, randomBytes(16))],
    ['a value above the modulus', Buffer.alloc(256, 0xff)],
  ])('%s: no error, a synthetic key of an allowed length, the same for the same ciphertext', (label, ciphertext) => {
    const allowed = label.includes('only 32') ? [32] : AES_LENGTHS;
    const key = rsaPkcs1DecryptContentKey(privateKey, ciphertext, allowed);
    expect(allowed).toContain(key.length);
    expect(rsaPkcs1DecryptContentKey(privateKey, ciphertext, allowed)).toEqual(key);
  });

  it('never hands out the message of a conforming block of a length not allowed', () => {
    const message = randomBytes(16);
    const key = rsaPkcs1DecryptContentKey(privateKey, rsaPkcs1Encrypt(publicKey, message), [32]);
    expect(key).toHaveLength(32);
    expect(key.subarray(32 - 16)).not.toEqual(message);
    expect(key.subarray(0, 16)).not.toEqual(message);
  });

  it('gives different synthetic keys for different ciphertexts, and under different private keys', () => {
    const first = rsaPkcs1DecryptContentKey(privateKey, rawBlock((em) => { em[1] = 0x01; }), [32]);
    const second = rsaPkcs1DecryptContentKey(privateKey, rawBlock((em) => { em[1] = 0x03; }), [32]);
    expect(first).not.toEqual(second);
    const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const ciphertext = rawBlock((em) => { em[1] = 0x01; });
    expect(rsaPkcs1DecryptContentKey(otherKey, ciphertext, [32])).not.toEqual(rsaPkcs1DecryptContentKey(privateKey, ciphertext, [32]));
  });

  it('still refuses, with the single UnwrappingError, a ciphertext that is not one modulus long (public)', () => {
    expect(() => rsaPkcs1DecryptContentKey(privateKey, Buffer.alloc(255), AES_LENGTHS)).toThrow(FAILED);
  });
});

