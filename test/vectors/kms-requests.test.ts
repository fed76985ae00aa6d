import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { loadScenarios, scenarioItems, type Scenario } from '../../src/cli/vectors/scenarios';
import { readCiphertextFile } from '../../src/cli/vectors/vector-files';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { KmsError } from '../../src/errors';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { deserializeMaterialDescription } from '../../src/format/material-description';
import { AwsKmsMaterialsProvider, regionOfKeyArn } from '../../src/providers/aws-kms-provider';
import { metaStoreAttributeActions, metaStoreEncryptionContext } from '../../src/providers/meta-store-material';
import { ITEM_VECTORS_DIR } from '../support/shared-vectors';

/**
 * The KMS vectors were written under a real AWS key, so offline we check the request our
 * provider would send for each item (FORMAT.md §8.3), with a stand-in client that records it.
 */

type Captured = { name: string; input: Record<string, unknown> };

function recordingClient(reply?: (name: string, input: Record<string, unknown>) => object): { client: KMSClient; captured: Captured[] } {
  const captured: Captured[] = [];
  const client = {
    config: { region: async () => 'us-west-2' },
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      captured.push({ name: command.constructor.name, input: command.input });
      if (reply === undefined) throw new Error('offline: no real KMS here');
      return reply(command.constructor.name, command.input);
    },
  };
  return { client: client as unknown as KMSClient, captured };
}

const kmsScenarios = loadScenarios(ITEM_VECTORS_DIR).filter((scenario) => scenario.provider === 'awskms');
const metaStoreKmsScenarios = loadScenarios(ITEM_VECTORS_DIR).filter((scenario) => scenario.metaStore?.provider === 'awskms');

function description(item: DynamoDbItem): Map<string, string> {
  return deserializeMaterialDescription(item['*amzn-ddb-map-desc*'].B as Uint8Array);
}

/** FORMAT.md §8.3, written out independently of src/providers/kms-encryption-context.ts. */
function expectedContext(item: DynamoDbItem, tableName: string | undefined, keyNames: string[]): Record<string, string> {
  const desc = description(item);
  const context: Record<string, string> = {
    '*amzn-ddb-env-alg*': desc.get('amzn-ddb-env-alg') as string,
    '*amzn-ddb-sig-alg*': desc.get('amzn-ddb-sig-alg') as string,
  };
  for (const name of keyNames) context[name] = (item[name].S ?? item[name].N) as string;
  if (tableName !== undefined) context['*aws-kms-table*'] = tableName;
  return context;
}

async function capturedDecrypt(item: DynamoDbItem, run: (provider: AwsKmsMaterialsProvider) => Promise<unknown>): Promise<Record<string, unknown>> {
  const { client, captured } = recordingClient();
  const provider = new AwsKmsMaterialsProvider({ keyId: 'arn:aws:kms:us-west-2:658956600833:key/b3537ef1-d8dc-4780-9f5a-55776cbb2f7f', kmsClient: client });
  await expect(run(provider)).rejects.toThrow(KmsError);
  expect(captured).toHaveLength(1);
  expect(captured[0].name).toBe(DecryptCommand.name);
  const envKey = description(item).get('amzn-ddb-env-key') as string;
  expect(Buffer.from(captured[0].input.CiphertextBlob as Uint8Array)).toEqual(Buffer.from(envKey.replace(/\s+/g, ''), 'base64'));
  return captured[0].input;
}

