import fc from 'fast-check';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { decryptItem, encryptItem, type NativeItem } from '../../src/encryptor/native-item-encryptor';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import type { AttributeValue } from '../../src/format/attribute-value';
import { ReservedAttributes } from '../../src/format/material-description-keys';
import { normalizeNumber } from '../../src/format/number-normalizer';
import {
  ALL_ACTIONS,
  PARTITION_KEY,
  RESERVED_NAMES,
  SORT_KEY,
  actionsOf,
  attributeName,
  canonicalItem,
  canonicalValue,
  configOf,
  fromEntries,
  keyNames,
  providerCases,
  runs,
  scenario,
  text,
  type Scenario,
} from './arbitraries';

/** A key attribute as the encryptor writes it: a number in the form DynamoDB stores it. */
const asStoredKey = (value: AttributeValue): AttributeValue => (value.N === undefined ? value : { N: normalizeNumber(value.N) });

/** A deep, independent copy of an item (Uint8Arrays copied), to detect mutation of the input. */
function snapshot(value: unknown): unknown {
  if (value instanceof Uint8Array) return ['bytes', Buffer.from(value).toString('hex')];
  if (Array.isArray(value)) return value.map(snapshot);
  if (value !== null && typeof value === 'object') {
    return Object.keys(value).map((key) => [key, snapshot((value as Record<string, unknown>)[key])]);
  }
  return value;
}

describe.each(providerCases())('encryptDynamoDbItem / decryptDynamoDbItem round trip ($name)', (providerCase) => {
  const { provider } = providerCase;

  it('decrypt(encrypt(item)) is the item up to number spelling and set order', async () => {
    await fc.assert(
      fc.asyncProperty(scenario(), async (s: Scenario) => {
        const config = configOf(s, provider);
        const before = snapshot(s.item);
        const stored = await encryptDynamoDbItem(s.item, config);
        expect(snapshot(s.item)).toEqual(before); // the input is not changed

        const decrypted = await decryptDynamoDbItem(stored, configOf(s, provider));
        expect(canonicalItem(decrypted)).toEqual(canonicalItem(s.item));
      }),
      { numRuns: runs(200, providerCase) },
    );
  });

  it('stores ENCRYPT_AND_SIGN attributes as ciphertext and everything else unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ ensure: [CryptoAction.ENCRYPT_AND_SIGN] }), async (s: Scenario) => {
        const config = configOf(s, provider);
        const actions = actionsOf(s);
        const stored = await encryptDynamoDbItem(s.item, config);

        // Exactly the item's names plus the two reserved attributes.
        expect(Object.keys(stored).sort()).toEqual([...Object.keys(s.item), ...RESERVED_NAMES].sort());
        for (const reserved of RESERVED_NAMES) expect((stored[reserved] as AttributeValue).B).toBeInstanceOf(Uint8Array);

        for (const name of Object.keys(s.item)) {
          const plain = s.item[name] as AttributeValue;
          const kept = stored[name] as AttributeValue;
          if (actions.action(name) === CryptoAction.ENCRYPT_AND_SIGN) {
            expect(keyNames(s)).not.toContain(name);
            expect(Object.keys(kept)).toEqual(['B']);
            expect(kept.B).toBeInstanceOf(Uint8Array);
            // IV (16 bytes) + at least one AES block, block-aligned.
            const length = (kept.B as Uint8Array).length;
            expect(length).toBeGreaterThanOrEqual(32);
            expect(length % 16).toBe(0);
            expect(canonicalValue(kept)).not.toEqual(canonicalValue(plain));
          } else if (!keyNames(s).includes(name)) {
            // SIGN_ONLY and DO_NOTHING: exactly as given, spelling and member order included.
            expect(kept).toEqual(plain);
          }
        }
        // Keys are never encrypted; their numbers are written as DynamoDB stores them.
        for (const key of keyNames(s)) expect(stored[key]).toEqual(asStoredKey(s.item[key] as AttributeValue));
      }),
      { numRuns: runs(150, providerCase) },
    );
  });

  it('keys are signed but never encrypted, whatever the default action', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ defaultActions: [CryptoAction.ENCRYPT_AND_SIGN] }), async (s: Scenario) => {
        const actions = actionsOf(s);
        for (const key of keyNames(s)) expect(actions.action(key)).not.toBe(CryptoAction.ENCRYPT_AND_SIGN);
        const stored = await encryptDynamoDbItem(s.item, configOf(s, provider));
        for (const key of keyNames(s)) expect(stored[key]).toEqual(asStoredKey(s.item[key] as AttributeValue));
        const decrypted = await decryptDynamoDbItem(stored, configOf(s, provider));
        expect(canonicalItem(decrypted)).toEqual(canonicalItem(s.item));
      }),
      { numRuns: runs(60, providerCase) },
    );
  });

  it('encrypts the same item differently each time (fresh IVs), and both decrypt', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ ensure: [CryptoAction.ENCRYPT_AND_SIGN] }), async (s: Scenario) => {
        const config = configOf(s, provider);
        const first = await encryptDynamoDbItem(s.item, config);
        const second = await encryptDynamoDbItem(s.item, config);
        const name = s.ensured[0] as string;
        expect(canonicalValue(first[name] as AttributeValue)).not.toEqual(canonicalValue(second[name] as AttributeValue));
        expect(canonicalItem(await decryptDynamoDbItem(second, config))).toEqual(canonicalItem(s.item));
      }),
      { numRuns: runs(30, providerCase) },
    );
  });
});

