import { InvalidMaterialDescriptionError } from '../errors';
import { ByteReader } from './byte-reader';
import { ByteWriter } from './byte-writer';
import { compareStrings } from './canonical-ordering';
import { isWellFormedText } from './well-formed-text';

/**
 * The binary form of `*amzn-ddb-map-desc*` (FORMAT.md §3.1): u32 version 0, then
 * (u32 length, UTF-8 name, u32 length, UTF-8 value) pairs until the end of the buffer.
 */

const FORMAT_VERSION = 0;

/**
 * Pairs are written sorted by name in code-point order, as Python does. The description is
 * not signed, so any order would be read correctly; sorting makes our output deterministic
 * and identical to Python's.
 */
export function serializeMaterialDescription(
  description: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
): Buffer {
  const pairs = descriptionPairs(description);
  pairs.sort(([left], [right]) => compareStrings(left, right, 'python'));
  const writer = new ByteWriter();
  writer.writeUint32(FORMAT_VERSION);
  for (const [name, value] of pairs) {
    writer.writeLengthPrefixedText(name);
    writer.writeLengthPrefixedText(value);
  }
  return writer.toBuffer();
}

/**
 * Strict: the version must be 0, every pair complete, all text valid UTF-8, names unique
 * (a repeated name would make it ambiguous which value a provider acts on).
 */
export function deserializeMaterialDescription(bytes: Uint8Array): Map<string, string> {
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidMaterialDescriptionError('Material description must be a Uint8Array');
  }
  const reader = new ByteReader(bytes, (message) => new InvalidMaterialDescriptionError(`Material description: ${message}`));
  const version = reader.readUint32('format version');
  if (version !== FORMAT_VERSION) {
    throw new InvalidMaterialDescriptionError(
      `Material description has unsupported format version ${version}; only version ${FORMAT_VERSION} is supported`,
    );
  }
  const description = new Map<string, string>();
  for (let index = 0; reader.remaining > 0; index++) {
    const name = reader.readUtf8(reader.readUint32('name length'), 'name');
    const value = reader.readUtf8(reader.readUint32('value length'), 'value');
    if (description.has(name)) {
      throw new InvalidMaterialDescriptionError(`Material description pair ${index} repeats an earlier name`);
    }
    description.set(name, value);
  }
  return description;
}

function descriptionPairs(
  description: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
): Array<[string, string]> {
  if (typeof description !== 'object' || description === null) {
    throw new InvalidMaterialDescriptionError('Material description must be a Map or an object');
  }
  const pairs: Array<[string, string]> = isReadonlyMap(description)
    ? [...description.entries()]
    : Object.entries(description);
  for (const [name, value] of pairs) {
    if (typeof name !== 'string' || typeof value !== 'string') {
      throw new InvalidMaterialDescriptionError('Material description names and values must be strings');
    }
    if (!isWellFormedText(name) || !isWellFormedText(value)) {
      throw new InvalidMaterialDescriptionError('Material description text is not well-formed Unicode');
    }
  }
  return pairs;
}

function isReadonlyMap(
  description: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
): description is ReadonlyMap<string, string> {
  // Duck-typed so other ReadonlyMap implementations work too; a record's `entries` field,
  // if it has one, is a string, never a function.
  return description instanceof Map || typeof (description as { entries?: unknown }).entries === 'function';
}
