/**
 * `npm run bench -- fuzz`: the hostile-input fuzz targets of issue #8 (test/hardening/) at
 * volume: FUZZ_CASES generated cases in total (default 100,000), shared among the targets by
 * their cost-weighted share. Reproduce a run with FUZZ_SEED; the inputs of bugs fuzzing found
 * and src/ fixed are generated too (FUZZ_FINDINGS in test/hardening/fuzz-targets.ts).
 *
 * Figures: `fuzz-cases`, `fuzz-typed-errors`, `fuzz-untyped-errors`, `fuzz-leaks`,
 * `fuzz-slow-cases`, `fuzz-failed-cases` (the last four must be 0), `fuzz-cases-per-s`.
 * `fuzz-failed-cases` counts every case with any violated property: an untyped error, a hang, a
 * leak, a slow case, or a failure of a target's own checks (a forgery accepted, an untampered
 * item rejected, the wrong attribute named...), which no other figure counts. The first failing
 * cases are described on stderr. Like every `npm run bench` (DESIGN.md), it exits 0 once its
 * figures are printed: the figures, not the exit status, say what went wrong.
 */
import fc from 'fast-check';
import { FuzzTally, runCase } from '../test/hardening/fuzz-oracle';
import { describeInput, fuzzTargets } from '../test/hardening/fuzz-targets';
import type { Emit } from './figures';

export async function run(emit: Emit): Promise<void> {
  const total = Number(process.env.FUZZ_CASES ?? 100_000);
  const seed = process.env.FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED);
  const targets = fuzzTargets();
  const shares = targets.reduce((sum, target) => sum + target.benchShare, 0);
  const tally = new FuzzTally();
  console.error(`fuzz: ${total} cases over ${targets.length} targets, FUZZ_SEED=${seed}`);

  const started = process.hrtime.bigint();
  for (const target of targets) {
    const numRuns = Math.max(1, Math.ceil((total * target.benchShare) / shares));
    const before = tally.cases;
    const targetStarted = process.hrtime.bigint();
    // The property never fails: every verdict goes into the tally, so the run covers all cases
    // instead of stopping (and shrinking) at the first failure.
    await fc.assert(
      fc.asyncProperty(target.arbitrary, async (input) => {
        tally.add(target.name, await runCase(target, input), () => describeInput(input));
      }),
      { numRuns, seed },
    );
    const seconds = Number(process.hrtime.bigint() - targetStarted) / 1e9;
    console.error(`fuzz: ${target.name}: ${tally.cases - before} cases in ${seconds.toFixed(1)} s`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;

  for (const example of tally.examples) console.error(`fuzz failure: ${example}`);
  if (tally.failedCases > 0) console.error(`fuzz: ${tally.failedCases} failing cases (first ${tally.examples.length} above)`);
  emit('fuzz-cases', tally.cases, 'cases');
  emit('fuzz-typed-errors', tally.typedErrors, 'cases');
  emit('fuzz-untyped-errors', tally.untypedErrors + tally.hangs, 'cases');
  emit('fuzz-leaks', tally.leaks, 'cases');
  emit('fuzz-slow-cases', tally.slowCases, 'cases');
  emit('fuzz-failed-cases', tally.failedCases, 'cases');
  emit('fuzz-cases-per-s', tally.cases / seconds, 'cases/s');
}
