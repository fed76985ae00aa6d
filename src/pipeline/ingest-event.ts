import { InvalidArgumentError } from '../errors';

/**
 * The three ways items reach the ingest Lambda, told apart by shape, and the JSON they carry.
 * Structural types only: the engines in src/ do not depend on the Lambda type packages.
 *
 * - direct invoke: `{ "items": [ ... ] }`;
 * - an SQS batch: `Records` from `aws:sqs`, each body one item or an array of items;
 * - an HTTP request (Function URL, API Gateway HTTP API v2: `requestContext.http.method`; REST
 *   API v1: `httpMethod`), its body one item or an array of items, possibly base64-encoded.
 */

/** The event is not one ingest understands, or its JSON is malformed. Messages never quote the input. */
export class IngestEventError extends InvalidArgumentError {}

/** The part of an SQS record ingest uses (a type alias: batch processors take index-signature records). */
export type SqsMessage = {
  readonly messageId: string;
  readonly body: string;
  /** Kept only for FIFO queues, whose messages must be written in their group's order. */
  readonly attributes?: { readonly MessageGroupId: string };
};

export type IngestEvent =
  | { readonly kind: 'direct'; readonly items: unknown[] }
  | { readonly kind: 'sqs'; readonly records: SqsMessage[] }
  | { readonly kind: 'http'; readonly method: string; readonly body: string | undefined };

export function classifyIngestEvent(event: unknown): IngestEvent {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new IngestEventError('the event must be an object: {"items": [...]}, an SQS batch or an HTTP request');
  }
  const shape = event as Record<string, unknown>;
  if ('Records' in shape) return { kind: 'sqs', records: sqsMessages(shape.Records) };
  const method = httpMethodOf(shape);
  if (method !== undefined) return { kind: 'http', method, body: httpBody(shape) };
  if ('items' in shape) {
    if (!Array.isArray(shape.items)) throw new IngestEventError('"items" must be an array of items');
    return { kind: 'direct', items: shape.items };
  }
  throw new IngestEventError('unrecognised event: expected {"items": [...]}, an SQS batch (Records) or an HTTP request');
}

/**
 * The items of a message or request body: one item (an object), an array of them, or
 * `{"items": [...]}` as in a direct invoke (no item can be that: it would lack its key).
 */
export function itemsFromJson(text: string, where: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // SyntaxError messages quote the text around the error: never pass them on.
    throw new IngestEventError(`${where} is not valid JSON`);
  }
  if (Array.isArray(parsed)) return parsed;
  if (isItemsEnvelope(parsed)) return parsed.items;
  return [parsed];
}

function isItemsEnvelope(value: unknown): value is { items: unknown[] } {
  return value !== null && typeof value === 'object' && Object.keys(value).length === 1 && Array.isArray((value as { items?: unknown }).items);
}

function sqsMessages(records: unknown): SqsMessage[] {
  if (!Array.isArray(records)) throw new IngestEventError('"Records" must be an array');
  return records.map((record: unknown, index) => {
    const { eventSource, messageId, body, attributes } = (record ?? {}) as Record<string, unknown>;
    if (eventSource !== 'aws:sqs') throw new IngestEventError(`record ${index} is not an SQS message (eventSource is not "aws:sqs")`);
    if (typeof messageId !== 'string' || typeof body !== 'string') throw new IngestEventError(`SQS record ${index} has no messageId or body`);
    const groupId = (attributes as { MessageGroupId?: unknown } | null | undefined)?.MessageGroupId;
    return typeof groupId === 'string' ? { messageId, body, attributes: { MessageGroupId: groupId } } : { messageId, body };
  });
}

function httpMethodOf(shape: Record<string, unknown>): string | undefined {
  const http = (shape.requestContext as { http?: { method?: unknown } } | undefined)?.http;
  const method = http?.method ?? shape.httpMethod;
  return typeof method === 'string' ? method.toUpperCase() : undefined;
}

function httpBody(shape: Record<string, unknown>): string | undefined {
  const { body, isBase64Encoded } = shape;
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'string') throw new IngestEventError('the HTTP body must be a string');
  return isBase64Encoded === true ? Buffer.from(body, 'base64').toString('utf8') : body;
}
