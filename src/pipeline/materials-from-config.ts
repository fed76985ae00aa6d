import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { TableInfo } from '../encrypted/table-info';
import { AwsKmsMaterialsProvider } from '../providers/aws-kms-provider';
import type { CryptographicMaterialsProvider } from '../providers/cryptographic-materials-provider';
import { MetaStore } from '../providers/meta-store';
import { MostRecentProvider } from '../providers/most-recent-provider';
import type { MaterialsConfig, TableConfig } from './pipeline-config';

export interface AwsClients {
  readonly dynamoDb: DynamoDBClient;
  readonly kms: KMSClient;
}

/** The materials provider a pipeline configuration names: Direct KMS, or MostRecent over a KMS-protected MetaStore. */
export function materialsProviderFor(materials: MaterialsConfig, clients: AwsClients): CryptographicMaterialsProvider {
  if (materials.kind === 'direct-kms') return kmsProviderFor(materials, clients);
  return new MostRecentProvider({ providerStore: metaStoreFor(materials, clients), materialName: materials.materialName, versionTtlMs: materials.versionTtlMs });
}

/** The MetaStore of most-recent materials, its versions protected by the configured KMS key. */
export function metaStoreFor(materials: Extract<MaterialsConfig, { kind: 'most-recent' }>, clients: AwsClients): MetaStore {
  return new MetaStore({ tableName: materials.metaStoreTableName, materialsProvider: kmsProviderFor(materials, clients), dynamoDbClient: clients.dynamoDb });
}

function kmsProviderFor(materials: MaterialsConfig, clients: AwsClients): AwsKmsMaterialsProvider {
  return new AwsKmsMaterialsProvider({ keyId: materials.kmsKeyId, kmsClient: clients.kms, allowedKeyIds: materials.allowedKmsKeyIds });
}

/** The table's TableInfo when the configuration names its keys (no DescribeTable needed), else undefined. */
export function tableInfoFor(table: TableConfig): TableInfo | undefined {
  if (table.partitionKeyName === undefined) return undefined;
  return new TableInfo({ name: table.tableName, primaryIndex: { partition: table.partitionKeyName, sort: table.sortKeyName } });
}
