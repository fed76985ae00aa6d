import { SerializationError } from '../../src/errors';
import {
  attributeValueFromJson,
  attributeValueToJson,
  itemFromJson,
  itemToJson,
} from '../../src/format/dynamodb-json';
import { readVectorFile, type AttributeVector } from './shared-vectors';

describe('DynamoDB JSON conversion', () => {
  it('round-trips every attribute of the serialize vectors unchanged', () => {
    const vectors = readVectorFile<AttributeVector[]>('serialize_attribute.json');
    for (const vector of vectors) {
      expect(attributeValueToJson(attributeValueFromJson(vector.attribute))).toEqual(vector.attribute);
    }
  });

  it('turns base64 into Uint8Array and back', () => {
    const value = attributeValueFromJson({ L: [{ B: 'AAECAw==' }, { BS: ['/w==', ''] }] });
    const binary = value.L?.[0]?.B;
    expect(binary).toBeInstanceOf(Uint8Array);
    expect(Array.from(binary ?? [])).toEqual([0, 1, 2, 3]);
    expect(value.L?.[1]?.BS?.map((member) => Array.from(member))).toEqual([[255], []]);
    expect(attributeValueToJson({ B: Buffer.from([0xfb, 0xff]) })).toEqual({ B: '+/8=' });
    // a view into a larger buffer encodes only its own bytes
    expect(attributeValueToJson({ B: new Uint8Array([9, 1, 2, 9]).subarray(1, 3) })).toEqual({ B: 'AQI=' });
  });

  it('keeps numbers as written', () => {
    expect(attributeValueFromJson({ N: '55.00' })).toEqual({ N: '55.00' });
    expect(attributeValueToJson({ NS: ['1.0', '2'] })).toEqual({ NS: ['1.0', '2'] });
  });

  it('converts whole items and names the attribute in errors', () => {
    const json = { id: { S: 'a' }, blob: { B: 'AQ==' }, nested: { M: { x: { NULL: true } } } };
    const item = itemFromJson(json);
    expect(item.blob?.B).toEqual(Uint8Array.of(1));
    expect(itemToJson(item)).toEqual(json);
    expect(() => itemFromJson({ id: { S: 'a' }, broken: { S: 1 } })).toThrow(/attribute "broken"/);
    expect(() => itemToJson({ broken: {} as never })).toThrow(/attribute "broken"/);
    expect(() => itemFromJson([])).toThrow(SerializationError);
  });

  it('keeps a "__proto__" map key as an attribute', () => {
    const value = attributeValueFromJson(JSON.parse('{"M": {"__proto__": {"S": "x"}}}'));
    expect(Object.keys(value.M ?? {})).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value.M)).toBe(Object.prototype);
    expect(JSON.stringify(attributeValueToJson(value))).toBe('{"M":{"__proto__":{"S":"x"}}}');
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'S'],
    ['an array', [{ S: 'a' }]],
    ['no type', {}],
    ['two types', { S: 'a', N: '1' }],
    ['an unknown type', { X: 'a' }],
    ['S that is a number', { S: 1 }],
    ['N that is a number', { N: 1 }],
    ['B that is not base64', { B: 'not base64!' }],
    ['B without padding', { B: 'AAE' }],
    ['B in URL-safe base64', { B: '-_8=' }],
    ['B with whitespace', { B: 'AA EC' }],
    ['BS with a non-string member', { BS: [1] }],
    ['SS that is not an array', { SS: 'a' }],
    ['NULL false', { NULL: false }],
    ['BOOL as a string', { BOOL: 'true' }],
    ['L that is an object', { L: {} }],
    ['M that is an array', { M: [] }],
    ['garbage deep inside', { M: { a: { L: [{ S: 'ok' }, { Q: 1 }] } } }],
  ])('rejects %s', (_name, json) => {
    expect(() => attributeValueFromJson(json)).toThrow(SerializationError);
  });

  it.each<[string, unknown]>([
    ['B that is a string', { B: 'AQ==' }],
    ['no type', {}],
    ['NULL false', { NULL: false }],
    ['an $unknown type', { $unknown: ['X', 1] }],
  ])('refuses to write %s', (_name, value) => {
    expect(() => attributeValueToJson(value as never)).toThrow(SerializationError);
  });
});
