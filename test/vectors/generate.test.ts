import { constants, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, privateDecrypt, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateVectors, type GenerateReport } from '../../src/cli/vectors/generate-vectors';
import { verifyVectors } from '../../src/cli/vectors/verify-vectors';
import { ITEM_VECTORS_DIR } from '../support/shared-vectors';

/**
 * `vectors generate` output must be readable by the other implementations, so besides running
 * our own verifier over it (which a bug mirrored in writer and reader would pass), one item of
 * each kind of scenario it writes is checked here against FORMAT.md with code that shares
 * nothing with src/: plain node:crypto, the keys as keys.json gives them, and hand-written
 * canonical bytes, key unwrapping and string to sign.
 */

type StoredValue = { N?: string; S?: string; B?: string };
type StoredItem = Record<string, StoredValue>;

const AES_KEY = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const HMAC_KEY = Buffer.from('0001020304050607', 'hex');
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();
const lengthPrefixed = (bytes: Buffer) => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};

/** FORMAT.md §2.1, for the simple types the sign-only attributes of these items use. */
function canonicalBytes(value: StoredValue): Buffer {
  if (value.B !== undefined) return Buffer.concat([Buffer.from([0, 0x62]), lengthPrefixed(Buffer.from(value.B, 'base64'))]);
  if (value.N !== undefined) return Buffer.concat([Buffer.from([0, 0x6e]), lengthPrefixed(Buffer.from(value.N, 'ascii'))]);
  if (value.S !== undefined) return Buffer.concat([Buffer.from([0, 0x73]), lengthPrefixed(Buffer.from(value.S, 'utf8'))]);
  throw new Error('unexpected type in this check');
}

/** FORMAT.md §3.1: version 0, then pairs. */
function parseDescription(bytes: Buffer): Array<[string, string]> {
  expect(bytes.readUInt32BE(0)).toBe(0);
  const pairs: Array<[string, string]> = [];
  let offset = 4;
  const text = () => {
    const length = bytes.readUInt32BE(offset);
    const value = bytes.subarray(offset + 4, offset + 4 + length).toString('utf8');
    offset += 4 + length;
    return value;
  };
  while (offset < bytes.length) pairs.push([text(), text()]);
  return pairs;
}

type VectorKey = { material: string };
const KEYS = JSON.parse(readFileSync(path.join(ITEM_VECTORS_DIR, 'keys.json'), 'utf8')) as Record<string, VectorKey>;
const keyBytes = (name: string) => Buffer.from(KEYS[name].material, 'base64');
const rsaPrivateKey = (name: string) => createPrivateKey({ key: keyBytes(name), format: 'der', type: 'pkcs8' });
const rsaPublicKey = (name: string) => createPublicKey({ key: keyBytes(name), format: 'der', type: 'spki' });

/** The mapper-style actions of the plaintext manifest's "encrypt" set: keys and version sign-only, the rest encrypted. */
const KEYS_AND_VERSION = new Set(['hashKey', 'rangeKey', 'version']);

function readItem(output: string, file: string, table: string, match: (item: StoredItem) => boolean): StoredItem {
  const tables = JSON.parse(readFileSync(path.join(output, 'ciphertext/typescript', file), 'utf8')) as Record<string, StoredItem[]>;
  const item = tables[table]?.find(match);
  expect(item).toBeDefined();
  return item as StoredItem;
}
const item57 = (item: StoredItem) => item.hashKey?.N === '5' && item.rangeKey?.N === '7';

function binary(value: StoredValue): Buffer {
  expect(value.B).toBeDefined();
  return Buffer.from(value.B as string, 'base64');
}

/** §3.1 pairs, after checking the base64 key value is standard base64 with padding (§3.2) of `wrappedLength` bytes. */
function descriptionWithWrappedKey(stored: StoredItem, wrappedLength: number): { pairs: Array<[string, string]>; wrappedKey: Buffer } {
  const pairs = parseDescription(binary(stored['*amzn-ddb-map-desc*']));
  const envKey = pairs.find(([name]) => name === 'amzn-ddb-env-key')?.[1] as string;
  expect(envKey).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
  const wrappedKey = Buffer.from(envKey, 'base64');
  expect(wrappedKey.toString('base64')).toBe(envKey);
  expect(wrappedKey.length).toBe(wrappedLength);
  return { pairs, wrappedKey };
}

