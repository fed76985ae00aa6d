/**
 * Tampering with an encrypted item must make decryptDynamoDbItem reject with
 * SignatureVerificationError (never return an item), and the rejection must not reveal
 * plaintext. Changes to DO_NOTHING attributes, re-spelled numbers and re-ordered sets are the
 * positive controls: they must still decrypt.
 */
import fc from 'fast-check';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import type { CryptoConfig } from '../../src/encryptor/crypto-config';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import { DynamoDbEncryptionError, SignatureVerificationError } from '../../src/errors';
import type { AttributeValue, DynamoDbItem } from '../../src/format/attribute-value';
import { ReservedAttributes } from '../../src/format/material-description-keys';
import { normalizeNumber } from '../../src/format/number-normalizer';
import {
  ALL_ACTIONS,
  ALL_TYPES,
  type AttributeType,
  type ProviderCase,
  type Scenario,
  actionsOf,
  attributeValue,
  canonicalItem,
  canonicalValue,
  configOf,
  freshName,
  fromEntries,
  hasOwn,
  keyNames,
  longText,
  namesWithAction,
  numberText,
  providerCases,
  put,
  runs,
  scenario,
  stringsIn,
  tableName as tableNameArb,
  valueOfType,
} from './arbitraries';

const { ENCRYPT_AND_SIGN, SIGN_ONLY, DO_NOTHING } = CryptoAction;

/** Every scenario carries at least one long S value, for the leak check. */
const SECRET = { value: longText.map((value): AttributeValue => ({ S: value })) };

/** Arbitrary non-negative choices, reduced modulo whatever they pick from. */
const choice = fc.nat({ max: 1 << 30 });

function pick<T>(items: readonly T[], index: number): T {
  if (items.length === 0) throw new Error('test bug: nothing to pick from');
  return items[index % items.length] as T;
}

function withValue(item: Readonly<DynamoDbItem>, name: string, value: AttributeValue): DynamoDbItem {
  const copy = { ...item };
  put(copy, name, value);
  return copy;
}

function without(item: Readonly<DynamoDbItem>, name: string): DynamoDbItem {
  const copy = { ...item };
  delete copy[name];
  return copy;
}

