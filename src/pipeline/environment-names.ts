/**
 * The environment variables the pipeline handlers read and the CDK construct writes: one list,
 * imported by both sides, so that a rename cannot leave them disagreeing.
 */
export const EnvironmentNames = {
  /** The encrypted table. */
  TABLE_NAME: 'DDBEC_TABLE_NAME',
  /**
   * The table's partition and sort key names, for a table without secondary indexes (stated with
   * SECONDARY_INDEXES `none`): then no DescribeTable permission is needed. Otherwise the handlers
   * learn every index key with DescribeTable, so that each stays signed, never encrypted.
   */
  PARTITION_KEY_NAME: 'DDBEC_PARTITION_KEY_NAME',
  SORT_KEY_NAME: 'DDBEC_SORT_KEY_NAME',
  /** `none`: the table has no secondary index. Required with PARTITION_KEY_NAME. */
  SECONDARY_INDEXES: 'DDBEC_SECONDARY_INDEXES',
  /** `direct-kms` or `most-recent`. */
  MATERIALS: 'DDBEC_MATERIALS',
  /** The KMS key that protects new items (direct-kms) or the MetaStore's versions (most-recent). */
  KMS_KEY_ID: 'DDBEC_KMS_KEY_ID',
  /** Comma-separated KMS keys items may be wrapped under (strict mode); older keys after the current one. */
  ALLOWED_KMS_KEY_IDS: 'DDBEC_ALLOWED_KMS_KEY_IDS',
  /** most-recent: the MetaStore table, the material name and how long a version is used. */
  META_STORE_TABLE_NAME: 'DDBEC_META_STORE_TABLE_NAME',
  MATERIAL_NAME: 'DDBEC_MATERIAL_NAME',
  VERSION_TTL_MS: 'DDBEC_VERSION_TTL_MS',
  /** JSON: `{"default": "ENCRYPT_AND_SIGN", "attributes": {"name": "SIGN_ONLY"}}`. */
  ATTRIBUTE_ACTIONS: 'DDBEC_ATTRIBUTE_ACTIONS',
  /** Ingest: `true` to write with a conditional PutItem that never overwrites. */
  CREATE_ONLY: 'DDBEC_CREATE_ONLY',
  /** Stream fan-out targets, comma-separated. */
  TARGET_QUEUE_URLS: 'DDBEC_TARGET_QUEUE_URLS',
  TARGET_TOPIC_ARNS: 'DDBEC_TARGET_TOPIC_ARNS',
  /**
   * EventBridge buses by ARN (the construct writes ARNs) or by name. A name means a bus of the
   * function's own account and region; an ARN reaches a bus of another account or region.
   */
  TARGET_EVENT_BUS_NAMES: 'DDBEC_TARGET_EVENT_BUS_NAMES',
  /** Where records that fail verification go (an SQS queue URL). */
  DEAD_LETTER_QUEUE_URL: 'DDBEC_DEAD_LETTER_QUEUE_URL',
  /** Re-encryption: capacity units per second one segment may consume (unlimited when unset). */
  READ_CAPACITY_PER_SECOND: 'DDBEC_READ_CAPACITY_PER_SECOND',
  WRITE_CAPACITY_PER_SECOND: 'DDBEC_WRITE_CAPACITY_PER_SECOND',
  /** Re-encryption: an attribute every writer increments, used in the write condition of plaintext items too large to compare value by value. */
  VERSION_ATTRIBUTE: 'DDBEC_VERSION_ATTRIBUTE',
  /** Stream records of never-encrypted items: `pass-through` or `dead-letter`. */
  PLAINTEXT_RECORDS: 'DDBEC_PLAINTEXT_RECORDS',
} as const;

export type EnvironmentName = (typeof EnvironmentNames)[keyof typeof EnvironmentNames];
