/**
 * `ddbec describe` (materials from the description alone, with KMS unreachable; keys of more
 * digits than a JavaScript number holds; --key checked against the key schema), every
 * `--help` text, and the one-line errors: a missing table, a bad configuration, a misspelt
 * --config setting, no credentials, a KMS key that does not exist, an unreachable endpoint.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { EncryptedClient } from '../../src/encrypted/encrypted-client';
import { TableInfo } from '../../src/encrypted/table-info';
import { deserializeMaterialDescription } from '../../src/format/material-description';
import { ReservedAttributes } from '../../src/format/material-description-keys';
import { ddbecProgram } from '../../src/cli/program';
import { AwsKmsMaterialsProvider } from '../../src/providers/aws-kms-provider';
import { MetaStore } from '../../src/providers/meta-store';
import { MostRecentProvider } from '../../src/providers/most-recent-provider';
import { runDdbec, scanTable, temporaryDirectory, writeConfigFile } from '../support/cli-run';
import { localDynamoDbClient, localKmsClient, uniqueName } from '../support/local-aws';
import { createPkSkTable, samplePlaintextItem } from '../support/tables';

const dynamoDb = localDynamoDbClient();
const kms = localKmsClient();
const tables: string[] = [];
const directory = temporaryDirectory();
/** Nothing listens here: a command that called KMS would fail. */
const NO_KMS = { AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:9' };
let tableName: string;
let keyArn: string;

beforeAll(async () => {
  tableName = uniqueName('cli-describe');
  const metaStoreTable = uniqueName('cli-describe-meta');
  tables.push(tableName, metaStoreTable);
  await Promise.all([createPkSkTable(dynamoDb, tableName), MetaStore.createTable(dynamoDb, metaStoreTable)]);
  keyArn = (await kms.send(new CreateKeyCommand({ Description: 'ddbec describe tests' }))).KeyMetadata?.Arn as string;
  const tableInfos = [new TableInfo({ name: tableName, primaryIndex: { partition: 'pk', sort: 'sk' } })];
  const direct = new EncryptedClient({ client: dynamoDb, materialsProvider: new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: kms }), tableInfos });
  await direct.putItem({ TableName: tableName, Item: samplePlaintextItem(1) });
  const metaStore = new MetaStore({ tableName: metaStoreTable, materialsProvider: new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: kms }), dynamoDbClient: dynamoDb });
  await metaStore.newProvider('orders');
  await metaStore.newProvider('orders');
  const mostRecent = new EncryptedClient({ client: dynamoDb, materialsProvider: new MostRecentProvider({ providerStore: metaStore, materialName: 'orders', versionTtlMs: 60_000 }), tableInfos });
  await mostRecent.putItem({ TableName: tableName, Item: samplePlaintextItem(2) });
  await dynamoDb.send(new PutItemCommand({ TableName: tableName, Item: samplePlaintextItem(3) }));
});

