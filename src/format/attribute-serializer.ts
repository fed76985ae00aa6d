import { SerializationError } from '../errors';
import { AttributeTag } from './attribute-tags';
import { attributeTypeOf } from './attribute-type';
import type { AttributeValue, CanonicalOrdering } from './attribute-value';
import { ByteWriter } from './byte-writer';
import { compareBinary, compareStrings } from './canonical-ordering';
import { MAX_NESTING_DEPTH } from './nesting-limit';
import { normalizeNumber } from './number-normalizer';
import { isWellFormedText } from './well-formed-text';

export { compareStrings };

/**
 * Canonical serialization of one attribute value (FORMAT.md §2.1–2.3): the plaintext that is
 * encrypted, and the input of the per-attribute hash in the string to sign. The bytes must
 * match the reference clients exactly, or signatures fail across languages.
 *
 * `ordering` picks how string-set members, map keys and binary-set members are sorted:
 * `python` (code point / unsigned bytes, what we write) or `java` (UTF-16 units / signed
 * bytes, to verify items Java wrote). Number sets sort the same in both.
 *
 * Rejected with `SerializationError`: malformed values, `NULL: false`, invalid numbers, strings
 * that are not well-formed Unicode, duplicate set members (DynamoDB refuses them too) and
 * nesting deeper than `MAX_NESTING_DEPTH`. Empty sets are encoded with a zero count, as the
 * reference clients do, although DynamoDB cannot store them.
 */
export function serializeAttribute(value: AttributeValue, ordering: CanonicalOrdering = 'python'): Buffer {
  if (ordering !== 'python' && ordering !== 'java') {
    throw new SerializationError('Canonical ordering must be "python" or "java"');
  }
  const writer = new ByteWriter();
  writeValue(writer, value, ordering, 0);
  return writer.toBuffer();
}

/**
 * Whether serializing `value` with the `python` and the `java` ordering gives different bytes,
 * i.e. some string set, map-key set or binary set in it (at any depth) sorts differently.
 * When false, retrying signature verification with the other ordering is pointless.
 */
export function hasOrderingDivergence(value: AttributeValue): boolean {
  return divergesAt(value, 0);
}

function writeValue(writer: ByteWriter, value: AttributeValue, ordering: CanonicalOrdering, depth: number): void {
  switch (attributeTypeOf(value)) {
    case 'NULL':
      // Java treats NULL:false as an empty, invalid value; there is no encoding for it.
      if (value.NULL !== true) throw new SerializationError('NULL attribute value must be true');
      writer.writeHeader(AttributeTag.NULL);
      return;
    case 'BOOL':
      if (typeof value.BOOL !== 'boolean') throw wrongShape('BOOL value', 'a boolean');
      writer.writeHeader(AttributeTag.BOOL);
      writer.writeByte(value.BOOL ? 1 : 0);
      return;
    case 'S':
      writer.writeHeader(AttributeTag.S);
      writer.writeLengthPrefixedText(checkedText(value.S, 'S value'));
      return;
    case 'N':
      if (typeof value.N !== 'string') throw wrongShape('N value', 'a string');
      writer.writeHeader(AttributeTag.N);
      writer.writeLengthPrefixedText(normalizeNumber(value.N));
      return;
    case 'B':
      writer.writeHeader(AttributeTag.B);
      writer.writeLengthPrefixedBytes(checkedBytes(value.B, 'B value'));
      return;
    case 'SS': {
      const members = sortedStringSet(value.SS, ordering);
      writer.writeHeader(AttributeTag.SS);
      writer.writeUint32(members.length);
      for (const member of members) writer.writeLengthPrefixedText(member);
      return;
    }
    case 'NS': {
      const members = sortedNumberSet(value.NS);
      writer.writeHeader(AttributeTag.NS);
      writer.writeUint32(members.length);
      for (const member of members) writer.writeLengthPrefixedText(member);
      return;
    }
    case 'BS': {
      const members = sortedBinarySet(value.BS, ordering);
      writer.writeHeader(AttributeTag.BS);
      writer.writeUint32(members.length);
      for (const member of members) writer.writeLengthPrefixedBytes(member);
      return;
    }
    case 'L': {
      const elements = checkedArray(value.L, 'L');
      checkDepth(depth);
      writer.writeHeader(AttributeTag.L);
      writer.writeUint32(elements.length);
      for (const element of elements) writeValue(writer, element, ordering, depth + 1);
      return;
    }
    case 'M': {
      const map = checkedMap(value.M);
      checkDepth(depth);
      const keys = Object.keys(map).sort((left, right) => compareStrings(left, right, ordering));
      writer.writeHeader(AttributeTag.M);
      writer.writeUint32(keys.length);
      for (const key of keys) {
        // A map key is encoded exactly like an S value, header included.
        writer.writeHeader(AttributeTag.S);
        writer.writeLengthPrefixedText(checkedText(key, 'map key'));
        writeValue(writer, map[key] as AttributeValue, ordering, depth + 1);
      }
      return;
    }
  }
}

