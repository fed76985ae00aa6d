/**
 * Type tags of the canonical attribute serialization (FORMAT.md §2.1).
 *
 * Every serialized value starts with a zero byte and one of these ASCII letters. The zero byte
 * exists because Java writes the tag as a big-endian UTF-16 unit; Python writes it as a
 * literal "reserved" byte. Both produce the same two bytes.
 */
export const AttributeTag = {
  NULL: 0x00,
  BOOL: 0x3f, // '?'
  S: 0x73, // 's'
  N: 0x6e, // 'n'
  B: 0x62, // 'b'
  SS: 0x53, // 'S'
  NS: 0x4e, // 'N'
  BS: 0x42, // 'B'
  L: 0x4c, // 'L'
  M: 0x4d, // 'M'
} as const;

/** The byte that precedes every tag; a decoder must reject anything else. */
export const RESERVED_HEADER_BYTE = 0x00;
