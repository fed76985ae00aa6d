import { Command } from 'commander';
import { awsClients, type ConnectionFlags } from '../aws-clients';
import { reEncryptSettings, type MaterialsFlags } from '../cli-config';
import { ExitCodes } from '../cli-error';
import { addConnectionOptions, addMaterialsOptions, addProgressOptions, addScanOptions, concurrencyWithin, wholeNumber } from '../command-options';
import { Interruption } from '../interruption';
import { checkItem } from '../item-check';
import { itemKeyText } from '../item-key';
import { nativeJson } from '../native-json';
import { openOutputSink } from '../output-sink';
import { scanSegments } from '../segment-scan';
import { tableCheckSetup } from '../table-check-setup';

interface ExportFlags extends MaterialsFlags, ConnectionFlags {
  readonly segments: number;
  readonly concurrency?: number;
  readonly pageSize?: number;
  readonly output?: string;
  readonly skipInvalid: boolean;
  readonly maxKeys: number;
  readonly progressInterval: number;
}

const AFTER_HELP = `
Examples:
  $ ddbec export --config orders.json --output orders.jsonl
  $ ddbec export --table orders --materials direct-kms --kms-key-id KEY_ARN | jq .customerId

Interruption (Ctrl-C, SIGTERM): the pages in flight finish, then export stops with exit 130.
There is no checkpoint (--checkpoint and --rate are options of encrypt-table and reencrypt
only): run the export again from the start. With --output, FILE is written (mode 0600) only
once every item was read: an interrupted or failed export leaves FILE as it was. On stdout,
lines already written stay.

Exit status: 0 every item exported (or --skip-invalid); 1 items left out, or AWS failed; 2 bad usage or configuration; 130 interrupted (output incomplete).`;

/** `ddbec export`: every item verified and decrypted, one JSON line each. */
export function exportCommand(): Command {
  const command = new Command('export').description(
    'Verify, decrypt and write every item of a table as JSON lines of native values (sets as arrays, binary as base64, numbers ' +
      'with all their digits). Items that fail verification or are plaintext are not exported; their keys are reported on stderr.',
  );
  addScanOptions(addMaterialsOptions(command), { help: "items per Scan page (default: as many as fit in DynamoDB's 1 MB page); smaller pages stop sooner on Ctrl-C" })
    .option('--output <file>', 'write the lines to this file, replaced only when the export is complete (default: stdout)')
    .option('--skip-invalid', 'exit 0 even when items were left out because they failed verification or are plaintext', false)
    .option('--max-keys <n>', 'print the keys of at most this many left-out items', wholeNumber(0), 100);
  addProgressOptions(addConnectionOptions(command));
  return command.addHelpText('after', AFTER_HELP).action(async (flags: ExportFlags) => {
    process.exitCode = await runExport(flags);
  });
}

async function runExport(flags: ExportFlags): Promise<number> {
  const config = await reEncryptSettings(flags);
  const concurrency = concurrencyWithin(flags.concurrency, flags.segments);
  const sink = await openOutputSink(flags.output);
  let finished = false;
  const clients = awsClients(flags);
  const interruption = new Interruption((signal) => process.stderr.write(`ddbec: ${signal}: finishing the pages in flight, then stopping (again to quit at once)\n`)).install();
  try {
    const { tableInfo, crypto, progress } = await tableCheckSetup('export', config, clients, flags.progressInterval);
    const counts = { scanned: 0, exported: 0, tampered: 0, plaintext: 0 };
    let reported = 0;
    const leftOut = (key: string, why: string) => {
      reported += 1;
      if (reported <= flags.maxKeys) progress.note(`ddbec: item ${key} not exported: ${why}`);
      else if (reported === flags.maxKeys + 1) progress.note(`ddbec: more items left out; their keys are not printed (--max-keys ${flags.maxKeys})`);
    };
    let complete = false;
    let scanned = false;
    try {
      ({ complete } = await scanSegments({
        client: clients.dynamoDb,
        tableName: tableInfo.name,
        totalSegments: flags.segments,
        concurrency,
        pageSize: flags.pageSize,
        shouldStop: () => interruption.requested,
        onPage: async (items) => {
          const checks = await Promise.all(items.map((item) => checkItem(item, crypto)));
          const lines: string[] = [];
          checks.forEach((check, index) => {
            if (check.outcome === 'valid') lines.push(`${nativeJson(check.plaintext)}\n`);
            else leftOut(itemKeyText(items[index], tableInfo), check.outcome === 'plaintext' ? 'plaintext (never encrypted)' : `fails verification (${check.reason})`);
            if (check.outcome !== 'valid') counts[check.outcome] += 1;
          });
          // One write per page: lines of one page stay together, and the scan waits for a slow reader.
          if (lines.length > 0) await sink.write(lines.join(''));
          counts.scanned += items.length;
          counts.exported += lines.length;
          progress.update({ scanned: counts.scanned, details: { exported: counts.exported, tampered: counts.tampered, plaintext: counts.plaintext } });
        },
      }));
      scanned = true;
    } finally {
      progress.finish(scanned);
    }
    const figures = `${counts.tampered} failed verification, ${counts.plaintext} plaintext`;
    // A signal that came after every segment had read its last page lost nothing: the export stands.
    if (!complete) {
      process.stderr.write(`ddbec: export ${tableInfo.name}: interrupted after ${counts.scanned} items (${counts.exported} decrypted, ${figures})\n`);
      process.stderr.write(
        flags.output === undefined
          ? 'ddbec: interrupted; the output is incomplete: run the export again\n'
          : `ddbec: interrupted; ${flags.output} was not written (an existing file is as it was): run the export again\n`,
      );
      return ExitCodes.INTERRUPTED;
    }
    await sink.finish();
    finished = true;
    process.stderr.write(`ddbec: export ${tableInfo.name}: ${counts.exported} items exported${flags.output === undefined ? '' : ` to ${flags.output}`}, ${figures}\n`);
    const invalid = counts.tampered + counts.plaintext;
    return invalid > 0 && !flags.skipInvalid ? ExitCodes.FAILURE : ExitCodes.SUCCESS;
  } finally {
    if (!finished) await sink.abandon();
    interruption.uninstall();
    clients.destroy();
  }
}