/** §3.2 and §8.2: the pairs a Wrapped provider writes (Python's AES/256), sorted by name; meta-id for MetaStore materials. */
function wrappedDescription(wrappedKey: Buffer, signingAlgorithm: string, wrappingAlgorithm: string, metaId?: string): Array<[string, string]> {
  return [
    ['amzn-ddb-env-alg', 'AES/256'],
    ['amzn-ddb-env-key', wrappedKey.toString('base64')],
    ['amzn-ddb-map-signingAlg', signingAlgorithm],
    ['amzn-ddb-map-sym-mode', '/CBC/PKCS5Padding'],
    ...(metaId === undefined ? [] : [['amzn-ddb-meta-id', metaId] as [string, string]]),
    ['amzn-ddb-wrap-alg', wrappingAlgorithm],
  ];
}

/** §4: IV || AES-CBC/PKCS#7, AES size from the key. */
function aesCbcDecrypt(key: Buffer, value: StoredValue): Buffer {
  const stored = binary(value);
  const decipher = createDecipheriv(`aes-${key.length * 8}-cbc`, key, stored.subarray(0, 16));
  return Buffer.concat([decipher.update(stored.subarray(16)), decipher.final()]);
}

/** §8.2 AESWrap: RFC 3394 with the default IV A6A6A6A6A6A6A6A6 (node checks it on unwrap). */
function aesKeyUnwrap(kek: Buffer, wrapped: Buffer): Buffer {
  const decipher = createDecipheriv(`id-aes${kek.length * 8}-wrap`, kek, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
  try {
    return Buffer.concat([decipher.update(wrapped), decipher.final()]);
  } catch (cause) {
    throw new Error('RFC 3394 unwrap failed: wrong key, or the integrity value is not A6A6A6A6A6A6A6A6', { cause });
  }
}

/** MGF1 (RFC 8017 B.2.1) with SHA-1. */
function mgf1Sha1(seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * 20 < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash('sha1').update(seed).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((byte, index) => byte ^ b[index]));

/**
 * §8.2 `RSA/ECB/OAEPWithSHA-256AndMGF1Padding`: EME-OAEP decoding (RFC 8017 §7.1.2) with SHA-256
 * as the label hash but MGF1-SHA-1, empty label, around raw RSA.
 */
function rsaOaepSha256Mgf1Sha1Decrypt(key: KeyObject, ciphertext: Buffer): Buffer {
  const encoded = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, ciphertext);
  const hashLength = 32;
  expect(encoded[0]).toBe(0);
  const maskedSeed = encoded.subarray(1, 1 + hashLength);
  const maskedDb = encoded.subarray(1 + hashLength);
  const seed = xor(maskedSeed, mgf1Sha1(maskedDb, hashLength));
  const db = xor(maskedDb, mgf1Sha1(seed, maskedDb.length));
  expect(db.subarray(0, hashLength)).toEqual(sha256(Buffer.alloc(0)));
  let offset = hashLength;
  while (db[offset] === 0) offset++;
  expect(db[offset]).toBe(1);
  return db.subarray(offset + 1);
}

/** §5.1: the string to sign over the item as stored, names in code point order. */
function stringToSign(stored: StoredItem, tableName: string, signOnly: ReadonlySet<string>): Buffer {
  const signedNames = Object.keys(stored).filter((name) => !name.startsWith('*amzn-ddb-map-')).sort();
  const parts = [sha256(Buffer.from(`TABLE>${tableName}<TABLE`, 'utf8'))];
  for (const name of signedNames) {
    parts.push(sha256(Buffer.from(name, 'utf8')));
    parts.push(sha256(Buffer.from(signOnly.has(name) ? 'PLAINTEXT' : 'ENCRYPTED')));
    parts.push(sha256(canonicalBytes(stored[name])));
  }
  return Buffer.concat(parts);
}

/** §5.3: HMAC-SHA256 of the string to sign. */
function expectHmacSignature(stored: StoredItem, tableName: string, signOnly: ReadonlySet<string>, key: Buffer): void {
  const expected = createHmac('sha256', key).update(stringToSign(stored, tableName, signOnly)).digest('base64');
  expect(stored['*amzn-ddb-map-sig*'].B).toBe(expected);
}

