/**
 * Shared fast-check generators and fixtures for the item-encryptor property and tamper tests:
 * attribute values of every DynamoDB type, items with arbitrary per-attribute actions, the
 * materials providers under test, and a canonical form for comparing items.
 */
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { LocalKey } from '../../src/crypto/local-key';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import type { CryptoConfig } from '../../src/encryptor/crypto-config';
import type { AttributeValue, DynamoDbItem } from '../../src/format/attribute-value';
import { ReservedAttributes } from '../../src/format/material-description-keys';
import { normalizeNumber } from '../../src/format/number-normalizer';
import { RawDecryptionMaterials, RawEncryptionMaterials } from '../../src/materials/raw-materials';
import type { CryptographicMaterialsProvider } from '../../src/providers/cryptographic-materials-provider';
import { StaticMaterialsProvider } from '../../src/providers/static-provider';
import { WrappedMaterialsProvider } from '../../src/providers/wrapped-provider';

export const PARTITION_KEY = 'pk';
export const SORT_KEY = 'sk';
export const RESERVED_NAMES: readonly string[] = Object.values(ReservedAttributes);
export const ALL_ACTIONS: readonly CryptoAction[] = [
  CryptoAction.ENCRYPT_AND_SIGN,
  CryptoAction.SIGN_ONLY,
  CryptoAction.DO_NOTHING,
];

// ---------------------------------------------------------------------------------------------
// Own-property helpers: attribute names and map keys may be `__proto__`.

/** Defines `key` as an own enumerable property (plain assignment of `__proto__` would not). */
export function put<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function fromEntries<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const result: Record<string, T> = {};
  for (const [key, value] of entries) put(result, key, value);
  return result;
}

export function hasOwn(target: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(target, key);
}

// ---------------------------------------------------------------------------------------------
// Scalars

/**
 * Strings: arbitrary code points (BMP and astral), plus a small alphabet that concentrates on
 * the characters where UTF-16 and code-point order disagree, plus grapheme clusters.
 */
export const text: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 14 }),
  fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', 'é', 'ß', '中', '\u0000', '\uE000', '\uFFFF', '😀', '𝄞'), maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);

/** Strings of at least 8 characters: what the error-message leak checks look for. */
export const longText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', minLength: 8, maxLength: 20 }),
  fc.string({ unit: fc.constantFrom('s', 'E', 'c', 'r', '7', 'é', '中', '😀', '𝄞'), minLength: 8, maxLength: 16 }),
);

const SIGNS = fc.constantFrom('', '', '-', '-', '+');

/**
 * Valid DynamoDB number text: at most 38 significant digits, magnitude within
 * 1E-130 .. 9.99…E+125, in integer, decimal and exponent spellings, negative values included.
 */
export const numberText: fc.Arbitrary<string> = fc.oneof(
  // Integers up to 38 digits.
  fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }).map(String),
  fc.integer({ min: -1000, max: 1000 }).map(String),
  // Decimal and exponent spellings; ≤ 38 digits in total, so ≤ 38 significant digits.
  fc
    .tuple(
      SIGNS,
      fc.stringMatching(/^[0-9]{1,20}$/),
      fc.option(fc.stringMatching(/^[0-9]{0,18}$/), { nil: undefined }),
      fc.option(
        fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 100 })),
        { nil: undefined },
      ),
    )
    .map(([sign, integer, fraction, exponent]) => {
      let result = sign + integer;
      if (fraction !== undefined) result += `.${fraction}`;
      if (exponent !== undefined) {
        const [letter, expSign, magnitude] = exponent;
        result += `${letter}${expSign}${magnitude}`;
      }
      return result;
    }),
  // Extremes and spellings of equal values.
  fc.constantFrom(
    '0',
    '-0',
    '0.000',
    '1.0',
    '1',
    '100',
    '1E+2',
    '1e-7',
    '-34.20',
    '55.00',
    '1E-130',
    '-1E-130',
    '9.9999999999999999999999999999999999999E+125',
    '-9.9999999999999999999999999999999999999E+125',
    '12345678901234567890123456789012345678',
    '0.00000000000000000000000000000000000001',
  ),
);

export const bytes: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 12 });

// ---------------------------------------------------------------------------------------------
// Attribute values of every type, nested to depth ~3

const stringSet = fc.uniqueArray(text, { minLength: 1, maxLength: 5 });
const numberSet = fc.uniqueArray(numberText, { minLength: 1, maxLength: 5, selector: normalizeNumber });
const binarySet = fc.uniqueArray(bytes, {
  minLength: 1,
  maxLength: 5,
  selector: (member) => Buffer.from(member).toString('hex'),
});

/** Map keys: arbitrary text, plus names that are special on JavaScript objects. */
const mapKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: text },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty') },
);

