import { NumberValueImpl, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDbItem } from '../format/attribute-value';

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * JSON text to be written as it is inside a larger document: an item key made by `nativeJson`
 * keeps its numbers' digits only if it is never parsed back into JavaScript numbers.
 */
export class RawJson {
  constructor(readonly text: string) {}
}

/**
 * An item as one line of JSON with native values (what `unmarshall` gives): sets become
 * arrays, binary becomes base64 text. Numbers are written with the digits DynamoDB stored
 * (up to 38), not through a JavaScript number that would round beyond 15 or so.
 */
export function nativeJson(item: Readonly<DynamoDbItem>): string {
  return jsonText(unmarshall(item as DynamoDbItem as Parameters<typeof unmarshall>[0], { wrapNumbers: true }));
}

/** `JSON.stringify` that also writes `RawJson` and DynamoDB numbers as their exact text. */
export function jsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof NumberValueImpl) {
    const text = value.toString();
    return JSON_NUMBER.test(text) ? text : JSON.stringify(text);
  }
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'));
  if (value instanceof Set) return jsonText([...value]);
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    // Members set to undefined are left out, as JSON.stringify leaves them out.
    return `{${Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .map(([name, member]) => `${JSON.stringify(name)}:${jsonText(member)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
