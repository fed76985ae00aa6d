import { SerializationError, type ErrorLocation } from '../errors';

/**
 * The error for a native value `marshall` refuses. marshall's own messages quote the value
 * (`Number 12345678901234568 is greater than...`), and the value may be plaintext bound for
 * encryption: the error says what kind of value it was, never its content, and keeps no cause.
 */
export function marshallingFailure(value: unknown, location: ErrorLocation): SerializationError {
  const hint = typeof value === 'number' ? ': numbers must be finite and safe integers or decimals; wrap larger ones in NumberValue' : '';
  return new SerializationError(`the value (${describeType(value)}) cannot be marshalled${hint}`, location);
}

/**
 * The error for a stored value `unmarshall` (or `convertToNative`) refuses: a number beyond
 * JavaScript's safe range without `wrapNumbers`, or a type it does not know. Its own messages
 * quote the value, which may be decrypted plaintext: this one says what to do instead and keeps
 * no cause.
 */
export function unmarshallingFailure(location: ErrorLocation): SerializationError {
  return new SerializationError(
    'the value cannot be converted to a native JavaScript value: a number beyond Number.MAX_SAFE_INTEGER or with more precision ' +
      'than a JavaScript number needs unmarshallOptions { wrapNumbers: true }',
    location,
  );
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `a ${value.constructor?.name ?? 'plain'} object`;
  return `a ${typeof value}`;
}
