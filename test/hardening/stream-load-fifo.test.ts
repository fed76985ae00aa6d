/**
 * Issue #8, part 3 at test scale: 2,000 real DynamoDB Local stream records (400 items, 5 versions
 * each) through the stream fan-out handler in batches of 100 into a moto SQS FIFO queue: none
 * lost or duplicated, each decrypted to what was written, each item's versions in write order.
 * Full scale (100,000 records): streamLoadScenario with STREAM_LOAD_SCALES.full, from
 * bench/hardening-crash.ts.
 */
import { STREAM_LOAD_SCALES, streamLoadScenario } from './stream-load-scenario';

test('2,000 stream records reach the FIFO queue once each, decrypted, in per-item write order', async () => {
  const lines: string[] = [];
  const row = await streamLoadScenario({ ...STREAM_LOAD_SCALES.test, log: (line) => lines.push(line) });
  const report = JSON.stringify({ ...row, log: lines }, null, 1);
  expect({ problems: row.problems, report }).toEqual({ problems: [], report });
  expect({ lost: row.lost, duplicated: row.duplicated, corrupted: row.corrupted, outOfOrder: row.details.outOfOrder }).toEqual({ lost: 0, duplicated: 0, corrupted: 0, outOfOrder: 0 });
  expect(row.items).toBe(2000);
  // duplicated counts every send beyond one per delivery of the record's batch plus one per
  // failed send of it, and every second copy received that no failed send or retried batch
  // explains. The only second copies allowed are those moto alone delivers (it deduplicates
  // only against messages still queued) of such legitimate resends.
  expect(row.details.received).toBe(2000 + row.details.motoDedupMisses);
  // The faults really made records be sent again.
  expect(row.faultsInjected).toBeGreaterThan(0);
  expect(row.details.retriedBatches).toBeGreaterThan(0);
  console.log(JSON.stringify({ ...row, log: lines }));
}, 170_000); // about 20 s alone on an idle machine; generous for a loaded one (moto is the bottleneck)
