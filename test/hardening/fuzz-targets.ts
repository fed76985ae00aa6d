/**
 * The fuzz targets of issue #8 (hostile input), shared by the jest tests in this folder and by
 * `bench/fuzz.ts`: item decryption (arbitrary items and tampered encrypted items), the material
 * description parser, the canonical attribute deserializer, and the event parsing of the three
 * handlers (ingest, stream, re-encryption). `fuzz-oracle.ts` judges each case.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { LocalKey } from '../../src/crypto/local-key';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import type { CryptoConfig } from '../../src/encryptor/crypto-config';
import type { EncryptionContext } from '../../src/encryptor/encryption-context';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { deserializeAttribute } from '../../src/format/attribute-deserializer';
import { serializeAttribute } from '../../src/format/attribute-serializer';
import type { AttributeValue, DynamoDbItem } from '../../src/format/attribute-value';
import { itemToJson } from '../../src/format/dynamodb-json';
import { deserializeMaterialDescription, serializeMaterialDescription } from '../../src/format/material-description';
import { MaterialDescriptionKeys, ReservedAttributes } from '../../src/format/material-description-keys';
import type { DecryptionMaterials, EncryptionMaterials } from '../../src/materials/cryptographic-materials';
import { RawDecryptionMaterials, RawEncryptionMaterials } from '../../src/materials/raw-materials';
import { classifyIngestEvent, itemsFromJson } from '../../src/pipeline/ingest-event';
import { checkIngestItem } from '../../src/pipeline/ingest-item-check';
import type { IngestKeySchema } from '../../src/pipeline/ingest-key-schema';
import { segmentRequestFromJson } from '../../src/pipeline/reencrypt-request';
import { identityOf, parseStreamRecord, recordsOf } from '../../src/pipeline/stream-record';
import type { CryptographicMaterialsProvider } from '../../src/providers/cryptographic-materials-provider';
import { StaticMaterialsProvider } from '../../src/providers/static-provider';
import { WrappedMaterialsProvider } from '../../src/providers/wrapped-provider';
import { DynamoDbEncryptionError as TypedError } from '../../src/errors';
import { put } from '../encryptor/arbitraries';
import { DATA_NUMBER_MARKER, NUMBER_MARKER, PLAINTEXT_SECRETS, exposedText, keySecret, type Attempt, type FuzzTarget, type Secret } from './fuzz-oracle';
import {
  anyJavaScript,
  byteMutation,
  cleanText,
  deepJsonText,
  deepSerialization,
  hostileValue,
  itemOf,
  jsonMutation,
  lyingCountSerialization,
  markedJson,
  markedKeyValue,
  markedNumber,
  markedRandomBytes,
  markedText,
  markedValue,
  markedValuePlainKeys,
  mutateAll,
  mutateJson,
  mutateText,
  nativeItem,
  tagHeaderBytes,
  textMutation,
  type ByteMutation,
} from './fuzz-inputs';

const { ENCRYPT_AND_SIGN, SIGN_ONLY, DO_NOTHING } = CryptoAction;
const SIG = ReservedAttributes.SIGNATURE;
const DESC = ReservedAttributes.MATERIAL_DESCRIPTION;
const TABLE = 'FuzzTable';

export interface FuzzOptions {
  /**
   * Also generate the inputs of the bugs fuzzing found and src/ fixed (`FUZZ_FINDINGS`), so that
   * they stay fixed. On by default; off only to fuzz the rest faster.
   * @default true
   */
  readonly includeFindings?: boolean;
}

/** Bugs these targets found, fixed in src/; `fuzz-findings.test.ts` keeps them fixed. */
export const FUZZ_FINDINGS = {
  /**
   * `checkIngestItem` (src/pipeline/ingest-item-check.ts) recursed without a depth limit: a JSON
   * item nested a few thousand levels deep threw RangeError "Maximum call stack size exceeded"
   * instead of being rejected. Now refused past DynamoDB's 32 levels, before any recursion.
   */
  ingestDeepNesting: { safeDepth: 400, triggerDepth: 20_000 },
  /**
   * Attribute names were hashed into the string to sign as `Buffer.from(name, 'utf8')`, which
   * turns every lone surrogate into U+FFFD: an item signed with an attribute "total\uFFFD" still
   * verified after the attribute was renamed "total\uD800". Names that are not well-formed
   * Unicode are now refused when signing and verifying.
   */
  signatureNameAmbiguity: { storedName: 'total\uFFFD', tamperedName: 'total\uD800' },
} as const;

// ---------------------------------------------------------------------------------------------
// Keys and configurations whose bytes we know, so that leaks of them can be searched for

/** Deterministic key bytes: reproducible cases, and a known value to search error texts for. */
function keyBytes(label: string, length: number): Buffer {
  return createHash('sha512').update(`fuzz key: ${label}`).digest().subarray(0, length);
}

/** Records every content key the inner provider hands out (per-item keys of the wrapped provider). */
class KeyCapturingProvider implements CryptographicMaterialsProvider {
  private captured: Secret[] = [];

  constructor(private readonly inner: CryptographicMaterialsProvider) {}

  async encryptionMaterials(context: EncryptionContext): Promise<EncryptionMaterials> {
    const materials = await this.inner.encryptionMaterials(context);
    this.capture(materials.encryptionKey);
    return materials;
  }

  async decryptionMaterials(context: EncryptionContext): Promise<DecryptionMaterials> {
    const materials = await this.inner.decryptionMaterials(context);
    this.capture(materials.decryptionKey);
    return materials;
  }

  /** Content keys seen since the last drain. */
  drain(): Secret[] {
    const captured = this.captured;
    this.captured = [];
    return captured;
  }

  private capture(key: LocalKey | undefined): void {
    if (key?.keyObject.type === 'secret') this.captured.push(keySecret('a content key', key.keyObject.export()));
  }
}

export type ProviderName = 'static' | 'wrapped-aes' | 'wrapped-rsa';

interface ProviderSetup {
  readonly config: CryptoConfig;
  readonly capture: KeyCapturingProvider;
  readonly keySecrets: readonly Secret[];
}

