import * as path from 'node:path';
import { DynamoDbEncryptionError } from '../../errors';
import { decryptDynamoDbItem } from '../../encryptor/item-encryptor';
import { differingAttributes } from './compare-items';
import { offlineSkipReason, scenarioProvider } from './scenario-providers';
import { loadScenarios, scenarioItems, type Scenario } from './scenarios';
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

/** Runs every scenario of a vector directory; counts are of items. */
export async function verifyVectors(directory: string): Promise<VerifyReport> {
  const absolute = path.resolve(directory);
  const keys = new VectorKeys(path.join(absolute, 'keys.json'));
  const results: ScenarioResult[] = [];
  for (const scenario of loadScenarios(absolute)) results.push(await verifyScenario(scenario, keys));
  return {
    results,
    passed: results.reduce((sum, result) => sum + result.passed, 0),
    failed: results.reduce((sum, result) => sum + result.failed, 0),
    skipped: results.reduce((sum, result) => sum + result.skipped, 0),
  };
}

export async function verifyScenario(scenario: Scenario, keys: VectorKeys): Promise<ScenarioResult> {
  const skipReason = offlineSkipReason(scenario, keys);
  if (skipReason !== undefined) {
    const count = Object.values(readCiphertextFile(scenario.ciphertextFile)).reduce((sum, items) => sum + items.length, 0);
    return { scenario: scenario.name, status: 'skipped', passed: 0, failed: 0, skipped: count, problems: [], note: skipReason };
  }
  const problems: string[] = [];
  let passed = 0;
  let failed = 0;
  let provider;
  let selection;
  try {
    provider = await scenarioProvider(scenario, keys);
    selection = scenarioItems(scenario);
  } catch (error) {
    return { scenario: scenario.name, status: 'failed', passed: 0, failed: 1, skipped: 0, problems: [`setup: ${describe(error)}`] };
  }
  for (const item of selection.items) {
    const config = { materialsProvider: provider, encryptionContext: item.context, attributeActions: item.actions };
    try {
      const decrypted = await decryptDynamoDbItem(item.stored, config);
      if (scenario.expectError) {
        failed += 1;
        problems.push(`${item.label}: decrypted, but the scenario expects it to be rejected`);
        continue;
      }
      const differing = item.expected === undefined ? [] : differingAttributes(item.expected, decrypted);
      if (differing.length === 0) {
        passed += 1;
      } else {
        failed += 1;
        problems.push(`${item.label}: attributes differ from the expected plaintext: ${differing.join(', ')}`);
      }
    } catch (error) {
      if (scenario.expectError && error instanceof DynamoDbEncryptionError) {
        passed += 1;
      } else {
        failed += 1;
        problems.push(`${item.label}: ${describe(error)}`);
      }
    }
  }
  const note = selection.orphans > 0 ? `${selection.orphans} stored item(s) match no plaintext entry and were skipped` : undefined;
  return {
    scenario: scenario.name,
    status: failed > 0 ? 'failed' : 'passed',
    passed,
    failed,
    skipped: selection.orphans,
    problems,
    note,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
