/**
 * `npm run bench -- core`: one item encrypted and decrypted on a single thread, against the
 * raw-crypto floor measured in the same run.
 *
 * - `encrypt`, `decrypt`: the standard item with raw materials (StaticMaterialsProvider: one
 *   AES-256 encryption key and one HmacSHA256 signing key, no key wrapping), items/s;
 * - `encrypt-wrapped`, `decrypt-wrapped`: the same item with a WrappedMaterialsProvider (AES-256
 *   wrapping key, HmacSHA256 signing key): a fresh content key generated and wrapped (AESWrap)
 *   per encryption, unwrapped per decryption, items/s;
 * - `raw-crypto-floor` (items/s), `encrypt-to-floor`, `decrypt-to-floor`: the raw-materials
 *   figures over the floor (ratios).
 *
 * BENCH_ROUNDS (default 3) interleaved rounds of BENCH_SECONDS (default 1.5) per measurement,
 * the five measurements in alternating order from one round to the next (forwards, then
 * backwards); items/s figures are the best round, ratios the median of the ratios within a round
 * (RoundFigures in bench/figures.ts). One warm-up run of each measurement comes first.
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
import { WrappedMaterialsProvider } from '../src/providers/wrapped-provider';
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

/** The standard item's configuration with raw materials (StaticMaterialsProvider). */
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

/** The same configuration with wrapped materials: AES-256 wrapping key, HmacSHA256 signing key. */
export function wrappedConfig(): CryptoConfig {
  const wrappingKey = LocalKey.generateAes(256);
  return {
    ...standardConfig(),
    materialsProvider: new WrappedMaterialsProvider({ wrappingKey, unwrappingKey: wrappingKey, signingKey: LocalKey.generateHmac('HmacSHA256', 32) }),
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
  const wrapped = wrappedConfig();
  const plain = standardItem();
  const stored = await encryptDynamoDbItem(plain, config);
  const storedWrapped = await encryptDynamoDbItem(plain, wrapped);
  const floorWork = rawCryptoFloor(plain, stored);

  const work: Record<string, () => unknown> = {
    'raw-crypto-floor': floorWork,
    encrypt: () => encryptDynamoDbItem(plain, config),
    decrypt: () => decryptDynamoDbItem(stored, config),
    'encrypt-wrapped': () => encryptDynamoDbItem(plain, wrapped),
    'decrypt-wrapped': () => decryptDynamoDbItem(storedWrapped, wrapped),
  };
  const metrics = Object.keys(work);

  // Warm up the JIT, then interleaved rounds in alternating order (see RoundFigures): the machine is shared.
  for (const metric of metrics) await operationsPerSecond(work[metric], Math.min(0.5, SECONDS_PER_MEASUREMENT));
  const figures = new RoundFigures();
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const metric of round % 2 === 0 ? metrics : [...metrics].reverse()) {
      figures.record(metric, await operationsPerSecond(work[metric], SECONDS_PER_MEASUREMENT));
    }
  }
  for (const metric of metrics) emit(metric, figures.best(metric), 'items/s');
  emit('encrypt-to-floor', figures.pairedRatio('encrypt', 'raw-crypto-floor'), 'ratio');
  emit('decrypt-to-floor', figures.pairedRatio('decrypt', 'raw-crypto-floor'), 'ratio');
}
