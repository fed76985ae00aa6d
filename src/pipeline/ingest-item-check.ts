import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { MAX_ITEM_SIZE_BYTES, itemSizeBytes } from '../encryptor/item-size';
import type { DynamoDbItem } from '../format/attribute-value';
import { ReservedAttributes } from '../format/material-description-keys';
import type { IngestKeySchema, KeyAttributeType } from './ingest-key-schema';

/**
 * The checks ingest makes on one incoming item before spending any cryptography on it: shape,
 * reserved names, key attributes and a size that cannot fit even before encryption.
 *
 * Items are native JSON values (objects, arrays, strings, numbers, booleans, null), marshalled
 * with `@aws-sdk/util-dynamodb`. The `AttributeValue` form (`{"S": "..."}`) is not recognised:
 * it would be stored as a map. Reasons name the attribute, never a value; the caller prefixes the
 * item's position.
 */
export type IngestItemCheck = { readonly ok: true; readonly item: DynamoDbItem } | { readonly ok: false; readonly reason: string };

/** DynamoDB's limits on key values, in bytes. */
const MAX_PARTITION_KEY_BYTES = 2048;
const MAX_SORT_KEY_BYTES = 1024;

const RESERVED_NAMES: readonly string[] = Object.values(ReservedAttributes);
/** DynamoDB refuses documents nested deeper than 32 levels. */
const MAX_NESTING_LEVELS = 32;

const TYPE_NAMES: Readonly<Record<string, string>> = {
  S: 'a string (S)',
  N: 'a number (N)',
  B: 'binary (B)',
  BOOL: 'a boolean (BOOL)',
  NULL: 'null (NULL)',
  M: 'a map (M)',
  L: 'a list (L)',
  SS: 'a string set (SS)',
  NS: 'a number set (NS)',
  BS: 'a binary set (BS)',
};

export function checkIngestItem(value: unknown, schema: IngestKeySchema): IngestItemCheck {
  const fail = (reason: string): IngestItemCheck => ({ ok: false, reason });
  if (!isPlainObject(value)) return fail(`is not an object of attributes (got ${kindOf(value)})`);

  const item: DynamoDbItem = {};
  for (const [name, attribute] of Object.entries(value)) {
    if (name === '') return fail('has an attribute with an empty name');
    if (RESERVED_NAMES.includes(name)) return fail(`attribute "${name}" is reserved for the encryption client's signature and material description`);
    if (attribute === undefined) continue; // as marshall's removeUndefinedValues does
    // Checked first, without recursion: the checks below recurse, and a hostile body nested
    // thousands deep would otherwise overflow the stack (found by fuzzing).
    if (exceedsNesting(attribute, MAX_NESTING_LEVELS)) return fail(`attribute "${name}" is nested more than ${MAX_NESTING_LEVELS} levels deep, DynamoDB's limit`);
    // marshall silently drops "__proto__" keys (JSON.parse makes them own properties): refuse
    // rather than store less than was sent.
    if (name === '__proto__' || holdsProtoKey(attribute)) return fail(`attribute "${name}" is or holds a map key "__proto__", which JavaScript marshalling would drop`);
    let marshalled: AttributeValue | undefined;
    try {
      marshalled = marshall({ [name]: attribute }, { removeUndefinedValues: true })[name];
    } catch {
      // marshall's own messages quote the value: never pass them on.
      return fail(`attribute "${name}" cannot be converted to a DynamoDB value (${unconvertibleCause(attribute)})`);
    }
    if (marshalled !== undefined) item[name] = marshalled;
  }

  const keyRoles: Array<[string, string, number]> = [['partition key', schema.partitionKey, MAX_PARTITION_KEY_BYTES]];
  if (schema.sortKey !== undefined) keyRoles.push(['sort key', schema.sortKey, MAX_SORT_KEY_BYTES]);
  for (const [role, name, maxBytes] of keyRoles) {
    if (item[name] === undefined) return fail(`has no ${role} attribute "${name}"`);
    const problem = keyValueProblem(item[name], schema.attributeTypes[name], maxBytes);
    if (problem !== undefined) return fail(`${role} attribute "${name}" ${problem}`);
  }
  // Secondary index keys are optional in an item, but DynamoDB refuses them with another type.
  for (const [name, type] of Object.entries(schema.attributeTypes)) {
    if (name === schema.partitionKey || name === schema.sortKey || item[name] === undefined) continue;
    const problem = keyValueProblem(item[name], type, Number.POSITIVE_INFINITY);
    if (problem !== undefined) return fail(`index key attribute "${name}" ${problem}`);
  }

  // Encryption only adds bytes (padding, IVs, signature, description): too big now is too big later.
  const size = itemSizeBytes(item);
  if (size > MAX_ITEM_SIZE_BYTES) return fail(`is ${size} bytes before encryption, over DynamoDB's ${MAX_ITEM_SIZE_BYTES}-byte item limit`);
  return { ok: true, item };
}

function keyValueProblem(value: AttributeValue, expected: KeyAttributeType | undefined, maxBytes: number): string | undefined {
  const type = Object.keys(value).find((key) => (value as unknown as Record<string, unknown>)[key] !== undefined) ?? 'nothing';
  if (expected !== undefined && type !== expected) return `must be ${TYPE_NAMES[expected]}, got ${TYPE_NAMES[type] ?? type}`;
  const bytes = value.S !== undefined ? Buffer.byteLength(value.S, 'utf8') : value.B !== undefined ? value.B.byteLength : undefined;
  if (bytes === 0) return 'is empty, which DynamoDB refuses for key attributes';
  if (bytes !== undefined && bytes > maxBytes) return `is ${bytes} bytes, over DynamoDB's ${maxBytes}-byte limit for this key`;
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The kind of a value, never its content. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an instance of a class';
  return typeof value === 'undefined' ? 'nothing' : `a ${typeof value}`;
}

/** Whether a JSON value nests lists and objects more than `limit` levels deep (walked without recursion). */
function exceedsNesting(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop() as [unknown, number];
    if (node === null || typeof node !== 'object' || ArrayBuffer.isView(node)) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return false;
}

function holdsProtoKey(value: unknown, seen = new Set<unknown>()): boolean {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || seen.has(value)) return false;
  seen.add(value);
  if (!Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, '__proto__')) return true;
  return Object.values(value).some((child) => holdsProtoKey(child, seen));
}

/** The likely reason marshall refused a value, found by looking at types and magnitudes only. */
function unconvertibleCause(value: unknown): string {
  const seen = new Set<unknown>();
  const hasUnsafeNumber = (node: unknown): boolean => {
    if (typeof node === 'number') return !Number.isFinite(node) || Math.abs(node) > Number.MAX_SAFE_INTEGER;
    if (node === null || typeof node !== 'object' || seen.has(node)) return false;
    seen.add(node);
    return Object.values(node).some(hasUnsafeNumber);
  };
  if (hasUnsafeNumber(value)) {
    return `it holds NaN, Infinity or a number beyond ±${Number.MAX_SAFE_INTEGER}, which a JavaScript number cannot carry exactly`;
  }
  return 'it holds an empty set, a function, a symbol or an instance of a class';
}
