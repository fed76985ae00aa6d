import { SignatureVerificationError } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';
import type { TableCrypto } from './table-crypto';

/** An object of a DynamoDB error that carries a stored item: the error itself, or one cancellation reason. */
export interface ReturnedItemHolder {
  Item?: unknown;
}

/**
 * With `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`, DynamoDB returns the stored item inside
 * the error of a failed condition: `ConditionalCheckFailedException.Item`, or
 * `TransactionCanceledException.CancellationReasons[i].Item` for the i-th transaction item.
 * Matched by name, not class: the error may come from another copy of the SDK.
 */
export function returnedItemHolders(error: unknown): Array<{ holder: ReturnedItemHolder; index: number }> {
  if (typeof error !== 'object' || error === null) return [];
  const { name } = error as { name?: unknown };
  if (name === 'ConditionalCheckFailedException') return withItem([error as ReturnedItemHolder]);
  if (name === 'TransactionCanceledException') {
    const reasons = (error as { CancellationReasons?: unknown }).CancellationReasons;
    return Array.isArray(reasons) ? withItem(reasons as ReturnedItemHolder[]) : [];
  }
  return [];
}

function withItem(holders: Array<ReturnedItemHolder | undefined>): Array<{ holder: ReturnedItemHolder; index: number }> {
  return holders.flatMap((holder, index) => (holder?.Item === undefined ? [] : [{ holder, index }]));
}

/**
 * Awaits a request and, when it fails with a condition failure carrying stored items, verifies
 * and decrypts them in place before rethrowing the very same error, so that `error.name` and
 * `instanceof` checks keep working. `tableAt(i)` is the table of the i-th transaction item (any
 * `i` for a single-item request).
 *
 * An item that does not verify is never handed out, not even as ciphertext: every returned item
 * is removed from the error, which becomes the cause of a `SignatureVerificationError`. Other
 * failures to open the item (KMS unreachable, a key that cannot be unwrapped...) are thrown as
 * they are, typed, after the items are removed likewise.
 */
export async function decryptingConditionFailure<T>(request: Promise<T>, tableAt: (index: number) => TableCrypto | undefined): Promise<T> {
  try {
    return await request;
  } catch (error) {
    throw await withDecryptedItems(error, tableAt);
  }
}

async function withDecryptedItems(error: unknown, tableAt: (index: number) => TableCrypto | undefined): Promise<unknown> {
  const holders = returnedItemHolders(error);
  if (holders.length === 0) return error;
  try {
    // All opened before any is put in place, so that a failure leaves no item half-replaced.
    const plaintexts = await Promise.all(holders.map(({ holder, index }) => openItem(holder, tableAt(index))));
    holders.forEach(({ holder }, position) => (holder.Item = plaintexts[position]));
    return error;
  } catch (failure) {
    for (const { holder } of holders) holder.Item = undefined;
    if (!(failure instanceof SignatureVerificationError)) return failure;
    return new SignatureVerificationError(
      'the item DynamoDB returned with the failed condition (ReturnValuesOnConditionCheckFailure) does not verify, so it is left out; ' +
        "the condition failure is this error's cause",
      { tableName: failure.tableName, attributeName: failure.attributeName },
      { cause: error },
    );
  }
}

async function openItem(holder: ReturnedItemHolder, table: TableCrypto | undefined): Promise<DynamoDbItem> {
  if (table === undefined) throw new SignatureVerificationError('DynamoDB returned an item for a transaction item that names no table');
  return table.decrypt(holder.Item as DynamoDbItem);
}
