/**
 * Crash safety of `ddbec reencrypt --checkpoint FILE` (issue #8, part 1).
 *
 * A table of items encrypted with Direct KMS under key A is rotated to key B by the real CLI,
 * run as users run it (a child process, `node --import tsx src/cli/ddbec.ts`, so the pid is the
 * CLI itself), which is SIGKILLed at random moments (seeded) `kills` times, each run resuming
 * from the checkpoint file the previous one left; then one last run goes to the end. Checked:
 *
 * - after every kill the checkpoint file is still valid JSON for this table, not complete;
 * - at the end the file is complete and its counts add up to the table (scanned = items,
 *   reencrypted + alreadyCurrent = items, failed = conflicts = 0);
 * - every item is in the table (lost), no other key appeared (duplicated), and every item
 *   decrypts with key B alone in strict mode to exactly its original plaintext (corrupted; an
 *   item still under key A counts as `notRotated` and as corrupted);
 * - how many re-encryption writes were repeated: the table has a stream, and each write of the
 *   re-encryptor is one MODIFY record, so writes per key are counted from the stream
 *   (`repeatedWrites`, items written more than once; 0 expected since items written after the
 *   last save are found current, but not required).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { EncryptedClient } from '../../src/encrypted/encrypted-client';
import { TableCrypto } from '../../src/encrypted/table-crypto';
import { TableInfo } from '../../src/encrypted/table-info';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { decryptDynamoDbItem } from '../../src/encryptor/item-encryptor';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { AwsKmsMaterialsProvider } from '../../src/providers/aws-kms-provider';
import { scanTable, startDdbec, temporaryDirectory } from '../support/cli-run';
import { localDynamoDbClient, localKmsClient, uniqueName } from '../support/local-aws';
import { createStreamTable, readStreamRecords } from '../support/stream-events';
import { createKmsKey, keyText, mapLimit, sameItem, scenarioSeed, seededRandom, type HardeningRow, type Scale } from './crash-support';

export interface CrashScenarioOptions {
  readonly items: number;
  readonly kills: number;
  /** Each run is killed this long after it was started, uniformly at random in [min, max]. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** `--rate` (capacity units per second): keeps the job long enough to be killed `kills` times. */
  readonly rate: number;
  readonly pageSize: number;
  readonly segments: number;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

export const CRASH_SCALES: Record<Scale, CrashScenarioOptions> = {
  test: { items: 300, kills: 5, minDelayMs: 400, maxDelayMs: 1200, rate: 40, pageSize: 10, segments: 4 },
  full: { items: 3000, kills: 25, minDelayMs: 300, maxDelayMs: 4000, rate: 150, pageSize: 20, segments: 4 },
};

export interface CrashScenarioResult extends HardeningRow {
  /** Problems found besides the counts (a bad checkpoint file, a failed run), for the test to show. */
  readonly problems: readonly string[];
}

interface SavedCheckpoint {
  tableName: string;
  totalSegments: number;
  complete: boolean;
  counts: Record<string, number>;
}

export function crashPlaintextItem(index: number): DynamoDbItem {
  const id = String(index).padStart(6, '0');
  return {
    pk: { S: `crash-${id}` },
    sk: { N: String(index % 5) },
    card: { S: `secret-card-${id}` },
    amount: { N: `${index}.125` },
    nested: { M: { list: { L: [{ S: `deep-${id}` }, { BOOL: index % 2 === 0 }, { N: String(index * 7) }] } } },
    note: { S: `note-${id}` },
  };
}

