import { Command } from 'commander';
import { describeCommand } from './commands/describe-command';
import { exportCommand } from './commands/export-command';
import { reEncryptionCommand } from './commands/reencrypt-command';
import { verifyCommand } from './commands/verify-command';

const OVERVIEW = `
Configuration:
  The materials and attribute actions are those of the CDK construct's Lambdas: pass its
  environment (the DDBEC_* variables: save the value of EncryptedTableConstruct's
  PipelineConfiguration stack output as a JSON file) with --config FILE, e.g.
    aws cloudformation describe-stacks --stack-name STACK --output text \\
      --query "Stacks[0].Outputs[?contains(OutputKey,'PipelineConfiguration')].OutputValue" > orders.json
  and override single settings with --table, --materials, --kms-key-id,
  --allowed-kms-key-ids, --meta-store-table, --material-name and --attribute-actions.
  Credentials, region and endpoints come from the usual AWS settings (AWS_PROFILE,
  AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_KMS...) or --profile, --region,
  --endpoint-url and --kms-endpoint-url.

Examples:
  $ ddbec encrypt-table --config orders.json --segments 8 --checkpoint orders.checkpoint.json
  $ ddbec reencrypt --config orders.json --kms-key-id NEW_KEY_ARN --allowed-kms-key-ids NEW_KEY_ARN,OLD_KEY_ARN
  $ ddbec verify --config orders.json --json
  $ ddbec export --config orders.json --output orders.jsonl
  $ ddbec describe --table orders --key '{"customerId":"c-42","orderId":"o-7"}'

Progress goes to stderr (a bar on a terminal, log lines otherwise); data and summaries to stdout.
Plaintext attribute values are printed by export only; keys of bad items are printed (they are
signed, never encrypted).`;

/** The `ddbec` command line: one subcommand per job, errors reported by the caller as one line. */
export function ddbecProgram(): Command {
  const program = new Command('ddbec')
    .description('DynamoDB Encryption Client command line: encrypt, re-encrypt, verify, export and describe items of a table (byte-compatible with the Python and Java clients).')
    .version(packageVersion(), '--version', 'print the version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', OVERVIEW)
    .configureOutput({ outputError: (text, write) => write(`ddbec: ${text}`) });
  for (const command of [reEncryptionCommand('encrypt-table'), reEncryptionCommand('reencrypt'), exportCommand(), verifyCommand(), describeCommand()]) {
    program.addCommand(command.exitOverride().showHelpAfterError(`(run ddbec ${command.name()} --help for usage)`).configureOutput({ outputError: (text: string, write: (text: string) => void) => write(`ddbec: ${text}`) }));
  }
  return program;
}

function packageVersion(): string {
  // src/cli/ under tsx, dist/src/cli/ compiled: the package root is two or three levels up.
  for (const path of ['../../package.json', '../../../package.json']) {
    try {
      const json = require(path) as { name?: string; version?: string };
      if (json.name === 'dynamodb-encryption-client-ts' && json.version !== undefined) return json.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}
