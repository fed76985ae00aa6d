import { AttributeActions } from '../encryptor/attribute-actions';
import { CryptoAction } from '../encryptor/crypto-action';
import type { CryptoConfig } from '../encryptor/crypto-config';
import { decryptDynamoDbItem, encryptDynamoDbItem } from '../encryptor/item-encryptor';
import { UnsupportedOperationError } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';
import { ReservedAttributes } from '../format/material-description-keys';
import type { CryptographicMaterialsProvider } from '../providers/cryptographic-materials-provider';
import { comparedAttributes, updateExpressionAttributes } from './expression-attributes';
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

  /** Refuses the legacy attribute-map parameters (Expected, QueryFilter...) on encrypted attributes too. */
  assertComparableMap(parameter: string, attributes: Readonly<Record<string, unknown>> | undefined): void {
    for (const attribute of Object.keys(attributes ?? {})) this.assertNotEncrypted(parameter, attribute);
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
   * attributes (and must not copy ciphertext into them).
   */
  assertUpdatable(
    updateExpression: string | undefined,
    names: Readonly<Record<string, string>> | undefined,
    attributeUpdates: Readonly<Record<string, unknown>> | undefined,
  ): void {
    if (this.config.attributeActions.takeNoActions) return;
    const { written, read } = updateExpressionAttributes(updateExpression, names);
    for (const attribute of [...written, ...Object.keys(attributeUpdates ?? {})]) {
      if (this.action(attribute) !== CryptoAction.DO_NOTHING) {
        throw new UnsupportedOperationError(
          'UpdateItem would change a signed attribute without re-signing the item, and the item would no longer verify: ' +
            'read the item, change it and write it back with PutItem, or make the attribute DO_NOTHING',
          { tableName: this.tableName, attributeName: attribute },
        );
      }
    }
    for (const attribute of read) this.assertNotEncrypted('UpdateExpression', attribute);
  }

  /**
   * An UpdateItem on a missing key would create an item with no signature, which no read could
   * verify: the update is made conditional on the item existing.
   */
  existingItemsOnly<T extends { ConditionExpression?: string; ExpressionAttributeNames?: Record<string, string>; Expected?: Record<string, unknown> }>(
    input: T,
  ): T {
    if (this.config.attributeActions.takeNoActions) return input;
    const partitionKey = this.tableInfo.primaryIndex.partition;
    if (input.Expected !== undefined) {
      // The legacy parameter cannot be mixed with expressions: add the check in its own form.
      return { ...input, Expected: { ...input.Expected, [partitionKey]: { ComparisonOperator: 'NOT_NULL' } } };
    }
    const placeholder = '#ddbecExistingItemKey';
    const exists = `attribute_exists(${placeholder})`;
    return {
      ...input,
      ConditionExpression: input.ConditionExpression === undefined ? exists : `(${input.ConditionExpression}) AND ${exists}`,
      ExpressionAttributeNames: { ...input.ExpressionAttributeNames, [placeholder]: partitionKey },
    };
  }

  /** A query or scan of a secondary index must return whole items, or they cannot be verified. */
  assertIndexReadable(indexName: string | undefined): void {
    if (indexName === undefined || this.config.attributeActions.takeNoActions) return;
    const index = this.tableInfo.secondaryIndex(indexName);
    if (index === undefined) return; // DynamoDB itself reports an unknown index
    if (index.projectionType !== 'ALL') {
      throw new UnsupportedOperationError(
        `index "${indexName}" projects ${index.projectionType}, so its items lack attributes the signature covers ` +
          `(and ${ReservedAttributes.SIGNATURE} / ${ReservedAttributes.MATERIAL_DESCRIPTION}): project ALL into the index, ` +
          'or query the index for keys only and read the items from the base table',
        { tableName: this.tableName },
      );
    }
  }
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
