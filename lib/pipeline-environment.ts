import { Tokenization } from 'aws-cdk-lib';
import { CryptoAction } from '../src/encryptor/crypto-action';
import { EnvironmentNames as Names } from '../src/pipeline/environment-names';

/**
 * The construct's side of the environment contract with the pipeline handlers: typed settings
 * in, `DDBEC_*` variables out. The names come from the module the handlers' parser reads
 * (`src/pipeline/environment-names.ts`), and a construct test feeds the synthesized variables to
 * that parser, so the two sides cannot drift apart unnoticed.
 */

/** What every handler needs: the table, the materials and the attribute actions. */
export interface CommonEnvironmentSettings {
  readonly tableName: string;
  readonly materials:
    | { readonly kind: 'direct-kms'; readonly kmsKeyId: string; readonly allowedKmsKeyIds: readonly string[] }
    | {
        readonly kind: 'most-recent';
        readonly kmsKeyId: string;
        readonly allowedKmsKeyIds: readonly string[];
        readonly metaStoreTableName: string;
        readonly materialName: string;
        readonly versionTtlMs: number;
      };
  readonly defaultAction: CryptoAction;
  readonly attributeActions: Readonly<Record<string, CryptoAction>>;
}

export interface IngestEnvironmentSettings {
  readonly createOnly: boolean;
}

export interface StreamEnvironmentSettings {
  readonly targetQueueUrls: readonly string[];
  readonly targetTopicArns: readonly string[];
  /** ARNs, so buses of other accounts and regions are reached. */
  readonly targetEventBusArns: readonly string[];
  readonly deadLetterQueueUrl: string;
  readonly plaintextRecords: 'pass-through' | 'dead-letter';
}

export interface ReEncryptEnvironmentSettings {
  readonly readCapacityPerSecond?: number;
  readonly writeCapacityPerSecond?: number;
  readonly versionAttribute?: string;
}

export type PipelineEnvironment = Record<string, string>;

export function commonEnvironment(settings: CommonEnvironmentSettings): PipelineEnvironment {
  const { materials } = settings;
  const environment: PipelineEnvironment = {
    // Key names are deliberately not written: the handlers then learn keys *and* secondary index
    // keys with DescribeTable, so an index added later still has its keys signed, never encrypted.
    [Names.TABLE_NAME]: settings.tableName,
    [Names.MATERIALS]: materials.kind,
    [Names.KMS_KEY_ID]: materials.kmsKeyId,
    [Names.ALLOWED_KMS_KEY_IDS]: materials.allowedKmsKeyIds.join(','),
    [Names.ATTRIBUTE_ACTIONS]: JSON.stringify({
      default: CryptoAction[settings.defaultAction],
      attributes: Object.fromEntries(Object.entries(settings.attributeActions).map(([name, action]) => [name, CryptoAction[action]])),
    }),
  };
  if (materials.kind === 'most-recent') {
    environment[Names.META_STORE_TABLE_NAME] = materials.metaStoreTableName;
    environment[Names.MATERIAL_NAME] = materials.materialName;
    environment[Names.VERSION_TTL_MS] = String(materials.versionTtlMs);
  }
  return environment;
}

export function ingestEnvironment(common: PipelineEnvironment, settings: IngestEnvironmentSettings): PipelineEnvironment {
  return { ...common, [Names.CREATE_ONLY]: String(settings.createOnly) };
}

export function streamEnvironment(common: PipelineEnvironment, settings: StreamEnvironmentSettings): PipelineEnvironment {
  return {
    ...common,
    [Names.TARGET_QUEUE_URLS]: settings.targetQueueUrls.join(','),
    [Names.TARGET_TOPIC_ARNS]: settings.targetTopicArns.join(','),
    [Names.TARGET_EVENT_BUS_NAMES]: settings.targetEventBusArns.join(','),
    [Names.DEAD_LETTER_QUEUE_URL]: settings.deadLetterQueueUrl,
    [Names.PLAINTEXT_RECORDS]: settings.plaintextRecords,
  };
}

export function reEncryptEnvironment(common: PipelineEnvironment, settings: ReEncryptEnvironmentSettings): PipelineEnvironment {
  const environment: PipelineEnvironment = { ...common };
  // stringifyNumber keeps a token (a CfnParameter) a reference; String() would write its placeholder digits.
  if (settings.readCapacityPerSecond !== undefined) environment[Names.READ_CAPACITY_PER_SECOND] = Tokenization.stringifyNumber(settings.readCapacityPerSecond);
  if (settings.writeCapacityPerSecond !== undefined) environment[Names.WRITE_CAPACITY_PER_SECOND] = Tokenization.stringifyNumber(settings.writeCapacityPerSecond);
  if (settings.versionAttribute !== undefined) environment[Names.VERSION_ATTRIBUTE] = settings.versionAttribute;
  return environment;
}
