import { InvalidArgumentError } from '../errors';
import type { DynamoDbItem } from '../format/attribute-value';
import type { CryptographicMaterialsProvider } from '../providers/cryptographic-materials-provider';
import type { AttributeActions } from './attribute-actions';
import { CryptoAction } from './crypto-action';
import type { EncryptionContext } from './encryption-context';

/** Everything the item encryptor needs for one table (the Python client's `CryptoConfig`). */
export interface CryptoConfig {
  readonly materialsProvider: CryptographicMaterialsProvider;
  readonly encryptionContext: EncryptionContext;
  readonly attributeActions: AttributeActions;
}

/**
 * Refuses configurations that would encrypt a primary key: DynamoDB could no longer find the
 * item, and the reference clients refuse it too.
 */
export function validateCryptoConfig(config: CryptoConfig): void {
  if (config === null || typeof config !== 'object') throw new InvalidArgumentError('a CryptoConfig is required');
  if (config.materialsProvider === undefined || config.attributeActions === undefined || config.encryptionContext === undefined) {
    throw new InvalidArgumentError('a CryptoConfig needs materialsProvider, encryptionContext and attributeActions', {
      tableName: config.encryptionContext?.tableName,
    });
  }
  const { partitionKeyName, sortKeyName, tableName } = config.encryptionContext;
  for (const keyName of [partitionKeyName, sortKeyName]) {
    if (keyName !== undefined && config.attributeActions.action(keyName) === CryptoAction.ENCRYPT_AND_SIGN) {
      throw new InvalidArgumentError(
        'a primary key attribute cannot be ENCRYPT_AND_SIGN; call attributeActions.setIndexKeys(...) or make it SIGN_ONLY',
        { tableName, attributeName: keyName },
      );
    }
  }
}

/**
 * The context with the item filled in, as providers expect it. Object.assign rather than a spread:
 * on Node 20 a spread that adds properties the source lacks takes a slow path (about 1 µs, twice
 * per item). Safe here because a context's property names are fixed; an item or a description,
 * which may hold an attribute named `__proto__`, is copied with a spread.
 */
export function contextWithItem(
  context: EncryptionContext,
  item: Readonly<DynamoDbItem>,
  materialDescription?: Readonly<Record<string, string>>,
): EncryptionContext {
  return materialDescription === undefined
    ? Object.assign({}, context, { attributes: item })
    : Object.assign({}, context, { attributes: item, materialDescription });
}
