import { AttributeActions } from '../encryptor/attribute-actions';
import { CryptoAction } from '../encryptor/crypto-action';
import { DynamoDbEncryptionError } from '../errors';
import { closestName } from '../format/closest-name';
import { EnvironmentNames as Names } from './environment-names';

/**
 * The pipeline handlers' configuration, read once at cold start from the environment variables
 * the CDK construct writes. Every problem is collected and reported together, so one deploy
 * fixes them all.
 */

/** Missing or invalid settings; the message lists each with the variable to set. */
export class ConfigurationError extends DynamoDbEncryptionError {
  constructor(readonly problems: readonly string[]) {
    super(`invalid pipeline configuration: ${problems.join('; ')}`);
  }
}

export type MaterialsConfig =
  | { readonly kind: 'direct-kms'; readonly kmsKeyId: string; readonly allowedKmsKeyIds?: readonly string[] }
  | {
      readonly kind: 'most-recent';
      readonly kmsKeyId: string;
      readonly allowedKmsKeyIds?: readonly string[];
      readonly metaStoreTableName: string;
      readonly materialName: string;
      readonly versionTtlMs: number;
    };

export interface TableConfig {
  readonly tableName: string;
  /** Set together with the sort key name when the table is described in the environment. */
  readonly partitionKeyName?: string;
  readonly sortKeyName?: string;
}

export interface PipelineConfig {
  readonly table: TableConfig;
  readonly materials: MaterialsConfig;
  readonly attributeActions: AttributeActions;
}

export interface IngestConfig extends PipelineConfig {
  readonly createOnly: boolean;
}

export type PlaintextRecordPolicy = 'pass-through' | 'dead-letter';

export interface StreamConfig extends PipelineConfig {
  /** `eventBusNames` holds ARNs or names, as PutEvents' EventBusName takes either. */
  readonly targets: { readonly queueUrls: readonly string[]; readonly topicArns: readonly string[]; readonly eventBusNames: readonly string[] };
  /** An SQS queue URL: records that fail verification (and, by policy, plaintext ones) go there. */
  readonly deadLetterQueueUrl: string;
  readonly plaintextRecords: PlaintextRecordPolicy;
}

export interface ReEncryptConfig extends PipelineConfig {
  /** Capacity units per second one segment may consume; undefined means unlimited. */
  readonly readCapacityPerSecond?: number;
  readonly writeCapacityPerSecond?: number;
  readonly versionAttribute?: string;
}

type Environment = Readonly<Record<string, string | undefined>>;

