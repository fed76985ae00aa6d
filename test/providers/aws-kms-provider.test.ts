/**
 * AwsKmsMaterialsProvider's strict-mode Decrypt against a stand-in KMS client: which KMS answers
 * mean "another key wrapped this data key" (try the next allowed key, else UnwrappingError, an
 * item problem) and which mean "this caller may not use the key" (KmsError, a failure of KMS as
 * a whole that pipelines retry). The live moto behaviour is covered in test/integration.
 */
import { randomBytes } from 'node:crypto';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { EncryptionContext } from '../../src/encryptor/encryption-context';
import { KmsError, UnwrappingError } from '../../src/errors';
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

const accessDenied = (keyId: string | undefined) =>
  kmsServiceError('AccessDeniedException', `User: arn:aws:sts::111122223333:assumed-role/stream-decrypt/fn is not authorized to perform: kms:Decrypt on resource: ${keyId}`);
const incorrectKey = () => kmsServiceError('IncorrectKeyException', 'The key ID in the request does not identify a CMK that can perform this operation.');

function context(materialDescription?: Record<string, string>): EncryptionContext {
  return { tableName: TABLE, partitionKeyName: 'pk', attributes: { pk: { S: 'order-1' } }, materialDescription };
}

/** The description a first provider wrote for one item, as the decrypting provider reads it back. */
async function storedDescription(client: KMSClient): Promise<Record<string, string>> {
  const writer = new AwsKmsMaterialsProvider({ keyId: NEW_KEY, kmsClient: client });
  return { ...(await writer.encryptionMaterials(context())).materialDescription };
}

function strictProvider(client: KMSClient): AwsKmsMaterialsProvider {
  return new AwsKmsMaterialsProvider({ keyId: NEW_KEY, kmsClient: client, allowedKeyIds: [NEW_KEY, OLD_KEY], maxKmsAttempts: 1 });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error as Error,
  );
}

describe('AwsKmsMaterialsProvider strict mode: a key KMS denies is not a key mismatch', () => {
  it('AccessDeniedException for every allowed key is a KmsError naming the keys and the table, no key bytes', async () => {
    const kms = stubKms(accessDenied);
    const description = await storedDescription(kms.client);
    const error = await rejection(strictProvider(kms.client).decryptionMaterials(context(description)));

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
    const kms = stubKms((keyId) => (keyId === NEW_KEY ? accessDenied(keyId) : incorrectKey()));
    const description = await storedDescription(kms.client);
    const error = await rejection(strictProvider(kms.client).decryptionMaterials(context(description)));
    expect(error).toBeInstanceOf(KmsError);
    expect(error.message).toContain(NEW_KEY);
    expect(error.message).not.toContain(kms.dataKey.toString('base64'));
  });

  it('IncorrectKeyException for every allowed key is an UnwrappingError: another key wrapped the data key', async () => {
    const kms = stubKms(incorrectKey);
    const description = await storedDescription(kms.client);
    const error = await rejection(strictProvider(kms.client).decryptionMaterials(context(description)));
    expect(error).toBeInstanceOf(UnwrappingError);
    expect(error).not.toBeInstanceOf(KmsError);
    expect(error.message).toMatch(/strict mode/);
    expect(kms.decryptKeyIds).toEqual([NEW_KEY, OLD_KEY]);
  });

  it('tries the next allowed key after IncorrectKeyException or AccessDeniedException, and decrypts with it', async () => {
    for (const refusal of [incorrectKey, accessDenied]) {
      const kms = stubKms((keyId) => (keyId === OLD_KEY ? { Plaintext: Uint8Array.from(kms.dataKey), KeyId: OLD_KEY } : refusal(keyId)));
      const description = await storedDescription(kms.client);
      const materials = await strictProvider(kms.client).decryptionMaterials(context(description));
      expect(materials.decryptionKey).toBeDefined();
      expect(kms.decryptKeyIds).toEqual([NEW_KEY, OLD_KEY]);
    }
  });

  it('outside strict mode AccessDeniedException is a KmsError too', async () => {
    const kms = stubKms(accessDenied);
    const description = await storedDescription(kms.client);
    const trusting = new AwsKmsMaterialsProvider({ keyId: NEW_KEY, kmsClient: kms.client, maxKmsAttempts: 1 });
    const error = await rejection(trusting.decryptionMaterials(context(description)));
    expect(error).toBeInstanceOf(KmsError);
    expect(kms.decryptKeyIds).toEqual([undefined]);
  });
});
