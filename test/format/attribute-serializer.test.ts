import { SerializationError } from '../../src/errors';
import {
  compareStrings,
  hasOrderingDivergence,
  serializeAttribute,
} from '../../src/format/attribute-serializer';
import type { AttributeValue } from '../../src/format/attribute-value';
import { attributeValueFromJson } from '../../src/format/dynamodb-json';
import { MAX_NESTING_DEPTH } from '../../src/format/nesting-limit';
import { hex } from './canonical-form';
import { readVectorFile, type AttributeVector } from './shared-vectors';

const serializeVectors = readVectorFile<AttributeVector[]>('serialize_attribute.json');

describe('serializeAttribute — upstream vectors (serialize_attribute.json)', () => {
  it('has the 22 upstream entries', () => {
    expect(serializeVectors).toHaveLength(22);
  });

  it.each(serializeVectors.map((vector, index) => [index, vector] as const))('entry %i', (_index, vector) => {
    const value = attributeValueFromJson(vector.attribute);
    const expected = Buffer.from(vector.serialized, 'base64');
    expect(serializeAttribute(value).toString('hex')).toBe(expected.toString('hex'));
    // ASCII-only data: the Java ordering must produce the very same bytes.
    expect(serializeAttribute(value, 'java').toString('hex')).toBe(expected.toString('hex'));
    expect(hasOrderingDivergence(value)).toBe(false);
  });
});

describe('serializeAttribute — FORMAT.md §2.5 worked examples', () => {
  it.each<[string, AttributeValue, string]>([
    ['NULL', { NULL: true }, '0000'],
    ['BOOL true', { BOOL: true }, '003f01'],
    ['BOOL false', { BOOL: false }, '003f00'],
    ['N 55.00', { N: '55.00' }, '006e 00000002 3535'],
    ['N 55.34000', { N: '55.34000' }, '006e 00000005 35352e3334'],
    ['B', { B: Uint8Array.of(0, 1, 2, 3) }, '0062 00000004 00010203'],
    [
      'NS',
      { NS: ['55.2', '34', '35.0', '1.230'] },
      '004e 00000004 00000004 312e3233 00000002 3334 00000002 3335 00000004 35352e32',
    ],
    [
      'SS',
      { SS: ['test ascii string', 'another ascii string'] },
      `0053 00000002 00000014 ${Buffer.from('another ascii string').toString('hex')} 00000011 ${Buffer.from('test ascii string').toString('hex')}`,
    ],
    [
      'M sorted by key',
      { M: { b: { N: '1.0' }, a: { BOOL: true } } },
      '004d 00000002  0073 00000001 61  003f01  0073 00000001 62  006e 00000001 31',
    ],
    ['L in list order', { L: [{ S: 'x' }, { NULL: true }] }, '004c 00000002  0073 00000001 78  0000'],
    [
      'complexValue L[M{tags: SS}]',
      { L: [{ M: { tags: { SS: ['banana', 'apple', 'cherry'] } } }] },
      `004c 00000001
         004d 00000001
           0073 00000004 74616773
           0053 00000003
             00000005 6170706c65
             00000006 62616e616e61
             00000006 636865727279`,
    ],
  ])('%s', (_name, value, expectedHex) => {
    expect(serializeAttribute(value).toString('hex')).toBe(hex(expectedHex).toString('hex'));
  });

  it('encodes empty sets, lists, maps, strings and binaries with a zero count or length', () => {
    expect(serializeAttribute({ SS: [] }).toString('hex')).toBe('005300000000');
    expect(serializeAttribute({ NS: [] }).toString('hex')).toBe('004e00000000');
    expect(serializeAttribute({ BS: [] }).toString('hex')).toBe('004200000000');
    expect(serializeAttribute({ L: [] }).toString('hex')).toBe('004c00000000');
    expect(serializeAttribute({ M: {} }).toString('hex')).toBe('004d00000000');
    expect(serializeAttribute({ S: '' }).toString('hex')).toBe('007300000000');
    expect(serializeAttribute({ B: new Uint8Array() }).toString('hex')).toBe('006200000000');
  });

  it('encodes strings as standard UTF-8, including non-BMP characters and a leading BOM', () => {
    expect(serializeAttribute({ S: 'é😀' }).toString('hex')).toBe('007300000006c3a9f09f9880');
    expect(serializeAttribute({ S: '\uFEFFa' }).toString('hex')).toBe('007300000004efbbbf61');
  });

  it('handles values larger than the initial buffer', () => {
    const text = 'ü'.repeat(70_000);
    const bytes = new Uint8Array(300_000).fill(7);
    const serialized = serializeAttribute({ L: [{ S: text }, { B: bytes }] });
    expect(serialized.length).toBe(6 + 6 + 140_000 + 6 + 300_000);
    expect(serialized.readUInt32BE(8)).toBe(140_000);
    expect(serialized.subarray(12, 12 + 140_000).toString('utf8')).toBe(text);
    expect(serialized.readUInt32BE(12 + 140_000 + 2)).toBe(300_000);
    expect(serialized.subarray(serialized.length - 300_000).equals(Buffer.from(bytes))).toBe(true);
  });

  it('serializes a map key "__proto__" like any other key', () => {
    const value = attributeValueFromJson(JSON.parse('{"M": {"__proto__": {"NULL": true}}}'));
    expect(serializeAttribute(value).toString('hex')).toBe(
      hex(`004d 00000001 0073 00000009 ${Buffer.from('__proto__').toString('hex')} 0000`).toString('hex'),
    );
  });
});

