import type { DynamoDbItem } from '../format/attribute-value';
import { comparedAttributes } from './expression-attributes';

/**
 * Encrypted items verify only whole, so a projection cannot be sent to DynamoDB: the helpers
 * read whole items, verify and decrypt them, then keep the projected top-level attributes.
 */
export interface Projection {
  readonly attributes: ReadonlySet<string>;
}

export function projectionOf(
  projectionExpression: string | undefined,
  attributesToGet: readonly string[] | undefined,
  names: Readonly<Record<string, string>> | undefined,
): Projection | undefined {
  if (attributesToGet !== undefined && attributesToGet.length > 0) return { attributes: new Set(attributesToGet) };
  if (projectionExpression === undefined || projectionExpression.trim() === '') return undefined;
  return { attributes: comparedAttributes(projectionExpression, names) };
}

export function project(item: DynamoDbItem, projection: Projection | undefined): DynamoDbItem {
  if (projection === undefined) return item;
  return Object.fromEntries(Object.entries(item).filter(([name]) => projection.attributes.has(name)));
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
