/**
 * What one segment run did, item by item. Every scanned item ends in exactly one outcome, so
 * `scanned` = encrypted + reencrypted + alreadyCurrent + conflicts + failed + skipped + deleted.
 */
export interface ReEncryptCounts {
  /** Items the scan returned. */
  scanned: number;
  /** Were plaintext, now encrypted under the target materials (or would be, in a dry run). */
  encrypted: number;
  /** Were under older materials, now under the target ones (or would be, in a dry run). */
  reencrypted: number;
  /** Already under the target materials: not written. */
  alreadyCurrent: number;
  /** Changed by someone else on every attempt (the retry budget ran out): left as the other writer left it. */
  conflicts: number;
  /** Could not be processed (does not verify, cannot be decrypted or encrypted...): left unchanged. */
  failed: number;
  /** Filtered out: not looked at further, not written. */
  skipped: number;
  /** Deleted by someone else between the scan and the write: nothing to do. */
  deleted: number;
  /** Writes refused because the item changed since it was read, each followed by a re-read and a new attempt. */
  retried: number;
  /** Writes redone because an attribute the condition could not see was added meanwhile (see ScanReEncryptor). */
  repaired: number;
}

/** The outcomes an item can end in (the counters that add up to `scanned`). */
export type ItemOutcome = 'encrypted' | 'reencrypted' | 'alreadyCurrent' | 'conflicts' | 'failed' | 'skipped' | 'deleted';

export function emptyCounts(): ReEncryptCounts {
  return { scanned: 0, encrypted: 0, reencrypted: 0, alreadyCurrent: 0, conflicts: 0, failed: 0, skipped: 0, deleted: 0, retried: 0, repaired: 0 };
}

/** Sums counts of several runs (segments, or resumed invocations of one segment). */
export function addCounts(total: ReEncryptCounts, more: Readonly<ReEncryptCounts>): ReEncryptCounts {
  for (const name of Object.keys(total) as Array<keyof ReEncryptCounts>) total[name] += more[name];
  return total;
}
