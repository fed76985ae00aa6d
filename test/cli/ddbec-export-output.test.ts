/**
 * `ddbec export --output FILE` writes FILE whole or not at all: a temporary file beside it
 * (mode 0600: it holds plaintext) is renamed over FILE only once every item was read, so a
 * failed or interrupted export leaves an existing FILE as it was. A Ctrl-C that arrives after
 * every segment has read its last page loses nothing, and is not reported as an interruption
 * (export and verify alike). The KMS endpoint is a proxy that holds requests, so that the
 * signal lands at a known point instead of racing a fast local backend.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { EncryptedClient } from '../../src/encrypted/encrypted-client';
import { TableInfo } from '../../src/encrypted/table-info';
import { AwsKmsMaterialsProvider } from '../../src/providers/aws-kms-provider';
import { runDdbec, startDdbec, temporaryDirectory, writeConfigFile, type RunningCli } from '../support/cli-run';
import { localDynamoDbClient, localKmsClient, uniqueName } from '../support/local-aws';
import { createPkSkTable, samplePlaintextItem } from '../support/tables';
import { heldEndpoint } from './held-endpoint';

const dynamoDb = localDynamoDbClient();
const kms = localKmsClient();
const ITEMS = 6;
const PREVIOUS = '{"an":"earlier export"}\n';
let tableName: string;
let config: string;

beforeAll(async () => {
  tableName = uniqueName('cli-export-output');
  await createPkSkTable(dynamoDb, tableName);
  const keyArn = (await kms.send(new CreateKeyCommand({ Description: 'ddbec export output tests' }))).KeyMetadata?.Arn as string;
  config = writeConfigFile(temporaryDirectory(), { DDBEC_TABLE_NAME: tableName, DDBEC_MATERIALS: 'direct-kms', DDBEC_KMS_KEY_ID: keyArn, DDBEC_ALLOWED_KMS_KEY_IDS: keyArn });
  const writer = new EncryptedClient({
    client: dynamoDb,
    materialsProvider: new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: kms }),
    tableInfos: [new TableInfo({ name: tableName, primaryIndex: { partition: 'pk', sort: 'sk' } })],
  });
  for (let index = 0; index < ITEMS; index++) await writer.putItem({ TableName: tableName, Item: samplePlaintextItem(index) });
});

afterAll(async () => {
  await dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  dynamoDb.destroy();
  kms.destroy();
});

/** FILE in a directory of its own, holding an earlier export readable by everyone. */
function previousExport(): string {
  const file = join(temporaryDirectory(), 'orders.jsonl');
  writeFileSync(file, PREVIOUS);
  chmodSync(file, 0o644);
  return file;
}

const mode = (path: string) => statSync(path).mode & 0o777;
const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter((line) => line !== '');

async function stderrShows(cli: RunningCli, text: string): Promise<void> {
  for (const deadline = Date.now() + 20_000; !cli.stderr().includes(text); ) {
    if (Date.now() > deadline || cli.child.exitCode !== null) throw new Error(`no "${text}" on stderr: ${cli.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Starts a command whose KMS calls wait at a proxy; sends SIGINT once the first one is waiting, then lets them all through. */
async function interruptedAtFirstKmsCall(args: string[], whileHeld: (cli: RunningCli) => void = () => undefined) {
  const kmsProxy = await heldEndpoint(process.env.AWS_ENDPOINT_URL_KMS as string);
  try {
    const cli = startDdbec([...args, '--kms-endpoint-url', kmsProxy.url], { singleProcess: true });
    const exitedEarly = cli.result.then((result) => Promise.reject(new Error(`ddbec exited (${result.code}) before calling KMS: ${result.stderr}`)));
    exitedEarly.catch(() => undefined); // reported by the race below, if it comes first
    await Promise.race([kmsProxy.firstHeldRequest, exitedEarly]);
    whileHeld(cli);
    cli.child.kill('SIGINT');
    await stderrShows(cli, 'SIGINT: finishing the pages in flight');
    kmsProxy.release();
    return await cli.result;
  } finally {
    await kmsProxy.close();
  }
}

test('a complete export replaces FILE with mode 0600, and leaves no temporary file', async () => {
  const file = previousExport();
  const result = await runDdbec(['export', '--config', config, '--output', file, '--segments', '2']);
  expect(result.stderr).toContain(`${ITEMS} items exported to ${file}`);
  expect(result.code).toBe(0);
  expect(lines(file)).toHaveLength(ITEMS);
  expect(mode(file)).toBe(0o600);
  expect(readdirSync(join(file, '..'))).toEqual([basename(file)]);
});

test('a failed export leaves FILE as it was, and no temporary file', async () => {
  const file = previousExport();
  const result = await runDdbec(['export', '--config', config, '--output', file, '--kms-endpoint-url', 'http://127.0.0.1:9']);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('ddbec: error: cannot reach KMS at http://127.0.0.1:9');
  expect(result.stderr).toContain('check --kms-endpoint-url (or AWS_ENDPOINT_URL_KMS)');
  expect(readFileSync(file, 'utf8')).toBe(PREVIOUS);
  expect(mode(file)).toBe(0o644);
  expect(readdirSync(join(file, '..'))).toEqual([basename(file)]);
});

test('an export interrupted part way exits 130 and leaves FILE as it was; the temporary file was 0600 and is gone', async () => {
  const file = previousExport();
  let temporaryMode: number | undefined;
  const result = await interruptedAtFirstKmsCall(['export', '--config', config, '--output', file, '--segments', '1', '--page-size', '2'], (cli) => {
    const temporary = `${file}.${cli.child.pid}.tmp`;
    temporaryMode = existsSync(temporary) ? mode(temporary) : undefined;
  });
  expect(temporaryMode).toBe(0o600);
  expect(result.code).toBe(130);
  expect(result.stderr).toContain(`ddbec: interrupted; ${file} was not written (an existing file is as it was): run the export again`);
  expect(readFileSync(file, 'utf8')).toBe(PREVIOUS);
  expect(readdirSync(join(file, '..'))).toEqual([basename(file)]);
});

test('a signal while the last page is processed loses nothing: export and verify finish, exit 0, not "interrupted"', async () => {
  // One segment of one page: when the first KMS call waits, every page has been read.
  const file = previousExport();
  const exported = await interruptedAtFirstKmsCall(['export', '--config', config, '--output', file, '--segments', '1']);
  expect(exported.stderr).not.toContain('interrupted');
  expect(exported.stderr).toContain(`${ITEMS} items exported to ${file}`);
  expect(exported.code).toBe(0);
  expect(lines(file)).toHaveLength(ITEMS);

  const verified = await interruptedAtFirstKmsCall(['verify', '--config', config, '--segments', '1', '--json']);
  expect(JSON.parse(verified.stdout)).toMatchObject({ complete: true, scanned: ITEMS, valid: ITEMS });
  expect(verified.code).toBe(0);
});

test('--concurrency bounds the segments in flight and --page-size the items per page; more lanes than segments is refused', async () => {
  const result = await runDdbec(['verify', '--config', config, '--segments', '3', '--concurrency', '1', '--page-size', '1', '--json']);
  expect(JSON.parse(result.stdout)).toMatchObject({ complete: true, scanned: ITEMS, valid: ITEMS });
  expect(result.code).toBe(0);
  const tooMany = await runDdbec(['export', '--config', config, '--segments', '2', '--concurrency', '3']);
  expect(tooMany.code).toBe(2);
  expect(tooMany.stderr).toBe('ddbec: error: --concurrency 3 is more than --segments 2: at most one run per segment at a time\n');
});
