import { DynamoDbEncryptionError } from '../errors';
import { ReEncryptSegmentError } from '../pipeline/reencrypt-errors';
import { ConfigurationError } from '../pipeline/pipeline-config';
import { CliError, ExitCodes, ResumableFailure } from './cli-error';
import { flagForVariable } from './cli-config';

/**
 * Turns any failure into the one line `ddbec: error: ...` the user sees. Messages of the
 * library's errors are already safe to print (they name attributes and tables, never values);
 * AWS errors are recognised by name and explained with what to do about them.
 */
export function errorLine(error: unknown): string {
  if (error instanceof ResumableFailure) return `ddbec: error: ${describeError(error.failure)}; progress saved: resume with --checkpoint ${error.checkpointPath}`;
  return `ddbec: error: ${describeError(error)}`;
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof ResumableFailure) return exitCodeFor(error.failure);
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof ConfigurationError) return ExitCodes.USAGE;
  return ExitCodes.FAILURE;
}

function describeError(error: unknown): string {
  if (error instanceof CliError) return error.message;
  if (error instanceof ConfigurationError) {
    const flags = [...new Set(error.problems.flatMap((problem) => variablesIn(problem).map(flagForVariable).filter((flag): flag is string => flag !== undefined)))];
    const hint = flags.length === 0 ? '' : ` (set with ${flags.join(', ')} or in the --config file)`;
    return `${error.message}${hint}`;
  }
  // The most telling failure is usually the innermost AWS one (a segment error wraps a KMS
  // error which wraps AccessDeniedException): explain that one, keeping the library's context.
  const awsFailure = innermostAwsFailure(error);
  if (awsFailure !== undefined) {
    const explained = explainAwsFailure(awsFailure);
    if (explained !== undefined) return explained;
  }
  const libraryFailure = innermostLibraryFailure(error);
  if (libraryFailure !== undefined) {
    const awsName = awsFailure?.name;
    return awsName === undefined || libraryFailure.message.includes(awsName) ? singleLine(libraryFailure.message) : `${singleLine(libraryFailure.message)} (${awsName})`;
  }
  if (error instanceof Error) return `${error.name === 'Error' ? '' : `${error.name}: `}${singleLine(error.message)}`;
  return singleLine(String(error));
}

function variablesIn(problem: string): string[] {
  return problem.match(/DDBEC_[A-Z_]+/g) ?? [];
}

/**
 * The innermost error of the library in the cause chain, past the segment error that only says
 * which segment stopped: its message says what went wrong with which table or attribute.
 */
function innermostLibraryFailure(error: unknown): DynamoDbEncryptionError | undefined {
  let found: DynamoDbEncryptionError | undefined;
  for (let current = error, depth = 0; current instanceof Error && depth < 10; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof DynamoDbEncryptionError && (found === undefined || !(current instanceof ReEncryptSegmentError))) found = current;
  }
  return found;
}

interface AwsFailure {
  readonly name: string;
  readonly message: string;
}

function innermostAwsFailure(error: unknown): AwsFailure | undefined {
  let found: AwsFailure | undefined;
  for (let current = error, depth = 0; current instanceof Error && depth < 10; current = (current as { cause?: unknown }).cause, depth++) {
    if (!(current instanceof DynamoDbEncryptionError) && current.name !== 'Error') found = { name: current.name, message: current.message };
  }
  return found;
}

function explainAwsFailure({ name, message }: AwsFailure): string | undefined {
  const text = singleLine(message);
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

function singleLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
