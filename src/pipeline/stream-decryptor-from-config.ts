import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { EncryptedClient } from '../encrypted/encrypted-client';
import type { TableCrypto } from '../encrypted/table-crypto';
import { InvalidArgumentError } from '../errors';
import type { CryptographicMaterialsProvider } from '../providers/cryptographic-materials-provider';
import { fanOutTargetsFor } from './fan-out-targets';
import { SqsTarget } from './fan-out-sqs';
import { materialsProviderFor, tableInfoFor, type AwsClients } from './materials-from-config';
import type { StreamConfig } from './pipeline-config';
import { StreamDecryptor, type StreamTables } from './stream-decryptor';

export interface StreamPipelineClients extends AwsClients {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly eventBridge: EventBridgeClient;
}

export interface StreamDecryptorOverrides {
  /** Instead of the provider the configuration names (tests, or a provider built elsewhere). */
  readonly materialsProvider?: CryptographicMaterialsProvider;
  readonly decryptConcurrency?: number;
}

/** The StreamDecryptor a stream configuration describes: its table, materials, targets, dead-letter queue and policy. */
export function streamDecryptorFor(config: StreamConfig, clients: StreamPipelineClients, overrides: StreamDecryptorOverrides = {}): StreamDecryptor {
  const materialsProvider = overrides.materialsProvider ?? materialsProviderFor(config.materials, clients);
  const tableInfo = tableInfoFor(config.table);
  const encryptedClient = new EncryptedClient({
    client: clients.dynamoDb,
    materialsProvider,
    attributeActions: config.attributeActions,
    tableInfos: tableInfo === undefined ? [] : [tableInfo],
  });
  return new StreamDecryptor({
    tables: configuredTableOnly(config.table.tableName, encryptedClient),
    targets: fanOutTargetsFor(config.targets, clients),
    deadLetter: new SqsTarget(clients.sqs, config.deadLetterQueueUrl),
    plaintextRecords: config.plaintextRecords,
    decryptConcurrency: overrides.decryptConcurrency,
  });
}

/**
 * The attribute actions and materials are configured for one table. A record from any other
 * table (an event source mapping pointed at the wrong stream) would be decrypted with someone
 * else's settings, so it is refused, which dead-letters it with the reason.
 */
function configuredTableOnly(tableName: string, tables: StreamTables): StreamTables {
  return {
    tableCrypto(recordTable: string): Promise<TableCrypto> {
      if (recordTable !== tableName) {
        return Promise.reject(
          new InvalidArgumentError(`the record comes from a table this stream fan-out is not configured for (it is configured for "${tableName}")`, {
            tableName: recordTable,
          }),
        );
      }
      return tables.tableCrypto(recordTable);
    },
  };
}
