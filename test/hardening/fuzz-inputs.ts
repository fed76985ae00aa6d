/**
 * fast-check generators of hostile input for the fuzz targets: plaintext values carrying the
 * planted markers, malformed attribute values, hostile byte strings and JSON, and the mutations
 * applied to valid encodings. Mutations are drawn as plain data (kind + numbers) and applied by
 * the functions here, so that a failing case prints and shrinks like any other.
 */
import fc from 'fast-check';
import type { AttributeValue, DynamoDbItem } from '../../src/format/attribute-value';
import { AttributeTag } from '../../src/format/attribute-tags';
import { normalizeNumber } from '../../src/format/number-normalizer';
import { fromEntries, put } from '../encryptor/arbitraries';
import { NUMBER_MARKER, PLAINTEXT_MARKER } from './fuzz-oracle';

const MARKER_BYTES = Buffer.from(PLAINTEXT_MARKER, 'latin1');

// ---------------------------------------------------------------------------------------------
// Plaintext carrying markers

/** Well-formed text (graphemes, so never a lone surrogate: valid plaintext must encrypt). */
export const cleanText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', 'é', '中', '\u0000', '\uFFFF', '😀', '"', '\\'), maxLength: 8 }),
);

/** A string that starts with the marker, so that even a truncated echo of it is caught. */
export const markedText: fc.Arbitrary<string> = fc
  .tuple(fc.nat({ max: 99_999 }), cleanText)
  .map(([serial, suffix]) => `${PLAINTEXT_MARKER}-${serial}${suffix}`);

/** Number text containing the number marker in every spelling's normalized form. */
export const markedNumber: fc.Arbitrary<string> = fc
  .tuple(fc.nat({ max: 999_999 }), fc.constantFrom('', '-'), fc.constantFrom('plain', 'exponent', 'fraction'), fc.nat({ max: 60 }))
  .map(([serial, sign, spelling, exponent]) => {
    const digits = `${NUMBER_MARKER}${serial}`;
    if (spelling === 'exponent') return `${sign}${digits}e${exponent}`;
    if (spelling === 'fraction') return `${sign}0.${digits}`;
    return `${sign}${digits}`;
  });

export const markedBytes: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.uint8Array({ maxLength: 6 }), fc.uint8Array({ maxLength: 6 }))
  .map(([before, after]) => new Uint8Array(Buffer.concat([before, MARKER_BYTES, after])));

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Map keys inside an encrypted value are plaintext too: mostly marked. */
const markedMapKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: markedText },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', '') },
);

/**
 * Keys of JSON objects and DynamoDB JSON maps that event mutations may move to the top level,
 * where they become attribute names, which messages may name: never marked.
 */
const plainMapKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: cleanText },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', '') },
);

/** Valid attribute values of every type, every leaf carrying a marker (map keys as `mapKey` makes them). */
function markedValues(mapKey: fc.Arbitrary<string>, id: string): fc.Arbitrary<AttributeValue> {
  return fc.letrec<{ value: AttributeValue }>((tie) => ({
    value: fc.oneof(
      { maxDepth: 3, depthSize: 'small', depthIdentifier: id },
      markedText.map((S): AttributeValue => ({ S })),
      markedNumber.map((N): AttributeValue => ({ N })),
      markedBytes.map((B): AttributeValue => ({ B })),
      fc.uniqueArray(markedText, { minLength: 1, maxLength: 4 }).map((SS): AttributeValue => ({ SS })),
      fc.uniqueArray(markedNumber, { minLength: 1, maxLength: 4, selector: normalizeNumber }).map((NS): AttributeValue => ({ NS })),
      fc.uniqueArray(markedBytes, { minLength: 1, maxLength: 4, selector: hex }).map((BS): AttributeValue => ({ BS })),
      fc.boolean().map((BOOL): AttributeValue => ({ BOOL })),
      fc.constant<AttributeValue>({ NULL: true }),
      fc.array(tie('value'), { maxLength: 4, depthIdentifier: id }).map((L): AttributeValue => ({ L })),
      fc
        .uniqueArray(fc.tuple(mapKey, tie('value')), { maxLength: 4, selector: ([key]) => key, depthIdentifier: id })
        .map((entries): AttributeValue => ({ M: fromEntries(entries) })),
    ),
  })).value;
}

