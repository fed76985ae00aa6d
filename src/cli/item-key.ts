import type { TableInfo } from '../encrypted/table-info';
import type { DynamoDbItem } from '../format/attribute-value';
import { nativeJson } from './native-json';

/**
 * An item's primary key as native JSON (`{"pk":"a","sk":1}`), the form `describe --key`
 * takes. Key attributes are signed, never encrypted, so printing them reveals no protected
 * value; nothing else of a bad item is ever printed.
 */
export function itemKeyText(item: Readonly<DynamoDbItem>, tableInfo: TableInfo): string {
  return nativeJson(primaryKey(item, tableInfo));
}

export function primaryKey(item: Readonly<DynamoDbItem>, tableInfo: TableInfo): DynamoDbItem {
  const { partition, sort } = tableInfo.primaryIndex;
  const key: DynamoDbItem = {};
  for (const name of [partition, sort]) if (name !== undefined && item[name] !== undefined) key[name] = item[name];
  return key;
}
