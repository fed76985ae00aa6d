import { createDecipheriv, createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateVectors, type GenerateReport } from '../../src/cli/vectors/generate-vectors';
import { verifyVectors } from '../../src/cli/vectors/verify-vectors';
import { ITEM_VECTORS_DIR } from '../support/shared-vectors';

/**
 * `vectors generate` output must be readable by the other implementations, so besides running
 * our own verifier over it, one file is checked here against FORMAT.md with code that shares
 * nothing with src/: plain node:crypto and hand-written canonical bytes.
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
    expect(report.left.every((entry) => /AWS KMS/.test(entry.reason))).toBe(true);
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
    const signedNames = Object.keys(stored).filter((name) => !name.startsWith('*amzn-ddb-map-')).sort();
    const signPlain = new Set(['hashKey', 'rangeKey', 'version']);
    const parts = [sha256(Buffer.from('TABLE>TableName<TABLE'))];
    for (const name of signedNames) {
      parts.push(sha256(Buffer.from(name, 'utf8')));
      parts.push(sha256(Buffer.from(signPlain.has(name) ? 'PLAINTEXT' : 'ENCRYPTED')));
      parts.push(sha256(canonicalBytes(stored[name])));
    }
    const expected = createHmac('sha256', HMAC_KEY).update(Buffer.concat(parts)).digest('base64');
    expect(stored['*amzn-ddb-map-sig*'].B).toBe(expected);
    // Keys and the sign-only version stay plaintext.
    expect(stored.hashKey).toEqual({ N: '5' });
    expect(stored.version).toEqual({ N: '0' });
  });
});