/** Attribute names with explicit actions; every other name is ENCRYPT_AND_SIGN. */
export const SIGN_ONLY_NAMES = ['s0', 's1', 's2'] as const;
export const DO_NOTHING_NAMES = ['d0', 'd1', 'd2'] as const;

function fuzzActions(): AttributeActions {
  const overrides: Record<string, CryptoAction> = {};
  for (const name of SIGN_ONLY_NAMES) overrides[name] = SIGN_ONLY;
  for (const name of DO_NOTHING_NAMES) overrides[name] = DO_NOTHING;
  return new AttributeActions({ defaultAction: ENCRYPT_AND_SIGN, attributeActions: overrides }).setIndexKeys('pk', 'sk');
}

const setups = new Map<ProviderName, ProviderSetup>();

function setupFor(name: ProviderName): ProviderSetup {
  const existing = setups.get(name);
  if (existing !== undefined) return existing;
  let provider: CryptographicMaterialsProvider;
  let keySecrets: Secret[];
  if (name === 'static') {
    const aes = keyBytes('static AES-256', 32);
    const hmac = keyBytes('static HmacSHA256', 32);
    const encryptionKey = new LocalKey({ key: aes, algorithm: 'AES', keyType: 'SYMMETRIC', encoding: 'RAW' });
    const signingKey = new LocalKey({ key: hmac, algorithm: 'HmacSHA256', keyType: 'SYMMETRIC', encoding: 'RAW' });
    provider = new StaticMaterialsProvider({
      encryptionMaterials: new RawEncryptionMaterials({ encryptionKey, signingKey }),
      decryptionMaterials: new RawDecryptionMaterials({ decryptionKey: encryptionKey, verificationKey: signingKey }),
    });
    keySecrets = [keySecret('the static AES key', aes), keySecret('the static HMAC key', hmac)];
  } else if (name === 'wrapped-aes') {
    const wrapping = keyBytes('wrapping AES-256', 32);
    const hmac = keyBytes('wrapped HmacSHA256', 32);
    const wrappingKey = new LocalKey({ key: wrapping, algorithm: 'AES', keyType: 'SYMMETRIC', encoding: 'RAW' });
    provider = new WrappedMaterialsProvider({
      wrappingKey,
      unwrappingKey: wrappingKey,
      signingKey: new LocalKey({ key: hmac, algorithm: 'HmacSHA256', keyType: 'SYMMETRIC', encoding: 'RAW' }),
    });
    keySecrets = [keySecret('the AES wrapping key', wrapping), keySecret('the wrapped HMAC key', hmac)];
  } else {
    // RSA keys cannot be derived from a label cheaply; generated once per process, then searched for.
    const der = (): { publicKey: Buffer; privateKey: Buffer } =>
      generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'der' },
        privateKeyEncoding: { type: 'pkcs8', format: 'der' },
      });
    const wrapping = der();
    const signing = der();
    const localKey = (key: Buffer, algorithm: string, keyType: 'PUBLIC' | 'PRIVATE'): LocalKey => new LocalKey({ key, algorithm, keyType, encoding: 'DER' });
    provider = new WrappedMaterialsProvider({
      wrappingKey: localKey(wrapping.publicKey, 'RSA', 'PUBLIC'),
      unwrappingKey: localKey(wrapping.privateKey, 'RSA', 'PRIVATE'),
      signingKey: localKey(signing.privateKey, 'SHA256withRSA', 'PRIVATE'),
      verificationKey: localKey(signing.publicKey, 'SHA256withRSA', 'PUBLIC'),
    });
    keySecrets = [keySecret('the RSA unwrapping key', wrapping.privateKey), keySecret('the RSA signing key', signing.privateKey)];
  }
  const capture = new KeyCapturingProvider(provider);
  const setup: ProviderSetup = {
    config: { materialsProvider: capture, attributeActions: fuzzActions(), encryptionContext: { tableName: TABLE, partitionKeyName: 'pk', sortKeyName: 'sk' } },
    capture,
    keySecrets,
  };
  setups.set(name, setup);
  return setup;
}

/** RSA is about ten times slower per item: drawn less often. */
const providerName: fc.Arbitrary<ProviderName> = fc.oneof(
  { weight: 5, arbitrary: fc.constant<ProviderName>('static') },
  { weight: 5, arbitrary: fc.constant<ProviderName>('wrapped-aes') },
  { weight: 1, arbitrary: fc.constant<ProviderName>('wrapped-rsa') },
);

function decryptSecrets(setup: ProviderSetup): () => Secret[] {
  return () => [...PLAINTEXT_SECRETS, ...setup.keySecrets, ...setup.capture.drain()];
}

// ---------------------------------------------------------------------------------------------
// 1a. decryptDynamoDbItem on arbitrary items

const attributeName: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('e0', 'e1', ...SIGN_ONLY_NAMES, ...DO_NOTHING_NAMES) },
  { weight: 1, arbitrary: fc.constantFrom('', '__proto__', 'constructor', '*amzn-ddb-map-desc', 'pk ', 'PK', '\uD800') },
  { weight: 2, arbitrary: cleanText.filter((name) => name !== SIG && name !== DESC && name !== 'pk' && name !== 'sk') },
);

