import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { InvalidArgumentError, InvalidMaterialDescriptionError, SignatureVerificationError } from '../../src/errors';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { itemFromJson } from '../../src/format/dynamodb-json';
import { MaterialDescriptionKeys } from '../../src/format/material-description-keys';
import {
  InvalidMetaStoreItemError,
  META_STORE_PARTITION_KEY,
  META_STORE_SORT_KEY,
  materialVersionItem,
  metaId,
  metaStoreAttributeActions,
  metaStoreEncryptionContext,
  providerForMaterialVersion,
  versionFromDescription,
} from '../../src/providers/meta-store-material';
import { WrappedMaterialsProvider } from '../../src/providers/wrapped-provider';
import { ciphertextItems } from '../crypto/helpers';
import { descriptionOf, makeConfig, staticProvider } from '../support/item-encryptor-fixtures';

const META_ID = MaterialDescriptionKeys.META_ID;
const META_TABLE = 'metastore';
const ENC = Buffer.from('903dfd41489018a66cd7ed0e3f3885003c4628165a527525a2e7d2595c9ecf27', 'hex');
const INT = Buffer.from('efb9d354164d83edf4276b519828ee632e1fa99419110725c43328426cddb903', 'hex');

/** The decrypted version item as the MetaStore would hand it over. */
const versionItem = (overrides: DynamoDbItem = {}): DynamoDbItem => ({ ...materialVersionItem('orders', 4, ENC, INT), ...overrides });

describe('versionFromDescription', () => {
  it.each([
    ['name#0', 0],
    ['name#12', 12],
    ['materialName#7', 7],
  ])('reads %s as version %i', (value, version) => {
    expect(versionFromDescription({ [META_ID]: value })).toBe(version);
  });

  it('refuses a description without amzn-ddb-meta-id, naming the table', () => {
    expect(() => versionFromDescription({}, 'data-table')).toThrow(InvalidMaterialDescriptionError);
    expect(() => versionFromDescription({}, 'data-table')).toThrow(/table "data-table"/);
  });

  it.each(['name', 'a#b#1', 'name#x', 'name#-1', 'name#', 'name#1.5', 'name#1 ', 'name# 1', 'name#0x10'])(
    'refuses the malformed meta-id %p',
    (value) => {
      expect(() => versionFromDescription({ [META_ID]: value })).toThrow(InvalidMaterialDescriptionError);
    },
  );

  it('ignores the material name in the item (readers use their own)', () => {
    expect(versionFromDescription({ [META_ID]: 'someone-else#3' })).toBe(3);
  });
});

describe('materialVersionItem and its protection', () => {
  it('lays out the version item as FORMAT.md §8.4 describes', () => {
    const item = materialVersionItem('orders', 4, ENC, INT);
    expect(item).toEqual({
      N: { S: 'orders' },
      V: { N: '4' },
      t: { S: '0' },
      encAlg: { S: 'AES' },
      enc: { B: ENC },
      intAlg: { S: 'HmacSHA256' },
      int: { B: INT },
    });
  });

  it('signs N and V, encrypts everything else, and uses N/V as the key', () => {
    const actions = metaStoreAttributeActions();
    expect(actions.action(META_STORE_PARTITION_KEY)).toBe(CryptoAction.SIGN_ONLY);
    expect(actions.action(META_STORE_SORT_KEY)).toBe(CryptoAction.SIGN_ONLY);
    for (const name of ['t', 'encAlg', 'enc', 'intAlg', 'int']) expect(actions.action(name)).toBe(CryptoAction.ENCRYPT_AND_SIGN);
    expect(metaStoreEncryptionContext(META_TABLE)).toEqual({ tableName: META_TABLE, partitionKeyName: 'N', sortKeyName: 'V' });
    expect(metaStoreAttributeActions()).not.toBe(actions);
  });
});

