import { project, projectionOf, withoutProjection } from '../../src/encrypted/projection';
import { InvalidArgumentError } from '../../src/errors';
import type { DynamoDbItem } from '../../src/format/attribute-value';

const item: DynamoDbItem = {
  a: { S: 'x' },
  m: { M: { x: { N: '1' }, y: { N: '2' }, l: { L: [{ S: 'p' }, { M: { c: { S: 'q' }, d: { S: 'r' } } }, { S: 's' }] } } },
  z: { S: 'z' },
};

describe('projection applied after decryption', () => {
  it('keeps top-level attributes named by AttributesToGet or a projection', () => {
    expect(project(item, projectionOf(undefined, ['a', 'z', 'missing'], undefined))).toEqual({ a: item.a, z: item.z });
    expect(project(item, projectionOf('#first, z', undefined, { '#first': 'a' }))).toEqual({ a: item.a, z: item.z });
  });

  it('follows document paths as DynamoDB does: map keys kept, list elements in index order', () => {
    const projected = project(item, projectionOf('m.l[1].c, #m.x, m.l[0]', undefined, { '#m': 'm' }));
    expect(projected).toEqual({ m: { M: { x: { N: '1' }, l: { L: [{ S: 'p' }, { M: { c: { S: 'q' } } }] } } } });
  });

  it('a whole attribute wins over a path inside it, in either order', () => {
    expect(project(item, projectionOf('m, m.x', undefined, undefined))).toEqual({ m: item.m });
    expect(project(item, projectionOf('m.x, m', undefined, undefined))).toEqual({ m: item.m });
  });

  it('returns the item unchanged without a projection', () => {
    expect(project(item, projectionOf(undefined, undefined, undefined))).toBe(item);
  });

  it('refuses an undefined placeholder and a malformed path', () => {
    expect(() => projectionOf('#nope', undefined, {})).toThrow(InvalidArgumentError);
    expect(() => projectionOf('a..b', undefined, undefined)).toThrow(InvalidArgumentError);
    expect(() => projectionOf('[0]', undefined, undefined)).toThrow(InvalidArgumentError);
  });

  it('drops the projection from the request, and the placeholders only it used', () => {
    const request = withoutProjection(
      { TableName: 't', ProjectionExpression: '#p, #k', KeyConditionExpression: '#k = :k', ExpressionAttributeNames: { '#p': 'secret', '#k': 'pk' } },
      ['#k = :k'],
    );
    expect(request).toEqual({ TableName: 't', KeyConditionExpression: '#k = :k', ExpressionAttributeNames: { '#k': 'pk' } });
    expect(withoutProjection({ ProjectionExpression: '#p', ExpressionAttributeNames: { '#p': 'a' } }, []).ExpressionAttributeNames).toBeUndefined();
  });
});
