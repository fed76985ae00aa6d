import { CfnOutput, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { CryptoAction } from '../src/encryptor/crypto-action';
import { DecryptedStream, type DecryptedStreamOptions } from './decrypted-stream';
import type { EncryptionMaterials } from './encryption-materials';
import { IngestFunction, type IngestFunctionOptions } from './ingest-function';
import { ItemEncryption } from './item-encryption';
import { ReEncryptionJob, type ReEncryptionJobOptions } from './reencryption-job';

export interface EncryptedTableConstructProps {
  /**
   * The partition key of a new table. Required unless `existingTable` is given.
   * @default - none
   */
  readonly partitionKey?: dynamodb.Attribute;
  /**
   * The sort key of a new table.
   * @default - no sort key
   */
  readonly sortKey?: dynamodb.Attribute;
  /**
   * The name of a new table.
   * @default - a name CloudFormation generates
   */
  readonly tableName?: string;
  /**
   * How a new table is billed for reads and writes.
   * @default dynamodb.BillingMode.PAY_PER_REQUEST
   */
  readonly billingMode?: dynamodb.BillingMode;
  /** With PROVISIONED billing. @default 5 */
  readonly readCapacity?: number;
  /** With PROVISIONED billing. @default 5 */
  readonly writeCapacity?: number;
  /**
   * Enable point-in-time recovery on a new table.
   * @default true
   */
  readonly pointInTimeRecovery?: boolean;
  /**
   * Enable deletion protection on a new table.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to a new table (and the key, and a MetaStore) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * An existing table instead of a new one. Give its `tableStreamArn` (NEW_AND_OLD_IMAGES) to
   * use `decryptedStream`.
   * @default - a new table
   */
  readonly existingTable?: dynamodb.ITable;
  /**
   * An existing KMS key, or alias (`kms.Alias.fromAliasName`), instead of a new one.
   * @default - a new key with automatic rotation
   */
  readonly existingKey?: kms.IKey;
  /**
   * Keys that protected items before the current one, trusted for decryption only.
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
   * Per-attribute actions; key attributes are always SIGN_ONLY.
   * @default {}
   */
  readonly attributeActions?: Record<string, CryptoAction>;
  /**
   * Deploy the ingest function.
   * @default - no ingest function
   */
  readonly ingest?: IngestFunctionOptions;
  /**
   * Deploy the decrypted stream.
   * @default - no decrypted stream
   */
  readonly decryptedStream?: DecryptedStreamOptions;
  /**
   * Deploy the re-encryption / backfill job.
   * @default - no re-encryption job
   */
  readonly reEncryption?: ReEncryptionJobOptions;
}

/**
 * A DynamoDB table whose items are encrypted and signed client-side, in the format of the
 * Python and Java DynamoDB Encryption Client, with optional pipelines: ingest (plaintext in,
 * encrypted items written), a decrypted stream (records decrypted and fanned out), and a
 * re-encryption / backfill job.
 *
 * ```ts
 * new EncryptedTableConstruct(this, 'Orders', {
 *   partitionKey: { name: 'orderId', type: dynamodb.AttributeType.STRING },
 *   attributeActions: { status: CryptoAction.SIGN_ONLY },
 *   ingest: { sources: [IngestSource.QUEUE] },
 *   decryptedStream: { fifo: true },
 *   reEncryption: { totalSegments: 8 },
 * });
 * ```
 */
export class EncryptedTableConstruct extends Construct {
  readonly table: dynamodb.ITable;
  readonly key: kms.IKey;
  /** Materials, attribute actions and grants shared by the pipelines. */
  readonly encryption: ItemEncryption;
  readonly metaStoreTable?: dynamodb.ITable;
  readonly ingest?: IngestFunction;
  readonly decryptedStream?: DecryptedStream;
  readonly reEncryptionJob?: ReEncryptionJob;
  /** Every alarm of the pipelines, to route to one SNS topic or dashboard. */
  readonly alarms: cloudwatch.Alarm[];
  /**
   * The handlers' shared settings (table, materials, attribute actions) as a stack output: the
   * JSON object of DDBEC_* variables that `ddbec --config FILE` reads, so an operator's CLI run
   * uses exactly what the Lambdas use.
   */
  readonly configurationOutput: CfnOutput;

  constructor(scope: Construct, id: string, props: EncryptedTableConstructProps) {
    super(scope, id);
    if (props.existingTable !== undefined) {
      const newTableProps = (['partitionKey', 'sortKey', 'tableName', 'billingMode', 'readCapacity', 'writeCapacity', 'pointInTimeRecovery', 'deletionProtection'] as const).filter((name) => props[name] !== undefined);
      if (newTableProps.length > 0) throw new Error(`EncryptedTableConstruct: ${newTableProps.join(', ')} describe a new table and cannot be used with existingTable`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.table = props.existingTable ?? this.newTable(props, removalPolicy);
    this.key =
      props.existingKey ??
      new kms.Key(this, 'Key', {
        description: 'Protects the data keys of client-side encrypted DynamoDB items',
        enableKeyRotation: true,
        removalPolicy,
      });
    this.encryption = new ItemEncryption(this, 'Encryption', {
      table: this.table,
      key: this.key,
      previousKeys: props.previousKeys,
      materials: props.materials,
      defaultAction: props.defaultAction,
      attributeActions: props.attributeActions,
      metaStoreRemovalPolicy: removalPolicy,
    });
    this.metaStoreTable = this.encryption.metaStoreTable;
    const encryption = this.encryption;
    if (props.ingest !== undefined) this.ingest = new IngestFunction(this, 'Ingest', { ...props.ingest, encryption });
    if (props.decryptedStream !== undefined) this.decryptedStream = new DecryptedStream(this, 'DecryptedStream', { ...props.decryptedStream, encryption });
    if (props.reEncryption !== undefined) this.reEncryptionJob = new ReEncryptionJob(this, 'ReEncryption', { ...props.reEncryption, encryption });
    this.configurationOutput = new CfnOutput(this, 'PipelineConfiguration', {
      description: 'Settings for ddbec --config (save the value as a JSON file)',
      value: Stack.of(this).toJsonString(this.encryption.environment()),
    });
    this.alarms = [
      ...(this.ingest === undefined ? [] : [this.ingest.errorsAlarm, ...(this.ingest.deadLetterQueueAlarm === undefined ? [] : [this.ingest.deadLetterQueueAlarm])]),
      ...(this.decryptedStream === undefined
        ? []
        : [this.decryptedStream.deadLetterQueueAlarm, this.decryptedStream.failureDestinationAlarm, this.decryptedStream.iteratorAgeAlarm, this.decryptedStream.errorsAlarm]),
      ...(this.reEncryptionJob === undefined ? [] : [this.reEncryptionJob.failedAlarm, this.reEncryptionJob.errorsAlarm]),
    ];
  }

  /** Lets `grantee` (your own function) encrypt items for this table. Writing the table is granted separately. */
  grantEncrypt(grantee: iam.IGrantable): iam.Grant {
    return this.encryption.grantEncrypt(grantee);
  }

  /** Lets `grantee` verify and decrypt items of this table. Reading the table is granted separately. */
  grantDecrypt(grantee: iam.IGrantable): iam.Grant {
    return this.encryption.grantDecrypt(grantee);
  }

  private newTable(props: EncryptedTableConstructProps, removalPolicy: RemovalPolicy): dynamodb.Table {
    if (props.partitionKey === undefined) {
      throw new Error('EncryptedTableConstruct: give partitionKey for a new table, or existingTable');
    }
    const billingMode = props.billingMode ?? dynamodb.BillingMode.PAY_PER_REQUEST;
    const provisioned = billingMode === dynamodb.BillingMode.PROVISIONED;
    if (!provisioned && (props.readCapacity !== undefined || props.writeCapacity !== undefined)) {
      throw new Error('EncryptedTableConstruct: readCapacity and writeCapacity need billingMode PROVISIONED');
    }
    return new dynamodb.Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: props.partitionKey,
      sortKey: props.sortKey,
      billingMode,
      ...(provisioned ? { readCapacity: props.readCapacity ?? 5, writeCapacity: props.writeCapacity ?? 5 } : {}),
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.pointInTimeRecovery ?? true },
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy,
    });
  }
}
