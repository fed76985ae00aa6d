/**
 * Issue #8, fault injection at full scale: the ingest, re-encryption and stream fan-out
 * pipelines at a 10% fault rate, and a 30% KMS throttling burst (scenarios in
 * test/hardening/fault-scenarios.ts). Needs the local backends: run under `scripts/with-local-aws`.
 * Each figure: lost, duplicated and corrupted should be 0; faultsInjected counts every fault.
 */
import { ingestUnderFaults, kmsThrottlingBurst, reEncryptUnderFaults, streamUnderFaults, type FaultScenarioResult } from '../test/hardening/fault-scenarios';

/** Runs every scenario one after the other with `scale.items` items each (e.g. 5,000). */
export async function faultScenarios(scale: { items: number }): Promise<FaultScenarioResult[]> {
  const { items } = scale;
  const results: FaultScenarioResult[] = [];
  results.push(await ingestUnderFaults({ items }));
  results.push(await reEncryptUnderFaults({ items, totalSegments: 4 }));
  results.push(await streamUnderFaults({ items, batchSize: 100 }));
  results.push(await kmsThrottlingBurst({ items }));
  return results;
}
