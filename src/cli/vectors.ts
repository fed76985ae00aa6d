#!/usr/bin/env node
/**
 * `npm run vectors -- verify DIR` and `npm run vectors -- generate DIR OUT` (DESIGN.md, Commands).
 * The last line of `verify` is `N passed, N failed, N skipped`; it exits 1 when anything failed.
 */
import { generateVectors } from './vectors/generate-vectors';
import { verifyVectors } from './vectors/verify-vectors';

const USAGE = `usage:
  npm run vectors -- verify DIR          decrypt and check every offline scenario of DIR
  npm run vectors -- generate DIR OUT    encrypt DIR's plaintext items into a new vector directory OUT`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'verify' && rest.length === 1) {
    const report = await verifyVectors(rest[0]);
    for (const result of report.results) {
      const counts = `${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped`;
      console.log(`${result.status.toUpperCase().padEnd(7)} ${result.scenario}: ${counts}${result.note ? ` (${result.note})` : ''}`);
      for (const problem of result.problems) console.log(`        ${problem}`);
    }
    console.log(`${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`);
    return report.failed > 0 ? 1 : 0;
  }
  if (command === 'generate' && rest.length === 2) {
    const report = await generateVectors(rest[0], rest[1]);
    for (const written of report.written) console.log(`wrote   ${written.scenario}: ${written.items} items`);
    for (const left of report.left) console.log(`skipped ${left.scenario}: ${left.reason}`);
    console.log(`${report.written.length} scenarios written to ${rest[1]}, ${report.left.length} skipped`);
    return 0;
  }
  console.error(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    process.exitCode = 1;
  },
);