describe('all-DO_NOTHING actions', () => {
  it('pass items through unchanged, without reserved attributes', async () => {
    const { provider } = providerCases()[0]!;
    await fc.assert(
      fc.asyncProperty(scenario({ defaultActions: [CryptoAction.DO_NOTHING] }), async (base: Scenario) => {
        // Every explicit action DO_NOTHING too.
        const s: Scenario = {
          ...base,
          overrides: fromEntries(Object.keys(base.overrides).map((name) => [name, CryptoAction.DO_NOTHING] as const)),
        };
        const stored = await encryptDynamoDbItem(s.item, configOf(s, provider));
        expect(canonicalItem(stored)).toEqual(canonicalItem(s.item));
        for (const reserved of RESERVED_NAMES) expect(Object.keys(stored)).not.toContain(reserved);
        expect(canonicalItem(await decryptDynamoDbItem(stored, configOf(s, provider)))).toEqual(canonicalItem(s.item));
      }),
      { numRuns: 50 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The native (plain JavaScript object) API

const nativeKey = fc.oneof(
  text.filter((value) => value.length > 0),
  fc.maxSafeInteger(),
);

// `@aws-sdk/util-dynamodb` itself cannot marshall objects with an own `constructor` property
// (it then refuses the object as a class instance), nor build `__proto__` keys on unmarshall.
const marshallable = (name: string): boolean => name !== '__proto__' && name !== 'constructor';
const nativeName = attributeName.filter(marshallable);
const nativeMapKey = text.filter(marshallable);

const { nativeValue } = fc.letrec<{ nativeValue: unknown }>((tie) => ({
  nativeValue: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'native' },
    text,
    fc.maxSafeInteger(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 12 }),
    fc.uniqueArray(text, { minLength: 1, maxLength: 5 }).map((members) => new Set(members)),
    fc.array(tie('nativeValue'), { maxLength: 4, depthIdentifier: 'native' }),
    fc
      .uniqueArray(fc.tuple(nativeMapKey, tie('nativeValue')), { maxLength: 4, selector: ([key]) => key, depthIdentifier: 'native' })
      .map((entries) => Object.fromEntries(entries)),
  ),
}));

const nativeCase = fc.record({
  tableName: fc.constantFrom('native-table', 'テーブル😀'),
  partitionKey: nativeKey,
  sortKey: fc.option(nativeKey, { nil: undefined }),
  defaultAction: fc.constantFrom(...ALL_ACTIONS),
  attributes: fc.uniqueArray(
    fc.tuple(nativeName, nativeValue, fc.option(fc.constantFrom(...ALL_ACTIONS), { nil: undefined, freq: 2 })),
    { maxLength: 6, selector: ([name]) => name },
  ),
});

describe('encryptItem / decryptItem (native objects) round trip', () => {
  it.each(providerCases().slice(0, 2))('decryptItem(encryptItem(item)) equals item ($name)', async ({ provider }) => {
    await fc.assert(
      fc.asyncProperty(nativeCase, async (drawn) => {
        const item: NativeItem = { [PARTITION_KEY]: drawn.partitionKey };
        if (drawn.sortKey !== undefined) item[SORT_KEY] = drawn.sortKey;
        const overrides: Record<string, CryptoAction> = {};
        for (const [name, value, action] of drawn.attributes) {
          item[name] = value;
          if (action !== undefined) overrides[name] = action;
        }
        const keys = drawn.sortKey === undefined ? [PARTITION_KEY] : [PARTITION_KEY, SORT_KEY];
        const attributeActions = new AttributeActions({ defaultAction: drawn.defaultAction, attributeActions: overrides }).setIndexKeys(...keys);
        const config = {
          materialsProvider: provider,
          attributeActions,
          encryptionContext: {
            tableName: drawn.tableName,
            partitionKeyName: PARTITION_KEY,
            ...(drawn.sortKey === undefined ? {} : { sortKeyName: SORT_KEY }),
          },
        };

        const encrypted = await encryptItem(item, config);
        for (const [name, value] of Object.entries(item)) {
          if (attributeActions.action(name) === CryptoAction.ENCRYPT_AND_SIGN) {
            expect(encrypted[name]).toBeInstanceOf(Uint8Array);
          } else {
            expect(encrypted[name]).toEqual(value);
          }
        }
        if (!attributeActions.takeNoActions) {
          expect(encrypted[ReservedAttributes.SIGNATURE]).toBeInstanceOf(Uint8Array);
          expect(encrypted[ReservedAttributes.MATERIAL_DESCRIPTION]).toBeInstanceOf(Uint8Array);
        }
        expect(await decryptItem(encrypted, config)).toEqual(item);
      }),
      { numRuns: 150 },
    );
  });
});