function flipBit(bytes: Uint8Array, index: number, bit: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[index % copy.length] ^= 1 << (bit % 8);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Value changes

/** A numerically different number (same count of significant digits, so always storable). */
export function changeNumber(text: string): string {
  const normalized = normalizeNumber(text);
  if (normalized === '0') return '1';
  let last = normalized.length - 1;
  while (normalized[last] === '0' || normalized[last] === '.') last--;
  const digit = Number(normalized[last]);
  return normalized.slice(0, last) + String((digit % 9) + 1) + normalized.slice(last + 1);
}

/** Another spelling of the same number ("1" → "1.0", "1e0", "01", ...). */
export function respellNumber(text: string, index: number): string {
  const normalized = normalizeNumber(text);
  const negative = normalized.startsWith('-');
  const spellings = [
    normalized,
    normalized.includes('.') ? `${normalized}0` : `${normalized}.0`,
    `${normalized}e0`,
    `${normalized}E+0`,
    negative ? `-0${normalized.slice(1)}` : `0${normalized}`,
    negative ? normalized : `+${normalized}`,
    normalized === '0' ? '-0.000e5' : `${normalized.includes('.') ? normalized : `${normalized}.`}000E-0`,
  ].filter((spelling) => spelling !== text);
  return pick(spellings, index);
}

function freshMember<T>(present: (candidate: T) => boolean, make: (counter: number) => T): T {
  for (let counter = 0; ; counter++) {
    const candidate = make(counter);
    if (!present(candidate)) return candidate;
  }
}

/**
 * A value whose canonical form differs from `value`: a changed character, number, bit or flag;
 * a set member added or removed; a list element or map entry added, removed or changed.
 * Keeps the type (except NULL, which becomes a BOOL), so key values stay S/N/B.
 */
export function changeValue(value: AttributeValue, seed: number): AttributeValue {
  const op = seed % 3;
  const next = Math.floor(seed / 3);
  if (value.S !== undefined) {
    const chars = Array.from(value.S);
    if (chars.length === 0) return { S: 'x' };
    const index = next % chars.length;
    chars[index] = chars[index] === 'a' ? 'b' : 'a';
    return { S: chars.join('') };
  }
  if (value.N !== undefined) return { N: changeNumber(value.N) };
  if (value.B !== undefined) {
    return value.B.length === 0 ? { B: new Uint8Array([0]) } : { B: flipBit(value.B, next, next >> 4) };
  }
  if (value.BOOL !== undefined) return { BOOL: !value.BOOL };
  if (value.NULL !== undefined) return { BOOL: false };
  if (value.SS !== undefined) {
    const members = value.SS;
    if (op === 0 && members.length > 1) return { SS: members.filter((_, index) => index !== next % members.length) };
    return { SS: [...members, freshMember((m) => members.includes(m), (n) => 'x'.repeat(n + 1))] };
  }
  if (value.NS !== undefined) {
    const members = value.NS;
    if (op === 0 && members.length > 1) return { NS: members.filter((_, index) => index !== next % members.length) };
    const normalized = new Set(members.map(normalizeNumber));
    return { NS: [...members, freshMember((m) => normalized.has(m), (n) => String(n + 1))] };
  }
  if (value.BS !== undefined) {
    const members = value.BS;
    if (op === 0 && members.length > 1) return { BS: members.filter((_, index) => index !== next % members.length) };
    const hex = new Set(members.map((member) => Buffer.from(member).toString('hex')));
    return {
      BS: [...members, freshMember((m) => hex.has(Buffer.from(m).toString('hex')), (n) => new Uint8Array(n + 1).fill(0xa5))],
    };
  }
  if (value.L !== undefined) {
    const elements = value.L;
    if (elements.length === 0 || op === 0) return { L: [...elements, { NULL: true }] };
    const index = next % elements.length;
    if (op === 1) return { L: elements.filter((_, position) => position !== index) };
    return { L: elements.map((element, position) => (position === index ? changeValue(element, next) : element)) };
  }
  if (value.M !== undefined) {
    const map = value.M;
    const keys = Object.keys(map);
    if (keys.length === 0 || op === 0) {
      const copy = { ...map };
      put(copy, freshName(map, {}, 'added'), { BOOL: true });
      return { M: copy };
    }
    const key = pick(keys, next);
    if (op === 1) return { M: fromEntries(keys.filter((other) => other !== key).map((other) => [other, map[other] as AttributeValue])) };
    return { M: fromEntries(keys.map((other) => [other, other === key ? changeValue(map[other] as AttributeValue, next) : (map[other] as AttributeValue)])) };
  }
  throw new Error('test bug: value of unknown type');
}

/** Values that have no canonical form (or are not numbers/bytes where they should be), holding a secret. */
const malformedValue: fc.Arbitrary<unknown> = longText.chain((secret) =>
  fc.constantFrom<unknown>(
    { N: secret },
    { N: `${secret}1` },
    { S: `${secret}\uD800` },
    { S: secret, N: '1' },
    { SS: [secret, secret] },
    { SS: [`${secret}\uDFFF`] },
    { NS: ['1', '1.0', secret] },
    { NS: ['1', '1.0'] },
    { B: secret },
    { NULL: false },
    {},
    { L: [{ S: secret, BOOL: true }] },
    { M: { [`${secret}\uDC00`]: { NULL: true } } },
  ),
);

// ---------------------------------------------------------------------------------------------
// Assertions

function errorMessages(error: unknown): string[] {
  const messages: string[] = [];
  for (let current = error, depth = 0; current instanceof Error && depth < 10; current = current.cause, depth++) {
    messages.push(current.message);
  }
  return messages;
}

/**
 * Plaintext strings (S values and SS members of at least 8 characters, at any depth) that an
 * error message must not contain. Strings that are part of a table or attribute name are left
 * out: messages name those on purpose.
 */
function secretsOf(items: ReadonlyArray<Readonly<DynamoDbItem>>, publicTexts: readonly string[]): string[] {
  const secrets = new Set<string>();
  for (const item of items) {
    for (const name of Object.keys(item)) {
      for (const value of stringsIn(item[name] as AttributeValue)) {
        if (value.length >= 8 && !publicTexts.some((text) => text.includes(value))) secrets.add(value);
      }
    }
  }
  return [...secrets];
}

interface Outcome {
  readonly s: Scenario;
  readonly tampered: Readonly<DynamoDbItem>;
  readonly config: CryptoConfig;
}

async function expectRejected(
  { s, tampered, config }: Outcome,
  errorClass: typeof DynamoDbEncryptionError = SignatureVerificationError,
): Promise<void> {
  const outcome = decryptDynamoDbItem(tampered, config);
  await expect(outcome).rejects.toBeInstanceOf(errorClass);
  const error: unknown = await outcome.catch((caught: unknown) => caught);
  const publicTexts = [
    s.tableName,
    config.encryptionContext.tableName ?? '',
    ...Object.keys(s.item),
    ...Object.keys(tampered),
    ...Object.keys(config.attributeActions.attributeActions),
  ];
  const secrets = secretsOf([s.item, tampered], publicTexts);
  for (const message of errorMessages(error)) {
    for (const secret of secrets) {
      if (message.includes(secret)) throw new Error(`error message ${JSON.stringify(message)} reveals plaintext ${JSON.stringify(secret)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------

describe.each(providerCases())('tampering is detected ($name)', (providerCase: ProviderCase) => {
  const { provider } = providerCase;
  const encrypt = (s: Scenario): Promise<DynamoDbItem> => encryptDynamoDbItem(s.item, configOf(s, provider));
  const baseRuns = (n: number): { numRuns: number } => ({ numRuns: runs(n, providerCase) });

  it('control: the untampered item decrypts', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ ensure: [ENCRYPT_AND_SIGN, SIGN_ONLY, DO_NOTHING, SECRET] }), async (s) => {
        const stored = await encrypt(s);
        expect(canonicalItem(await decryptDynamoDbItem(stored, configOf(s, provider)))).toEqual(canonicalItem(s.item));
      }),
      baseRuns(50),
    );
  });

  it('flipping any bit of an encrypted value', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ ensure: [ENCRYPT_AND_SIGN, SECRET] }), choice, choice, fc.nat(7), async (s, which, byte, bit) => {
        const stored = await encrypt(s);
        const name = pick(namesWithAction(s, ENCRYPT_AND_SIGN), which);
        const ciphertext = (stored[name] as AttributeValue).B as Uint8Array;
        const tampered = withValue(stored, name, { B: flipBit(ciphertext, byte, bit) });
        await expectRejected({ s, tampered, config: configOf(s, provider) });
      }),
      baseRuns(150),
    );
  });

  it('changing any signed plaintext (SIGN_ONLY) value', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ ensure: [SIGN_ONLY, SECRET] }), choice, choice, async (s, which, seed) => {
        const stored = await encrypt(s);
        const name = pick(namesWithAction(s, SIGN_ONLY), which);
        const changed = changeValue(stored[name] as AttributeValue, seed);
        expect(canonicalValue(changed)).not.toEqual(canonicalValue(stored[name] as AttributeValue));
        await expectRejected({ s, tampered: withValue(stored, name, changed), config: configOf(s, provider) });
      }),
      baseRuns(150),
    );
  });

  describe.each(ALL_TYPES)('changing a SIGN_ONLY %s value', (type: AttributeType) => {
    it('is detected', async () => {
      await fc.assert(
        fc.asyncProperty(
          scenario({ ensure: [{ action: SIGN_ONLY, value: valueOfType(type) }, SECRET], maxAttributes: 3 }),
          choice,
          async (s, seed) => {
            const stored = await encrypt(s);
            const name = s.ensured[0] as string;
            const changed = changeValue(stored[name] as AttributeValue, seed);
            expect(canonicalValue(changed)).not.toEqual(canonicalValue(stored[name] as AttributeValue));
            await expectRejected({ s, tampered: withValue(stored, name, changed), config: configOf(s, provider) });
          },
        ),
        baseRuns(40),
      );
    });
  });

  it('changing a SIGN_ONLY number to a numerically different value; control: re-spelling it verifies', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenario({ ensure: [{ action: SIGN_ONLY, value: numberText.map((n): AttributeValue => ({ N: n })) }], maxAttributes: 3 }),
        choice,
        async (s, spelling) => {
          const stored = await encrypt(s);
          const name = s.ensured[0] as string;
          const original = (stored[name] as AttributeValue).N as string;
          const config = configOf(s, provider);

          const different = changeNumber(original);
          expect(normalizeNumber(different)).not.toBe(normalizeNumber(original));
          await expectRejected({ s, tampered: withValue(stored, name, { N: different }), config });

          const respelled = respellNumber(original, spelling);
          expect(respelled).not.toBe(original);
          expect(normalizeNumber(respelled)).toBe(normalizeNumber(original));
          const decrypted = await decryptDynamoDbItem(withValue(stored, name, { N: respelled }), config);
          // SIGN_ONLY values come back as stored, i.e. in the new spelling.
          expect(decrypted[name]).toEqual({ N: respelled });
          expect(canonicalItem(decrypted)).toEqual(canonicalItem(s.item));
        },
      ),
      baseRuns(80),
    );
  });

  it('control: "1.0" and "1" are the same signed number', async () => {
    const s: Scenario = {
      tableName: 'numbers',
      hasSortKey: false,
      item: { pk: { S: 'k' }, one: { N: '1.0' }, many: { NS: ['1', '2.50', '-0'] } },
      defaultAction: SIGN_ONLY,
      overrides: {},
      ensured: [],
    };
    const stored = await encrypt(s);
    const tampered = { ...stored, one: { N: '1' }, many: { NS: ['0', '25e-1', '1.000'] } };
    const decrypted = await decryptDynamoDbItem(tampered, configOf(s, provider));
    expect(decrypted['one']).toEqual({ N: '1' });
    await expectRejected({ s, tampered: { ...stored, one: { N: '1.01' } }, config: configOf(s, provider) });
    await expectRejected({ s, tampered: { ...stored, many: { NS: ['1', '2.5'] } }, config: configOf(s, provider) });
  });

  it('control: re-ordering the members of a SIGN_ONLY set verifies', async () => {
    const set = fc.constantFrom<AttributeType>('SS', 'NS', 'BS').chain(valueOfType);
    await fc.assert(
      fc.asyncProperty(scenario({ ensure: [{ action: SIGN_ONLY, value: set }], maxAttributes: 3 }), async (s) => {
        const stored = await encrypt(s);
        const name = s.ensured[0] as string;
        const value = stored[name] as AttributeValue;
        const reordered: AttributeValue =
          value.SS !== undefined
            ? { SS: [...value.SS].reverse() }
            : value.NS !== undefined
              ? { NS: [...value.NS].reverse() }
              : { BS: [...(value.BS as Uint8Array[])].reverse() };
        const decrypted = await decryptDynamoDbItem(withValue(stored, name, reordered), configOf(s, provider));
        expect(canonicalItem(decrypted)).toEqual(canonicalItem(s.item));
      }),
      baseRuns(40),
    );
  });

  it('replacing a signed value by a malformed one: rejected, and errors do not echo it', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ ensure: [ENCRYPT_AND_SIGN, SIGN_ONLY, SECRET] }), choice, malformedValue, async (s, which, value) => {
        const stored = await encrypt(s);
        const encrypted = namesWithAction(s, ENCRYPT_AND_SIGN);
        const name = pick([...encrypted, ...namesWithAction(s, SIGN_ONLY)], which);
        const tampered = withValue(stored, name, value as AttributeValue);
        await expectRejected({ s, tampered, config: configOf(s, provider) });
      }),
      baseRuns(60),
    );
  });

  // A malformed SIGN_ONLY value once escaped as a bare SerializationError from the Java-ordering
  // check; it must be a SignatureVerificationError naming the attribute, like any tampering.
  it('a malformed SIGN_ONLY value is rejected with SignatureVerificationError naming it', async () => {
    const s: Scenario = {
      tableName: 'malformed',
      hasSortKey: false,
      item: { pk: { S: 'k' }, signed: { L: [{ S: 'plain' }] } },
      defaultAction: SIGN_ONLY,
      overrides: {},
      ensured: [],
    };
    const stored = await encrypt(s);
    const tampered = withValue(stored, 'signed', { L: [{ S: 'plain', BOOL: true }] } as unknown as AttributeValue);
    await expect(decryptDynamoDbItem(tampered, configOf(s, provider))).rejects.toBeInstanceOf(SignatureVerificationError);
    await expect(decryptDynamoDbItem(tampered, configOf(s, provider))).rejects.toMatchObject({ attributeName: 'signed', tableName: 'malformed' });
  });

  it('flipping any bit of the signature', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ ensure: [SECRET] }), choice, fc.nat(7), async (s, byte, bit) => {
        fc.pre(!actionsOf(s).takeNoActions);
        const stored = await encrypt(s);
        const signature = (stored[ReservedAttributes.SIGNATURE] as AttributeValue).B as Uint8Array;
        const tampered = withValue(stored, ReservedAttributes.SIGNATURE, { B: flipBit(signature, byte, bit) });
        await expectRejected({ s, tampered, config: configOf(s, provider) });
      }),
      baseRuns(100),
    );
  });

  it('removing the signature or the material description', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ signedKeys: true, ensure: [SECRET] }), fc.constantFrom(...Object.values(ReservedAttributes)), async (s, reserved) => {
        const stored = await encrypt(s);
        await expectRejected({ s, tampered: without(stored, reserved), config: configOf(s, provider) });
      }),
      baseRuns(30),
    );
  });

  it('changing a key attribute value', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ signedKeys: true, ensure: [SECRET] }), choice, choice, async (s, which, seed) => {
        const stored = await encrypt(s);
        const key = pick(keyNames(s), which);
        const changed = changeValue(stored[key] as AttributeValue, seed);
        expect(Object.keys(changed)).toEqual(Object.keys(stored[key] as AttributeValue)); // still a key type
        await expectRejected({ s, tampered: withValue(stored, key, changed), config: configOf(s, provider) });
      }),
      baseRuns(100),
    );
  });

  it('swapping the values of two encrypted attributes', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ ensure: [ENCRYPT_AND_SIGN, ENCRYPT_AND_SIGN, SECRET] }), choice, choice, async (s, first, offset) => {
        const stored = await encrypt(s);
        const encrypted = namesWithAction(s, ENCRYPT_AND_SIGN);
        const a = first % encrypted.length;
        const b = (a + 1 + (offset % (encrypted.length - 1))) % encrypted.length;
        const [nameA, nameB] = [encrypted[a] as string, encrypted[b] as string];
        const tampered = withValue(withValue(stored, nameA, stored[nameB] as AttributeValue), nameB, stored[nameA] as AttributeValue);
        await expectRejected({ s, tampered, config: configOf(s, provider) });
      }),
      baseRuns(100),
    );
  });

  it('replacing an encrypted value with its ciphertext from another encryption of the same item', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ ensure: [ENCRYPT_AND_SIGN, SECRET] }), choice, async (s, which) => {
        const stored = await encrypt(s);
        const other = await encrypt(s);
        const name = pick(namesWithAction(s, ENCRYPT_AND_SIGN), which);
        await expectRejected({ s, tampered: withValue(stored, name, other[name] as AttributeValue), config: configOf(s, provider) });
        // ... or the whole other signature (over other ciphertexts).
        const tampered = withValue(stored, ReservedAttributes.SIGNATURE, other[ReservedAttributes.SIGNATURE] as AttributeValue);
        await expectRejected({ s, tampered, config: configOf(s, provider) });
      }),
      baseRuns(40),
    );
  });

  it('removing a signed attribute', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ ensure: [ENCRYPT_AND_SIGN, SIGN_ONLY, SECRET] }), choice, async (s, which) => {
        const stored = await encrypt(s);
        const signed = [...namesWithAction(s, ENCRYPT_AND_SIGN), ...namesWithAction(s, SIGN_ONLY)];
        const name = pick(signed, which);
        await expectRejected({ s, tampered: without(stored, name), config: configOf(s, provider) });
      }),
      baseRuns(100),
    );
  });

  it('adding an attribute: rejected under a signing default, accepted under DO_NOTHING', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ ensure: [SECRET] }), attributeValue, fc.option(fc.constantFrom('new', '__proto__', 'ünïcödé😀')), async (s, value, base) => {
        const stored = await encrypt(s);
        const name = freshName(s.item, s.overrides, base ?? 'new');
        const tampered = withValue(stored, name, value);
        const config = configOf(s, provider);
        expect(config.attributeActions.action(name)).toBe(s.defaultAction);
        if (s.defaultAction === DO_NOTHING) {
          const decrypted = await decryptDynamoDbItem(tampered, config);
          expect(canonicalItem(decrypted)).toEqual(canonicalItem(withValue(s.item, name, value)));
        } else {
          await expectRejected({ s, tampered, config });
        }
      }),
      baseRuns(150),
    );
  });

  it('decrypting under another table name', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ signedKeys: true, ensure: [SECRET] }), tableNameArb, async (s, otherTable) => {
        fc.pre(otherTable !== s.tableName);
        const stored = await encrypt(s);
        await expectRejected({ s, tampered: stored, config: configOf(s, provider, { tableName: otherTable }) });
      }),
      baseRuns(100),
    );
  });

  it('changing SIGN_ONLY to ENCRYPT_AND_SIGN or back between encrypt and decrypt', async () => {
    await fc.assert(
      fc.asyncProperty(scenario({ ensure: [ENCRYPT_AND_SIGN, SIGN_ONLY, SECRET] }), choice, async (s, which) => {
        const stored = await encrypt(s);
        const name = pick([...namesWithAction(s, ENCRYPT_AND_SIGN), ...namesWithAction(s, SIGN_ONLY)], which);
        const changed = actionsOf(s).action(name) === SIGN_ONLY ? ENCRYPT_AND_SIGN : SIGN_ONLY;
        await expectRejected({ s, tampered: stored, config: configOf(s, provider, { actions: { [name]: changed } }) });
      }),
      baseRuns(100),
    );
  });

  it('any other change of an attribute action between encrypt and decrypt', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenario({ signedKeys: true, ensure: [ENCRYPT_AND_SIGN, SIGN_ONLY, DO_NOTHING, SECRET] }),
        choice,
        fc.constantFrom(...ALL_ACTIONS),
        async (s, which, wanted) => {
          const stored = await encrypt(s);
          const candidates = Object.keys(s.item).filter((name) => !keyNames(s).includes(name));
          const name = pick(candidates, which);
          const before = actionsOf(s).action(name);
          const after = wanted !== before ? wanted : pick(ALL_ACTIONS.filter((action) => action !== before), which);
          await expectRejected({ s, tampered: stored, config: configOf(s, provider, { actions: { [name]: after } }) });
        },
      ),
      baseRuns(100),
    );
  });

  it('control: changing, adding or removing a DO_NOTHING attribute still decrypts, with the change', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenario({ ensure: [DO_NOTHING, ENCRYPT_AND_SIGN, SIGN_ONLY] }),
        fc.constantFrom('change', 'add', 'remove'),
        choice,
        attributeValue,
        async (s, operation, seed, addedValue) => {
          const added = freshName(s.item, s.overrides, 'unsigned');
          // The added attribute is DO_NOTHING by an explicit action, at write and at read.
          const config = configOf(s, provider, { actions: { [added]: DO_NOTHING } });
          const stored = await encryptDynamoDbItem(s.item, config);
          const name = pick(namesWithAction(s, DO_NOTHING), seed);
          let tampered: DynamoDbItem;
          let expected: DynamoDbItem;
          if (operation === 'change') {
            const changed = changeValue(stored[name] as AttributeValue, seed);
            tampered = withValue(stored, name, changed);
            expected = withValue(s.item, name, changed);
          } else if (operation === 'add') {
            tampered = withValue(stored, added, addedValue);
            expected = withValue(s.item, added, addedValue);
          } else {
            tampered = without(stored, name);
            expected = without(s.item, name);
          }
          const decrypted = await decryptDynamoDbItem(tampered, config);
          expect(canonicalItem(decrypted)).toEqual(canonicalItem(expected));
          expect(hasOwn(decrypted, ReservedAttributes.SIGNATURE)).toBe(false);
        },
      ),
      baseRuns(120),
    );
  });
});
