/**
 * The one line `ddbec: error: ...` for failures the local backends cannot produce (KMS access
 * denied, expired tokens) and for the wrapping the engines add (a segment error around a KMS
 * error around the SDK's), with the exit status each gets; an unreachable endpoint and
 * throttling with what to change.
 */
import { CliError, ResumableFailure } from '../../src/cli/cli-error';
import { errorLine, exitCodeFor } from '../../src/cli/error-report';
import { KmsError, KmsThrottlingError, SignatureVerificationError } from '../../src/errors';
import { ConfigurationError } from '../../src/pipeline/pipeline-config';
import { emptyCounts } from '../../src/pipeline/reencrypt-counts';
import { CapacityExhaustedError, ReEncryptSegmentError } from '../../src/pipeline/reencrypt-errors';

function awsError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

test('KMS AccessDenied inside a segment error is explained by its AWS name, on one line', () => {
  const denied = awsError('AccessDeniedException', 'User: arn:aws:sts::111122223333:assumed-role/ops is not authorized to perform: kms:GenerateDataKey\non resource: arn:aws:kms:eu-west-1:111122223333:key/abc');
  const kms = new KmsError('KMS GenerateDataKey failed (AccessDeniedException)', { tableName: 'orders' }, { cause: denied, kmsErrorName: 'AccessDeniedException' });
  const segment = new ReEncryptSegmentError('segment 2 of 4 stopped: KmsError (resume from lastEvaluatedKey)', 'orders', undefined, emptyCounts(), { cause: kms });
  const line = errorLine(new ResumableFailure(segment, 'job.json'));
  expect(line).toBe(
    'ddbec: error: AWS refused the request (AccessDeniedException): User: arn:aws:sts::111122223333:assumed-role/ops is not authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:eu-west-1:111122223333:key/abc; progress saved: resume with --checkpoint job.json',
  );
  expect(exitCodeFor(new ResumableFailure(segment, 'job.json'))).toBe(1);
});

test('an AWS refusal without a message (the SDK says UnknownError) is told with the library message instead', () => {
  const denied = awsError('AccessDeniedException', 'UnknownError');
  const kms = new KmsError('strict mode: KMS denied Decrypt with allowed key(s) arn:aws:kms:eu-west-1:111122223333:key/abc (AccessDeniedException)', { tableName: 'orders' }, {
    cause: denied,
    kmsErrorName: 'AccessDeniedException',
  });
  expect(errorLine(kms)).toBe(
    'ddbec: error: AWS refused the request (AccessDeniedException): strict mode: KMS denied Decrypt with allowed key(s) arn:aws:kms:eu-west-1:111122223333:key/abc (AccessDeniedException) (table "orders")',
  );
});

test('an expired token, missing credentials, and a library error wrapping an unexplained SDK error', () => {
  expect(errorLine(awsError('ExpiredTokenException', 'The security token included in the request is expired'))).toBe(
    'ddbec: error: AWS refused the request (ExpiredTokenException): The security token included in the request is expired',
  );
  expect(errorLine(awsError('CredentialsProviderError', 'Could not load credentials from any providers'))).toMatch(/^ddbec: error: no AWS credentials found \(CredentialsProviderError\): /);
  const unexplained = new KmsError('KMS Decrypt failed (SomethingNewException)', { tableName: 'orders' }, { cause: awsError('SomethingNewException', 'x') });
  expect(errorLine(unexplained)).toBe('ddbec: error: KMS Decrypt failed (SomethingNewException) (table "orders")');
  expect(errorLine(new SignatureVerificationError('the signature does not match', { tableName: 'orders' }))).toBe('ddbec: error: the signature does not match (table "orders")');
});

