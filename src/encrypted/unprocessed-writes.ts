import type { AttributeValue, WriteRequest } from '@aws-sdk/client-dynamodb';
import type { DynamoDbItem } from '../format/attribute-value';
import type { TableInfo } from './table-info';

/**
 * Remembers the ciphertext of Put items the caller passed in, keyed by the caller's own item
 * object: when unprocessed items come back (as those same objects) and are sent again, their
 * ciphertext is reused instead of encrypting, and calling KMS, a second time. Weakly held, so
 * items the caller drops are forgotten.
 */
export class UnprocessedWrites {
  private readonly ciphertexts = new WeakMap<object, Promise<DynamoDbItem>>();

  encryptOnce(item: DynamoDbItem, encrypt: () => Promise<DynamoDbItem>): Promise<DynamoDbItem> {
    let encrypted = this.ciphertexts.get(item);
    if (encrypted === undefined) {
      encrypted = encrypt();
      this.ciphertexts.set(item, encrypted);
      // A failed encryption is not remembered: the next attempt tries again.
      encrypted.catch(() => this.ciphertexts.delete(item));
    }
    return encrypted;
  }
}

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
