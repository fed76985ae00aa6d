import type { AttributeValue, DynamoDbItem } from '../format/attribute-value';

/** DynamoDB refuses items above 400 KB (attribute names and values together). */
export const MAX_ITEM_SIZE_BYTES = 400 * 1024;

/**
 * The item's size as DynamoDB counts it (names plus values, documented per type). Numbers count
 * one byte per two significant digits plus one, which is DynamoDB's stated upper bound.
 */
export function itemSizeBytes(item: Readonly<DynamoDbItem>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name, 'utf8') + valueSizeBytes(value);
  return size;
}

function valueSizeBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return numberSizeBytes(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, member) => sum + Buffer.byteLength(member, 'utf8'), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, member) => sum + numberSizeBytes(member), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, member) => sum + member.byteLength, 0);
  // Lists and maps: 3 bytes of overhead plus 1 byte per element.
  if (value.L !== undefined) return value.L.reduce((sum, element) => sum + 1 + valueSizeBytes(element), 3);
  if (value.M !== undefined) {
    return Object.entries(value.M).reduce(
      (sum, [key, element]) => sum + 1 + Buffer.byteLength(key, 'utf8') + valueSizeBytes(element),
      3,
    );
  }
  return 0;
}

function numberSizeBytes(text: string): number {
  const digits = text.replace(/[eE].*$/, '').replace(/[^0-9]/g, '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}
