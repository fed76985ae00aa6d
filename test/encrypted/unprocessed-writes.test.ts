import { TableInfo } from '../../src/encrypted/table-info';
import { writeKey } from '../../src/encrypted/unprocessed-writes';

describe('writeKey: a write request by table and primary key, as DynamoDB compares keys', () => {
  const table = new TableInfo({ name: 'orders', primaryIndex: { partition: 'pk', sort: 'sk' } });
  const put = (sk: string, extra = {}) => writeKey(table, { PutRequest: { Item: { pk: { S: 'customer' }, sk: { N: sk }, ...extra } } });

  it('names one item for numbers equal in value, whatever their spelling (DynamoDB stores "1.50" as "1.5")', () => {
    expect(put('1.50')).toBe(put('1.5'));
    expect(put('1E+2')).toBe(put('100'));
    expect(put('-0')).toBe(put('0'));
    expect(put('1.5')).not.toBe(put('15'));
  });

  it('tells puts from deletes, tables and keys apart, and ignores the other attributes', () => {
    const deleteOf = writeKey(table, { DeleteRequest: { Key: { pk: { S: 'customer' }, sk: { N: '1.5' } } } });
    expect(deleteOf).not.toBe(put('1.5'));
    expect(put('1.5', { note: { S: 'anything' } })).toBe(put('1.5'));
    const other = new TableInfo({ name: 'orders-copy', primaryIndex: { partition: 'pk', sort: 'sk' } });
    expect(writeKey(other, { PutRequest: { Item: { pk: { S: 'customer' }, sk: { N: '1.5' } } } })).not.toBe(put('1.5'));
    expect(writeKey(table, { PutRequest: { Item: { pk: { S: 'customer' }, sk: { S: '1.5' } } } })).not.toBe(put('1.5'));
  });

  it('keeps text that is not a number as it is, for DynamoDB to refuse', () => {
    expect(() => put('not a number')).not.toThrow();
    expect(put('not a number')).not.toBe(put('1'));
  });
});
