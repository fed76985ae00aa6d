/**
 * A problem the user can fix (a bad option, an unreadable file, a checkpoint for another
 * table): reported as one line without a stack trace, with the exit code the command chose.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit codes, so that scripts can tell a usage problem from bad items from an interruption. */
export const ExitCodes = {
  SUCCESS: 0,
  /** The job ran but found or left bad items (tampered, failed, plaintext when not allowed), or AWS failed. */
  FAILURE: 1,
  /** The command line or the configuration is wrong. */
  USAGE: 2,
  /** Stopped by Ctrl-C or SIGTERM (128 + SIGINT), as shells report it. */
  INTERRUPTED: 130,
} as const;

/**
 * A job stopped on a failure after saving its checkpoint: the error line says so, so the user
 * knows the work done is not lost.
 */
export class ResumableFailure extends Error {
  constructor(
    readonly failure: unknown,
    readonly checkpointPath: string,
  ) {
    super('a job stopped after saving its checkpoint', { cause: failure });
    this.name = 'ResumableFailure';
  }
}
