import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { InvalidArgumentError } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';

/**
 * Encrypted items verify only whole, so a projection cannot be sent to DynamoDB: the helpers
 * read whole items, verify and decrypt them, then apply the projection themselves, with
 * DynamoDB's semantics for document paths (`a.b[2].c`): the result keeps the paths' structure,
 * list elements in index order.
 */
type Segment = { readonly name: string } | { readonly index: number };
export interface Projection {
  readonly paths: ReadonlyArray<readonly Segment[]>;
}

export function projectionOf(
  projectionExpression: string | undefined,
  attributesToGet: readonly string[] | undefined,
  names: Readonly<Record<string, string>> | undefined,
): Projection | undefined {
  if (attributesToGet !== undefined && attributesToGet.length > 0) return { paths: attributesToGet.map((name) => [{ name }]) };
  if (projectionExpression === undefined || projectionExpression.trim() === '') return undefined;
  return { paths: projectionExpression.split(',').map((path) => parsePath(path.trim(), names)) };
}

function parsePath(text: string, names: Readonly<Record<string, string>> | undefined): Segment[] {
  const segments: Segment[] = [];
  const pattern = /(?:^|\.)(#?[A-Za-z0-9_]+)|\[(\d+)\]/gy;
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = pattern.exec(text)) !== null) {
    consumed = pattern.lastIndex;
    if (match[2] !== undefined) segments.push({ index: Number(match[2]) });
    else {
      const token = match[1];
      const name = token.startsWith('#') ? names?.[token] : token;
      if (name === undefined) throw new InvalidArgumentError(`the projection uses ${token}, which ExpressionAttributeNames does not define`);
      segments.push({ name });
    }
  }
  if (consumed !== text.length || segments.length === 0 || !('name' in segments[0])) {
    throw new InvalidArgumentError('the ProjectionExpression is not a list of document paths');
  }
  return segments;
}

/** Lists under construction keep their elements by original index, compacted at the end. */
type Partial = { value: AttributeValue } | { map: Map<string, Partial> } | { list: Map<number, Partial> };

export function project(item: DynamoDbItem, projection: Projection | undefined): DynamoDbItem {
  if (projection === undefined) return item;
  const root = new Map<string, Partial>();
  for (const path of projection.paths) {
    const [first, ...rest] = path as [{ name: string }, ...Segment[]];
    const value = item[first.name];
    if (value !== undefined) insert(root, first.name, value, rest);
  }
  return Object.fromEntries([...root].map(([name, partial]) => [name, finish(partial)]));
}

function insert(container: Map<string | number, Partial>, key: string | number, value: AttributeValue, rest: readonly Segment[]): void {
  if (rest.length === 0) {
    container.set(key, { value });
    return;
  }
  const [next, ...remaining] = rest;
  const existing = container.get(key);
  if (existing !== undefined && 'value' in existing) return; // the whole value is projected already
  if ('name' in next) {
    const child = value.M?.[next.name];
    if (child === undefined) return;
    const partial = existing !== undefined && 'map' in existing ? existing : { map: new Map<string, Partial>() };
    container.set(key, partial);
    insert(partial.map as Map<string | number, Partial>, next.name, child, remaining);
  } else {
    const child = value.L?.[next.index];
    if (child === undefined) return;
    const partial = existing !== undefined && 'list' in existing ? existing : { list: new Map<number, Partial>() };
    container.set(key, partial);
    insert(partial.list as Map<string | number, Partial>, next.index, child, remaining);
  }
}

function finish(partial: Partial): AttributeValue {
  if ('value' in partial) return partial.value;
  if ('map' in partial) return { M: Object.fromEntries([...partial.map].map(([name, child]) => [name, finish(child)])) };
  return { L: [...partial.list].sort(([left], [right]) => left - right).map(([, child]) => finish(child)) };
}

/**
 * The request without its projection, and without the `#name` placeholders only the projection
 * used (DynamoDB refuses unused ones).
 */
export function withoutProjection<T extends { ProjectionExpression?: string; AttributesToGet?: string[]; ExpressionAttributeNames?: Record<string, string> }>(
  input: T,
  remainingExpressions: ReadonlyArray<string | undefined>,
): T {
  const { ProjectionExpression: _projection, AttributesToGet: _attributes, ...rest } = input;
  const request = rest as T;
  if (input.ExpressionAttributeNames === undefined) return request;
  const used = new Set(remainingExpressions.flatMap((expression) => expression?.match(/#[A-Za-z0-9_]+/g) ?? []));
  const names = Object.fromEntries(Object.entries(input.ExpressionAttributeNames).filter(([placeholder]) => used.has(placeholder)));
  return { ...request, ExpressionAttributeNames: Object.keys(names).length === 0 ? undefined : names };
}
