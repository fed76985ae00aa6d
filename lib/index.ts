export { CryptoAction } from '../src/encryptor/crypto-action';
export { DecryptedStream, PlaintextRecords, type DecryptedStreamOptions, type DecryptedStreamProps } from './decrypted-stream';
export { EncryptedTableConstruct, type EncryptedTableConstructProps } from './encrypted-table-construct';
export { EncryptionMaterials, type MostRecentMaterialsOptions } from './encryption-materials';
export { IngestFunction, IngestSource, type IngestFunctionOptions, type IngestFunctionProps } from './ingest-function';
export { ItemEncryption, type ItemEncryptionProps } from './item-encryption';
export { HANDLER_BUNDLING, type PipelineFunctionOptions, type PipelineHandler } from './pipeline-function';
export { ReEncryptionJob, type ReEncryptionJobOptions, type ReEncryptionJobProps } from './reencryption-job';
