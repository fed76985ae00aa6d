/**
 * Issue #8: crash safety, racing writers and stream load, at test or full scale, on DynamoDB
 * Local + moto (KMS, SQS). The scenarios live in test/hardening/ (crash-scenario.ts,
 * racing-scenario.ts, stream-load-scenario.ts), where the jest tests run them at test scale.
 *
 * For bench/hardening.ts:
 *
 *   import { crashScenarios } from './hardening-crash';
 *   const rows = await crashScenarios('full');            // all three, one after another
 *   const rows = await crashScenarios('full', ['racing']); // or some of them
 *
 * Each row is `{ scenario, faultsInjected, items, lost, duplicated, corrupted, seconds, details,
 * problems }` (HardeningRow in test/hardening/crash-support.ts); lost, duplicated, corrupted
 * must be 0 and problems empty. What the fields count, per scenario:
 *
 * - crash: faultsInjected = SIGKILLs of `ddbec reencrypt --checkpoint` (25 at full scale, on
 *   3,000 items; 5 on 300 at test scale); items = items in the table; lost = items missing;
 *   duplicated = keys that were never written; corrupted = items not decrypting with the new KMS
 *   key alone (strict) to their original plaintext. details.repeatedWrites = items the
 *   re-encryption wrote more than once (counted from the table's stream), details.runs, seed.
 * - racing: faultsInjected = writer writes that landed while the re-encryption ran (4 writers,
 *   3,000 items at full scale), of which details.injectedConflicts were made between the
 *   engine's read of an item and its write; lost = items whose final value is not the last one a
 *   writer wrote (or missing); corrupted = items not verifying/decrypting; details.retried and
 *   details.conflicts are the engine's counts.
 * - stream-load: items = stream records (100,000 at full scale: 20,000 items × 5 versions; 2,000
 *   at test scale); faultsInjected = SendMessage failures injected into the handler's SQS client
 *   (1% at test scale, 0.2% at full; half of them after the message was sent, so the retried
 *   batch sends it again and the FIFO deduplication must drop it), each making the batch be
 *   handed to the handler again from the failed record (details.retriedBatches); lost /
 *   duplicated = records missing / received more than once at the SQS FIFO target; corrupted =
 *   messages not decrypting to what was written; details.outOfOrder = items whose versions
 *   arrived out of write order (must be 0), details.recordsPerSecond. details.motoDedupMisses:
 *   second copies moto alone lets through (moto 5.2 deduplicates a FIFO message only against the
 *   messages still queued, SQS for 5 minutes including deleted ones): a second copy counts there
 *   only after a failed send of that record or a retried batch holding it; any other extra copy,
 *   and any send beyond one per delivery of its batch plus one per failed send, is duplicated
 *   (judgeCopies in test/hardening/fifo-consumer.ts).
 *
 * Needs the local backends: under `scripts/with-local-aws`, or started here when run directly:
 *   npx tsx bench/hardening-crash.ts [test|full] [crash,racing,stream-load]
 * prints one JSON row per line. At full scale crash and racing take about 2 minutes each; the
 * stream-load part is bounded by moto's SQS (about 100 messages/s on this 2-CPU machine at test
 * scale, less under load): about 15 minutes for its 100,000 records, the whole bench about 35.
 * HARDENING_SEED=n replays the crash scenario's kill delays and the racing writers' choices.
 */
import { CRASH_SCALES, crashScenario } from '../test/hardening/crash-scenario';
import type { HardeningRow, Scale } from '../test/hardening/crash-support';
import { RACING_SCALES, racingScenario } from '../test/hardening/racing-scenario';
import { STREAM_LOAD_SCALES, streamLoadScenario } from '../test/hardening/stream-load-scenario';

export type { HardeningRow, Scale } from '../test/hardening/crash-support';

export type CrashScenarioName = 'crash' | 'racing' | 'stream-load';

export interface CrashScenarioRow extends HardeningRow {
  readonly problems: readonly string[];
}

type Log = (line: string) => void;

/** Part 1: SIGKILL `ddbec reencrypt --checkpoint` at random moments, resume until done. */
export function crashSafety(scale: Scale, log?: Log): Promise<CrashScenarioRow> {
  return crashScenario({ ...CRASH_SCALES[scale], log });
}

/** Part 2: ScanReEncryptor racing 4 writers on the same items. */
export function racingWriters(scale: Scale, log?: Log): Promise<CrashScenarioRow> {
  return racingScenario({ ...RACING_SCALES[scale], log });
}

/** Part 3: real stream records through the fan-out handler into an SQS FIFO queue. */
export function streamLoad(scale: Scale, log?: Log): Promise<CrashScenarioRow> {
  return streamLoadScenario({ ...STREAM_LOAD_SCALES[scale], log });
}

const SCENARIOS: Record<CrashScenarioName, (scale: Scale, log?: Log) => Promise<CrashScenarioRow>> = {
  crash: crashSafety,
  racing: racingWriters,
  'stream-load': streamLoad,
};

/**
 * The three scenarios (or those named), one after another, at `scale`. Needs the
 * AWS_ENDPOINT_URL_* variables of `scripts/with-local-aws` (or call `withLocalAws`).
 */
export async function crashScenarios(
  scale: Scale,
  only: readonly CrashScenarioName[] = ['crash', 'racing', 'stream-load'],
  log?: Log,
): Promise<CrashScenarioRow[]> {
  const rows: CrashScenarioRow[] = [];
  for (const name of only) rows.push(await SCENARIOS[name](scale, log));
  return rows;
}

/** Runs `work` with the local backends, starting them when the environment does not name them. */
export async function withLocalAws<T>(work: () => Promise<T>): Promise<T> {
  if (process.env.AWS_ENDPOINT_URL_DYNAMODB !== undefined) return work();
  const { startLocalAws } = require('../scripts/local-aws') as typeof import('../scripts/local-aws');
  const backends = await startLocalAws();
  Object.assign(process.env, backends.env);
  try {
    return await work();
  } finally {
    await backends.stop();
  }
}

async function main(): Promise<void> {
  const scale = (process.argv[2] ?? 'test') as Scale;
  if (scale !== 'test' && scale !== 'full') throw new Error('usage: tsx bench/hardening-crash.ts [test|full] [crash,racing,stream-load]');
  const only = (process.argv[3]?.split(',') ?? ['crash', 'racing', 'stream-load']) as CrashScenarioName[];
  for (const name of only) if (!(name in SCENARIOS)) throw new Error(`unknown scenario ${name}: one of ${Object.keys(SCENARIOS).join(', ')}`);
  await withLocalAws(async () => {
    for (const name of only) {
      const row = await SCENARIOS[name](scale, (line) => console.error(line));
      console.log(JSON.stringify(row));
      if (row.lost + row.duplicated + row.corrupted > 0 || row.problems.length > 0) process.exitCode = 1;
    }
  });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
