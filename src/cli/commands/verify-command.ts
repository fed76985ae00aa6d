import { Command } from 'commander';
import { awsClients, type ConnectionFlags } from '../aws-clients';
import { reEncryptSettings, type MaterialsFlags } from '../cli-config';
import { ExitCodes } from '../cli-error';
import { addConnectionOptions, addMaterialsOptions, addProgressOptions, addScanOptions, concurrencyWithin, wholeNumber } from '../command-options';
import { Interruption } from '../interruption';
import { checkItem } from '../item-check';
import { itemKeyText } from '../item-key';
import { jsonText, RawJson } from '../native-json';
import { scanSegments } from '../segment-scan';
import { tableCheckSetup } from '../table-check-setup';

interface VerifyFlags extends MaterialsFlags, ConnectionFlags {
  readonly segments: number;
  readonly concurrency?: number;
  readonly pageSize?: number;
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

const AFTER_HELP = `
Examples:
  $ ddbec verify --config orders.json
  $ ddbec verify --table orders --materials direct-kms --kms-key-id KEY_ARN --allow-plaintext --json

Interruption (Ctrl-C, SIGTERM): the pages in flight finish, then verify prints what it found
so far, marked as not complete, and exits 130. There is no checkpoint (--checkpoint and --rate
are options of encrypt-table and reencrypt only): run verify again from the start.

Exit status: 0 every item valid; 1 tampered items (or plaintext ones, without --allow-plaintext), or AWS failed; 2 bad usage or configuration; 130 interrupted.`;

/** `ddbec verify`: an audit of every item's signature, printing only keys. */
export function verifyCommand(): Command {
  const command = new Command('verify').description(
    'Audit a table: verify and decrypt every item (nothing is written or printed of the plaintext) and count valid items, tampered ' +
      'ones (signature or decryption fails) and plaintext ones (no signature and no material description). Prints the keys of the ' +
      'bad ones and a summary.',
  );
  addScanOptions(addMaterialsOptions(command), { help: "items per Scan page (default: as many as fit in DynamoDB's 1 MB page); smaller pages stop sooner on Ctrl-C" })
    .option('--max-keys <n>', 'print the keys of at most this many bad items', wholeNumber(0), 100)
    .option('--allow-plaintext', 'plaintext items do not make the exit status 1 (a table being backfilled)', false)
    .option('--json', 'print the result as one JSON object', false);
  addProgressOptions(addConnectionOptions(command));
  return command.addHelpText('after', AFTER_HELP).action(async (flags: VerifyFlags) => {
    process.exitCode = await runVerify(flags);
  });
}

async function runVerify(flags: VerifyFlags): Promise<number> {
  const config = await reEncryptSettings(flags);
  const concurrency = concurrencyWithin(flags.concurrency, flags.segments);
  const clients = awsClients(flags);
  const interruption = new Interruption((signal) => process.stderr.write(`ddbec: ${signal}: finishing the pages in flight, then stopping (again to quit at once)\n`)).install();
  try {
    const { tableInfo, crypto, progress } = await tableCheckSetup('verify', config, clients, flags.progressInterval);
    const counts = { scanned: 0, valid: 0, tampered: 0, plaintext: 0 };
    const badItems: BadItem[] = [];
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
          checks.forEach((check, index) => {
            counts[check.outcome] += 1;
            if (check.outcome !== 'valid' && badItems.length < flags.maxKeys) {
              badItems.push({ key: itemKeyText(items[index], tableInfo), problem: check.outcome, reason: check.outcome === 'tampered' ? check.reason : undefined });
            }
          });
          counts.scanned += items.length;
          progress.update({ scanned: counts.scanned, details: { valid: counts.valid, tampered: counts.tampered, plaintext: counts.plaintext } });
        },
      }));
      scanned = true;
    } finally {
      progress.finish(scanned);
    }
    const bad = counts.tampered + counts.plaintext;
    if (flags.json) {
      // The keys go in as their own JSON text: parsing them back would round numbers beyond 2^53.
      const keyed = badItems.map((item) => ({ ...item, key: new RawJson(item.key) }));
      process.stdout.write(`${jsonText({ tableName: tableInfo.name, complete, ...counts, badItems: keyed, badItemsTruncated: bad > badItems.length })}\n`);
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
