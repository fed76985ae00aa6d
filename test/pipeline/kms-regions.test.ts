/**
 * KMS keys of several regions in a pipeline configuration (src/pipeline/materials-from-config.ts):
 * each KMS call goes to the region of the key it names, through one client per region made once
 * and reused; key ids and aliases (no region in them) go to the function's own region. Unit
 * tests: each stand-in client answers only for keys of its own region, as KMS does.
 */
import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import type { EncryptionContext } from '../../src/encryptor/encryption-context';
import { materialsProviderFor, regionalKmsClients, type AwsClients } from '../../src/pipeline/materials-from-config';
import type { MaterialsConfig } from '../../src/pipeline/pipeline-config';
import { reEncryptorFromConfig } from '../../src/pipeline/reencrypt-from-config';
import { readReEncryptConfig } from '../../src/pipeline/pipeline-config';
import { EnvironmentNames as Names } from '../../src/pipeline/environment-names';
import { regionOfKeyArn } from '../../src/providers/aws-kms-provider';

const FUNCTION_REGION = 'eu-west-1';
const NEW_KEY = 'arn:aws:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111';
const OLD_KEY = 'arn:aws:kms:eu-central-1:111122223333:key/22222222-2222-2222-2222-222222222222';

interface Call {
  readonly region: string;
  readonly command: string;
  readonly keyId?: string;
}

