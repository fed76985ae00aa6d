/**
 * `npm run bench -- hardening`: issue #8's promises under production conditions, at full scale
 * (HARDENING_SCALE=test for the reduced scale `npm test` runs):
 *
 * - fault injection (10% throttling, 5xx, timeouts, dropped connections, before and after the
 *   server) on ingest, re-encryption and stream fan-out, and a KMS throttling burst
 *   (bench/hardening-faults.ts);
 * - crash safety (SIGKILLed re-encryption resumed from its checkpoint), re-encryption racing 4
 *   writers, and 100,000 real stream records into a FIFO queue (bench/hardening-crash.ts).
 *
 * Prints each scenario's figures, then the totals `faults-injected`, `items`, `lost`,
 * `duplicated`, `corrupted`, `out-of-order` (per-key order at the FIFO targets) and `problems`:
 * the last five must be 0. Like every `npm run bench` (DESIGN.md) it exits 0 once its figures
 * are printed (the standalone `tsx bench/hardening-crash.ts` exits 1 on a failed scenario).
 * `problems` counts what a scenario found wrong besides the item counts (a re-encryption that
 * failed, a checkpoint not complete at the end, a crash job that completed before all its kills,
 * a stream holding the wrong number of records...): with one, the item counts may say nothing
 * (a re-encryption that threw still finds lost=0 corrupted=0). Each scenario's `-problems`
 * figure is printed, and the problems themselves go to stderr.
 */
import type { HardeningCounts } from '../test/hardening/crash-support';
import type { Emit } from './figures';
import { crashScenarios } from './hardening-crash';
import { faultScenarios } from './hardening-faults';

export const needsLocalAws = true;

/** What every scenario reports; some add per-key order, moto's misses and problems found. */
type ScenarioRow = HardeningCounts & {
  readonly details?: { readonly [name: string]: unknown };
  readonly problems?: readonly string[];
};

export async function run(emit: Emit): Promise<void> {
  const scale = process.env.HARDENING_SCALE === 'test' ? 'test' : 'full';
  const rows: ScenarioRow[] = [
    ...(await faultScenarios({ items: scale === 'full' ? 5000 : 300 })),
    ...(await crashScenarios(scale, undefined, (line) => process.stderr.write(`${line}\n`))),
  ];
  const totals = { faultsInjected: 0, items: 0, lost: 0, duplicated: 0, corrupted: 0, outOfOrder: 0, problems: 0, motoDedupMisses: 0 };
  for (const row of rows) {
    const details = row.details ?? {};
    emit(`${row.scenario}-faults-injected`, row.faultsInjected, 'faults');
    emit(`${row.scenario}-items`, row.items, 'items');
    for (const name of ['lost', 'duplicated', 'corrupted'] as const) {
      emit(`${row.scenario}-${name}`, row[name], 'items');
      totals[name] += row[name];
    }
    // Per-key order at a FIFO target: items (or records) that arrived out of write order.
    if (typeof details.outOfOrder === 'number') {
      emit(`${row.scenario}-out-of-order`, details.outOfOrder, 'items');
      totals.outOfOrder += details.outOfOrder;
    }
    totals.faultsInjected += row.faultsInjected;
    totals.items += row.items;
    if (typeof details.motoDedupMisses === 'number') totals.motoDedupMisses += details.motoDedupMisses;
    const problems = row.problems ?? [];
    emit(`${row.scenario}-problems`, problems.length, 'problems');
    totals.problems += problems.length;
    for (const problem of problems) process.stderr.write(`${row.scenario}: ${problem}\n`);
  }
  emit('faults-injected', totals.faultsInjected, 'faults');
  emit('items', totals.items, 'items');
  emit('lost', totals.lost, 'items');
  emit('duplicated', totals.duplicated, 'items');
  emit('corrupted', totals.corrupted, 'items');
  emit('out-of-order', totals.outOfOrder, 'items');
  emit('problems', totals.problems, 'problems');
  // Not a failure: second copies of ambiguous resends that SQS deduplicates and moto does not
  // (test/hardening/fifo-consumer.ts). Printed so that the judgement can be checked.
  emit('moto-dedup-misses', totals.motoDedupMisses, 'messages');
}
