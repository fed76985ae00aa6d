/**
 * TableInfo: a table's name and indexes, from a DescribeTable description or given explicitly.
 */
import type { TableDescription } from '@aws-sdk/client-dynamodb';
import { TableInfo } from '../../src/encrypted/table-info';
import { InvalidArgumentError } from '../../src/errors';

/** A DescribeTable answer with one GSI of each projection type and one LSI, shaped as DynamoDB sends it. */
const DESCRIPTION: TableDescription = {
  TableName: 'orders',
  TableStatus: 'ACTIVE',
  AttributeDefinitions: [
    { AttributeName: 'customer', AttributeType: 'S' },
    { AttributeName: 'order', AttributeType: 'N' },
    { AttributeName: 'status', AttributeType: 'S' },
    { AttributeName: 'placed', AttributeType: 'N' },
    { AttributeName: 'sku', AttributeType: 'S' },
    { AttributeName: 'region', AttributeType: 'S' },
  ],
  // Deliberately RANGE first: the order of KeySchema elements must not matter.
  KeySchema: [
    { AttributeName: 'order', KeyType: 'RANGE' },
    { AttributeName: 'customer', KeyType: 'HASH' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: 'by-status',
      KeySchema: [
        { AttributeName: 'status', KeyType: 'HASH' },
        { AttributeName: 'placed', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
      IndexStatus: 'ACTIVE',
    },
    {
      IndexName: 'by-sku',
      KeySchema: [{ AttributeName: 'sku', KeyType: 'HASH' }],
      Projection: { ProjectionType: 'KEYS_ONLY' },
      IndexStatus: 'ACTIVE',
    },
    {
      IndexName: 'by-region',
      KeySchema: [{ AttributeName: 'region', KeyType: 'HASH' }],
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['total', 'note'] },
      IndexStatus: 'ACTIVE',
    },
  ],
  LocalSecondaryIndexes: [
    {
      IndexName: 'by-placed',
      KeySchema: [
        { AttributeName: 'customer', KeyType: 'HASH' },
        { AttributeName: 'placed', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
};

describe('TableInfo.fromDescription', () => {
  const info = TableInfo.fromDescription(DESCRIPTION);

  it('reads the name and the primary index, whatever the order of KeySchema', () => {
    expect(info.name).toBe('orders');
    expect(info.primaryIndex).toEqual({ partition: 'customer', sort: 'order' });
  });

  it('reads every GSI and LSI with its keys and projection', () => {
    expect(info.secondaryIndexes).toHaveLength(4);
    expect(info.secondaryIndex('by-status')).toEqual({ name: 'by-status', partition: 'status', sort: 'placed', projectionType: 'ALL', nonKeyAttributes: undefined, local: false });
    expect(info.secondaryIndex('by-sku')).toMatchObject({ name: 'by-sku', partition: 'sku', projectionType: 'KEYS_ONLY' });
    expect(info.secondaryIndex('by-sku')?.sort).toBeUndefined();
    expect(info.secondaryIndex('by-region')).toMatchObject({ partition: 'region', projectionType: 'INCLUDE', nonKeyAttributes: ['total', 'note'] });
    expect(info.secondaryIndex('by-placed')).toMatchObject({ partition: 'customer', sort: 'placed', projectionType: 'ALL', local: true });
    expect(info.secondaryIndex('no-such-index')).toBeUndefined();
  });

  it('protects the key attributes of every index, each once', () => {
    expect([...info.protectedIndexKeys].sort()).toEqual(['customer', 'order', 'placed', 'region', 'sku', 'status']);
    expect(new Set(info.protectedIndexKeys).size).toBe(info.protectedIndexKeys.length);
  });

  it('builds the encryption context from the primary index only', () => {
    expect(info.encryptionContext()).toEqual({ tableName: 'orders', partitionKeyName: 'customer', sortKeyName: 'order' });
  });

  it('reads a table with a partition key only and no secondary index', () => {
    const simple = TableInfo.fromDescription({ TableName: 'simple', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] });
    expect(simple.primaryIndex).toEqual({ partition: 'id', sort: undefined });
    expect(simple.secondaryIndexes).toEqual([]);
    expect(simple.protectedIndexKeys).toEqual(['id']);
    const context = simple.encryptionContext();
    expect(context).toEqual({ tableName: 'simple', partitionKeyName: 'id' });
    expect(context.sortKeyName).toBeUndefined();
  });

  it('refuses a description without a table name or without a partition key', () => {
    expect(() => TableInfo.fromDescription({ KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] })).toThrow(InvalidArgumentError);
    expect(() => TableInfo.fromDescription({ TableName: 't' })).toThrow(InvalidArgumentError);
    expect(() => TableInfo.fromDescription({ TableName: 't' })).toThrow(/partition key.*table "t"/);
    expect(() => TableInfo.fromDescription({ TableName: 't', KeySchema: [{ AttributeName: 'sk', KeyType: 'RANGE' }] })).toThrow(InvalidArgumentError);
  });
});

describe('new TableInfo', () => {
  it('takes indexes given explicitly (no DescribeTable needed)', () => {
    const info = new TableInfo({
      name: 'events',
      primaryIndex: { partition: 'pk', sort: 'sk' },
      secondaryIndexes: [{ name: 'gsi1', partition: 'gsi1pk', sort: 'gsi1sk', projectionType: 'ALL' }],
    });
    expect(info.protectedIndexKeys.sort()).toEqual(['gsi1pk', 'gsi1sk', 'pk', 'sk']);
    expect(info.encryptionContext()).toEqual({ tableName: 'events', partitionKeyName: 'pk', sortKeyName: 'sk' });
    expect(info.secondaryIndex('gsi1')?.projectionType).toBe('ALL');
  });

  it('defaults to no secondary index', () => {
    expect(new TableInfo({ name: 't', primaryIndex: { partition: 'pk' } }).secondaryIndexes).toEqual([]);
  });

  it('is frozen, with copies of what it was given', () => {
    const primaryIndex = { partition: 'pk', sort: 'sk' };
    const secondary = { name: 'g', partition: 'gpk', projectionType: 'ALL' };
    const info = new TableInfo({ name: 't', primaryIndex, secondaryIndexes: [secondary] });
    primaryIndex.partition = 'changed';
    secondary.partition = 'changed';
    expect(info.primaryIndex.partition).toBe('pk');
    expect(info.secondaryIndexes[0].partition).toBe('gpk');
    expect(Object.isFrozen(info)).toBe(true);
    expect(Object.isFrozen(info.primaryIndex)).toBe(true);
    expect(Object.isFrozen(info.secondaryIndexes)).toBe(true);
    expect(Object.isFrozen(info.secondaryIndexes[0])).toBe(true);
    expect(() => {
      (info as { name: string }).name = 'other';
    }).toThrow(TypeError);
  });

  it.each([
    ['no options', undefined],
    ['no name', { primaryIndex: { partition: 'pk' } }],
    ['an empty name', { name: '', primaryIndex: { partition: 'pk' } }],
    ['a name that is not a string', { name: 42, primaryIndex: { partition: 'pk' } }],
  ])('refuses %s, asking for a table name', (_case, options) => {
    expect(() => new TableInfo(options as never)).toThrow(InvalidArgumentError);
    expect(() => new TableInfo(options as never)).toThrow(/needs a table name/);
  });

  it.each([
    ['no primary index', { name: 't' }],
    ['a primary index without partition', { name: 't', primaryIndex: { sort: 'sk' } }],
    ['a partition key name that is not a string', { name: 't', primaryIndex: { partition: 7 } }],
  ])('refuses %s, naming the table', (_case, options) => {
    expect(() => new TableInfo(options as never)).toThrow(InvalidArgumentError);
    expect(() => new TableInfo(options as never)).toThrow(/partition key name .*\(table "t"\)/);
  });

  it('refuses a secondary index without a partition key name', () => {
    expect(
      () => new TableInfo({ name: 't', primaryIndex: { partition: 'pk' }, secondaryIndexes: [{ name: 'g', projectionType: 'ALL' } as never] }),
    ).toThrow(InvalidArgumentError);
  });
});