describe('providerForMaterialVersion', () => {
  it('builds an AESWrap provider recording amzn-ddb-meta-id = name#version', async () => {
    const provider = providerForMaterialVersion('orders', 4, versionItem(), META_TABLE);
    expect(provider).toBeInstanceOf(WrappedMaterialsProvider);
    const materials = await provider.encryptionMaterials({ tableName: 'data' });
    expect(materials.materialDescription[META_ID]).toBe('orders#4');
    expect(materials.materialDescription[MaterialDescriptionKeys.KEY_WRAPPING_ALGORITHM]).toBe('AESWrap');
    expect(materials.signingKey.algorithm).toBe('HmacSHA256');
    expect(metaId('orders', 4)).toBe('orders#4');
  });

  it.each([
    ['t = "1"', { t: { S: '1' } }],
    ['t as a number', { t: { N: '0' } }],
    ['no t', { t: undefined }],
  ])('refuses a material type other than "0" (%s)', (_label, overrides) => {
    const item = versionItem(overrides as DynamoDbItem);
    if (overrides.t === undefined) delete item.t;
    expect(() => providerForMaterialVersion('orders', 4, item, META_TABLE)).toThrow(InvalidMetaStoreItemError);
    expect(() => providerForMaterialVersion('orders', 4, item, META_TABLE)).toThrow(/table "metastore"/);
  });

  it.each([
    ['encAlg DESede', { encAlg: { S: 'DESede' } }],
    ['encAlg AES/256', { encAlg: { S: 'AES/256' } }],
    ['intAlg SHA256withRSA', { intAlg: { S: 'SHA256withRSA' } }],
  ])('refuses unsupported algorithms (%s) without quoting them: they are encrypted attributes', (_label, overrides) => {
    expect(() => providerForMaterialVersion('orders', 4, versionItem(overrides), META_TABLE)).toThrow(InvalidMetaStoreItemError);
    const stored = Object.values(overrides)[0].S;
    expect(() => providerForMaterialVersion('orders', 4, versionItem(overrides), META_TABLE)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(stored) }),
    );
  });

  it.each(['enc', 'int'])('refuses a version item without %s', (name) => {
    const item = versionItem();
    delete item[name];
    expect(() => providerForMaterialVersion('orders', 4, item, META_TABLE)).toThrow(InvalidMetaStoreItemError);
  });

  it('refuses an enc key of a size AES cannot use', () => {
    const item = versionItem({ enc: { B: Buffer.alloc(20) } });
    expect(() => providerForMaterialVersion('orders', 4, item, META_TABLE)).toThrow(InvalidArgumentError);
  });
});

describe('a MetaStore version, end to end', () => {
  const metaConfig = () => makeConfig(staticProvider(), metaStoreAttributeActions(), metaStoreEncryptionContext(META_TABLE));

  it('version item → encrypt → decrypt → provider → data item carrying name#version → decrypt', async () => {
    const stored = await encryptDynamoDbItem(materialVersionItem('orders', 3, ENC, INT), metaConfig());
    // Key material is not readable in the stored version item; N and V are.
    expect(stored.N).toEqual({ S: 'orders' });
    expect(stored.V).toEqual({ N: '3' });
    expect(Buffer.from(stored.enc.B!).equals(ENC)).toBe(false);
    expect(stored.enc.B!.length).toBe(16 + 48);

    const decrypted = await decryptDynamoDbItem(stored, metaConfig());
    expect(decrypted).toEqual(materialVersionItem('orders', 3, ENC, INT));

    const writer = providerForMaterialVersion('orders', 3, decrypted, META_TABLE);
    const dataActions = new AttributeActions().setIndexKeys('id');
    const dataConfig = makeConfig(writer, dataActions, { tableName: 'orders-data', partitionKeyName: 'id' });
    const data = { id: { S: 'order-9' }, amount: { N: '120' } };
    const encrypted = await encryptDynamoDbItem(data, dataConfig);
    const description = descriptionOf(encrypted);
    expect(description[META_ID]).toBe('orders#3');
    expect(versionFromDescription(description)).toBe(3);

    // A reader rebuilds the provider from the version named in the item.
    const reader = providerForMaterialVersion('orders', versionFromDescription(description), decrypted, META_TABLE);
    await expect(decryptDynamoDbItem(encrypted, { ...dataConfig, materialsProvider: reader })).resolves.toEqual(data);

    // Another version's keys do not open it.
    const otherVersion = providerForMaterialVersion('orders', 4, materialVersionItem('orders', 4, INT, ENC), META_TABLE);
    await expect(decryptDynamoDbItem(encrypted, { ...dataConfig, materialsProvider: otherVersion })).rejects.toThrow();
  });

  it('a version item moved to another version number no longer verifies', async () => {
    const stored = await encryptDynamoDbItem(materialVersionItem('orders', 3, ENC, INT), metaConfig());
    await expect(decryptDynamoDbItem({ ...stored, V: { N: '4' } }, metaConfig())).rejects.toThrow(SignatureVerificationError);
  });

  it('opens the FORMAT.md §8.4 worked example (Python metastore-aes-hmac-2) and its data items\' content keys', async () => {
    const [versionJson] = ciphertextItems('python/metastore-aes-hmac-2.json').metastore;
    const decrypted = await decryptDynamoDbItem(itemFromJson(versionJson), metaConfig());
    expect(decrypted.N).toEqual({ S: 'materialName' });
    expect(Buffer.from(decrypted.enc.B!)).toEqual(ENC);
    expect(Buffer.from(decrypted.int.B!)).toEqual(INT);
    const provider = providerForMaterialVersion('materialName', Number(decrypted.V.N), decrypted, META_TABLE);
    const [dataJson] = ciphertextItems('python/metastore-data-tables-2.json').TableName;
    const description = descriptionOf(itemFromJson(dataJson));
    expect(versionFromDescription(description)).toBe(0);
    const materials = await provider.decryptionMaterials({ tableName: 'TableName', materialDescription: description });
    expect(materials.decryptionKey!.symmetricKeySizeBytes).toBe(32);
  });
});
