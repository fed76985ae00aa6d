/**
 * Telling the ingest event shapes apart, and reading items from JSON bodies, without AWS: every
 * malformed shape is an IngestEventError whose message never quotes the input.
 */
import { classifyIngestEvent, IngestEventError, itemsFromJson } from '../../src/pipeline/ingest-event';

const SECRET = 'SECRET-CARD-4111111111111111';

function errorOf(work: () => unknown): Error {
  try {
    work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('ingest events', () => {
  it('recognises a direct invoke, an SQS batch and HTTP requests of API Gateway v1, v2 and Function URLs', () => {
    expect(classifyIngestEvent({ items: [{ pk: 'a' }] })).toEqual({ kind: 'direct', items: [{ pk: 'a' }] });
    expect(classifyIngestEvent({ Records: [{ eventSource: 'aws:sqs', messageId: 'm1', body: '{}' }] })).toEqual({
      kind: 'sqs',
      records: [{ messageId: 'm1', body: '{}' }],
    });
    expect(classifyIngestEvent({ requestContext: { http: { method: 'post' } }, body: '[]', isBase64Encoded: false })).toEqual({
      kind: 'http',
      method: 'POST',
      body: '[]',
    });
    expect(classifyIngestEvent({ httpMethod: 'GET', body: null })).toEqual({ kind: 'http', method: 'GET', body: undefined });
    const encoded = Buffer.from('[{"pk":"é"}]', 'utf8').toString('base64');
    expect(classifyIngestEvent({ requestContext: { http: { method: 'POST' } }, body: encoded, isBase64Encoded: true })).toMatchObject({
      body: '[{"pk":"é"}]',
    });
  });

  it('refuses malformed events with a typed error', () => {
    for (const event of [null, 'items', [], {}, { items: 'x' }, { Records: 'x' }, { Records: [{ eventSource: 'aws:kinesis' }] }, { Records: [{ eventSource: 'aws:sqs', body: '{}' }] }]) {
      expect(() => classifyIngestEvent(event)).toThrow(IngestEventError);
    }
  });

  it('reads one item, an array of items or {"items": [...]} from a body', () => {
    expect(itemsFromJson('{"pk":"a"}', 'body')).toEqual([{ pk: 'a' }]);
    expect(itemsFromJson('[{"pk":"a"},{"pk":"b"}]', 'body')).toEqual([{ pk: 'a' }, { pk: 'b' }]);
    expect(itemsFromJson('{"items":[{"pk":"a"}]}', 'body')).toEqual([{ pk: 'a' }]);
    expect(itemsFromJson('{"items":[],"pk":"a"}', 'body')).toEqual([{ items: [], pk: 'a' }]);
  });

  it('reports invalid JSON without quoting it', () => {
    const error = errorOf(() => itemsFromJson(`{"pk": ${SECRET}}`, 'the message body'));
    expect(error).toBeInstanceOf(IngestEventError);
    expect(error.message).toBe('the message body is not valid JSON');
    expect(error.message).not.toContain('4111');
  });
});