describe('KMS vectors: the Decrypt request for every item', () => {
  it('covers the Direct KMS scenarios of the shared vectors', () => {
    expect(kmsScenarios.map((scenario: Scenario) => scenario.name)).toEqual(
      expect.arrayContaining(['python/aws-kms-direct-1.json', 'java/aws-kms-direct-1.json', 'java/aws-kms-aes128-1.json', 'kms-non-bmp-hash-key']),
    );
    expect(metaStoreKmsScenarios.length).toBeGreaterThanOrEqual(3);
  });

  it.each(kmsScenarios.map((scenario) => [scenario.name, scenario] as const))('%s: blob and encryption context per FORMAT.md', async (_name, scenario) => {
    const { items } = scenarioItems(scenario);
    const signed = items.filter((entry) => entry.stored['*amzn-ddb-map-desc*'] !== undefined);
    expect(signed.length).toBeGreaterThan(0);
    for (const entry of signed) {
      const keyNames = [entry.context.partitionKeyName, entry.context.sortKeyName].filter((name): name is string => name !== undefined);
      const input = await capturedDecrypt(entry.stored, (provider) =>
        decryptDynamoDbItem(entry.stored, { materialsProvider: provider, encryptionContext: entry.context, attributeActions: entry.actions }),
      );
      expect(input.EncryptionContext).toEqual(expectedContext(entry.stored, entry.context.tableName, keyNames));
      expect(input.KeyId).toBeUndefined();
    }
  });

  it('java/aws-kms-direct-1, item 5/7: the request shown in the vectors README', async () => {
    const scenario = kmsScenarios.find((candidate) => candidate.name === 'java/aws-kms-direct-1.json') as Scenario;
    const entry = scenarioItems(scenario).items.find((candidate) => candidate.label === 'hashKey=5,rangeKey=7');
    expect(entry).toBeDefined();
    const input = await capturedDecrypt(entry!.stored, (provider) =>
      decryptDynamoDbItem(entry!.stored, { materialsProvider: provider, encryptionContext: entry!.context, attributeActions: entry!.actions }),
    );
    expect(input.EncryptionContext).toEqual({
      '*amzn-ddb-env-alg*': 'AES/256',
      '*amzn-ddb-sig-alg*': 'HmacSHA256/256',
      hashKey: '5',
      rangeKey: '7',
      '*aws-kms-table*': 'TableName',
    });
    expect((input.CiphertextBlob as Uint8Array).length).toBe(167);
  });

  it('kms-non-bmp-hash-key: the partition value goes into the context verbatim', async () => {
    const scenario = kmsScenarios.find((candidate) => candidate.name === 'kms-non-bmp-hash-key') as Scenario;
    const [entry] = scenarioItems(scenario).items;
    const input = await capturedDecrypt(entry.stored, (provider) =>
      decryptDynamoDbItem(entry.stored, { materialsProvider: provider, encryptionContext: entry.context, attributeActions: entry.actions }),
    );
    expect(input.EncryptionContext).toMatchObject({ hashKey: 'test😀Ψkey', '*aws-kms-table*': 'HashKeyOnly' });
  });

  it.each(metaStoreKmsScenarios.map((scenario) => [scenario.name, scenario] as const))(
    '%s: the MetaStore items ask KMS with N and V in the context',
    async (_name, scenario) => {
      const metaStore = scenario.metaStore!;
      const stored = Object.values(readCiphertextFile(metaStore.ciphertextFile)).flat();
      expect(stored.length).toBeGreaterThan(0);
      for (const item of stored) {
        const input = await capturedDecrypt(item, (provider) =>
          decryptDynamoDbItem(item, {
            materialsProvider: provider,
            encryptionContext: metaStoreEncryptionContext(metaStore.tableName),
            attributeActions: metaStoreAttributeActions(),
          }),
        );
        expect(input.EncryptionContext).toEqual(expectedContext(item, metaStore.tableName, ['N', 'V']));
      }
    },
  );
});

