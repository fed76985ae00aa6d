/**
 * Issue #8, part 1 at test scale: `ddbec reencrypt --checkpoint FILE` SIGKILLed 5 times during a
 * Direct KMS rotation, each time once the run had saved progress past the previous kill (plus a
 * random 0-300 ms), resumed each time, then run to the end: no item lost or duplicated, every
 * item under the new key alone decrypting to its original plaintext.
 * The full-scale run (25 kills, 3000 items) is `crashScenarios('full')` in bench/hardening-crash.ts.
 * HARDENING_SEED=n replays a run's kill delays.
 */
import { CRASH_SCALES, crashScenario } from './crash-scenario';

test('a rotation SIGKILLed 5 times mid-job and resumed from its checkpoint ends with every item re-encrypted, none lost or corrupted', async () => {
  const { items, kills } = CRASH_SCALES.test;
  const lines: string[] = [];
  const row = await crashScenario({ ...CRASH_SCALES.test, log: (line) => lines.push(line) });
  const report = JSON.stringify({ ...row, log: lines }, null, 1);
  expect({ problems: row.problems, report }).toEqual({ problems: [], report });
  expect(row.faultsInjected).toBe(kills);
  // Every kill hit a job that had resumed and made progress of its own: the checkpoint's scanned
  // count after each kill is inside the table and above the previous kill's.
  expect({ scannedAtKills: row.scannedAtKills.length, report }).toEqual({ scannedAtKills: kills, report });
  row.scannedAtKills.forEach((scanned, index) => {
    const previous = index === 0 ? 0 : row.scannedAtKills[index - 1];
    expect({ kill: index + 1, scanned, aboveEarlier: scanned > previous, belowItems: scanned < items }).toEqual({ kill: index + 1, scanned, aboveEarlier: true, belowItems: true });
  });
  // The end state: every item there, under key B alone, with its original plaintext.
  expect({ lost: row.lost, duplicated: row.duplicated, corrupted: row.corrupted, notRotated: row.details.notRotated }).toEqual({ lost: 0, duplicated: 0, corrupted: 0, notRotated: 0 });
  expect(row.items).toBe(items);
  expect({ scanned: row.details.scanned, processed: row.details.reencrypted + row.details.alreadyCurrent }).toEqual({ scanned: items, processed: items });
  // Every item was written by some run (no item skipped as "current" while under key A).
  expect(row.details.neverWritten).toBe(0);
  console.log(JSON.stringify({ ...row, log: lines }));
}, 200_000); // about 35 s alone on an idle machine; generous for a loaded one (moto is the bottleneck)
