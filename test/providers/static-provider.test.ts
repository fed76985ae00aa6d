import { LocalKey } from '../../src/crypto/local-key';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { InvalidArgumentError, UnsupportedOperationError } from '../../src/errors';
import { RawDecryptionMaterials, RawEncryptionMaterials } from '../../src/materials/raw-materials';
import { StaticMaterialsProvider } from '../../src/providers/static-provider';
import { vectorKey } from '../crypto/helpers';
import { TABLE, aesKey, caught, descriptionOf, hmacKey, makeConfig } from '../support/item-encryptor-fixtures';

const item = () => ({ pk: { S: 'p' }, sk: { N: '1' }, data: { S: 'payload' } });

describe('StaticMaterialsProvider', () => {
  const encryptionMaterials = () => new RawEncryptionMaterials({ signingKey: hmacKey(), encryptionKey: aesKey(), materialDescription: { owner: 'ops' } });
  const decryptionMaterials = () => new RawDecryptionMaterials({ verificationKey: hmacKey(), decryptionKey: aesKey() });

  it('returns its materials for every item and round-trips through the item encryptor', async () => {
    const encryption = encryptionMaterials();
    const decryption = decryptionMaterials();
    const provider = new StaticMaterialsProvider({ encryptionMaterials: encryption, decryptionMaterials: decryption });
    await expect(provider.encryptionMaterials({ tableName: TABLE })).resolves.toBe(encryption);
    await expect(provider.decryptionMaterials({ tableName: 'other' })).resolves.toBe(decryption);
    const config = makeConfig(provider);
    const encrypted = await encryptDynamoDbItem(item(), config);
    expect(descriptionOf(encrypted).owner).toBe('ops');
    await expect(decryptDynamoDbItem(encrypted, config)).resolves.toEqual(item());
  });

  it('without encryption materials, encrypting raises UnsupportedOperationError naming the table', async () => {
    const provider = new StaticMaterialsProvider({ decryptionMaterials: decryptionMaterials() });
    await expect(provider.encryptionMaterials({ tableName: TABLE })).rejects.toThrow(UnsupportedOperationError);
    const error = await caught(() => encryptDynamoDbItem(item(), makeConfig(provider)));
    expect(error).toBeInstanceOf(UnsupportedOperationError);
    expect(error.message).toContain(`table "${TABLE}"`);
  });

  it('without decryption materials, decrypting raises UnsupportedOperationError naming the table', async () => {
    const writer = new StaticMaterialsProvider({ encryptionMaterials: encryptionMaterials() });
    const encrypted = await encryptDynamoDbItem(item(), makeConfig(writer));
    await expect(writer.decryptionMaterials({ tableName: TABLE })).rejects.toThrow(UnsupportedOperationError);
    const error = await caught(() => decryptDynamoDbItem(encrypted, makeConfig(writer)));
    expect(error).toBeInstanceOf(UnsupportedOperationError);
    expect(error.message).toContain(`table "${TABLE}"`);
  });
});

describe('RawEncryptionMaterials / RawDecryptionMaterials', () => {
  it.each([
    ['an HMAC key', () => hmacKey()],
    ['an RSA public key', () => vectorKey('rsaEncPub')],
    ['an RSA private key', () => vectorKey('rsaSignPriv')],
  ])('refuses %s as the encryption key', (_label, key) => {
    expect(() => new RawEncryptionMaterials({ signingKey: hmacKey(), encryptionKey: key() })).toThrow(InvalidArgumentError);
    expect(() => new RawDecryptionMaterials({ verificationKey: hmacKey(), decryptionKey: key() })).toThrow(InvalidArgumentError);
  });

  it('refuses a PUBLIC signing key', () => {
    expect(() => new RawEncryptionMaterials({ signingKey: vectorKey('rsaSignPub'), encryptionKey: aesKey() })).toThrow(InvalidArgumentError);
  });

  it('refuses an AES key as signing or verification key', () => {
    expect(() => new RawEncryptionMaterials({ signingKey: aesKey() })).toThrow(InvalidArgumentError);
    expect(() => new RawDecryptionMaterials({ verificationKey: aesKey() })).toThrow(InvalidArgumentError);
  });

  it('accepts an RSA private signing key, and a public or private verification key', () => {
    expect(new RawEncryptionMaterials({ signingKey: vectorKey('rsaSignPriv') }).encryptionKey).toBeUndefined();
    expect(new RawDecryptionMaterials({ verificationKey: vectorKey('rsaSignPub') }).verificationKey.keyType).toBe('PUBLIC');
    expect(new RawDecryptionMaterials({ verificationKey: vectorKey('rsaSignPriv') }).verificationKey.keyType).toBe('PRIVATE');
  });

  it('accepts AES keys of every size', () => {
    for (const bits of [128, 192, 256]) {
      const materials = new RawEncryptionMaterials({ signingKey: hmacKey(), encryptionKey: LocalKey.generateAes(bits) });
      expect(materials.encryptionKey!.symmetricKeySizeBytes).toBe(bits / 8);
    }
  });

  it('are frozen and keep a copy of the description', () => {
    const description: Record<string, string> = { a: '1' };
    const materials = new RawEncryptionMaterials({ signingKey: hmacKey(), materialDescription: description });
    description.a = '2';
    expect(materials.materialDescription).toEqual({ a: '1' });
    expect(Object.isFrozen(materials)).toBe(true);
    expect(Object.isFrozen(materials.materialDescription)).toBe(true);
    expect(new RawDecryptionMaterials({ verificationKey: hmacKey() }).materialDescription).toEqual({});
  });
});
