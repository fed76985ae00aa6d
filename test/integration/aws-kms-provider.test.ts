import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import type { CryptoConfig } from '../../src/encryptor/crypto-config';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { KmsError, KmsThrottlingError, UnwrappingError } from '../../src/errors';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { deserializeMaterialDescription, serializeMaterialDescription } from '../../src/format/material-description';
import { ReservedAttributes } from '../../src/format/material-description-keys';
import { AwsKmsMaterialsProvider } from '../../src/providers/aws-kms-provider';
import { localKmsClient } from '../support/local-aws';

const TABLE = 'orders';
const DESCRIPTION = ReservedAttributes.MATERIAL_DESCRIPTION;

function config(provider: AwsKmsMaterialsProvider, tableName = TABLE): CryptoConfig {
  return {
    materialsProvider: provider,
    encryptionContext: { tableName, partitionKeyName: 'pk', sortKeyName: 'sk' },
    attributeActions: new AttributeActions({ defaultAction: CryptoAction.ENCRYPT_AND_SIGN }).setIndexKeys('pk', 'sk'),
  };
}

const item = (pk = 'customer#1'): DynamoDbItem => ({ pk: { S: pk }, sk: { N: '1.5' }, card: { S: 'fingerprint-0123456789' }, total: { N: '99.95' } });
const descriptionOf = (stored: DynamoDbItem) => Object.fromEntries(deserializeMaterialDescription(stored[DESCRIPTION].B as Uint8Array));

/** Counts KMS commands, and the most that were in flight at once. */
function instrument(client: KMSClient) {
  const stats = { calls: new Map<string, number>(), inFlight: 0, maxInFlight: 0, inputs: [] as Array<Record<string, unknown>> };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      stats.calls.set(context.commandName as string, (stats.calls.get(context.commandName as string) ?? 0) + 1);
      stats.inputs.push(args.input as Record<string, unknown>);
      stats.inFlight += 1;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      try {
        return await next(args);
      } finally {
        stats.inFlight -= 1;
      }
    },
    { step: 'initialize', name: 'countKmsCalls' },
  );
  return stats;
}

