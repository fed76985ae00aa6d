import type { AttributeValue, WriteRequest } from '@aws-sdk/client-dynamodb';
import { CiphertextMemo } from './ciphertext-memo';
import type { TableInfo } from './table-info';

/**
 * Remembers the ciphertext of Put items the caller passed in (see CiphertextMemo): when
 * unprocessed items come back as those same objects and are sent again, their ciphertext is
 * reused instead of encrypting, and calling KMS, a second time.
 */
export class UnprocessedWrites extends CiphertextMemo {}

/** Identifies a write request by table and primary key, as DynamoDB echoes requests back. */
export function writeKey(table: TableInfo, request: WriteRequest): string {
  const item = request.PutRequest?.Item ?? request.DeleteRequest?.Key ?? {};
  const kind = request.PutRequest === undefined ? 'delete' : 'put';
  const keyNames = [table.primaryIndex.partition, table.primaryIndex.sort].filter((name): name is string => name !== undefined);
  return JSON.stringify([table.name, kind, ...keyNames.map((name) => keyText(item[name]))]);
}

function keyText(value: AttributeValue | undefined): string {
  if (value === undefined) return '';
  if (value.S !== undefined) return `S${value.S}`;
  if (value.N !== undefined) return `N${value.N}`;
  if (value.B !== undefined) return `B${Buffer.from(value.B).toString('base64')}`;
  return '?';
}