describe('canonical orderings (FORMAT.md §2.3)', () => {
  const awkwardStrings: AttributeValue = { SS: ['😀', '\uFFFF'] };
  const pythonStringOrder = '0053 00000002 00000003 efbfbf 00000004 f09f9880';
  const javaStringOrder = '0053 00000002 00000004 f09f9880 00000003 efbfbf';

  it('sorts SS by code point for python and by UTF-16 unit for java', () => {
    expect(serializeAttribute(awkwardStrings, 'python').toString('hex')).toBe(hex(pythonStringOrder).toString('hex'));
    expect(serializeAttribute(awkwardStrings).toString('hex')).toBe(hex(pythonStringOrder).toString('hex'));
    expect(serializeAttribute(awkwardStrings, 'java').toString('hex')).toBe(hex(javaStringOrder).toString('hex'));
  });

  it('sorts map keys the same way', () => {
    const map: AttributeValue = { M: { '😀': { NULL: true }, '\uFFFF': { BOOL: true } } };
    expect(serializeAttribute(map, 'python').toString('hex')).toBe(
      hex('004d 00000002 0073 00000003 efbfbf 003f01 0073 00000004 f09f9880 0000').toString('hex'),
    );
    expect(serializeAttribute(map, 'java').toString('hex')).toBe(
      hex('004d 00000002 0073 00000004 f09f9880 0000 0073 00000003 efbfbf 003f01').toString('hex'),
    );
  });

  it('sorts BS by unsigned bytes for python and by signed bytes for java', () => {
    const value: AttributeValue = { BS: [Uint8Array.of(0xff), Uint8Array.of(0x01)] };
    expect(serializeAttribute(value, 'python').toString('hex')).toBe(hex('0042 00000002 00000001 01 00000001 ff').toString('hex'));
    expect(serializeAttribute(value, 'java').toString('hex')).toBe(hex('0042 00000002 00000001 ff 00000001 01').toString('hex'));
  });

  it('puts a shorter prefix first in both binary orderings', () => {
    const value: AttributeValue = { BS: [Uint8Array.of(0x80, 0x00), Uint8Array.of(0x80), new Uint8Array()] };
    const expected = hex('0042 00000003 00000000 00000001 80 00000002 8000').toString('hex');
    expect(serializeAttribute(value, 'python').toString('hex')).toBe(expected);
    expect(serializeAttribute(value, 'java').toString('hex')).toBe(expected);
  });

  it('compareStrings orders by code point (python) or UTF-16 unit (java)', () => {
    expect(compareStrings('\uFFFF', '😀', 'python')).toBeLessThan(0);
    expect(compareStrings('\uFFFF', '😀', 'java')).toBeGreaterThan(0);
    expect(compareStrings('\uE000', '\uD7FF', 'python')).toBeGreaterThan(0);
    for (const ordering of ['python', 'java'] as const) {
      expect(compareStrings('a', 'b', ordering)).toBeLessThan(0);
      expect(compareStrings('ab', 'a', ordering)).toBeGreaterThan(0);
      expect(compareStrings('same😀', 'same😀', ordering)).toBe(0);
      expect(compareStrings('😀', '😁', ordering)).toBeLessThan(0);
      expect(compareStrings('\u00e9', 'z', ordering)).toBeGreaterThan(0);
    }
  });

  it('compareStrings(python) matches the byte order of the UTF-8 encodings', () => {
    const samples = ['', 'a', 'z', '\u007f', '\u0080', 'é', '\u07ff', '\u0800', '\uD7FF', '\uE000', '\uFFFF', '😀', '𝄞', '\u{10FFFF}', 'a😀', 'a\uFFFF'];
    for (const left of samples) {
      for (const right of samples) {
        expect(Math.sign(compareStrings(left, right, 'python'))).toBe(
          Math.sign(Buffer.compare(Buffer.from(left), Buffer.from(right))),
        );
      }
    }
  });

  describe('hasOrderingDivergence', () => {
    it.each<[string, AttributeValue]>([
      ['SS with U+FFFF and an emoji', awkwardStrings],
      ['BS with 0x01 and 0xff', { BS: [Uint8Array.of(0x01), Uint8Array.of(0xff)] }],
      ['map keys with U+E000 and an emoji', { M: { '\uE000': { NULL: true }, '😀': { NULL: true } } }],
      ['a divergent SS inside a list', { L: [{ S: 'x' }, awkwardStrings] }],
      ['a divergent BS inside a map', { M: { a: { M: { b: { BS: [Uint8Array.of(0x7f), Uint8Array.of(0x80)] } } } } }],
    ])('is true for %s', (_name, value) => {
      expect(hasOrderingDivergence(value)).toBe(true);
      expect(serializeAttribute(value, 'python').equals(serializeAttribute(value, 'java'))).toBe(false);
    });

    it.each<[string, AttributeValue]>([
      ['ASCII SS', { SS: ['b', 'a', 'c'] }],
      ['SS with emoji but no U+E000–U+FFFF', { SS: ['😀', 'é', 'a'] }],
      ['SS with U+FFFF but no supplementary characters', { SS: ['\uFFFF', 'a'] }],
      ['BS with only high bytes', { BS: [Uint8Array.of(0x80), Uint8Array.of(0xff)] }],
      ['BS with only low bytes', { BS: [Uint8Array.of(0x01), Uint8Array.of(0x7f)] }],
      ['NS', { NS: ['-1', '10', '9'] }],
      ['S with awkward characters', { S: '\uFFFF😀' }],
      ['a single-member SS', { SS: ['\uFFFF😀'] }],
      ['a map with a single awkward key', { M: { '\uFFFF😀': { S: '😀' } } }],
    ])('is false for %s', (_name, value) => {
      expect(hasOrderingDivergence(value)).toBe(false);
      expect(serializeAttribute(value, 'python').equals(serializeAttribute(value, 'java'))).toBe(true);
    });
  });
});

