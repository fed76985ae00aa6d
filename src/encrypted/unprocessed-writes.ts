import type { AttributeValue, WriteRequest } from '@aws-sdk/client-dynamodb';
import type { DynamoDbItem } from '../format/attribute-value';
import type { TableInfo } from './table-info';

/**
 * Remembers the ciphertext of Put items the caller passed in, keyed by the caller's own item
 * object: when unprocessed items come back (as those same objects) and are sent again, their
 * ciphertext is reused instead of encrypting, and calling KMS, a second time. The plaintext is
 * remembered too, as a fingerprint: an object changed since is encrypted afresh, never written
 * with its old content. Weakly held, so items the caller drops are forgotten.
 */
export class UnprocessedWrites {
  /** Per item object, per table: the table name is signed, so each table needs its own ciphertext. */
  private readonly ciphertexts = new WeakMap<object, Map<string, { fingerprint: string; encrypted: Promise<DynamoDbItem> }>>();

  encryptOnce(tableName: string, item: DynamoDbItem, encrypt: () => Promise<DynamoDbItem>): Promise<DynamoDbItem> {
    const fingerprint = fingerprintOf(item);
    let byTable = this.ciphertexts.get(item);
    if (byTable === undefined) {
      byTable = new Map();
      this.ciphertexts.set(item, byTable);
    }
    const known = byTable.get(tableName);
    if (known !== undefined && known.fingerprint === fingerprint) return known.encrypted;
    const encrypted = encrypt();
    const entries = byTable;
    entries.set(tableName, { fingerprint, encrypted });
    // A failed encryption is not remembered: the next attempt tries again.
    encrypted.catch(() => {
      if (entries.get(tableName)?.encrypted === encrypted) entries.delete(tableName);
    });
    return encrypted;
  }
}

/** A text equal for two items exactly when their attribute values are. */
export function fingerprintOf(item: DynamoDbItem): string {
  return JSON.stringify(item, (_key, value: unknown) =>
    value instanceof Uint8Array ? `bytes:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}` : value,
  );
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
