import { ConcurrencyLimiter } from '../providers/concurrency-limiter';

/**
 * `Promise.all`, except that a rejection is thrown only once every promise has settled (the
 * first rejection in time, which is the cause the others followed). A pipeline that reports a
 * failure must not leave writes running behind it: Lambda would freeze them, to land in a later
 * invocation, after a redelivery may have written newer values.
 */
export async function allSettledThenThrow<T>(promises: ReadonlyArray<Promise<T>>): Promise<T[]> {
  let firstFailure: { error: unknown } | undefined;
  const settled = await Promise.allSettled(
    promises.map((promise) =>
      promise.catch((error: unknown) => {
        firstFailure ??= { error };
        throw error;
      }),
    ),
  );
  if (firstFailure !== undefined) throw firstFailure.error;
  return settled.map((result) => (result as PromiseFulfilledResult<T>).value);
}

/**
 * Runs `work` on every entry, at most `concurrency` at once, and stops starting new ones after
 * the first failure (an entry not started gets `notStarted`); the failure is thrown once every
 * started one has settled (allSettledThenThrow). `work` is told when to stop too, for retries
 * of its own.
 */
export function runStoppingAtFailure<T, R>(
  entries: readonly T[],
  concurrency: number,
  work: (entry: T, failed: () => boolean) => Promise<R>,
  notStarted: R,
): Promise<R[]> {
  const limiter = new ConcurrencyLimiter(concurrency);
  let failed = false;
  const hasFailed = () => failed;
  return allSettledThenThrow(
    entries.map((entry) =>
      limiter.run(async () => {
        if (failed) return notStarted;
        try {
          return await work(entry, hasFailed);
        } catch (error) {
          failed = true;
          throw error;
        }
      }),
    ),
  );
}
