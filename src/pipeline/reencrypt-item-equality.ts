import type { AttributeValue, DynamoDbItem } from '../format/attribute-value';
import { normalizeNumber } from '../format/number-normalizer';

/**
 * Value equality of items as DynamoDB sees it: numbers by value, sets regardless of order,
 * binary by bytes. Used to tell whether the item a conditional write replaced is the one that
 * was read.
 */
export function sameItem(left: Readonly<DynamoDbItem> | undefined, right: Readonly<DynamoDbItem> | undefined): boolean {
  if (left === undefined || right === undefined) return left === right;
  const names = Object.keys(left);
  if (names.length !== Object.keys(right).length) return false;
  return names.every((name) => Object.prototype.hasOwnProperty.call(right, name) && sameAttributeValue(left[name], right[name]));
}

export function sameAttributeValue(left: AttributeValue, right: AttributeValue): boolean {
  if (left.S !== undefined) return left.S === right.S;
  if (left.N !== undefined) return right.N !== undefined && sameNumber(left.N, right.N);
  if (left.B !== undefined) return right.B !== undefined && Buffer.from(left.B).equals(Buffer.from(right.B));
  if (left.BOOL !== undefined) return left.BOOL === right.BOOL;
  if (left.NULL !== undefined) return right.NULL !== undefined;
  if (left.SS !== undefined) return right.SS !== undefined && sameMembers(left.SS, right.SS, (member) => member);
  if (left.NS !== undefined) return right.NS !== undefined && sameMembers(left.NS, right.NS, numberKey);
  if (left.BS !== undefined) return right.BS !== undefined && sameMembers(left.BS, right.BS, (member) => Buffer.from(member).toString('base64'));
  if (left.L !== undefined) {
    const list = right.L;
    return list !== undefined && list.length === left.L.length && left.L.every((element, index) => sameAttributeValue(element, list[index]));
  }
  if (left.M !== undefined) return right.M !== undefined && sameItem(left.M, right.M);
  return false;
}

function sameNumber(left: string, right: string): boolean {
  return left === right || numberKey(left) === numberKey(right);
}

function numberKey(text: string): string {
  try {
    return normalizeNumber(text);
  } catch {
    return text; // not a number DynamoDB would store; compare as written
  }
}

function sameMembers<T>(left: readonly T[], right: readonly T[], key: (member: T) => string): boolean {
  if (left.length !== right.length) return false;
  const keys = new Set(left.map(key));
  return right.every((member) => keys.has(key(member)));
}