export type AttributeType = 'S' | 'N' | 'B' | 'SS' | 'NS' | 'BS' | 'BOOL' | 'NULL' | 'L' | 'M';
export const SCALAR_TYPES = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'BOOL', 'NULL'] as const;
export const ALL_TYPES: readonly AttributeType[] = [...SCALAR_TYPES, 'L', 'M'];

const scalarValues: Record<(typeof SCALAR_TYPES)[number], fc.Arbitrary<AttributeValue>> = {
  S: text.map((value): AttributeValue => ({ S: value })),
  N: numberText.map((value): AttributeValue => ({ N: value })),
  B: bytes.map((value): AttributeValue => ({ B: value })),
  SS: stringSet.map((value): AttributeValue => ({ SS: value })),
  NS: numberSet.map((value): AttributeValue => ({ NS: value })),
  BS: binarySet.map((value): AttributeValue => ({ BS: value })),
  BOOL: fc.boolean().map((value): AttributeValue => ({ BOOL: value })),
  NULL: fc.constant<AttributeValue>({ NULL: true }),
};

export const scalarValue: fc.Arbitrary<AttributeValue> = fc.oneof(...Object.values(scalarValues));

export const { attributeValue } = fc.letrec<{ attributeValue: AttributeValue }>((tie) => ({
  attributeValue: fc.oneof(
    { maxDepth: 3, depthSize: 'max', depthIdentifier: 'attribute-value' },
    ...Object.values(scalarValues),
    {
      weight: 3,
      arbitrary: fc
        .array(tie('attributeValue'), { maxLength: 4, depthIdentifier: 'attribute-value' })
        .map((elements): AttributeValue => ({ L: elements })),
    },
    {
      weight: 3,
      arbitrary: fc
        .uniqueArray(fc.tuple(mapKey, tie('attributeValue')), {
          maxLength: 4,
          selector: ([key]) => key,
          depthIdentifier: 'attribute-value',
        })
        .map((entries): AttributeValue => ({ M: fromEntries(entries) })),
    },
  ),
}));

/** Values of one type (lists and maps hold arbitrary nested values). */
export function valueOfType(type: AttributeType): fc.Arbitrary<AttributeValue> {
  if (type === 'L') return attributeValue.filter((value) => value.L !== undefined);
  if (type === 'M') return attributeValue.filter((value) => value.M !== undefined);
  return scalarValues[type];
}

/** A primary-key value: S, N or B (non-empty S and B, as DynamoDB requires for keys). */
export const keyValue: fc.Arbitrary<AttributeValue> = fc.oneof(
  text.filter((value) => value.length > 0).map((value): AttributeValue => ({ S: value })),
  numberText.map((value): AttributeValue => ({ N: value })),
  bytes.filter((value) => value.length > 0).map((value): AttributeValue => ({ B: value })),
);

/** Attribute names: arbitrary non-empty text, never a reserved name or a key name. */
export const attributeName: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 8, arbitrary: text },
    {
      weight: 1,
      arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'PK', 'pk ', 'sk\u0000', '*amzn-ddb-map-desc', 'a'),
    },
  )
  .filter((name) => name.length > 0 && !RESERVED_NAMES.includes(name) && name !== PARTITION_KEY && name !== SORT_KEY);

export const tableName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('my-table', 'HashKeyOnly', 'テーブル😀'),
  text.filter((name) => name.length > 0),
);

// ---------------------------------------------------------------------------------------------
// Scenarios: an item plus the actions that apply to it

export interface Scenario {
  readonly tableName: string;
  readonly hasSortKey: boolean;
  /** The plaintext item, keys included. */
  readonly item: DynamoDbItem;
  readonly defaultAction: CryptoAction;
  /** Explicit per-attribute actions (keys may have SIGN_ONLY or DO_NOTHING). */
  readonly overrides: Readonly<Record<string, CryptoAction>>;
  /** Names of the attributes added for `ScenarioOptions.ensure`, in order. */
  readonly ensured: readonly string[];
}

export interface EnsuredAttribute {
  /** Explicit action; undefined: the default applies. */
  readonly action?: CryptoAction;
  /** @default attributeValue */
  readonly value?: fc.Arbitrary<AttributeValue>;
}

export interface ScenarioOptions {
  /** Attributes that are always added, e.g. to guarantee one ENCRYPT_AND_SIGN attribute. */
  readonly ensure?: ReadonlyArray<CryptoAction | EnsuredAttribute>;
  /** The default actions to draw from. @default all three */
  readonly defaultActions?: readonly CryptoAction[];
  /** Give both keys an explicit SIGN_ONLY, so that the item always has signed attributes. */
  readonly signedKeys?: boolean;
  /** @default 6 */
  readonly maxAttributes?: number;
}

