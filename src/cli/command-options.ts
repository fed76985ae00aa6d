import { InvalidArgumentError, Option, type Command } from 'commander';
import { CliError } from './cli-error';

/**
 * Options several commands share, declared once so that their names, defaults and help read
 * the same everywhere.
 */

/** A whole number from `min` up, for commander's option parsing (its error names the option). */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text: string) => {
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`);
    }
    return value;
  };
}

export function positiveNumber(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new InvalidArgumentError('must be a number above 0');
  return value;
}

/** Where to connect and as whom (unset: the SDK's own settings and environment), and --debug, which every command takes. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option('--region <region>', 'AWS region (default: AWS_REGION or the profile\'s region)')
    .option('--profile <name>', 'AWS profile for credentials and region (default: AWS_PROFILE, else the default chain)')
    .option('--endpoint-url <url>', 'DynamoDB endpoint, e.g. http://localhost:8000 for DynamoDB Local (default: AWS_ENDPOINT_URL_DYNAMODB, else the region\'s)')
    .option('--kms-endpoint-url <url>', 'KMS endpoint (default: AWS_ENDPOINT_URL_KMS, else the region\'s)')
    .option('--debug', 'print the stack trace of an error', false);
}

/** The table only (commands that never touch the materials). */
export function addTableOptions(command: Command): Command {
  return command
    .option('--config <file>', 'JSON object of the construct\'s DDBEC_* Lambda variables (its stack output); flags override it (default: none, the flags alone)')
    .option('--table <name>', 'the table (overrides DDBEC_TABLE_NAME; default: none, required unless the --config file gives DDBEC_TABLE_NAME)');
}

/** The table, materials and attribute actions, as the construct's Lambdas get them. */
export function addMaterialsOptions(command: Command): Command {
  return addTableOptions(command)
    .addOption(new Option('--materials <kind>', 'materials provider (overrides DDBEC_MATERIALS; default: none, required unless the --config file gives DDBEC_MATERIALS)').choices(['direct-kms', 'most-recent']))
    .option('--kms-key-id <arn>', 'KMS key for new items (direct-kms) or the MetaStore (most-recent) (overrides DDBEC_KMS_KEY_ID; default: none, required unless the --config file gives DDBEC_KMS_KEY_ID)')
    .option('--allowed-kms-key-ids <arns>', 'comma-separated KMS keys items may be under, current first (overrides DDBEC_ALLOWED_KMS_KEY_IDS; default: not strict, whichever key KMS finds in the item\'s data key)')
    .option('--meta-store-table <name>', 'most-recent: the MetaStore table (overrides DDBEC_META_STORE_TABLE_NAME; default: none, required with most-recent unless the --config file gives it)')
    .option('--material-name <name>', 'most-recent: the material name (overrides DDBEC_MATERIAL_NAME; default: none, required with most-recent unless the --config file gives it)')
    .option('--attribute-actions <json>', 'e.g. \'{"default":"ENCRYPT_AND_SIGN","attributes":{"status":"SIGN_ONLY"}}\' (overrides DDBEC_ATTRIBUTE_ACTIONS; default: everything ENCRYPT_AND_SIGN, keys SIGN_ONLY)');
}

/**
 * How a parallel scan is split and paced: every scanning command takes these. The rate and the
 * checkpoint are encrypt-table's and reencrypt's only, which add them themselves.
 */
export function addScanOptions(command: Command, pageSize: { readonly help: string; readonly defaultValue?: number }): Command {
  return command
    .option('--segments <n>', 'parallel scan segments (DynamoDB TotalSegments)', wholeNumber(1, 1_000_000), 4)
    .option('--concurrency <n>', 'segments scanned at once (default: --segments)', wholeNumber(1))
    .option('--page-size <n>', pageSize.help, wholeNumber(1, 1000), pageSize.defaultValue);
}

/** `--concurrency`, defaulting to one lane per segment; more lanes than segments would have nothing to do. */
export function concurrencyWithin(concurrency: number | undefined, segments: number): number {
  const lanes = concurrency ?? segments;
  if (lanes > segments) throw new CliError(`--concurrency ${lanes} is more than --segments ${segments}: at most one run per segment at a time`);
  return lanes;
}

export function addProgressOptions(command: Command): Command {
  return command.option('--progress-interval <seconds>', 'seconds between progress lines when stderr is not a terminal', positiveNumber, 5);
}
