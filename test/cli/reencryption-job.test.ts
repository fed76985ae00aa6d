/**
 * The job loop of encrypt-table and reencrypt when a checkpoint save fails part way (here the
 * file's place becomes a directory): the failure is the job's, so every lane stops at its next
 * page boundary before the job rejects, instead of one lane leaving while the others go on
 * writing with nothing saved; the failed save leaves no temporary file.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { CheckpointFile, type JobProgress } from '../../src/cli/checkpoint-file';
import { Interruption } from '../../src/cli/interruption';
import { progressReporter } from '../../src/cli/progress';
import { runReEncryptionJob } from '../../src/cli/reencryption-job';
import { TableInfo } from '../../src/encrypted/table-info';
import { ReservedAttributes } from '../../src/format/material-description-keys';
import { readReEncryptConfig } from '../../src/pipeline/pipeline-config';
import { putPlaintextItems, scanTable, temporaryDirectory } from '../support/cli-run';
import { localDynamoDbClient, localKmsClient, uniqueName } from '../support/local-aws';
import { createPkSkTable } from '../support/tables';

const dynamoDb = localDynamoDbClient();
const kms = localKmsClient();
const ITEMS = 1000;
let tableName: string;

afterAll(async () => {
  await dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
  dynamoDb.destroy();
  kms.destroy();
});

/** Saves normally, until its file's place is taken by a directory just before save number `breakAt`. */
class BreakingCheckpoint extends CheckpointFile {
  private saves = 0;

  constructor(
    path: string,
    private readonly breakAt: number,
  ) {
    super(path);
  }

  override save(job: JobProgress): Promise<void> {
    this.saves += 1;
    if (this.saves === this.breakAt) {
      rmSync(this.path);
      mkdirSync(this.path);
    }
    return super.save(job);
  }
}

const encryptedCount = async () => (await scanTable(dynamoDb, tableName)).filter((item) => item[ReservedAttributes.SIGNATURE] !== undefined).length;

test('a failed checkpoint save stops every lane before the job rejects, and leaves no temporary file', async () => {
  tableName = uniqueName('cli-job');
  await createPkSkTable(dynamoDb, tableName);
  await putPlaintextItems(
    dynamoDb,
    tableName,
    Array.from({ length: ITEMS }, (_, index) => ({ pk: { S: `order-${index}` }, sk: { N: String(index % 5) }, note: { S: `secret-${index}` } })),
  );
  const keyArn = (await kms.send(new CreateKeyCommand({ Description: 'ddbec job test' }))).KeyMetadata?.Arn as string;
  const directory = temporaryDirectory();
  const checkpoint = new BreakingCheckpoint(join(directory, 'job.json'), 3);
  const failure: unknown = await runReEncryptionJob({
    command: 'encrypt-table',
    config: readReEncryptConfig({ DDBEC_TABLE_NAME: tableName, DDBEC_MATERIALS: 'direct-kms', DDBEC_KMS_KEY_ID: keyArn }),
    clients: { dynamoDb, kms },
    tableInfo: new TableInfo({ name: tableName, primaryIndex: { partition: 'pk', sort: 'sk' } }),
    totalSegments: 4,
    concurrency: 4,
    // Slow enough that the job is far from done when the save fails.
    rate: 200,
    pageSize: 10,
    dryRun: false,
    checkpoint,
    interruption: new Interruption(() => undefined),
    maxKeys: 0,
    progress: () => progressReporter({ label: 'test', estimatedTotal: 0, intervalSeconds: 60, stream: new PassThrough() as unknown as NodeJS.WriteStream }),
  }).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toMatchObject({ name: 'CliError', exitCode: 1, message: `cannot write the checkpoint file ${checkpoint.path} (EISDIR)` });

  const atFailure = await encryptedCount();
  expect(atFailure).toBeGreaterThan(0);
  expect(atFailure).toBeLessThan(ITEMS);
  // Nothing was left running: a second later the table holds what it held when the job rejected.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(await encryptedCount()).toBe(atFailure);
  expect(readdirSync(directory)).toEqual(['job.json']);
  expect(readdirSync(checkpoint.path)).toEqual([]);
}, 60_000);
