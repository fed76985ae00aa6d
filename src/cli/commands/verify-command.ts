import { Command } from 'commander';
import { awsClients, type ConnectionFlags } from '../aws-clients';
import { reEncryptSettings, type MaterialsFlags } from '../cli-config';
import { ExitCodes } from '../cli-error';
import { addConnectionOptions, addMaterialsOptions, addProgressOptions, wholeNumber } from '../command-options';
import { Interruption } from '../interruption';
import { checkItem } from '../item-check';
import { itemKeyText } from '../item-key';
import { scanSegments } from '../segment-scan';
import { tableCheckSetup } from '../table-check-setup';

interface VerifyFlags extends MaterialsFlags, ConnectionFlags {
  readonly segments: number;
  readonly maxKeys: number;
  readonly allowPlaintext: boolean;
  readonly json: boolean;
  readonly progressInterval: number;
}

interface BadItem {
  readonly key: string;
  readonly problem: 'tampered' | 'plaintext';
  /** For tampered items, the error class (never its message, which could quote a value). */
  readonly reason?: string;
}

/** `ddbec verify`: an audit of every item's signature, printing only keys. */
export function verifyCommand(): Command {
  const command = new Command('verify').description(
    'Audit a table: verify and decrypt every item (nothing is written or printed of the plaintext) and count valid items, tampered ' +
      'ones (signature or decryption fails) and plaintext ones (no signature and no material description). Prints the keys of the ' +
      'bad ones and a summary.',
  );
  addMaterialsOptions(command)
    .option('--segments <n>', 'parallel scan segments', wholeNumber(1, 1_000_000), 4)
    .option('--max-keys <n>', 'print the keys of at most this many bad items', wholeNumber(0), 100)
    .option('--allow-plaintext', 'plaintext items do not make the exit status 1 (a table being backfilled)', false)
    .option('--json', 'print the result as one JSON object', false);
  addProgressOptions(addConnectionOptions(command));
  return command
    .addHelpText(
      'after',
      `\nExamples:\n  $ ddbec verify --config orders.json\n  $ ddbec verify --table orders --materials direct-kms --kms-key-id KEY_ARN --allow-plaintext --json\n\nExit status: 0 every item valid; 1 tampered items (or plaintext ones, without --allow-plaintext), or AWS failed; 2 bad usage or configuration; 130 interrupted.`,
    )
    .action(async (flags: VerifyFlags) => {
      process.exitCode = await runVerify(flags);
    });
}

async function runVerify(flags: VerifyFlags): Promise<number> {
  const config = await reEncryptSettings(flags);
  const clients = awsClients(flags);
  const interruption = new Interruption((signal) => process.stderr.write(`ddbec: ${signal}: finishing the pages in flight, then stopping (again to quit at once)\n`)).install();
  try {
    const { tableInfo, crypto, progress } = await tableCheckSetup('verify', config, clients, flags.progressInterval);
    const counts = { scanned: 0, valid: 0, tampered: 0, plaintext: 0 };
    const badItems: BadItem[] = [];
    let scanned = false;
    try {
      await scanSegments({
        client: clients.dynamoDb,
        tableName: tableInfo.name,
        totalSegments: flags.segments,
        shouldStop: () => interruption.requested,
        onPage: async (items) => {
          const checks = await Promise.all(items.map((item) => checkItem(item, crypto)));
          checks.forEach((check, index) => {
            counts[check.outcome] += 1;
            if (check.outcome !== 'valid' && badItems.length < flags.maxKeys) {
              badItems.push({ key: itemKeyText(items[index], tableInfo), problem: check.outcome, reason: check.outcome === 'tampered' ? check.reason : undefined });
            }
          });
          counts.scanned += items.length;
          progress.update({ scanned: counts.scanned, details: { valid: counts.valid, tampered: counts.tampered, plaintext: counts.plaintext } });
        },
      });
      scanned = true;
    } finally {
      progress.finish(scanned);
    }
    const bad = counts.tampered + counts.plaintext;
    const complete = !interruption.requested;
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ tableName: tableInfo.name, complete, ...counts, badItems: badItems.map((item) => ({ ...item, key: JSON.parse(item.key) as unknown })), badItemsTruncated: bad > badItems.length })}\n`);
    } else {
      for (const item of badItems) process.stdout.write(`${item.problem.padEnd(9)} ${item.key}${item.reason === undefined ? '' : ` (${item.reason})`}\n`);
      if (bad > badItems.length) process.stdout.write(`... and ${bad - badItems.length} more bad items (--max-keys ${flags.maxKeys})\n`);
      process.stdout.write(`verify ${tableInfo.name}${complete ? '' : ' (interrupted: not every item was read)'}: ${counts.scanned} items, ${counts.valid} valid, ${counts.tampered} tampered, ${counts.plaintext} plaintext\n`);
    }
    if (!complete) return ExitCodes.INTERRUPTED;
    return counts.tampered > 0 || (counts.plaintext > 0 && !flags.allowPlaintext) ? ExitCodes.FAILURE : ExitCodes.SUCCESS;
  } finally {
    interruption.uninstall();
    clients.destroy();
  }
}
