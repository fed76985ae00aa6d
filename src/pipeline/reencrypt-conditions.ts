import type { AttributeActions } from '../encryptor/attribute-actions';
import { CryptoAction } from '../encryptor/crypto-action';
import type { AttributeValue, DynamoDbItem } from '../format/attribute-value';
import { ReservedAttributes } from '../format/material-description-keys';
import { ConditionTooLargeError } from './reencrypt-errors';

/** DynamoDB refuses any expression string longer than this (bytes). */
export const MAX_EXPRESSION_BYTES = 4096;

export interface WriteCondition {
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues: Record<string, AttributeValue>;
}

/**
 * Which attributes a write replaces: `signed` for the UpdateItem that sets every attribute but
 * the DO_NOTHING ones (and the keys), `all` for a PutItem of the whole item.
 */
export type WriteScope = 'signed' | 'all';

export interface UnchangedConditionOptions {
  /** The table's actions (index keys already SIGN_ONLY): which attributes the signature does not cover. */
  readonly attributeActions: AttributeActions;
  /** An attribute every writer changes on every write; compared instead of the values when the item has it. */
  readonly versionAttribute?: string;
  readonly tableName: string;
  readonly scope: WriteScope;
}

/**
 * A condition that holds only while the attributes the write replaces are as in `expected`
 * (the item as last read, or as our last write left it):
 *
 * - encrypted: the signature is unchanged (binary equality). It covers every signed attribute
 *   and the description; a PutItem also compares the DO_NOTHING attributes, which it does not
 *   cover (an UpdateItem through the table helpers changes exactly those);
 * - plaintext: there is still no signature, and every attribute in scope equals what was read.
 *
 * With `versionAttribute` present in the item, that one attribute stands in for the values
 * compared. A condition cannot say "and no other attribute exists": the caller checks what the
 * write replaced (ReturnValues ALL_OLD) for that.
 */
export function unchangedCondition(expected: Readonly<DynamoDbItem>, options: UnchangedConditionOptions): WriteCondition {
  const names: Record<string, string> = { '#ddbecSig': ReservedAttributes.SIGNATURE };
  const values: Record<string, AttributeValue> = {};
  const parts: string[] = [];
  const signature = expected[ReservedAttributes.SIGNATURE];
  if (signature !== undefined) {
    parts.push('#ddbecSig = :ddbecSig');
    values[':ddbecSig'] = signature;
  } else {
    parts.push('attribute_not_exists(#ddbecSig)');
  }

  const { versionAttribute, attributeActions } = options;
  const unsigned = (name: string) => !isReserved(name) && attributeActions.action(name) === CryptoAction.DO_NOTHING;
  let compared: string[];
  if (signature !== undefined && options.scope === 'signed') {
    compared = []; // the signature covers everything the write replaces
  } else if (versionAttribute !== undefined && expected[versionAttribute] !== undefined) {
    compared = [versionAttribute];
  } else if (signature !== undefined) {
    compared = Object.keys(expected).filter(unsigned);
  } else {
    compared = Object.keys(expected).filter((name) => options.scope === 'all' || !unsigned(name));
  }
  compared.forEach((name, index) => {
    names[`#c${index}`] = name;
    values[`:c${index}`] = expected[name];
    parts.push(`#c${index} = :c${index}`);
  });

  const expression = parts.join(' AND ');
  if (Buffer.byteLength(expression, 'utf8') > MAX_EXPRESSION_BYTES) {
    throw new ConditionTooLargeError(
      `the condition comparing the item's ${compared.length} attributes would exceed DynamoDB's ${MAX_EXPRESSION_BYTES}-byte expression limit: ` +
        'set versionAttribute to an attribute every writer changes on every write',
      { tableName: options.tableName },
    );
  }
  return { ConditionExpression: expression, ExpressionAttributeNames: names, ExpressionAttributeValues: values };
}

/** Names of the attributes a write in `scope` replaces (reserved ones included), present in either item. */
export function attributesInScope(items: ReadonlyArray<Readonly<DynamoDbItem>>, scope: WriteScope, attributeActions: AttributeActions): string[] {
  const names = new Set(items.flatMap((item) => Object.keys(item)));
  return [...names].filter((name) => scope === 'all' || isReserved(name) || attributeActions.action(name) !== CryptoAction.DO_NOTHING);
}

export function isReserved(name: string): boolean {
  return name === ReservedAttributes.SIGNATURE || name === ReservedAttributes.MATERIAL_DESCRIPTION;
}
