/**
 * Issue #8, part 2 at test scale: a Direct KMS rotation (ScanReEncryptor, 4 segments) racing 4
 * writers on the same items (encrypted puts under the old or the new key, plain UpdateItem of a
 * DO_NOTHING attribute), plus writes injected between the engine's read and its write: every
 * item ends with the last value the writers wrote and decrypts. Full scale: racingScenario with
 * RACING_SCALES.full, from bench/hardening-crash.ts. HARDENING_SEED=n replays the writers' choices.
 */
import { RACING_SCALES, racingScenario } from './racing-scenario';

test('no update is lost when 4 writers race the re-encryption of the same items; every item decrypts', async () => {
  const lines: string[] = [];
  const row = await racingScenario({ ...RACING_SCALES.test, log: (line) => lines.push(line) });
  const report = JSON.stringify({ ...row, log: lines }, null, 1);
  expect({ problems: row.problems, report }).toEqual({ problems: [], report });
  expect({ lost: row.lost, duplicated: row.duplicated, corrupted: row.corrupted }).toEqual({ lost: 0, duplicated: 0, corrupted: 0 });
  // The race happened: writes landed during the run, and some of them made the engine retry.
  expect(row.faultsInjected).toBeGreaterThan(50);
  expect(row.details.injectedConflicts).toBeGreaterThan(10);
  expect(row.details.retried).toBeGreaterThan(0);
  expect(row.items).toBe(RACING_SCALES.test.items);
  console.log(JSON.stringify(row));
}, 170_000); // about 20 s alone on an idle machine; generous for a loaded one (moto is the bottleneck)
