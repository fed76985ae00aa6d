/**
 * What to do about an AWS failure, by its name: the SDK's messages say what happened, not which
 * flag or setting of ddbec would fix it.
 */

export type AwsService = 'DynamoDB' | 'KMS';

export interface AwsFailure {
  readonly name: string;
  readonly message: string;
  /** The Node error code of a network failure (ECONNREFUSED...), when there is one. */
  readonly code?: string;
}

/** Failures to connect at all: nothing about the request, everything about where it was sent. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'TimeoutError']);
const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException', 'LimitExceededException']);

const ENDPOINT_SETTINGS: Readonly<Record<AwsService, string>> = {
  DynamoDB: '--endpoint-url (or AWS_ENDPOINT_URL_DYNAMODB)',
  KMS: '--kms-endpoint-url (or AWS_ENDPOINT_URL_KMS)',
};

export function isUnreachable(nameOrCode: string | undefined): boolean {
  return nameOrCode !== undefined && UNREACHABLE.has(nameOrCode);
}

/** The hint for a service that could not be reached: which service, and the settings that say where it is. */
export function unreachableHint(service: AwsService): string {
  return `check ${ENDPOINT_SETTINGS[service]}, --region and the network`;
}

/** The whole line for a failure ddbec knows what to say about, or undefined. */
export function explainAwsFailure({ name, message, code }: AwsFailure, service: AwsService, tableName?: string): string | undefined {
  const text = singleLine(message);
  if (isUnreachable(code) || isUnreachable(name)) return `cannot reach ${service} (${text}): ${unreachableHint(service)}`;
  if (THROTTLING.has(name)) {
    const capacity = service === 'KMS' ? 'ask for a higher KMS request quota' : "raise the table's capacity (or make it on-demand)";
    const table = tableName === undefined ? '' : ` (table "${tableName}")`;
    return `${service} throttled the requests beyond the SDK's retries (${name})${table}: lower --rate or --concurrency, or ${capacity}`;
  }
  switch (name) {
    case 'ResourceNotFoundException':
      return `${text} (ResourceNotFoundException): check --table (or DDBEC_TABLE_NAME), --region and --endpoint-url`;
    case 'CredentialsProviderError':
      return `no AWS credentials found (CredentialsProviderError): set AWS_PROFILE or --profile, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run where a role is available`;
    case 'AccessDeniedException':
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'ExpiredTokenException':
      return `AWS refused the request (${name}): ${text}`;
    case 'NotFoundException':
      return `KMS key not found (NotFoundException): ${text}; check --kms-key-id and --allowed-kms-key-ids`;
    case 'DisabledException':
    case 'KMSInvalidStateException':
      return `the KMS key cannot be used (${name}): ${text}`;
    default:
      return undefined;
  }
}

export function singleLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
