/**
 * `npm run bench -- bundles`: the size of each handler bundle (target: under 500 KB minified)
 * and the time a fresh Node process takes to load it, i.e. the bundle's share of a cold start.
 * Baseline in the same run: loading @aws-sdk/client-dynamodb alone, which every handler needs
 * and the Lambda runtime provides.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { buildHandlers } from '../scripts/build-handlers';
import { EnvironmentNames as Names } from '../src/pipeline/environment-names';
import type { Emit } from './figures';

const LOADS_PER_FIGURE = 7;

/**
 * A complete configuration, as the construct writes it, and the variable the Lambda runtime sets:
 * loading a handler then runs its whole cold start (configuration parsed, clients and providers
 * built, see lambda/deployed-handler.ts). Nothing is called at load.
 */
const COLD_START_ENVIRONMENT: Record<string, string> = {
  AWS_LAMBDA_FUNCTION_NAME: 'bench-cold-start',
  AWS_REGION: 'eu-west-1',
  [Names.TABLE_NAME]: 'orders',
  [Names.MATERIALS]: 'direct-kms',
  [Names.KMS_KEY_ID]: 'arn:aws:kms:eu-west-1:111111111111:key/11111111-1111-1111-1111-111111111111',
  [Names.TARGET_QUEUE_URLS]: 'https://sqs.eu-west-1.amazonaws.com/111111111111/changes',
  [Names.DEAD_LETTER_QUEUE_URL]: 'https://sqs.eu-west-1.amazonaws.com/111111111111/dead-letters',
};

/** Milliseconds `require(target)` takes in a fresh process: the median of several processes. */
function loadMilliseconds(target: string, cwd: string): number {
  const script = `const started = process.hrtime.bigint(); require(${JSON.stringify(target)}); process.stdout.write(String(Number(process.hrtime.bigint() - started) / 1e6));`;
  const samples: number[] = [];
  for (let index = 0; index < LOADS_PER_FIGURE; index += 1) {
    samples.push(Number(execFileSync(process.execPath, ['-e', script], { cwd, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...COLD_START_ENVIRONMENT }, encoding: 'utf8' })));
  }
  samples.sort((left, right) => left - right);
  return samples[Math.floor(samples.length / 2)];
}

export async function run(emit: Emit): Promise<void> {
  const root = path.resolve(__dirname, '..');
  const built = await buildHandlers(root);
  emit('aws-sdk-dynamodb-load-ms', loadMilliseconds('@aws-sdk/client-dynamodb', root), 'ms');
  for (const { handler, file, bytes } of built) {
    emit(`${handler}-bytes`, bytes, 'bytes');
    emit(`${handler}-load-ms`, loadMilliseconds(file, root), 'ms');
  }
}
