/**
 * AwsKmsMaterialsProvider's strict-mode Decrypt against a stand-in KMS client: which KMS answers
 * mean "another key wrapped this data key" (try the next allowed key, else UnwrappingError, an
 * item problem) and which mean "this caller may not use the key" (KmsError, a failure of KMS as
 * a whole that pipelines retry). AccessDeniedException is either, by its message: only an
 * authorization failure naming the requested key is about the caller. The live moto behaviour
 * is covered in test/integration. Also: the default clients' regions.
 */
import { randomBytes } from 'node:crypto';
import { KMSClient } from '@aws-sdk/client-kms';
import type { LocalKey } from '../../src/crypto/local-key';
import type { EncryptionContext } from '../../src/encryptor/encryption-context';
import { KmsError, UnwrappingError } from '../../src/errors';
import type { DecryptionMaterials } from '../../src/materials/cryptographic-materials';
import { AwsKmsMaterialsProvider } from '../../src/providers/aws-kms-provider';

const TABLE = 'orders';
const NEW_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/11111111-1111-4111-8111-111111111111';
const OLD_KEY = 'arn:aws:kms:eu-west-1:111122223333:key/22222222-2222-4222-8222-222222222222';

type DecryptAnswer = { Plaintext: Uint8Array; KeyId: string } | Error;

