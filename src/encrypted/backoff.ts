/** Exponential backoff with full jitter: a random wait below `baseDelayMs * 2^(attempt-1)`. */
export function backoff(attempt: number, baseDelayMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * baseDelayMs * 2 ** (attempt - 1)));
}
