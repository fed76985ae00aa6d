import { DeserializationError, SerializationError } from '../errors';
import { AttributeTag, RESERVED_HEADER_BYTE } from './attribute-tags';
import type { AttributeValue } from './attribute-value';
import { ByteReader } from './byte-reader';
import { compareBinary } from './canonical-ordering';
import { MAX_NESTING_DEPTH } from './nesting-limit';
import { normalizeNumber } from './number-normalizer';
import { setOwnProperty } from './own-property';

/**
 * Decodes one canonically serialized attribute value (FORMAT.md §2.4), typically the
 * plaintext of a decrypted attribute.
 *
 * Stricter than the reference decoders, because valid data never trips these checks and
 * anything else means corruption or tampering: the reserved header byte must be zero, tags
 * must be known, BOOL must be 0 or 1, map keys must be S values and unique, string and binary
 * set members must be unique, UTF-8 must be valid, nesting is capped at `MAX_NESTING_DEPTH`,
 * and no bytes may follow the top-level value.
 *
 * Numbers come back normalized (as Python re-normalizes). Duplicate number-set members
 * (after normalization) are merged rather than rejected: a Java writer normalizes but does not
 * deduplicate, so `1.0` and `1.00` in an encrypted NS legitimately become `1`, `1`.
 * Sets come back in stored order; binary values are fresh copies, not views into `bytes`.
 */
export function deserializeAttribute(bytes: Uint8Array): AttributeValue {
  if (!(bytes instanceof Uint8Array)) throw new DeserializationError('Serialized attribute must be a Uint8Array');
  const reader = new ByteReader(bytes, (message) => new DeserializationError(message));
  const value = readValue(reader, 0);
  if (reader.remaining !== 0) {
    throw new DeserializationError(
      `Serialized attribute has ${reader.remaining} unexpected bytes after the value (offset ${reader.offset})`,
    );
  }
  return value;
}

// Smallest possible encodings, used to reject counts the remaining bytes cannot hold before
// allocating anything for them.
const MIN_SET_MEMBER_BYTES = 4; // empty member: length prefix only
const MIN_LIST_ELEMENT_BYTES = 2; // NULL: header only
const MIN_MAP_ENTRY_BYTES = 8; // empty S key (6) + NULL value (2)

function readValue(reader: ByteReader, depth: number): AttributeValue {
  const headerOffset = reader.offset;
  if (reader.readByte('type header') !== RESERVED_HEADER_BYTE) {
    throw new DeserializationError(`Non-zero reserved type header byte at offset ${headerOffset}`);
  }
  const tag = reader.readByte('type header');
  switch (tag) {
    case AttributeTag.NULL:
      return { NULL: true };
    case AttributeTag.BOOL: {
      const flag = reader.readByte('BOOL value');
      if (flag > 1) throw new DeserializationError(`BOOL value at offset ${reader.offset - 1} is neither 0 nor 1`);
      return { BOOL: flag === 1 };
    }
    case AttributeTag.S:
      return { S: readText(reader, 'S value') };
    case AttributeTag.N:
      return { N: readNumber(reader, 'N value') };
    case AttributeTag.B:
      return { B: readBinary(reader, 'B value') };
    case AttributeTag.SS:
      return { SS: readStringSet(reader) };
    case AttributeTag.NS:
      return { NS: readNumberSet(reader) };
    case AttributeTag.BS:
      return { BS: readBinarySet(reader) };
    case AttributeTag.L: {
      checkDepth(depth, headerOffset);
      const count = readCount(reader, MIN_LIST_ELEMENT_BYTES, 'L');
      const elements: AttributeValue[] = [];
      for (let index = 0; index < count; index++) elements.push(readValue(reader, depth + 1));
      return { L: elements };
    }
    case AttributeTag.M: {
      checkDepth(depth, headerOffset);
      const count = readCount(reader, MIN_MAP_ENTRY_BYTES, 'M');
      const map: Record<string, AttributeValue> = {};
      for (let index = 0; index < count; index++) {
        const key = readMapKey(reader);
        if (Object.hasOwn(map, key)) throw new DeserializationError(`M value has a duplicate key (entry ${index})`);
        setOwnProperty(map, key, readValue(reader, depth + 1));
      }
      return { M: map };
    }
    default:
      throw new DeserializationError(`Unknown type tag 0x${tag.toString(16).padStart(2, '0')} at offset ${headerOffset + 1}`);
  }
}