test('configuration problems name the flags; usage problems exit 2, others 1', () => {
  const problem = new ConfigurationError(['DDBEC_TABLE_NAME is not set (the encrypted table)', 'DDBEC_KMS_KEY_ID is not set (the KMS key ARN)']);
  expect(errorLine(problem)).toBe(
    'ddbec: error: invalid pipeline configuration: DDBEC_TABLE_NAME is not set (the encrypted table); DDBEC_KMS_KEY_ID is not set (the KMS key ARN) (set with --table, --kms-key-id or in the --config file)',
  );
  expect(exitCodeFor(problem)).toBe(2);
  expect(exitCodeFor(new CliError('bad'))).toBe(2);
  expect(exitCodeFor(new CliError('no item', 1))).toBe(1);
  expect(exitCodeFor(new Error('boom'))).toBe(1);
  expect(errorLine(new TypeError('a\nb'))).toBe('ddbec: error: TypeError: a b');
});

function networkError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

test('an unreachable endpoint names the service and the setting that says where it is', () => {
  // DynamoDB: the SDK's own Node error, bare or inside a segment error.
  const refused = networkError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9');
  expect(errorLine(refused)).toBe(
    'ddbec: error: cannot reach DynamoDB (connect ECONNREFUSED 127.0.0.1:9): check --endpoint-url (or AWS_ENDPOINT_URL_DYNAMODB), --region and the network',
  );
  const segment = new ReEncryptSegmentError('segment 0 of 4 stopped: Error', 'orders', undefined, emptyCounts(), { cause: networkError('ENOTFOUND', 'getaddrinfo ENOTFOUND dynamodb.nowhere.invalid') });
  expect(errorLine(segment)).toBe(
    'ddbec: error: cannot reach DynamoDB (getaddrinfo ENOTFOUND dynamodb.nowhere.invalid): check --endpoint-url (or AWS_ENDPOINT_URL_DYNAMODB), --region and the network',
  );
  expect(exitCodeFor(segment)).toBe(1);
  // KMS: the library's error names the endpoint already.
  const kms = new KmsError('cannot reach KMS at http://127.0.0.1:9 for Decrypt (ECONNREFUSED)', { tableName: 'orders' }, { cause: refused, kmsErrorName: 'ECONNREFUSED' });
  expect(errorLine(kms)).toBe(
    'ddbec: error: cannot reach KMS at http://127.0.0.1:9 for Decrypt (ECONNREFUSED) (table "orders"): check --kms-endpoint-url (or AWS_ENDPOINT_URL_KMS), --region and the network',
  );
});

test('throttling beyond the retries says to lower --rate or --concurrency, or to raise the capacity', () => {
  const throttled = awsError('ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded.');
  const exhausted = new CapacityExhaustedError('DynamoDB kept throttling Scan after 8 retries', { tableName: 'orders' }, { cause: throttled });
  const segment = new ReEncryptSegmentError('segment 1 of 4 stopped: CapacityExhaustedError', 'orders', undefined, emptyCounts(), { cause: exhausted });
  expect(errorLine(new ResumableFailure(segment, 'job.json'))).toBe(
    'ddbec: error: DynamoDB throttled the requests beyond the SDK\'s retries (ProvisionedThroughputExceededException) (table "orders"): lower --rate or --concurrency, or raise the table\'s capacity (or make it on-demand); progress saved: resume with --checkpoint job.json',
  );
  expect(errorLine(awsError('ThrottlingException', 'Rate exceeded'))).toBe(
    "ddbec: error: DynamoDB throttled the requests beyond the SDK's retries (ThrottlingException): lower --rate or --concurrency, or raise the table's capacity (or make it on-demand)",
  );
  const kms = new KmsThrottlingError('KMS throttled Decrypt after every retry (ThrottlingException)', { tableName: 'orders' }, { cause: awsError('ThrottlingException', 'Rate exceeded'), kmsErrorName: 'ThrottlingException' });
  expect(errorLine(kms)).toBe(
    'ddbec: error: KMS throttled the requests beyond the SDK\'s retries (ThrottlingException) (table "orders"): lower --rate or --concurrency, or ask for a higher KMS request quota',
  );
});
