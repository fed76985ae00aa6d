import { kmsClientFor, materialsProviderFor, metaStoreFor, tableInfoFor, type AwsClients } from './materials-from-config';
import type { ReEncryptConfig } from './pipeline-config';
import { kmsKeyClassifier, mostRecentVersionClassifier, type MaterialsClassifier } from './reencrypt-classifier';
import { ScanReEncryptor, type ScanReEncryptorOptions } from './scan-reencryptor';

/**
 * The re-encryptor a pipeline configuration describes. The one provider both decrypts (Direct
 * KMS with the allowed keys, or MostRecent reading any version) and encrypts (the current key,
 * or the newest version); the classifier matches it: the key ARN KMS reports, or the
 * MetaStore's newest version.
 */
export function reEncryptorFromConfig(
  config: ReEncryptConfig,
  clients: AwsClients,
  options: Partial<Omit<ScanReEncryptorOptions, 'client' | 'table' | 'materialsProvider' | 'classifier' | 'attributeActions'>> = {},
): ScanReEncryptor {
  return new ScanReEncryptor({
    readCapacityPerSecond: config.readCapacityPerSecond,
    writeCapacityPerSecond: config.writeCapacityPerSecond,
    versionAttribute: config.versionAttribute,
    ...options,
    client: clients.dynamoDb,
    // Without key names in the configuration, DescribeTable also finds the index keys to keep signed.
    table: tableInfoFor(config.table) ?? config.table.tableName,
    materialsProvider: materialsProviderFor(config.materials, clients),
    classifier: classifierFor(config, clients),
    attributeActions: config.attributeActions,
  });
}

function classifierFor(config: ReEncryptConfig, clients: AwsClients): MaterialsClassifier {
  const { materials } = config;
  if (materials.kind === 'direct-kms') return kmsKeyClassifier({ keyId: materials.kmsKeyId, kmsClient: kmsClientFor(materials.kmsKeyId, clients) });
  // Only maxVersion is asked of this store: the provider that protects the versions is never called here.
  return mostRecentVersionClassifier({ providerStore: metaStoreFor(materials, clients), materialName: materials.materialName });
}
