import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '../../errors';
import type { AttributeActions } from '../../encryptor/attribute-actions';
import type { EncryptionContext } from '../../encryptor/encryption-context';
import type { AttributeValue, DynamoDbItem } from '../../format/attribute-value';
import { itemFromJson } from '../../format/dynamodb-json';
import { normalizeNumber } from '../../format/number-normalizer';
import {
  attributeActionsFromJson,
  readCiphertextFile,
  readJson,
  resolveLink,
  type ActionSetJson,
  type KeyRoleNames,
  type PlaintextManifest,
} from './vector-files';

export type ProviderKind = 'static' | 'wrapped' | 'awskms' | 'most_recent';

export interface MetaStoreScenario {
  readonly tableName: string;
  readonly provider: ProviderKind;
  readonly keys: KeyRoleNames;
  readonly ciphertextFile: string;
}

/** One scenario of `scenarios.json` or of a supplement file, with its links resolved. */
export interface Scenario {
  readonly name: string;
  /** The file the scenario came from, and the scenario's JSON as written there. */
  readonly sourceFile: string;
  readonly json: Readonly<Record<string, unknown>>;
  readonly provider: ProviderKind;
  readonly keys: KeyRoleNames;
  readonly network: boolean;
  readonly expectError: boolean;
  readonly ciphertextFile: string;
  readonly materialDescription?: Readonly<Record<string, string>>;
  readonly materialName?: string;
  readonly metaStore?: MetaStoreScenario;
  /** Manifest scenarios: the plaintext manifest and the version of attribute groups. */
  readonly plaintext?: PlaintextManifest;
  readonly plaintextFile?: string;
  readonly version?: string;
  /** `"actions"`: a set name of the manifest or an explicit action set, for every item. */
  readonly actions?: string | ActionSetJson;
  /** Supplement scenarios: one context and one expected item for the items under one key. */
  readonly ciphertextTableKey?: string;
  readonly encryptionContext?: EncryptionContext;
  readonly expectedPlaintext?: DynamoDbItem;
}

/** One stored item to check, with how to read it and what it should decrypt to. */
export interface ScenarioItem {
  readonly label: string;
  readonly stored: DynamoDbItem;
  readonly context: EncryptionContext;
  readonly actions: AttributeActions;
  readonly expected?: DynamoDbItem;
}

export interface ScenarioItems {
  readonly items: ScenarioItem[];
  /** Stored items that match no plaintext entry (FORMAT.md §9.11 orphans). */
  readonly orphans: number;
}

/** Loads `scenarios.json` and every `supplement/*.json` that holds a `scenarios` list. */
export function loadScenarios(directory: string): Scenario[] {
  const manifestFile = path.join(directory, 'scenarios.json');
  if (!existsSync(manifestFile)) throw new InvalidArgumentError(`${directory} has no scenarios.json`);
  const files = [manifestFile];
  const supplementDirectory = path.join(directory, 'supplement');
  if (existsSync(supplementDirectory)) {
    for (const entry of readdirSync(supplementDirectory).sort()) {
      if (entry.endsWith('.json')) files.push(path.join(supplementDirectory, entry));
    }
  }
  const plaintextCache = new Map<string, PlaintextManifest>();
  const scenarios: Scenario[] = [];
  for (const file of files) {
    const json = readJson<{ scenarios?: Array<Record<string, unknown>> }>(file);
    for (const scenarioJson of json.scenarios ?? []) {
      scenarios.push(parseScenario(directory, file, scenarioJson, plaintextCache));
    }
  }
  return scenarios;
}

function parseScenario(
  directory: string,
  sourceFile: string,
  json: Record<string, unknown>,
  plaintextCache: Map<string, PlaintextManifest>,
): Scenario {
  const ciphertextFile = resolveLink(directory, requireString(json, 'ciphertext'));
  const name = typeof json.name === 'string' ? json.name : path.relative(path.join(directory, 'ciphertext'), ciphertextFile);
  const metaStoreJson = json.metastore as Record<string, unknown> | undefined;
  let plaintext: PlaintextManifest | undefined;
  let plaintextFile: string | undefined;
  if (typeof json.plaintext === 'string') {
    plaintextFile = resolveLink(directory, json.plaintext);
    plaintext = plaintextCache.get(plaintextFile) ?? readJson<PlaintextManifest>(plaintextFile);
    plaintextCache.set(plaintextFile, plaintext);
  }
  const contextJson = json.encryption_context as Record<string, string | null> | undefined;
  return {
    name,
    sourceFile,
    json,
    provider: requireString(json, 'provider') as ProviderKind,
    keys: (json.keys ?? {}) as KeyRoleNames,
    network: json.network === true,
    expectError: json.expect === 'error',
    ciphertextFile,
    materialDescription: json.material_description as Record<string, string> | undefined,
    materialName: json.material_name as string | undefined,
    metaStore:
      metaStoreJson === undefined
        ? undefined
        : {
            tableName: requireString(metaStoreJson, 'table_name'),
            provider: requireString(metaStoreJson, 'provider') as ProviderKind,
            keys: (metaStoreJson.keys ?? {}) as KeyRoleNames,
            ciphertextFile: resolveLink(directory, requireString(metaStoreJson, 'ciphertext')),
          },
    plaintext,
    plaintextFile,
    version: json.version as string | undefined,
    actions: json.actions as string | ActionSetJson | undefined,
    ciphertextTableKey: json.ciphertext_table_key as string | undefined,
    encryptionContext:
      contextJson === undefined
        ? undefined
        : {
            tableName: contextJson.table_name ?? undefined,
            partitionKeyName: contextJson.partition_key_name ?? undefined,
            sortKeyName: contextJson.sort_key_name ?? undefined,
          },
    expectedPlaintext: json.expected_plaintext === undefined ? undefined : itemFromJson(json.expected_plaintext),
  };
}

