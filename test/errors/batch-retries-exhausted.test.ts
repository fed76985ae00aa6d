import { inspect } from 'node:util';
import { BatchRetriesExhaustedError } from '../../src/errors';

describe('BatchRetriesExhaustedError', () => {
  const plaintext = '078-05-1120';
  const unprocessed = { orders: [{ PutRequest: { Item: { pk: { S: 'order-1' }, ssn: { S: plaintext } } } }] };
  const error = new BatchRetriesExhaustedError('1 write request(s) were not written after 3 attempts', { tableName: 'orders' }, unprocessed);

  it('hands the caller back its requests', () => {
    expect(error.unprocessed).toBe(unprocessed);
  });

  it('keeps them out of what loggers print: inspect, JSON and the enumerable properties', () => {
    expect(inspect(error, { depth: 10 })).not.toContain(plaintext);
    expect(JSON.stringify(error)).not.toContain(plaintext);
    expect(JSON.stringify({ ...error })).not.toContain(plaintext);
    expect(Object.keys(error)).not.toContain('unprocessed');
  });

  it('cannot be swapped for other requests afterwards', () => {
    expect(() => {
      (error as { unprocessed: unknown }).unprocessed = {};
    }).toThrow(TypeError);
    expect(error.unprocessed).toBe(unprocessed);
  });
});