function readMapKey(reader: ByteReader): string {
  const keyOffset = reader.offset;
  const reserved = reader.readByte('map key header');
  const tag = reader.readByte('map key header');
  if (reserved !== RESERVED_HEADER_BYTE || tag !== AttributeTag.S) {
    throw new DeserializationError(`Map key at offset ${keyOffset} is not an S value`);
  }
  return readText(reader, 'map key');
}

function readText(reader: ByteReader, what: string): string {
  return reader.readUtf8(reader.readUint32(`${what} length`), what);
}

function readBinary(reader: ByteReader, what: string): Uint8Array {
  // Copied so the result stays valid (and the input can be wiped) independently.
  return new Uint8Array(reader.readBytes(reader.readUint32(`${what} length`), what));
}

function readNumber(reader: ByteReader, what: string): string {
  const offset = reader.offset;
  const text = readText(reader, what);
  try {
    return normalizeNumber(text);
  } catch (error) {
    if (error instanceof SerializationError) {
      throw new DeserializationError(`${what} at offset ${offset} is not a valid DynamoDB number`);
    }
    throw error;
  }
}

function readStringSet(reader: ByteReader): string[] {
  const count = readCount(reader, MIN_SET_MEMBER_BYTES, 'SS');
  const members: string[] = [];
  const seen = new Set<string>();
  for (let index = 0; index < count; index++) {
    const member = readText(reader, 'SS member');
    if (seen.has(member)) throw new DeserializationError(`SS value has a duplicate member (member ${index})`);
    seen.add(member);
    members.push(member);
  }
  return members;
}

function readNumberSet(reader: ByteReader): string[] {
  const count = readCount(reader, MIN_SET_MEMBER_BYTES, 'NS');
  const members: string[] = [];
  const seen = new Set<string>();
  for (let index = 0; index < count; index++) {
    const member = readNumber(reader, 'NS member');
    if (seen.has(member)) continue; // see the note on number sets above
    seen.add(member);
    members.push(member);
  }
  return members;
}

function readBinarySet(reader: ByteReader): Uint8Array[] {
  const count = readCount(reader, MIN_SET_MEMBER_BYTES, 'BS');
  const members: Uint8Array[] = [];
  for (let index = 0; index < count; index++) members.push(readBinary(reader, 'BS member'));
  // Sorting a copy puts equal members side by side; the result keeps the stored order.
  const sorted = [...members].sort((left, right) => compareBinary(left, right, 'python'));
  for (let index = 1; index < sorted.length; index++) {
    if (Buffer.compare(sorted[index - 1] as Uint8Array, sorted[index] as Uint8Array) === 0) {
      throw new DeserializationError('BS value has a duplicate member');
    }
  }
  return members;
}

function readCount(reader: ByteReader, minimumBytesPerEntry: number, type: string): number {
  const countOffset = reader.offset;
  const count = reader.readUint32(`${type} count`);
  if (count > reader.remaining / minimumBytesPerEntry) {
    throw new DeserializationError(
      `${type} count ${count} at offset ${countOffset} cannot fit in the ${reader.remaining} remaining bytes`,
    );
  }
  return count;
}

function checkDepth(depth: number, offset: number): void {
  if (depth >= MAX_NESTING_DEPTH) {
    throw new DeserializationError(`Value at offset ${offset} is nested more than ${MAX_NESTING_DEPTH} levels deep`);
  }
}
