import { Command } from 'commander';
import { awsClients, type ConnectionFlags } from '../aws-clients';
import { reEncryptSettings, type MaterialsFlags } from '../cli-config';
import { ExitCodes } from '../cli-error';
import { addConnectionOptions, addMaterialsOptions, addProgressOptions, wholeNumber } from '../command-options';
import { Interruption } from '../interruption';
import { checkItem } from '../item-check';
import { itemKeyText } from '../item-key';
import { nativeJson } from '../native-json';
import { outputSink } from '../output-sink';
import { scanSegments } from '../segment-scan';
import { tableCheckSetup } from '../table-check-setup';

interface ExportFlags extends MaterialsFlags, ConnectionFlags {
  readonly segments: number;
  readonly output?: string;
  readonly skipInvalid: boolean;
  readonly maxKeys: number;
  readonly progressInterval: number;
}

/** `ddbec export`: every item verified and decrypted, one JSON line each. */
export function exportCommand(): Command {
  const command = new Command('export').description(
    'Verify, decrypt and write every item of a table as JSON lines of native values (sets as arrays, binary as base64, numbers ' +
      'with all their digits). Items that fail verification or are plaintext are not exported; their keys are reported on stderr.',
  );
  addMaterialsOptions(command)
    .option('--segments <n>', 'parallel scan segments', wholeNumber(1, 1_000_000), 4)
    .option('--output <file>', 'write the lines to this file (default: stdout)')
    .option('--skip-invalid', 'exit 0 even when items were left out because they failed verification or are plaintext', false)
    .option('--max-keys <n>', 'print the keys of at most this many left-out items', wholeNumber(0), 100);
  addProgressOptions(addConnectionOptions(command));
  return command
    .addHelpText(
      'after',
      `\nExamples:\n  $ ddbec export --config orders.json --output orders.jsonl\n  $ ddbec export --table orders --materials direct-kms --kms-key-id KEY_ARN | jq .customerId\n\nExit status: 0 every item exported (or --skip-invalid); 1 items left out, or AWS failed; 2 bad usage or configuration; 130 interrupted (output incomplete).`,
    )
    .action(async (flags: ExportFlags) => {
      process.exitCode = await runExport(flags);
    });
}

async function runExport(flags: ExportFlags): Promise<number> {
  const config = await reEncryptSettings(flags);
  const clients = awsClients(flags);
  const interruption = new Interruption((signal) => process.stderr.write(`ddbec: ${signal}: finishing the pages in flight, then stopping (again to quit at once)\n`)).install();
  const sink = outputSink(flags.output);
  try {
    const { tableInfo, crypto, progress } = await tableCheckSetup('export', config, clients, flags.progressInterval);
    const counts = { scanned: 0, exported: 0, tampered: 0, plaintext: 0 };
    let reported = 0;
    const leftOut = (key: string, why: string) => {
      reported += 1;
      if (reported <= flags.maxKeys) progress.note(`ddbec: item ${key} not exported: ${why}`);
      else if (reported === flags.maxKeys + 1) progress.note(`ddbec: more items left out; their keys are not printed (--max-keys ${flags.maxKeys})`);
    };
    let scanned = false;
    try {
      await scanSegments({
        client: clients.dynamoDb,
        tableName: tableInfo.name,
        totalSegments: flags.segments,
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
      });
      scanned = true;
    } finally {
      progress.finish(scanned);
    }
    await sink.close();
    const invalid = counts.tampered + counts.plaintext;
    process.stderr.write(
      `ddbec: export ${tableInfo.name}: ${counts.exported} items exported${flags.output === undefined ? '' : ` to ${flags.output}`}, ${counts.tampered} failed verification, ${counts.plaintext} plaintext\n`,
    );
    if (interruption.requested) {
      process.stderr.write(`ddbec: interrupted; the output is incomplete: run the export again\n`);
      return ExitCodes.INTERRUPTED;
    }
    return invalid > 0 && !flags.skipInvalid ? ExitCodes.FAILURE : ExitCodes.SUCCESS;
  } finally {
    interruption.uninstall();
    clients.destroy();
  }
}