function kmsError(name: string): Error {
  return Object.assign(new Error(name), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/**
 * Stand-in KMS clients, one per region, recording every call. A key of another region is not
 * found (NotFoundException), as KMS answers; a data key decrypts only with the key that made it.
 * The "ciphertext" is the wrapping key's ARN, the data key a hash of it.
 */
function fakeKms() {
  const calls: Call[] = [];
  const created: Array<string | undefined> = [];
  const create = (region: string | undefined): KMSClient => {
    created.push(region);
    const here = region ?? FUNCTION_REGION;
    const regionOf = (keyId: string) => regionOfKeyArn(keyId) ?? here;
    const dataKey = (keyArn: string) => Uint8Array.from(createHash('sha256').update(keyArn).digest());
    return {
      config: { region: async () => here },
      send: async (command: { constructor: { name: string }; input: { KeyId?: string; CiphertextBlob?: Uint8Array } }) => {
        const { KeyId, CiphertextBlob } = command.input;
        calls.push({ region: here, command: command.constructor.name, keyId: KeyId });
        if (KeyId !== undefined && regionOf(KeyId) !== here) throw kmsError('NotFoundException');
        // An alias names a key of this region.
        const arn = KeyId?.startsWith('alias/') ? `arn:aws:kms:${here}:111122223333:key/aliased` : KeyId;
        if (command.constructor.name === 'GenerateDataKeyCommand') {
          return { KeyId: arn, Plaintext: dataKey(arn as string), CiphertextBlob: Buffer.from(arn as string) };
        }
        const wrappedBy = Buffer.from(CiphertextBlob as Uint8Array).toString();
        if (arn !== undefined && arn !== wrappedBy) throw kmsError('IncorrectKeyException');
        if (regionOf(wrappedBy) !== here) throw kmsError('InvalidCiphertextException');
        return { KeyId: wrappedBy, Plaintext: dataKey(wrappedBy) };
      },
      destroy: () => undefined,
    } as unknown as KMSClient;
  };
  return { calls, created, create };
}

const dynamoDb = { send: async () => ({}) } as unknown as DynamoDBClient;
const actions = new AttributeActions({ defaultAction: CryptoAction.ENCRYPT_AND_SIGN, attributeActions: { id: CryptoAction.SIGN_ONLY } });
const context: EncryptionContext = { tableName: 'orders', partitionKeyName: 'id' };
const item = { id: { S: 'order-1' }, card: { S: 'secret' } };

function directKms(kmsKeyId: string, allowedKmsKeyIds?: string[]): MaterialsConfig {
  return { kind: 'direct-kms', kmsKeyId, allowedKmsKeyIds };
}

describe('KMS clients by region (materials from configuration)', () => {
  it('GenerateDataKey goes to the region of the key ARN, not the function region', async () => {
    const kms = fakeKms();
    const clients: AwsClients = { dynamoDb, ...regionalKmsClients(kms.create, FUNCTION_REGION) };
    const provider = materialsProviderFor(directKms(NEW_KEY), clients);
    await encryptDynamoDbItem(item, { materialsProvider: provider, encryptionContext: context, attributeActions: actions });
    expect(kms.calls).toEqual([{ region: 'us-east-1', command: 'GenerateDataKeyCommand', keyId: NEW_KEY }]);
  });

  it('during a rotation across regions, each strict Decrypt goes to the region of the allowed key it names', async () => {
    const kms = fakeKms();
    const clients: AwsClients = { dynamoDb, ...regionalKmsClients(kms.create, FUNCTION_REGION) };
    // An item written under the old key, in its region...
    const old = await encryptDynamoDbItem(item, { materialsProvider: materialsProviderFor(directKms(OLD_KEY), clients), encryptionContext: context, attributeActions: actions });
    // ...read by a function whose current key is in a third region, the old key allowed.
    const rotating = materialsProviderFor(directKms(NEW_KEY, [NEW_KEY, OLD_KEY]), clients);
    kms.calls.length = 0;
    const decrypted = await decryptDynamoDbItem(old, { materialsProvider: rotating, encryptionContext: context, attributeActions: actions });
    expect(decrypted.card).toEqual({ S: 'secret' });
    expect(kms.calls).toEqual([
      { region: 'us-east-1', command: 'DecryptCommand', keyId: NEW_KEY }, // IncorrectKeyException: not this key
      { region: 'eu-central-1', command: 'DecryptCommand', keyId: OLD_KEY },
    ]);
    // New items: the current key, in its region.
    kms.calls.length = 0;
    const current = await encryptDynamoDbItem(item, { materialsProvider: rotating, encryptionContext: context, attributeActions: actions });
    await decryptDynamoDbItem(current, { materialsProvider: rotating, encryptionContext: context, attributeActions: actions });
    expect(kms.calls).toEqual([
      { region: 'us-east-1', command: 'GenerateDataKeyCommand', keyId: NEW_KEY },
      { region: 'us-east-1', command: 'DecryptCommand', keyId: NEW_KEY },
    ]);
  });

  it('key ids and aliases, which name no region, go to the function region', async () => {
    const kms = fakeKms();
    const clients: AwsClients = { dynamoDb, ...regionalKmsClients(kms.create, FUNCTION_REGION) };
    const provider = materialsProviderFor(directKms('alias/orders', ['alias/orders', OLD_KEY]), clients);
    const encrypted = await encryptDynamoDbItem(item, { materialsProvider: provider, encryptionContext: context, attributeActions: actions });
    await decryptDynamoDbItem(encrypted, { materialsProvider: provider, encryptionContext: context, attributeActions: actions });
    expect(kms.calls).toEqual([
      { region: FUNCTION_REGION, command: 'GenerateDataKeyCommand', keyId: 'alias/orders' },
      { region: FUNCTION_REGION, command: 'DecryptCommand', keyId: 'alias/orders' },
    ]);
  });

  it('makes one client per region, once, shared by every provider built from the same clients', async () => {
    const kms = fakeKms();
    const clients: AwsClients = { dynamoDb, ...regionalKmsClients(kms.create, FUNCTION_REGION) };
    const config = readReEncryptConfig({
      [Names.TABLE_NAME]: 'orders',
      [Names.PARTITION_KEY_NAME]: 'id',
      [Names.SECONDARY_INDEXES]: 'none',
      [Names.MATERIALS]: 'direct-kms',
      [Names.KMS_KEY_ID]: NEW_KEY,
      [Names.ALLOWED_KMS_KEY_IDS]: `${NEW_KEY},${OLD_KEY}`,
    });
    reEncryptorFromConfig(config, clients);
    const provider = materialsProviderFor(config.materials, clients);
    const again = materialsProviderFor(config.materials, clients);
    const old = await encryptDynamoDbItem(item, { materialsProvider: materialsProviderFor(directKms(OLD_KEY), clients), encryptionContext: context, attributeActions: actions });
    for (const reader of [provider, again, provider]) await decryptDynamoDbItem(old, { materialsProvider: reader, encryptionContext: context, attributeActions: actions });
    expect([...kms.created].sort()).toEqual(['eu-central-1', FUNCTION_REGION, 'us-east-1'].sort());
  });

  it('an explicitly given client alone still makes every call (tests, a client with custom settings)', async () => {
    const kms = fakeKms();
    const only = kms.create('eu-central-1');
    const provider = materialsProviderFor(directKms(OLD_KEY), { dynamoDb, kms: only });
    await encryptDynamoDbItem(item, { materialsProvider: provider, encryptionContext: context, attributeActions: actions });
    expect(kms.calls).toEqual([{ region: 'eu-central-1', command: 'GenerateDataKeyCommand', keyId: OLD_KEY }]);
  });
});
