/**
 * `npm run bench -- NAME`: runs one benchmark, which prints JSON lines. Benchmarks are never part
 * of `npm test`'s pass/fail; they report figures, compared as ratios measured in the same run.
 */
import { emitterFor, type Emit } from './figures';

const BENCHES: Record<string, () => Promise<{ run: (emit: Emit) => Promise<void> }>> = {
  core: () => import('./core'),
};

async function main(): Promise<void> {
  const name = process.argv[2];
  const load = name === undefined ? undefined : BENCHES[name];
  if (load === undefined) {
    console.error(`usage: npm run bench -- NAME   (one of: ${Object.keys(BENCHES).join(', ')})`);
    process.exitCode = 2;
    return;
  }
  const bench = await load();
  await bench.run(emitterFor(name as string));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
