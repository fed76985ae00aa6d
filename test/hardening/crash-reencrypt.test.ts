/**
 * Issue #8, part 1 at test scale: `ddbec reencrypt --checkpoint FILE` SIGKILLed 5 times at
 * random moments during a Direct KMS rotation, resumed each time, then run to the end: no item
 * lost or duplicated, every item under the new key alone decrypting to its original plaintext.
 * The full-scale run (25 kills, 3000 items) is `crashScenarios('full')` in bench/hardening-crash.ts.
 * HARDENING_SEED=n replays a run's kill delays.
 */
import { CRASH_SCALES, crashScenario } from './crash-scenario';

test('a rotation SIGKILLed 5 times and resumed from its checkpoint ends with every item re-encrypted, none lost or corrupted', async () => {
  const lines: string[] = [];
  const row = await crashScenario({ ...CRASH_SCALES.test, log: (line) => lines.push(line) });
  const report = JSON.stringify({ ...row, log: lines }, null, 1);
  expect({ problems: row.problems, report }).toEqual({ problems: [], report });
  expect(row.faultsInjected).toBe(CRASH_SCALES.test.kills);
  expect({ lost: row.lost, duplicated: row.duplicated, corrupted: row.corrupted, notRotated: row.details.notRotated }).toEqual({ lost: 0, duplicated: 0, corrupted: 0, notRotated: 0 });
  expect(row.items).toBe(CRASH_SCALES.test.items);
  // Every item was written by some run (no item skipped as "current" while under key A).
  expect(row.details.neverWritten).toBe(0);
  console.log(JSON.stringify(row));
}, 170_000); // about 20 s alone on an idle machine; generous for a loaded one (moto is the bottleneck)