function sortedStringSet(members: readonly string[] | undefined, ordering: CanonicalOrdering): string[] {
  const sorted = checkedArray(members, 'SS').map((member) => checkedText(member, 'SS member'));
  sorted.sort((left, right) => compareStrings(left, right, ordering));
  rejectAdjacentDuplicates(sorted, (left, right) => left === right, 'SS');
  return sorted;
}

function sortedNumberSet(members: readonly string[] | undefined): string[] {
  const sorted = checkedArray(members, 'NS').map((member) => {
    if (typeof member !== 'string') throw wrongShape('NS member', 'a string');
    return normalizeNumber(member);
  });
  // Normalized numbers are ASCII, so UTF-16 order is byte order and both orderings agree.
  sorted.sort((left, right) => (left < right ? -1 : left > right ? 1 : 0));
  // Compared after normalization: "1.0" and "1" are the same number to DynamoDB.
  rejectAdjacentDuplicates(sorted, (left, right) => left === right, 'NS');
  return sorted;
}

function sortedBinarySet(members: readonly Uint8Array[] | undefined, ordering: CanonicalOrdering): Uint8Array[] {
  const sorted = checkedArray(members, 'BS').map((member) => checkedBytes(member, 'BS member'));
  sorted.sort((left, right) => compareBinary(left, right, ordering));
  rejectAdjacentDuplicates(sorted, (left, right) => Buffer.compare(left, right) === 0, 'BS');
  return sorted;
}

// After sorting, equal members are neighbours, so one linear pass finds every duplicate.
function rejectAdjacentDuplicates<T>(sorted: readonly T[], equal: (left: T, right: T) => boolean, type: string): void {
  for (let index = 1; index < sorted.length; index++) {
    if (equal(sorted[index - 1] as T, sorted[index] as T)) {
      throw new SerializationError(`${type} attribute value contains duplicate members`);
    }
  }
}

function divergesAt(value: AttributeValue, depth: number): boolean {
  switch (attributeTypeOf(value)) {
    case 'SS':
      return stringOrdersDiffer(checkedArray(value.SS, 'SS'));
    case 'BS': {
      const members = checkedArray(value.BS, 'BS').map((member) => checkedBytes(member, 'BS member'));
      const python = [...members].sort((left, right) => compareBinary(left, right, 'python'));
      const java = [...members].sort((left, right) => compareBinary(left, right, 'java'));
      return python.some((member, index) => Buffer.compare(member, java[index] as Uint8Array) !== 0);
    }
    case 'L':
      checkDepth(depth);
      return checkedArray(value.L, 'L').some((element) => divergesAt(element, depth + 1));
    case 'M': {
      checkDepth(depth);
      const map = checkedMap(value.M);
      const keys = Object.keys(map);
      return stringOrdersDiffer(keys) || keys.some((key) => divergesAt(map[key] as AttributeValue, depth + 1));
    }
    default:
      return false;
  }
}

// The two string orders can only disagree if some string has a UTF-16 unit of U+D800 or
// above; checking that first avoids sorting twice in the common case.
const MAY_SORT_DIFFERENTLY = /[\uD800-\uFFFF]/;

function stringOrdersDiffer(strings: readonly unknown[]): boolean {
  const texts = strings.map((text) => checkedText(text, 'set member or map key'));
  if (!texts.some((text) => MAY_SORT_DIFFERENTLY.test(text))) return false;
  const python = [...texts].sort((left, right) => compareStrings(left, right, 'python'));
  const java = [...texts].sort((left, right) => compareStrings(left, right, 'java'));
  return python.some((text, index) => text !== java[index]);
}

function checkDepth(depth: number): void {
  if (depth >= MAX_NESTING_DEPTH) {
    throw new SerializationError(`Attribute value is nested more than ${MAX_NESTING_DEPTH} levels deep`);
  }
}

function checkedText(text: unknown, what: string): string {
  if (typeof text !== 'string') throw wrongShape(what, 'a string');
  if (!isWellFormedText(text)) {
    throw new SerializationError(`${what} is not well-formed Unicode (it contains a lone surrogate)`);
  }
  return text;
}

function checkedBytes(bytes: unknown, what: string): Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw wrongShape(what, 'a Uint8Array');
  return bytes;
}

function checkedArray<T>(array: readonly T[] | undefined, type: string): readonly T[] {
  if (!Array.isArray(array)) throw wrongShape(`${type} value`, 'an array');
  return array;
}

function checkedMap(map: unknown): Readonly<Record<string, AttributeValue>> {
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw wrongShape('M value', 'an object');
  return map as Readonly<Record<string, AttributeValue>>;
}

function wrongShape(what: string, expected: string): SerializationError {
  return new SerializationError(`${what} must be ${expected}`);
}
