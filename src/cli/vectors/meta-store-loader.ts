import {
  DeleteTableCommand,
  DynamoDBClient,
  PutItemCommand,
  ResourceNotFoundException,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import type { CryptographicMaterialsProvider } from '../../providers/cryptographic-materials-provider';
import { MetaStore } from '../../providers/meta-store';
import { MostRecentProvider } from '../../providers/most-recent-provider';
import type { MetaStoreScenario } from './scenarios';
import { readCiphertextFile } from './vector-files';

/**
 * Loads a scenario's MetaStore items into a real MetaStore table (DynamoDB Local under
 * scripts/with-local-aws) and reads the data items through `MostRecentProvider`, as an
 * application would. The table must carry the scenario's exact name: it is signed into the
 * version items.
 */
export interface LoadedMetaStore {
  readonly provider: CryptographicMaterialsProvider;
  /** Drops the table again. */
  readonly unload: () => Promise<void>;
}

export async function loadMetaStore(
  client: DynamoDBClient,
  metaStore: MetaStoreScenario,
  materialName: string,
  metaProvider: CryptographicMaterialsProvider,
): Promise<LoadedMetaStore> {
  await dropTable(client, metaStore.tableName);
  await MetaStore.createTable(client, metaStore.tableName, { maxWaitSeconds: 60 });
  for (const item of Object.values(readCiphertextFile(metaStore.ciphertextFile)).flat()) {
    await client.send(new PutItemCommand({ TableName: metaStore.tableName, Item: item }));
  }
  const store = new MetaStore({ tableName: metaStore.tableName, materialsProvider: metaProvider, dynamoDbClient: client });
  return {
    provider: new MostRecentProvider({ providerStore: store, materialName, versionTtlMs: 60_000 }),
    unload: () => dropTable(client, metaStore.tableName),
  };
}

async function dropTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException || (error as { name?: string }).name === 'ResourceNotFoundException') return;
    throw error;
  }
  await waitUntilTableNotExists({ client, minDelay: 1, maxDelay: 2, maxWaitTime: 60 }, { TableName: tableName });
}