const optionalAction = fc.option(fc.constantFrom(...ALL_ACTIONS), { nil: undefined, freq: 2 });
const optionalKeyAction = fc.option(fc.constantFrom(CryptoAction.SIGN_ONLY, CryptoAction.DO_NOTHING), { nil: undefined, freq: 2 });

export function scenario(options: ScenarioOptions = {}): fc.Arbitrary<Scenario> {
  const ensure = (options.ensure ?? []).map((entry): EnsuredAttribute => (typeof entry === 'number' ? { action: entry } : entry));
  const keyAction = options.signedKeys === true ? fc.constant(CryptoAction.SIGN_ONLY) : optionalKeyAction;
  return fc
    .record({
      tableName,
      partitionKey: keyValue,
      partitionKeyAction: keyAction,
      sortKey: fc.option(keyValue, { nil: undefined }),
      sortKeyAction: keyAction,
      defaultAction: fc.constantFrom(...(options.defaultActions ?? ALL_ACTIONS)),
      attributes: fc.uniqueArray(fc.tuple(attributeName, attributeValue, optionalAction), {
        maxLength: options.maxAttributes ?? 6,
        selector: ([name]) => name,
      }),
      ensuredValues: fc.tuple(...ensure.map((entry) => entry.value ?? attributeValue)),
    })
    .map((drawn): Scenario => {
      const item: DynamoDbItem = {};
      const overrides: Record<string, CryptoAction> = {};
      put(item, PARTITION_KEY, drawn.partitionKey);
      if (drawn.partitionKeyAction !== undefined) put(overrides, PARTITION_KEY, drawn.partitionKeyAction);
      if (drawn.sortKey !== undefined) {
        put(item, SORT_KEY, drawn.sortKey);
        if (drawn.sortKeyAction !== undefined) put(overrides, SORT_KEY, drawn.sortKeyAction);
      }
      for (const [name, value, action] of drawn.attributes) {
        put(item, name, value);
        if (action !== undefined) put(overrides, name, action);
      }
      const ensured: string[] = [];
      ensure.forEach((entry, index) => {
        const name = freshName(item, overrides, `ensured-${index}`);
        put(item, name, drawn.ensuredValues[index] as AttributeValue);
        if (entry.action !== undefined) put(overrides, name, entry.action);
        ensured.push(name);
      });
      return {
        tableName: drawn.tableName,
        hasSortKey: drawn.sortKey !== undefined,
        item,
        defaultAction: drawn.defaultAction,
        overrides,
        ensured,
      };
    });
}

/** A name that is neither in the item nor in the overrides (nor reserved). */
export function freshName(item: object, overrides: object, base: string): string {
  let name = base;
  while (hasOwn(item, name) || hasOwn(overrides, name) || RESERVED_NAMES.includes(name)) name += '\u00b7';
  return name;
}

export function keyNames(s: Scenario): string[] {
  return s.hasSortKey ? [PARTITION_KEY, SORT_KEY] : [PARTITION_KEY];
}

/** The scenario's actions, keys lowered with `setIndexKeys`; `changes` override single names. */
export function actionsOf(s: Scenario, changes: Readonly<Record<string, CryptoAction>> = {}): AttributeActions {
  const attributeActions = fromEntries([...Object.entries(s.overrides), ...Object.entries(changes)]);
  return new AttributeActions({ defaultAction: s.defaultAction, attributeActions }).setIndexKeys(...keyNames(s));
}

export interface ConfigChanges {
  readonly tableName?: string;
  readonly actions?: Readonly<Record<string, CryptoAction>>;
}

export function configOf(s: Scenario, materialsProvider: CryptographicMaterialsProvider, changes: ConfigChanges = {}): CryptoConfig {
  return {
    materialsProvider,
    attributeActions: actionsOf(s, changes.actions),
    encryptionContext: {
      tableName: changes.tableName ?? s.tableName,
      partitionKeyName: PARTITION_KEY,
      ...(s.hasSortKey ? { sortKeyName: SORT_KEY } : {}),
    },
  };
}

/** Names of the item's attributes whose effective action is `action`; keys excluded unless asked. */
export function namesWithAction(s: Scenario, action: CryptoAction, includeKeys = false): string[] {
  const actions = actionsOf(s);
  const keys = keyNames(s);
  return Object.keys(s.item).filter((name) => actions.action(name) === action && (includeKeys || !keys.includes(name)));
}

// ---------------------------------------------------------------------------------------------
// Comparison up to number normalization and set order

export type Canonical = readonly [string, unknown];

const byText = (left: string, right: string): number => (left < right ? -1 : left > right ? 1 : 0);
const byKey = (left: readonly [string, unknown], right: readonly [string, unknown]): number => byText(left[0], right[0]);

const hexOf = (value: Uint8Array): string => Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');

