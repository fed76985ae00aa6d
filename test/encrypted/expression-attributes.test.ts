/**
 * Which attributes an expression compares (conditions, filters, key conditions, projections) and
 * which an UpdateExpression writes and reads: the checks of EncryptedClient rest on these.
 */
import { comparedAttributes, updateExpressionAttributes } from '../../src/encrypted/expression-attributes';
import { DynamoDbEncryptionError, InvalidArgumentError } from '../../src/errors';

const NAMES = { '#a': 'alpha', '#b': 'beta', '#c': 'gamma', '#dotted': 'with.dot', '#status': 'status' };

const compared = (expression: string | undefined, names: Record<string, string> | undefined = NAMES) =>
  [...comparedAttributes(expression, names)].sort();

const update = (expression: string | undefined, names: Record<string, string> | undefined = NAMES) => {
  const { written, read } = updateExpressionAttributes(expression, names);
  return { written: [...written].sort(), read: [...read].sort() };
};

describe('comparedAttributes', () => {
  it.each([
    ['a = :v', ['a']],
    ['a <> :v', ['a']],
    ['a < :v AND b <= :w OR c > :x AND d >= :y', ['a', 'b', 'c', 'd']],
    ['#a = :v', ['alpha']],
    ['#a.#b = :v', ['alpha']],
    ['#a.b[1].#b = :v AND c <> :w', ['alpha', 'c']],
    ['a.b.c = :v', ['a']],
    ['x.#a = :v', ['x']],
    ['a[0] = :v', ['a']],
    ['a[0][12].b = :v', ['a']],
    ['a . b = :v', ['a']],
    ['#dotted = :v', ['with.dot']],
    ['#status = :v', ['status']],
  ])('paths: %s refers to %j (only the top-level attribute)', (expression, expected) => {
    expect(compared(expression)).toEqual(expected);
  });

  it.each([
    ['size(a) > :n', ['a']],
    ['begins_with(a, :p)', ['a']],
    ['contains(#a, :p)', ['alpha']],
    ['attribute_type(a, :t)', ['a']],
    ['size(a.b[2]) BETWEEN :x AND :y', ['a']],
    ['NOT (a = :v) OR begins_with(b, :p) AND contains(c, :q)', ['a', 'b', 'c']],
    ['(a = :v OR (b = :w AND NOT c = :x))', ['a', 'b', 'c']],
  ])('functions and grouping: %s refers to %j', (expression, expected) => {
    expect(compared(expression)).toEqual(expected);
  });

  it.each([
    ['a BETWEEN :x AND :y', ['a']],
    ['a IN (:x, :y, :z)', ['a']],
    ['a IN(:x)', ['a']],
    ['#a BETWEEN :low AND :high AND b IN (:one, :two)', ['alpha', 'b']],
    // Keywords are case-insensitive in DynamoDB, and are not attribute names.
    ['a between :x and :y', ['a']],
    ['a in (:x) or not b = :w', ['a', 'b']],
    ['a Between :x And :y', ['a']],
  ])('BETWEEN / IN and keywords in any case: %s refers to %j', (expression, expected) => {
    expect(compared(expression)).toEqual(expected);
  });

  it.each([
    ['attribute_exists(a)', []],
    ['attribute_not_exists(a)', []],
    ['attribute_exists (a)', []],
    ['attribute_exists(a) AND attribute_not_exists(#b)', []],
    ['NOT attribute_exists(a) AND b = :v', ['b']],
    // An existence check does not excuse a comparison of the same attribute elsewhere.
    ['attribute_exists(a) OR a = :v', ['a']],
    ['attribute_exists(a) AND size(a) > :n', ['a']],
  ])('existence functions are left out: %s refers to %j', (expression, expected) => {
    expect(compared(expression)).toEqual(expected);
  });

  it.each([
    ['a', ['a']],
    ['a, b.c, #a[0]', ['a', 'alpha', 'b']],
    ['#a, #b, #c', ['alpha', 'beta', 'gamma']],
    ['a,a,a.b', ['a']],
  ])('projections: %s refers to %j', (expression, expected) => {
    expect(compared(expression)).toEqual(expected);
  });

  it('returns nothing for an absent, empty or blank expression', () => {
    expect(compared(undefined)).toEqual([]);
    expect(compared('')).toEqual([]);
    expect(compared('  \n\t ')).toEqual([]);
  });

  it('reads white space of every kind between tokens', () => {
    expect(compared('\ta\n=\r\n:v\tAND\n#b  <>  :w')).toEqual(['a', 'beta']);
  });

  it('refuses a #placeholder that ExpressionAttributeNames does not define, naming it', () => {
    expect(() => comparedAttributes('#zz = :v', NAMES)).toThrow(InvalidArgumentError);
    expect(() => comparedAttributes('#zz = :v', NAMES)).toThrow(/#zz/);
    expect(() => comparedAttributes('#a = :v', undefined)).toThrow(/#a.*ExpressionAttributeNames/);
    expect(() => comparedAttributes('attribute_exists(#missing)', {})).toThrow(InvalidArgumentError);
  });

  it.each([
    ['a = "literal"'],
    ["a = 'literal'"],
    ['a = :v;'],
    ['# = :v'],
    ['a != :v'],
    ['a = $v'],
    ['a = :v @ b'],
  ])('refuses what it cannot read: %s', (expression) => {
    expect(() => comparedAttributes(expression, NAMES)).toThrow(InvalidArgumentError);
    expect(() => comparedAttributes(expression, NAMES)).toThrow(/cannot read the expression at character \d+/);
  });

  it('the error for an unreadable expression is a library error, not a crash', () => {
    try {
      comparedAttributes('a = "x"');
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(DynamoDbEncryptionError);
      // The position, not the text (which could hold a value someone typed in by mistake).
      expect((error as Error).message).not.toContain('"x"');
    }
  });
});

describe('updateExpressionAttributes', () => {
  it.each([
    ['SET a = :v', ['a'], []],
    ['SET a = :v, b = :w', ['a', 'b'], []],
    ['SET a = :v, b=:w', ['a', 'b'], []],
    ['SET #a = :v', ['alpha'], []],
    ['SET a[0].x = :v', ['a'], []],
    ['SET #a.#b[3] = :v', ['alpha'], []],
    ['SET a = b', ['a'], ['b']],
    ['SET a = b + :one', ['a'], ['b']],
    ['SET a = b - c', ['a'], ['b', 'c']],
    ['SET a = if_not_exists(c, :d)', ['a'], ['c']],
    ['SET a = if_not_exists(a, :zero) + :one', ['a'], ['a']],
    ['SET #a = list_append(#a, :l)', ['alpha'], ['alpha']],
    ['SET a = list_append(:l, b.c[0]), d = :w', ['a', 'd'], ['b']],
  ])('SET: %s writes %j and reads %j', (expression, written, read) => {
    expect(update(expression)).toEqual({ written, read });
  });

  it.each([
    ['REMOVE a', ['a'], []],
    ['REMOVE a.b, #c', ['a', 'gamma'], []],
    ['REMOVE a[1], b[2].c', ['a', 'b'], []],
    ['ADD counter :n', ['counter'], []],
    ['ADD #a :n, b :m', ['alpha', 'b'], []],
    ['DELETE tags :s', ['tags'], []],
    ['DELETE #a :s, #b :t', ['alpha', 'beta'], []],
  ])('REMOVE / ADD / DELETE: %s writes %j', (expression, written, read) => {
    expect(update(expression)).toEqual({ written, read });
  });

  it('reads every clause of a combined expression', () => {
    expect(update('SET a = :v, b = if_not_exists(c, :d) REMOVE e, f[1] ADD g :one DELETE h :s')).toEqual({
      written: ['a', 'b', 'e', 'f', 'g', 'h'],
      read: ['c'],
    });
    expect(update('REMOVE x SET y = z ADD w :n')).toEqual({ written: ['w', 'x', 'y'], read: ['z'] });
  });

  it('accepts clause keywords and functions in lower or mixed case', () => {
    expect(update('set a = b + :one remove c')).toEqual({ written: ['a', 'c'], read: ['b'] });
    expect(update('Set a = :v Add n :one Delete s :x')).toEqual({ written: ['a', 'n', 's'], read: [] });
  });

  it('does not take a comma inside a function call for the start of a new action', () => {
    expect(update('SET a = list_append(b, c), d = :v')).toEqual({ written: ['a', 'd'], read: ['b', 'c'] });
    expect(update('SET a = if_not_exists(b, c)')).toEqual({ written: ['a'], read: ['b', 'c'] });
  });

  it('returns nothing for an absent or blank expression', () => {
    expect(update(undefined)).toEqual({ written: [], read: [] });
    expect(update('')).toEqual({ written: [], read: [] });
    expect(update('   ')).toEqual({ written: [], read: [] });
  });

  it('refuses an unknown #placeholder in a target or in a value', () => {
    expect(() => updateExpressionAttributes('SET #zz = :v', NAMES)).toThrow(InvalidArgumentError);
    expect(() => updateExpressionAttributes('SET a = #zz', NAMES)).toThrow(/#zz/);
    expect(() => updateExpressionAttributes('REMOVE #a', undefined)).toThrow(InvalidArgumentError);
  });

  it.each([['SET a = "x"'], ['SET a = :v; REMOVE b'], ['SET a = :v !'], ['SET # = :v']])('refuses what it cannot read: %s', (expression) => {
    expect(() => updateExpressionAttributes(expression, NAMES)).toThrow(InvalidArgumentError);
  });
});
