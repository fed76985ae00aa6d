import { NumberValueImpl, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDbItem } from '../format/attribute-value';

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * An item as one line of JSON with native values (what `unmarshall` gives): sets become
 * arrays, binary becomes base64 text. Numbers are written with the digits DynamoDB stored
 * (up to 38), not through a JavaScript number that would round beyond 15 or so.
 */
export function nativeJson(item: Readonly<DynamoDbItem>): string {
  return stringify(unmarshall(item as DynamoDbItem as Parameters<typeof unmarshall>[0], { wrapNumbers: true }));
}

function stringify(value: unknown): string {
  if (value instanceof NumberValueImpl) {
    const text = value.toString();
    return JSON_NUMBER.test(text) ? text : JSON.stringify(text);
  }
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'));
  if (value instanceof Set) return stringify([...value]);
  if (Array.isArray(value)) return `[${value.map(stringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([name, member]) => `${JSON.stringify(name)}:${stringify(member)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
