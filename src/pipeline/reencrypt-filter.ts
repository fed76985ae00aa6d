import type { AttributeValue, DynamoDbItem } from '../format/attribute-value';
import { ItemFilterError } from './reencrypt-errors';
import { sameAttributeValue } from './reencrypt-item-equality';

/** Process only items whose (plaintext or decrypted) attribute equals a value. */
export interface AttributeEqualsFilter {
  readonly attribute: string;
  /** A string (S), number (N, compared by value), boolean (BOOL) or any AttributeValue. */
  readonly equals: AttributeValue | string | number | boolean;
}

/**
 * Which items to process. A function sees each item's plaintext (decrypted when it is
 * encrypted) and is never given ciphertext; items it refuses are counted `skipped` and left
 * alone, whatever materials they are under.
 */
export type ItemFilter = ((item: Readonly<DynamoDbItem>) => boolean | Promise<boolean>) | AttributeEqualsFilter;

export async function matchesFilter(item: Readonly<DynamoDbItem>, filter: ItemFilter | undefined, tableName?: string): Promise<boolean> {
  if (filter === undefined) return true;
  if (typeof filter === 'function') {
    try {
      return (await filter(item)) === true;
    } catch (error) {
      // The caller's code: its error may quote the item, so only its class is kept as the cause.
      throw new ItemFilterError(`the filter function threw ${(error as Error | undefined)?.name ?? 'a non-error'}`, { tableName });
    }
  }
  const value = item[filter.attribute];
  return value !== undefined && sameAttributeValue(value, asAttributeValue(filter.equals));
}

function asAttributeValue(value: AttributeEqualsFilter['equals']): AttributeValue {
  switch (typeof value) {
    case 'string':
      return { S: value };
    case 'number':
      return { N: String(value) };
    case 'boolean':
      return { BOOL: value };
    default:
      return value;
  }
}
