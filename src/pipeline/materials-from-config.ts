import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { TableInfo } from '../encrypted/table-info';
import { AwsKmsMaterialsProvider, onePerRegion, regionOfKeyArn } from '../providers/aws-kms-provider';
import type { CryptographicMaterialsProvider } from '../providers/cryptographic-materials-provider';
import { MetaStore } from '../providers/meta-store';
import { MostRecentProvider } from '../providers/most-recent-provider';
import type { MaterialsConfig, TableConfig } from './pipeline-config';

export interface AwsClients {
  readonly dynamoDb: DynamoDBClient;
  /** KMS in the function's own region: for keys named without a region (key ids, aliases), and every key when `kmsInRegion` is absent. */
  readonly kms: KMSClient;
  /**
   * KMS in the region of a key ARN. A KMS key is regional: a key ARN of another region (a key
   * shared across regions, allowed keys of several regions during a rotation) is known only to
   * its region's KMS. `regionalKmsClients()` makes both this and `kms`.
   * @default none: `kms` makes every call (a test's client, or one with custom settings)
   */
  readonly kmsInRegion?: (region: string) => KMSClient;
}

/**
 * A Lambda's KMS clients: `kms` in the function's own region (`AWS_REGION`) and `kmsInRegion`
 * for the region of each key ARN, one client per region, made on first use and then reused (once
 * per cold start when the handler is built once per container). Each is made by `create`, so they
 * all share its settings; the default's `new KMSClient({ region })` reads the rest from the
 * environment as usual, `AWS_ENDPOINT_URL_KMS` included (local tests).
 */
export function regionalKmsClients(
  create: (region: string | undefined) => KMSClient = (region) => new KMSClient(region === undefined ? {} : { region }),
  ownRegion: string | undefined = process.env.AWS_REGION,
): Required<Pick<AwsClients, 'kms' | 'kmsInRegion'>> {
  const inRegion = onePerRegion(create);
  return { kms: ownRegion === undefined ? create(undefined) : inRegion(ownRegion), kmsInRegion: inRegion };
}

/** The client for calls naming `keyId`: KMS in its ARN's region when the clients have one per region, else `clients.kms`. */
export function kmsClientFor(keyId: string, clients: AwsClients): KMSClient {
  const region = regionOfKeyArn(keyId);
  return region === undefined || clients.kmsInRegion === undefined ? clients.kms : clients.kmsInRegion(region);
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
  // Each KMS call goes to the region of the key it names (see AwsClients.kmsInRegion).
  return new AwsKmsMaterialsProvider({ keyId: materials.kmsKeyId, kmsClient: clients.kms, kmsClientForRegion: clients.kmsInRegion, allowedKeyIds: materials.allowedKmsKeyIds });
}

/** The table's TableInfo when the configuration names its keys (no DescribeTable needed), else undefined. */
export function tableInfoFor(table: TableConfig): TableInfo | undefined {
  if (table.partitionKeyName === undefined) return undefined;
  return new TableInfo({ name: table.tableName, primaryIndex: { partition: table.partitionKeyName, sort: table.sortKeyName } });
}
