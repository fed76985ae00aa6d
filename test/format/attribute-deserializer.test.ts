import { DeserializationError } from '../../src/errors';
import { deserializeAttribute } from '../../src/format/attribute-deserializer';
import { serializeAttribute } from '../../src/format/attribute-serializer';
import type { AttributeValue } from '../../src/format/attribute-value';
import { attributeValueFromJson } from '../../src/format/dynamodb-json';
import { MAX_NESTING_DEPTH } from '../../src/format/nesting-limit';
import { canonicalForm, hex } from './canonical-form';
import { readVectorFile, type AttributeVector } from './shared-vectors';

const deserializeVectors = readVectorFile<AttributeVector[]>('deserialize_attribute.json');
const serializeVectors = readVectorFile<AttributeVector[]>('serialize_attribute.json');

function expectRejected(bytes: Uint8Array, messagePart?: RegExp): void {
  let caught: unknown;
  try {
    deserializeAttribute(bytes);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DeserializationError);
  if (messagePart !== undefined) expect((caught as Error).message).toMatch(messagePart);
}

describe('deserializeAttribute — upstream vectors (deserialize_attribute.json)', () => {
  it('has the 15 upstream entries', () => {
    expect(deserializeVectors).toHaveLength(15);
  });

  it.each(deserializeVectors.map((vector, index) => [index, vector] as const))('entry %i', (_index, vector) => {
    const decoded = deserializeAttribute(Buffer.from(vector.serialized, 'base64'));
    const expected = attributeValueFromJson(vector.attribute);
    expect(canonicalForm(decoded)).toEqual(canonicalForm(expected));
  });

  it.each(serializeVectors.map((vector, index) => [index, vector] as const))(
    'decodes serialize_attribute.json entry %i back to bytes-identical form',
    (_index, vector) => {
      const bytes = Buffer.from(vector.serialized, 'base64');
      expect(serializeAttribute(deserializeAttribute(bytes)).equals(bytes)).toBe(true);
    },
  );
});

describe('deserializeAttribute — behaviour', () => {
  it('returns numbers normalized', () => {
    expect(deserializeAttribute(hex('006e 00000005 35352e3030'))).toEqual({ N: '55' });
    expect(deserializeAttribute(hex('004e 00000002 00000003 312e30 00000003 2d302e'))).toEqual({ NS: ['1', '0'] });
  });

  it('merges number-set members that normalize to the same number', () => {
    expect(deserializeAttribute(hex('004e 00000003 00000003 312e30 00000001 31 00000001 32'))).toEqual({ NS: ['1', '2'] });
  });

  it('keeps set members in stored order, even when not sorted (Java-ordered data)', () => {
    expect(deserializeAttribute(hex('0053 00000002 00000004 f09f9880 00000003 efbfbf'))).toEqual({ SS: ['😀', '\uFFFF'] });
    const binarySet = deserializeAttribute(hex('0042 00000002 00000001 ff 00000001 01'));
    expect(binarySet.BS?.map((member) => Buffer.from(member).toString('hex'))).toEqual(['ff', '01']);
  });

  it('returns binary values as copies, unaffected by later changes to the input', () => {
    const input = hex('004c 00000002 0062 00000002 0102 0042 00000001 00000001 03');
    const decoded = deserializeAttribute(input);
    input.fill(0xee);
    expect(decoded.L?.[0]?.B).toEqual(Uint8Array.of(1, 2));
    expect(decoded.L?.[1]?.BS).toEqual([Uint8Array.of(3)]);
    expect(decoded.L?.[0]?.B).toBeInstanceOf(Uint8Array);
  });

  it('keeps a leading byte-order mark as part of the string', () => {
    expect(deserializeAttribute(hex('0073 00000004 efbbbf61'))).toEqual({ S: '\uFEFFa' });
  });

  it('decodes non-BMP characters', () => {
    expect(deserializeAttribute(hex('0073 00000006 c3a9f09f9880'))).toEqual({ S: 'é😀' });
  });

  it('decodes a "__proto__" map key as an own attribute without touching the prototype', () => {
    const decoded = deserializeAttribute(
      hex(`004d 00000001 0073 00000009 ${Buffer.from('__proto__').toString('hex')} 003f01`),
    );
    const map = decoded.M as Record<string, AttributeValue>;
    expect(Object.keys(map)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(map)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(map, '__proto__')?.value).toEqual({ BOOL: true });
  });

  it(`accepts ${MAX_NESTING_DEPTH} nested lists`, () => {
    const bytes = Buffer.concat([...Array<Buffer>(MAX_NESTING_DEPTH).fill(hex('004c 00000001')), hex('0000')]);
    let value = deserializeAttribute(bytes);
    for (let level = 0; level < MAX_NESTING_DEPTH; level++) value = value.L?.[0] as AttributeValue;
    expect(value).toEqual({ NULL: true });
  });

  it('accepts a Uint8Array that is a view into a larger buffer', () => {
    const backing = hex('ffff 0073 00000001 61 ffff');
    expect(deserializeAttribute(backing.subarray(2, backing.length - 2))).toEqual({ S: 'a' });
  });
});

