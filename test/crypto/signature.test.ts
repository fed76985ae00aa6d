import { createHash, createHmac, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { InvalidAlgorithmError, SigningError } from '../../src/errors';
import { LocalKey } from '../../src/crypto/local-key';
import { sign, verify } from '../../src/crypto/signature';
import { binaryAttribute, ciphertextItems, hex, vectorKey } from './helpers';

const sha256 = (data: string | Uint8Array): Buffer => createHash('sha256').update(data).digest();

/** Canonical serialization of an `N` value (FORMAT.md §2): tag 00 6e, u32 length, digits. */
function serializeNumber(digits: string): Buffer {
  const header = Buffer.from([0x00, 0x6e, 0, 0, 0, 0]);
  header.writeUInt32BE(digits.length, 2);
  return Buffer.concat([header, Buffer.from(digits, 'utf8')]);
}

describe('HMAC signature — FORMAT.md §5.4(b)', () => {
  const hmacKey = vectorKey('hmacKey');
  const digests = [
    'aafac16ac0741bfa5617cc2bb7972e9b3e76f0f48a1542851810da6ab8091df7',
    '68b8815929f486f9256521da66ed47aa69c5d5efd5e0d0346516ff7b59331ae8',
    'cb40e7dadc86161b9798de48512f332d21c141fcc1e28a086fde4a3375aab1b5',
    '706d0c815dc5b13af9034dcfc590ffad8c2b95306579827336f6a84497cec3f9',
  ];
  const stringToSign = hex(digests.join(''));
  const expected = '1d1e4fea4a33312aaab3eae70cc6828b2987f3ef8ec04573c76635dd9329e4ff';

  it('the listed digests are the hashes of the documented inputs', () => {
    const computed = Buffer.concat([
      sha256('TABLE>HashKeyOnly<TABLE'),
      sha256('hashKey'),
      sha256('PLAINTEXT'),
      sha256(hex('0073 00000003 466f6f')),
    ]);
    expect(computed).toEqual(stringToSign);
  });

  it('signs with the 8-byte key to the stored signature', () => {
    expect(hmacKey.symmetricKeySizeBytes).toBe(8);
    expect(sign(hmacKey, stringToSign).toString('hex')).toBe(expected);
    const item = ciphertextItems('python/static-aes-hmac-1.json').HashKeyOnly.find(
      (candidate) => (candidate.hashKey as { S?: string }).S === 'Foo',
    );
    expect(item).toBeDefined();
    expect(binaryAttribute(item!, '*amzn-ddb-map-sig*').toString('hex')).toBe(expected);
  });

  it('verifies the stored signature and rejects tampering', () => {
    const signature = hex(expected);
    expect(verify(hmacKey, stringToSign, signature)).toBe(true);
    const tamperedData = Buffer.from(stringToSign);
    tamperedData[0] ^= 1;
    expect(verify(hmacKey, tamperedData, signature)).toBe(false);
    const tamperedSignature = Buffer.from(signature);
    tamperedSignature[31] ^= 0x80;
    expect(verify(hmacKey, stringToSign, tamperedSignature)).toBe(false);
    expect(verify(hmacKey, stringToSign, signature.subarray(0, 31))).toBe(false);
    expect(verify(hmacKey, stringToSign, Buffer.concat([signature, Buffer.alloc(1)]))).toBe(false);
    expect(verify(hmacKey, stringToSign, new Uint8Array(0))).toBe(false);
  });

  it('ignores a signature-algorithm override for HMAC keys (as both reference clients do)', () => {
    expect(sign(hmacKey, stringToSign, 'SHA256withRSA').toString('hex')).toBe(expected);
    expect(verify(hmacKey, stringToSign, hex(expected), 'HmacSHA256')).toBe(true);
  });

  it.each([
    ['HmacSHA224', 'sha224', 28],
    ['HmacSHA256', 'sha256', 32],
    ['HmacSHA384', 'sha384', 48],
    ['HmacSHA512', 'sha512', 64],
  ])('%s uses %s', (algorithm, hash, length) => {
    const raw = Buffer.from('0001020304050607', 'hex');
    const key = new LocalKey({ key: raw, algorithm, keyType: 'SYMMETRIC', encoding: 'RAW' });
    const signature = sign(key, Buffer.from('data'));
    expect(signature.length).toBe(length);
    expect(signature).toEqual(createHmac(hash, raw).update('data').digest());
    expect(verify(key, Buffer.from('data'), signature)).toBe(true);
  });
});

describe('RSA signature', () => {
  const signKey = vectorKey('rsaSignPriv');
  const verifyKey = vectorKey('rsaSignPub');

  it('verifies a real Python-written item signature (wrapped-rsa-rsa-1, hashKey=0, rangeKey=1)', () => {
    const item = ciphertextItems('python/wrapped-rsa-rsa-1.json').TableName[0];
    expect(item.hashKey).toEqual({ N: '0' });
    expect(item.rangeKey).toEqual({ N: '1' });
    const stringToSign = Buffer.concat([
      sha256('TABLE>TableName<TABLE'),
      sha256('hashKey'), sha256('PLAINTEXT'), sha256(serializeNumber('0')),
      sha256('rangeKey'), sha256('PLAINTEXT'), sha256(serializeNumber('1')),
    ]);
    const signature = binaryAttribute(item, '*amzn-ddb-map-sig*');
    expect(verify(verifyKey, stringToSign, signature)).toBe(true);
    // RSASSA-PKCS1-v1_5 is deterministic: signing again gives the stored bytes.
    expect(sign(signKey, stringToSign).equals(signature)).toBe(true);
    const tampered = Buffer.from(stringToSign);
    tampered[stringToSign.length - 1] ^= 1;
    expect(verify(verifyKey, tampered, signature)).toBe(false);
  });

  it('round-trips and detects tampering of data or signature', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(), (data, position) => {
        const signature = sign(signKey, data);
        expect(signature.length).toBe(256);
        expect(verify(verifyKey, data, signature)).toBe(true);
        const badData = Buffer.from(data);
        badData[position % data.length] ^= 0x01;
        expect(verify(verifyKey, badData, signature)).toBe(false);
        const badSignature = Buffer.from(signature);
        badSignature[position % signature.length] ^= 0x01;
        expect(verify(verifyKey, data, badSignature)).toBe(false);
      }),
      { numRuns: 20 },
    );
  });

  it('returns false for malformed signatures instead of throwing', () => {
    const data = Buffer.from('data');
    expect(verify(verifyKey, data, new Uint8Array(0))).toBe(false);
    expect(verify(verifyKey, data, new Uint8Array(255))).toBe(false);
    expect(verify(verifyKey, data, new Uint8Array(257).fill(0xff))).toBe(false);
  });

  it('uses the hash named by the key algorithm or by the override', () => {
    const data = Buffer.from('data');
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const sha512Signer = LocalKey.fromKeyObject(pair.privateKey, 'SHA512withRSA');
    const sha256Verifier = LocalKey.fromKeyObject(pair.publicKey, 'SHA256withRSA');
    const plainRsaVerifier = LocalKey.fromKeyObject(pair.publicKey, 'RSA');
    const signature = sign(sha512Signer, data);
    expect(verify(sha256Verifier, data, signature)).toBe(false);
    expect(verify(sha256Verifier, data, signature, 'SHA512withRSA')).toBe(true);
    expect(verify(plainRsaVerifier, data, signature, 'SHA512withRSA')).toBe(true);
    expect(verify(plainRsaVerifier, data, signature, 'SHA384withRSA')).toBe(false);
    expect(sign(sha512Signer, data, 'SHA224withRSA').equals(signature)).toBe(false);
    expect(verify(plainRsaVerifier, data, sign(sha512Signer, data, 'SHA224withRSA'), 'SHA224withRSA')).toBe(true);
    // A private key contains its public key, so it can verify too.
    expect(verify(sha512Signer, data, signature)).toBe(true);
  });

  it('refuses to sign with a public key', () => {
    expect(() => sign(verifyKey, Buffer.from('data'))).toThrow(SigningError);
    expect(() => sign(vectorKey('rsaEncPub'), Buffer.from('data'), 'SHA256withRSA')).toThrow(SigningError);
  });

  it('rejects unknown or unusable signature algorithms', () => {
    const data = Buffer.from('data');
    expect(() => sign(signKey, data, 'SHA256withECDSA')).toThrow(new InvalidAlgorithmError('Unsupported signature algorithm "SHA256withECDSA"'));
    expect(() => verify(verifyKey, data, Buffer.alloc(256), 'HmacSHA256')).toThrow(InvalidAlgorithmError);
    expect(() => verify(verifyKey, data, Buffer.alloc(256), 'RSA')).toThrow(InvalidAlgorithmError);
    expect(() => verify(vectorKey('rsaEncPub'), data, Buffer.alloc(256))).toThrow(/does not name a signature hash/);
    expect(() => sign(vectorKey('rsaEncPriv'), data)).toThrow(InvalidAlgorithmError);
    expect(() => sign(vectorKey('aesKey'), data)).toThrow(InvalidAlgorithmError);
    expect(() => verify(vectorKey('aesKey'), data, Buffer.alloc(32))).toThrow(InvalidAlgorithmError);
  });
});
