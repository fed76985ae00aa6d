import { DynamoDbEncryptionError, KmsError } from '../errors';
import { ReEncryptSegmentError } from '../pipeline/reencrypt-errors';
import { ConfigurationError } from '../pipeline/pipeline-config';
import { CliError, ExitCodes, ResumableFailure } from './cli-error';
import { explainAwsFailure, isUnreachable, singleLine, unreachableHint, type AwsFailure, type AwsService } from './aws-failure-hint';
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
  const libraryFailure = innermostLibraryFailure(error);
  const service = serviceOf(error);
  // The library's KMS error already names the endpoint it could not reach: add what to change.
  if (libraryFailure instanceof KmsError && isUnreachable(libraryFailure.kmsErrorName)) return `${singleLine(libraryFailure.message)}: ${unreachableHint('KMS')}`;
  // The most telling failure is usually the innermost AWS one (a segment error wraps a KMS
  // error which wraps AccessDeniedException): explain that one, keeping the library's context.
  const awsFailure = innermostAwsFailure(error);
  if (awsFailure !== undefined) {
    // An answer with a name and no message (some endpoints and proxies) reaches us as the SDK's
    // "UnknownError": the library's message then says more (which keys, which table).
    const told = isUninformative(awsFailure.message) && libraryFailure !== undefined ? { ...awsFailure, message: libraryFailure.message } : awsFailure;
    const explained = explainAwsFailure(told, service, libraryFailure?.tableName);
    if (explained !== undefined) return explained;
  }
  if (libraryFailure !== undefined) {
    const awsName = awsFailure?.name;
    return awsName === undefined || libraryFailure.message.includes(awsName) ? singleLine(libraryFailure.message) : `${singleLine(libraryFailure.message)} (${awsName})`;
  }
  if (error instanceof Error) return `${error.name === 'Error' ? '' : `${error.name}: `}${singleLine(error.message)}`;
  return singleLine(String(error));
}

function isUninformative(message: string): boolean {
  const text = message.trim();
  return text === '' || text === 'UnknownError';
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

/**
 * The innermost failure of the SDK: one with a name of its own (AccessDeniedException...), or
 * a plain Node error carrying a network code (ECONNREFUSED...).
 */
function innermostAwsFailure(error: unknown): AwsFailure | undefined {
  let found: AwsFailure | undefined;
  for (let current = error, depth = 0; current instanceof Error && depth < 10; current = (current as { cause?: unknown }).cause, depth++) {
    const code = (current as { code?: unknown }).code;
    const networkCode = typeof code === 'string' && isUnreachable(code) ? code : undefined;
    if (!(current instanceof DynamoDbEncryptionError) && (current.name !== 'Error' || networkCode !== undefined)) found = { name: current.name, message: current.message, code: networkCode };
  }
  return found;
}

/** The CLI talks to two services; a failure of KMS always comes wrapped in the library's KmsError. */
function serviceOf(error: unknown): AwsService {
  for (let current = error, depth = 0; current instanceof Error && depth < 10; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof KmsError) return 'KMS';
  }
  return 'DynamoDB';
}
