import { Command } from 'commander';
import { awsClients, type ConnectionFlags } from '../aws-clients';
import { CheckpointFile, jobComplete, jobCounts, type JobProgress } from '../checkpoint-file';
import { reEncryptSettings, type MaterialsFlags } from '../cli-config';
import { CliError, ExitCodes, ResumableFailure } from '../cli-error';
import { addConnectionOptions, addMaterialsOptions, addProgressOptions, addScanOptions, concurrencyWithin, positiveNumber, wholeNumber } from '../command-options';
import { Interruption } from '../interruption';
import type { JobCommand } from '../job-target';
import { progressReporter } from '../progress';
import { runReEncryptionJob } from '../reencryption-job';
import { describeTable } from '../table-description';

interface ReEncryptFlags extends MaterialsFlags, ConnectionFlags {
  readonly segments: number;
  readonly concurrency?: number;
  readonly rate?: number;
  readonly pageSize: number;
  readonly dryRun: boolean;
  readonly checkpoint?: string;
  readonly maxKeys: number;
  readonly json: boolean;
  readonly progressInterval: number;
}

type JobKind = JobCommand;

const DESCRIPTIONS: Record<JobKind, { summary: string; example: string }> = {
  'encrypt-table': {
    summary:
      'Backfill: encrypt and sign every plaintext item of a table in place, with a parallel scan. Items already encrypted under ' +
      'older materials are re-encrypted, current ones left alone, so a rerun (or a resumed run) writes nothing twice. Every write ' +
      'is conditional on the item being unchanged since it was read.',
    example: `  $ ddbec encrypt-table --config orders.json --segments 8 --rate 200 --checkpoint orders.checkpoint.json
  $ ddbec encrypt-table --table orders --materials direct-kms --kms-key-id arn:aws:kms:eu-west-1:111122223333:key/KEY_ID --dry-run`,
  },
  reencrypt: {
    summary:
      'Rotate: re-encrypt every item that is not under the current materials (the current KMS key, or the newest MetaStore version), ' +
      'reading old items with the allowed keys; plaintext items are encrypted too. Every write is conditional on the item being ' +
      'unchanged since it was read.',
    example: `  $ ddbec reencrypt --config orders.json --kms-key-id NEW_KEY_ARN --allowed-kms-key-ids NEW_KEY_ARN,OLD_KEY_ARN --checkpoint rotation.json
  $ ddbec reencrypt --config orders.json --dry-run --json`,
  },
};

const INTERRUPTION = `Interruption (Ctrl-C, SIGTERM): the pages in flight finish, the checkpoint is saved, exit 130;
rerun with the same --checkpoint FILE and settings to resume where each segment stopped. A
second Ctrl-C quits at once (the checkpoint holds the last finished pages). Without
--checkpoint a rerun scans everything again, finds the items already done current and leaves
them alone.`;

const EXIT_STATUS =
  'Exit status: 0 done; 1 items left unprocessed (failed or conflicting) or AWS failed; 2 bad usage or configuration; 130 interrupted (resume with the same --checkpoint).';

/** `ddbec encrypt-table` and `ddbec reencrypt`: the same engine, described for each use. */
export function reEncryptionCommand(kind: JobKind): Command {
  const { summary, example } = DESCRIPTIONS[kind];
  const command = new Command(kind).description(summary);
  addScanOptions(addMaterialsOptions(command), { help: 'items per Scan page; a checkpoint falls between pages, so smaller pages lose less work to a kill', defaultValue: 100 })
    .option(
      '--rate <units>',
      'capacity units per second for the whole job, for reads and for writes, split between the concurrent segments (default: unlimited, or DDBEC_READ/WRITE_CAPACITY_PER_SECOND per segment)',
      positiveNumber,
    )
    .option('--dry-run', 'count what would be encrypted and re-encrypted, write nothing', false)
    .option(
      '--checkpoint <file>',
      `save each segment's progress here about once a second; when the file exists, resume from it (refused when it is of another table, --segments, --dry-run, command or materials; default: none, progress is not saved)`,
    )
    .option('--max-keys <n>', 'print the keys of at most this many items that could not be processed', wholeNumber(0), 100)
    .option('--json', 'print the summary as one JSON object', false);
  addProgressOptions(addConnectionOptions(command));
  return command.addHelpText('after', `\nExamples:\n${example}\n\n${INTERRUPTION}\n\n${EXIT_STATUS}`).action(async (flags: ReEncryptFlags) => {
    process.exitCode = await runReEncryptionCommand(kind, flags);
  });
}

