/** DynamoDB's answers when a table, an index or the account is over its throughput. */
const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);

/** Whether DynamoDB said "slow down" (after the SDK's own retries): worth waiting and trying again. */
export function isThrottling(error: unknown): boolean {
  const name = (error as { name?: unknown } | null | undefined)?.name;
  return typeof name === 'string' && THROTTLING.has(name);
}
