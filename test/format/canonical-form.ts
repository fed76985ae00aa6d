import type { AttributeValue } from '../../src/format/attribute-value';
import { compareBinary, compareStrings } from '../../src/format/canonical-ordering';
import { normalizeNumber } from '../../src/format/number-normalizer';
import { setOwnProperty } from '../../src/format/own-property';

/**
 * What a value should look like after a serialize/deserialize round trip: numbers normalized,
 * sets sorted in Python order, binary as plain Uint8Array. Applying it to both sides of a
 * comparison makes the comparison insensitive to set order.
 */
export function canonicalForm(value: AttributeValue): AttributeValue {
  if (value.N !== undefined) return { N: normalizeNumber(value.N) };
  if (value.B !== undefined) return { B: new Uint8Array(value.B) };
  if (value.SS !== undefined) return { SS: [...value.SS].sort((a, b) => compareStrings(a, b, 'python')) };
  if (value.NS !== undefined) return { NS: value.NS.map(normalizeNumber).sort() };
  if (value.BS !== undefined) {
    return { BS: value.BS.map((member) => new Uint8Array(member)).sort((a, b) => compareBinary(a, b, 'python')) };
  }
  if (value.L !== undefined) return { L: value.L.map(canonicalForm) };
  if (value.M !== undefined) {
    const map: Record<string, AttributeValue> = {};
    for (const key of Object.keys(value.M)) setOwnProperty(map, key, canonicalForm(value.M[key] as AttributeValue));
    return { M: map };
  }
  return value;
}

export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}
