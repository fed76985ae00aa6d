/**
 * `ddbec encrypt-table --checkpoint FILE` stopped part way, then resumed: first with Ctrl-C
 * (SIGINT: in-flight pages finish, the checkpoint is saved, exit 130), then killed outright
 * (SIGKILL: only what was saved survives). The resumed run processes every item exactly once:
 * none lost, none encrypted twice; those the killed run wrote after its last save are found
 * current. The file is then marked complete, and refused for another table or segment count.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { TableCrypto } from '../../src/encrypted/table-crypto';
import { TableInfo } from '../../src/encrypted/table-info';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { ReservedAttributes } from '../../src/format/material-description-keys';
import { AwsKmsMaterialsProvider } from '../../src/providers/aws-kms-provider';
import { putPlaintextItems, runDdbec, scanTable, startDdbec, temporaryDirectory, type RunningCli } from '../support/cli-run';
import { localDynamoDbClient, localKmsClient, uniqueName } from '../support/local-aws';
import { createPkSkTable } from '../support/tables';

const dynamoDb = localDynamoDbClient();
const kms = localKmsClient();
const tables: string[] = [];
const ITEMS = 1200;
const SIG = ReservedAttributes.SIGNATURE;

afterAll(async () => {
  await Promise.all(tables.map((TableName) => dynamoDb.send(new DeleteTableCommand({ TableName })).catch(() => undefined)));
  dynamoDb.destroy();
  kms.destroy();
});

interface SavedCheckpoint {
  tableName: string;
  totalSegments: number;
  complete: boolean;
  counts: Record<string, number>;
  segments: Array<{ segment: number; done: boolean; lastEvaluatedKey: unknown; counts: Record<string, number> }>;
}

function readCheckpoint(path: string): SavedCheckpoint {
  return JSON.parse(readFileSync(path, 'utf8')) as SavedCheckpoint;
}

/** Polls the checkpoint file until `ready` holds (the run has saved some progress). */
async function waitForCheckpoint(path: string, cli: RunningCli, ready: (saved: SavedCheckpoint) => boolean): Promise<SavedCheckpoint> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (cli.child.exitCode !== null) throw new Error(`ddbec exited (${cli.child.exitCode}) before the checkpoint showed progress: ${cli.stderr()}`);
    if (existsSync(path)) {
      const saved = readCheckpoint(path);
      if (ready(saved)) return saved;
    }
    if (Date.now() > deadline) throw new Error(`no progress in ${path} after 30 s: ${cli.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const keyOf = (item: DynamoDbItem) => `${item.pk.S}/${item.sk.N}`;
const plainItem = (index: number): DynamoDbItem => ({ pk: { S: `order-${String(index).padStart(5, '0')}` }, sk: { N: String(index % 3) }, total: { N: `${index}.5` }, note: { S: `secret-${index}` } });

/** The signature of every item encrypted so far, by key. */
async function encryptedSignatures(tableName: string): Promise<Map<string, string>> {
  const signatures = new Map<string, string>();
  for (const item of await scanTable(dynamoDb, tableName)) {
    if (item[SIG] !== undefined) signatures.set(keyOf(item), Buffer.from(item[SIG].B as Uint8Array).toString('hex'));
  }
  return signatures;
}

test('a job interrupted with SIGINT and then killed with SIGKILL resumes from its checkpoint and encrypts every item exactly once', async () => {
  const tableName = uniqueName('cli-checkpoint');
  tables.push(tableName);
  await createPkSkTable(dynamoDb, tableName);
  const items = Array.from({ length: ITEMS }, (_, index) => plainItem(index));
  await putPlaintextItems(dynamoDb, tableName, items);
  const keyArn = (await kms.send(new CreateKeyCommand({ Description: 'ddbec checkpoint test' }))).KeyMetadata?.Arn as string;
  const checkpoint = join(temporaryDirectory(), 'job.checkpoint.json');
  const job = ['encrypt-table', '--table', tableName, '--materials', 'direct-kms', '--kms-key-id', keyArn, '--segments', '4', '--checkpoint', checkpoint, '--json'];
  // A low rate (capacity units per second for the whole job) keeps the run going long enough to
  // stop it part way; small pages make the checkpoints frequent.
  const slowly = ['--rate', '600', '--page-size', '20'];

  // 1. Ctrl-C: the pages in flight finish, the checkpoint is saved, exit 130 with how to resume.
  const interrupted = startDdbec([...job, ...slowly], { singleProcess: true });
  await waitForCheckpoint(checkpoint, interrupted, (saved) => saved.counts.scanned > 0);
  interrupted.child.kill('SIGINT');
  const first = await interrupted.result;
  expect(first.code).toBe(130);
  expect(first.stderr).toContain(`ddbec: interrupted; resume with --checkpoint ${checkpoint}`);
  const afterInterrupt = readCheckpoint(checkpoint);
  expect(afterInterrupt).toMatchObject({ tableName, totalSegments: 4, complete: false });
  expect(afterInterrupt.counts.encrypted).toBeGreaterThan(0);
  expect(afterInterrupt.counts.encrypted).toBeLessThan(ITEMS);
  expect(afterInterrupt.segments.some((segment) => !segment.done && segment.lastEvaluatedKey !== null)).toBe(true);
  // Nothing was left in flight: what the checkpoint counts is exactly what the table holds.
  expect((await encryptedSignatures(tableName)).size).toBe(afterInterrupt.counts.encrypted);

  // 2. Resumed, then killed without warning once it has saved more progress.
  const killed = startDdbec([...job, ...slowly], { singleProcess: true });
  await waitForCheckpoint(checkpoint, killed, (saved) => saved.counts.scanned > afterInterrupt.counts.scanned);
  await new Promise((resolve) => setTimeout(resolve, 300)); // let it write past its last save
  killed.child.kill('SIGKILL');
  const second = await killed.result;
  expect({ code: second.code, signal: second.signal }).toEqual({ code: null, signal: 'SIGKILL' });
  const atKill = readCheckpoint(checkpoint);
  expect(atKill.complete).toBe(false);
  // Writes the killed process had already sent may still land in DynamoDB Local: wait until the
  // table stops changing before counting what the kill left behind.
  let writtenAtKill = await encryptedSignatures(tableName);
  for (let settled = false; !settled; ) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const again = await encryptedSignatures(tableName);
    settled = again.size === writtenAtKill.size;
    writtenAtKill = again;
  }
  expect(writtenAtKill.size).toBeGreaterThanOrEqual(atKill.counts.encrypted);
  expect(writtenAtKill.size).toBeLessThan(ITEMS);

  // 3. Resumed to the end, at full speed.
  const resumed = await runDdbec(job);
  expect(resumed.stderr).not.toContain('error');
  expect(resumed.code).toBe(0);
  const final = readCheckpoint(checkpoint);
  expect(final.complete).toBe(true);
  expect(final.segments.every((segment) => segment.done && segment.lastEvaluatedKey === null)).toBe(true);
  // Every item was scanned in exactly one saved run: none lost, none counted twice.
  expect(final.counts.scanned).toBe(ITEMS);
  expect(final.counts.failed).toBe(0);
  // Items the killed run wrote after its last save were found current, not encrypted again.
  expect(final.counts.alreadyCurrent).toBe(writtenAtKill.size - atKill.counts.encrypted);
  expect(final.counts.encrypted).toBe(ITEMS - final.counts.alreadyCurrent);
  const summary = JSON.parse(resumed.stdout.trim()) as { complete: boolean; counts: Record<string, number> };
  expect(summary).toMatchObject({ complete: true, counts: final.counts });

  // Every item is encrypted and those written before the kill were not rewritten. A sample from
  // every run decrypts to what it was (the encrypt-table test decrypts whole tables; one KMS
  // call per item for all of them would double this test's time).
  const stored = await scanTable(dynamoDb, tableName);
  expect(stored).toHaveLength(ITEMS);
  const finalSignatures = await encryptedSignatures(tableName);
  expect(finalSignatures.size).toBe(ITEMS);
  for (const [key, signature] of writtenAtKill) expect(finalSignatures.get(key)).toBe(signature);
  const tableInfo = new TableInfo({ name: tableName, primaryIndex: { partition: 'pk', sort: 'sk' } });
  const crypto = new TableCrypto(tableInfo, new AwsKmsMaterialsProvider({ keyId: keyArn, kmsClient: kms }), new AttributeActions());
  const expected = new Map(items.map((item) => [keyOf(item), item]));
  const sample = stored.filter((_, index) => index % 15 === 0);
  for (const item of await Promise.all(sample.map((item) => crypto.decrypt(item)))) expect(item).toEqual(expected.get(keyOf(item)));

  // 4. A complete checkpoint: nothing to do, nothing written.
  const again = await runDdbec(job);
  expect(again.code).toBe(0);
  expect(JSON.parse(again.stdout.trim())).toMatchObject({ complete: true, alreadyComplete: true });
  expect(await encryptedSignatures(tableName)).toEqual(finalSignatures);

  // 5. The file belongs to this table and segment count: anything else is refused in one line.
  const otherSegments = await runDdbec(job.map((arg) => (arg === '4' ? '8' : arg)));
  expect(otherSegments.code).toBe(2);
  expect(otherSegments.stderr.trim()).toBe(
    `ddbec: error: the checkpoint file ${checkpoint} is for --segments 4, not 8: use a new --checkpoint file, or delete this one to start over (to resume it, give the settings of the run that wrote it)`,
  );
  const otherTableName = uniqueName('cli-checkpoint-other');
  tables.push(otherTableName);
  await createPkSkTable(dynamoDb, otherTableName);
  const otherTable = await runDdbec(job.map((arg) => (arg === tableName ? otherTableName : arg)));
  expect(otherTable.code).toBe(2);
  expect(otherTable.stderr.trim().split('\n')).toEqual([expect.stringContaining(`is for table "${tableName}", not "${otherTableName}"`)]);
}, 120_000);
