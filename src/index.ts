/**
 * The TypeScript DynamoDB Encryption Client: client-side encryption and signing of DynamoDB
 * items, byte-compatible with the Python and Java DynamoDB Encryption Client.
 */
export * from './errors';
export type { AttributeValue, DynamoDbItem, CanonicalOrdering } from './format/attribute-value';
export { serializeAttribute } from './format/attribute-serializer';
export { deserializeAttribute } from './format/attribute-deserializer';
export { serializeMaterialDescription, deserializeMaterialDescription } from './format/material-description';
export { MaterialDescriptionKeys, ReservedAttributes } from './format/material-description-keys';
export { normalizeNumber } from './format/number-normalizer';

export { LocalKey } from './crypto/local-key';
export type { LocalKeyOptions } from './crypto/local-key';

export { CryptoAction } from './encryptor/crypto-action';
export { AttributeActions, type AttributeActionsOptions } from './encryptor/attribute-actions';
export type { EncryptionContext } from './encryptor/encryption-context';
export type { CryptoConfig } from './encryptor/crypto-config';
export { encryptDynamoDbItem, decryptDynamoDbItem } from './encryptor/item-encryptor';
export { encryptItem, decryptItem, type NativeItem, type NativeItemOptions } from './encryptor/native-item-encryptor';

export type { EncryptionMaterials, DecryptionMaterials } from './materials/cryptographic-materials';
export {
  RawEncryptionMaterials,
  RawDecryptionMaterials,
  type RawEncryptionMaterialsOptions,
  type RawDecryptionMaterialsOptions,
} from './materials/raw-materials';

export type { CryptographicMaterialsProvider } from './providers/cryptographic-materials-provider';
export { StaticMaterialsProvider, type StaticMaterialsProviderOptions } from './providers/static-provider';
export { WrappedMaterialsProvider, type WrappedMaterialsProviderOptions } from './providers/wrapped-provider';
export { AwsKmsMaterialsProvider, KmsDecryptionMaterials, type AwsKmsMaterialsProviderOptions } from './providers/aws-kms-provider';
export { MetaStore, type MetaStoreOptions, type CreateMetaStoreTableOptions } from './providers/meta-store';
export { MostRecentProvider, GRACE_PERIOD_MS, type MostRecentProviderOptions } from './providers/most-recent-provider';
export { NoKnownVersionError, VersionedMaterialsProvider, type ProviderStore } from './providers/provider-store';
export { InvalidMetaStoreItemError } from './providers/meta-store-material';
export { TableInfo, type TableInfoOptions, type TableIndex, type SecondaryIndex } from './encrypted/table-info';
export { EncryptedClient, type EncryptedClientOptions, type BatchWriteAllOptions } from './encrypted/encrypted-client';
export {
  EncryptedDocumentClient,
  type EncryptedDocumentClientOptions,
  type EncryptedDocumentClientFromOptions,
} from './encrypted/encrypted-document-client';
export {
  EncryptedTable,
  type EncryptedTableOptions,
  type SharedClientEncryptedTableOptions,
  type TablePutItemOptions,
  type TableGetItemOptions,
  type TableDeleteItemOptions,
  type TableUpdateItemOptions,
  type TableQueryOptions,
  type TableScanOptions,
} from './encrypted/encrypted-table';
export type { BatchGetAllOptions } from './encrypted/batch-get-all';
export type { NativeAttributeMap } from './encrypted/document-translation';

// Pipelines: engines usable from a Lambda, the CLI or a container.
export { EnvironmentNames } from './pipeline/environment-names';
export {
  ConfigurationError,
  readIngestConfig,
  readReEncryptConfig,
  readStreamConfig,
  type IngestConfig,
  type ReEncryptConfig,
  type StreamConfig,
  type MaterialsConfig,
  type PipelineConfig,
} from './pipeline/pipeline-config';
export { materialsProviderFor, tableInfoFor } from './pipeline/materials-from-config';
export { IngestWriter, type IngestWriterOptions, type IngestWriteOptions, type IngestValidation } from './pipeline/ingest-writer';
export { IngestItemsNotWrittenError, type IngestFailure, type IngestResult } from './pipeline/ingest-failure';
export { IngestEventError } from './pipeline/ingest-event';
export { StreamDecryptor, type StreamDecryptorOptions, type StreamBatchResult, type DeadLetteredRecord } from './pipeline/stream-decryptor';
export { streamDecryptorFor } from './pipeline/stream-decryptor-from-config';
export { MalformedStreamEventError, MalformedStreamRecordError, PlaintextRecordError, MessageTooLargeError, DeliveryError } from './pipeline/stream-errors';
export { SqsTarget } from './pipeline/fan-out-sqs';
export { SnsTarget } from './pipeline/fan-out-sns';
export { EventBridgeTarget, STREAM_EVENT_SOURCE } from './pipeline/fan-out-eventbridge';
export type { FanOutTarget, FanOutMessage } from './pipeline/fan-out-target';
export type { StreamMessage, DeadLetterMessage } from './pipeline/stream-message';
export { ScanReEncryptor, type ScanReEncryptorOptions, type SegmentRunOptions, type ReEncryptSegmentResult } from './pipeline/scan-reencryptor';
export {
  kmsKeyClassifier,
  mostRecentVersionClassifier,
  descriptionEntryClassifier,
  type MaterialsClassifier,
  type ObservedMaterials,
} from './pipeline/reencrypt-classifier';
export { ReEncryptRequestError, ConditionTooLargeError, ReEncryptSegmentError, CapacityExhaustedError, ItemFilterError } from './pipeline/reencrypt-errors';
