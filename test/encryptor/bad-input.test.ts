/**
 * Bad input, on write and on read: each case raises a typed DynamoDbEncryptionError whose
 * message names the attribute and/or the table and never carries a plaintext value.
 */
import { createDecipheriv, randomBytes } from 'node:crypto';
import { LocalKey } from '../../src/crypto/local-key';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { MAX_ITEM_SIZE_BYTES, itemSizeBytes } from '../../src/encryptor/item-size';
import { tableBlockText } from '../../src/encryptor/string-to-sign';
import {
  DecryptionError,
  DynamoDbEncryptionError,
  EncryptionError,
  InvalidAlgorithmError,
  InvalidArgumentError,
  InvalidMaterialDescriptionError,
  SerializationError,
  SignatureVerificationError,
  SigningError,
} from '../../src/errors';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { serializeMaterialDescription } from '../../src/format/material-description';
import { MaterialDescriptionKeys } from '../../src/format/material-description-keys';
import { WrappedMaterialsProvider } from '../../src/providers/wrapped-provider';
import {
  DESC,
  SIG,
  TABLE,
  aesKey,
  caught,
  cloneItem,
  descriptionOf,
  exposedText,
  hmacKey,
  keyedActions,
  makeConfig,
  signByHand,
  staticProvider,
  withDescription,
} from '../support/item-encryptor-fixtures';

const SECRET = 'SECRET-VALUE-1234';
const SECRET_2 = 'SECRET-VALUE-5678';
const SECRETS = [SECRET, SECRET_2];

type ErrorClass = abstract new (...args: never[]) => DynamoDbEncryptionError;

/** The error is of `type`, names what it should, and leaks no secret in its message or cause. */
function expectSafeError(error: Error, type: ErrorClass, names: { attribute?: string; table?: boolean }): void {
  expect(error).toBeInstanceOf(type);
  expect(error).toBeInstanceOf(DynamoDbEncryptionError);
  if (names.attribute !== undefined) expect(error.message).toContain(`attribute "${names.attribute}"`);
  if (names.table === true) expect(error.message).toContain(`table "${TABLE}"`);
  for (const secret of SECRETS) {
    expect(error.message).not.toContain(secret);
    expect(String(error.cause ?? '')).not.toContain(secret);
    expect(exposedText(error)).not.toContain(secret);
  }
}

/** `encrypted` is ENCRYPT_AND_SIGN (the default), `signed` SIGN_ONLY, keys SIGN_ONLY. */
const actions = () => keyedActions({ signed: CryptoAction.SIGN_ONLY });
const config = () => makeConfig(staticProvider(), actions());
const validItem = (): DynamoDbItem => ({
  pk: { S: 'customer-1' },
  sk: { N: '1' },
  encrypted: { S: SECRET },
  signed: { S: SECRET_2 },
});

async function encryptFails(item: unknown): Promise<Error> {
  return caught(() => encryptDynamoDbItem(item as DynamoDbItem, config()));
}

