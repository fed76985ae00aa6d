import type { PutItemCommandInput, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { TableInfo } from '../encrypted/table-info';
import type { AttributeActions } from '../encryptor/attribute-actions';
import { CryptoAction } from '../encryptor/crypto-action';
import type { AttributeValue, DynamoDbItem } from '../format/attribute-value';
import { ReservedAttributes } from '../format/material-description-keys';
import { MAX_EXPRESSION_BYTES, attributesInScope, unchangedCondition, type WriteScope } from './reencrypt-conditions';
import { sameAttributeValue } from './reencrypt-item-equality';

export interface ReEncryptWriteOptions {
  readonly tableInfo: TableInfo;
  /** The table's actions, index keys SIGN_ONLY. */
  readonly attributeActions: AttributeActions;
  readonly versionAttribute?: string;
}

/** One conditional write of a re-encrypted item, and how to check what it replaced. */
export interface ReEncryptWrite {
  readonly command: 'UpdateItem' | 'PutItem';
  readonly input: UpdateItemCommandInput | PutItemCommandInput;
  /**
   * What the table holds after the write, given what it held before (ReturnValues ALL_OLD, asked
   * for whenever the write could leave an added attribute unprotected or drop it).
   */
  after(old: Readonly<DynamoDbItem>): DynamoDbItem;
  /**
   * Whether the write replaced exactly what the condition assumed. When not, an attribute the
   * condition could not see was added meanwhile (a condition cannot say "no other attribute").
   */
  replacedExpected(old: Readonly<DynamoDbItem>): boolean;
}

/**
 * Builds the write that replaces `expected` (as read) with `replacement` (re-encrypted).
 *
 * - An encrypted item, when no attribute can be DO_NOTHING: a whole-item PutItem conditional on
 *   the signature. Every legitimate change re-signs the item, so nothing can slip past it.
 * - Otherwise an UpdateItem that sets the signed and encrypted attributes, the description and
 *   the signature, and leaves the DO_NOTHING attributes alone: they are outside the signature,
 *   so a concurrent UpdateItem of them (what the table helpers allow) is neither lost nor a
 *   conflict. A plaintext item's write also returns the old item, to catch an attribute added
 *   since the read (it would stay plaintext).
 * - When that SET list would break the 4 KB expression limit (hundreds of attributes), a PutItem
 *   of the whole item, conditional on the DO_NOTHING values (or the version attribute) too, and
 *   returning the old item to catch an added attribute it would have dropped.
 */
export function reEncryptWrite(expected: Readonly<DynamoDbItem>, replacement: Readonly<DynamoDbItem>, options: ReEncryptWriteOptions): ReEncryptWrite {
  const encrypted = expected[ReservedAttributes.SIGNATURE] !== undefined;
  const unsignedPossible = options.attributeActions.containsAction(CryptoAction.DO_NOTHING);
  if (encrypted && !unsignedPossible) return putWrite(expected, replacement, options, 'NONE');
  return updateWrite(expected, replacement, options) ?? putWrite(expected, replacement, options, 'ALL_OLD');
}

function updateWrite(expected: Readonly<DynamoDbItem>, replacement: Readonly<DynamoDbItem>, options: ReEncryptWriteOptions): ReEncryptWrite | undefined {
  const { tableInfo, attributeActions } = options;
  const keyNames = [tableInfo.primaryIndex.partition, tableInfo.primaryIndex.sort].filter((name): name is string => name !== undefined);
  const setNames = attributesInScope([replacement], 'signed', attributeActions).filter((name) => !keyNames.includes(name));
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const assignments = setNames.map((name, index) => {
    names[`#${index}`] = name;
    values[`:${index}`] = replacement[name];
    return `#${index}=:${index}`;
  });
  const updateExpression = `SET ${assignments.join(',')}`;
  if (Buffer.byteLength(updateExpression, 'utf8') > MAX_EXPRESSION_BYTES) return undefined;
  const condition = unchangedCondition(expected, { ...conditionOptions(options), scope: 'signed' });
  const sets: DynamoDbItem = Object.fromEntries(setNames.map((name) => [name, replacement[name]]));
  // An attribute added to an encrypted item meanwhile is either DO_NOTHING (left alone) or
  // signed without re-signing (the writer broke the item, not us): nothing to check afterwards.
  const plaintext = expected[ReservedAttributes.SIGNATURE] === undefined;
  return {
    command: 'UpdateItem',
    input: {
      TableName: tableInfo.name,
      Key: Object.fromEntries(keyNames.map((name) => [name, replacement[name]])),
      UpdateExpression: updateExpression,
      ConditionExpression: condition.ConditionExpression,
      ExpressionAttributeNames: { ...names, ...condition.ExpressionAttributeNames },
      ExpressionAttributeValues: { ...values, ...condition.ExpressionAttributeValues },
      ReturnValues: plaintext ? 'ALL_OLD' : 'NONE',
    },
    after: (old) => ({ ...old, ...sets }),
    replacedExpected: (old) => sameInScope(old, expected, 'signed', attributeActions),
  };
}

function putWrite(
  expected: Readonly<DynamoDbItem>,
  replacement: Readonly<DynamoDbItem>,
  options: ReEncryptWriteOptions,
  returnValues: 'NONE' | 'ALL_OLD',
): ReEncryptWrite {
  const condition = unchangedCondition(expected, { ...conditionOptions(options), scope: 'all' });
  return {
    command: 'PutItem',
    input: { TableName: options.tableInfo.name, Item: { ...replacement }, ...condition, ReturnValues: returnValues },
    after: () => ({ ...replacement }),
    replacedExpected: (old) => sameInScope(old, expected, 'all', options.attributeActions),
  };
}

function conditionOptions(options: ReEncryptWriteOptions) {
  return { attributeActions: options.attributeActions, versionAttribute: options.versionAttribute, tableName: options.tableInfo.name };
}

function sameInScope(left: Readonly<DynamoDbItem>, right: Readonly<DynamoDbItem>, scope: WriteScope, attributeActions: AttributeActions): boolean {
  return attributesInScope([left, right], scope, attributeActions).every((name) => {
    const leftValue = left[name];
    const rightValue = right[name];
    return leftValue === undefined || rightValue === undefined ? leftValue === rightValue : sameAttributeValue(leftValue, rightValue);
  });
}