/** §5.3: RSASSA-PKCS1-v1_5 with SHA-256 over the string to sign, 256 bytes for the 2048-bit vector key. */
function expectRsaSignature(stored: StoredItem, tableName: string, signOnly: ReadonlySet<string>, key: KeyObject): void {
  const signature = binary(stored['*amzn-ddb-map-sig*']);
  expect(signature.length).toBe(256);
  const data = stringToSign(stored, tableName, signOnly);
  expect(verify('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING }, signature)).toBe(true);
}

/** §2.1 for a B value of `length` bytes: returns the bytes. */
function binaryPayload(serialized: Buffer, length: number): Buffer {
  expect(serialized.subarray(0, 6).toString('hex')).toBe(`0062${length.toString(16).padStart(8, '0')}`);
  expect(serialized.length).toBe(6 + length);
  return serialized.subarray(6);
}

const INT_VALUE_123 = '006e00000003313233'; // §2.1: N "123"

describe('npm run vectors -- generate', () => {
  let output: string;
  let report: GenerateReport;

  beforeAll(async () => {
    output = mkdtempSync(path.join(tmpdir(), 'generated-vectors-'));
    report = await generateVectors(ITEM_VECTORS_DIR, output);
  });

  afterAll(() => rmSync(output, { recursive: true, force: true }));

  it('writes every offline scenario with keys to write with, and leaves out the KMS ones', () => {
    const written = report.written.map((entry) => entry.scenario);
    expect(written).toEqual(
      expect.arrayContaining(['python/static-aes-hmac-1.json', 'java/wrapped-rsa-rsa-1.json', 'python/metastore-data-tables-2.json', 'null-table-name']),
    );
    // The scenarios that need AWS KMS (the vectors README lists them), each left out with that reason.
    const kmsScenarios = ['python/aws-kms-direct-1.json', 'java/aws-kms-direct-1.json', 'java/aws-kms-aes128-1.json'];
    expect(report.left.map((entry) => entry.scenario)).toEqual(expect.arrayContaining(kmsScenarios));
    for (const entry of report.left) expect(entry.reason).toMatch(/AWS KMS/);
    for (const scenario of kmsScenarios) expect(written).not.toContain(scenario);
  });

  it('produces a vector directory that verifies, every item passing', async () => {
    // In memory: the MetaStore table names are signed, and the shared-vector test uses them in DynamoDB.
    const verified = await verifyVectors(output, { metaStoreBackend: { kind: 'offline' } });
    expect(verified.failed).toBe(0);
    expect(verified.skipped).toBe(0);
    expect(verified.passed).toBe(report.written.reduce((sum, entry) => sum + entry.items, 0));
  });

  it('writes items that are, byte for byte, what FORMAT.md describes', () => {
    const file = JSON.parse(readFileSync(path.join(output, 'ciphertext/typescript/python-static-aes-hmac-1.json'), 'utf8')) as Record<string, StoredItem[]>;
    const item = file.TableName.find((candidate) => candidate.hashKey.N === '5' && candidate.rangeKey.N === '7');
    expect(item).toBeDefined();
    const stored = item as StoredItem;

    // §3.3: Python's description for static AES + HMAC materials, pairs sorted by name.
    const description = parseDescription(Buffer.from(stored['*amzn-ddb-map-desc*'].B as string, 'base64'));
    expect(description).toEqual([
      ['amzn-ddb-map-signingAlg', 'HmacSHA256'],
      ['amzn-ddb-map-sym-mode', '/CBC/PKCS5Padding'],
    ]);

    // §4: IV || AES-CBC(canonical bytes); intValue holds N "123".
    const intValue = Buffer.from(stored.intValue.B as string, 'base64');
    const decipher = createDecipheriv('aes-128-cbc', AES_KEY, intValue.subarray(0, 16));
    const plaintext = Buffer.concat([decipher.update(intValue.subarray(16)), decipher.final()]);
    expect(plaintext.toString('hex')).toBe('006e00000003313233');
    expect(intValue.length).toBe(16 + 16);

    // §5.1: the string to sign, in code point order of names, and its HMAC-SHA256.
    expectHmacSignature(stored, 'TableName', KEYS_AND_VERSION, HMAC_KEY);
    // Keys and the sign-only version stay plaintext.
    expect(stored.hashKey).toEqual({ N: '5' });
    expect(stored.version).toEqual({ N: '0' });
  });

  it('wrapped, AESWrap + HmacSHA256 (java/wrapped-aes-hmac-1): unwraps with RFC 3394 under aesKey, decrypts, signs per FORMAT.md', () => {
    const stored = readItem(output, 'java-wrapped-aes-hmac-1.json', 'TableName', item57);
    // §8.2: a 32-byte content key wraps to 40 bytes; §3.2 keys, Python's AES/256, pairs sorted by name.
    const { pairs, wrappedKey } = descriptionWithWrappedKey(stored, 40);
    expect(pairs).toEqual(wrappedDescription(wrappedKey, 'HmacSHA256', 'AESWrap'));
    // The wrapping key is the 16-byte aesKey, so RFC 3394 with AES-128; the content key is AES-256.
    const contentKey = aesKeyUnwrap(AES_KEY, wrappedKey);
    expect(contentKey.length).toBe(32);
    expect(aesCbcDecrypt(contentKey, stored.intValue).toString('hex')).toBe(INT_VALUE_123);
    // Signed with the provider's HMAC key, which is not wrapped or recorded.
    expectHmacSignature(stored, 'TableName', KEYS_AND_VERSION, HMAC_KEY);
  });

  it('wrapped, RSA-OAEP + SHA256withRSA (python/wrapped-rsa-rsa-1): OAEP SHA-256 with MGF1-SHA-1 unwraps, PKCS#1 v1.5 signature verifies', () => {
    const stored = readItem(output, 'python-wrapped-rsa-rsa-1.json', 'TableName', item57);
    const { pairs, wrappedKey } = descriptionWithWrappedKey(stored, 256);
    expect(pairs).toEqual(wrappedDescription(wrappedKey, 'SHA256withRSA', 'RSA/ECB/OAEPWithSHA-256AndMGF1Padding'));
    const unwrappingKey = rsaPrivateKey('rsaEncPriv');
    const contentKey = rsaOaepSha256Mgf1Sha1Decrypt(unwrappingKey, wrappedKey);
    expect(contentKey.length).toBe(32);
    // §8.2: MGF1 with SHA-256 (what node's oaepHash alone gives) must not unwrap it.
    expect(() => privateDecrypt({ key: unwrappingKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrappedKey)).toThrow();
    expect(aesCbcDecrypt(contentKey, stored.intValue).toString('hex')).toBe(INT_VALUE_123);
    expectRsaSignature(stored, 'TableName', KEYS_AND_VERSION, rsaPublicKey('rsaSignPub'));
  });

  it('wrapped, AESWrap + SHA256withRSA (java/wrapped-aes-rsa-1): RFC 3394 content key, RSA signature', () => {
    const stored = readItem(output, 'java-wrapped-aes-rsa-1.json', 'TableName', item57);
    const { pairs, wrappedKey } = descriptionWithWrappedKey(stored, 40);
    expect(pairs).toEqual(wrappedDescription(wrappedKey, 'SHA256withRSA', 'AESWrap'));
    const contentKey = aesKeyUnwrap(AES_KEY, wrappedKey);
    expect(aesCbcDecrypt(contentKey, stored.intValue).toString('hex')).toBe(INT_VALUE_123);
    expectRsaSignature(stored, 'TableName', KEYS_AND_VERSION, rsaPublicKey('rsaSignPub'));
  });

  it('most_recent (python/metastore-data-tables-2): the MetaStore item opens with aesKey/hmacKey, its enc/int keys open the data item (§8.4)', () => {
    // The version item, static-protected, table "metastore", N and V sign-only (§8.4).
    const metaItem = readItem(output, 'python-metastore-aes-hmac-2.json', 'metastore', () => true);
    expect(metaItem.N).toEqual({ S: 'materialName' });
    expect(metaItem.V).toEqual({ N: '0' });
    expect(parseDescription(binary(metaItem['*amzn-ddb-map-desc*']))).toEqual([
      ['amzn-ddb-map-signingAlg', 'HmacSHA256'],
      ['amzn-ddb-map-sym-mode', '/CBC/PKCS5Padding'],
    ]);
    expectHmacSignature(metaItem, 'metastore', new Set(['N', 'V']), HMAC_KEY);
    const utf8 = (text: string) => Buffer.concat([Buffer.from([0, 0x73]), lengthPrefixed(Buffer.from(text, 'utf8'))]).toString('hex');
    expect(aesCbcDecrypt(AES_KEY, metaItem.t).toString('hex')).toBe(utf8('0'));
    expect(aesCbcDecrypt(AES_KEY, metaItem.encAlg).toString('hex')).toBe(utf8('AES'));
    expect(aesCbcDecrypt(AES_KEY, metaItem.intAlg).toString('hex')).toBe(utf8('HmacSHA256'));
    const enc = binaryPayload(aesCbcDecrypt(AES_KEY, metaItem.enc), 32);
    const int = binaryPayload(aesCbcDecrypt(AES_KEY, metaItem.int), 32);

    // A data item: wrapped under enc (AESWrap, AES-256), signed with int, carrying meta-id name#version.
    const stored = readItem(output, 'python-metastore-data-tables-2.json', 'TableName', item57);
    const { pairs, wrappedKey } = descriptionWithWrappedKey(stored, 40);
    expect(pairs).toEqual(wrappedDescription(wrappedKey, 'HmacSHA256', 'AESWrap', 'materialName#0'));
    const contentKey = aesKeyUnwrap(enc, wrappedKey);
    expect(aesCbcDecrypt(contentKey, stored.intValue).toString('hex')).toBe(INT_VALUE_123);
    expectHmacSignature(stored, 'TableName', KEYS_AND_VERSION, int);
  });

  it('most_recent with an RSA-wrapped MetaStore (java/metastore-data-tables-1): the version item unwraps with rsaEncPriv and verifies with rsaSignPub', () => {
    const metaItem = readItem(output, 'java-metastore-rsa-rsa-1.json', 'java-rsa-metatable', () => true);
    expect(metaItem.N).toEqual({ S: 'java-rsa-material-name' });
    expect(metaItem.V).toEqual({ N: '0' });
    const meta = descriptionWithWrappedKey(metaItem, 256);
    expect(meta.pairs).toEqual(wrappedDescription(meta.wrappedKey, 'SHA256withRSA', 'RSA/ECB/OAEPWithSHA-256AndMGF1Padding'));
    expectRsaSignature(metaItem, 'java-rsa-metatable', new Set(['N', 'V']), rsaPublicKey('rsaSignPub'));
    const metaContentKey = rsaOaepSha256Mgf1Sha1Decrypt(rsaPrivateKey('rsaEncPriv'), meta.wrappedKey);
    const enc = binaryPayload(aesCbcDecrypt(metaContentKey, metaItem.enc), 32);
    const int = binaryPayload(aesCbcDecrypt(metaContentKey, metaItem.int), 32);

    const stored = readItem(output, 'java-metastore-data-tables-1.json', 'TableName', item57);
    const { pairs, wrappedKey } = descriptionWithWrappedKey(stored, 40);
    expect(pairs).toEqual(wrappedDescription(wrappedKey, 'HmacSHA256', 'AESWrap', 'java-rsa-material-name#0'));
    expect(aesCbcDecrypt(aesKeyUnwrap(enc, wrappedKey), stored.intValue).toString('hex')).toBe(INT_VALUE_123);
    expectHmacSignature(stored, 'TableName', KEYS_AND_VERSION, int);
  });

  it('static with non-BMP description pairs (java/static-aes-hmac-nonbmp-desc-1): 4-byte UTF-8, pairs sorted by name (§3.1)', () => {
    const stored = readItem(output, 'java-static-aes-hmac-nonbmp-desc-1.json', 'TableName', item57);
    const pairs: Array<[string, string]> = [
      ['amzn-ddb-map-signingAlg', 'HmacSHA256'],
      ['amzn-ddb-map-sym-mode', '/CBC/PKCS5Padding'],
      ['emoji\u{1F511}key', 'value\u{1F512}lock'],
      ['\u03A8greek', '\u03A8value'],
      ['\u{1D11E}music', '\u{1D122}clef'],
    ];
    const expected = Buffer.concat([
      Buffer.alloc(4),
      ...pairs.flatMap(([name, value]) => [lengthPrefixed(Buffer.from(name, 'utf8')), lengthPrefixed(Buffer.from(value, 'utf8'))]),
    ]);
    expect(binary(stored['*amzn-ddb-map-desc*']).toString('hex')).toBe(expected.toString('hex'));
    expect(expected.includes(Buffer.from('f09d849e', 'hex'))).toBe(true); // U+1D11E as 4 UTF-8 bytes
    expect(aesCbcDecrypt(AES_KEY, stored.intValue).toString('hex')).toBe(INT_VALUE_123);
    expectHmacSignature(stored, 'TableName', KEYS_AND_VERSION, HMAC_KEY);
  });

  it('static with a list of maps (java/static-aes-hmac-complex-1): complexValue decrypts to the §2.5 bytes', () => {
    const stored = readItem(output, 'java-static-aes-hmac-complex-1.json', 'TableName', item57);
    const complexValue = [
      '004c00000001',
      '004d00000001',
      '00730000000474616773', // "tags"
      '005300000003',
      '000000056170706c65', // "apple"
      '0000000662616e616e61', // "banana"
      '00000006636865727279', // "cherry"
    ].join('');
    expect(aesCbcDecrypt(AES_KEY, stored.complexValue).toString('hex')).toBe(complexValue);
    expectHmacSignature(stored, 'TableName', KEYS_AND_VERSION, HMAC_KEY);
  });

  it('static without a table name (null-table-name): signed over "TABLE>null<TABLE", as Java does (§5.1)', () => {
    const stored = readItem(output, 'java-static-aes-hmac-null-table-1.json', 'TableName', item57);
    expect(aesCbcDecrypt(AES_KEY, stored.intValue).toString('hex')).toBe(INT_VALUE_123);
    expectHmacSignature(stored, 'null', KEYS_AND_VERSION, HMAC_KEY);
  });
});