/** For the encryptor and the deserializer: map keys are plaintext and marked. */
export const markedValue: fc.Arbitrary<AttributeValue> = markedValues(markedMapKey, 'marked-value');
/** For events that mutations rearrange: map keys unmarked (see `plainMapKey`). */
export const markedValuePlainKeys: fc.Arbitrary<AttributeValue> = markedValues(plainMapKey, 'marked-value-plain-keys');

/** A primary-key value: non-empty S, N or B, marked. */
export const markedKeyValue: fc.Arbitrary<AttributeValue> = fc.oneof(
  markedText.map((S): AttributeValue => ({ S })),
  markedNumber.map((N): AttributeValue => ({ N })),
  markedBytes.map((B): AttributeValue => ({ B })),
);

// ---------------------------------------------------------------------------------------------
// Hostile attribute values

const M = PLAINTEXT_MARKER;

/**
 * Shapes a JavaScript caller (or a corrupted store) can hand over that are not valid
 * AttributeValues. Built fresh each time: the encryptor must not depend on sharing.
 */
const MALFORMED_VALUES: ReadonlyArray<() => unknown> = [
  () => ({}),
  () => ({ S: 5 }),
  () => ({ S: `${M}-two-types`, N: `${NUMBER_MARKER}1` }),
  () => ({ N: `abc${M}` }),
  () => ({ N: NUMBER_MARKER.repeat(4) }), // 44 significant digits
  () => ({ N: `${NUMBER_MARKER}e99999999999999999999` }),
  () => ({ N: `${NUMBER_MARKER}e200` }),
  () => ({ N: `-${NUMBER_MARKER}e-200` }),
  () => ({ N: '' }),
  () => ({ N: `${'0'.repeat(100_000)}${NUMBER_MARKER}` }),
  () => ({ N: `0.${'0'.repeat(50_000)}${NUMBER_MARKER}` }),
  () => ({ B: `${M}-binary-as-text` }),
  () => ({ B: [1, 2, 3] }),
  () => ({ B: null }),
  () => ({ B: new ArrayBuffer(8) }),
  () => ({ B: new Uint16Array([0x5050, 0x4141]) }),
  () => ({ SS: [] }),
  () => ({ SS: [`${M}-dup`, `${M}-dup`] }),
  () => ({ SS: [5] }),
  () => ({ SS: `${M}-not-a-list` }),
  () => ({ NS: ['1', '1.0'] }),
  () => ({ NS: [`${M}`] }),
  () => ({ BS: [MARKER_BYTES, Buffer.from(MARKER_BYTES)] }),
  () => ({ BS: [`${M}`] }),
  () => ({ L: `${M}` }),
  () => ({ L: [null] }),
  () => ({ L: [5, `${M}`] }),
  () => ({ L: [{ S: `${M}-ok` }, { S: 7 }] }),
  () => ({ M: null }),
  () => ({ M: [] }),
  () => ({ M: { a: 5 } }),
  () => ({ M: { [`${M}-key`]: `${M}-value` } }),
  () => ({ BOOL: `${M}` }),
  () => ({ BOOL: 1 }),
  () => ({ NULL: false }),
  () => ({ NULL: `${M}` }),
  () => ({ $unknown: [`${M}`, 1] }),
  () => ({ S: `${M}-ok`, $unknown: ['X', 1] }),
  () => ({ X: `${M}` }),
  () => ({ S: `\uD800${M}` }), // lone surrogate
  () => ({ S: `${M}\uDFFF` }),
  () => ({ SS: [`${M}\uD83D`] }),
  () => ({ M: fromEntries([[`\uDC00${M}`, { S: 'x' }]]) }),
  () => Object.create(null) as object,
  () => Object.assign(Object.create(null) as object, { S: `${M}-null-prototype` }),
  () => new Map([['S', `${M}`]]),
  () => new Date(0),
  () => null,
  () => `${M}-bare-string`,
  () => Number(NUMBER_MARKER),
  () => [{ S: `${M}` }],
  () => true,
];

export const malformedValue: fc.Arbitrary<AttributeValue> = fc
  .nat({ max: MALFORMED_VALUES.length - 1 })
  .map((index) => (MALFORMED_VALUES[index] as () => unknown)() as AttributeValue);

/** Nesting far past the 64-level limit (and past the stack, if anything recursed without one). */
export const deepValue: fc.Arbitrary<AttributeValue> = fc
  .tuple(fc.integer({ min: 30, max: 20_000 }), fc.constantFrom('L', 'M', 'mixed'), markedValue)
  .map(([depth, kind, leaf]) => {
    let value: AttributeValue = leaf;
    for (let level = 0; level < depth; level++) {
      const asList = kind === 'L' || (kind === 'mixed' && level % 2 === 0);
      value = asList ? { L: [value] } : { M: { [`${M}-${level}`]: value } };
    }
    return value;
  });