function requireString(json: Record<string, unknown>, field: string): string {
  const value = json[field];
  if (typeof value !== 'string') throw new InvalidArgumentError(`a vector scenario lacks the text field "${field}"`);
  return value;
}

/**
 * Pairs each stored item with its expected plaintext, actions and context, the way the upstream
 * harnesses do: match on primary-key values; key attributes are lowered to sign-only.
 */
export function scenarioItems(scenario: Scenario): ScenarioItems {
  const file = readCiphertextFile(scenario.ciphertextFile);
  const items: ScenarioItem[] = [];
  let orphans = 0;
  if (scenario.encryptionContext !== undefined) {
    const tableKey = scenario.ciphertextTableKey ?? Object.keys(file)[0];
    const context = scenario.encryptionContext;
    const keyNames = [context.partitionKeyName, context.sortKeyName].filter((name): name is string => name !== undefined);
    for (const stored of file[tableKey] ?? []) {
      const expected = scenario.expectedPlaintext;
      if (expected !== undefined && !sameKey(stored, expected, keyNames)) {
        orphans += 1;
        continue;
      }
      items.push({ label: itemLabel(stored, keyNames), stored, context, actions: explicitActions(scenario), expected });
    }
    return { items, orphans };
  }
  const plaintext = scenario.plaintext;
  if (plaintext === undefined) throw new InvalidArgumentError(`scenario ${scenario.name} has neither a plaintext manifest nor an encryption_context`);
  for (const [tableName, storedItems] of Object.entries(file)) {
    const table = plaintext.items[tableName];
    if (table === undefined) {
      orphans += storedItems.length;
      continue;
    }
    const keyNames = [table.index.partition, table.index.sort].filter((name): name is string => name !== undefined);
    const context: EncryptionContext = { tableName, partitionKeyName: table.index.partition, sortKeyName: table.index.sort };
    for (const stored of storedItems) {
      const entry = table.items.find((candidate) => sameKey(stored, itemFromJson(candidate.attributes), keyNames));
      if (entry === undefined) {
        orphans += 1;
        continue;
      }
      const actions = scenario.actions === undefined ? manifestActions(plaintext, entry.action) : explicitActions(scenario);
      actions.setIndexKeys(...keyNames);
      items.push({
        label: itemLabel(stored, keyNames),
        stored,
        context,
        actions,
        expected: expectedItem(plaintext, tableName, scenario.version, entry),
      });
    }
  }
  return { items, orphans };
}

export function manifestActions(plaintext: PlaintextManifest, setName: string): AttributeActions {
  const set = plaintext.actions[setName];
  if (set === undefined) throw new InvalidArgumentError(`the plaintext manifest has no action set "${setName}"`);
  return attributeActionsFromJson(set);
}

function explicitActions(scenario: Scenario): AttributeActions {
  const actions = scenario.actions;
  if (actions === undefined) throw new InvalidArgumentError(`scenario ${scenario.name} names no actions`);
  if (typeof actions === 'string') {
    if (scenario.plaintext === undefined) throw new InvalidArgumentError(`scenario ${scenario.name} names action set "${actions}" but has no plaintext manifest`);
    return manifestActions(scenario.plaintext, actions);
  }
  return attributeActionsFromJson(actions);
}

/** The manifest's expected plaintext: key attributes plus, unless exact, the version's groups. */
export function expectedItem(
  plaintext: PlaintextManifest,
  tableName: string,
  version: string | undefined,
  entry: { readonly attributes: unknown; readonly exact?: boolean },
): DynamoDbItem {
  const item: DynamoDbItem = { ...itemFromJson(entry.attributes) };
  if (entry.exact === true || version === undefined) return item;
  for (const group of plaintext.versions?.[tableName]?.[version] ?? []) {
    const attributes = plaintext.attributes?.[group];
    if (attributes === undefined) throw new InvalidArgumentError(`the plaintext manifest has no attribute group "${group}"`);
    Object.assign(item, itemFromJson(attributes));
  }
  return item;
}

function sameKey(stored: DynamoDbItem, expected: DynamoDbItem, keyNames: readonly string[]): boolean {
  return keyNames.every((name) => stored[name] !== undefined && expected[name] !== undefined && keyText(stored[name]) === keyText(expected[name]));
}

function keyText(value: AttributeValue): string {
  if (value.N !== undefined) return `N:${normalizeNumber(value.N)}`;
  if (value.S !== undefined) return `S:${value.S}`;
  if (value.B !== undefined) return `B:${Buffer.from(value.B).toString('base64')}`;
  return 'other';
}

function itemLabel(item: DynamoDbItem, keyNames: readonly string[]): string {
  return keyNames.map((name) => `${name}=${item[name] === undefined ? '?' : keyText(item[name]).slice(2)}`).join(',');
}
