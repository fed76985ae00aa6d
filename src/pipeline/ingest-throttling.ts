import { KmsThrottlingError } from '../errors';
import { isThrottling } from './dynamodb-throttling';
import { awsErrorName, ingestFailure, type IngestFailure } from './ingest-failure';

/**
 * Seconds an HTTP caller is asked to wait (`retry-after`) before sending again a request that
 * was not written because DynamoDB or KMS throttled it. KMS and DynamoDB quotas are per second.
 */
export const INGEST_RETRY_AFTER_SECONDS = 1;

/**
 * Which service kept throttling, when `error` (thrown by `IngestWriter.write`, after the SDK's
 * retries and the writer's or the KMS provider's own) is throttling: KMS (GenerateDataKey,
 * Decrypt: a `KmsThrottlingError`) or DynamoDB (DescribeTable, or any other request). Undefined
 * for any other error.
 */
export function ingestThrottling(error: unknown): { readonly service: 'KMS' | 'DynamoDB'; readonly errorName: string } | undefined {
  if (error instanceof KmsThrottlingError) return { service: 'KMS', errorName: error.kmsErrorName ?? error.name };
  if (isThrottling(error)) return { service: 'DynamoDB', errorName: awsErrorName(error) };
  return undefined;
}

/** What an HTTP caller is told of a request stopped by throttling (the body of a 503). */
export interface ThrottledRequestAnswer {
  /** 0: present only when certain, that is when the request is not create-only. */
  readonly written?: number;
  /** Every item of the request, `not-written`. */
  readonly failures: IngestFailure[];
  readonly message: string;
}

/**
 * The answer to a request that `IngestWriter.write` gave up on because of throttling: the same
 * shape as a throttled write's (`written`, every item in `failures` as `not-written`), so that
 * callers handle both alike. Names services and error classes, never a value.
 *
 * Throttling is thrown before any write (DescribeTable, KMS encrypting the items: writes absorb
 * their own throttling as `not-written` items), so nothing was written; except create-only, where
 * KMS may throttle while reading an item found in the way after other puts succeeded. Sending
 * the request again is safe either way: create-only counts an item it already wrote as written.
 */
export function throttledRequestAnswer(itemCount: number, throttling: { readonly service: string; readonly errorName: string }, createOnly: boolean): ThrottledRequestAnswer {
  const failures = Array.from({ length: itemCount }, (_, index) =>
    ingestFailure(index, 'not-written', `${throttling.service} kept throttling the request (${throttling.errorName}): send the item again later`),
  );
  if (!createOnly) return { written: 0, failures, message: `${throttling.service} kept throttling the request: nothing was written; send it again later` };
  return {
    failures,
    message: `${throttling.service} kept throttling the request: items put before it stay written, and count as written when the request is sent again later`,
  };
}
