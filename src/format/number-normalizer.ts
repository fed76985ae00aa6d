import { SerializationError } from '../errors';

/**
 * Canonical text of a DynamoDB number (FORMAT.md §2.2), so that equal numbers serialize to
 * equal bytes: zero is `0`; otherwise trailing zeros of the significand are dropped and the
 * value is printed in plain notation (never an exponent), with `-` for negatives.
 *
 * Decisions where the reference clients disagree or DynamoDB's limits apply:
 * - All significant digits are kept (up to DynamoDB's 38). Python rounds to 28 in its
 *   default decimal context; Java keeps everything; DynamoDB stores 38, so rounding would
 *   corrupt storable values.
 * - Negative zero becomes `0` (Java's behaviour; Python would write `-0`). DynamoDB itself
 *   has no negative zero.
 * - Input is what DynamoDB accepts as number text: optional `+`/`-`, digits with an optional
 *   fraction (`5.`, `.5`), optional exponent (`e`/`E`, optional sign), leading zeros allowed.
 *   More than 38 significant digits, or a magnitude outside 1E-130 .. 9.99…E+125, is rejected.
 *
 * Works on the decimal digits as text: floating point would lose digits.
 * Error messages never contain the text: it may be a secret plaintext value.
 */

// The overwhelmingly common case: a plain integer already in canonical form.
const CANONICAL_INTEGER = /^-?[1-9][0-9]{0,37}$/;

const NUMBER_SYNTAX = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/;

const MAX_SIGNIFICANT_DIGITS = 38;
// Decimal exponent of the leading digit: 1E-130 is the smallest magnitude DynamoDB stores,
// 9.99…E+125 the largest.
const MIN_LEADING_EXPONENT = -130;
const MAX_LEADING_EXPONENT = 125;
// Longer exponent texts are out of range for any significand; capping them keeps the
// arithmetic below within exact JavaScript integers.
const MAX_EXPONENT_DIGITS = 15;

export function normalizeNumber(text: string): string {
  if (typeof text !== 'string') throw invalidNumber();
  if (CANONICAL_INTEGER.test(text)) return text;

  const match = NUMBER_SYNTAX.exec(text);
  if (match === null) throw invalidNumber();
  const sign = match[1] as string;
  const integerDigits = match[2] as string;
  const fractionDigits = match[3] ?? '';
  const exponentText = match[4];
  if (integerDigits.length === 0 && fractionDigits.length === 0) throw invalidNumber();

  const digits = integerDigits + fractionDigits;
  let first = 0;
  while (first < digits.length && digits.charCodeAt(first) === 0x30) first++;
  if (first === digits.length) return '0'; // zero, whatever its sign or exponent
  let last = digits.length - 1;
  while (digits.charCodeAt(last) === 0x30) last--;

  const significand = digits.slice(first, last + 1);
  if (significand.length > MAX_SIGNIFICANT_DIGITS) {
    throw new SerializationError(
      `Number has more than ${MAX_SIGNIFICANT_DIGITS} significant digits, which DynamoDB cannot store`,
    );
  }

  // value = significand × 10^exponent
  const exponent = parseExponent(exponentText) - fractionDigits.length + (digits.length - 1 - last);
  const leadingExponent = exponent + significand.length - 1;
  if (leadingExponent < MIN_LEADING_EXPONENT || leadingExponent > MAX_LEADING_EXPONENT) throw outOfRange();

  const prefix = sign === '-' ? '-' : '';
  if (exponent >= 0) return prefix + significand + '0'.repeat(exponent);
  const integerLength = significand.length + exponent;
  if (integerLength > 0) {
    return `${prefix}${significand.slice(0, integerLength)}.${significand.slice(integerLength)}`;
  }
  return `${prefix}0.${'0'.repeat(-integerLength)}${significand}`;
}

function parseExponent(exponentText: string | undefined): number {
  if (exponentText === undefined) return 0;
  const negative = exponentText.charCodeAt(0) === 0x2d; // '-'
  const unsigned = exponentText.replace(/^[+-]?0*/, '');
  if (unsigned.length > MAX_EXPONENT_DIGITS) throw outOfRange();
  const magnitude = unsigned.length === 0 ? 0 : Number(unsigned);
  return negative ? -magnitude : magnitude;
}

function invalidNumber(): SerializationError {
  return new SerializationError('Number text is not a valid DynamoDB number');
}

function outOfRange(): SerializationError {
  return new SerializationError('Number is outside the range DynamoDB can store (1E-130 to 9.99…E+125 in magnitude)');
}
