import { InvalidMaterialDescriptionError } from '../../src/errors';
import {
  deserializeMaterialDescription,
  serializeMaterialDescription,
} from '../../src/format/material-description';
import {
  MaterialDescriptionKeys,
  ReservedAttributes,
  SYMMETRIC_ENCRYPTION_MODE_VALUE,
} from '../../src/format/material-description-keys';
import { hex } from './canonical-form';
import { readVectorFile, type MaterialDescriptionVector } from './shared-vectors';

const vectors = readVectorFile<MaterialDescriptionVector[]>('material_description.json');

function expectRejected(bytes: Uint8Array, messagePart: RegExp): void {
  let caught: unknown;
  try {
    deserializeMaterialDescription(bytes);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(InvalidMaterialDescriptionError);
  expect((caught as Error).message).toMatch(messagePart);
}

describe('material description — upstream vectors (material_description.json)', () => {
  it('has the 3 upstream entries', () => {
    expect(vectors).toHaveLength(3);
  });

  it.each(vectors.map((vector, index) => [index, vector] as const))('entry %i, both directions', (_index, vector) => {
    const bytes = Buffer.from(vector.serialized, 'base64');
    expect(serializeMaterialDescription(vector.material_description).toString('base64')).toBe(vector.serialized);
    expect(serializeMaterialDescription(new Map(Object.entries(vector.material_description))).toString('base64')).toBe(
      vector.serialized,
    );
    expect(deserializeMaterialDescription(bytes)).toEqual(new Map(Object.entries(vector.material_description)));
  });
});

describe('material description — format', () => {
  const workedExample = hex(`
    00000000
    00000017 ${Buffer.from('amzn-ddb-map-signingAlg').toString('hex')}
    0000000a ${Buffer.from('HmacSHA256').toString('hex')}
    00000015 ${Buffer.from('amzn-ddb-map-sym-mode').toString('hex')}
    00000011 ${Buffer.from('/CBC/PKCS5Padding').toString('hex')}`);

  it('matches the FORMAT.md §3.3 worked example', () => {
    const description = new Map([
      [MaterialDescriptionKeys.SYMMETRIC_ENCRYPTION_MODE, SYMMETRIC_ENCRYPTION_MODE_VALUE],
      [MaterialDescriptionKeys.SIGNING_ALGORITHM, 'HmacSHA256'],
    ]);
    expect(serializeMaterialDescription(description).equals(workedExample)).toBe(true);
    expect(deserializeMaterialDescription(workedExample)).toEqual(description);
  });

  it('reads pairs in any order (Java writes them in hash order)', () => {
    const reversed = hex(`
      00000000
      00000015 ${Buffer.from('amzn-ddb-map-sym-mode').toString('hex')}
      00000011 ${Buffer.from('/CBC/PKCS5Padding').toString('hex')}
      00000001 61 00000000`);
    expect(deserializeMaterialDescription(reversed)).toEqual(
      new Map([
        ['amzn-ddb-map-sym-mode', '/CBC/PKCS5Padding'],
        ['a', ''],
      ]),
    );
  });

  it('writes non-BMP text as 4-byte UTF-8 and sorts names by code point', () => {
    const description = { '😀': 'value🔒', '\uFFFF': 'Ψ', a: '' };
    const bytes = serializeMaterialDescription(description);
    expect(bytes.toString('hex')).toBe(
      hex(`00000000
        00000001 61 00000000
        00000003 efbfbf 00000002 cea8
        00000004 f09f9880 00000009 76616c7565f09f9492`).toString('hex'),
    );
    expect(deserializeMaterialDescription(bytes)).toEqual(new Map(Object.entries(description)));
  });

  it('writes the empty description as the version alone', () => {
    expect(serializeMaterialDescription({}).toString('hex')).toBe('00000000');
    expect(serializeMaterialDescription(new Map()).toString('hex')).toBe('00000000');
    expect(deserializeMaterialDescription(hex('00000000')).size).toBe(0);
  });

  it('rejects names or values that cannot be written', () => {
    expect(() => serializeMaterialDescription({ a: 1 as unknown as string })).toThrow(InvalidMaterialDescriptionError);
    expect(() => serializeMaterialDescription({ a: 'x\uD800' })).toThrow(InvalidMaterialDescriptionError);
    expect(() => serializeMaterialDescription(new Map([['\uDC00', 'x']]))).toThrow(InvalidMaterialDescriptionError);
    expect(() => serializeMaterialDescription(null as unknown as Record<string, string>)).toThrow(
      InvalidMaterialDescriptionError,
    );
  });

  it.each<[string, string, RegExp]>([
    ['an empty buffer', '', /truncated format version/i],
    ['a short version', '000000', /truncated format version/i],
    ['version 1', '00000001', /unsupported format version 1\b/],
    ['version 0x01000000', '01000000 00000001 61 00000001 62', /unsupported format version 16777216/],
    ['a truncated name length', '00000000 0000', /truncated name length/i],
    ['a truncated name', '00000000 00000003 6162', /truncated name/i],
    ['a name without a value', '00000000 00000001 61', /truncated value length/i],
    ['a truncated value', '00000000 00000001 61 00000004 626364', /truncated value/i],
    ['a 4 GiB length', '00000000 ffffffff 61', /truncated name/i],
    ['invalid UTF-8 in a name', '00000000 00000001 ff 00000000', /name at offset 8 is not valid UTF-8/],
    ['invalid UTF-8 in a value', '00000000 00000001 61 00000002 c328', /value at offset 13 is not valid UTF-8/],
    ['a repeated name', '00000000 00000001 61 00000001 31 00000001 61 00000001 32', /pair 1 repeats an earlier name/],
  ])('rejects %s', (_name, bytesHex, messagePart) => {
    expectRejected(hex(bytesHex), messagePart);
  });

  it('rejects input that is not a Uint8Array', () => {
    expect(() => deserializeMaterialDescription('AAAAAA==' as unknown as Uint8Array)).toThrow(
      InvalidMaterialDescriptionError,
    );
  });
});

describe('material description key names', () => {
  it('are the names the reference clients use', () => {
    expect(MaterialDescriptionKeys).toEqual({
      SYMMETRIC_ENCRYPTION_MODE: 'amzn-ddb-map-sym-mode',
      SIGNING_ALGORITHM: 'amzn-ddb-map-signingAlg',
      WRAPPED_KEY: 'amzn-ddb-env-key',
      CONTENT_KEY_ALGORITHM: 'amzn-ddb-env-alg',
      KEY_WRAPPING_ALGORITHM: 'amzn-ddb-wrap-alg',
      SIGNING_KEY_ALGORITHM: 'amzn-ddb-sig-alg',
      KMS_ENCRYPTION_CONTEXT_ATTRIBUTES: 'aws-kms-ec-attr',
      META_ID: 'amzn-ddb-meta-id',
    });
    expect(SYMMETRIC_ENCRYPTION_MODE_VALUE).toBe('/CBC/PKCS5Padding');
    expect(ReservedAttributes).toEqual({ MATERIAL_DESCRIPTION: '*amzn-ddb-map-desc*', SIGNATURE: '*amzn-ddb-map-sig*' });
  });
});