/**
 * A comparable form of a value: numbers normalized, sets sorted, binary as hex, maps as sorted
 * entry lists (so `__proto__` keys compare like any other). Values with zero or several types
 * keep their shape visible, so that they never compare equal to a well-formed value.
 */
export function canonicalValue(value: AttributeValue): Canonical {
  const record = value as unknown as Record<string, unknown>;
  const types = Object.keys(record).filter((type) => record[type] !== undefined);
  if (types.length !== 1) return ['invalid', types];
  if (value.S !== undefined) return ['S', value.S];
  if (value.N !== undefined) return ['N', normalizeNumber(value.N)];
  if (value.B !== undefined) return ['B', hexOf(value.B)];
  if (value.SS !== undefined) return ['SS', [...value.SS].sort(byText)];
  if (value.NS !== undefined) return ['NS', value.NS.map(normalizeNumber).sort(byText)];
  if (value.BS !== undefined) return ['BS', value.BS.map(hexOf).sort(byText)];
  if (value.BOOL !== undefined) return ['BOOL', value.BOOL];
  if (value.NULL !== undefined) return ['NULL', value.NULL];
  if (value.L !== undefined) return ['L', value.L.map(canonicalValue)];
  if (value.M !== undefined) {
    const map = value.M;
    return ['M', Object.keys(map).map((key) => [key, canonicalValue(map[key] as AttributeValue)] as const).sort(byKey)];
  }
  return ['unknown', types];
}

export function canonicalItem(item: Readonly<DynamoDbItem>): Array<readonly [string, Canonical]> {
  return Object.keys(item)
    .map((name) => [name, canonicalValue(item[name] as AttributeValue)] as const)
    .sort(byKey);
}

/** Every S value and SS member in a value, at any depth. */
export function stringsIn(value: AttributeValue): string[] {
  if (value.S !== undefined) return [value.S];
  if (value.SS !== undefined) return [...value.SS];
  if (value.L !== undefined) return value.L.flatMap(stringsIn);
  if (value.M !== undefined) {
    const map = value.M;
    return Object.keys(map).flatMap((key) => stringsIn(map[key] as AttributeValue));
  }
  return [];
}

// ---------------------------------------------------------------------------------------------
// Materials providers under test

export interface ProviderCase {
  readonly name: string;
  readonly provider: CryptographicMaterialsProvider;
  /** Scale factor for numRuns: RSA is slower. */
  readonly weight: number;
}

function rsaKeyPair(algorithm: string): { publicKey: LocalKey; privateKey: LocalKey } {
  const pair = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  return {
    publicKey: new LocalKey({ key: pair.publicKey, algorithm, keyType: 'PUBLIC', encoding: 'DER' }),
    privateKey: new LocalKey({ key: pair.privateKey, algorithm, keyType: 'PRIVATE', encoding: 'DER' }),
  };
}

let cachedCases: ProviderCase[] | undefined;

/** Static AES-256 + HMAC-SHA256, wrapped with AESWrap, and wrapped with RSA-OAEP + SHA256withRSA. */
export function providerCases(): ProviderCase[] {
  if (cachedCases !== undefined) return cachedCases;
  const aesKey = LocalKey.generateAes(256);
  const hmacKey = LocalKey.generateHmac('HmacSHA256', 32);
  const staticProvider = new StaticMaterialsProvider({
    encryptionMaterials: new RawEncryptionMaterials({ signingKey: hmacKey, encryptionKey: aesKey }),
    decryptionMaterials: new RawDecryptionMaterials({ verificationKey: hmacKey, decryptionKey: aesKey }),
  });

  const wrappingKey = LocalKey.generateAes(256);
  const wrappedAes = new WrappedMaterialsProvider({
    wrappingKey,
    unwrappingKey: wrappingKey,
    signingKey: LocalKey.generateHmac('HmacSHA256', 32),
  });

  const encryptionPair = rsaKeyPair('RSA');
  const signingPair = rsaKeyPair('SHA256withRSA');
  const wrappedRsa = new WrappedMaterialsProvider({
    wrappingKey: encryptionPair.publicKey,
    unwrappingKey: encryptionPair.privateKey,
    signingKey: signingPair.privateKey,
    verificationKey: signingPair.publicKey,
  });

  cachedCases = [
    { name: 'static AES-256 + HmacSHA256', provider: staticProvider, weight: 1 },
    { name: 'wrapped AESWrap + HmacSHA256', provider: wrappedAes, weight: 1 },
    { name: 'wrapped RSA-OAEP + SHA256withRSA', provider: wrappedRsa, weight: 0.4 },
  ];
  return cachedCases;
}

export function runs(base: number, providerCase: ProviderCase): number {
  return Math.max(10, Math.round(base * providerCase.weight));
}