describe('deserializeAttribute — rejections', () => {
  it.each<[string, string, RegExp]>([
    ['empty input', '', /truncated/i],
    ['a lone header byte', '00', /truncated/i],
    ['trailing bytes after the value', '003f01 00', /1 unexpected bytes after the value/],
    ['two concatenated values', '0000 0000', /unexpected bytes/],
    ['a non-zero reserved header byte', '0173 00000001 61', /reserved/],
    ['an unknown tag', '007a', /unknown type tag 0x7a/i],
    ["a lowercase 'm' tag", '006d 00000000', /unknown type tag 0x6d/i],
    ['a BOOL byte of 2', '003f02', /BOOL/],
    ['a BOOL without its byte', '003f', /truncated/i],
    ['a truncated length', '0073 0000', /truncated S value length/i],
    ['a truncated string body', '0073 00000005 6162', /truncated S value/i],
    ['a string length of 4 GiB', '0073 ffffffff 61', /truncated/i],
    ['a truncated binary body', '0062 00000003 0102', /truncated B value/i],
    ['a truncated set member', '0053 00000002 00000001 61 00000002 62', /truncated/i],
    ['a list shorter than its count', '004c 00000002 0000', /count 2/],
    ['a huge list count', '004c ffffffff 0000', /count 4294967295/],
    ['a huge set count', '0053 ffffffff', /count 4294967295/],
    ['a huge map count', '004d 7fffffff 0073 00000000 0000', /count 2147483647/],
    ['a map key that is not an S', '004d 00000001 006e 00000001 31 0000', /not an S value/],
    ['a map key with a bad reserved byte', '004d 00000001 0173 00000001 61 0000', /not an S value/],
    ['a map entry without its value', '004d 00000001 0073 00000003 616263', /truncated type header/i],
    ['a map count the remaining bytes cannot hold', '004d 00000001 0073 00000001 61', /cannot fit/],
    ['a duplicate map key', '004d 00000002 0073 00000001 61 0000 0073 00000001 61 003f01', /duplicate key/],
    ['a duplicate SS member', '0053 00000002 00000001 61 00000001 61', /duplicate member/],
    ['a duplicate BS member', '0042 00000003 00000001 01 00000001 02 00000001 01', /duplicate member/],
    ['invalid UTF-8 (a lone continuation byte)', '0073 00000001 80', /not valid UTF-8/],
    ['invalid UTF-8 (an overlong NUL)', '0073 00000002 c080', /not valid UTF-8/],
    ['invalid UTF-8 (an encoded surrogate)', '0073 00000003 eda080', /not valid UTF-8/],
    ['invalid UTF-8 in a map key', '004d 00000001 0073 00000001 ff 0000', /not valid UTF-8/],
    ['invalid UTF-8 in a set member', '0053 00000001 00000001 fe', /not valid UTF-8/],
    ['N text that is not a number', '006e 00000003 616263', /not a valid DynamoDB number/],
    ['N text with more than 38 digits', `006e 00000027 ${'31'.repeat(39)}`, /not a valid DynamoDB number/],
    ['an NS member that is not a number', '004e 00000001 00000000', /not a valid DynamoDB number/],
  ])('rejects %s', (_name, bytesHex, messagePart) => {
    expectRejected(hex(bytesHex), messagePart);
  });

  it(`rejects more than ${MAX_NESTING_DEPTH} nested containers without overflowing the stack`, () => {
    const tooDeep = Buffer.concat([...Array<Buffer>(MAX_NESTING_DEPTH + 1).fill(hex('004c 00000001')), hex('0000')]);
    expectRejected(tooDeep, /nested more than/);
    // Hostile input far deeper than any stack could follow.
    const hostile = Buffer.concat([...Array<Buffer>(200_000).fill(hex('004d 00000001 0073 00000000')), hex('0000')]);
    expectRejected(hostile, /nested more than/);
  });

  it('rejects every proper prefix of a valid nested value', () => {
    const complete = Buffer.from(serializeVectors[21]?.serialized ?? '', 'base64');
    expect(complete.length).toBeGreaterThan(100);
    for (let length = 0; length < complete.length; length++) expectRejected(complete.subarray(0, length));
  });

  it('rejects input that is not a Uint8Array', () => {
    expect(() => deserializeAttribute('AAA=' as unknown as Uint8Array)).toThrow(DeserializationError);
  });

  it('keeps decoded content out of error messages', () => {
    const secret = Buffer.from('hunter2-secret').toString('hex');
    const cases = [
      hex(`0073 0000000e ${secret} 00`), // trailing byte after a secret string
      hex(`006e 0000000e ${secret}`), // secret in an invalid number
      hex(`004d 00000002 0073 0000000e ${secret} 0000 0073 0000000e ${secret} 0000`), // duplicate secret key
      hex(`0053 00000002 0000000e ${secret} 0000000e ${secret}`), // duplicate secret member
    ];
    for (const bytes of cases) {
      let message = '';
      try {
        deserializeAttribute(bytes);
      } catch (error) {
        expect(error).toBeInstanceOf(DeserializationError);
        message = (error as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain('hunter2');
    }
  });
});
