import { createHmac, randomBytes } from 'node:crypto';
import type { DynamoDbItem } from '../format/attribute-value';

interface Ciphertext {
  /** A keyed digest of the plaintext it was made from: tells a changed item without holding its content. */
  readonly digest: string;
  readonly encrypted: Promise<DynamoDbItem>;
}

/**
 * Remembers the ciphertext of item objects the caller passed in, so that sending one of them
 * again (an unprocessed BatchWriteItem leftover, a TransactWriteItems retried under its token)
 * sends the very bytes sent before, without encrypting, and calling KMS, a second time.
 *
 * No plaintext is held: items are weak keys (the caller's own objects, forgotten with them), and
 * a change to an object since is told by an HMAC of its values under a key of this instance; a
 * changed object is encrypted afresh, never written with its old content.
 */
export class CiphertextMemo {
  /** Per item object, per table: the table name is signed, so each table needs its own ciphertext. */
  private readonly ciphertexts = new WeakMap<object, Map<string, Ciphertext>>();
  private readonly digestKey = randomBytes(32);

  encryptOnce(tableName: string, item: DynamoDbItem, encrypt: () => Promise<DynamoDbItem>): Promise<DynamoDbItem> {
    const digest = createHmac('sha256', this.digestKey).update(fingerprintOf(item)).digest('base64');
    let byTable = this.ciphertexts.get(item);
    if (byTable === undefined) {
      byTable = new Map();
      this.ciphertexts.set(item, byTable);
    }
    const known = byTable.get(tableName);
    if (known !== undefined && known.digest === digest) return known.encrypted;
    const encrypted = encrypt();
    const entries = byTable;
    entries.set(tableName, { digest, encrypted });
    // A failed encryption is not remembered: the next attempt tries again.
    encrypted.catch(() => {
      if (entries.get(tableName)?.encrypted === encrypted) entries.delete(tableName);
    });
    return encrypted;
  }
}

/** A text equal for two items exactly when their attribute values are. */
function fingerprintOf(item: DynamoDbItem): string {
  return JSON.stringify(item, (_key, value: unknown) =>
    value instanceof Uint8Array ? `bytes:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}` : value,
  );
}
