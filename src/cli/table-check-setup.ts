import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { TableCrypto } from '../encrypted/table-crypto';
import type { TableInfo } from '../encrypted/table-info';
import { materialsProviderFor } from '../pipeline/materials-from-config';
import type { ReEncryptConfig } from '../pipeline/pipeline-config';
import { progressReporter } from './progress';
import { describeTable } from './table-description';

/**
 * What `export` and `verify` both need before scanning: the table's keys, its crypto
 * configuration, and a progress reporter sized by its (estimated) item count.
 */
export async function tableCheckSetup(
  verb: string,
  config: ReEncryptConfig,
  clients: { readonly dynamoDb: DynamoDBClient; readonly kms: KMSClient },
  progressIntervalSeconds: number,
): Promise<{ tableInfo: TableInfo; crypto: TableCrypto; progress: ReturnType<typeof progressReporter> }> {
  const { tableInfo, estimatedItemCount } = await describeTable(clients.dynamoDb, config.table.tableName);
  const crypto = new TableCrypto(tableInfo, materialsProviderFor(config.materials, clients), config.attributeActions);
  const progress = progressReporter({ label: `${verb} ${tableInfo.name}`, estimatedTotal: estimatedItemCount, intervalSeconds: progressIntervalSeconds });
  return { tableInfo, crypto, progress };
}
