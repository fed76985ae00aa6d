import { SerializationError, type ErrorLocation } from '../errors';
import { attributeTypeOf, type AttributeType } from './attribute-type';
import type { AttributeValue, DynamoDbItem } from './attribute-value';
import { MAX_NESTING_DEPTH } from './nesting-limit';
import { setOwnProperty } from './own-property';

/**
 * Conversion between DynamoDB JSON (as in the test vectors and the DynamoDB HTTP API, binary
 * as standard base64) and the SDK's `AttributeValue` form (binary as `Uint8Array`).
 *
 * Input is validated strictly, because these files are fixtures and configuration: a typo
 * should fail loudly rather than produce a different value. Numbers are kept as written.
 */

export function attributeValueFromJson(json: unknown): AttributeValue {
  return fromJson(json, 0, {});
}

export function attributeValueToJson(value: AttributeValue): unknown {
  return toJson(value, 0, {});
}

export function itemFromJson(json: unknown): DynamoDbItem {
  const item: DynamoDbItem = {};
  for (const [attributeName, attributeJson] of Object.entries(checkedObject(json, 'Item JSON', {}))) {
    setOwnProperty(item, attributeName, fromJson(attributeJson, 0, { attributeName }));
  }
  return item;
}

export function itemToJson(item: DynamoDbItem): Record<string, unknown> {
  const json: Record<string, unknown> = {};
  for (const [attributeName, value] of Object.entries(checkedObject(item, 'Item', {}))) {
    setOwnProperty(json, attributeName, toJson(value as AttributeValue, 0, { attributeName }));
  }
  return json;
}

const JSON_TYPE_NAMES = new Set(['S', 'N', 'B', 'SS', 'NS', 'BS', 'BOOL', 'NULL', 'L', 'M']);

function fromJson(json: unknown, depth: number, location: ErrorLocation): AttributeValue {
  const fields = checkedObject(json, 'Attribute value JSON', location);
  const names = Object.keys(fields);
  if (names.length !== 1 || !JSON_TYPE_NAMES.has(names[0] as string)) {
    throw new SerializationError('Attribute value JSON must have exactly one of S, N, B, SS, NS, BS, BOOL, NULL, L, M', location);
  }
  const type = names[0] as string;
  const body = fields[type];
  switch (type) {
    case 'S':
      return { S: checkedString(body, 'S', location) };
    case 'N':
      return { N: checkedString(body, 'N', location) };
    case 'B':
      return { B: base64ToBytes(body, 'B', location) };
    case 'SS':
      return { SS: checkedArray(body, 'SS', location).map((member) => checkedString(member, 'SS member', location)) };
    case 'NS':
      return { NS: checkedArray(body, 'NS', location).map((member) => checkedString(member, 'NS member', location)) };
    case 'BS':
      return { BS: checkedArray(body, 'BS', location).map((member) => base64ToBytes(member, 'BS member', location)) };
    case 'BOOL':
      if (typeof body !== 'boolean') throw new SerializationError('BOOL JSON must be true or false', location);
      return { BOOL: body };
    case 'NULL':
      if (body !== true) throw new SerializationError('NULL JSON must be true', location);
      return { NULL: true };
    case 'L':
      checkDepth(depth, location);
      return { L: checkedArray(body, 'L', location).map((element) => fromJson(element, depth + 1, location)) };
    default: {
      checkDepth(depth, location);
      const map: Record<string, AttributeValue> = {};
      for (const [key, element] of Object.entries(checkedObject(body, 'M JSON', location))) {
        setOwnProperty(map, key, fromJson(element, depth + 1, location));
      }
      return { M: map };
    }
  }
}

function toJson(value: AttributeValue, depth: number, location: ErrorLocation): unknown {
  switch (locatedTypeOf(value, location)) {
    case 'S':
      return { S: checkedString(value.S, 'S', location) };
    case 'N':
      return { N: checkedString(value.N, 'N', location) };
    case 'B':
      return { B: bytesToBase64(value.B, 'B', location) };
    case 'SS':
      return { SS: checkedArray(value.SS, 'SS', location).map((member) => checkedString(member, 'SS member', location)) };
    case 'NS':
      return { NS: checkedArray(value.NS, 'NS', location).map((member) => checkedString(member, 'NS member', location)) };
    case 'BS':
      return { BS: checkedArray(value.BS, 'BS', location).map((member) => bytesToBase64(member, 'BS member', location)) };
    case 'BOOL':
      if (typeof value.BOOL !== 'boolean') throw new SerializationError('BOOL value must be a boolean', location);
      return { BOOL: value.BOOL };
    case 'NULL':
      if (value.NULL !== true) throw new SerializationError('NULL attribute value must be true', location);
      return { NULL: true };
    case 'L':
      checkDepth(depth, location);
      return { L: checkedArray(value.L, 'L', location).map((element) => toJson(element as AttributeValue, depth + 1, location)) };
    case 'M': {
      checkDepth(depth, location);
      const map: Record<string, unknown> = {};
      for (const [key, element] of Object.entries(checkedObject(value.M, 'M value', location))) {
        setOwnProperty(map, key, toJson(element as AttributeValue, depth + 1, location));
      }
      return { M: map };
    }
  }
}

// Buffer's own base64 decoder skips characters it does not understand; requiring the text to
// survive a round trip accepts exactly canonical, padded, standard base64.
function base64ToBytes(text: unknown, what: string, location: ErrorLocation): Uint8Array {
  const encoded = checkedString(text, what, location);
  const decoded = Buffer.from(encoded, 'base64');
  if (decoded.toString('base64') !== encoded) {
    throw new SerializationError(`${what} JSON is not standard padded base64`, location);
  }
  // A copy, so the result does not expose the rest of Buffer's shared allocation pool.
  return new Uint8Array(decoded);
}

function bytesToBase64(bytes: unknown, what: string, location: ErrorLocation): string {
  if (!(bytes instanceof Uint8Array)) throw new SerializationError(`${what} value must be a Uint8Array`, location);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function checkedString(text: unknown, what: string, location: ErrorLocation): string {
  if (typeof text !== 'string') throw new SerializationError(`${what} must be a string`, location);
  return text;
}

function checkedArray(array: unknown, what: string, location: ErrorLocation): readonly unknown[] {
  if (!Array.isArray(array)) throw new SerializationError(`${what} must be an array`, location);
  return array;
}

function checkedObject(json: unknown, what: string, location: ErrorLocation): Readonly<Record<string, unknown>> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SerializationError(`${what} must be an object`, location);
  }
  return json as Readonly<Record<string, unknown>>;
}

function checkDepth(depth: number, location: ErrorLocation): void {
  if (depth >= MAX_NESTING_DEPTH) {
    throw new SerializationError(`Attribute value is nested more than ${MAX_NESTING_DEPTH} levels deep`, location);
  }
}

// `attributeTypeOf` knows nothing of the item; add the attribute name so the error is actionable.
function locatedTypeOf(value: AttributeValue, location: ErrorLocation): AttributeType {
  try {
    return attributeTypeOf(value);
  } catch (error) {
    if (error instanceof SerializationError && location.attributeName !== undefined) {
      throw new SerializationError(error.message, location, { cause: error });
    }
    throw error;
  }
}