describe('Direct KMS plumbing with a chosen data key', () => {
  const dataKey = Buffer.from(Array.from({ length: 32 }, (_, index) => index));
  const blob = Buffer.from('a stand-in ciphertext blob');

  it('derives the FORMAT.md §8.3 HKDF keys and round-trips through them', async () => {
    const { client, captured } = recordingClient((name) =>
      name === GenerateDataKeyCommand.name
        ? { Plaintext: Buffer.from(dataKey), CiphertextBlob: blob, KeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k' }
        : { Plaintext: Buffer.from(dataKey), KeyId: 'arn:aws:kms:eu-west-1:111122223333:key/k' },
    );
    const provider = new AwsKmsMaterialsProvider({ keyId: 'arn:aws:kms:eu-west-1:111122223333:key/k', kmsClient: client });
    const context = { tableName: 't', partitionKeyName: 'pk', attributes: { pk: { S: 'a' } } };
    const materials = await provider.encryptionMaterials(context);
    expect(materials.encryptionKey?.keyObject.export().toString('hex')).toBe('781ddf3715c39edff39465b0bdc122575ccc03d55a2bb23a3c2abadc853f0a78');
    expect(materials.signingKey.keyObject.export().toString('hex')).toBe('1ce18b7e6ba3388e72a987d0c3b7993222c321f3cd78aefc2c846699a325a157');

    const config = {
      materialsProvider: provider,
      encryptionContext: { tableName: 't', partitionKeyName: 'pk' },
      attributeActions: new AttributeActions({ defaultAction: CryptoAction.ENCRYPT_AND_SIGN }).setIndexKeys('pk'),
    };
    const stored = await encryptDynamoDbItem({ pk: { S: 'a' }, secret: { S: 'value' } }, config);
    await expect(decryptDynamoDbItem(stored, config)).resolves.toEqual({ pk: { S: 'a' }, secret: { S: 'value' } });
    expect(captured.map((entry) => entry.name)).toEqual([GenerateDataKeyCommand.name, GenerateDataKeyCommand.name, DecryptCommand.name]);
  });

  it('takes the region from a key ARN', () => {
    expect(regionOfKeyArn('arn:aws:kms:us-west-2:658956600833:key/b3537ef1')).toBe('us-west-2');
    expect(regionOfKeyArn('alias/orders')).toBeUndefined();
    expect(regionOfKeyArn('b3537ef1-d8dc-4780-9f5a-55776cbb2f7f')).toBeUndefined();
  });
});

describe('Direct KMS: key numbers in the KMS context (FORMAT.md §8.3, §9 item 9)', () => {
  const keyId = 'arn:aws:kms:eu-west-1:111122223333:key/k';
  const dataKey = Buffer.from(Array.from({ length: 32 }, (_, index) => 255 - index));
  const blob = Buffer.from('a stand-in ciphertext blob');
  const config = (client: ReturnType<typeof recordingClient>['client']) => ({
    materialsProvider: new AwsKmsMaterialsProvider({ keyId, kmsClient: client }),
    encryptionContext: { tableName: 'orders', partitionKeyName: 'pk', sortKeyName: 'sk' },
    attributeActions: new AttributeActions({ defaultAction: CryptoAction.ENCRYPT_AND_SIGN }).setIndexKeys('pk', 'sk'),
  });
  const kmsContext = (pk: string, sk: string) => ({ '*amzn-ddb-env-alg*': 'AES/256', '*amzn-ddb-sig-alg*': 'HmacSHA256/256', pk, sk, '*aws-kms-table*': 'orders' });

  /** A stand-in KMS that, like the real one, gives the data key back only under the context it was generated with. */
  function bindingKms() {
    let boundContext: unknown;
    return recordingClient((name, input) => {
      if (name === GenerateDataKeyCommand.name) {
        boundContext = input.EncryptionContext;
        return { Plaintext: Buffer.from(dataKey), CiphertextBlob: blob, KeyId: keyId };
      }
      expect(input.EncryptionContext).toEqual(boundContext);
      return { Plaintext: Buffer.from(dataKey), KeyId: keyId };
    });
  }

  // Each text here is stored by DynamoDB in another form (checked against DynamoDB Local):
  // '0100'→'100', '1.50'→'1.5', '1E+2'→'100', '5.0'→'5', '-0'→'0', '0.000'→'0', '1e-7'→'0.0000001'.
  it.each([
    ['0100', '1.50', '100', '1.5'],
    ['1E+2', '5.0', '100', '5'],
    ['-0', '0.000', '0', '0'],
    ['7', '1e-7', '7', '0.0000001'],
  ])('pk N %p, sk N %p are written as DynamoDB stores them, and bound to the data key in that form', async (pk, sk, storedPk, storedSk) => {
    const { client, captured } = bindingKms();
    const stored = await encryptDynamoDbItem({ pk: { N: pk }, sk: { N: sk }, total: { N: '99.95' } }, config(client));
    // What a reader finds after DynamoDB stored the item, and so what it will send to KMS.
    expect(stored.pk).toEqual({ N: storedPk });
    expect(stored.sk).toEqual({ N: storedSk });
    expect(captured.map((call) => call.name)).toEqual([GenerateDataKeyCommand.name]);
    expect(captured[0].input).toMatchObject({ KeyId: keyId, NumberOfBytes: 32 });
    expect(captured[0].input.EncryptionContext).toEqual(kmsContext(storedPk, storedSk));

    const decrypted = await decryptDynamoDbItem(stored, config(client));
    expect(captured.map((call) => call.name)).toEqual([GenerateDataKeyCommand.name, DecryptCommand.name]);
    expect(captured[1].input.EncryptionContext).toEqual(kmsContext(storedPk, storedSk));
    expect(Buffer.from(captured[1].input.CiphertextBlob as Uint8Array)).toEqual(blob);
    expect(decrypted).toEqual({ pk: { N: storedPk }, sk: { N: storedSk }, total: { N: '99.95' } });
  });

  it('reads an item whose stored key text is not in that form (as the Python and Java clients write it) under the text as stored', async () => {
    const { client, captured } = recordingClient((name) =>
      name === GenerateDataKeyCommand.name ? { Plaintext: Buffer.from(dataKey), CiphertextBlob: blob, KeyId: keyId } : { Plaintext: Buffer.from(dataKey), KeyId: keyId },
    );
    const written = await encryptDynamoDbItem({ pk: { N: '100' }, sk: { N: '1.5' }, total: { N: '99.95' } }, config(client));
    // The signature covers normalized numbers (§2.2): the other text still verifies.
    const asPythonWrites = { ...written, pk: { N: '0100' }, sk: { N: '1.50' } };
    await expect(decryptDynamoDbItem(asPythonWrites, config(client))).resolves.toEqual({ pk: { N: '0100' }, sk: { N: '1.50' }, total: { N: '99.95' } });
    expect(captured[1]).toMatchObject({ name: DecryptCommand.name, input: { EncryptionContext: kmsContext('0100', '1.50') } });
  });
});