const ACTIONS: Readonly<Record<string, CryptoAction>> = {
  ENCRYPT_AND_SIGN: CryptoAction.ENCRYPT_AND_SIGN,
  SIGN_ONLY: CryptoAction.SIGN_ONLY,
  DO_NOTHING: CryptoAction.DO_NOTHING,
};
const DEFAULT_VERSION_TTL_MS = 5 * 60_000;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly environment: Environment) {}

  optional(name: string): string | undefined {
    const value = this.environment[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  required(name: string, what: string): string {
    const value = this.optional(name);
    if (value === undefined) this.problems.push(`${name} is not set (${what})`);
    return value ?? '';
  }

  list(name: string): string[] {
    return (this.optional(name) ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback?: T): T {
    const value = this.optional(name);
    if (value === undefined) {
      if (fallback !== undefined) return fallback;
      this.problems.push(`${name} is not set (one of ${allowed.join(', ')})`);
      return allowed[0];
    }
    if (!(allowed as readonly string[]).includes(value)) this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
    return value as T;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    if (value !== 'true' && value !== 'false') this.problems.push(`${name} must be "true" or "false", got "${value}"`);
    return value === 'true';
  }

  positiveInteger(name: string, fallback: number): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    const number = Number(value);
    if (!Number.isSafeInteger(number) || number < 0) this.problems.push(`${name} must be a whole number of milliseconds, got "${value}"`);
    return number;
  }

  positiveNumber(name: string): number | undefined {
    const value = this.optional(name);
    if (value === undefined) return undefined;
    const number = Number(value);
    if (!Number.isFinite(number) || number <= 0) this.problems.push(`${name} must be a number above 0, got "${value}"`);
    return number;
  }

  finish<T>(config: T): T {
    if (this.problems.length > 0) throw new ConfigurationError(this.problems);
    return config;
  }
}

function readCommon(reader: Reader): PipelineConfig {
  const tableName = reader.required(Names.TABLE_NAME, 'the encrypted table');
  const partitionKeyName = reader.optional(Names.PARTITION_KEY_NAME);
  const sortKeyName = reader.optional(Names.SORT_KEY_NAME);
  if (sortKeyName !== undefined && partitionKeyName === undefined) {
    reader.problems.push(`${Names.SORT_KEY_NAME} is set but ${Names.PARTITION_KEY_NAME} is not`);
  }
  const secondaryIndexes = reader.optional(Names.SECONDARY_INDEXES);
  // Key names alone would leave a secondary index's keys unprotected (encrypted under an
  // ENCRYPT_AND_SIGN default): only a table known to have none is described without DescribeTable.
  if (partitionKeyName !== undefined && secondaryIndexes !== 'none') {
    reader.problems.push(
      `${Names.PARTITION_KEY_NAME} describes the table without DescribeTable only when it has no secondary index: set ${Names.SECONDARY_INDEXES}=none to say so, ` +
        `or unset the key names (DescribeTable then finds every index key, which stays signed, never encrypted)`,
    );
  }
  if (secondaryIndexes !== undefined && secondaryIndexes !== 'none') {
    reader.problems.push(`${Names.SECONDARY_INDEXES} can only be "none", got "${secondaryIndexes}"`);
  }
  const kind = reader.oneOf(Names.MATERIALS, ['direct-kms', 'most-recent'] as const);
  const kmsKeyId = reader.required(Names.KMS_KEY_ID, 'the KMS key ARN');
  const allowed = reader.list(Names.ALLOWED_KMS_KEY_IDS);
  const allowedKmsKeyIds = allowed.length === 0 ? undefined : allowed;
  const materials: MaterialsConfig =
    kind === 'direct-kms'
      ? { kind, kmsKeyId, allowedKmsKeyIds }
      : {
          kind,
          kmsKeyId,
          allowedKmsKeyIds,
          metaStoreTableName: reader.required(Names.META_STORE_TABLE_NAME, 'the MetaStore table of most-recent materials'),
          materialName: reader.required(Names.MATERIAL_NAME, 'the material name of most-recent materials'),
          versionTtlMs: reader.positiveInteger(Names.VERSION_TTL_MS, DEFAULT_VERSION_TTL_MS),
        };
  return {
    table: { tableName, partitionKeyName, sortKeyName: partitionKeyName === undefined ? undefined : sortKeyName },
    materials,
    attributeActions: readAttributeActions(reader),
  };
}

/** The keys `DDBEC_ATTRIBUTE_ACTIONS` may have (not the `AttributeActions` constructor's names). */
const ATTRIBUTE_ACTIONS_KEYS = ['default', 'attributes'] as const;
const ATTRIBUTE_ACTIONS_SHAPE = 'a JSON object {"default": ACTION, "attributes": {"NAME": ACTION, ...}}, each key optional';
const ACTION_NAMES = 'ENCRYPT_AND_SIGN, SIGN_ONLY or DO_NOTHING';

/**
 * `{"default": ACTION, "attributes": {"NAME": ACTION}}`, ACTION one of ENCRYPT_AND_SIGN, SIGN_ONLY,
 * DO_NOTHING; both keys optional (default ENCRYPT_AND_SIGN, no per-attribute action). Anything else
 * is a problem: read loosely, a misspelt key would silently encrypt every attribute, and readers
 * configured as intended could not verify the items written.
 */
function readAttributeActions(reader: Reader): AttributeActions {
  const name = Names.ATTRIBUTE_ACTIONS;
  const text = reader.optional(name);
  if (text === undefined) return new AttributeActions();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    reader.problems.push(`${name} is not JSON: it must be ${ATTRIBUTE_ACTIONS_SHAPE}`);
    return new AttributeActions();
  }
  if (!isJsonObject(json)) {
    const hint = typeof json === 'string' && Object.hasOwn(ACTIONS, json) ? ` (for every attribute, write {"default": "${json}"})` : '';
    reader.problems.push(`${name} must be ${ATTRIBUTE_ACTIONS_SHAPE}, got ${jsonKind(json)}${hint}`);
    return new AttributeActions();
  }
  const problems: string[] = [];
  for (const key of Object.keys(json)) {
    if (!(ATTRIBUTE_ACTIONS_KEYS as readonly string[]).includes(key)) {
      problems.push(`${name}: unknown key ${JSON.stringify(key)} (did you mean "${closestName(key, ATTRIBUTE_ACTIONS_KEYS)}"? it must be ${ATTRIBUTE_ACTIONS_SHAPE})`);
    }
  }
  const action = (value: unknown, where: string): CryptoAction => {
    if (typeof value === 'string' && Object.hasOwn(ACTIONS, value)) return ACTIONS[value];
    problems.push(`${name}: ${where} must be ${ACTION_NAMES}, got ${typeof value === 'string' ? `"${value}"` : jsonKind(value)}`);
    return CryptoAction.ENCRYPT_AND_SIGN;
  };
  const defaultAction = json.default === undefined ? CryptoAction.ENCRYPT_AND_SIGN : action(json.default, 'default');
  let attributeActions: Record<string, CryptoAction> = {};
  if (json.attributes !== undefined) {
    if (isJsonObject(json.attributes)) {
      attributeActions = Object.fromEntries(Object.entries(json.attributes).map(([attribute, value]) => [attribute, action(value, `attribute ${JSON.stringify(attribute)}`)]));
    } else {
      problems.push(`${name}: attributes must be a JSON object of attribute names to ${ACTION_NAMES}, got ${jsonKind(json.attributes)}`);
    }
  }
  if (problems.length > 0) {
    reader.problems.push(...problems);
    return new AttributeActions();
  }
  try {
    return new AttributeActions({ defaultAction, attributeActions });
  } catch (error) {
    reader.problems.push(`${name}: ${(error as Error).message}`);
    return new AttributeActions();
  }
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a JSON value is, without quoting it. */
function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

export function readIngestConfig(environment: Environment = process.env): IngestConfig {
  const reader = new Reader(environment);
  const common = readCommon(reader);
  return reader.finish({ ...common, createOnly: reader.boolean(Names.CREATE_ONLY, false) });
}

export function readReEncryptConfig(environment: Environment = process.env): ReEncryptConfig {
  const reader = new Reader(environment);
  const common = readCommon(reader);
  return reader.finish({
    ...common,
    readCapacityPerSecond: reader.positiveNumber(Names.READ_CAPACITY_PER_SECOND),
    writeCapacityPerSecond: reader.positiveNumber(Names.WRITE_CAPACITY_PER_SECOND),
    versionAttribute: reader.optional(Names.VERSION_ATTRIBUTE),
  });
}

export function readStreamConfig(environment: Environment = process.env): StreamConfig {
  const reader = new Reader(environment);
  const common = readCommon(reader);
  const targets = {
    queueUrls: reader.list(Names.TARGET_QUEUE_URLS),
    topicArns: reader.list(Names.TARGET_TOPIC_ARNS),
    eventBusNames: reader.list(Names.TARGET_EVENT_BUS_NAMES),
  };
  if (targets.queueUrls.length + targets.topicArns.length + targets.eventBusNames.length === 0) {
    reader.problems.push(`no target: set ${Names.TARGET_QUEUE_URLS}, ${Names.TARGET_TOPIC_ARNS} or ${Names.TARGET_EVENT_BUS_NAMES}`);
  }
  const plaintextRecords = reader.oneOf(Names.PLAINTEXT_RECORDS, ['pass-through', 'dead-letter'] as const, 'dead-letter');
  const deadLetterQueueUrl = reader.required(Names.DEAD_LETTER_QUEUE_URL, 'records that fail verification must go somewhere');
  return reader.finish({ ...common, targets, deadLetterQueueUrl, plaintextRecords });
}