describe('serializeAttribute — rejections', () => {
  it.each<[string, unknown]>([
    ['NULL false', { NULL: false }],
    ['no type', {}],
    ['only undefined fields', { S: undefined }],
    ['two types', { S: 'a', N: '1' }],
    ['an $unknown type', { $unknown: ['X', 1] }],
    ['null', null],
    ['an array', [{ S: 'a' }]],
    ['S that is not a string', { S: 5 }],
    ['N that is not a string', { N: 5 }],
    ['N that is not a number', { N: 'twelve' }],
    ['B that is not a Uint8Array', { B: 'AAEC' }],
    ['BOOL that is not a boolean', { BOOL: 'true' }],
    ['SS that is not an array', { SS: 'a' }],
    ['SS with a non-string member', { SS: ['a', 1] }],
    ['SS with duplicates', { SS: ['a', 'b', 'a'] }],
    ['NS with duplicates after normalization', { NS: ['1', '2', '1.00'] }],
    ['NS with an invalid member', { NS: ['1', 'x'] }],
    ['BS with duplicates', { BS: [Uint8Array.of(1, 2), Uint8Array.of(3), Uint8Array.of(1, 2)] }],
    ['BS with a non-binary member', { BS: ['AQ=='] }],
    ['L that is not an array', { L: { S: 'a' } }],
    ['M that is not an object', { M: [] }],
    ['M with an undefined value', { M: { a: undefined } }],
    ['S with a lone surrogate', { S: 'a\uD800b' }],
    ['SS member with a lone surrogate', { SS: ['\uDC00'] }],
    ['map key with a lone surrogate', { M: { '\uD83D': { NULL: true } } }],
  ])('rejects %s with SerializationError', (_name, value) => {
    expect(() => serializeAttribute(value as AttributeValue)).toThrow(SerializationError);
  });

  it('rejects an unknown ordering', () => {
    expect(() => serializeAttribute({ S: 'a' }, 'ruby' as 'python')).toThrow(SerializationError);
  });

  it(`accepts ${MAX_NESTING_DEPTH} nested containers and rejects one more`, () => {
    const nest = (levels: number): AttributeValue => {
      let value: AttributeValue = { NULL: true };
      for (let level = 0; level < levels; level++) value = level % 2 === 0 ? { L: [value] } : { M: { k: value } };
      return value;
    };
    expect(serializeAttribute(nest(MAX_NESTING_DEPTH)).length).toBeGreaterThan(MAX_NESTING_DEPTH * 6);
    expect(() => serializeAttribute(nest(MAX_NESTING_DEPTH + 1))).toThrow(SerializationError);
  });

  it('rejects a cyclic value with SerializationError instead of overflowing the stack', () => {
    const list: AttributeValue[] = [];
    const cyclic: AttributeValue = { L: list };
    list.push(cyclic);
    expect(() => serializeAttribute(cyclic)).toThrow(SerializationError);
    expect(() => hasOrderingDivergence(cyclic)).toThrow(SerializationError);
  });

  it('keeps attribute content out of error messages', () => {
    const secret = 'hunter2-secret';
    const failures: AttributeValue[] = [
      { N: secret },
      { S: `${secret}\uD800` },
      { SS: [secret, secret] },
      { NS: [`${secret}`] },
    ];
    for (const value of failures) {
      expect(() => serializeAttribute(value)).toThrow(SerializationError);
      try {
        serializeAttribute(value);
      } catch (error) {
        expect((error as Error).message).not.toContain('hunter2');
      }
    }
  });
});