describe('AwsKmsMaterialsProvider against the local KMS', () => {
  let kms: KMSClient;
  let keyArn: string;
  let otherKeyArn: string;

  beforeAll(async () => {
    kms = localKmsClient();
    keyArn = (await kms.send(new CreateKeyCommand({ Description: 'ddb-encryption tests' }))).KeyMetadata?.Arn as string;
    otherKeyArn = (await kms.send(new CreateKeyCommand({ Description: 'ddb-encryption tests, other key' }))).KeyMetadata?.Arn as string;
  });

  it('round-trips an item and records what FORMAT.md §8.3 says in the description', async () => {
    const provider = new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: kms });
    const stored = await encryptDynamoDbItem(item(), config(provider));
    const description = descriptionOf(stored);
    expect(description).toMatchObject({
      'amzn-ddb-env-alg': 'AES/256',
      'amzn-ddb-sig-alg': 'HmacSHA256/256',
      'amzn-ddb-wrap-alg': 'kms',
      'aws-kms-ec-attr': '*keys*',
      'amzn-ddb-map-sym-mode': '/CBC/PKCS5Padding',
      'amzn-ddb-map-signingAlg': 'HmacSHA256',
    });
    expect(Buffer.from(description['amzn-ddb-env-key'], 'base64').length).toBeGreaterThan(32);
    expect(stored.card.B).toBeInstanceOf(Uint8Array);
    await expect(decryptDynamoDbItem(stored, config(provider))).resolves.toEqual(item());
  });

  it('sends exactly the reference encryption context, with key numbers as DynamoDB stores them, and grant tokens', async () => {
    const client = localKmsClient();
    const stats = instrument(client);
    const provider = new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: client, grantTokens: ['grant-token-1'] });
    // Written "1.50", stored (and so read back) "1.5" by DynamoDB.
    const stored = await encryptDynamoDbItem({ ...item(), sk: { N: '1.50' } }, config(provider));
    expect(stored.sk).toEqual({ N: '1.5' });
    await decryptDynamoDbItem(stored, config(provider));
    const expectedContext = {
      '*amzn-ddb-env-alg*': 'AES/256',
      '*amzn-ddb-sig-alg*': 'HmacSHA256/256',
      pk: 'customer#1',
      sk: '1.5',
      '*aws-kms-table*': TABLE,
    };
    expect(stats.inputs[0]).toMatchObject({ KeyId: keyArn, NumberOfBytes: 32, EncryptionContext: expectedContext, GrantTokens: ['grant-token-1'] });
    expect(stats.inputs[1]).toMatchObject({ EncryptionContext: expectedContext, GrantTokens: ['grant-token-1'] });
    expect(stats.inputs[1].KeyId).toBeUndefined();
  });

  it('derives an AES-128 key when configured with amzn-ddb-env-alg = AES/128', async () => {
    const provider = new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: kms, materialDescription: { 'amzn-ddb-env-alg': 'AES/128' } });
    const materials = await provider.encryptionMaterials({ tableName: TABLE, partitionKeyName: 'pk', sortKeyName: 'sk', attributes: item() });
    expect(materials.encryptionKey?.keyObject.symmetricKeySize).toBe(16);
    const stored = await encryptDynamoDbItem(item(), config(provider));
    expect(descriptionOf(stored)['amzn-ddb-env-alg']).toBe('AES/128');
    await expect(decryptDynamoDbItem(stored, config(provider))).resolves.toEqual(item());
  });

  describe('the KMS encryption context is enforced', () => {
    let provider: AwsKmsMaterialsProvider;
    let stored: DynamoDbItem;
    beforeAll(async () => {
      provider = new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: kms });
      stored = await encryptDynamoDbItem(item(), config(provider));
    });

    it('an item moved to another partition key value does not get its data key back', async () => {
      await expect(decryptDynamoDbItem({ ...stored, pk: { S: 'customer#2' } }, config(provider))).rejects.toThrow(UnwrappingError);
    });

    it('an item moved to another sort key value does not either (even one equal as a number)', async () => {
      await expect(decryptDynamoDbItem({ ...stored, sk: { N: '1.50' } }, config(provider))).rejects.toThrow(UnwrappingError);
    });

    it('an item copied to another table does not either', async () => {
      await expect(decryptDynamoDbItem(stored, config(provider, 'orders-copy'))).rejects.toThrow(/moved to another key value or table/);
    });

    it('editing the algorithms in the unsigned description is caught by KMS', async () => {
      const description = { ...descriptionOf(stored), 'amzn-ddb-env-alg': 'AES/128' };
      const edited = { ...stored, [DESCRIPTION]: { B: serializeMaterialDescription(description) } };
      await expect(decryptDynamoDbItem(edited, config(provider))).rejects.toThrow(UnwrappingError);
    });
  });

  describe('strict mode', () => {
    it('refuses an item wrapped under a key outside the allow-list, which the default mode decrypts', async () => {
      const writer = new AwsKmsMaterialsProvider({ keyId: otherKeyArn, kmsClient: kms });
      const foreign = await encryptDynamoDbItem(item(), config(writer));
      const trusting = new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: kms });
      await expect(decryptDynamoDbItem(foreign, config(trusting))).resolves.toEqual(item());
      const strict = new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: kms, strict: true });
      await expect(decryptDynamoDbItem(foreign, config(strict))).rejects.toThrow(/strict mode/);
      await expect(decryptDynamoDbItem(await encryptDynamoDbItem(item(), config(strict)), config(strict))).resolves.toEqual(item());
    });

    it('passes the expected KeyId on Decrypt and tries each allowed key in order', async () => {
      const client = localKmsClient();
      const stats = instrument(client);
      const writer = new AwsKmsMaterialsProvider({ keyId: otherKeyArn, kmsClient: kms });
      const oldItem = await encryptDynamoDbItem(item(), config(writer));
      const rotating = new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: client, allowedKeyIds: [keyArn, otherKeyArn] });
      expect(rotating.strict).toBe(true);
      await expect(decryptDynamoDbItem(oldItem, config(rotating))).resolves.toEqual(item());
      expect(stats.inputs.map((input) => input.KeyId)).toEqual([keyArn, otherKeyArn]);
    });

    it('reads its own items when allowedKeyIds lists only older keys: keyId is allowed first', async () => {
      const client = localKmsClient();
      const stats = instrument(client);
      const provider = new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: client, allowedKeyIds: [otherKeyArn] });
      const own = await encryptDynamoDbItem(item(), config(provider));
      await expect(decryptDynamoDbItem(own, config(provider))).resolves.toEqual(item());
      expect(stats.inputs.filter((input) => input.CiphertextBlob !== undefined).map((input) => input.KeyId)).toEqual([keyArn]);
      expect(() => new AwsKmsMaterialsProvider({ keyId: keyArn, allowedKeyIds: [''] })).toThrow(/non-empty strings/);
    });
  });

  it('decrypting a page in parallel keeps at most maxConcurrentKmsCalls KMS calls in flight', async () => {
    const client = localKmsClient();
    const writer = new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: kms });
    const page = await Promise.all(Array.from({ length: 40 }, (_, index) => encryptDynamoDbItem(item(`customer#${index}`), config(writer))));
    const stats = instrument(client);
    const reader = new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: client, maxConcurrentKmsCalls: 4 });
    const decrypted = await Promise.all(page.map((stored) => decryptDynamoDbItem(stored, config(reader))));
    expect(decrypted.map((entry) => entry.pk.S)).toEqual(page.map((entry) => entry.pk.S));
    expect(stats.calls.get('DecryptCommand')).toBe(40);
    expect(stats.maxInFlight).toBe(4);
  });
});

