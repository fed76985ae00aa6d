import type { CanonicalOrdering } from './attribute-value';

/**
 * Comparators for the two canonical orderings (FORMAT.md §2.3, §5.2). Used for set members,
 * map keys and attribute names, so one definition serves the serializer and the signer.
 */

/**
 * Compares two strings the way the chosen reference client sorts them.
 *
 * - `java`: UTF-16 code units, which is what JavaScript's `<` already does.
 * - `python`: Unicode code points (equal to UTF-8 byte order). Computed on the UTF-16 form
 *   without encoding: code-point and code-unit order only disagree when a surrogate
 *   (U+D800–U+DFFF, part of a character above U+FFFF) meets a unit in U+E000–U+FFFF, so at
 *   the first difference surrogates are moved above that range.
 */
export function compareStrings(left: string, right: string, ordering: CanonicalOrdering): number {
  if (ordering === 'java') return left < right ? -1 : left > right ? 1 : 0;
  const sharedLength = Math.min(left.length, right.length);
  for (let index = 0; index < sharedLength; index++) {
    let leftUnit = left.charCodeAt(index);
    let rightUnit = right.charCodeAt(index);
    if (leftUnit === rightUnit) continue;
    if (leftUnit >= 0xd800 && rightUnit >= 0xd800) {
      leftUnit = codePointRank(leftUnit);
      rightUnit = codePointRank(rightUnit);
    }
    return leftUnit - rightUnit;
  }
  return left.length - right.length;
}

// Surrogates (D800–DFFF) become F800–FFFF and E000–FFFF become D800–F7FF, so any character
// above U+FFFF ranks after every BMP character, as it does by code point.
function codePointRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/**
 * Compares two byte strings the way the chosen reference client sorts binary set members.
 *
 * - `python`: unsigned bytes.
 * - `java`: `ByteBuffer.compareTo`, which compares bytes as *signed* values, so 0x80–0xFF
 *   sort before 0x00–0x7F.
 * In both, a proper prefix sorts before the longer value.
 */
export function compareBinary(left: Uint8Array, right: Uint8Array, ordering: CanonicalOrdering): number {
  if (ordering === 'python') return Buffer.compare(left, right);
  const sharedLength = Math.min(left.length, right.length);
  for (let index = 0; index < sharedLength; index++) {
    const leftByte = left[index];
    const rightByte = right[index];
    if (leftByte !== rightByte) return ((leftByte << 24) >> 24) - ((rightByte << 24) >> 24);
  }
  return left.length - right.length;
}
