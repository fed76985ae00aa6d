import { GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient, type PutItemCommandInput, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import type { TableInfo } from '../encrypted/table-info';
import type { CryptoConfig } from '../encryptor/crypto-config';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../encryptor/item-encryptor';
import { itemSizeBytes } from '../encryptor/item-size';
import { InvalidMaterialDescriptionError } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';
import { deserializeMaterialDescription } from '../format/material-description';
import { ReservedAttributes } from '../format/material-description-keys';
import type { DecryptionMaterials } from '../materials/cryptographic-materials';
import type { CryptographicMaterialsProvider } from '../providers/cryptographic-materials-provider';
import type { CapacityBudget } from './reencrypt-capacity';
import type { MaterialsClassifier } from './reencrypt-classifier';
import type { ItemOutcome, ReEncryptCounts } from './reencrypt-counts';
import { matchesFilter, type ItemFilter } from './reencrypt-filter';
import type { ThrottleRetry } from './reencrypt-throttling';
import { reEncryptWrite } from './reencrypt-write-request';

export interface ItemProcessorOptions {
  readonly client: DynamoDBClient;
  readonly tableInfo: TableInfo;
  /** Decrypts items under any materials still in use (index keys SIGN_ONLY). */
  readonly sourceConfig: CryptoConfig;
  /** Encrypts with the target materials; same actions as `sourceConfig`. */
  readonly targetConfig: CryptoConfig;
  readonly classifier: MaterialsClassifier;
  readonly versionAttribute?: string;
  /** Re-reads and new attempts after a write found the item changed. */
  readonly maxConflictRetries: number;
  readonly readBudget: CapacityBudget;
  readonly writeBudget: CapacityBudget;
  readonly throttle: ThrottleRetry;
}

export interface ItemRunOptions {
  readonly dryRun: boolean;
  readonly filter?: ItemFilter;
}

/**
 * What to do with an item: nothing (its outcome), or write what `replacement` builds. Built
 * only when it is written: encrypting can write too (a MostRecent provider creates a MetaStore
 * version when the material has none), and a dry run must write nothing anywhere.
 */
type Plan = { readonly outcome: ItemOutcome; readonly replacement?: () => Promise<DynamoDbItem> };

const CONDITIONAL_CHECK_FAILED = 'ConditionalCheckFailedException';

/**
 * Takes one scanned item to the target materials: plaintext is encrypted, items under older
 * materials are decrypted and encrypted again, current ones are left alone. Every write is
 * conditional on the item being as read; when it is not, the item is read again (consistently)
 * and the whole decision made again, up to `maxConflictRetries` times.
 *
 * Errors about the item itself (does not verify, cannot be encrypted...) are thrown for the
 * caller to count; so are failures of DynamoDB or KMS, which the caller treats as fatal.
 */
export class ItemProcessor {
  constructor(private readonly options: ItemProcessorOptions) {}

  async process(item: Readonly<DynamoDbItem>, run: ItemRunOptions, counts: ReEncryptCounts): Promise<ItemOutcome> {
    let basis: Readonly<DynamoDbItem> = item; // the item whose plaintext must end up in the table
    let expected: Readonly<DynamoDbItem> = item; // what the table holds, as far as we know
    let repairing = false;
    let outcome: ItemOutcome = 'failed';
    let repairs = 0;
    for (let conflicts = 0; ; ) {
      let replacement: DynamoDbItem;
      if (repairing) {
        replacement = await this.encryptWhole(basis);
      } else {
        const plan = await this.plan(basis, run);
        if (plan.replacement === undefined || run.dryRun) return plan.outcome;
        outcome = plan.outcome;
        replacement = await plan.replacement();
      }

      const write = reEncryptWrite(expected, replacement, {
        tableInfo: this.options.tableInfo,
        attributeActions: this.options.targetConfig.attributeActions,
        versionAttribute: this.options.versionAttribute,
      });
      const old = await this.send(write.command, write.input);
      if (old !== null) {
        if (old === undefined || write.replacedExpected(old)) return outcome;
        if (repairs > this.options.maxConflictRetries) return 'conflicts';
        repairs += 1;
        // Something the condition cannot see was added between the read and the write: write
        // the item as it really was, re-encrypted, conditional on our write still being there.
        counts.repaired += 1;
        basis = old;
        expected = write.after(old);
        repairing = true;
        continue;
      }
      if (conflicts >= this.options.maxConflictRetries) return 'conflicts';
      conflicts += 1;
      counts.retried += 1;
      const fresh = await this.read(item);
      if (fresh === undefined) return 'deleted';
      basis = fresh;
      expected = fresh;
      repairing = false;
    }
  }

  private async plan(item: Readonly<DynamoDbItem>, run: ItemRunOptions): Promise<Plan> {
    const { classifier, targetConfig } = this.options;
    if (item[ReservedAttributes.SIGNATURE] === undefined) {
      // Plaintext (an item with a description but no signature is refused by the encryptor).
      if (!(await matchesFilter(item, run.filter, this.options.tableInfo.name))) return { outcome: 'skipped' };
      return { outcome: 'encrypted', replacement: () => encryptDynamoDbItem(item, targetConfig) };
    }
    const description = descriptionOf(item, this.options.tableInfo.name);
    if (classifier.decidesFromDescription === true && run.filter === undefined) {
      if (await classifier.isCurrent({ description })) return { outcome: 'alreadyCurrent' };
      // The classifier has decided: no need to record the materials the decryption uses.
      // Decrypted even in a dry run (a read), so that one counts the items that do not verify.
      const plaintext = await decryptDynamoDbItem(item, this.options.sourceConfig);
      return { outcome: 'reencrypted', replacement: () => encryptDynamoDbItem(plaintext, targetConfig) };
    }
    const { plaintext, materials } = await this.decrypt(item);
    if (!(await matchesFilter(plaintext, run.filter, this.options.tableInfo.name))) return { outcome: 'skipped' };
    if (await classifier.isCurrent({ description, materials })) return { outcome: 'alreadyCurrent' };
    return { outcome: 'reencrypted', replacement: () => encryptDynamoDbItem(plaintext, targetConfig) };
  }

  /** The repair path: the item as it really was, under the target materials, whatever it was under. */
  private async encryptWhole(item: Readonly<DynamoDbItem>): Promise<DynamoDbItem> {
    const plaintext = item[ReservedAttributes.SIGNATURE] === undefined ? item : (await this.decrypt(item)).plaintext;
    return encryptDynamoDbItem(plaintext, this.options.targetConfig);
  }

  /** Verifies and decrypts with the source provider, keeping the materials it returned for the classifier. */
  private async decrypt(item: Readonly<DynamoDbItem>): Promise<{ plaintext: DynamoDbItem; materials?: DecryptionMaterials }> {
    const source = this.options.sourceConfig.materialsProvider;
    let materials: DecryptionMaterials | undefined;
    const recording: CryptographicMaterialsProvider = {
      encryptionMaterials: (context) => source.encryptionMaterials(context),
      decryptionMaterials: async (context) => (materials = await source.decryptionMaterials(context)),
    };
    const plaintext = await decryptDynamoDbItem(item, { ...this.options.sourceConfig, materialsProvider: recording });
    return { plaintext, materials };
  }

  /**
   * Sends the conditional write. Returns what it replaced (ALL_OLD; undefined if DynamoDB
   * returned nothing), or null when the condition failed.
   */
  private async send(command: 'UpdateItem' | 'PutItem', input: UpdateItemCommandInput | PutItemCommandInput): Promise<DynamoDbItem | undefined | null> {
    const { client, tableInfo, throttle, writeBudget } = this.options;
    let request = input;
    let estimate = 0;
    if (!writeBudget.unlimited) {
      // One unit per KB of the larger of the old and new item; the new one is the estimate, corrected by what DynamoDB reports.
      estimate = Math.max(1, Math.ceil(itemSizeBytes((input as PutItemCommandInput).Item ?? (input as UpdateItemCommandInput).ExpressionAttributeValues ?? {}) / 1024));
      request = { ...input, ReturnConsumedCapacity: 'TOTAL' };
      await writeBudget.take(estimate);
    }
    try {
      const output = await throttle.run(command, tableInfo.name, () =>
        command === 'PutItem'
          ? client.send(new PutItemCommand(request as PutItemCommandInput))
          : client.send(new UpdateItemCommand(request as UpdateItemCommandInput)),
      );
      writeBudget.settle(estimate, output.ConsumedCapacity?.CapacityUnits);
      return output.Attributes;
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name === CONDITIONAL_CHECK_FAILED) return null;
      throw error;
    }
  }

  /** The item as it is now (strongly consistent), or undefined when it was deleted. */
  private async read(item: Readonly<DynamoDbItem>): Promise<DynamoDbItem | undefined> {
    const { client, tableInfo, throttle, readBudget } = this.options;
    const { partition, sort } = tableInfo.primaryIndex;
    const key: DynamoDbItem = { [partition]: item[partition] };
    if (sort !== undefined) key[sort] = item[sort];
    await readBudget.take(1);
    const output = await throttle.run('GetItem', tableInfo.name, () =>
      client.send(new GetItemCommand({ TableName: tableInfo.name, Key: key, ConsistentRead: true, ReturnConsumedCapacity: readBudget.unlimited ? undefined : 'TOTAL' })),
    );
    readBudget.settle(1, output.ConsumedCapacity?.CapacityUnits);
    return output.Item;
  }
}

function descriptionOf(item: Readonly<DynamoDbItem>, tableName: string): Record<string, string> {
  const bytes = item[ReservedAttributes.MATERIAL_DESCRIPTION]?.B;
  if (bytes === undefined) {
    throw new InvalidMaterialDescriptionError('the item is signed but has no binary material description', {
      tableName,
      attributeName: ReservedAttributes.MATERIAL_DESCRIPTION,
    });
  }
  return Object.fromEntries(deserializeMaterialDescription(bytes));
}
