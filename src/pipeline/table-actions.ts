/**
 * The DynamoDB actions each pipeline engine sends to the encrypted table, beyond the
 * DescribeTable that `ItemEncryption`'s grants already cover: the construct grants exactly these,
 * and an integration test records what the engines really send and compares, so that a new
 * request in an engine cannot ship without its permission, nor a permission outlive its use.
 */
export const TableActions = {
  /** `IngestWriter`: BatchWriteItem chunks, or conditional PutItems when create-only. */
  ingest: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'],
  /**
   * `ScanReEncryptor`: the parallel Scan; PutItem or UpdateItem (plaintext items, and items with
   * DO_NOTHING attributes, are updated in place); GetItem to read an item again after a conflict.
   */
  reEncryption: ['dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
} as const;
