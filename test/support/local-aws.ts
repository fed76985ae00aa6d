import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';

/**
 * Integration tests talk to DynamoDB Local and moto's KMS over HTTP, found through the
 * AWS_ENDPOINT_URL_* variables that `scripts/with-local-aws` exports (`npm test` runs jest under
 * it). Without them the tests fail with a message saying so: they must not pass by skipping.
 */
export function localAwsEndpoints(): { dynamoDb: string; kms: string } {
  const dynamoDb = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  const kms = process.env.AWS_ENDPOINT_URL_KMS;
  if (dynamoDb === undefined || kms === undefined) {
    throw new Error('integration tests need the local AWS backends: run them with `npm test` or `scripts/with-local-aws npx jest ...`');
  }
  for (const endpoint of [dynamoDb, kms]) {
    const host = new URL(endpoint).hostname;
    if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(host)) throw new Error(`refusing a non-loopback test endpoint: ${endpoint}`);
  }
  return { dynamoDb, kms };
}

export function localDynamoDbClient(): DynamoDBClient {
  localAwsEndpoints();
  return new DynamoDBClient({});
}

export function localKmsClient(): KMSClient {
  localAwsEndpoints();
  return new KMSClient({});
}

/** A table name no other test (or jest worker) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}
