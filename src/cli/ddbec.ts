#!/usr/bin/env node
/**
 * `ddbec`: the command-line tool (DESIGN.md, src/cli). This file only runs the program and
 * turns a failure into one `ddbec: error: ...` line and an exit status; the commands are in
 * `commands/`. The stack trace is printed only with --debug, as it may help a bug report but
 * says nothing a user can act on.
 */
import { CommanderError } from 'commander';
import { errorLine, exitCodeFor } from './error-report';
import { ExitCodes } from './cli-error';
import { ddbecProgram } from './program';

async function main(argv: string[]): Promise<void> {
  const program = ddbecProgram().exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message (or the help) already.
      process.exitCode = error.exitCode === 0 ? ExitCodes.SUCCESS : ExitCodes.USAGE;
      return;
    }
    process.stderr.write(`${errorLine(error)}\n`);
    if (argv.includes('--debug')) process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = exitCodeFor(error);
  }
}

// `ddbec export | head`: once the reader has gone, there is nobody to write for; stop quietly
// instead of crashing on EPIPE, as other command-line tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCodes.SUCCESS);
  throw error;
});

void main(process.argv);
