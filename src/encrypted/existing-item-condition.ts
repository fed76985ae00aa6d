import type { ExpectedAttributeValue } from '@aws-sdk/client-dynamodb';
import { UnsupportedOperationError } from '../errors';

interface ConditionalUpdate {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  Expected?: Record<string, ExpectedAttributeValue>;
  ConditionalOperator?: string;
  AttributeUpdates?: Record<string, unknown>;
}

/** Operators that fail on a missing attribute, so a condition using one implies the item exists. */
const EXISTENCE_IMPLYING_OPERATORS = new Set(['EQ', 'LE', 'LT', 'GE', 'GT', 'BEGINS_WITH', 'BETWEEN', 'IN', 'CONTAINS', 'NOT_NULL']);

const EXPRESSION_ADVICE = 'use UpdateExpression and ConditionExpression instead, to which the helper adds attribute_exists on the partition key';

/**
 * An UpdateItem on a missing key would create an item with no signature, which no read could
 * verify: the update is made conditional on the partition key existing. DynamoDB refuses to mix
 * the expression parameters with the legacy ones, so a request using AttributeUpdates or
 * Expected gets the check as an Expected entry.
 */
export function existingItemsOnly<T extends ConditionalUpdate>(input: T, partitionKey: string, tableName: string): T {
  if (input.AttributeUpdates !== undefined || input.Expected !== undefined) return withExpectedExistence(input, partitionKey, tableName);
  const placeholder = '#ddbecExistingItemKey';
  const exists = `attribute_exists(${placeholder})`;
  return {
    ...input,
    ConditionExpression: input.ConditionExpression === undefined ? exists : `(${input.ConditionExpression}) AND ${exists}`,
    ExpressionAttributeNames: { ...input.ExpressionAttributeNames, [placeholder]: partitionKey },
  };
}

/**
 * Expected holds one entry per attribute, so the check cannot be added beside an entry the
 * caller already has on the partition key. The caller's entry is kept when it implies that the
 * attribute exists (EQ, comparisons, NOT_NULL...): the conjunction is then the caller's condition
 * itself. An entry that requires the key to be absent can never hold together with the check,
 * and one that a missing key may satisfy (NE, NOT_CONTAINS) cannot be combined with it in this
 * form: both are refused rather than sent without the check.
 */
function withExpectedExistence<T extends ConditionalUpdate>(input: T, partitionKey: string, tableName: string): T {
  const location = { tableName, attributeName: partitionKey };
  const others = Object.keys(input.Expected ?? {}).filter((name) => name !== partitionKey);
  if (input.ConditionalOperator === 'OR' && others.length > 0) {
    // OR-ed with the caller's entries, the check would no longer keep a missing key from being written.
    throw new UnsupportedOperationError(
      `UpdateItem with Expected and ConditionalOperator OR cannot also require the item to exist (an update that creates an item leaves it unsigned): ${EXPRESSION_ADVICE}`,
      location,
    );
  }
  const own = input.Expected?.[partitionKey];
  if (own === undefined) return { ...input, Expected: { ...input.Expected, [partitionKey]: { ComparisonOperator: 'NOT_NULL' } } };
  if (impliesExistence(own)) return input;
  if (requiresAbsence(own)) {
    throw new UnsupportedOperationError(
      'Expected requires the item not to exist, but UpdateItem may only change an existing item (an item it created would carry no signature and could not be read): create items with PutItem',
      location,
    );
  }
  throw new UnsupportedOperationError(
    `Expected on the partition key with ${own.ComparisonOperator ?? 'this condition'} cannot be combined with the check that the item exists: ${EXPRESSION_ADVICE}`,
    location,
  );
}

function impliesExistence(condition: ExpectedAttributeValue): boolean {
  if (condition.ComparisonOperator !== undefined) return EXISTENCE_IMPLYING_OPERATORS.has(condition.ComparisonOperator);
  return condition.Exists !== false && condition.Value !== undefined;
}

function requiresAbsence(condition: ExpectedAttributeValue): boolean {
  return condition.ComparisonOperator === 'NULL' || (condition.ComparisonOperator === undefined && condition.Exists === false);
}
