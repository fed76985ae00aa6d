import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { regionalKmsClients, type AwsClients } from '../pipeline/materials-from-config';

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

/**
 * The clients of one command. KMS calls go to the region of the key ARN they name (a key of
 * another region, allowed keys of several regions during a rotation), as in the Lambda
 * handlers; key ids and aliases go to `--region` (or the SDK's default region).
 */
export function awsClients(flags: ConnectionFlags): AwsClients & { destroy(): void } {
  const made: Array<{ destroy(): void }> = [];
  const dynamoDb = dynamoDbClient(flags);
  made.push(dynamoDb);
  const kms = regionalKmsClients((region) => {
    const client = kmsClient({ ...flags, region: region ?? flags.region });
    made.push(client);
    return client;
  }, flags.region);
  return { dynamoDb, ...kms, destroy: () => made.forEach((client) => client.destroy()) };
}