/** A KMS client whose GenerateDataKey hands out one data key and whose Decrypt answers per requested KeyId. */
function stubKms(decrypt: (keyId: string | undefined) => DecryptAnswer) {
  const dataKey = randomBytes(32);
  const wrappedKey = randomBytes(64);
  const decryptKeyIds: Array<string | undefined> = [];
  const client = {
    config: { region: async () => 'eu-west-1' },
    send: async (command: { constructor: { name: string }; input: { KeyId?: string } }) => {
      if (command.constructor.name === 'GenerateDataKeyCommand') {
        return { Plaintext: Uint8Array.from(dataKey), CiphertextBlob: Uint8Array.from(wrappedKey), KeyId: NEW_KEY };
      }
      decryptKeyIds.push(command.input.KeyId);
      const answer = decrypt(command.input.KeyId);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { client: client as unknown as KMSClient, dataKey, wrappedKey, decryptKeyIds };
}

/** An SDK service error as the KMS client rejects with it. */
function kmsServiceError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/** Real KMS when IAM denies the caller the key it named (the resource is the key's ARN). */
const accessDenied = (keyId: string | undefined) =>
  kmsServiceError(
    'AccessDeniedException',
    `User: arn:aws:sts::111122223333:assumed-role/stream-decrypt/fn is not authorized to perform: kms:Decrypt on resource: ${keyId} because no identity-based policy allows the kms:Decrypt action`,
  );
/** Real KMS when the key policy denies it. */
const keyPolicyDenied = (keyId: string | undefined) =>
  kmsServiceError(
    'AccessDeniedException',
    `User: arn:aws:sts::111122223333:assumed-role/stream-decrypt/fn is not authorized to perform: kms:Decrypt on resource: ${keyId} with an explicit deny in a resource-based policy`,
  );
/** Real KMS about the item: its ciphertext names a key this caller cannot see (someone else's). */
const ciphertextRefers = () =>
  kmsServiceError(
    'AccessDeniedException',
    'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.',
  );
/** moto's answer to a key mismatch: the name alone, which the SDK gives the message "UnknownError" (or none). */
const motoMismatch = (message: string) => () => kmsServiceError('AccessDeniedException', message);
const incorrectKey = () => kmsServiceError('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.');

function context(materialDescription?: Record<string, string>): EncryptionContext {
  return { tableName: TABLE, partitionKeyName: 'pk', attributes: { pk: { S: 'order-1' } }, materialDescription };
}

/** The description a first provider wrote for one item, as the decrypting provider reads it back. */
async function storedDescription(client: KMSClient): Promise<Record<string, string>> {
  return (await writtenMaterials(client)).description;
}

/** What a first provider encrypted one item with: its description, and the key bytes derived from the data key. */
async function writtenMaterials(client: KMSClient): Promise<{ description: Record<string, string>; encryptionKey: Buffer; signingKey: Buffer }> {
  const writer = new AwsKmsMaterialsProvider({ keyId: NEW_KEY, kmsClient: client });
  const materials = await writer.encryptionMaterials(context());
  return {
    description: { ...materials.materialDescription },
    encryptionKey: (materials.encryptionKey as LocalKey).keyObject.export(),
    signingKey: materials.signingKey.keyObject.export(),
  };
}

/** The decryption materials hold the very keys the writer encrypted and signed with. */
function expectWriterKeys(materials: DecryptionMaterials, written: { encryptionKey: Buffer; signingKey: Buffer }): void {
  expect((materials.decryptionKey as LocalKey).keyObject.export()).toEqual(written.encryptionKey);
  expect(materials.verificationKey.keyObject.export()).toEqual(written.signingKey);
}

function strictProvider(client: KMSClient): AwsKmsMaterialsProvider {
  return new AwsKmsMaterialsProvider({ keyId: NEW_KEY, kmsClient: client, allowedKeyIds: [NEW_KEY, OLD_KEY], maxKmsAttempts: 1 });
}

/** Not strict: KMS takes the key from the ciphertext. */
function trustingProvider(client: KMSClient): AwsKmsMaterialsProvider {
  return new AwsKmsMaterialsProvider({ keyId: NEW_KEY, kmsClient: client, maxKmsAttempts: 1 });
}

/** A stub KMS answering Decrypt with `decrypt`, and how a provider's decryption of an item wrapped through it fails. */
async function decryptionFailure(
  decrypt: (keyId: string | undefined) => DecryptAnswer,
  provider: (client: KMSClient) => AwsKmsMaterialsProvider = strictProvider,
): Promise<{ kms: ReturnType<typeof stubKms>; error: Error }> {
  const kms = stubKms(decrypt);
  const description = await storedDescription(kms.client);
  return { kms, error: await rejection(provider(kms.client).decryptionMaterials(context(description))) };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

describe('AwsKmsMaterialsProvider strict mode: a key KMS denies the caller is not a key mismatch', () => {
  it('AccessDeniedException for every allowed key is a KmsError naming the keys and the table, no key bytes', async () => {
    const { kms, error } = await decryptionFailure(accessDenied);

    expect(error).toBeInstanceOf(KmsError);
    expect(error).not.toBeInstanceOf(UnwrappingError);
    expect((error as KmsError).kmsErrorName).toBe('AccessDeniedException');
    expect((error as KmsError).tableName).toBe(TABLE);
    expect(error.message).toContain(NEW_KEY);
    expect(error.message).toContain(OLD_KEY);
    expect(error.message).toContain(`table "${TABLE}"`);
    for (const bytes of [kms.dataKey, kms.wrappedKey]) {
      for (const encoding of ['base64', 'hex'] as const) expect(error.message).not.toContain(bytes.toString(encoding));
    }
    // Each allowed key was asked once: a denial of one key says nothing about the others.
    expect(kms.decryptKeyIds).toEqual([NEW_KEY, OLD_KEY]);
  });

  it('a denied key among mismatches is still a KmsError: the denied key may be the one that wrapped the data key', async () => {
    const { kms, error } = await decryptionFailure((keyId) => (keyId === NEW_KEY ? accessDenied(keyId) : incorrectKey()));
    expect(error).toBeInstanceOf(KmsError);
    expect(error.message).toContain(NEW_KEY);
    expect(error.message).not.toContain(kms.dataKey.toString('base64'));
  });

  it('a key-policy deny naming the requested key is a KmsError too', async () => {
    const { error } = await decryptionFailure(keyPolicyDenied);
    expect(error).toBeInstanceOf(KmsError);
    expect((error as KmsError).kmsErrorName).toBe('AccessDeniedException');
    expect(error.message).toContain(NEW_KEY);
  });

  it('the denial may name the requested key by its key id, or (for an alias) by the ARN KMS resolved it to', async () => {
    const newKeyId = NEW_KEY.slice(NEW_KEY.indexOf('key/') + 'key/'.length);
    for (const allowed of [newKeyId, 'alias/orders', 'arn:aws:kms:eu-west-1:111122223333:alias/orders']) {
      // A key id or alias resolves to the key's ARN, and the denial names that resource.
      const kms = stubKms(() => accessDenied(NEW_KEY));
      const description = await storedDescription(kms.client);
      const provider = new AwsKmsMaterialsProvider({ keyId: allowed, kmsClient: kms.client, maxKmsAttempts: 1, strict: true });
      const error = await rejection(provider.decryptionMaterials(context(description)));
      expect(error).toBeInstanceOf(KmsError);
      expect(error.message).toContain(allowed);
    }
  });

  it('a denial naming another resource than the requested key is a mismatch: an UnwrappingError', async () => {
    const otherKey = 'arn:aws:kms:eu-west-1:444455556666:key/33333333-3333-4333-8333-333333333333';
    // Also an id that merely starts like the requested one is another key.
    const lookalike = `${NEW_KEY}0`;
    for (const named of [otherKey, lookalike]) {
      const { kms, error } = await decryptionFailure(() => accessDenied(named));
      expect(error).toBeInstanceOf(UnwrappingError);
      expect(kms.decryptKeyIds).toEqual([NEW_KEY, OLD_KEY]);
    }
  });

  it('AccessDeniedException saying the ciphertext refers to a key this caller cannot use, for every allowed key, is an UnwrappingError: a foreign item', async () => {
    // What real KMS answers for an item wrapped under someone else's key, which anyone with
    // PutItem can plant: an item problem, dead-lettered, not an outage retried for ever.
    const { kms, error } = await decryptionFailure(ciphertextRefers);
    expect(error).toBeInstanceOf(UnwrappingError);
    expect(error).not.toBeInstanceOf(KmsError);
    expect(error.message).toMatch(/^strict mode: KMS would not decrypt the item's data key with any of the 2 allowed key\(s\) \(AccessDeniedException\): another key wrapped it/);
    expect((error as UnwrappingError).tableName).toBe(TABLE);
    for (const bytes of [kms.dataKey, kms.wrappedKey]) expect(error.message).not.toContain(bytes.toString('base64'));
    expect(kms.decryptKeyIds).toEqual([NEW_KEY, OLD_KEY]);
  });

  it("moto's key-mismatch answer (AccessDeniedException without a message) is an UnwrappingError", async () => {
    for (const message of ['UnknownError', '']) {
      const { kms, error } = await decryptionFailure(motoMismatch(message));
      expect(error).toBeInstanceOf(UnwrappingError);
      expect(kms.decryptKeyIds).toEqual([NEW_KEY, OLD_KEY]);
    }
  });

  it('one allowed key denied to the caller and the other answering "ciphertext refers" is a KmsError: the denied key may be the one that wrapped it', async () => {
    for (const [denied, refers] of [[NEW_KEY, OLD_KEY], [OLD_KEY, NEW_KEY]]) {
      const { kms, error } = await decryptionFailure((keyId) => (keyId === denied ? accessDenied(keyId) : ciphertextRefers()));
      expect(error).toBeInstanceOf(KmsError);
      expect((error as KmsError).kmsErrorName).toBe('AccessDeniedException');
      expect(error.message).toContain(denied);
      expect(error.message).not.toContain(refers);
      expect(kms.decryptKeyIds).toEqual([NEW_KEY, OLD_KEY]);
    }
  });

  it('IncorrectKeyException for every allowed key is an UnwrappingError: another key wrapped the data key', async () => {
    const { kms, error } = await decryptionFailure(incorrectKey);
    expect(error).toBeInstanceOf(UnwrappingError);
    expect(error).not.toBeInstanceOf(KmsError);
    expect(error.message).toMatch(/strict mode/);
    expect(kms.decryptKeyIds).toEqual([NEW_KEY, OLD_KEY]);
  });

  it('tries the next allowed key after IncorrectKeyException or either AccessDeniedException, and decrypts with it', async () => {
    for (const refusal of [incorrectKey, accessDenied, ciphertextRefers, motoMismatch('UnknownError')]) {
      const kms = stubKms((keyId) => (keyId === OLD_KEY ? { Plaintext: Uint8Array.from(kms.dataKey), KeyId: OLD_KEY } : refusal(keyId)));
      const written = await writtenMaterials(kms.client);
      const materials = await strictProvider(kms.client).decryptionMaterials(context(written.description));
      expectWriterKeys(materials, written);
      expect(kms.decryptKeyIds).toEqual([NEW_KEY, OLD_KEY]);
    }
  });

  it('outside strict mode an authorization failure is a KmsError too', async () => {
    const { kms, error } = await decryptionFailure(accessDenied, trustingProvider);
    expect(error).toBeInstanceOf(KmsError);
    expect(kms.decryptKeyIds).toEqual([undefined]);
  });

  it('outside strict mode "the ciphertext refers to a key..." is about the item: UnwrappingError', async () => {
    const { error } = await decryptionFailure(ciphertextRefers, trustingProvider);
    expect(error).toBeInstanceOf(UnwrappingError);
    expect((error as Error).message).toContain(`(table "${TABLE}")`);
  });
});

describe('AwsKmsMaterialsProvider default clients', () => {
  it("without kmsClient, a bare key id's Decrypt goes to keyId's region, as the single default client did", async () => {
    const bareKeyId = '22222222-2222-4222-8222-222222222222';
    const writer = stubKms(() => new Error('unused'));
    const written = await writtenMaterials(writer.client);
    // The SDK's default region differs from keyId's, so a client in it would be caught.
    const savedRegion = process.env.AWS_REGION;
    process.env.AWS_REGION = 'us-east-2';
    const calls: Array<{ keyId?: string; region: string }> = [];
    const send = jest.spyOn(KMSClient.prototype, 'send').mockImplementation(async function (this: KMSClient, command: unknown) {
      const keyId = (command as { input: { KeyId?: string } }).input.KeyId;
      calls.push({ keyId, region: await this.config.region() });
      if (keyId === NEW_KEY) throw incorrectKey();
      return { Plaintext: Uint8Array.from(writer.dataKey), KeyId: OLD_KEY };
    } as never);
    try {
      const provider = new AwsKmsMaterialsProvider({ keyId: NEW_KEY, allowedKeyIds: [NEW_KEY, bareKeyId], maxKmsAttempts: 1 });
      const materials = await provider.decryptionMaterials(context(written.description));
      expectWriterKeys(materials, written);
      expect(calls).toEqual([
        { keyId: NEW_KEY, region: 'eu-west-1' },
        { keyId: bareKeyId, region: 'eu-west-1' },
      ]);
    } finally {
      send.mockRestore();
      if (savedRegion === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = savedRegion;
    }
  });
});
