/**
 * `npm run bench -- core`: one item encrypted and decrypted on a single thread, against the
 * raw-crypto floor measured in the same run.
 *
 * The floor does, in a plain loop with no serialization, the cryptography the format asks of one
 * item when done naively: per encrypted attribute a random IV and one AES-CBC encryption of the
 * attribute's canonical size; SHA-256 of the table block, of every signed name and of every
 * signed value; one HMAC over the string to sign. (The marker digests are constants.)
 */
import { createCipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { AttributeActions } from '../src/encryptor/attribute-actions';
import { CryptoAction } from '../src/encryptor/crypto-action';
import type { CryptoConfig } from '../src/encryptor/crypto-config';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../src/encryptor/item-encryptor';
import { LocalKey } from '../src/crypto/local-key';
import { serializeAttribute } from '../src/format/attribute-serializer';
import type { DynamoDbItem } from '../src/format/attribute-value';
import { RawDecryptionMaterials, RawEncryptionMaterials } from '../src/materials/raw-materials';
import { StaticMaterialsProvider } from '../src/providers/static-provider';
import { ReservedAttributes } from '../src/format/material-description-keys';
import { operationsPerSecond, RoundFigures, type Emit } from './figures';

const SECONDS_PER_MEASUREMENT = Number(process.env.BENCH_SECONDS ?? 1.5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

export function standardItem(): DynamoDbItem {
  const item: DynamoDbItem = { pk: { S: 'customer#000123' }, sk: { N: '42' } };
  for (let index = 0; index < 10; index += 1) item[`attr0${index}`] = { S: 'x'.repeat(90) };
  item.nested = { M: { a: { N: '1' }, b: { L: [{ S: 'q' }, { BOOL: true }] } } };
  return item;
}

export function standardConfig(): CryptoConfig {
  const encryptionKey = LocalKey.generateAes(256);
  const signingKey = LocalKey.generateHmac('HmacSHA256', 32);
  return {
    materialsProvider: new StaticMaterialsProvider({
      encryptionMaterials: new RawEncryptionMaterials({ encryptionKey, signingKey }),
      decryptionMaterials: new RawDecryptionMaterials({ decryptionKey: encryptionKey, verificationKey: signingKey }),
    }),
    encryptionContext: { tableName: 'bench', partitionKeyName: 'pk', sortKeyName: 'sk' },
    attributeActions: new AttributeActions({ defaultAction: CryptoAction.ENCRYPT_AND_SIGN }).setIndexKeys('pk', 'sk'),
  };
}

/** The floor's work for one item, with inputs of the sizes the standard item has. */
function rawCryptoFloor(plain: DynamoDbItem, stored: DynamoDbItem): () => void {
  const aesKey = randomBytes(32);
  const hmacKey = randomBytes(32);
  const encryptedPlaintexts = Object.keys(plain)
    .filter((name) => name !== 'pk' && name !== 'sk')
    .map((name) => serializeAttribute(plain[name]));
  const signedNames = Object.keys(stored).filter((name) => !Object.values(ReservedAttributes).includes(name as never));
  const nameBytes = signedNames.map((name) => Buffer.from(name, 'utf8'));
  const valueBytes = signedNames.map((name) => serializeAttribute(stored[name]));
  const tableBlock = Buffer.from('TABLE>bench<TABLE', 'utf8');
  const stringToSignLength = 32 * (1 + 3 * signedNames.length);
  return () => {
    for (const plaintext of encryptedPlaintexts) {
      const cipher = createCipheriv('aes-256-cbc', aesKey, randomBytes(16));
      cipher.update(plaintext);
      cipher.final();
    }
    const digests: Buffer[] = [createHash('sha256').update(tableBlock).digest()];
    for (let index = 0; index < signedNames.length; index += 1) {
      digests.push(createHash('sha256').update(nameBytes[index]).digest());
      digests.push(createHash('sha256').update(valueBytes[index]).digest());
    }
    createHmac('sha256', hmacKey).update(Buffer.concat(digests, stringToSignLength)).digest();
  };
}

export async function run(emit: Emit): Promise<void> {
  const config = standardConfig();
  const plain = standardItem();
  const stored = await encryptDynamoDbItem(plain, config);
  const floorWork = rawCryptoFloor(plain, stored);

  // Interleaved rounds (see RoundFigures): the machine is shared.
  const figures = new RoundFigures();
  for (let round = 0; round < ROUNDS; round += 1) {
    figures.record('raw-crypto-floor', await operationsPerSecond(floorWork, SECONDS_PER_MEASUREMENT));
    figures.record('encrypt', await operationsPerSecond(() => encryptDynamoDbItem(plain, config), SECONDS_PER_MEASUREMENT));
    figures.record('decrypt', await operationsPerSecond(() => decryptDynamoDbItem(stored, config), SECONDS_PER_MEASUREMENT));
  }
  for (const metric of ['raw-crypto-floor', 'encrypt', 'decrypt']) emit(metric, figures.best(metric), 'items/s');
  emit('encrypt-to-floor', figures.pairedRatio('encrypt', 'raw-crypto-floor'), 'ratio');
  emit('decrypt-to-floor', figures.pairedRatio('decrypt', 'raw-crypto-floor'), 'ratio');
}
