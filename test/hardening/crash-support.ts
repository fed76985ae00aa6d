/**
 * Shared by the hardening scenarios of issue #8 (crash-scenario.ts, racing-scenario.ts,
 * stream-load-scenario.ts) and bench/hardening-crash.ts: the row each scenario returns, a seeded
 * random source (a failing run is replayed by its seed), and small AWS helpers.
 */
import { CreateKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { DynamoDbItem } from '../../src/format/attribute-value';
import { seededRandom } from '../../scripts/seeded-random';

export { seededRandom };

/** What every hardening scenario reports, faults and crashes alike (bench/hardening.ts sums them). */
export interface HardeningCounts {
  readonly scenario: string;
  readonly faultsInjected: number;
  readonly items: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly corrupted: number;
}

/**
 * One scenario's outcome. `faultsInjected` counts the faults the scenario caused (SIGKILLs of the
 * re-encryption process, writes racing the re-encryptor, handler retries); `items` is how many
 * items (or stream records) it checked; `lost`, `duplicated` and `corrupted` must all be 0.
 * Scenario-specific figures follow in `details` (numbers only, so they print as a table).
 */
export interface HardeningRow extends HardeningCounts {
  readonly seconds: number;
  readonly details: Readonly<Record<string, number>>;
}

export type Scale = 'test' | 'full';

/** A seed from the environment (HARDENING_SEED) or the clock; scenarios report it in their details. */
export function scenarioSeed(): number {
  const fromEnvironment = Number(process.env.HARDENING_SEED);
  return Number.isInteger(fromEnvironment) && fromEnvironment > 0 ? fromEnvironment : Date.now() % 2_147_483_647;
}

export async function createKmsKey(kms: KMSClient, description: string): Promise<string> {
  return (await kms.send(new CreateKeyCommand({ Description: description }))).KeyMetadata?.Arn as string;
}

export const sleep = (milliseconds: number) => new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/** `pk/sk` of a pk (S) + sk (N) item. */
export const keyText = (item: DynamoDbItem): string => `${item.pk.S}/${item.sk.N}`;

/** Runs `work` over `inputs` with at most `limit` in flight, results in input order. */
export async function mapLimit<T, R>(inputs: readonly T[], limit: number, work: (input: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(inputs.length);
  let next = 0;
  const lane = async () => {
    while (next < inputs.length) {
      const index = next++;
      results[index] = await work(inputs[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, lane));
  return results;
}

/** Deep equality of two DynamoDB items, for counting (not asserting) mismatches. */
export function sameItem(a: DynamoDbItem | undefined, b: DynamoDbItem | undefined): boolean {
  return a !== undefined && b !== undefined && canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (value instanceof Uint8Array) return `b:${Buffer.from(value).toString('base64')}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .filter((name) => (value as Record<string, unknown>)[name] !== undefined)
      .sort()
      .map((name) => `${JSON.stringify(name)}:${canonical((value as Record<string, unknown>)[name])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
