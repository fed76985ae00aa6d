/**
 * Runs `work` over `items` with at most `concurrency` calls started ahead of the consumer, and
 * yields the results strictly in the items' order. While the consumer handles result i (say,
 * delivers it over the network), results i+1 .. i+concurrency-1 are being computed.
 *
 * When the consumer stops early (breaks out of its loop), no further work starts; results still
 * in flight are dropped. `work` should settle with an outcome rather than reject; a rejection is
 * passed on to the consumer at that item's turn.
 */
export async function* prefetchInOrder<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): AsyncGenerator<R, void, undefined> {
  const window = Math.max(1, Math.floor(concurrency));
  const pending: Array<Promise<R>> = [];
  let started = 0;
  const startNext = (): void => {
    if (started >= items.length) return;
    const index = started;
    started += 1;
    const result = work(items[index] as T, index);
    // Marks a rejection as handled now; it is re-thrown when the consumer reaches this item.
    result.catch(() => undefined);
    pending.push(result);
  };
  for (let count = 0; count < window; count += 1) startNext();
  while (pending.length > 0) {
    const next = pending.shift() as Promise<R>;
    const result = await next;
    yield result;
    startNext();
  }
}