describe('bad input on encrypt', () => {
  describe('malformed items', () => {
    it.each([
      ['a string', SECRET],
      ['null', null],
      ['an array', [{ S: SECRET }]],
      ['a number', 42],
    ])('refuses an item that is %s, naming the table', async (_label, item) => {
      expectSafeError(await encryptFails(item), InvalidArgumentError, { table: true });
    });

    it.each([
      ['a bare string', SECRET],
      ['null', null],
      ['an array', [SECRET]],
      ['a number', 1234],
    ])('refuses an attribute value that is %s, naming the attribute and the table', async (_label, value) => {
      expectSafeError(await encryptFails({ ...validItem(), broken: value }), InvalidArgumentError, { attribute: 'broken', table: true });
    });

    // Each bad value is tried as an ENCRYPT_AND_SIGN attribute and as a SIGN_ONLY attribute (two code paths).
    const badValues: Array<[string, unknown]> = [
      ['an object with no type field', { X: SECRET }],
      ['two type fields', { S: SECRET, N: '1' }],
      ['two type fields (S and B)', { S: SECRET, B: new Uint8Array([1]) }],
      ['NULL false', { NULL: false }],
      ['an SS with duplicates', { SS: [SECRET, SECRET] }],
      ['an NS with duplicates after normalization', { NS: ['1', '1.0'] }],
      ['a BS with duplicates', { BS: [Buffer.from(SECRET), Buffer.from(SECRET)] }],
      ['number text "abc"', { N: 'abc' }],
      ['number text "1e999"', { N: '1e999' }],
      ['number text holding the secret', { N: SECRET }],
      ['an NS member "1e999"', { NS: ['1', '1e999'] }],
      ['an S with a lone surrogate', { S: `${SECRET}\uD800` }],
      ['a BOOL that is a string', { BOOL: SECRET }],
      ['an SS that is a string', { SS: SECRET }],
      ['an L holding a bad element', { L: [{ S: 'ok' }, { N: SECRET }] }],
      ['an M holding a bad value', { M: { inner: { NULL: false }, other: { S: SECRET } } }],
    ];

    it.each(badValues)('refuses %s in an ENCRYPT_AND_SIGN attribute', async (_label, value) => {
      const error = await encryptFails({ ...validItem(), encrypted: value });
      expectSafeError(error, SerializationError, { attribute: 'encrypted', table: true });
    });

    it.each(badValues)('refuses %s in a SIGN_ONLY attribute', async (_label, value) => {
      const error = await encryptFails({ ...validItem(), signed: value });
      expectSafeError(error, SerializationError, { attribute: 'signed', table: true });
    });

    it('does not echo an invalid number in the message', async () => {
      const error = await encryptFails({ ...validItem(), encrypted: { N: '1e999' } });
      expect(error.message).not.toContain('1e999');
    });

    // Regression: the binary fast path of the string to sign once hashed a string B value as if
    // it were bytes, signing bytes no reference client would produce.
    it('refuses a SIGN_ONLY B value that is a string, not bytes', async () => {
      const error = await encryptFails({ ...validItem(), signed: { B: SECRET } });
      expectSafeError(error, SerializationError, { attribute: 'signed', table: true });
    });

    it('refuses a B value that is a string in an ENCRYPT_AND_SIGN attribute', async () => {
      const error = await encryptFails({ ...validItem(), encrypted: { B: SECRET } });
      expectSafeError(error, SerializationError, { attribute: 'encrypted', table: true });
    });
  });

  describe('reserved attribute names', () => {
    it.each([SIG, DESC])('refuses a plaintext item holding %s', async (name) => {
      const error = await encryptFails({ ...validItem(), [name]: { B: Buffer.from(SECRET) } });
      expectSafeError(error, InvalidArgumentError, { attribute: name, table: true });
    });

    it('refuses it even when every action is DO_NOTHING', async () => {
      const doNothing = makeConfig(staticProvider(), new AttributeActions({ defaultAction: CryptoAction.DO_NOTHING }));
      const error = await caught(() => encryptDynamoDbItem({ ...validItem(), [SIG]: { S: SECRET } }, doNothing));
      expectSafeError(error, InvalidArgumentError, { attribute: SIG, table: true });
    });
  });

  describe('key attributes', () => {
    it.each([
      ['BOOL', { BOOL: true }],
      ['M', { M: { inner: { S: SECRET } } }],
      ['SS', { SS: [SECRET] }],
      ['NULL', { NULL: true }],
      ['two types', { S: SECRET, N: '1' }],
    ])('refuses a partition key of type %s, naming it and the table', async (_label, value) => {
      expectSafeError(await encryptFails({ ...validItem(), pk: value }), InvalidArgumentError, { attribute: 'pk', table: true });
    });

    it('refuses a sort key of type BOOL', async () => {
      expectSafeError(await encryptFails({ ...validItem(), sk: { BOOL: false } }), InvalidArgumentError, { attribute: 'sk', table: true });
    });

    it.each(['pk', 'sk'])('refuses an item without the key attribute %s', async (keyName) => {
      const item = validItem();
      delete item[keyName];
      expectSafeError(await encryptFails(item), InvalidArgumentError, { attribute: keyName, table: true });
    });
  });

  describe('the DynamoDB item size limit', () => {
    it('refuses an item that grows past 400 KB when encrypted, naming the table', async () => {
      // The brief's 399,000-character example stays under the limit (the encrypted item is
      // about 399.2 KB of 409,600 bytes), so the value is sized to cross the limit only once
      // the IV, padding, description and signature are added.
      const item: DynamoDbItem = {
        pk: { S: 'customer-1' },
        sk: { N: '1' },
        encrypted: { S: SECRET + 'x'.repeat(MAX_ITEM_SIZE_BYTES - 120) },
      };
      expect(itemSizeBytes(item)).toBeLessThan(MAX_ITEM_SIZE_BYTES);
      const error = await encryptFails(item);
      expectSafeError(error, EncryptionError, { table: true });
      expect(error.message).toMatch(/400|409600/);
    });

    it('accepts an item that stays under the limit once encrypted', async () => {
      const item: DynamoDbItem = { pk: { S: 'customer-1' }, sk: { N: '1' }, encrypted: { S: 'x'.repeat(399_000) } };
      const encrypted = await encryptDynamoDbItem(item, config());
      expect(itemSizeBytes(encrypted)).toBeLessThanOrEqual(MAX_ITEM_SIZE_BYTES);
      expect(itemSizeBytes(encrypted)).toBeGreaterThan(itemSizeBytes(item));
    });
  });

  it('refuses an ENCRYPT_AND_SIGN partition key in the configuration before looking at the item', async () => {
    const bad = makeConfig(staticProvider(), new AttributeActions({ attributeActions: { sk: CryptoAction.SIGN_ONLY } }));
    const error = await caught(() => encryptDynamoDbItem(validItem(), bad));
    expectSafeError(error, InvalidArgumentError, { attribute: 'pk', table: true });
  });

  it('refuses materials whose signing key cannot sign (an AES key), naming the table', async () => {
    // RawEncryptionMaterials already refuses such a key: this is a provider of its own making.
    const provider = {
      encryptionMaterials: async () => ({ encryptionKey: aesKey(), signingKey: aesKey(), materialDescription: {} }),
      decryptionMaterials: async () => {
        throw new Error('not used');
      },
    };
    const error = await caught(() => encryptDynamoDbItem(validItem(), makeConfig(provider)));
    expectSafeError(error, SigningError, { table: true });
  });
});

