import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { AttributeActions } from '../../src/encryptor/attribute-actions';
import { CryptoAction } from '../../src/encryptor/crypto-action';
import type { CryptoConfig } from '../../src/encryptor/crypto-config';
import type { CryptographicMaterialsProvider } from '../../src/providers/cryptographic-materials-provider';
import { createPkSkTable, stringIndex } from './tables';

/**
 * The table the document-client and EncryptedTable tests share: `pk`/`sk`, a GSI `by_tag`
 * projecting ALL and a GSI `by_kind` projecting KEYS_ONLY.
 */
export async function createTagKindTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await createPkSkTable(client, tableName, {
    AttributeDefinitions: [
      { AttributeName: 'tag', AttributeType: 'S' },
      { AttributeName: 'kind', AttributeType: 'S' },
    ],
    GlobalSecondaryIndexes: [stringIndex('by_tag', 'tag', 'ALL'), stringIndex('by_kind', 'kind', 'KEYS_ONLY')],
  });
}

/** The configuration the helpers derive for that table: every index key signed, not encrypted. */
export function tagKindTableConfig(
  tableName: string,
  materialsProvider: CryptographicMaterialsProvider,
  overrides: Record<string, CryptoAction>,
): CryptoConfig {
  const keys = { pk: CryptoAction.SIGN_ONLY, sk: CryptoAction.SIGN_ONLY, tag: CryptoAction.SIGN_ONLY, kind: CryptoAction.SIGN_ONLY };
  return {
    materialsProvider,
    encryptionContext: { tableName, partitionKeyName: 'pk', sortKeyName: 'sk' },
    attributeActions: new AttributeActions({ defaultAction: CryptoAction.ENCRYPT_AND_SIGN, attributeActions: { ...overrides, ...keys } }),
  };
}

/** The item as stored, read past every helper. */
export async function rawItemOf(client: DynamoDBClient, tableName: string, pk: string, sk: number) {
  const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: marshall({ pk, sk }), ConsistentRead: true }));
  return Item;
}
