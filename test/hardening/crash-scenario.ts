/**
 * Crash safety of `ddbec reencrypt --checkpoint FILE` (issue #8, part 1).
 *
 * A table of items encrypted with Direct KMS under key A is rotated to key B by the real CLI,
 * run as users run it (a child process, `node --import tsx src/cli/ddbec.ts`, so the pid is the
 * CLI itself), which is SIGKILLed `kills` times, each run resuming from the checkpoint file the
 * previous one left; then one last run goes to the end. A run is killed only once it has made
 * progress of its own: the scenario polls the checkpoint file until its `counts.scanned` has
 * grown past the value the previous kill left, then waits a random (seeded) 0 to
 * `maxKillDelayMs` more, so the kill lands mid-job, often between a write and the save after it.
 * (The CLI takes 0.5 to 1 s to start, longer on a loaded machine: a timer started at spawn kills
 * it during startup, before it has touched the table.) Checked:
 *
 * - after every kill the checkpoint file is still valid JSON for this table, not complete, and
 *   its scanned count is above 0, below the table's item count and above the previous kill's
 *   (`scannedAtKills`), so every kill interrupted a job that had resumed and progressed;
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
import { createKmsKey, keyText, mapLimit, sameItem, scenarioSeed, seededRandom, sleep, type HardeningRow, type Scale } from './crash-support';

export interface CrashScenarioOptions {
  readonly items: number;
  readonly kills: number;
  /**
   * Each run is killed once the checkpoint shows more items scanned than at the previous kill,
   * plus a delay uniformly at random in [0, maxKillDelayMs].
   */
  readonly maxKillDelayMs: number;
  /**
   * `--rate` (capacity units per second): keeps the job long enough to be killed `kills` times.
   * Each run starts with a full one-second bucket and is killed soon after its first save: it
   * writes about `rate` items (up to twice that), so `kills` × 2 × rate must stay under `items`
   * (test scale: 5 × 48 = 240 of 300; about 25 items per run were measured).
   */
  readonly rate: number;
  readonly pageSize: number;
  readonly segments: number;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

export const CRASH_SCALES: Record<Scale, CrashScenarioOptions> = {
  test: { items: 300, kills: 5, maxKillDelayMs: 300, rate: 24, pageSize: 10, segments: 4 },
  full: { items: 3000, kills: 25, maxKillDelayMs: 300, rate: 25, pageSize: 20, segments: 4 },
};

export interface CrashScenarioResult extends HardeningRow {
  /** Problems found besides the counts (a bad checkpoint file, a failed run), for the test to show. */
  readonly problems: readonly string[];
  /** The checkpoint's `counts.scanned` right after each kill, in kill order. */
  readonly scannedAtKills: readonly number[];
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
    const scannedAtKills: number[] = [];
    while (kills < options.kills) {
      runs += 1;
      const previous = scannedAtKills.at(-1) ?? 0;
      const cli = startDdbec(job, { singleProcess: true });
      running = cli.child;
      // Kill only once this run has saved progress of its own, then a little later.
      const progressed = await waitForProgress(checkpoint, cli.child, previous, problems, `run ${runs}`);
      const delay = random() * options.maxKillDelayMs;
      if (progressed !== undefined) {
        await sleep(delay);
        if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
      }
      const result = await cli.result;
      if (progressed === undefined && result.signal === 'SIGKILL') break; // killed for making no progress (a problem already)
      if (result.signal === 'SIGKILL') {
        kills += 1;
        const saved = existsSync(checkpoint) ? readCheckpointOrProblem(checkpoint, problems, `after kill ${kills}`) : undefined;
        if (saved === undefined) problems.push(`after kill ${kills}: no readable checkpoint file`);
        else if (saved.tableName !== tableName || saved.totalSegments !== options.segments) problems.push(`after kill ${kills}: the checkpoint names another job`);
        else if (saved.complete) problems.push(`after kill ${kills}: the checkpoint says complete`);
        const scanned = saved?.counts.scanned ?? 0;
        if (!(scanned > previous && scanned < items.length)) {
          problems.push(`after kill ${kills}: the checkpoint counts ${scanned} scanned, not between the previous kill's ${previous} and ${items.length} (exclusive)`);
        }
        scannedAtKills.push(scanned);
        log(`crash: kill ${kills} ${Math.round(delay)} ms after the checkpoint showed ${progressed} scanned; checkpoint scanned ${scanned}`);
        continue;
      }
      // The job finished (or failed) before its kill: no more kills are possible on this table.
      completedEarly = true;
      finalExit = result.code;
      finalStdout = result.stdout;
      if (result.code !== 0) problems.push(`run ${runs} exited ${result.code}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      break;
    }
    if (!completedEarly && kills === options.kills) {
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
      scannedAtKills,
    };
  } finally {
    if (running !== undefined && running.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
    await dynamoDb.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
    dynamoDb.destroy();
    kms.destroy();
  }
}

/**
 * Polls the checkpoint file until its scanned count exceeds `previous` (returns it), or the run
 * ends first (returns undefined: a run that completes, fails or hangs is reported by the caller).
 */
async function waitForProgress(path: string, child: ChildProcess, previous: number, problems: string[], run: string): Promise<number | undefined> {
  const deadline = Date.now() + PROGRESS_TIMEOUT_MS;
  while (child.exitCode === null && child.signalCode === null) {
    if (existsSync(path)) {
      let scanned: number | undefined;
      try {
        scanned = (JSON.parse(readFileSync(path, 'utf8')) as SavedCheckpoint).counts?.scanned;
      } catch (error) {
        // Saves replace the file by a rename: it is never half written.
        problems.push(`${run}: the checkpoint file is not valid JSON while the job runs (${(error as Error).message})`);
        return undefined;
      }
      if (scanned !== undefined && scanned > previous) return scanned;
    }
    if (Date.now() > deadline) {
      problems.push(`${run}: the checkpoint showed no progress past ${previous} scanned in ${PROGRESS_TIMEOUT_MS / 1000} s`);
      child.kill('SIGKILL');
      return undefined;
    }
    await sleep(PROGRESS_POLL_MS);
  }
  return undefined;
}

const PROGRESS_POLL_MS = 25;
const PROGRESS_TIMEOUT_MS = 60_000;

function readCheckpointOrProblem(path: string, problems: string[], when: string): SavedCheckpoint | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SavedCheckpoint;
  } catch (error) {
    problems.push(`${when}: the checkpoint file is not valid JSON (${(error as Error).message})`);
    return undefined;
  }
}
