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
