import type { AttributeValue, WriteRequest } from '@aws-sdk/client-dynamodb';
import { normalizeNumber } from '../format/number-normalizer';
import { CiphertextMemo } from './ciphertext-memo';
import type { TableInfo } from './table-info';

/**
 * Remembers the ciphertext of Put items the caller passed in (see CiphertextMemo): when
 * unprocessed items come back as those same objects and are sent again, their ciphertext is
 * reused instead of encrypting, and calling KMS, a second time.
 */
export class UnprocessedWrites extends CiphertextMemo {}

/**
 * Identifies a write request by table and primary key, as DynamoDB echoes requests back, and as
 * DynamoDB compares keys: numbers by value ("1.50" and "1.5" name one item).
 */
export function writeKey(table: TableInfo, request: WriteRequest): string {
  const item = request.PutRequest?.Item ?? request.DeleteRequest?.Key ?? {};
  const kind = request.PutRequest === undefined ? 'delete' : 'put';
  const keyNames = [table.primaryIndex.partition, table.primaryIndex.sort].filter((name): name is string => name !== undefined);
  return JSON.stringify([table.name, kind, ...keyNames.map((name) => keyText(item[name]))]);
}

function keyText(value: AttributeValue | undefined): string {
  if (value === undefined) return '';
  if (value.S !== undefined) return `S${value.S}`;
  if (value.N !== undefined) return `N${numberKeyText(value.N)}`;
  if (value.B !== undefined) return `B${Buffer.from(value.B).toString('base64')}`;
  return '?';
}

function numberKeyText(text: string): string {
  try {
    return normalizeNumber(text);
  } catch {
    return text; // not a number: DynamoDB refuses the request, naming it
  }
}
