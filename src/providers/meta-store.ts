import { randomBytes } from 'node:crypto';
import {
  BillingMode,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { CryptoConfig } from '../encryptor/crypto-config';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../encryptor/item-encryptor';
import { InvalidArgumentError } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';
import type { CryptographicMaterialsProvider } from './cryptographic-materials-provider';
import {
  InvalidMetaStoreItemError,
  META_STORE_PARTITION_KEY,
  META_STORE_SORT_KEY,
  materialVersionItem,
  metaStoreAttributeActions,
  metaStoreEncryptionContext,
  providerForMaterialVersion,
} from './meta-store-material';
import {
  NoKnownVersionError,
  VersionedMaterialsProvider,
  assertMaterialName,
  assertVersion,
  type ProviderStore,
} from './provider-store';

export interface MetaStoreOptions {
  /** The MetaStore table (partition key `N` string, sort key `V` number). Signed into every version item. */
  readonly tableName: string;
  /** The "meta" provider that encrypts and signs the version items (KMS, wrapped, static...). */
  readonly materialsProvider: CryptographicMaterialsProvider;
  /** @default new DynamoDBClient({}) */
  readonly dynamoDbClient?: DynamoDBClient;
}

export interface CreateMetaStoreTableOptions {
  /**
   * @default PROVISIONED when capacity units are given, else PAY_PER_REQUEST
   */
  readonly billingMode?: BillingMode;
  /** Required with PROVISIONED. */
  readonly readCapacityUnits?: number;
  /** Required with PROVISIONED. */
  readonly writeCapacityUnits?: number;
  /**
   * How long to wait for the table to become ACTIVE before failing.
   * @default 300
   */
  readonly maxWaitSeconds?: number;
}

const KEY_BYTES = 32;
const CONDITIONAL_CHECK_FAILED = 'ConditionalCheckFailedException';
// Placeholders, so that the key names never collide with DynamoDB's reserved words.
const KEY_NAMES = { '#n': META_STORE_PARTITION_KEY, '#v': META_STORE_SORT_KEY };

/**
 * Versioned wrapping and signing keys kept in a DynamoDB table, each version an item encrypted
 * under a "meta" provider (the Python client's `MetaStore`, FORMAT.md §8.4).
 *
 * Every method returns a `VersionedMaterialsProvider`: a provider usable as is, whose `version`
 * says which version it stands for.
 *
 * Errors: a missing version is `NoKnownVersionError`; a version item that fails verification
 * raises what the item encryptor raises (`SignatureVerificationError`...) and is never replaced;
 * DynamoDB errors propagate unchanged, so callers can tell SDK failures from bad items.
 */
export class MetaStore implements ProviderStore {
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly cryptoConfig: CryptoConfig;

  constructor(options: MetaStoreOptions) {
    if (typeof options?.tableName !== 'string' || options.tableName.length === 0) {
      throw new InvalidArgumentError('MetaStore needs a tableName');
    }
    if (options.materialsProvider === undefined) {
      throw new InvalidArgumentError('MetaStore needs a materialsProvider to protect its version items', { tableName: options.tableName });
    }
    this.tableName = options.tableName;
    this.client = options.dynamoDbClient ?? new DynamoDBClient({});
    this.cryptoConfig = {
      materialsProvider: options.materialsProvider,
      encryptionContext: metaStoreEncryptionContext(options.tableName),
      attributeActions: metaStoreAttributeActions(),
    };
  }

  /** Creates a MetaStore table and waits until it is ACTIVE (the Python client's `MetaStore.create_table`). */
  static async createTable(client: DynamoDBClient, tableName: string, options: CreateMetaStoreTableOptions = {}): Promise<void> {
    const { readCapacityUnits, writeCapacityUnits } = options;
    const billingMode =
      options.billingMode ??
      (readCapacityUnits !== undefined || writeCapacityUnits !== undefined ? BillingMode.PROVISIONED : BillingMode.PAY_PER_REQUEST);
    const input: CreateTableCommandInput = {
      TableName: tableName,
      AttributeDefinitions: [
        { AttributeName: META_STORE_PARTITION_KEY, AttributeType: 'S' },
        { AttributeName: META_STORE_SORT_KEY, AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: META_STORE_PARTITION_KEY, KeyType: 'HASH' },
        { AttributeName: META_STORE_SORT_KEY, KeyType: 'RANGE' },
      ],
      BillingMode: billingMode,
    };
    if (billingMode === BillingMode.PROVISIONED) {
      if (!isPositiveInteger(readCapacityUnits) || !isPositiveInteger(writeCapacityUnits)) {
        throw new InvalidArgumentError('a PROVISIONED MetaStore table needs readCapacityUnits and writeCapacityUnits (integers >= 1)', {
          tableName,
        });
      }
      input.ProvisionedThroughput = { ReadCapacityUnits: readCapacityUnits, WriteCapacityUnits: writeCapacityUnits };
    }
    await client.send(new CreateTableCommand(input));
    // Throws on timeout: a table that never becomes ACTIVE is an error, not something to ignore.
    await waitUntilTableExists(
      { client, minDelay: 1, maxDelay: 10, maxWaitTime: options.maxWaitSeconds ?? 300 },
      { TableName: tableName },
    );
  }

  /**
   * The provider of `version`, or without one the newest, creating version 0 for a material
   * that has none. A version asked for by number is only ever read.
   */
  async provider(materialName: string, version?: number): Promise<VersionedMaterialsProvider> {
    assertMaterialName(materialName, this.tableName);
    if (version !== undefined) {
      assertVersion(version, this.tableName);
      return this.loadVersion(materialName, version);
    }
    let newest: number;
    try {
      newest = await this.maxVersion(materialName);
    } catch (error) {
      if (!(error instanceof NoKnownVersionError)) throw error;
      return this.getOrCreateVersion(materialName, 0);
    }
    return this.loadVersion(materialName, newest);
  }

  /** Writes version max+1 (0 for a new material); see `ProviderStore.newProvider` for the race. */
  async newProvider(materialName: string): Promise<VersionedMaterialsProvider> {
    assertMaterialName(materialName, this.tableName);
    let next = 0;
    try {
      next = (await this.maxVersion(materialName)) + 1;
    } catch (error) {
      if (!(error instanceof NoKnownVersionError)) throw error;
    }
    return this.getOrCreateVersion(materialName, next);
  }

  /**
   * The highest version in the table. Only the key is read: the item is verified when the
   * version is loaded, and a bad newest item must not stop the next rotation.
   */
  async maxVersion(materialName: string): Promise<number> {
    assertMaterialName(materialName, this.tableName);
    const response = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#n = :name',
        ExpressionAttributeNames: KEY_NAMES,
        ExpressionAttributeValues: { ':name': { S: materialName } },
        ProjectionExpression: '#v',
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const newest = response.Items?.[0];
    if (newest === undefined) {
      throw new NoKnownVersionError(`material "${materialName}" has no version in the MetaStore`, { tableName: this.tableName });
    }
    const version = Number(newest[META_STORE_SORT_KEY]?.N);
    if (!Number.isSafeInteger(version) || version < 0) {
      throw new InvalidMetaStoreItemError(`material "${materialName}" has a newest version that is not an integer >= 0`, {
        tableName: this.tableName,
      });
    }
    return version;
  }

  /**
   * The reference clients' rotation step: claim `version` with a conditional put of fresh keys;
   * when another writer got there first, load theirs. Retrying with a higher version instead
   * would let a burst of rotations skip ahead several versions.
   */
  private async getOrCreateVersion(materialName: string, version: number): Promise<VersionedMaterialsProvider> {
    const encryptionKey = randomBytes(KEY_BYTES);
    const integrityKey = randomBytes(KEY_BYTES);
    try {
      const plaintext = materialVersionItem(materialName, version, encryptionKey, integrityKey);
      const stored = await encryptDynamoDbItem(plaintext, this.cryptoConfig);
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: stored,
            ConditionExpression: 'attribute_not_exists(#n) AND attribute_not_exists(#v)',
            ExpressionAttributeNames: KEY_NAMES,
          }),
        );
      } catch (error) {
        if ((error as { name?: unknown } | null)?.name !== CONDITIONAL_CHECK_FAILED) throw error;
        return this.loadVersion(materialName, version);
      }
      return this.versionProvider(materialName, version, plaintext);
    } finally {
      // The provider's keys hold their own copies; do not leave these in a pooled buffer.
      encryptionKey.fill(0);
      integrityKey.fill(0);
    }
  }

  private async loadVersion(materialName: string, version: number): Promise<VersionedMaterialsProvider> {
    const response = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { [META_STORE_PARTITION_KEY]: { S: materialName }, [META_STORE_SORT_KEY]: { N: String(version) } },
        ConsistentRead: true,
      }),
    );
    if (response.Item === undefined) {
      throw new NoKnownVersionError(`material "${materialName}" has no version ${version} in the MetaStore`, { tableName: this.tableName });
    }
    const decrypted = await decryptDynamoDbItem(response.Item, this.cryptoConfig);
    try {
      return this.versionProvider(materialName, version, decrypted);
    } finally {
      // The provider's keys hold their own copies; the decrypted key bytes go no further.
      decrypted.enc?.B?.fill(0);
      decrypted.int?.B?.fill(0);
    }
  }

  private versionProvider(materialName: string, version: number, item: Readonly<DynamoDbItem>): VersionedMaterialsProvider {
    return new VersionedMaterialsProvider(materialName, version, providerForMaterialVersion(materialName, version, item, this.tableName));
  }
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}
