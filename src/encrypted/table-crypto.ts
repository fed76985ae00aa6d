import type { Select } from '@aws-sdk/client-dynamodb';
import { AttributeActions } from '../encryptor/attribute-actions';
import { CryptoAction } from '../encryptor/crypto-action';
import type { CryptoConfig } from '../encryptor/crypto-config';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../encryptor/item-encryptor';
import { UnsupportedOperationError } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';
import { ReservedAttributes } from '../format/material-description-keys';
import type { CryptographicMaterialsProvider } from '../providers/cryptographic-materials-provider';
import { existingItemsOnly } from './existing-item-condition';
import { comparedAttributes, updateExpressionAttributes } from './expression-attributes';
import { indexRead, type IndexRead } from './index-read';
import type { TableInfo } from './table-info';

/**
 * Everything the table helpers know about one table: its crypto configuration (index keys
 * forced to SIGN_ONLY) and the checks that keep requests from silently misbehaving on
 * encrypted items.
 */
export class TableCrypto {
  readonly config: CryptoConfig;

  constructor(
    readonly tableInfo: TableInfo,
    materialsProvider: CryptographicMaterialsProvider,
    attributeActions: AttributeActions,
  ) {
    this.config = {
      materialsProvider,
      encryptionContext: tableInfo.encryptionContext(),
      attributeActions: withSignedIndexKeys(attributeActions, tableInfo.protectedIndexKeys),
    };
  }

  get tableName(): string {
    return this.tableInfo.name;
  }

  action(attributeName: string): CryptoAction {
    return this.config.attributeActions.action(attributeName);
  }

  encrypt(item: DynamoDbItem): Promise<DynamoDbItem> {
    return encryptDynamoDbItem(item, this.config);
  }

  decrypt(item: DynamoDbItem): Promise<DynamoDbItem> {
    return decryptDynamoDbItem(item, this.config);
  }

  decryptAll(items: readonly DynamoDbItem[] | undefined): Promise<DynamoDbItem[] | undefined> {
    // In parallel: providers bound their own KMS concurrency.
    return items === undefined ? Promise.resolve(undefined) : Promise.all(items.map((item) => this.decrypt(item)));
  }

  /** Refuses a condition, filter or key condition that compares an encrypted attribute. */
  assertComparable(parameter: string, expression: string | undefined, names: Readonly<Record<string, string>> | undefined): void {
    for (const attribute of comparedAttributes(expression, names)) this.assertNotEncrypted(parameter, attribute);
  }

  /**
   * Refuses the legacy attribute-map parameters (Expected, QueryFilter...) that compare an
   * encrypted attribute; existence checks are allowed, as attribute_exists is.
   */
  assertComparableMap(parameter: string, conditions: Readonly<Record<string, LegacyCondition>> | undefined): void {
    for (const [attribute, condition] of Object.entries(conditions ?? {})) {
      if (!isExistenceCheck(condition)) this.assertNotEncrypted(parameter, attribute);
    }
  }

  private assertNotEncrypted(parameter: string, attribute: string): void {
    if (this.action(attribute) === CryptoAction.ENCRYPT_AND_SIGN) {
      throw new UnsupportedOperationError(
        `${parameter} compares an encrypted attribute, which DynamoDB only sees as ciphertext (it would silently match nothing): ` +
          'filter after decrypting instead, or make the attribute SIGN_ONLY',
        { tableName: this.tableName, attributeName: attribute },
      );
    }
  }

  /**
   * UpdateItem changes attributes without re-signing the item, so it may only touch DO_NOTHING
   * attributes (and must not copy ciphertext into them). The signature and description are the
   * encryptor's alone, whatever the actions say: removing them leaves an item no read accepts.
   */
  assertUpdatable(
    updateExpression: string | undefined,
    names: Readonly<Record<string, string>> | undefined,
    attributeUpdates: Readonly<Record<string, unknown>> | undefined,
  ): void {
    const { written, read } = updateExpressionAttributes(updateExpression, names);
    const targets = [...written, ...Object.keys(attributeUpdates ?? {})];
    const reserved = targets.find(isReserved);
    if (reserved !== undefined) {
      throw new UnsupportedOperationError(
        'UpdateItem would change an attribute only the encryptor writes, and the item would no longer verify: ' +
          'write the whole item with PutItem through the helper, which signs it afresh',
        { tableName: this.tableName, attributeName: reserved },
      );
    }
    if (this.config.attributeActions.takeNoActions) return;
    for (const attribute of targets) {
      if (this.action(attribute) !== CryptoAction.DO_NOTHING) {
        throw new UnsupportedOperationError(
          'UpdateItem would change a signed attribute without re-signing the item, and the item would no longer verify: ' +
            'read the item, change it and write it back with PutItem, or make the attribute DO_NOTHING',
          { tableName: this.tableName, attributeName: attribute },
        );
      }
    }
    for (const attribute of read) {
      if (this.action(attribute) === CryptoAction.ENCRYPT_AND_SIGN) {
        throw new UnsupportedOperationError(
          'UpdateExpression reads an encrypted attribute, which DynamoDB only holds as ciphertext (the update would copy or compute with ciphertext): ' +
            'read the item through the helper, compute the new value and pass it in ExpressionAttributeValues',
          { tableName: this.tableName, attributeName: attribute },
        );
      }
    }
  }

  /** See `existingItemsOnly`: an update may not create an item, which would carry no signature. */
  existingItemsOnly<T extends Parameters<typeof existingItemsOnly>[0]>(input: T): T {
    if (this.config.attributeActions.takeNoActions) return input;
    return existingItemsOnly(input, this.tableInfo.primaryIndex.partition, this.tableName);
  }

  /** How to query or scan so that every returned item can be verified (see `indexRead`); refuses what cannot be. */
  indexRead(indexName: string | undefined, select: Select | undefined): IndexRead {
    return indexRead(this.tableInfo, this.config.attributeActions, indexName, select);
  }
}

/** The legacy condition shape (Expected, KeyConditions, QueryFilter, ScanFilter entries). */
interface LegacyCondition {
  readonly ComparisonOperator?: string;
  readonly Exists?: boolean;
  readonly Value?: unknown;
  readonly AttributeValueList?: readonly unknown[];
}

/** NULL / NOT_NULL, or Exists without a value: an encrypted attribute is present exactly when its plaintext is. */
function isExistenceCheck(condition: LegacyCondition | undefined): boolean {
  if (condition?.ComparisonOperator === 'NULL' || condition?.ComparisonOperator === 'NOT_NULL') return true;
  return condition?.ComparisonOperator === undefined && condition?.Exists !== undefined && condition.Value === undefined && condition.AttributeValueList === undefined;
}

function isReserved(name: string): boolean {
  return name === ReservedAttributes.SIGNATURE || name === ReservedAttributes.MATERIAL_DESCRIPTION;
}

/**
 * Index keys must stay readable for DynamoDB and be covered by the signature, whatever the
 * configured actions say; a configuration that does nothing at all is left as it is.
 */
function withSignedIndexKeys(actions: AttributeActions, keyNames: readonly string[]): AttributeActions {
  if (actions.takeNoActions) return actions;
  const overrides = actions.attributeActions;
  for (const name of keyNames) overrides[name] = CryptoAction.SIGN_ONLY;
  return new AttributeActions({ defaultAction: actions.defaultAction, attributeActions: overrides });
}
