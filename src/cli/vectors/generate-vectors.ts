import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { encryptDynamoDbItem } from '../../encryptor/item-encryptor';
import type { DynamoDbItem } from '../../format/attribute-value';
import { itemToJson } from '../../format/dynamodb-json';
import type { CryptographicMaterialsProvider } from '../../providers/cryptographic-materials-provider';
import {
  materialVersionItem,
  metaStoreAttributeActions,
  metaStoreEncryptionContext,
  providerForMaterialVersion,
} from '../../providers/meta-store-material';
import { canEncrypt, localProvider, offlineSkipReason } from './scenario-providers';
import { expectedItem, loadScenarios, manifestActions, type Scenario } from './scenarios';
import { attributeActionsFromJson, readCiphertextFile, relativeLink, VectorKeys } from './vector-files';

export interface GenerateReport {
  /** Scenario names written, with their item counts. */
  readonly written: Array<{ readonly scenario: string; readonly items: number }>;
  /** Scenario names not written, with the reason. */
  readonly left: Array<{ readonly scenario: string; readonly reason: string }>;
}

/**
 * Encrypts the plaintext items of every offline scenario that names keys to write with, and lays
 * the result out like the input directory, so that any implementation can verify it.
 */
export async function generateVectors(inputDirectory: string, outputDirectory: string): Promise<GenerateReport> {
  const input = path.resolve(inputDirectory);
  const output = path.resolve(outputDirectory);
  const keys = new VectorKeys(path.join(input, 'keys.json'));
  const report: GenerateReport = { written: [], left: [] };
  const scenariosBySource = new Map<string, Array<Record<string, unknown>>>();
  const copied = new Set<string>([path.join(input, 'keys.json')]);

  for (const scenario of loadScenarios(input)) {
    const reason = scenario.expectError
      ? 'expects an error'
      : offlineSkipReason(scenario, keys) ?? (canEncrypt(scenario, keys) ? undefined : 'names no keys to encrypt and sign with');
    if (reason !== undefined) {
      report.left.push({ scenario: scenario.name, reason });
      continue;
    }
    const written = await generateScenario(scenario, keys, input, output);
    const list = scenariosBySource.get(scenario.sourceFile) ?? [];
    list.push(written.json);
    scenariosBySource.set(scenario.sourceFile, list);
    if (scenario.plaintextFile !== undefined) copied.add(scenario.plaintextFile);
    report.written.push({ scenario: scenario.name, items: written.items });
  }

  for (const file of copied) copyInto(input, output, file);
  // scenarios.json is always written, so the output is a complete vector directory.
  const manifest = path.join(input, 'scenarios.json');
  if (!scenariosBySource.has(manifest)) scenariosBySource.set(manifest, []);
  for (const [source, scenarios] of scenariosBySource) {
    const target = path.join(output, path.relative(input, source));
    mkdirSync(path.dirname(target), { recursive: true });
    const header = source === manifest ? { plaintext: 'file://plaintext.json', keys: 'file://keys.json' } : {};
    writeFileSync(target, `${JSON.stringify({ ...header, scenarios }, null, 2)}\n`);
  }
  return report;
}

async function generateScenario(
  scenario: Scenario,
  keys: VectorKeys,
  input: string,
  output: string,
): Promise<{ json: Record<string, unknown>; items: number }> {
  const json: Record<string, unknown> = { ...scenario.json };
  let provider: CryptographicMaterialsProvider;
  if (scenario.provider === 'most_recent' && scenario.metaStore !== undefined && scenario.materialName !== undefined) {
    // A fresh MetaStore: version 0 with new keys, protected by the scenario's meta provider.
    const version = 0;
    const versionItem = materialVersionItem(scenario.materialName, version, randomBytes(32), randomBytes(32));
    const metaItem = await encryptDynamoDbItem(versionItem, {
      materialsProvider: localProvider(scenario.metaStore.provider, scenario.metaStore.keys, keys),
      encryptionContext: metaStoreEncryptionContext(scenario.metaStore.tableName),
      attributeActions: metaStoreAttributeActions(),
    });
    const metaFile = outputCiphertextFile(input, output, scenario.metaStore.ciphertextFile);
    writeItems(metaFile, { [scenario.metaStore.tableName]: [metaItem] });
    json.metastore = { ...(json.metastore as Record<string, unknown>), ciphertext: relativeLink(output, metaFile) };
    provider = providerForMaterialVersion(scenario.materialName, version, versionItem, scenario.metaStore.tableName);
  } else {
    provider = localProvider(scenario.provider, scenario.keys, keys, scenario.materialDescription);
  }

  const tables: Record<string, DynamoDbItem[]> = {};
  let count = 0;
  for (const plain of plaintextItems(scenario)) {
    const encrypted = await encryptDynamoDbItem(plain.item, {
      materialsProvider: provider,
      encryptionContext: plain.context,
      attributeActions: plain.actions,
    });
    (tables[plain.tableKey] ??= []).push(encrypted);
    count += 1;
  }
  const file = outputCiphertextFile(input, output, scenario.ciphertextFile);
  writeItems(file, tables);
  json.ciphertext = relativeLink(output, file);
  return { json, items: count };
}

/** The plaintext items a scenario stands for, with the context and actions to write them. */
function* plaintextItems(scenario: Scenario) {
  if (scenario.encryptionContext !== undefined && scenario.expectedPlaintext !== undefined) {
    const actions = scenario.actions;
    yield {
      tableKey: scenario.ciphertextTableKey ?? 'TableName',
      item: scenario.expectedPlaintext,
      context: scenario.encryptionContext,
      actions: typeof actions === 'object' ? attributeActionsFromJson(actions) : manifestActions(scenario.plaintext!, actions!),
    };
    return;
  }
  const plaintext = scenario.plaintext!;
  // Only the tables the original file holds, so each generated file mirrors its source.
  for (const tableKey of Object.keys(readCiphertextFile(scenario.ciphertextFile))) {
    const table = plaintext.items[tableKey];
    if (table === undefined) continue;
    const keyNames = [table.index.partition, table.index.sort].filter((name): name is string => name !== undefined);
    for (const entry of table.items) {
      const actions =
        typeof scenario.actions === 'object'
          ? attributeActionsFromJson(scenario.actions)
          : manifestActions(plaintext, scenario.actions ?? entry.action);
      actions.setIndexKeys(...keyNames);
      yield {
        tableKey,
        item: expectedItem(plaintext, tableKey, scenario.version, entry),
        context: { tableName: tableKey, partitionKeyName: table.index.partition, sortKeyName: table.index.sort },
        actions,
      };
    }
  }
}

/** `ciphertext/python/x.json` becomes `ciphertext/typescript/python-x.json`. */
function outputCiphertextFile(input: string, output: string, sourceFile: string): string {
  const relative = path.relative(path.join(input, 'ciphertext'), sourceFile).split(path.sep).join('-');
  return path.join(output, 'ciphertext', 'typescript', relative);
}

function writeItems(file: string, tables: Record<string, DynamoDbItem[]>): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const json = Object.fromEntries(Object.entries(tables).map(([table, items]) => [table, items.map((item) => itemToJson(item))]));
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
}

function copyInto(input: string, output: string, file: string): void {
  const target = path.join(output, path.relative(input, file));
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(file, target);
}