const DESCRIPTION_CANDIDATES: Readonly<Record<string, readonly string[]>> = {
  [MaterialDescriptionKeys.SYMMETRIC_ENCRYPTION_MODE]: ['/CBC/PKCS5Padding', '/GCM/NoPadding', '', '/CBC/NoPadding'],
  [MaterialDescriptionKeys.SIGNING_ALGORITHM]: ['HmacSHA256', 'HmacSHA512', 'SHA256withRSA', 'SHA512withRSA', 'RSA', 'none', 'HmacSHA1'],
  [MaterialDescriptionKeys.CONTENT_KEY_ALGORITHM]: ['AES/256', 'AES/128', 'AES/192', 'AES', 'AES/0', 'AES/-8', 'AES/99999999999999999999', 'DES/56', 'AES/abc', ''],
  [MaterialDescriptionKeys.KEY_WRAPPING_ALGORITHM]: ['AESWrap', 'RSA/ECB/OAEPWithSHA-256AndMGF1Padding', 'RSA/ECB/OAEPWithSHA-1AndMGF1Padding', 'RSA/ECB/PKCS1Padding', 'AESWrapPad', ''],
  [MaterialDescriptionKeys.WRAPPED_KEY]: ['', 'not base64!', 'AAAA\r\nAAAA', '====', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
  [MaterialDescriptionKeys.SIGNING_KEY_ALGORITHM]: ['HmacSHA256', 'RSA', ''],
  [MaterialDescriptionKeys.META_ID]: ['0', '-1', 'x'],
};

/** A description built from the names providers read, each with a plausible or hostile value. */
const plausibleDescription: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.tuple(
      fc.constantFrom(...Object.keys(DESCRIPTION_CANDIDATES)),
      fc.nat(),
      fc.option(fc.uint8Array({ minLength: 1, maxLength: 300 }), { nil: undefined }),
    ),
    { maxLength: 7 },
  )
  .map((pairs) => {
    const description: Record<string, string> = {};
    for (const [name, pick, wrapped] of pairs) {
      const candidates = DESCRIPTION_CANDIDATES[name] as readonly string[];
      description[name] =
        name === MaterialDescriptionKeys.WRAPPED_KEY && wrapped !== undefined ? Buffer.from(wrapped).toString('base64') : (candidates[pick % candidates.length] as string);
    }
    return serializeMaterialDescription(description);
  });

/**
 * A description with every pair a wrapped provider reads, so that unwrapping (which happens
 * before the signature is checked) runs on hostile wrapped keys and algorithm names.
 */
const completeDescription: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.array(fc.nat(), { minLength: 5, maxLength: 5 }), fc.uint8Array({ minLength: 1, maxLength: 300 }))
  .map(([picks, wrapped]) => {
    const description: Record<string, string> = {};
    const names = [
      MaterialDescriptionKeys.SYMMETRIC_ENCRYPTION_MODE,
      MaterialDescriptionKeys.SIGNING_ALGORITHM,
      MaterialDescriptionKeys.CONTENT_KEY_ALGORITHM,
      MaterialDescriptionKeys.KEY_WRAPPING_ALGORITHM,
    ];
    names.forEach((name, index) => {
      const candidates = DESCRIPTION_CANDIDATES[name] as readonly string[];
      // Mostly the valid first candidate, so that one hostile value at a time gets through.
      const pick = picks[index] as number;
      description[name] = candidates[pick % 3 === 0 ? pick % candidates.length : 0] as string;
    });
    description[MaterialDescriptionKeys.WRAPPED_KEY] = Buffer.from(wrapped).toString('base64');
    if ((picks[4] as number) % 4 === 0) description[MaterialDescriptionKeys.KEY_WRAPPING_ALGORITHM] = 'RSA/ECB/OAEPWithSHA-256AndMGF1Padding';
    return serializeMaterialDescription(description);
  });

const descriptionAttribute: fc.Arbitrary<AttributeValue | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((B): AttributeValue => ({ B })) },
  { weight: 3, arbitrary: plausibleDescription.map((B): AttributeValue => ({ B })) },
  { weight: 4, arbitrary: completeDescription.map((B): AttributeValue => ({ B })) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.oneof(plausibleDescription, completeDescription), fc.array(byteMutation, { minLength: 1, maxLength: 2 }))
      .map(([bytes, mutations]): AttributeValue => ({ B: mutateAll(bytes, mutations) })),
  },
  { weight: 1, arbitrary: hostileValue },
);

const signatureAttribute: fc.Arbitrary<AttributeValue | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 600 }).map((B): AttributeValue => ({ B })) },
  { weight: 3, arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((B): AttributeValue => ({ B })) },
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 256, maxLength: 256 }).map((B): AttributeValue => ({ B })) },
  { weight: 1, arbitrary: hostileValue },
);

/** Attribute values of arbitrary items: mostly well-formed, so that more cases get past the shape checks. */
const itemSlotValue: fc.Arbitrary<AttributeValue> = fc.oneof(
  { weight: 8, arbitrary: markedValue },
  { weight: 2, arbitrary: hostileValue },
);

export interface ArbitraryItemInput {
  readonly provider: ProviderName;
  readonly item: DynamoDbItem;
}

const arbitraryItem: fc.Arbitrary<ArbitraryItemInput> = fc
  .record({
    provider: providerName,
    pk: fc.option(fc.oneof({ weight: 8, arbitrary: markedKeyValue }, { weight: 1, arbitrary: hostileValue }), { nil: undefined, freq: 12 }),
    sk: fc.option(fc.oneof({ weight: 8, arbitrary: markedKeyValue }, { weight: 1, arbitrary: hostileValue }), { nil: undefined, freq: 12 }),
    attributes: fc.uniqueArray(fc.tuple(attributeName, itemSlotValue), { maxLength: 6, selector: ([name]) => name }),
    description: descriptionAttribute,
    signature: signatureAttribute,
  })
  .map(({ provider, pk, sk, attributes, description, signature }) => {
    const item: DynamoDbItem = {};
    for (const [name, value] of attributes) put(item, name, value);
    if (pk !== undefined) put(item, 'pk', pk);
    if (sk !== undefined) put(item, 'sk', sk);
    if (description !== undefined) put(item, DESC, description);
    if (signature !== undefined) put(item, SIG, signature);
    return { provider, item };
  });

export const decryptArbitraryItem: FuzzTarget<ArbitraryItemInput> = {
  name: 'decryptDynamoDbItem: arbitrary items',
  benchShare: 3,
  arbitrary: arbitraryItem,
  prepare({ provider, item }): Attempt {
    const setup = setupFor(provider);
    return {
      call: () => decryptDynamoDbItem(item, setup.config),
      secrets: decryptSecrets(setup),
      // The signature attribute is random bytes (or absent, or not binary): accepting it is a forgery.
      checkResult: () => ['returned an item although its signature is random: a forgery was accepted'],
    };
  },
};

