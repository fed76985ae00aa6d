import fc from 'fast-check';
import { SerializationError } from '../../src/errors';
import { normalizeNumber } from '../../src/format/number-normalizer';

describe('normalizeNumber', () => {
  it.each([
    // FORMAT.md §2.2 examples
    ['55.00', '55'],
    ['55.34000', '55.34'],
    ['1E+2', '100'],
    ['1e-7', '0.0000001'],
    ['0.000', '0'],
    ['-34.20', '-34.2'],
    // canonical integers pass through, trailing integer zeros are kept in plain notation
    ['42', '42'],
    ['-123', '-123'],
    ['100', '100'],
    // signs, leading zeros, bare fractions
    ['+5', '5'],
    ['007', '7'],
    ['-007.50', '-7.5'],
    ['.5', '0.5'],
    ['5.', '5'],
    ['-.5e1', '-5'],
    ['0.0001230', '0.000123'],
    // exponent forms
    ['1.5E3', '1500'],
    ['1.5e+3', '1500'],
    ['123.456e-1', '12.3456'],
    ['123456e-3', '123.456'],
    ['123456e-6', '0.123456'],
    ['123456e-8', '0.00123456'],
    ['1e0', '1'],
    ['1E-0', '1'],
    ['25e0001', '250'],
  ])('normalizes %s to %s', (input, expected) => {
    expect(normalizeNumber(input)).toBe(expected);
  });

  it.each(['0', '-0', '+0', '-0.0', '0e10', '-0.000E-5', '000', '.0', '0.', '0e99999999999999999999999'])(
    'writes zero %s as "0" (Java behaviour; Python would keep "-0")',
    (input) => {
      expect(normalizeNumber(input)).toBe('0');
    },
  );

  it('keeps all 38 significant digits instead of rounding to 28 like Python', () => {
    expect(normalizeNumber('12345678901234567890123456789012345678')).toBe('12345678901234567890123456789012345678');
    expect(normalizeNumber('1234567890123456789012345678901')).toBe('1234567890123456789012345678901');
    expect(normalizeNumber('-1.2345678901234567890123456789012345678')).toBe('-1.2345678901234567890123456789012345678');
    expect(normalizeNumber('0.00012345678901234567890123456789012345678000')).toBe(
      '0.00012345678901234567890123456789012345678',
    );
    // 39 digits, but the last is a trailing zero, so only 38 are significant
    expect(normalizeNumber('123456789012345678901234567890123456780')).toBe('123456789012345678901234567890123456780');
  });

  it('accepts the ends of the DynamoDB range', () => {
    expect(normalizeNumber('1E-130')).toBe(`0.${'0'.repeat(129)}1`);
    expect(normalizeNumber('-1E-130')).toBe(`-0.${'0'.repeat(129)}1`);
    const largest = normalizeNumber('9.9999999999999999999999999999999999999E+125');
    expect(largest).toBe('9'.repeat(38) + '0'.repeat(88));
    expect(largest).toHaveLength(126);
  });

  it.each([
    ['more than 38 significant digits', '123456789012345678901234567890123456789'],
    ['more than 38 significant digits in a fraction', '1.23456789012345678901234567890123456789'],
    ['a magnitude below 1E-130', '1E-131'],
    ['a magnitude below 1E-130 written in plain notation', `0.${'0'.repeat(130)}1`],
    ['a magnitude of 1E+126', '1E+126'],
    ['a magnitude of 10E+125', '10E+125'],
    ['a huge exponent', '1e99999999999999999999'],
  ])('rejects %s', (_description, input) => {
    expect(() => normalizeNumber(input)).toThrow(SerializationError);
  });

  it.each([
    '',
    ' ',
    ' 1',
    '1 ',
    'NaN',
    'nan',
    'Infinity',
    '-Infinity',
    '0x10',
    '1e',
    'e5',
    '.',
    '-',
    '+',
    '.e1',
    '1.2.3',
    '--1',
    '+-1',
    '1e+-2',
    '1e2.5',
    '1_000',
    '1,5',
    '\u0661', // Arabic-Indic digit one
    '１', // full-width digit one
  ])('rejects the invalid number text %j', (input) => {
    expect(() => normalizeNumber(input)).toThrow(new SerializationError('Number text is not a valid DynamoDB number'));
  });

  it('never puts the offending text in the error message', () => {
    for (const secret of ['secret-4111', '4111111111111111111111111111111111111111', '4111e999']) {
      let message = '';
      try {
        normalizeNumber(secret);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain('4111');
    }
  });

  it('rejects a value that is not a string', () => {
    expect(() => normalizeNumber(42 as unknown as string)).toThrow(SerializationError);
  });

  it('agrees with BigInt arithmetic for integers with exponents', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
        fc.integer({ min: 0, max: 8 }),
        (integer, exponent) => {
          expect(normalizeNumber(`${integer}e${exponent}`)).toBe(String(integer * 10n ** BigInt(exponent)));
        },
      ),
    );
  });

  it('agrees with BigInt arithmetic for decimal fractions', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 30n }), fc.integer({ min: 1, max: 40 }), (integer, scale) => {
        // integer / 10^scale, written with an explicit fraction and padded with trailing zeros
        const digits = String(integer).padStart(scale + 1, '0');
        const text = `${digits.slice(0, -scale)}.${digits.slice(-scale)}000`;
        const normalized = normalizeNumber(text);
        const [integerPart, fractionPart = ''] = normalized.split('.');
        expect(fractionPart).not.toMatch(/0$/);
        const rebuilt = BigInt(integerPart + fractionPart.padEnd(scale, '0'));
        expect(rebuilt).toBe(integer);
      }),
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(
        fc.tuple(
          fc.constantFrom('', '-', '+'),
          fc.stringMatching(/^[0-9]{1,19}$/),
          fc.stringMatching(/^[0-9]{0,19}$/),
          fc.integer({ min: -100, max: 100 }),
        ),
        ([sign, integer, fraction, exponent]) => {
          const once = normalizeNumber(`${sign}${integer}.${fraction}E${exponent}`);
          expect(normalizeNumber(once)).toBe(once);
          expect(once).toMatch(/^(0|-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?)$/);
        },
      ),
    );
  });
});
