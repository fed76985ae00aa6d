import * as path from 'node:path';
import { DynamoDbEncryptionError } from '../../errors';
import { decryptDynamoDbItem } from '../../encryptor/item-encryptor';
import { differingAttributes } from './compare-items';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CryptographicMaterialsProvider } from '../../providers/cryptographic-materials-provider';
import { offlineSkipReason, scenarioProvider, type MetaStoreBackend, type ScenarioProvider } from './scenario-providers';
import { loadScenarios, scenarioItems, type Scenario, type ScenarioItem } from './scenarios';
import { readCiphertextFile, VectorKeys } from './vector-files';

export type ScenarioStatus = 'passed' | 'failed' | 'skipped';

export interface ScenarioResult {
  readonly scenario: string;
  readonly status: ScenarioStatus;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /** One line per problem: item label and what went wrong (names only, no values). */
  readonly problems: string[];
  readonly note?: string;
}

export interface VerifyReport {
  readonly results: ScenarioResult[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

export interface VerifyOptions {
  /**
   * Where most_recent scenarios keep their MetaStore.
   * @default a DynamoDB table when AWS_ENDPOINT_URL_DYNAMODB is set (scripts/with-local-aws), else memory
   */
  readonly metaStoreBackend?: MetaStoreBackend;
}

/** The default MetaStore backend: DynamoDB when an endpoint is configured (never a real account by accident). */
export function defaultMetaStoreBackend(): MetaStoreBackend {
  return process.env.AWS_ENDPOINT_URL_DYNAMODB === undefined ? { kind: 'offline' } : { kind: 'dynamodb', client: new DynamoDBClient({}) };
}

/** Runs every scenario of a vector directory; counts are of items. */
export async function verifyVectors(directory: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const absolute = path.resolve(directory);
  const keys = new VectorKeys(path.join(absolute, 'keys.json'));
  const metaStoreBackend = options.metaStoreBackend ?? defaultMetaStoreBackend();
  const results: ScenarioResult[] = [];
  for (const scenario of loadScenarios(absolute)) results.push(await verifyScenario(scenario, keys, metaStoreBackend));
  return {
    results,
    passed: results.reduce((sum, result) => sum + result.passed, 0),
    failed: results.reduce((sum, result) => sum + result.failed, 0),
    skipped: results.reduce((sum, result) => sum + result.skipped, 0),
  };
}

export async function verifyScenario(scenario: Scenario, keys: VectorKeys, metaStoreBackend: MetaStoreBackend): Promise<ScenarioResult> {
  const skipReason = offlineSkipReason(scenario, keys);
  if (skipReason !== undefined) {
    const count = Object.values(readCiphertextFile(scenario.ciphertextFile)).reduce((sum, items) => sum + items.length, 0);
    return { scenario: scenario.name, status: 'skipped', passed: 0, failed: 0, skipped: count, problems: [], note: skipReason };
  }
  const problems: string[] = [];
  let passed = 0;
  let failed = 0;
  let provider: ScenarioProvider;
  let selection;
  try {
    selection = scenarioItems(scenario);
    provider = await scenarioProvider(scenario, keys, metaStoreBackend);
  } catch (error) {
    return { scenario: scenario.name, status: 'failed', passed: 0, failed: 1, skipped: 0, problems: [`setup: ${describe(error)}`] };
  }
  try {
    for (const item of selection.items) {
      const outcome = await verifyItem(scenario, item, provider.provider);
      if (outcome === undefined) passed += 1;
      else {
        failed += 1;
        problems.push(`${item.label}: ${outcome}`);
      }
    }
  } finally {
    await provider.release();
  }
  const notes: string[] = [];
  if (selection.orphans > 0) notes.push(`${selection.orphans} stored item(s) match no plaintext entry and were skipped`);
  if (scenario.metaStore !== undefined) notes.push(metaStoreBackend.kind === 'dynamodb' ? 'MetaStore in DynamoDB' : 'MetaStore read in memory: no DynamoDB endpoint');
  return {
    scenario: scenario.name,
    status: failed > 0 ? 'failed' : 'passed',
    passed,
    failed,
    skipped: selection.orphans,
    problems,
    note: notes.length === 0 ? undefined : notes.join('; '),
  };
}

/** Undefined when the item behaves as the scenario expects, else what went wrong. */
async function verifyItem(scenario: Scenario, item: ScenarioItem, provider: CryptographicMaterialsProvider): Promise<string | undefined> {
  const config = { materialsProvider: provider, encryptionContext: item.context, attributeActions: item.actions };
  try {
    const decrypted = await decryptDynamoDbItem(item.stored, config);
    if (scenario.expectError) return 'decrypted, but the scenario expects it to be rejected';
    const differing = item.expected === undefined ? [] : differingAttributes(item.expected, decrypted);
    return differing.length === 0 ? undefined : `attributes differ from the expected plaintext: ${differing.join(', ')}`;
  } catch (error) {
    return scenario.expectError && error instanceof DynamoDbEncryptionError ? undefined : describe(error);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