// ---------------------------------------------------------------------------------------------
// 1b. decryptDynamoDbItem on tampered encrypted items

/** Names of plaintext attributes: never U+FFFD outside known-bug mode (see `signatureNameAmbiguity`). */
function plaintextNames(options: FuzzOptions): fc.Arbitrary<string> {
  const lookalikes = options.includeFindings !== false ? [FUZZ_FINDINGS.signatureNameAmbiguity.storedName, '\uFFFD'] : [];
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('e0', 'e1', 'e2', ...SIGN_ONLY_NAMES, ...DO_NOTHING_NAMES) },
    { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'nämé😀', ...lookalikes) },
    {
      weight: 1,
      arbitrary: cleanText.filter((name) => name.length > 0 && name !== SIG && name !== DESC && name !== 'pk' && name !== 'sk' && (lookalikes.length > 0 || !name.includes('\uFFFD'))),
    },
  );
}
const plaintextName = plaintextNames({});

export type ItemMutationKind =
  | 'flip-ciphertext'
  | 'truncate-ciphertext'
  | 'extend-ciphertext'
  | 'mutate-signature'
  | 'mutate-description'
  | 'edit-description-pair'
  | 'drop-description-pair'
  | 'retype'
  | 'remove'
  | 'add'
  | 'replace'
  | 'swap'
  | 'rename'
  | 'do-nothing-change'
  /** Known bug only: rename to a name with the same lossy UTF-8 (U+FFFD → a lone surrogate). */
  | 'rename-lookalike';

export interface ItemMutation {
  readonly kind: ItemMutationKind;
  readonly pick: number;
  readonly other: number;
  readonly bytes: ByteMutation;
  readonly value: AttributeValue;
  readonly name: string;
}

function itemMutations(options: FuzzOptions): fc.Arbitrary<ItemMutation> {
  return fc.record({
    kind: fc.constantFrom<ItemMutationKind>(
      ...(options.includeFindings !== false ? (['rename-lookalike', 'rename-lookalike'] as const) : []),
      'flip-ciphertext',
      'truncate-ciphertext',
      'extend-ciphertext',
      'mutate-signature',
      'mutate-description',
      'edit-description-pair',
      'drop-description-pair',
      'retype',
      'remove',
      'add',
      'replace',
      'swap',
      'rename',
      'do-nothing-change',
    ),
    pick: fc.nat(),
    other: fc.nat(),
    bytes: byteMutation,
    value: hostileValue,
    name: attributeName,
  });
}

export interface TamperInput {
  readonly provider: ProviderName;
  readonly plaintext: DynamoDbItem;
  readonly mutations: readonly ItemMutation[];
}

const tamperInput = (options: FuzzOptions): fc.Arbitrary<TamperInput> => fc
  .record({
    provider: providerName,
    pk: markedKeyValue,
    sk: markedKeyValue,
    attributes: fc.uniqueArray(fc.tuple(plaintextNames(options), markedValue), { maxLength: 6, selector: ([name]) => name }),
    mutations: fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 12, arbitrary: fc.array(itemMutations(options), { minLength: 1, maxLength: 3 }) }),
  })
  .map(({ provider, pk, sk, attributes, mutations }) => {
    const plaintext = itemOf(attributes);
    put(plaintext, 'pk', pk);
    put(plaintext, 'sk', sk);
    return { provider, plaintext, mutations };
  });

function pickFrom<T>(items: readonly T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}

/** A value of another type holding the same bytes or text, as a type-confused store would. */
function retyped(value: AttributeValue, choice: number): AttributeValue {
  if (value.B instanceof Uint8Array) {
    const options: AttributeValue[] = [{ S: Buffer.from(value.B).toString('latin1') }, { BS: [value.B] }, { L: [{ B: value.B }] }, { N: '1' }];
    return options[choice % options.length] as AttributeValue;
  }
  if (typeof value.S === 'string') return choice % 2 === 0 ? { B: new Uint8Array(Buffer.from(value.S)) } : { SS: [value.S] };
  if (typeof value.N === 'string') return choice % 2 === 0 ? { S: value.N } : { NS: [value.N] };
  return choice % 2 === 0 ? { NULL: true } : { S: 'retyped' };
}

