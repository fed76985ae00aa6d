import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import { buildStringToSign, tableBlockText } from '../../src/encryptor/string-to-sign';
import { attributeValueFromJson } from '../../src/format/dynamodb-json';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { readVectorJson } from '../support/shared-vectors';

interface StringToSignVector {
  table: string;
  item: Record<string, { value: unknown; action: 'encrypt' | 'sign' | 'nothing' }>;
  string_to_sign: string;
}

const ACTIONS = { encrypt: CryptoAction.ENCRYPT_AND_SIGN, sign: CryptoAction.SIGN_ONLY, nothing: CryptoAction.DO_NOTHING };
const vectors = readVectorJson<StringToSignVector[]>('string_to_sign.json');

describe('string to sign (shared/vectors/string_to_sign.json)', () => {
  it('has the four upstream vectors', () => {
    expect(vectors).toHaveLength(4);
  });

  it.each(vectors.map((vector, index) => [index, vector] as const))('vector %i matches byte for byte', (_index, vector) => {
    const item: DynamoDbItem = {};
    const overrides: Record<string, CryptoAction> = {};
    for (const [name, entry] of Object.entries(vector.item)) {
      item[name] = attributeValueFromJson(entry.value);
      overrides[name] = ACTIONS[entry.action];
    }
    // Anything unlisted is do-nothing (shared/vectors/README.md).
    const actions = new AttributeActions({ defaultAction: CryptoAction.DO_NOTHING, attributeActions: overrides });
    for (const ordering of ['python', 'java'] as const) {
      const built = buildStringToSign(item, tableBlockText(vector.table), actions, ordering);
      expect(built.toString('base64')).toBe(vector.string_to_sign);
    }
  });

  it('signs a missing table name as Java does, and can produce the Python spelling', () => {
    expect(tableBlockText(undefined)).toBe('TABLE>null<TABLE');
    expect(tableBlockText(undefined, 'None')).toBe('TABLE>None<TABLE');
    expect(tableBlockText('テーブル😀')).toBe('TABLE>テーブル😀<TABLE');
  });
});
