import { Arn, ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { CryptoAction } from '../src/encryptor/crypto-action';
import { META_STORE_PARTITION_KEY, META_STORE_SORT_KEY } from '../src/providers/meta-store-keys';
import { EncryptionMaterials } from './encryption-materials';
import { commonEnvironment, type PipelineEnvironment } from './pipeline-environment';

export interface ItemEncryptionProps {
  /** The encrypted table. */
  readonly table: dynamodb.ITable;
  /**
   * The KMS key that protects new items (Direct KMS) or the MetaStore's versions (MostRecent).
   * An alias (`kms.Alias.fromAliasName`) works too: permissions are then scoped with
   * `kms:ResourceAliases`.
   */
  readonly key: kms.IKey;
  /**
   * Keys that protected items before `key` did, still trusted for decryption, so a re-encryption
   * job can move their items to `key`. Items wrapped under any other key are refused.
   * @default - none
   */
  readonly previousKeys?: kms.IKey[];
  /**
   * Which materials provider the handlers use: Direct KMS, or most-recent materials from a MetaStore.
   * @default EncryptionMaterials.directKms()
   */
  readonly materials?: EncryptionMaterials;
  /**
   * The action of every attribute not named in `attributeActions`.
   * @default CryptoAction.ENCRYPT_AND_SIGN
   */
  readonly defaultAction?: CryptoAction;
  /**
   * Per-attribute actions. Key attributes are always SIGN_ONLY: naming one with another action
   * is an error.
   * @default {}
   */
  readonly attributeActions?: Record<string, CryptoAction>;
  /**
   * The table's key attribute names, checked against `attributeActions` at synth time. (The
   * handlers also read the key schema, secondary indexes included, with DescribeTable.)
   * @default - the primary key of a `dynamodb.Table`; none for an imported table
   */
  readonly keyAttributeNames?: string[];
  /**
   * What happens to a MetaStore table this construct creates when it leaves the stack. Losing it
   * makes every item encrypted under its materials unreadable.
   * @default RemovalPolicy.RETAIN
   */
  readonly metaStoreRemovalPolicy?: RemovalPolicy;
}

const DEFAULT_VERSION_TTL = Duration.minutes(5);

/**
 * The encryption settings of one table, shared by every part that reads or writes it: the
 * materials (and the MetaStore table for MostRecent), the attribute actions, the handlers'
 * environment, and least-privilege grants for encrypting and decrypting.
 *
 * KMS permissions carry a `kms:EncryptionContext:*aws-kms-table*` condition naming the table
 * whose items the data keys belong to (the encrypted table for Direct KMS, the MetaStore for
 * MostRecent), exactly as the providers send it, so a grantee cannot use the key for anything else.
 */
export class ItemEncryption extends Construct {
  /** The KMS encryption context key under which the providers send the table name. */
  static readonly TABLE_CONTEXT_KEY = 'kms:EncryptionContext:*aws-kms-table*';

  readonly table: dynamodb.ITable;
  readonly key: kms.IKey;
  readonly previousKeys: readonly kms.IKey[];
  readonly materials: EncryptionMaterials;
  /** The MetaStore table (MostRecent materials only). */
  readonly metaStoreTable?: dynamodb.ITable;
  readonly defaultAction: CryptoAction;
  readonly attributeActions: Readonly<Record<string, CryptoAction>>;

  constructor(scope: Construct, id: string, props: ItemEncryptionProps) {
    super(scope, id);
    this.table = props.table;
    this.key = props.key;
    this.previousKeys = [...(props.previousKeys ?? [])];
    this.materials = props.materials ?? EncryptionMaterials.directKms();
    this.defaultAction = props.defaultAction ?? CryptoAction.ENCRYPT_AND_SIGN;
    this.attributeActions = checkedAttributeActions(props.attributeActions ?? {}, props.keyAttributeNames ?? keyNamesOf(props.table));

    if (this.materials.kind === 'most-recent') {
      const { existingMetaStoreTable } = this.materials.mostRecentOptions;
      this.metaStoreTable =
        existingMetaStoreTable ??
        new dynamodb.Table(this, 'MetaStore', {
          partitionKey: { name: META_STORE_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
          sortKey: { name: META_STORE_SORT_KEY, type: dynamodb.AttributeType.NUMBER },
          billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          encryption: dynamodb.TableEncryption.AWS_MANAGED,
          removalPolicy: props.metaStoreRemovalPolicy ?? RemovalPolicy.RETAIN,
        });
    }
  }

  /** The `DDBEC_*` variables every pipeline handler needs. */
  environment(): PipelineEnvironment {
    const allowedKmsKeyIds = [this.key, ...this.previousKeys].map((key) => key.keyArn);
    const common = { kmsKeyId: this.key.keyArn, allowedKmsKeyIds };
    return commonEnvironment({
      tableName: this.table.tableName,
      materials:
        this.materials.kind === 'direct-kms'
          ? { kind: 'direct-kms', ...common }
          : {
              kind: 'most-recent',
              ...common,
              metaStoreTableName: (this.metaStoreTable as dynamodb.ITable).tableName,
              materialName: this.materials.mostRecentOptions.materialName ?? this.table.tableName,
              versionTtlMs: (this.materials.mostRecentOptions.versionTtl ?? DEFAULT_VERSION_TTL).toMilliseconds(),
            },
      defaultAction: this.defaultAction,
      attributeActions: this.attributeActions,
    });
  }

  /**
   * Lets `grantee` encrypt items of the table under the current key. With MostRecent materials
   * that includes kms:Decrypt of the MetaStore's stored versions; with Direct KMS it does not, so
   * a grantee that also reads items back (ReturnValues, say) needs `grantDecrypt` too. Does not
   * grant writing the table itself.
   */
  grantEncrypt(grantee: iam.IGrantable): iam.Grant {
    this.grantTableDescription(grantee);
    if (this.metaStoreTable !== undefined) {
      // New versions are created with a conditional PutItem when none exists yet or on rotation.
      this.metaStoreTable.grant(grantee, 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem');
    }
    // Direct KMS only makes data keys; MostRecent also unwraps the versions already stored.
    const actions = this.materials.kind === 'most-recent' ? ['kms:GenerateDataKey', 'kms:Decrypt'] : ['kms:GenerateDataKey'];
    return this.grantKeyUse(grantee, actions, [this.key]);
  }

  /** Lets `grantee` verify and decrypt items of the table, under the current or a previous key. */
  grantDecrypt(grantee: iam.IGrantable): iam.Grant {
    this.grantTableDescription(grantee);
    this.metaStoreTable?.grant(grantee, 'dynamodb:GetItem', 'dynamodb:Query');
    // DescribeKey resolves an alias to its key ARN, to tell items under the current key from the rest.
    // It carries no encryption context, so it gets no context condition.
    this.grantKeyUse(grantee, ['kms:DescribeKey'], [this.key], {});
    return this.grantKeyUse(grantee, ['kms:Decrypt'], [this.key, ...this.previousKeys]);
  }

  /** The table whose name the providers put in the KMS encryption context. */
  private get contextTableName(): string {
    return (this.metaStoreTable ?? this.table).tableName;
  }

  private grantTableDescription(grantee: iam.IGrantable): void {
    // The helpers learn key and index attributes with DescribeTable, to keep them signed only.
    this.table.grant(grantee, 'dynamodb:DescribeTable');
  }

  private grantKeyUse(
    grantee: iam.IGrantable,
    actions: string[],
    keys: readonly kms.IKey[],
    contextCondition: Record<string, Record<string, unknown>> = { StringEquals: { [ItemEncryption.TABLE_CONTEXT_KEY]: this.contextTableName } },
  ): iam.Grant {
    const aliases = keys.filter(isAlias);
    const plainKeys = keys.filter((key) => !isAlias(key));
    const grants: iam.Grant[] = [];
    if (plainKeys.length > 0) {
      grants.push(iam.Grant.addToPrincipal({ grantee, actions, resourceArns: plainKeys.map((key) => key.keyArn), conditions: contextCondition }));
    }
    if (aliases.length > 0) {
      // A policy on an alias ARN authorizes nothing: KMS evaluates the key, so name the key by its alias.
      const anyKeyInAccount = Arn.format({ service: 'kms', resource: 'key', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME }, Stack.of(this));
      grants.push(
        iam.Grant.addToPrincipal({
          grantee,
          actions,
          resourceArns: [anyKeyInAccount],
          conditions: { ...contextCondition, 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': aliases.map((alias) => alias.aliasName) } },
        }),
      );
    }
    return grants.reduce((combined, grant) => combined.combine(grant));
  }
}

export function isAlias(key: kms.IKey): key is kms.IAlias {
  return typeof (key as Partial<kms.IAlias>).aliasName === 'string';
}

function keyNamesOf(table: dynamodb.ITable): string[] {
  if (!(table instanceof dynamodb.Table)) return [];
  const { partitionKeys, sortKeys } = table.schemaV2();
  return [...partitionKeys, ...sortKeys].map((key) => key.name);
}

function checkedAttributeActions(actions: Record<string, CryptoAction>, keyNames: readonly string[]): Record<string, CryptoAction> {
  for (const keyName of keyNames) {
    const action = actions[keyName];
    if (action !== undefined && action !== CryptoAction.SIGN_ONLY) {
      throw new Error(
        `attributeActions: "${keyName}" is a key attribute of the table and is always SIGN_ONLY (DynamoDB must read it); remove it or set CryptoAction.SIGN_ONLY`,
      );
    }
  }
  return { ...actions, ...Object.fromEntries(keyNames.map((name) => [name, CryptoAction.SIGN_ONLY])) };
}