function applyItemMutation(stored: DynamoDbItem, mutation: ItemMutation, actions: AttributeActions): DynamoDbItem {
  const item: DynamoDbItem = { ...stored };
  const names = Object.keys(item);
  const encrypted = names.filter((name) => name !== SIG && name !== DESC && actions.action(name) === ENCRYPT_AND_SIGN && item[name]?.B instanceof Uint8Array);
  const withBytes = (name: string | undefined, change: (bytes: Uint8Array) => Uint8Array): void => {
    const current = name === undefined ? undefined : item[name]?.B;
    if (name !== undefined && current instanceof Uint8Array) put<AttributeValue>(item, name, { B: change(current) });
  };
  switch (mutation.kind) {
    case 'flip-ciphertext':
      withBytes(pickFrom(encrypted, mutation.pick), (bytes) => mutateAll(bytes, [{ ...mutation.bytes, kind: 'flip' }]));
      break;
    case 'truncate-ciphertext':
      withBytes(pickFrom(encrypted, mutation.pick), (bytes) => mutateAll(bytes, [{ ...mutation.bytes, kind: 'truncate' }]));
      break;
    case 'extend-ciphertext':
      withBytes(pickFrom(encrypted, mutation.pick), (bytes) => mutateAll(bytes, [{ ...mutation.bytes, kind: 'extend' }]));
      break;
    case 'mutate-signature':
      withBytes(SIG, (bytes) => mutateAll(bytes, [mutation.bytes]));
      break;
    case 'mutate-description':
      withBytes(DESC, (bytes) => mutateAll(bytes, [mutation.bytes]));
      break;
    case 'edit-description-pair':
    case 'drop-description-pair':
      withBytes(DESC, (bytes) => {
        let pairs: Map<string, string>;
        try {
          pairs = deserializeMaterialDescription(bytes);
        } catch {
          return mutateAll(bytes, [mutation.bytes]); // an earlier mutation broke it already
        }
        const descriptionNames = Object.keys(DESCRIPTION_CANDIDATES);
        const name = pickFrom(mutation.kind === 'drop-description-pair' ? [...pairs.keys()] : descriptionNames, mutation.pick);
        if (name === undefined) return bytes;
        if (mutation.kind === 'drop-description-pair') pairs.delete(name);
        else pairs.set(name, pickFrom(DESCRIPTION_CANDIDATES[name] as readonly string[], mutation.other) as string);
        return serializeMaterialDescription(pairs);
      });
      break;
    case 'retype': {
      const name = pickFrom(names, mutation.pick);
      if (name !== undefined) put(item, name, retyped(item[name] as AttributeValue, mutation.other));
      break;
    }
    case 'remove': {
      const name = pickFrom(names, mutation.pick);
      if (name !== undefined) delete item[name];
      break;
    }
    case 'add':
      if (!Object.prototype.hasOwnProperty.call(item, mutation.name)) put(item, mutation.name, mutation.value);
      break;
    case 'replace': {
      const name = pickFrom(names, mutation.pick);
      if (name !== undefined) put(item, name, mutation.value);
      break;
    }
    case 'swap': {
      const first = pickFrom(names, mutation.pick);
      const second = pickFrom(names, mutation.other);
      if (first !== undefined && second !== undefined && first !== second) {
        const value = item[first] as AttributeValue;
        put(item, first, item[second] as AttributeValue);
        put(item, second, value);
      }
      break;
    }
    case 'rename': {
      const name = pickFrom(names, mutation.pick);
      if (name !== undefined && !Object.prototype.hasOwnProperty.call(item, mutation.name)) {
        put(item, mutation.name, item[name] as AttributeValue);
        delete item[name];
      }
      break;
    }
    case 'rename-lookalike': {
      const name = pickFrom(names.filter((candidate) => candidate.includes('\uFFFD')), mutation.pick);
      const lookalike = name?.replace(/\uFFFD/g, '\uD800');
      if (name !== undefined && lookalike !== undefined && !Object.prototype.hasOwnProperty.call(item, lookalike)) {
        put(item, lookalike, item[name] as AttributeValue);
        delete item[name];
      }
      break;
    }
    default: {
      // The positive control: DO_NOTHING attributes are neither signed nor encrypted.
      const name = pickFrom(DO_NOTHING_NAMES, mutation.pick) as string;
      put(item, name, mutation.value);
    }
  }
  return item;
}

/** Canonical bytes as the signature sees them, or undefined when the value has none. */
function canonicalHex(value: AttributeValue | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return serializeAttribute(value, 'python').toString('hex');
  } catch {
    return undefined;
  }
}

function sameBinary(left: AttributeValue | undefined, right: AttributeValue | undefined): boolean {
  const a = left?.B;
  const b = right?.B;
  return a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0 && Object.keys(left ?? {}).length === 1 && Object.keys(right ?? {}).length === 1;
}

/** What decryption of the tampered item may and must do. */
interface TamperVerdict {
  /** A signed attribute or the signature changed: decryption must reject. */
  readonly mustReject: string | undefined;
  /** Only DO_NOTHING attributes changed (and nothing malformed): decryption must succeed. */
  readonly mustSucceed: boolean;
}

function judgeTampering(stored: DynamoDbItem, tampered: DynamoDbItem, actions: AttributeActions): TamperVerdict {
  if (!sameBinary(stored[SIG], tampered[SIG])) return { mustReject: 'the signature changed', mustSucceed: false };
  const names = new Set([...Object.keys(stored), ...Object.keys(tampered)]);
  for (const name of names) {
    if (name === SIG || name === DESC || actions.action(name) === DO_NOTHING) continue;
    const before = canonicalHex(stored[name]);
    const after = Object.prototype.hasOwnProperty.call(tampered, name) ? canonicalHex(tampered[name]) : undefined;
    if (before === undefined || after === undefined || before !== after) {
      return { mustReject: `signed attribute "${name}" changed, was added or was removed`, mustSucceed: false };
    }
  }
  const shapesOk = Object.values(tampered).every((value) => value !== null && typeof value === 'object' && !Array.isArray(value));
  return { mustReject: undefined, mustSucceed: shapesOk && sameBinary(stored[DESC], tampered[DESC]) };
}

function checkDecrypted(result: DynamoDbItem, plaintext: DynamoDbItem, tampered: DynamoDbItem, actions: AttributeActions): string[] {
  const problems: string[] = [];
  const expectedNames = Object.keys(tampered).filter((name) => name !== SIG && name !== DESC).sort();
  const names = Object.keys(result).sort();
  if (JSON.stringify(names) !== JSON.stringify(expectedNames)) problems.push(`decrypted item has attributes ${JSON.stringify(names)}, expected ${JSON.stringify(expectedNames)}`);
  for (const name of expectedNames) {
    if (actions.action(name) === ENCRYPT_AND_SIGN) {
      if (canonicalHex(result[name]) !== canonicalHex(plaintext[name])) problems.push(`attribute "${name}" decrypted to another value than was encrypted`);
    } else if (result[name] !== tampered[name]) {
      problems.push(`unencrypted attribute "${name}" was not returned as stored`);
    }
  }
  return problems;
}

