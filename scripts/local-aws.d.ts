/** Types for scripts/local-aws.js (plain JavaScript, so it runs before anything is compiled). */
export interface LocalAwsBackends {
  /** AWS_ENDPOINT_URL_* variables, fake credentials and region for the AWS SDK. */
  readonly env: Record<string, string>;
  /** Ends exactly the processes that were started. */
  stop(): Promise<void>;
  readonly pids: number[];
}

export function startLocalAws(options?: { timeoutMs?: number }): Promise<LocalAwsBackends>;

/** Ctrl-C / SIGTERM stop `backends` and exit 128 + signal until the returned function is called. */
export function stopOnSignals(backends: LocalAwsBackends, onSignal?: (signal: NodeJS.Signals) => void): () => void;

export class LocalAwsError extends Error {}