describe('bad input on decrypt', () => {
  let stored: DynamoDbItem;
  beforeAll(async () => {
    stored = await encryptDynamoDbItem(validItem(), config());
  });

  async function decryptFails(item: unknown, cfg = config()): Promise<Error> {
    return caught(() => decryptDynamoDbItem(item as DynamoDbItem, cfg));
  }

  it('decrypts the unmodified fixture (sanity check)', async () => {
    await expect(decryptDynamoDbItem(stored, config())).resolves.toEqual(validItem());
  });

  it.each([
    ['a string', SECRET],
    ['null', null],
    ['an array', [SECRET]],
  ])('refuses an item that is %s', async (_label, item) => {
    expectSafeError(await decryptFails(item), InvalidArgumentError, { table: true });
  });

  it('refuses an attribute value that is not an AttributeValue', async () => {
    expectSafeError(await decryptFails({ ...stored, extra: SECRET }), InvalidArgumentError, { attribute: 'extra', table: true });
  });

  it('refuses an item without a signature', async () => {
    const { [SIG]: _signature, ...item } = stored;
    expectSafeError(await decryptFails(item), SignatureVerificationError, { attribute: SIG, table: true });
  });

  it('refuses an item without a material description when it has encrypted attributes', async () => {
    const { [DESC]: _description, ...item } = stored;
    expectSafeError(await decryptFails(item), SignatureVerificationError, { attribute: DESC, table: true });
  });

  it.each([
    ['S', { S: SECRET }],
    ['N', { N: '1' }],
    ['BS', { BS: [new Uint8Array([1])] }],
  ])('refuses a signature of type %s', async (_label, value) => {
    expectSafeError(await decryptFails({ ...stored, [SIG]: value }), SignatureVerificationError, { attribute: SIG, table: true });
  });

  it('refuses a material description of type S', async () => {
    expectSafeError(await decryptFails({ ...stored, [DESC]: { S: 'x' } }), SignatureVerificationError, { attribute: DESC, table: true });
  });

  it('refuses a signature of the wrong length or value', async () => {
    const short = Buffer.from(stored[SIG].B!).subarray(0, 31);
    expectSafeError(await decryptFails({ ...stored, [SIG]: { B: short } }), SignatureVerificationError, { table: true });
    const flipped = Buffer.from(stored[SIG].B!);
    flipped[0] ^= 0x80;
    expectSafeError(await decryptFails({ ...stored, [SIG]: { B: flipped } }), SignatureVerificationError, { table: true });
  });

  describe('malformed material descriptions', () => {
    const versionOne = () => {
      const bytes = serializeMaterialDescription(descriptionOf(stored));
      bytes.writeUInt32BE(1, 0);
      return bytes;
    };

    it.each([
      ['version 1', () => versionOne()],
      ['truncated inside a pair', () => serializeMaterialDescription(descriptionOf(stored)).subarray(0, 30)],
      ['truncated inside the version', () => Buffer.from([0, 0])],
      ['a name without a value', () => Buffer.concat([Buffer.alloc(4), Buffer.from([0, 0, 0, 1]), Buffer.from('a')])],
      ['a length past the end', () => Buffer.from([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])],
    ])('refuses a description with %s', async (_label, bytes) => {
      const error = await decryptFails({ ...stored, [DESC]: { B: bytes() } });
      expectSafeError(error, InvalidMaterialDescriptionError, { attribute: DESC, table: true });
    });
  });

  it('refuses an unknown amzn-ddb-map-sym-mode with DecryptionError naming the attribute', async () => {
    const item = withDescription(stored, { ...descriptionOf(stored), [MaterialDescriptionKeys.SYMMETRIC_ENCRYPTION_MODE]: '/ECB/NoPadding' });
    expectSafeError(await decryptFails(item), DecryptionError, { attribute: 'encrypted', table: true });
  });

  it('refuses a missing amzn-ddb-map-sym-mode with DecryptionError naming the attribute', async () => {
    const { [MaterialDescriptionKeys.SYMMETRIC_ENCRYPTION_MODE]: _mode, ...rest } = descriptionOf(stored);
    expectSafeError(await decryptFails(withDescription(stored, rest)), DecryptionError, { attribute: 'encrypted', table: true });
  });

  describe('an unknown wrapping algorithm in the description', () => {
    const wrappedConfig = () =>
      makeConfig(new WrappedMaterialsProvider({ wrappingKey: aesKey(), unwrappingKey: aesKey(), signingKey: hmacKey() }), actions());
    const rot13Item = async () => {
      const item = await encryptDynamoDbItem(validItem(), wrappedConfig());
      return withDescription(item, { ...descriptionOf(item), [MaterialDescriptionKeys.KEY_WRAPPING_ALGORITHM]: 'Rot13' });
    };

    it('raises InvalidAlgorithmError without leaking values', async () => {
      const error = await decryptFails(await rot13Item(), wrappedConfig());
      expectSafeError(error, InvalidAlgorithmError, {});
      expect(error.message).toContain('Rot13');
    });

    it('names the table', async () => {
      const error = await decryptFails(await rot13Item(), wrappedConfig());
      expectSafeError(error, InvalidAlgorithmError, { table: true });
    });
  });

  describe('key attributes', () => {
    it.each([
      ['BOOL', { BOOL: true }],
      ['M', { M: { inner: { S: SECRET } } }],
    ])('refuses a stored partition key of type %s', async (_label, value) => {
      expectSafeError(await decryptFails({ ...stored, pk: value }), InvalidArgumentError, { attribute: 'pk', table: true });
    });

    it('refuses a stored item without its partition key', async () => {
      const { pk: _pk, ...item } = stored;
      expectSafeError(await decryptFails(item), InvalidArgumentError, { attribute: 'pk', table: true });
    });
  });

  it('refuses a malformed SIGN_ONLY value (a set with duplicates), naming it', async () => {
    const error = await decryptFails({ ...stored, signed: { SS: [SECRET, SECRET] } });
    expectSafeError(error, SignatureVerificationError, { attribute: 'signed', table: true });
  });

  // Regression: this once escaped as a bare SerializationError naming neither attribute nor table
  // (the Java-ordering check ran before the per-attribute error wrapping in verifySignature).
  it('refuses a SIGN_ONLY value with two type fields, naming the attribute and the table', async () => {
    const error = await decryptFails({ ...stored, signed: { S: SECRET, N: '1' } });
    expectSafeError(error, SignatureVerificationError, { attribute: 'signed', table: true });
  });

  describe('nothing is returned half-decrypted', () => {
    const signOnlyAll = () =>
      keyedActions({ signed: CryptoAction.SIGN_ONLY, first: CryptoAction.ENCRYPT_AND_SIGN, second: CryptoAction.ENCRYPT_AND_SIGN });

    /** Same HMAC key on both sides, a different AES key for reading: signatures verify, decryption does not. */
    const readerKey = () => new LocalKey({ key: Buffer.alloc(16, 0x5a), algorithm: 'AES', keyType: 'SYMMETRIC', encoding: 'RAW' });
    const wrongKeyConfig = () => makeConfig(staticProvider({ encryptionKey: aesKey(), decryptionKey: readerKey() }), actions());

    it('rejects as a whole when the signature verifies but the decryption key is wrong', async () => {
      const cfg = wrongKeyConfig();
      const item = await encryptDynamoDbItem(validItem(), cfg);
      const before = cloneItem(item);
      const error = await decryptFails(item, cfg);
      expectSafeError(error, DecryptionError, { attribute: 'encrypted', table: true });
      expect(item).toEqual(before);
    });

    it('rejects, with the same DecryptionError, a wrong key whose output happens to have valid padding', async () => {
      // About one value in 256 under a wrong key: the padding checks out and only the
      // deserializer can tell. Built on purpose rather than waited for: a random ciphertext
      // block C and the IV that makes C decrypt, under the reader's key, to a block ending in
      // 0x01 (valid padding) and starting with 0xff (no valid type header); signed with the
      // shared HMAC key.
      const cfg = wrongKeyConfig();
      const written = await encryptDynamoDbItem(validItem(), cfg);
      const { [SIG]: _sig, [DESC]: _desc, ...attributes } = written;
      const ciphertextBlock = randomBytes(16);
      const decipher = createDecipheriv('aes-128-ecb', readerKey().keyObject, null).setAutoPadding(false);
      const rawBlock = decipher.update(ciphertextBlock);
      const plaintextBlock = Buffer.alloc(16, 0xff);
      plaintextBlock[15] = 0x01;
      const iv = Buffer.from(rawBlock.map((byte, index) => byte ^ plaintextBlock[index]));
      const forged = signByHand(
        { ...attributes, encrypted: { B: Buffer.concat([iv, ciphertextBlock]) } },
        { actions: cfg.attributeActions, tableBlock: tableBlockText(TABLE), ordering: 'python', description: descriptionOf(written) },
      );
      const before = cloneItem(forged);
      const error = await decryptFails(forged, cfg);
      expectSafeError(error, DecryptionError, { attribute: 'encrypted', table: true });
      expect(error.message).toMatch(/did not decrypt to a valid value/);
      expect(forged).toEqual(before);
    });

    it('rejects as a whole when one of two encrypted attributes is corrupt but correctly signed', async () => {
      const cfg = makeConfig(staticProvider(), signOnlyAll());
      const good = await encryptDynamoDbItem({ ...validItem(), first: { S: SECRET }, second: { S: SECRET_2 } }, cfg);
      const { [SIG]: _sig, [DESC]: _desc, ...attributes } = good;
      // 17 bytes: not IV + whole blocks, so decryption must fail; re-signed so verification passes.
      const corrupt = signByHand(
        { ...attributes, second: { B: Buffer.from(good.second.B!).subarray(0, 17) } },
        { actions: cfg.attributeActions, tableBlock: tableBlockText(TABLE), ordering: 'python', description: descriptionOf(good) },
      );
      const error = await decryptFails(corrupt, cfg);
      expectSafeError(error, DecryptionError, { attribute: 'second', table: true });
    });

    it('rejects an ENCRYPT_AND_SIGN attribute stored as S (correctly signed) with DecryptionError', async () => {
      const cfg = config();
      const { [SIG]: _sig, [DESC]: _desc, ...attributes } = stored;
      const forged = signByHand(
        { ...attributes, encrypted: { S: SECRET } },
        { actions: cfg.attributeActions, tableBlock: tableBlockText(TABLE), ordering: 'python', description: descriptionOf(stored) },
      );
      expectSafeError(await decryptFails(forged, cfg), DecryptionError, { attribute: 'encrypted', table: true });
    });
  });
});