export async function crashScenario(options: CrashScenarioOptions): Promise<CrashScenarioResult> {
  const started = Date.now();
  const seed = options.seed ?? scenarioSeed();
  const random = seededRandom(seed);
  const log = options.log ?? (() => undefined);
  const dynamoDb: DynamoDBClient = localDynamoDbClient();
  const kms: KMSClient = localKmsClient();
  const tableName = uniqueName('hardening-crash');
  const problems: string[] = [];
  /** The ddbec child running now: killed (by its pid) if the scenario stops early. */
  let running: ChildProcess | undefined;
  try {
    const streamArn = await createStreamTable(dynamoDb, tableName);
    const tableInfo = new TableInfo({ name: tableName, primaryIndex: { partition: 'pk', sort: 'sk' } });
    const [keyA, keyB] = [await createKmsKey(kms, 'crash scenario: old key'), await createKmsKey(kms, 'crash scenario: new key')];
    const items = Array.from({ length: options.items }, (_, index) => crashPlaintextItem(index));
    const expected = new Map(items.map((item) => [keyText(item), item]));
    // The CLI's default actions: keys SIGN_ONLY, everything else ENCRYPT_AND_SIGN.
    const writer = new EncryptedClient({
      client: dynamoDb,
      materialsProvider: new AwsKmsMaterialsProvider({ keyId: keyA, kmsClient: kms }),
      attributeActions: new AttributeActions(),
      tableInfos: [tableInfo],
    });
    for (let offset = 0; offset < items.length; offset += 500) {
      await writer.batchWriteAll({ [tableName]: items.slice(offset, offset + 500).map((Item) => ({ PutRequest: { Item } })) });
    }
    log(`crash: ${items.length} items under key A in ${tableName}`);

    const checkpoint = join(temporaryDirectory(), 'rotation.checkpoint.json');
    const job = [
      'reencrypt', '--table', tableName, '--materials', 'direct-kms', '--kms-key-id', keyB, '--allowed-kms-key-ids', `${keyB},${keyA}`,
      '--segments', String(options.segments), '--page-size', String(options.pageSize), '--rate', String(options.rate), '--checkpoint', checkpoint, '--json',
    ];
    let kills = 0;
    let runs = 0;
    let completedEarly = false;
    let finalExit: number | null = null;
    let finalStdout = '';
    while (kills < options.kills) {
      runs += 1;
      const cli = startDdbec(job, { singleProcess: true });
      running = cli.child;
      const delay = options.minDelayMs + random() * (options.maxDelayMs - options.minDelayMs);
      const timer = setTimeout(() => {
        if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
      }, delay);
      const result = await cli.result;
      clearTimeout(timer);
      if (result.signal === 'SIGKILL') {
        kills += 1;
        const saved = existsSync(checkpoint) ? readCheckpointOrProblem(checkpoint, problems, `after kill ${kills}`) : undefined;
        if (saved !== undefined && (saved.tableName !== tableName || saved.totalSegments !== options.segments)) problems.push(`after kill ${kills}: the checkpoint names another job`);
        log(`crash: kill ${kills} at ${Math.round(delay)} ms; checkpoint scanned ${saved?.counts.scanned ?? 'none'}${saved?.complete ? ' (complete)' : ''}`);
        continue;
      }
      // The job finished before its kill: no more kills are possible on this table.
      completedEarly = true;
      finalExit = result.code;
      finalStdout = result.stdout;
      if (result.code !== 0) problems.push(`run ${runs} exited ${result.code}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      break;
    }
    if (!completedEarly) {
      runs += 1;
      const lastRun = startDdbec(job, { singleProcess: true });
      running = lastRun.child;
      const last = await lastRun.result;
      finalExit = last.code;
      finalStdout = last.stdout;
      if (last.code !== 0) problems.push(`the last run exited ${last.code}: ${last.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }
    if (completedEarly && kills < options.kills) problems.push(`the job completed after only ${kills} of ${options.kills} kills: slow it down (--rate)`);

    const final = readCheckpointOrProblem(checkpoint, problems, 'at the end');
    const counts = final?.counts ?? {};
    if (final?.complete !== true) problems.push('the checkpoint is not complete at the end');
    if (counts.scanned !== items.length) problems.push(`the checkpoint counts ${counts.scanned} scanned, not ${items.length}`);
    if ((counts.reencrypted ?? 0) + (counts.alreadyCurrent ?? 0) !== items.length) problems.push(`reencrypted ${counts.reencrypted} + alreadyCurrent ${counts.alreadyCurrent} != ${items.length}`);
    if ((counts.failed ?? 0) !== 0 || (counts.conflicts ?? 0) !== 0) problems.push(`failed ${counts.failed}, conflicts ${counts.conflicts}`);
    try {
      const summary = JSON.parse(finalStdout.trim()) as { complete?: boolean };
      if (summary.complete !== true) problems.push(`the last run's summary is not complete: ${finalStdout.trim()}`);
    } catch {
      problems.push(`the last run (exit ${finalExit}) printed no JSON summary: ${finalStdout.trim().slice(0, 200)}`);
    }

    // The table: every item, under key B alone, decrypting to what it was.
    const stored = await scanTable(dynamoDb, tableName);
    const storedByKey = new Map(stored.map((item) => [keyText(item), item]));
    const lost = [...expected.keys()].filter((key) => !storedByKey.has(key)).length;
    const duplicated = [...storedByKey.keys()].filter((key) => !expected.has(key)).length;
    const onlyB = new TableCrypto(tableInfo, new AwsKmsMaterialsProvider({ keyId: keyB, kmsClient: kms, strict: true }), new AttributeActions()).config;
    const eitherKey = new TableCrypto(tableInfo, new AwsKmsMaterialsProvider({ keyId: keyB, kmsClient: kms, allowedKeyIds: [keyB, keyA] }), new AttributeActions()).config;
    let corrupted = 0;
    let notRotated = 0;
    await mapLimit(stored, 16, async (item) => {
      try {
        if (!sameItem(await decryptDynamoDbItem(item, onlyB), expected.get(keyText(item)))) corrupted += 1;
      } catch {
        corrupted += 1;
        // Still under key A (a rotation that skipped it), or not decryptable at all?
        if (await decryptDynamoDbItem(item, eitherKey).then(() => true, () => false)) notRotated += 1;
      }
    });

    // Writes per key, from the stream: the fill made the INSERTs, each re-encryption write a MODIFY.
    const writesPerKey = new Map<string, number>();
    for (const record of await readStreamRecords(streamArn)) {
      if (record.eventName !== 'MODIFY') continue;
      const keys = record.dynamodb?.Keys as DynamoDbItem;
      const key = keyText(keys);
      writesPerKey.set(key, (writesPerKey.get(key) ?? 0) + 1);
    }
    const writes = [...writesPerKey.values()].reduce((sum, count) => sum + count, 0);
    const repeatedWrites = [...writesPerKey.values()].filter((count) => count > 1).length;
    const neverWritten = [...expected.keys()].filter((key) => !writesPerKey.has(key)).length;

    return {
      scenario: 'crash: SIGKILL ddbec reencrypt --checkpoint, resume until done (Direct KMS key A -> B)',
      faultsInjected: kills,
      items: items.length,
      lost,
      duplicated,
      corrupted,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      details: {
        seed,
        runs,
        notRotated,
        writes,
        repeatedWrites,
        neverWritten,
        reencrypted: counts.reencrypted ?? 0,
        alreadyCurrent: counts.alreadyCurrent ?? 0,
        scanned: counts.scanned ?? 0,
      },
      problems,
    };
  } finally {
    if (running !== undefined && running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
    await dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    dynamoDb.destroy();
    kms.destroy();
  }
}

function readCheckpointOrProblem(path: string, problems: string[], when: string): SavedCheckpoint | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SavedCheckpoint;
  } catch (error) {
    problems.push(`${when}: the checkpoint file is not valid JSON (${(error as Error).message})`);
    return undefined;
  }
}
