import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import type { AwsClients } from '../pipeline/materials-from-config';

/**
 * Where the clients send requests and as whom. Unset settings are left to the SDK's own
 * chain (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_DYNAMODB / _KMS, instance roles...), so the
 * CLI behaves like every other AWS tool on the machine.
 */
export interface ConnectionFlags {
  readonly region?: string;
  readonly profile?: string;
  readonly endpointUrl?: string;
  readonly kmsEndpointUrl?: string;
}

export function dynamoDbClient(flags: ConnectionFlags): DynamoDBClient {
  return new DynamoDBClient({ region: flags.region, profile: flags.profile, endpoint: flags.endpointUrl });
}

export function kmsClient(flags: ConnectionFlags): KMSClient {
  return new KMSClient({ region: flags.region, profile: flags.profile, endpoint: flags.kmsEndpointUrl });
}

export function awsClients(flags: ConnectionFlags): AwsClients & { destroy(): void } {
  const clients = { dynamoDb: dynamoDbClient(flags), kms: kmsClient(flags) };
  return { ...clients, destroy: () => [clients.dynamoDb, clients.kms].forEach((client) => client.destroy()) };
}