afterAll(async () => {
  await Promise.all(tables.map((TableName) => dynamoDb.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
  dynamoDb.destroy();
  kms.destroy();
});

describe('describe', () => {
  test('shows a Direct KMS item\'s materials without calling KMS, the data key truncated', async () => {
    const result = await runDdbec(['describe', '--table', tableName, '--key', '{"pk":"customer-0001","sk":1}'], { env: NO_KMS });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const stored = (await scanTable(dynamoDb, tableName)).find((item) => item.pk.S === 'customer-0001');
    const description = Object.fromEntries(deserializeMaterialDescription(stored?.[ReservedAttributes.MATERIAL_DESCRIPTION].B as Uint8Array));
    const wrappedKey = description['amzn-ddb-env-key'];
    expect(wrappedKey.length).toBeGreaterThan(16);
    expect(result.stdout).toContain('item {"pk":"customer-0001","sk":1}');
    expect(result.stdout).toContain('materials:           Direct KMS');
    expect(result.stdout).toContain('key wrapping:        kms');
    expect(result.stdout).toContain(`content key:         ${description['amzn-ddb-env-alg']}`);
    expect(result.stdout).toContain(`signing key:         ${description['amzn-ddb-sig-alg']}`);
    expect(result.stdout).toContain(`encrypted data key:  ${wrappedKey.slice(0, 16)}... (${wrappedKey.length} characters)`);
    expect(result.stdout).not.toContain(wrappedKey);
    expect(result.stdout).not.toContain('secret-card');
  });

  test('--json for the first items: Direct KMS, the MetaStore material and version, plaintext', async () => {
    const result = await runDdbec(['describe', '--table', tableName, '--limit', '10', '--json'], { env: NO_KMS });
    expect(result.code).toBe(0);
    const described = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { key: { pk: string }; provider: string; materialName?: string; version?: number; keyWrappingAlgorithm?: string });
    expect(described).toHaveLength(3);
    const byItem = Object.fromEntries(described.map((entry) => [entry.key.pk, entry]));
    expect(byItem['customer-0001']).toMatchObject({ provider: 'direct-kms', keyWrappingAlgorithm: 'kms' });
    expect(byItem['customer-0002']).toMatchObject({ provider: 'most-recent', materialName: 'orders', version: 1 });
    expect(byItem['customer-0003']).toMatchObject({ provider: 'plaintext' });
    expect(result.stdout).not.toContain('secret-card');
  });

  test('an unknown key is one error line', async () => {
    const result = await runDdbec(['describe', '--table', tableName, '--key', '{"pk":"nobody","sk":0}'], { env: NO_KMS });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`ddbec: error: no item with key {"pk":"nobody","sk":0} in table "${tableName}"\n`);
  });

  test('a key the table\'s key schema does not take is a usage error naming the attribute and the table', async () => {
    const schema = `table "${tableName}" (its key: pk (S), sk (N))`;
    const refused = async (key: string) => {
      const result = await runDdbec(['describe', '--table', tableName, '--key', key], { env: NO_KMS });
      expect(result.code).toBe(2);
      return result.stderr;
    };
    expect(await refused('{"pk":"customer-0001"}')).toBe(`ddbec: error: --key lacks the sort key "sk" of ${schema}\n`);
    expect(await refused('{"pk":"customer-0001","sk":"1"}')).toBe(`ddbec: error: --key attribute "sk" of ${schema} must be a number, not a string\n`);
    expect(await refused('{"pk":1,"sk":1}')).toBe(`ddbec: error: --key attribute "pk" of ${schema} must be a string, not a number\n`);
    expect(await refused('{"pk":"customer-0001","sk":1,"card":"x"}')).toBe(`ddbec: error: --key attribute "card" is not a key attribute of ${schema}\n`);
    expect(await refused('{"pk":"customer-0001","sk":1,"sk":2}')).toBe('ddbec: error: --key names attribute "sk" twice\n');
  });

  test('keys of more digits than a JavaScript number holds keep every digit: --key finds the item, --json and verify print it exactly', async () => {
    const bigKeyTable = uniqueName('cli-describe-big');
    tables.push(bigKeyTable);
    await createPkSkTable(dynamoDb, bigKeyTable);
    const BIG = '12345678901234567890'; // above 2^53: JSON.parse would make it ...7000
    const NEIGHBOUR = '12345678901234567000';
    await dynamoDb.send(new PutItemCommand({ TableName: bigKeyTable, Item: { pk: { S: 'a' }, sk: { N: BIG }, note: { S: 'this one' } } }));
    await dynamoDb.send(new PutItemCommand({ TableName: bigKeyTable, Item: { pk: { S: 'a' }, sk: { N: NEIGHBOUR }, note: { S: 'not this one' } } }));
    const exactKey = `{"pk":"a","sk":${BIG}}`;

    const described = await runDdbec(['describe', '--table', bigKeyTable, '--key', exactKey, '--json'], { env: NO_KMS });
    expect(described.stderr).toBe('');
    expect(described.code).toBe(0);
    expect(described.stdout).toBe(`{"key":${exactKey},"provider":"plaintext","providerText":"none: plaintext (no signature, no material description)"}\n`);

    const scanned = await runDdbec(['describe', '--table', bigKeyTable, '--json'], { env: NO_KMS });
    expect(scanned.stdout).toContain(`{"key":${exactKey},`);
    expect(scanned.stdout).toContain(`{"key":{"pk":"a","sk":${NEIGHBOUR}},`);

    // Plaintext items only: nothing for KMS to do, every key printed as a bad item.
    const verified = await runDdbec(['verify', '--table', bigKeyTable, '--materials', 'direct-kms', '--kms-key-id', keyArn, '--allow-plaintext', '--json'], { env: NO_KMS });
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(`{"key":${exactKey},"problem":"plaintext"}`);
    expect(verified.stdout).toContain(`{"key":{"pk":"a","sk":${NEIGHBOUR}},"problem":"plaintext"}`);
  });
});

/**
 * The entries of a help text's "Options:" section by flags ("--segments <n>"), each its
 * description with the lines it wraps onto joined and whitespace collapsed.
 */
