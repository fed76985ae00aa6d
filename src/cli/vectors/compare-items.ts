import type { AttributeValue, DynamoDbItem } from '../../format/attribute-value';
import { normalizeNumber } from '../../format/number-normalizer';

/**
 * Compares a decrypted item with its expected plaintext the way the upstream harnesses do: sets
 * without regard to order, numbers by value. `version` is skipped: Java's mapper increments it
 * (FORMAT.md §9.11). Returns the names of attributes that differ (never their values).
 */
export function differingAttributes(expected: DynamoDbItem, actual: DynamoDbItem, ignored: readonly string[] = ['version']): string[] {
  const names = new Set([...Object.keys(expected), ...Object.keys(actual)]);
  const differing: string[] = [];
  for (const name of [...names].sort()) {
    if (ignored.includes(name)) continue;
    const left = expected[name];
    const right = actual[name];
    if (left === undefined || right === undefined || !attributeValuesEqual(left, right)) differing.push(name);
  }
  return differing;
}

export function attributeValuesEqual(left: AttributeValue, right: AttributeValue): boolean {
  return canonicalText(left) === canonicalText(right);
}

/** An order-insensitive text form: two values are equal exactly when their forms are. */
function canonicalText(value: AttributeValue): string {
  if (value.S !== undefined) return `S${JSON.stringify(value.S)}`;
  if (value.N !== undefined) return `N${normalizeNumber(value.N)}`;
  if (value.B !== undefined) return `B${Buffer.from(value.B).toString('base64')}`;
  if (value.BOOL !== undefined) return `BOOL${value.BOOL}`;
  if (value.NULL !== undefined) return `NULL${value.NULL}`;
  if (value.SS !== undefined) return `SS${JSON.stringify([...value.SS].sort())}`;
  if (value.NS !== undefined) return `NS${JSON.stringify(value.NS.map(normalizeNumber).sort())}`;
  if (value.BS !== undefined) return `BS${JSON.stringify(value.BS.map((member) => Buffer.from(member).toString('base64')).sort())}`;
  if (value.L !== undefined) return `L[${value.L.map(canonicalText).join(',')}]`;
  if (value.M !== undefined) {
    const entries = Object.keys(value.M)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalText((value.M as Record<string, AttributeValue>)[key])}`);
    return `M{${entries.join(',')}}`;
  }
  return 'unknown';
}