describe('AwsKmsMaterialsProvider when KMS misbehaves', () => {
  let server: Server;
  let requests = 0;
  const throttlingEndpoint = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  beforeAll(async () => {
    // A loopback stand-in for KMS that throttles every request.
    server = createServer((request, response) => {
      requests += 1;
      request.resume();
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('retries throttling with backoff (the SDK attempts times the provider attempts), then raises KmsThrottlingError', async () => {
    requests = 0;
    const client = new KMSClient({ endpoint: throttlingEndpoint(), region: 'us-east-1', maxAttempts: 3 });
    const provider = new AwsKmsMaterialsProvider({ keyId: 'alias/throttled', kmsClient: client, maxKmsAttempts: 4, kmsRetryBaseDelayMs: 20 });
    const started = Date.now();
    const failure = encryptDynamoDbItem(item(), config(provider));
    await expect(failure).rejects.toThrow(KmsThrottlingError);
    await expect(failure).rejects.toMatchObject({ kmsErrorName: 'ThrottlingException', tableName: TABLE });
    expect(requests).toBe(3 * 4);
    expect(Date.now() - started).toBeGreaterThan(50); // the retries waited
  });

  it('with the SDK retries alone (maxKmsAttempts 1), throttling surfaces after the client attempts', async () => {
    requests = 0;
    const client = new KMSClient({ endpoint: throttlingEndpoint(), region: 'us-east-1', maxAttempts: 2 });
    const provider = new AwsKmsMaterialsProvider({ keyId: 'alias/throttled', kmsClient: client, maxKmsAttempts: 1 });
    await expect(encryptDynamoDbItem(item(), config(provider))).rejects.toThrow(KmsThrottlingError);
    expect(requests).toBe(2);
  });

  it('fails fast on an unreachable endpoint, naming it', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = new KMSClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1' });
    const provider = new AwsKmsMaterialsProvider({ keyId: 'alias/unreachable', kmsClient: client });
    const started = Date.now();
    const failure = encryptDynamoDbItem(item(), config(provider));
    await expect(failure).rejects.toThrow(KmsError);
    await expect(failure).rejects.toThrow(`cannot reach KMS at http://127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('AwsKmsMaterialsProvider given a data key of the wrong size', () => {
  let server: Server;

  beforeAll(async () => {
    // A loopback stand-in for KMS whose GenerateDataKey returns a 16-byte data key.
    server = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify({ KeyId: 'arn:aws:kms:us-east-1:111111111111:key/short', Plaintext: Buffer.alloc(16, 7).toString('base64'), CiphertextBlob: Buffer.alloc(64, 1).toString('base64') }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses it with an UnwrappingError naming the table', async () => {
    const client = new KMSClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, region: 'us-east-1' });
    const provider = new AwsKmsMaterialsProvider({ keyId: 'alias/short', kmsClient: client });
    const failure = encryptDynamoDbItem(item(), config(provider));
    await expect(failure).rejects.toThrow(UnwrappingError);
    await expect(failure).rejects.toMatchObject({ tableName: TABLE });
    client.destroy();
  });
});