/** Values near and over DynamoDB's 400 KB item limit, or with very many members. */
export const hugeValue: fc.Arbitrary<AttributeValue> = fc
  .tuple(fc.constantFrom('S', 'B', 'L', 'M', 'SS', 'NS'), fc.integer({ min: 1_000, max: 30_000 }))
  .map(([kind, size]): AttributeValue => {
    switch (kind) {
      case 'S':
        return { S: `${M}-`.repeat(size) };
      case 'B':
        return { B: new Uint8Array(Buffer.alloc(size * 13, MARKER_BYTES)) };
      case 'L':
        return { L: Array.from({ length: size }, (_, index): AttributeValue => (index % 2 === 0 ? { NULL: true } : { S: `${M}-${index}` })) };
      case 'M':
        return { M: fromEntries(Array.from({ length: size / 4 }, (_, index) => [`${M}-${index}`, { N: `${NUMBER_MARKER}${index}` }] as const)) };
      case 'SS':
        return { SS: Array.from({ length: size / 4 }, (_, index) => `${M}-${index}`) };
      default:
        return { NS: Array.from({ length: size / 4 }, (_, index) => `${NUMBER_MARKER}${index}`) };
    }
  });

/** Anything an attribute slot may hold: valid, malformed, deep or huge. */
export const hostileValue: fc.Arbitrary<AttributeValue> = fc.oneof(
  { weight: 5, arbitrary: markedValue },
  { weight: 4, arbitrary: malformedValue },
  { weight: 1, arbitrary: deepValue },
  { weight: 1, arbitrary: hugeValue },
);

// ---------------------------------------------------------------------------------------------
// Bytes and their mutations

export type ByteMutationKind = 'flip' | 'truncate' | 'extend' | 'insert' | 'delete' | 'overwrite-u32' | 'duplicate' | 'zero';

export interface ByteMutation {
  readonly kind: ByteMutationKind;
  readonly at: number;
  readonly span: number;
  readonly bytes: Uint8Array;
  readonly u32: number;
}

export const byteMutation: fc.Arbitrary<ByteMutation> = fc.record({
  kind: fc.constantFrom<ByteMutationKind>('flip', 'truncate', 'extend', 'insert', 'delete', 'overwrite-u32', 'duplicate', 'zero'),
  at: fc.nat(),
  span: fc.nat({ max: 64 }),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }),
  // Length and count prefixes are u32: the interesting values are the edges.
  u32: fc.oneof(fc.constantFrom(0, 1, 2, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 65, 1 << 16, 1 << 24), fc.nat({ max: 4096 })),
});

/** Applies one mutation; positions wrap around the current length so every draw means something. */
export function mutateBytes(input: Uint8Array, mutation: ByteMutation): Uint8Array {
  const bytes = Buffer.from(input);
  const length = bytes.length;
  const at = length === 0 ? 0 : mutation.at % length;
  switch (mutation.kind) {
    case 'flip':
      if (length === 0) return new Uint8Array(mutation.bytes);
      bytes[at] ^= 1 << (mutation.span % 8);
      return new Uint8Array(bytes);
    case 'truncate':
      return new Uint8Array(bytes.subarray(0, at));
    case 'extend':
      return new Uint8Array(Buffer.concat([bytes, mutation.bytes]));
    case 'insert':
      return new Uint8Array(Buffer.concat([bytes.subarray(0, at), mutation.bytes, bytes.subarray(at)]));
    case 'delete':
      return new Uint8Array(Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + mutation.span)]));
    case 'overwrite-u32': {
      if (length < 4) return new Uint8Array(bytes);
      bytes.writeUInt32BE(mutation.u32 >>> 0, mutation.at % (length - 3));
      return new Uint8Array(bytes);
    }
    case 'duplicate':
      return new Uint8Array(Buffer.concat([bytes.subarray(0, at), bytes.subarray(at, at + 1 + mutation.span), bytes.subarray(at)]));
    default:
      bytes.fill(0, at, Math.min(length, at + 1 + mutation.span));
      return new Uint8Array(bytes);
  }
}

export function mutateAll(input: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  return mutations.reduce(mutateBytes, input);
}