function optionEntries(help: string): Map<string, string> {
  const start = help.indexOf('Options:\n');
  expect(start).toBeGreaterThanOrEqual(0);
  const section = help.slice(start + 'Options:\n'.length).split('\n\n')[0];
  const entries = new Map<string, string>();
  let flags: string | undefined;
  for (const line of section.split('\n')) {
    // An entry starts two spaces in: its flags, then (unless they are too long) its description.
    const entry = /^ {2}(\S(?:.*?\S)?)(?: {2,}(.*))?$/.exec(line);
    if (entry !== null) {
      flags = entry[1];
      entries.set(flags, (entry[2] ?? '').trim());
    } else if (flags !== undefined) {
      entries.set(flags, `${entries.get(flags)} ${line.trim()}`.trim());
    }
  }
  return entries;
}

describe('--help', () => {
  test('the program lists every command, the configuration and examples', async () => {
    const result = await runDdbec(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['encrypt-table', 'reencrypt', 'export', 'verify', 'describe']) expect(result.stdout).toMatch(new RegExp(`^  ${command} \\[options\\]`, 'm'));
    expect(result.stdout).toContain('--config FILE');
    expect(result.stdout).toContain('Examples:\n  $ ddbec encrypt-table');
  });

  test.each(['encrypt-table', 'reencrypt', 'export', 'verify', 'describe'])('%s --help documents every option, its default and an example', async (name) => {
    const result = await runDdbec([name, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: ddbec ${name} [options]`);
    const command = ddbecProgram().commands.find((candidate) => candidate.name() === name);
    expect(command).toBeDefined();
    expect(result.stdout).toContain(command?.description().slice(0, 40));
    // Every option's own entry states its default: commander's "(default: VALUE)" for a default
    // value, otherwise "default: ..." in the description. Collected over all options, so that a
    // failure names each option lacking one.
    const entries = optionEntries(result.stdout);
    const undocumented: string[] = [];
    expect(command?.options.length).toBeGreaterThan(0);
    for (const option of command?.options ?? []) {
      const entry = entries.get(option.flags);
      if (entry === undefined) {
        undocumented.push(`${option.flags}: not in the help`);
        continue;
      }
      if (option.defaultValue !== undefined && !option.negate) {
        if (!entry.includes(`(default: ${JSON.stringify(option.defaultValue)})`)) undocumented.push(`${option.flags}: its default ${JSON.stringify(option.defaultValue)} is not shown: ${entry}`);
      } else if (!/\bdefault: \S/.test(entry)) {
        undocumented.push(`${option.flags}: no "default: ..." in ${JSON.stringify(entry)}`);
      }
    }
    expect(undocumented).toEqual([]);
    expect(result.stdout).toContain(`Examples:\n  $ ddbec ${name} `);
    expect(result.stdout).toContain('Exit status:');
  });

  test.each(['encrypt-table', 'reencrypt', 'export', 'verify'])('%s --help says what an interruption does and which commands take --rate and --checkpoint', async (name) => {
    const result = await runDdbec([name, '--help']);
    const text = result.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('Interruption (Ctrl-C, SIGTERM): the pages in flight finish');
    for (const option of ['--segments <n>', '--concurrency <n>', '--page-size <n>']) expect(result.stdout).toContain(option);
    if (name === 'export' || name === 'verify') {
      expect(result.stdout).not.toContain('--rate <units>');
      expect(result.stdout).not.toContain('--checkpoint <file>');
      expect(text).toContain('There is no checkpoint (--checkpoint and --rate are options of encrypt-table and reencrypt only)');
    } else {
      expect(result.stdout).toContain('--rate <units>');
      expect(result.stdout).toContain('--checkpoint <file>');
      expect(text).toContain('rerun with the same --checkpoint FILE and settings to resume');
    }
  });
});

describe('errors are one line, without a stack trace unless --debug', () => {
  const oneLine = (stderr: string) => {
    expect(stderr.split('\n').filter((line) => line !== '')).toHaveLength(1);
    expect(stderr).toMatch(/^ddbec: error: /);
    expect(stderr).not.toMatch(/^\s+at /m);
  };

  test('a missing table', async () => {
    const result = await runDdbec(['verify', '--table', 'no-such-table', '--materials', 'direct-kms', '--kms-key-id', keyArn]);
    expect(result.code).toBe(1);
    oneLine(result.stderr);
    expect(result.stderr).toContain('table "no-such-table" not found in region us-east-1 at http://127.0.0.1:');
    expect(result.stderr).toContain('(ResourceNotFoundException)');
    const debug = await runDdbec(['describe', '--table', 'no-such-table', '--debug']);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^\s+at /m);
  });

  test('a configuration missing settings names each variable and the flag that sets it', async () => {
    const config = writeConfigFile(directory, { DDBEC_TABLE_NAME: tableName, DDBEC_MATERIALS: 'most-recent', DDBEC_KMS_KEY_ID: keyArn }, 'most-recent.json');
    const result = await runDdbec(['export', '--config', config]);
    expect(result.code).toBe(2);
    oneLine(result.stderr);
    expect(result.stderr).toBe(
      'ddbec: error: invalid pipeline configuration: DDBEC_META_STORE_TABLE_NAME is not set (the MetaStore table of most-recent materials); ' +
        'DDBEC_MATERIAL_NAME is not set (the material name of most-recent materials) (set with --meta-store-table, --material-name or in the --config file)\n',
    );
    const badActions = await runDdbec(['verify', '--table', tableName, '--materials', 'direct-kms', '--kms-key-id', keyArn, '--attribute-actions', '{"attributes":{"card":"HIDE"}}']);
    expect(badActions.code).toBe(2);
    oneLine(badActions.stderr);
    expect(badActions.stderr).toContain('DDBEC_ATTRIBUTE_ACTIONS: attribute "card" must be ENCRYPT_AND_SIGN, SIGN_ONLY or DO_NOTHING, got "HIDE"');
    const notJson = join(directory, 'not-json.json');
    writeFileSync(notJson, 'DDBEC_TABLE_NAME=orders');
    const unreadable = await runDdbec(['reencrypt', '--config', notJson]);
    expect(unreadable.code).toBe(2);
    oneLine(unreadable.stderr);
    expect(unreadable.stderr).toContain(`the --config file ${notJson} is not JSON`);
    const badOption = await runDdbec(['encrypt-table', '--config', notJson, '--segments', '0']);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain("ddbec: error: option '--segments <n>' argument '0' is invalid");
  });

  test('a --config setting the pipeline does not know is refused by name, with the closest valid one', async () => {
    // Misspelt, the key restriction would silently be off: items under any key would pass.
    const config = writeConfigFile(directory, { DDBEC_TABLE_NAME: tableName, DDBEC_MATERIALS: 'direct-kms', DDBEC_KMS_KEY_ID: keyArn, DDBEC_ALLOWED_KMS_KEYIDS: keyArn }, 'typo.json');
    const result = await runDdbec(['verify', '--config', config]);
    expect(result.code).toBe(2);
    oneLine(result.stderr);
    expect(result.stderr).toBe(`ddbec: error: the --config file ${config}: unknown setting "DDBEC_ALLOWED_KMS_KEYIDS" (did you mean DDBEC_ALLOWED_KMS_KEY_IDS?)\n`);
    const describeConfig = writeConfigFile(directory, { DDBEC_TABLENAME: tableName }, 'typo-table.json');
    const described = await runDdbec(['describe', '--config', describeConfig]);
    expect(described.code).toBe(2);
    expect(described.stderr).toBe(`ddbec: error: the --config file ${describeConfig}: unknown setting "DDBEC_TABLENAME" (did you mean DDBEC_TABLE_NAME?)\n`);
  });

  test('an unreachable DynamoDB endpoint names the service and --endpoint-url', async () => {
    const result = await runDdbec(['describe', '--table', tableName, '--endpoint-url', 'http://127.0.0.1:9']);
    expect(result.code).toBe(1);
    oneLine(result.stderr);
    expect(result.stderr).toBe('ddbec: error: cannot reach DynamoDB (connect ECONNREFUSED 127.0.0.1:9): check --endpoint-url (or AWS_ENDPOINT_URL_DYNAMODB), --region and the network\n');
  });

  test('no credentials anywhere', async () => {
    const empty = join(directory, 'empty');
    writeFileSync(empty, '');
    const result = await runDdbec(['describe', '--table', tableName], {
      env: {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: undefined,
        AWS_SHARED_CREDENTIALS_FILE: empty,
        AWS_CONFIG_FILE: empty,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
        AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      },
    });
    expect(result.code).toBe(1);
    oneLine(result.stderr);
    expect(result.stderr).toContain('ddbec: error: no AWS credentials found (CredentialsProviderError)');
  });

  test('a KMS key that does not exist', async () => {
    const missingKey = keyArn.replace(/key\/.*/, 'key/00000000-0000-0000-0000-000000000000');
    const result = await runDdbec(['verify', '--table', tableName, '--materials', 'direct-kms', '--kms-key-id', missingKey, '--allowed-kms-key-ids', missingKey]);
    expect(result.code).toBe(1);
    oneLine(result.stderr);
    expect(result.stderr).toContain('NotFoundException');
  });
});
