import { SerializationError } from '../errors';

/** The ten DynamoDB data types an `AttributeValue` can hold. */
export type AttributeType = 'S' | 'N' | 'B' | 'SS' | 'NS' | 'BS' | 'BOOL' | 'NULL' | 'L' | 'M';

const ATTRIBUTE_TYPES: readonly AttributeType[] = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'BOOL', 'NULL', 'L', 'M'];

/**
 * Which type an `AttributeValue` holds. Exactly one type field may be set: the SDK union
 * cannot enforce that for values built at runtime (JSON, untyped callers), and a value with
 * two types would have no single canonical encoding. A field set to `undefined` counts as
 * unset, like the SDK marshaller treats it. Only the shape is checked, not the contents.
 */
export function attributeTypeOf(value: unknown): AttributeType {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SerializationError('Attribute value is not an AttributeValue object');
  }
  const fields = value as Record<string, unknown>;
  let found: AttributeType | undefined;
  for (const type of ATTRIBUTE_TYPES) {
    if (fields[type] === undefined) continue;
    if (found !== undefined) {
      throw new SerializationError(`Attribute value sets more than one type (${found} and ${type})`);
    }
    found = type;
  }
  // The SDK puts types it does not know under `$unknown`; we cannot give them a canonical form.
  if (fields['$unknown'] !== undefined) {
    throw new SerializationError('Attribute value has a type this library does not support ($unknown)');
  }
  if (found === undefined) throw new SerializationError('Attribute value sets no type');
  return found;
}