async function runReEncryptionCommand(kind: JobKind, flags: ReEncryptFlags): Promise<number> {
  const config = await reEncryptSettings(flags);
  const concurrency = concurrencyWithin(flags.concurrency, flags.segments);
  const clients = awsClients(flags);
  const checkpoint = flags.checkpoint === undefined ? undefined : new CheckpointFile(flags.checkpoint);
  const interruption = new Interruption((signal) =>
    process.stderr.write(`ddbec: ${signal}: finishing the pages in flight, then stopping${checkpoint === undefined ? '' : ' and saving the checkpoint'} (again to quit at once)\n`),
  ).install();
  try {
    const { tableInfo, estimatedItemCount } = await describeTable(clients.dynamoDb, config.table.tableName);
    const label = `${kind}${flags.dryRun ? ' (dry run)' : ''} ${tableInfo.name}`;
    const result = await runReEncryptionJob({
      command: kind,
      config,
      clients,
      tableInfo,
      totalSegments: flags.segments,
      concurrency,
      rate: flags.rate,
      pageSize: flags.pageSize,
      dryRun: flags.dryRun,
      checkpoint,
      interruption,
      maxKeys: flags.maxKeys,
      progress: (alreadyScanned) => progressReporter({ label, estimatedTotal: estimatedItemCount, intervalSeconds: flags.progressInterval, alreadyScanned }),
    }).catch((error: unknown) => {
      // A refused or unwritable checkpoint file is the problem itself, not saved progress.
      throw checkpoint === undefined || error instanceof CliError ? error : new ResumableFailure(error, checkpoint.path);
    });
    printSummary(kind, result.job, flags.json, result.alreadyComplete);
    if (result.interrupted) {
      process.stderr.write(
        checkpoint === undefined
          ? 'ddbec: interrupted; rerun to continue (items already done are found current and not written again), or use --checkpoint FILE to resume where a run stops\n'
          : `ddbec: interrupted; resume with --checkpoint ${checkpoint.path}\n`,
      );
      return ExitCodes.INTERRUPTED;
    }
    const { counts } = jobCounts(result.job);
    return counts.failed + counts.conflicts > 0 ? ExitCodes.FAILURE : ExitCodes.SUCCESS;
  } finally {
    interruption.uninstall();
    clients.destroy();
  }
}

function printSummary(kind: JobKind, job: JobProgress, json: boolean, alreadyComplete: boolean): void {
  const { counts, failureReasons } = jobCounts(job);
  const complete = jobComplete(job);
  if (json) {
    const segmentsDone = job.segments.filter((segment) => segment.done).length;
    process.stdout.write(
      `${JSON.stringify({ command: kind, tableName: job.tableName, dryRun: job.dryRun, complete, alreadyComplete, totalSegments: job.totalSegments, segmentsDone, counts, failureReasons })}\n`,
    );
    return;
  }
  const state = alreadyComplete ? 'already complete (the checkpoint says so; nothing scanned)' : complete ? 'complete' : 'not complete';
  const figures = Object.entries(counts)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
  const reasons = Object.entries(failureReasons).map(([reason, count]) => `${reason} ${count}`);
  process.stdout.write(`${kind}${job.dryRun ? ' (dry run: nothing written)' : ''} ${job.tableName}: ${state}; ${figures}${reasons.length === 0 ? '' : `; failures: ${reasons.join(', ')}`}\n`);
}
