/**
 * `npm run bench -- NAME`: runs one benchmark, which prints JSON lines. Benchmarks are never part
 * of `npm test`'s pass/fail; they report figures, compared as ratios measured in the same run.
 */
import { emitterFor, type Emit } from './figures';

interface Bench {
  run(emit: Emit): Promise<void>;
  /** True when the bench talks to DynamoDB Local and the local KMS. */
  needsLocalAws?: boolean;
}

const BENCHES: Record<string, () => Promise<Bench>> = {
  core: () => import('./core'),
  kms: () => import('./kms'),
  pipeline: () => import('./pipeline'),
  ingest: () => import('./ingest'),
  helpers: () => import('./helpers'),
  bundles: () => import('./bundles'),
  fuzz: () => import('./fuzz'),
  hardening: () => import('./hardening'),
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
  // Under scripts/with-local-aws the backends are there already; otherwise start them here.
  let stop: (() => Promise<void>) | undefined;
  if (bench.needsLocalAws === true && process.env.AWS_ENDPOINT_URL_DYNAMODB === undefined) {
    const { startLocalAws, stopOnSignals } = require('../scripts/local-aws') as typeof import('../scripts/local-aws');
    const backends = await startLocalAws();
    Object.assign(process.env, backends.env);
    const releaseSignals = stopOnSignals(backends, (signal) => console.error(`${signal}: stopping the local backends`));
    stop = async () => {
      releaseSignals();
      await backends.stop();
    };
  }
  try {
    await bench.run(emitterFor(name as string));
  } finally {
    await stop?.();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