/** Random bytes with the marker spliced in, so that echoing "the bytes" is caught as a leak. */
export const markedRandomBytes: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.boolean())
  .map(([random, at, mark]) => {
    if (!mark) return random;
    const cut = random.length === 0 ? 0 : at % random.length;
    return new Uint8Array(Buffer.concat([random.subarray(0, cut), MARKER_BYTES, random.subarray(cut)]));
  });

/** Canonical-serialization headers, valid tags and not, to get past the first check. */
export const tagHeaderBytes: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.oneof(fc.constantFrom(...Object.values(AttributeTag)), fc.integer({ min: 0, max: 255 })),
    fc.constantFrom(0, 0, 0, 1, 0xff),
    fc.uint8Array({ maxLength: 64 }),
  )
  .map(([tag, reserved, rest]) => new Uint8Array([reserved, tag, ...rest]));

function u32(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

/** A list or map nested `depth` levels (one element each) around a NULL: the depth-limit path. */
export const deepSerialization: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.integer({ min: 60, max: 100_000 }), fc.constantFrom('L', 'M'))
  .map(([depth, kind]) => {
    const level = kind === 'L' ? [0, AttributeTag.L, ...u32(1)] : [0, AttributeTag.M, ...u32(1), 0, AttributeTag.S, ...u32(1), 0x6b];
    const out = new Uint8Array(level.length * depth + 2);
    for (let index = 0; index < depth; index++) out.set(level, index * level.length);
    return out; // ends with 0x00 0x00: NULL
  });

/** Counts and lengths claiming far more than the bytes hold: must fail before allocating. */
export const lyingCountSerialization: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.constantFrom(AttributeTag.L, AttributeTag.M, AttributeTag.SS, AttributeTag.NS, AttributeTag.BS, AttributeTag.S, AttributeTag.B, AttributeTag.N),
    fc.constantFrom(0xffffffff, 0x7fffffff, 0x10000000, 100_000, 1000),
    fc.uint8Array({ maxLength: 32 }),
  )
  .map(([tag, count, rest]) => new Uint8Array([0, tag, ...u32(count), ...rest]));

// ---------------------------------------------------------------------------------------------
// JSON: native items, DynamoDB JSON, and mutations of whole events

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const markedJsonScalar: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: markedText },
  { weight: 2, arbitrary: fc.nat({ max: 999_999 }).map((serial) => Number(`${NUMBER_MARKER}${serial % 1000}`)) },
  { weight: 1, arbitrary: fc.constantFrom<Json>(true, false, null, 0, -1.5, 1e300, '', Number.MAX_SAFE_INTEGER + 2) },
);

/** Native JSON values (as ingest receives items), marked, with `__proto__` keys now and then. */
export const { markedJson } = fc.letrec<{ markedJson: Json }>((tie) => ({
  markedJson: fc.oneof(
    { maxDepth: 3, depthSize: 'small', depthIdentifier: 'marked-json' },
    markedJsonScalar,
    fc.array(tie('markedJson'), { maxLength: 4, depthIdentifier: 'marked-json' }),
    fc
      .uniqueArray(fc.tuple(plainMapKey, tie('markedJson')), { maxLength: 4, selector: ([key]) => key, depthIdentifier: 'marked-json' })
      .map((entries) => fromEntries(entries) as Json),
  ),
}));

/** One native item as ingest expects it: `pk` (and maybe `sk`) plus marked attributes. */
export const nativeItem: fc.Arbitrary<Json> = fc
  .record({
    pk: fc.oneof(markedText, fc.nat().map((serial) => Number(`${NUMBER_MARKER}${serial % 1000}`))),
    sk: fc.option(fc.oneof(markedText, fc.nat({ max: 999 }).map((serial) => Number(`${NUMBER_MARKER}${serial}`))), { nil: undefined }),
    attributes: fc.uniqueArray(fc.tuple(fc.oneof(cleanText, fc.constantFrom('__proto__', '*amzn-ddb-map-sig*', 'gsi1')), markedJson), {
      maxLength: 5,
      selector: ([name]) => name,
    }),
  })
  .map(({ pk, sk, attributes }) => {
    const item: Record<string, Json> = {};
    for (const [name, value] of attributes) put(item, name, value);
    put(item, 'pk', pk);
    if (sk !== undefined) put(item, 'sk', sk);
    return item as Json;
  });

/** Deeply nested JSON text (arrays or objects) around a marked string, inside an item. */
export function deepJsonText(maxDepth: number): fc.Arbitrary<string> {
  return fc.tuple(fc.integer({ min: 10, max: maxDepth }), fc.boolean()).map(([depth, arrays]) => {
    const open = arrays ? '[' : `{"${M}":`;
    const close = arrays ? ']' : '}';
    return `{"pk":"${M}-deep","deep":${open.repeat(depth)}"${M}"${close.repeat(depth)}}`;
  });
}

