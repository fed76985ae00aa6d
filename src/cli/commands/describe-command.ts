import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { Command } from 'commander';
import type { DynamoDbItem } from '../../format/attribute-value';
import { dynamoDbClient, type ConnectionFlags } from '../aws-clients';
import { tableNameSetting, type MaterialsFlags } from '../cli-config';
import { CliError, ExitCodes } from '../cli-error';
import { addConnectionOptions, addTableOptions, wholeNumber } from '../command-options';
import { itemKeyText } from '../item-key';
import { keyForTable, parseKeyArgument } from '../key-argument';
import { summarizeMaterials, type MaterialsSummary } from '../material-summary';
import { jsonText, RawJson } from '../native-json';
import { describeTable } from '../table-description';

interface DescribeFlags extends MaterialsFlags, ConnectionFlags {
  readonly key?: string;
  readonly limit: number;
  readonly json: boolean;
}

/** `ddbec describe`: which materials items are under, from their material description only. */
export function describeCommand(): Command {
  const command = new Command('describe').description(
    'Show which materials items are under without decrypting anything (no KMS call, no plaintext): the provider kind (Direct KMS, ' +
      'MetaStore material and version, wrapped, static) and the algorithms, read from each item\'s material description. The ' +
      'encrypted data key is shown truncated.',
  );
  addTableOptions(command)
    .option('--key <json>', 'the primary key of one item, as native JSON, e.g. \'{"pk":"a","sk":1}\' (default: the first --limit items of a scan)')
    .option('--limit <n>', 'how many items to describe without --key', wholeNumber(1, 1000), 5)
    .option('--json', 'one JSON object per item', false);
  addConnectionOptions(command);
  return command
    .addHelpText('after', `\nExamples:\n  $ ddbec describe --table orders --key '{"customerId":"c-42","orderId":"o-7"}'\n  $ ddbec describe --config orders.json --limit 20 --json\n\nExit status: 0 described; 1 no such item, or AWS failed; 2 bad usage.`)
    .action(async (flags: DescribeFlags) => {
      process.exitCode = await runDescribe(flags);
    });
}

async function runDescribe(flags: DescribeFlags): Promise<number> {
  const tableName = await tableNameSetting(flags);
  const givenKey = flags.key === undefined ? undefined : parseKeyArgument(flags.key);
  const client = dynamoDbClient(flags);
  try {
    const { tableInfo } = await describeTable(client, tableName);
    let items: DynamoDbItem[];
    if (givenKey !== undefined) {
      const key = keyForTable(givenKey, tableInfo);
      const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
      if (Item === undefined) throw new CliError(`no item with key ${flags.key} in table "${tableName}"`, ExitCodes.FAILURE);
      items = [Item];
    } else {
      items = [];
      let startKey: DynamoDbItem | undefined;
      do {
        const page = await client.send(new ScanCommand({ TableName: tableName, Limit: flags.limit - items.length, ExclusiveStartKey: startKey }));
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined && items.length < flags.limit);
      if (items.length === 0) process.stderr.write(`ddbec: table "${tableName}" has no items\n`);
    }
    for (const item of items) {
      const keyText = itemKeyText(item, tableInfo);
      const summary = summarizeMaterials(item);
      // The key goes in as its own JSON text: parsing it back would round numbers beyond 2^53.
      process.stdout.write(flags.json ? `${jsonText({ key: new RawJson(keyText), ...summary })}\n` : summaryText(keyText, summary));
    }
    return ExitCodes.SUCCESS;
  } finally {
    client.destroy();
  }
}

function summaryText(keyText: string, summary: MaterialsSummary): string {
  const lines = [`item ${keyText}`, `  materials:           ${summary.providerText}`];
  const add = (label: string, value: string | undefined) => {
    if (value !== undefined) lines.push(`  ${`${label}:`.padEnd(20)} ${value}`);
  };
  add('key wrapping', summary.keyWrappingAlgorithm);
  add('encrypted data key', summary.encryptedDataKey);
  add('content key', summary.contentKeyAlgorithm);
  add('encryption mode', summary.encryptionMode);
  add('signing key', summary.signingKeyAlgorithm);
  add('signing algorithm', summary.signingAlgorithm);
  for (const [name, value] of Object.entries(summary.otherEntries ?? {})) add(name, value);
  return `${lines.join('\n')}\n`;
}