export function decryptTamperedItem(options: FuzzOptions = {}): FuzzTarget<TamperInput> {
  return {
    name: 'decryptDynamoDbItem: tampered encrypted items',
    benchShare: 4,
    arbitrary: tamperInput(options),
    async prepare({ provider, plaintext, mutations }): Promise<Attempt> {
      const setup = setupFor(provider);
      const stored = await encryptDynamoDbItem(plaintext, setup.config);
      const actions = setup.config.attributeActions;
      const tampered = mutations.reduce((item, mutation) => applyItemMutation(item, mutation, actions), stored);
      const verdict = judgeTampering(stored, tampered, actions);
      const secrets = decryptSecrets(setup);
      const encryptionKeys = setup.capture.drain(); // the content key used to encrypt is secret too
      return {
        call: () => decryptDynamoDbItem(tampered, setup.config),
        secrets: () => [...secrets(), ...encryptionKeys],
        checkResult: (result) => {
          if (verdict.mustReject !== undefined) return [`returned an item although ${verdict.mustReject}: tampering was not detected`];
          return checkDecrypted(result as DynamoDbItem, plaintext, tampered, actions);
        },
        checkRejection: (error) => (verdict.mustSucceed ? [`rejected an untampered item (only DO_NOTHING attributes changed): ${error.name}: ${error.message}`] : []),
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 2. the material description parser

export interface BytesInput {
  readonly bytes: Uint8Array;
  /** Parse a view at an offset into a larger buffer (as a Buffer from the pool would be). */
  readonly asView: boolean;
}

function asViewOf(bytes: Uint8Array, asView: boolean): Uint8Array {
  if (!asView) return bytes;
  const backing = new Uint8Array(bytes.length + 7).fill(0xee);
  backing.set(bytes, 3);
  return backing.subarray(3, 3 + bytes.length);
}

const descriptionPairs: fc.Arbitrary<Map<string, string>> = fc
  .uniqueArray(fc.tuple(fc.oneof(cleanText, fc.constantFrom(...Object.keys(DESCRIPTION_CANDIDATES))), fc.oneof(markedText, cleanText)), {
    maxLength: 6,
    selector: ([name]) => name,
  })
  .map((pairs) => new Map(pairs));

const descriptionBytes: fc.Arbitrary<BytesInput> = fc.record({
  bytes: fc.oneof(
    markedRandomBytes,
    fc.uint8Array({ maxLength: 16 }).map((rest) => new Uint8Array([0, 0, 0, 0, ...rest])),
    descriptionPairs.map((pairs) => new Uint8Array(serializeMaterialDescription(pairs))),
    fc.tuple(descriptionPairs, fc.array(byteMutation, { minLength: 1, maxLength: 4 })).map(([pairs, mutations]) => mutateAll(serializeMaterialDescription(pairs), mutations)),
    fc.constantFrom(new Uint8Array([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]), new Uint8Array(100_000)),
  ),
  asView: fc.boolean(),
});

export const materialDescriptionParser: FuzzTarget<BytesInput> = {
  name: 'deserializeMaterialDescription',
  benchShare: 1,
  arbitrary: descriptionBytes,
  prepare({ bytes, asView }): Attempt {
    const input = asViewOf(bytes, asView);
    return {
      call: () => deserializeMaterialDescription(input),
      secrets: () => PLAINTEXT_SECRETS,
      checkResult: (result) => {
        // What parses must serialize again and parse back to the same pairs.
        const parsed = result as Map<string, string>;
        const again = deserializeMaterialDescription(serializeMaterialDescription(parsed));
        return JSON.stringify([...again].sort()) === JSON.stringify([...parsed].sort()) ? [] : ['parsed pairs do not survive a serialize/parse round trip'];
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// 3. the canonical attribute deserializer (decrypted plaintext → AttributeValue)

const serializedValue: fc.Arbitrary<Uint8Array> = markedValue.map((value) => new Uint8Array(serializeAttribute(value)));

const attributeBytes: fc.Arbitrary<BytesInput> = fc.record({
  bytes: fc.oneof(
    { weight: 2, arbitrary: markedRandomBytes },
    { weight: 2, arbitrary: tagHeaderBytes },
    { weight: 2, arbitrary: serializedValue },
    { weight: 5, arbitrary: fc.tuple(serializedValue, fc.array(byteMutation, { minLength: 1, maxLength: 4 })).map(([bytes, mutations]) => mutateAll(bytes, mutations)) },
    { weight: 1, arbitrary: deepSerialization },
    { weight: 1, arbitrary: lyingCountSerialization },
  ),
  asView: fc.boolean(),
});

export const attributeDeserializer: FuzzTarget<BytesInput> = {
  name: 'deserializeAttribute',
  benchShare: 1,
  arbitrary: attributeBytes,
  prepare({ bytes, asView }): Attempt {
    const input = asViewOf(bytes, asView);
    return {
      call: () => deserializeAttribute(input),
      secrets: () => PLAINTEXT_SECRETS,
      checkResult: (result) => {
        // A decrypted value must be storable again: re-encrypting it must not fail.
        try {
          deserializeAttribute(serializeAttribute(result as AttributeValue));
          return [];
        } catch (error) {
          return [`a deserialized value cannot be serialized and read back: ${String(error)}`];
        }
      },
    };
  },
};

// ---------------------------------------------------------------------------------------------
// 4. the handlers' event parsing

/**
 * Runs `step`, keeping a typed rejection's exposed text (the handlers report those per record or
 * per message and go on); anything untyped propagates and fails the case.
 */
function typedOrThrow(step: () => void, exposed: string[]): void {
  try {
    step();
  } catch (error) {
    if (!(error instanceof TypedError)) throw error;
    exposed.push(exposedText(error));
  }
}

// -- ingest --------------------------------------------------------------------------------------

const INGEST_SCHEMAS: readonly IngestKeySchema[] = [
  { partitionKey: 'pk', attributeTypes: { pk: 'S' } },
  { partitionKey: 'pk', sortKey: 'sk', attributeTypes: { pk: 'N', sk: 'S', gsi1: 'B' } },
  { partitionKey: 'pk', sortKey: 'sk', attributeTypes: {} },
];

function bodyText(options: FuzzOptions): fc.Arbitrary<string> {
  const depth = options.includeFindings !== false ? FUZZ_FINDINGS.ingestDeepNesting.triggerDepth : FUZZ_FINDINGS.ingestDeepNesting.safeDepth;
  const valid = fc.oneof(
    nativeItem.map((item) => JSON.stringify(item)),
    fc.array(nativeItem, { maxLength: 4 }).map((items) => JSON.stringify(items)),
    fc.array(nativeItem, { maxLength: 4 }).map((items) => JSON.stringify({ items })),
    markedJson.map((json) => JSON.stringify(json)),
  );
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    { weight: 4, arbitrary: fc.tuple(valid, fc.array(textMutation, { minLength: 1, maxLength: 3 })).map(([text, mutations]) => mutations.reduce(mutateText, text)) },
    { weight: 1, arbitrary: deepJsonText(depth) },
    { weight: 1, arbitrary: fc.constantFrom(`{"pk":"${PLAINTEXT_SECRETS[0]?.needles[0]}","__proto__":{"x":1}}`, `{"__proto__":[],"pk":"a"}`, '', ' ', 'null', '[]', '{}', '{"items":{}}', '[[]]') },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );
}

function validIngestEvent(options: FuzzOptions): fc.Arbitrary<unknown> {
  const body = bodyText(options);
  const method = fc.constantFrom('POST', 'post', 'GET', 'PUT');
  const encoded = fc.tuple(body, fc.boolean()).map(([text, base64]) => ({ body: base64 ? Buffer.from(text).toString('base64') : text, isBase64Encoded: base64 }));
  return fc.oneof(
    fc.array(nativeItem, { maxLength: 4 }).map((items) => ({ items })),
    fc
      .array(fc.record({ messageId: fc.uuid(), body }), { maxLength: 4 })
      .map((records) => ({ Records: records.map((record) => ({ eventSource: 'aws:sqs', ...record, attributes: {}, md5OfBody: '' })) })),
    fc.tuple(method, encoded).map(([httpMethod, request]) => ({ version: '2.0', requestContext: { http: { method: httpMethod } }, ...request })),
    fc.tuple(method, encoded).map(([httpMethod, request]) => ({ httpMethod, ...request })),
  );
}

/** Events of every kind: arbitrary JSON, arbitrary JavaScript, and mutated valid events. */
function hostileEvent(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.jsonValue() },
    { weight: 1, arbitrary: anyJavaScript },
    { weight: 3, arbitrary: valid },
    { weight: 6, arbitrary: fc.tuple(valid, fc.array(jsonMutation, { minLength: 1, maxLength: 3 })).map(([event, mutations]) => mutateJson(event, mutations)) },
  );
}

export interface EventInput {
  readonly event: unknown;
  readonly variant: number;
}

/** The parsing the ingest handler does before any cryptography: classify, read bodies, check items. */
function ingestParse(event: unknown, schema: IngestKeySchema): string[] {
  const exposed: string[] = [];
  const check = (items: readonly unknown[]): void => {
    for (const item of items) {
      const verdict = checkIngestItem(item, schema);
      if (!verdict.ok) exposed.push(verdict.reason);
    }
  };
  const classified = classifyIngestEvent(event);
  if (classified.kind === 'direct') check(classified.items);
  else if (classified.kind === 'sqs') for (const record of classified.records) typedOrThrow(() => check(itemsFromJson(record.body, 'the message body')), exposed);
  // As the handler: only a POST with a non-blank body is read (others get 405/400 unread).
  else if (classified.method === 'POST' && classified.body !== undefined && classified.body.trim() !== '') check(itemsFromJson(classified.body, 'the request body'));
  return exposed;
}

export function ingestEventParsing(options: FuzzOptions = {}): FuzzTarget<EventInput> {
  return {
    name: 'ingest: classifyIngestEvent + itemsFromJson + checkIngestItem',
    benchShare: 2,
    arbitrary: fc.record({ event: hostileEvent(validIngestEvent(options)), variant: fc.nat() }),
    prepare({ event, variant }): Attempt {
      const schema = INGEST_SCHEMAS[variant % INGEST_SCHEMAS.length] as IngestKeySchema;
      return {
        call: () => ingestParse(event, schema),
        secrets: () => PLAINTEXT_SECRETS,
        exposedOnSuccess: (result) => result as string[],
      };
    },
  };
}

// -- stream --------------------------------------------------------------------------------------

const STREAM_ARNS = [
  `arn:aws:dynamodb:eu-west-1:123456789012:table/${TABLE}/stream/2024-01-01T00:00:00.000`,
  `arn:aws-cn:dynamodb:cn-north-1:123456789012:table/${TABLE}/stream/label`,
  `arn:aws:dynamodb:eu-west-1:123456789012:table/${TABLE}`,
  `arn:aws:dynamodb:eu-west-1:123456789012:table//stream/x`,
  `arn:aws:dynamodb:eu-west-1:123456789012:table/${'t'.repeat(300)}/stream/x`,
  `arn:aws:sqs:eu-west-1:123456789012:queue`,
];

const streamImage: fc.Arbitrary<unknown> = fc
  .tuple(markedKeyValue, markedKeyValue, fc.uniqueArray(fc.tuple(plaintextName, markedValuePlainKeys), { maxLength: 4, selector: ([name]) => name }))
  .map(([pk, sk, attributes]) => {
    const item = itemOf(attributes);
    put(item, 'pk', pk);
    put(item, 'sk', sk);
    return itemToJson(item);
  });

const validStreamRecord: fc.Arbitrary<unknown> = fc
  .record({
    eventID: fc.uuid(),
    eventName: fc.constantFrom('INSERT', 'MODIFY', 'REMOVE', 'insert', 'DELETE'),
    eventSourceARN: fc.constantFrom(...STREAM_ARNS),
    keys: markedKeyValue.map((pk) => itemToJson(itemOf([['pk', pk]]))),
    newImage: fc.option(streamImage, { nil: undefined }),
    oldImage: fc.option(streamImage, { nil: undefined }),
    sequenceNumber: fc.oneof(fc.stringMatching(/^[0-9]{1,30}$/), fc.constantFrom('', '0')),
    viewType: fc.constantFrom('NEW_AND_OLD_IMAGES', 'NEW_IMAGE', 'OLD_IMAGE', 'KEYS_ONLY', 'OTHER'),
    created: fc.oneof(fc.integer(), fc.double()),
  })
  .map((record) => ({
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    eventSourceARN: record.eventSourceARN,
    dynamodb: {
      ApproximateCreationDateTime: record.created,
      Keys: record.keys,
      ...(record.newImage === undefined ? {} : { NewImage: record.newImage }),
      ...(record.oldImage === undefined ? {} : { OldImage: record.oldImage }),
      SequenceNumber: record.sequenceNumber,
      SizeBytes: 100,
      StreamViewType: record.viewType,
    },
  }));

const validStreamEvent: fc.Arbitrary<unknown> = fc.array(validStreamRecord, { minLength: 1, maxLength: 3 }).map((Records) => ({ Records }));

/** The parsing the stream handler does for each record before verifying and decrypting it. */
function streamParse(event: unknown): string[] {
  const exposed: string[] = [];
  for (const record of recordsOf(event)) {
    identityOf(record); // used to dead-letter a malformed record: must never throw
    typedOrThrow(() => parseStreamRecord(record), exposed);
  }
  return exposed;
}

export const streamEventParsing: FuzzTarget<EventInput> = {
  name: 'stream: recordsOf + identityOf + parseStreamRecord',
  benchShare: 2,
  arbitrary: fc.record({ event: hostileEvent(validStreamEvent), variant: fc.nat() }),
  prepare({ event }): Attempt {
    return { call: () => streamParse(event), secrets: () => PLAINTEXT_SECRETS, exposedOnSuccess: (result) => result as string[] };
  },
};

// -- re-encryption -------------------------------------------------------------------------------

const validSegmentRequest: fc.Arbitrary<unknown> = fc
  .record({
    totalSegments: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.constantFrom(1_000_000, 1_000_001, 0, -1, 2 ** 53)),
    segment: fc.nat({ max: 70 }),
    exclusiveStartKey: fc.option(
      fc.tuple(markedKeyValue, fc.option(markedKeyValue, { nil: undefined })).map(([pk, sk]) => itemToJson(itemOf(sk === undefined ? [['pk', pk]] : [['pk', pk], ['sk', sk]]))),
      { nil: undefined },
    ),
    dryRun: fc.option(fc.boolean(), { nil: undefined }),
    filter: fc.option(
      fc.record({
        attribute: fc.oneof(fc.constantFrom('status', 'pk', ''), cleanText),
        equals: fc.oneof(
          markedText as fc.Arbitrary<unknown>,
          markedNumber.map((text) => Number(text)),
          fc.boolean(),
          markedValuePlainKeys.map((value) => itemToJson(itemOf([['v', value]])).v),
        ),
      }),
      { nil: undefined },
    ),
  })
  .map((request) => JSON.parse(JSON.stringify(request)) as unknown); // as it arrives: JSON

/**
 * Gives the data of a request its own number marker: every NUMBER_MARKER in its checkpoint key
 * and filter (numbers, N texts, any string) becomes DATA_NUMBER_MARKER, wherever it came from
 * (the valid request's key and filter values, or a replacement value a mutation put there).
 * Applied after the mutations, which change a node in place and never move one between fields,
 * so the data marker is in the key and the filter only, while segment numbers and `dryRun`
 * (settings, which messages quote on purpose) can only hold NUMBER_MARKER. No exemption is then
 * needed: any error text showing the data marker shows item data.
 */
function markRequestData(event: unknown): unknown {
  if (!isPlainRecord(event) || Array.isArray(event)) return event;
  const copy = Object.create(Object.getPrototypeOf(event) as object | null) as Record<string, unknown>;
  for (const key of Object.keys(event)) put(copy, key, key === 'exclusiveStartKey' || key === 'filter' ? asData(event[key], 0) : event[key]);
  return copy;
}

function asData(node: unknown, depth: number): unknown {
  if (typeof node === 'string') return node.replaceAll(NUMBER_MARKER, DATA_NUMBER_MARKER);
  if (typeof node === 'number') {
    const text = String(node);
    // Same digit count, so the same magnitude and precision; a spelling without the marker
    // (an exponent form like 8.67...e+76) carries no marker of either kind and is left alone.
    return text.includes(NUMBER_MARKER) ? Number(text.replaceAll(NUMBER_MARKER, DATA_NUMBER_MARKER)) : node;
  }
  if (depth > 50) return node;
  if (Array.isArray(node)) return node.map((child) => asData(child, depth + 1));
  if (!isPlainRecord(node)) return node; // Maps, dates, typed arrays, boxed values: left as drawn
  const copy = Object.create(Object.getPrototypeOf(node) as object | null) as Record<string, unknown>;
  for (const key of Object.keys(node)) put(copy, key, asData(node[key], depth + 1));
  return copy;
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null || Array.isArray(value);
}

/** The text marker counts everywhere; the number marker of the data too (see markRequestData). */
const REENCRYPT_SECRETS: readonly Secret[] = [
  PLAINTEXT_SECRETS[0] as Secret,
  { label: `data number marker ${DATA_NUMBER_MARKER} (a number of the checkpoint key or the filter value)`, needles: [DATA_NUMBER_MARKER] },
];

export const reencryptRequestParsing: FuzzTarget<EventInput> = {
  name: 're-encryption: segmentRequestFromJson',
  benchShare: 1,
  arbitrary: fc.record({ event: hostileEvent(validSegmentRequest).map(markRequestData), variant: fc.nat() }),
  prepare({ event, variant }): Attempt {
    return {
      call: () => segmentRequestFromJson(event, variant % 2 === 0 ? TABLE : undefined),
      secrets: () => REENCRYPT_SECRETS,
    };
  },
};

// ---------------------------------------------------------------------------------------------

/** Every target, in the order the tests and the bench run them. */
export function fuzzTargets(options: FuzzOptions = {}): ReadonlyArray<FuzzTarget<unknown>> {
  return [
    decryptArbitraryItem,
    decryptTamperedItem(options),
    materialDescriptionParser,
    attributeDeserializer,
    ingestEventParsing(options),
    streamEventParsing,
    reencryptRequestParsing,
  ] as ReadonlyArray<FuzzTarget<unknown>>;
}

/** A short description of an input for failure reports (values are synthetic: printing them is fine). */
export function describeInput(input: unknown): string {
  try {
    const text = fc.stringify(input);
    return text.length > 600 ? `${text.slice(0, 600)}… (${text.length} characters)` : text;
  } catch {
    return '(unprintable input)';
  }
}