export interface TextMutation {
  readonly kind: 'truncate' | 'insert' | 'delete' | 'replace';
  readonly at: number;
  readonly text: string;
}

export const textMutation: fc.Arbitrary<TextMutation> = fc.record({
  kind: fc.constantFrom<TextMutation['kind']>('truncate', 'insert', 'delete', 'replace'),
  at: fc.nat(),
  text: fc.oneof(fc.constantFrom('"', '{', '}', '[', ']', ',', ':', '\\', '\\u', '\\ud800', 'null', '1e999', '"__proto__":'), fc.string({ maxLength: 4 })),
});

export function mutateText(text: string, mutation: TextMutation): string {
  const at = text.length === 0 ? 0 : mutation.at % text.length;
  switch (mutation.kind) {
    case 'truncate':
      return text.slice(0, at);
    case 'insert':
      return text.slice(0, at) + mutation.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + 1 + mutation.text.length);
    default:
      return text.slice(0, at) + mutation.text + text.slice(at + mutation.text.length);
  }
}

/** A change somewhere inside a JSON-like event: the path is picked among all its nodes. */
export interface JsonMutation {
  readonly kind: 'delete' | 'replace' | 'wrap' | 'stringify' | 'null' | 'empty';
  readonly at: number;
  readonly value: unknown;
}

/** Replacement values: JSON, marked text, non-JSON JavaScript values a caller might pass. */
export const replacementValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 2, arbitrary: markedJson },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(`${M}`.repeat(10_000), -0, NaN, Infinity, 2 ** 53 + 1, 1e308 * 10, [], {}, '', ' ') },
  { weight: 1, arbitrary: malformedValue },
);

export const jsonMutation: fc.Arbitrary<JsonMutation> = fc.record({
  kind: fc.constantFrom<JsonMutation['kind']>('delete', 'replace', 'replace', 'wrap', 'stringify', 'null', 'empty'),
  at: fc.nat(),
  value: replacementValue,
});

/** Every (parent, key) in a JSON-like tree, breadth first, capped so huge events stay cheap. */
function slotsOf(root: unknown): Array<[Record<string, unknown> | unknown[], string]> {
  const slots: Array<[Record<string, unknown> | unknown[], string]> = [];
  const queue: unknown[] = [root];
  while (queue.length > 0 && slots.length < 500) {
    const node = queue.shift();
    if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) continue;
    const container = node as Record<string, unknown>;
    for (const key of Object.keys(container)) {
      slots.push([container, key]);
      queue.push(container[key]);
    }
  }
  return slots;
}

/** Applies the mutations to a deep copy of `event` (the root itself may be replaced). */
export function mutateJson(event: unknown, mutations: readonly JsonMutation[]): unknown {
  let root = structuredClone(event);
  for (const mutation of mutations) {
    const slots = slotsOf(root);
    if (slots.length === 0) {
      root = mutation.kind === 'delete' ? undefined : mutation.value;
      continue;
    }
    const [parent, key] = slots[mutation.at % slots.length] as [Record<string, unknown>, string];
    const current = parent[key];
    switch (mutation.kind) {
      case 'delete':
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete parent[key];
        break;
      case 'replace':
        put(parent, key, mutation.value);
        break;
      case 'wrap':
        put(parent, key, [current]);
        break;
      case 'stringify':
        put(parent, key, JSON.stringify(current) ?? 'undefined');
        break;
      case 'null':
        put(parent, key, null);
        break;
      default:
        put(parent, key, Array.isArray(current) ? [] : typeof current === 'string' ? '' : {});
    }
  }
  return root;
}

/** Non-JSON JavaScript values too (null prototypes, typed arrays, Maps, boxed values...). */
export const anyJavaScript: fc.Arbitrary<unknown> = fc.anything({
  maxDepth: 3,
  withNullPrototype: true,
  withBigInt: true,
  withDate: true,
  withTypedArray: true,
  withSparseArray: true,
  withMap: true,
  withSet: true,
  withBoxedValues: true,
  withObjectString: true,
});

/** Plain items of DynamoDB attribute values (for the stream and re-encryption fixtures). */
export function itemOf(entries: ReadonlyArray<readonly [string, AttributeValue]>): DynamoDbItem {
  return fromEntries(entries);
}
