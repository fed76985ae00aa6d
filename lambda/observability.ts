import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';

/**
 * Powertools logger and metrics for one handler. Service name and metrics namespace come from
 * POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE when the construct sets them.
 * Log lines carry counts, keys' attribute names and error classes: never attribute values.
 */
export function observability(serviceName: string): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName }),
    metrics: new Metrics({
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName,
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'DynamoDbEncryption',
    }),
  };
}

/** 1 for an invocation that failed as a whole, 0 for any other; published by every handler. */
export const INVOCATION_FAILURES_METRIC = 'InvocationFailures';

/**
 * Runs one invocation with the metrics every handler publishes, what Powertools' `logMetrics`
 * middleware does for a plain handler:
 *
 * - `ColdStart` (Powertools' `captureColdStartMetric`), 1, on the first invocation of `metrics`
 *   only (one per container: handlers are built once per container), written at once with the
 *   function name as its one extra dimension;
 * - `InvocationFailures`: 1 when `run` throws or `failed` says its answer is a failure (an HTTP
 *   5xx), 0 otherwise. Records or items a batch reports failed are not: they have their own
 *   counts (ItemsRejected, RecordsRetried...);
 * - then every metric `run` added, flushed with it whatever path it took.
 *
 * Dimensions stay those of `metrics` (the service): nothing here depends on the event.
 */
export async function measuredInvocation<T>(
  metrics: Metrics,
  context: unknown,
  run: () => Promise<T>,
  failed: (result: T) => boolean = () => false,
): Promise<T> {
  const functionName = (context as { functionName?: unknown } | undefined)?.functionName;
  metrics.captureColdStartMetric(typeof functionName === 'string' ? functionName : undefined);
  let failures = 1;
  try {
    const result = await run();
    if (!failed(result)) failures = 0;
    return result;
  } finally {
    metrics.addMetric(INVOCATION_FAILURES_METRIC, MetricUnit.Count, failures);
    metrics.publishStoredMetrics();
  }
}
